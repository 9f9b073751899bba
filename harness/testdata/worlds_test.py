#!/usr/bin/env python3
"""worlds_test.py — the suite runs on any world, not only ours (issue 7).

Runs `regauth run` against the embedded reference target on every world shipped in
cases/worlds/, on the worked example of cases/worlds/README.md (its ${VAR} secrets set), and on
two renamings of the default world (rename_world.py: the same facts under other names), and
checks:
  - every run exits 0 with no FAIL and no ERROR;
  - a renamed default world gives the same case count, no SKIP, the same verdict for every
    hand-written case id and the same verdict counts for the matrix (whose ids carry names).

Usage: worlds_test.py REGAUTH_BINARY SOURCE_DIR
"""
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile


def run(binary, world, out, env=None):
    proc = subprocess.run([binary, "run", "--world", world, "--no-progress", "--out", out],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600,
                          env=env)
    cases = json.load(open(os.path.join(out, "results.json")))["cases"]
    verdicts = {c["id"]: c["verdict"] for c in cases}
    shutil.rmtree(out, ignore_errors=True)  # a full run's reports are ~100 MB
    return proc.returncode, proc.stdout, verdicts


def main():
    binary, source = sys.argv[1], sys.argv[2]
    failures = []
    tmp = tempfile.mkdtemp(prefix="regauth-worlds-")
    try:
        worlds_dir = os.path.join(source, "cases", "worlds")
        default = os.path.join(worlds_dir, "gitlab-default.json")
        results = {}
        for name in sorted(f for f in os.listdir(worlds_dir) if f.endswith(".json")):
            rc, out, verdicts = run(binary, os.path.join(worlds_dir, name), os.path.join(tmp, name))
            results[name] = verdicts
            counts = collections.Counter(verdicts.values())
            print(f"{name}: exit {rc}, {len(verdicts)} cases, {dict(counts)}")
            if rc != 0 or counts["FAIL"] or counts["ERROR"]:
                failures.append(f"{name}: exit {rc}, FAIL {counts['FAIL']}, ERROR {counts['ERROR']}\n{out[-3000:]}")
        # The worked example of cases/worlds/README.md: the first json block after its heading.
        readme = open(os.path.join(worlds_dir, "README.md"), encoding="utf-8").read()
        example = readme[readme.index("## Worked example"):]
        example = example[example.index("```json\n") + 8:]
        example = example[:example.index("```")]
        example_path = os.path.join(tmp, "worked-example.json")
        open(example_path, "w").write(example)
        env = dict(os.environ)
        for var in set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*)\}", example)):
            env[var] = "worked-example-" + var.lower()
        rc, out, verdicts = run(binary, example_path, os.path.join(tmp, "out-example"), env)
        counts = collections.Counter(verdicts.values())
        print(f"cases/worlds/README.md worked example: exit {rc}, {len(verdicts)} cases, {dict(counts)}")
        if rc != 0 or counts["FAIL"] or counts["ERROR"]:
            failures.append(f"worked example: exit {rc}, FAIL {counts['FAIL']}, ERROR {counts['ERROR']}\n{out[-3000:]}")
        base = results["gitlab-default.json"]
        hand = {k: v for k, v in base.items() if not k.startswith("gitlab/")}
        matrix_counts = collections.Counter(v for k, v in base.items() if k.startswith("gitlab/"))
        for prefix in ("zz", "qq"):
            renamed = os.path.join(tmp, f"renamed-{prefix}.json")
            subprocess.run([sys.executable, os.path.join(source, "harness", "testdata", "rename_world.py"),
                            default, renamed, "--prefix", prefix], check=True)
            rc, out, verdicts = run(binary, renamed, os.path.join(tmp, f"out-{prefix}"))
            counts = collections.Counter(verdicts.values())
            print(f"default renamed ({prefix}): exit {rc}, {len(verdicts)} cases, {dict(counts)}")
            problems = []
            if rc != 0:
                problems.append(f"exit {rc}")
            if len(verdicts) != len(base):
                problems.append(f"{len(verdicts)} cases, the default world has {len(base)}")
            for bad in ("FAIL", "ERROR", "SKIP"):
                if counts[bad]:
                    problems.append(f"{counts[bad]} {bad}")
            changed = [f"{k}: {v} -> {verdicts.get(k)}" for k, v in hand.items() if verdicts.get(k) != v]
            if changed:
                problems.append("hand-written verdicts differ: " + "; ".join(changed[:10]))
            renamed_matrix = collections.Counter(v for k, v in verdicts.items() if k.startswith("gitlab/"))
            if renamed_matrix != matrix_counts:
                problems.append(f"matrix verdicts {dict(renamed_matrix)} != {dict(matrix_counts)}")
            if problems:
                failures.append(f"renamed ({prefix}): " + ", ".join(problems) + "\n" + out[-3000:])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print("\n".join(failures))
        print(f"worlds: {len(failures)} failed")
        sys.exit(1)
    print("worlds: every world runs clean; renamed worlds match the default case for case")


if __name__ == "__main__":
    main()
