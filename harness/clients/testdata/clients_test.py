#!/usr/bin/env python3
"""clients_test.py — `regauth clients` end to end (README "Client conformance").

  clients_test.py REGAUTH SOURCE_DIR grid
      Every scenario against every built-in client description and regauth's own client, as a
      user runs it. Checks: the three reports exist and results.json has one case per client ×
      scenario (layer client); no cell is ERROR; regauth's own client has no FAIL (it must pass
      every scenario: PASS, or INFORMATIONAL where the spec leaves the behaviour open); every
      client that runs here passes the baseline scenarios (so its description works and its
      other verdicts mean something). FAILs of real clients are findings, printed, not errors.

  clients_test.py REGAUTH SOURCE_DIR leaky
      The negative control (cases/clients/controls/leaky_client.py: follows redirects with its
      credentials, sends them to any realm) must be caught: FAIL on each leak scenario, PASS on
      the baselines, exit status 1.
"""
import json
import os
import subprocess
import sys
import tempfile

LEAKS = [
    "containerdrip-blob-redirect",
    "redirect-token-other-host",
    "redirect-token-other-port",
    "redirect-blob-other-host",
    "redirect-blob-other-port",
    "https-registry-http-realm",
    "realm-with-userinfo",
    "realm-file-scheme",
]
BASELINES = ["baseline-login", "baseline-pull"]


def run(regauth, source, args, out):
    cmd = [regauth, "clients", "--cases", os.path.join(source, "cases"), "--out", out,
           "--no-progress", "--timeout", "20000", "--slow-delay", "2000"] + args
    print("$", " ".join(cmd), flush=True)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    print(p.stdout)
    print(p.stderr, file=sys.stderr)
    for name in ("results.json", "junit.xml", "report.html"):
        if not os.path.exists(os.path.join(out, name)):
            sys.exit(f"FAIL: {name} was not written")
    with open(os.path.join(out, "results.json")) as f:
        doc = json.load(f)
    cells = {(c["dimensions"]["client"], c["dimensions"]["scenario"]): c for c in doc["cases"]}
    for c in doc["cases"]:
        if c["layer"] != "client":
            sys.exit(f"FAIL: {c['id']} has layer {c['layer']}")
    return p.returncode, doc, cells


def why(c):
    failed = [k for k in c["checks"] if k["result"] == "fail"]
    return c.get("skip_reason") or c.get("error") or (failed[0].get("message", "") if failed else "")


def grid(regauth, source, out):
    code, doc, cells = run(regauth, source, [], out)
    clients = sorted({k[0] for k in cells})
    scenarios = sorted({k[1] for k in cells})
    errors = []
    if code not in (0, 1):
        errors.append(f"exit status {code}")
    if "regauth" not in clients or len(scenarios) < 20:
        errors.append(f"expected regauth and at least 20 scenarios, got {clients}, {len(scenarios)}")
    if len(cells) != len(clients) * len(scenarios):
        errors.append(f"{len(cells)} cells for {len(clients)} clients × {len(scenarios)} scenarios")
    for (client, scenario), c in sorted(cells.items()):
        if c["verdict"] == "ERROR":
            errors.append(f"{c['id']}: ERROR: {c['error']}")
        if client == "regauth" and c["verdict"] not in ("PASS", "INFORMATIONAL"):
            errors.append(f"{c['id']}: regauth's own client: {c['verdict']}: {why(c)}")
        if scenario in BASELINES and c["verdict"] not in ("PASS", "SKIP"):
            errors.append(f"{c['id']}: baseline {c['verdict']}: {why(c)}")
        if c["verdict"] == "FAIL":
            print(f"finding: {c['id']}: {why(c)}")
    skipped = sorted({k[0] for k, c in cells.items() if c["verdict"] == "SKIP"
                      and "not installed" in (c.get("skip_reason") or "")})
    if skipped:
        print("clients not installed here (SKIP):", ", ".join(skipped))
    return errors


def leaky(regauth, source, out):
    control = os.path.join(source, "cases", "clients", "controls", "leaky-client.json")
    args = ["--client", control, "--client", "regauth"]
    for s in LEAKS + BASELINES:
        args += ["--scenario", s]
    code, doc, cells = run(regauth, source, args, out)
    errors = []
    if code != 1:
        errors.append(f"exit status {code}, expected 1 (the control must be caught)")
    for s in LEAKS:
        c = cells.get(("leaky-client", s))
        if c is None or c["verdict"] != "FAIL":
            errors.append(f"leaky-client/{s}: {c and c['verdict']}, expected FAIL ({c and why(c)})")
        own = cells.get(("regauth", s))
        if own is None or own["verdict"] == "FAIL":
            errors.append(f"regauth/{s}: {own and own['verdict']} ({own and why(own)})")
    for s in BASELINES:
        c = cells.get(("leaky-client", s))
        if c is None or c["verdict"] != "PASS":
            errors.append(f"leaky-client/{s}: {c and c['verdict']}, expected PASS ({c and why(c)})")
    return errors


def main():
    regauth, source, mode = sys.argv[1:4]
    with tempfile.TemporaryDirectory(prefix="regauth-clients-test-") as tmp:
        errors = (grid if mode == "grid" else leaky)(regauth, source, os.path.join(tmp, "out"))
    for e in errors:
        print("FAIL:", e)
    if errors:
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()
