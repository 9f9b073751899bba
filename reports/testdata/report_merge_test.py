#!/usr/bin/env python3
"""report_merge_test.py — four shards merged by `regauth report merge` equal the unsharded run,
case for case (issue 9, "Shards and CI").

Runs a filtered subset of the suite (matrix cases of two credential kinds, the hostile-token
registry cases, the scope cases) against the embedded reference target once unsharded and once
as `--shard i/4` for i = 1..4, merges the four with `regauth report merge`, and compares:
  - the same case ids in the same order (sorted by id);
  - per case: verdict, expected_verdict, unexpected, layer, family, dimensions, and the checks'
    ids, severities and results (a summary case read as results-schema.md "Evidence" says; the
    values of a full case's checks name each run's own ports and clock, so they are not
    compared);
  - the summary (by verdict, layer, family, unexpected, exit code) and junit.xml's totals;
  - report.html and junit.xml written next to results.json.

Usage: report_merge_test.py REGAUTH_BINARY
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

SELECTION = ["--filter", "gitlab/deploy_token/*", "--filter", "gitlab/anonymous/*",
             "--filter", "registry/hostile-token/*", "--filter", "token-spec/scope/*"]


def run(binary, args, cwd):
    proc = subprocess.run([binary, *args], cwd=cwd, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=900)
    return proc.returncode, proc.stdout


def expand(doc, c):
    """A case as a full one (results-schema.md "Evidence")."""
    if "check_list" not in c or "checks" in c:
        return c
    parts = c["id"].split("/")
    dims = doc.get("dimension_sets", [])
    return {**c, "family": "/".join(parts[:2]) if len(parts) > 2 else c["id"],
            "expected_verdict": "PASS", "unexpected": False,
            "dimensions": dims[c["dimension_set"]] if "dimension_set" in c else {},
            "checks": [{"id": i, "severity": s, "result": "pass"}
                       for i, s in doc["check_lists"][c["check_list"]]]}


def essence(doc, c):
    c = expand(doc, c)
    checks = [[k["id"], k["severity"], k["result"]] for k in c["checks"]]
    return {"id": c["id"], "verdict": c["verdict"], "expected_verdict": c["expected_verdict"],
            "unexpected": c["unexpected"], "layer": c["layer"], "family": c["family"],
            "dimensions": c.get("dimensions") or {}, "checks": checks}


def main():
    binary = os.path.abspath(sys.argv[1])
    tmp = tempfile.mkdtemp(prefix="regauth-merge-")
    problems = []
    try:
        whole = os.path.join(tmp, "whole")
        code, out = run(binary, ["run", "--no-progress", "--out", whole, *SELECTION], tmp)
        if code != 0:
            sys.exit(f"FAIL: the unsharded run exited {code}:\n{out[-3000:]}")
        shards = []
        for i in range(1, 5):
            d = os.path.join(tmp, f"shard-{i}")
            code, out = run(binary, ["run", "--no-progress", "--out", d, "--shard", f"{i}/4",
                                     *SELECTION], tmp)
            if code != 0:
                sys.exit(f"FAIL: shard {i}/4 exited {code}:\n{out[-3000:]}")
            shards.append(d)
        merged = os.path.join(tmp, "merged")
        code, out = run(binary, ["report", "merge", *shards, "--out", merged], tmp)
        if code != 0:
            sys.exit(f"FAIL: report merge exited {code}:\n{out[-3000:]}")
        if "regauth run:" not in out:
            problems.append("report merge printed no summary table")
        a = json.load(open(os.path.join(whole, "results.json")))
        b = json.load(open(os.path.join(merged, "results.json")))
        ids_a = [c["id"] for c in a["cases"]]
        ids_b = [c["id"] for c in b["cases"]]
        if ids_a != ids_b:
            problems.append(f"case ids differ: {len(ids_a)} unsharded, {len(ids_b)} merged; "
                            f"only unsharded: {sorted(set(ids_a) - set(ids_b))[:5]}, "
                            f"only merged: {sorted(set(ids_b) - set(ids_a))[:5]}")
        for ca, cb in zip(a["cases"], b["cases"]):
            ea, eb = essence(a, ca), essence(b, cb)
            if ea != eb:
                problems.append(f"case {ca['id']} differs:\n  unsharded {ea}\n  merged    {eb}")
                if len(problems) > 5:
                    break
        for key in ("total", "by_verdict", "by_layer", "by_family", "executed_by_layer",
                    "executed_by_family", "unexpected", "stale_baseline", "exit_code"):
            if a["summary"][key] != b["summary"][key]:
                problems.append(f"summary.{key}: {a['summary'][key]} unsharded, "
                                f"{b['summary'][key]} merged")
        if b["run"]["selection"]["shard"] != "1/1" or b["run"]["selection"]["listed"] != len(ids_a):
            problems.append(f"merged selection: {b['run']['selection']}")
        ja = open(os.path.join(whole, "junit.xml")).read()
        jb = open(os.path.join(merged, "junit.xml")).read()
        head = re.compile(r'<testsuites [^>]*tests="(\d+)" failures="(\d+)" errors="(\d+)" '
                          r'skipped="(\d+)"')
        if head.search(ja).groups() != head.search(jb).groups():
            problems.append(f"junit totals differ: {head.search(ja).groups()} unsharded, "
                            f"{head.search(jb).groups()} merged")
        if not open(os.path.join(merged, "report.html")).read().startswith("<!DOCTYPE html>"):
            problems.append("merged report.html is not a page")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if problems:
        print("\n".join(problems))
        sys.exit(1)
    print(f"4 merged shards equal the unsharded run: {len(ids_a)} cases")


if __name__ == "__main__":
    main()
