#!/usr/bin/env python3
"""netfuzz_test.py — `regauth netfuzz` against the embedded reference target (issue 11).

  netfuzz_test.py REGAUTH SOURCE_DIR clean REQUESTS
      a clean reference target: exit 0, zero findings, findings.json and report.txt written,
      and the same --seed gives the same request sequence (requests_sent, findings) twice;
  netfuzz_test.py REGAUTH SOURCE_DIR misbehave NAME REQUESTS
      a planted registry bug: exit 1 with at least one finding; every regression case written
      fails (exit 1) when replayed by `regauth run --cases` against the same misbehaving target
      and passes (exit 0) against the clean one;
  netfuzz_test.py REGAUTH SOURCE_DIR registry-list NAME...
      the names given are exactly the registry-side misbehaviours of the binary.
"""
import json
import os
import re
import subprocess
import sys
import tempfile


def run(argv, timeout=600):
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout)


def netfuzz(regauth, out, extra):
    return run([regauth, "netfuzz", "--out", out, "--seed", "7"] + extra)


def fail(msg, proc=None):
    print("FAIL:", msg)
    if proc is not None:
        print("stdout:", proc.stdout[-4000:])
        print("stderr:", proc.stderr[-4000:])
    sys.exit(1)


def clean(regauth, requests):
    with tempfile.TemporaryDirectory() as tmp:
        docs = []
        for n in (1, 2):
            out = os.path.join(tmp, "run%d" % n)
            p = netfuzz(regauth, out, ["--requests", requests])
            if p.returncode != 0:
                fail("clean reference target: exit %d, expected 0" % p.returncode, p)
            doc = json.load(open(os.path.join(out, "findings.json")))
            if doc["findings"]:
                fail("clean reference target gave findings: %s" % json.dumps(doc["findings"])[:3000])
            if not os.path.exists(os.path.join(out, "report.txt")):
                fail("report.txt missing")
            if doc["requests_sent"] < int(requests) * 0.9:
                fail("only %d of %s requests were sendable" % (doc["requests_sent"], requests))
            docs.append(doc)
        if docs[0]["requests_sent"] != docs[1]["requests_sent"] or \
                docs[0]["requests_not_sendable"] != docs[1]["requests_not_sendable"]:
            fail("the same --seed gave different runs: %s vs %s" % (
                docs[0]["requests_sent"], docs[1]["requests_sent"]))
    print("ok: clean reference target, %s requests, zero findings" % requests)


def misbehave(regauth, source, name, requests):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out")
        p = netfuzz(regauth, out, ["--misbehave", name, "--requests", requests])
        if p.returncode != 1:
            fail("--misbehave %s: exit %d, expected 1 (findings)" % (name, p.returncode), p)
        doc = json.load(open(os.path.join(out, "findings.json")))
        if not doc["findings"]:
            fail("--misbehave %s: no finding" % name, p)
        for f in doc["findings"]:
            script = os.path.join(out, f["reproducer"])
            if not os.path.exists(script):
                fail("reproducer %s missing" % script)
        cases = os.path.join(out, "cases")
        world = os.path.join(source, "cases", "worlds", "gitlab-default.json")
        if os.path.isdir(cases):
            bad = run([regauth, "run", "--cases", cases, "--world", world, "--misbehave", name,
                       "--no-progress", "--out", os.path.join(tmp, "replay-bad")])
            if bad.returncode != 1:
                fail("the regression cases did not fail against --misbehave %s (exit %d)" %
                     (name, bad.returncode), bad)
            good = run([regauth, "run", "--cases", cases, "--world", world, "--no-progress",
                        "--out", os.path.join(tmp, "replay-good")])
            if good.returncode != 0:
                fail("the regression cases fail against the clean reference target (exit %d)" %
                     good.returncode, good)
        print("ok: --misbehave %s: %d finding(s): %s" % (
            name, len(doc["findings"]), ", ".join(sorted({f["invariant"] for f in doc["findings"]}))))


def registry_list(regauth, names):
    p = run([regauth, "run", "--misbehave", "no-such-misbehaviour", "--list"])
    m = re.search(r"Registry \(--target reference only\): ([^\n]*)", p.stderr)
    if not m:
        fail("the binary did not list its registry misbehaviours", p)
    listed = sorted(x.strip() for x in m.group(1).split(","))
    if listed != sorted(names):
        fail("registry misbehaviours %s, the test runs %s" % (listed, sorted(names)))
    print("ok: %d registry misbehaviours" % len(names))


def main():
    regauth, source, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    if mode == "clean":
        clean(regauth, sys.argv[4])
    elif mode == "misbehave":
        misbehave(regauth, source, sys.argv[4], sys.argv[5])
    elif mode == "registry-list":
        registry_list(regauth, sys.argv[4:])
    else:
        fail("unknown mode " + mode)


if __name__ == "__main__":
    main()
