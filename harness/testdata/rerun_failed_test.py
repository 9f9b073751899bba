#!/usr/bin/env python3
"""rerun_failed_test.py — `regauth run --rerun-failed` and `-v` (issue 9).

A negative control (--misbehave accept-alg-none) makes some hostile-token cases FAIL; with -v
each unexpected case is followed on stderr by its exchanges (request line, headers, status).
`--rerun-failed` on that run then selects exactly the cases that were not as expected (here they
pass: the bug is no longer planted), records the file in run.selection.rerun_failed, and on a
run where everything was as expected it runs nothing and exits 0.

Usage: rerun_failed_test.py REGAUTH_BINARY
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile


def run(binary, args, cwd):
    return subprocess.run([binary, *args], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=600)


def main():
    binary = os.path.abspath(sys.argv[1])
    tmp = tempfile.mkdtemp(prefix="regauth-rerun-")
    problems = []
    try:
        first = os.path.join(tmp, "first")
        proc = run(binary, ["run", "--no-progress", "-v", "--misbehave", "accept-alg-none",
                            "--filter", "registry/hostile-token/*", "--out", first], tmp)
        if proc.returncode != 1:
            sys.exit(f"FAIL: the negative control exited {proc.returncode}:\n{proc.stderr[-2000:]}")
        doc = json.load(open(os.path.join(first, "results.json")))
        failed = sorted(c["id"] for c in doc["cases"] if c.get("unexpected"))
        if not failed:
            sys.exit("FAIL: the negative control had no unexpected case")
        lines = proc.stderr.splitlines()
        for i, line in enumerate(lines):
            if line.startswith("UNEXPECTED "):
                if i + 2 >= len(lines) or not lines[i + 1].startswith("  > GET ") or not any(
                        l.startswith("  < ") for l in lines[i + 1:i + 8]):
                    problems.append(f"-v printed no exchange after: {line}")
        second = os.path.join(tmp, "second")
        proc = run(binary, ["run", "--no-progress", "--rerun-failed", first, "--out", second], tmp)
        if proc.returncode != 0:
            problems.append(f"--rerun-failed exited {proc.returncode}:\n{proc.stderr[-2000:]}")
        else:
            rerun = json.load(open(os.path.join(second, "results.json")))
            ids = sorted(c["id"] for c in rerun["cases"])
            if ids != failed:
                problems.append(f"--rerun-failed ran {ids}, expected {failed}")
            if rerun["run"]["selection"].get("rerun_failed") != first:
                problems.append(f"run.selection.rerun_failed is {rerun['run']['selection']}")
            proc = run(binary, ["run", "--no-progress", "--rerun-failed",
                                os.path.join(second, "results.json"), "--out",
                                os.path.join(tmp, "third")], tmp)
            if proc.returncode != 0 or "nothing to rerun" not in proc.stdout:
                problems.append(f"a clean run's --rerun-failed: exit {proc.returncode}, "
                                f"{proc.stdout[-500:]}")
        proc = run(binary, ["run", "--rerun-failed", os.path.join(tmp, "missing")], tmp)
        if proc.returncode != 2:
            problems.append(f"--rerun-failed with a missing file exited {proc.returncode}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if problems:
        print("\n".join(problems))
        sys.exit(1)
    print(f"-v showed the exchanges of {len(failed)} unexpected cases; --rerun-failed reran them")


if __name__ == "__main__":
    main()
