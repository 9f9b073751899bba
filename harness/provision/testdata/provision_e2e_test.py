#!/usr/bin/env python3
"""provision_e2e_test.py — `regauth provision` against the reference server's /api/v4.

Usage: provision_e2e_test.py REGAUTH_BINARY SOURCE_DIR

Starts `regauth serve` with reference_server/api/testdata/admin-only-world.json (an administrator
and its API token, nothing else), provisions cases/worlds/gitlab-default.json into it with
`regauth provision` (twice: the second run must find everything and change nothing), then runs
the same selection of the suite twice — black-box against that server with the world provision
wrote, and against the in-process reference target with the file world — and requires the same
verdict for every case id both runs have. The selection (FILTERS below) is the matrix cases of
the password, PAT, project/group access token and deploy token subjects and the hand-written
token-spec cases (about 12 000 cases, a minute and a half on a loaded machine): representative of
every credential kind provision can create. A hand-written case that needs what the API cannot
create (a CI job, a 2FA user, an expired token) is SKIP there and is counted, not compared. Also
checks the --dry-run output (one JSON object per line, secrets masked), the env file's mode
(0600), and --delete. Exit 0 on success, 1 with the reason otherwise.
"""
import json
import os
import secrets
import stat
import subprocess
import sys
import tempfile
import urllib.request

FILTERS = ["gitlab/password/*", "gitlab/personal_access_token/*", "gitlab/project_access_token/*",
           "gitlab/group_access_token/*", "gitlab/deploy_token/*", "gitlab/group_deploy_token/*",
           "token-spec/*"]


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def run(cmd, env=None, check=True):
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    if check and p.returncode != 0:
        fail(f"{' '.join(cmd[:2])} exited {p.returncode}: {p.stderr[-2000:]}")
    return p


def verdicts(out_dir):
    """Returns {case id: (verdict, skip reason)}."""
    with open(os.path.join(out_dir, "results.json"), encoding="utf-8") as f:
        return {c["id"]: (c["verdict"], c.get("skip_reason") or "") for c in json.load(f)["cases"]}


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    regauth, src = argv[1], argv[2]
    default_world = os.path.join(src, "cases/worlds/gitlab-default.json")
    with tempfile.TemporaryDirectory() as tmp:
        admin = secrets.token_urlsafe(24)
        env = dict(os.environ, REGAUTH_ADMIN_TOKEN=admin)
        serve = subprocess.Popen(
            [regauth, "serve", "--world", os.path.join(src, "reference_server/api/testdata/admin-only-world.json"),
             "--listen", "127.0.0.1:0", "--registry-listen", "127.0.0.1:0", "--state-dir",
             os.path.join(tmp, "state"), "--in-memory", "--log-level", "error"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            line = serve.stdout.readline()
            if not line:
                fail("regauth serve printed nothing: " + serve.stderr.read()[-2000:])
            info = json.loads(line)
            api = info["token_url"]

            # --dry-run: one JSON object per call, secrets masked, nothing contacted.
            dry = run([regauth, "provision", "--dry-run", "--world", default_world], env=env)
            lines = dry.stdout.strip().split("\n")
            calls = [json.loads(x) for x in lines]
            if len(calls) < 100 or any(set(c) != {"method", "path", "body"} for c in calls):
                fail(f"--dry-run printed {len(calls)} lines, not one {{method, path, body}} per call")
            for c in calls:
                b = c["body"] or {}
                if "password" in b and b["password"] != "[masked]":
                    fail("--dry-run shows a password")
            if admin in dry.stdout:
                fail("--dry-run shows the admin token")

            world_out = os.path.join(tmp, "world.json")
            env_out = os.path.join(tmp, "provisioned.env")
            prov = [regauth, "provision", "--gitlab", api, "--token-env", "REGAUTH_ADMIN_TOKEN",
                    "--world", default_world, "--prefix", "", "--world-out", world_out,
                    "--env-out", env_out]
            run(prov, env=env)
            mode = stat.S_IMODE(os.stat(env_out).st_mode)
            if mode != 0o600:
                fail(f"env file mode {oct(mode)}, want 0600")
            first = open(world_out, encoding="utf-8").read()
            again = run(prov, env=env)  # idempotent: finds everything, same ids, same secrets
            if open(world_out, encoding="utf-8").read() != first:
                fail("a second provision run wrote a different world")
            secrets_env = dict(env)
            for l in open(env_out, encoding="utf-8"):
                k, v = l.rstrip("\n").split("=", 1)
                secrets_env[k] = v.strip("'")
            for k, v in secrets_env.items():
                if k.startswith("REGAUTH_") and k != "REGAUTH_ADMIN_TOKEN" and v in again.stderr:
                    fail("provision printed a secret")

            sel = []
            for f in FILTERS:
                sel += ["--filter", f]
            bb = os.path.join(tmp, "bb")
            run([regauth, "run", "--registry", info["registry_url"], "--world", world_out,
                 "--cases", os.path.join(src, "cases"), "--signing-key",
                 os.path.join(tmp, "state/signing.key.pem"), "--no-progress", "--out", bb] + sel,
                env=secrets_env, check=False)
            ref = os.path.join(tmp, "ref")
            run([regauth, "run", "--world", default_world, "--cases", os.path.join(src, "cases"),
                 "--no-progress", "--out", ref] + sel, env=env, check=False)
            a, b = verdicts(bb), verdicts(ref)
            common = sorted(set(a) & set(b))
            if len(common) < 0.8 * len(a) or len(common) < 1000:
                fail(f"only {len(common)} case ids in common ({len(a)} black-box, {len(b)} file world)")
            # A hand-written case whose selector needs what provision cannot create (a CI job, a
            # 2FA user, an expired token) is SKIP with "needs: …" in the provisioned world: not a
            # different verdict, a fact the world lacks. Everything else must agree.
            unmet = [i for i in common if a[i][0] == "SKIP" and b[i][0] != "SKIP"
                     and a[i][1].startswith("needs:")]
            diff = [f"{i}: provisioned {a[i][0]} {a[i][1]}, file world {b[i][0]}"
                    for i in common if a[i][0] != b[i][0] and i not in unmet]
            if diff:
                fail(f"{len(diff)} of {len(common)} verdicts differ:\n  " + "\n  ".join(diff[:20]))
            if len(unmet) > 20:
                fail(f"{len(unmet)} cases lack a fact in the provisioned world: " + ", ".join(unmet[:10]))

            # --delete removes the prefixed groups and users.
            run(prov[:2] + ["--delete"] + prov[2:], env=env)
            req = urllib.request.Request(api + "/api/v4/groups/acme", headers={"PRIVATE-TOKEN": admin})
            try:
                urllib.request.urlopen(req, timeout=10)
                fail("group acme still exists after --delete")
            except urllib.error.HTTPError as e:
                if e.code != 404:
                    fail(f"GET /groups/acme after --delete: {e.code}")
            print(f"provisioned the default world: {len(a)} black-box cases, {len(common)} compared, "
                  f"{len(common) - len(unmet)} equal, {len(unmet)} SKIP for facts the API cannot "
                  f"create ({', '.join(unmet)}); {len(calls)} dry-run calls")
        finally:
            serve.terminate()
            try:
                serve.wait(timeout=10)
            except subprocess.TimeoutExpired:
                serve.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
