#!/usr/bin/env python3
"""readme_test.py — the README's command blocks run as written (issue 9, item 1).

Every command line of every ```sh block of README.md is either run here, verbatim, with `sh -c`
from a scratch directory whose PATH starts with the built `regauth` (and `cases` linked to the
suite's data, as in the repository root), or listed in SKIPPED with the reason it cannot run
offline in a test. A command that is neither fails the test, so a new README example cannot rot
unnoticed.

  - `$ regauth …` lines show their output: it must equal what the command prints (compared as
    JSON; for `regauth serve`, the same members and the same values where they do not depend on
    ports, keys or paths);
  - other lines must exit with the status the README gives them (0, or 1 for the negative control
    that "must fail"); `regauth replay` runs after the negative control, as in the README, and its
    script must carry the forged token whole.

Usage: readme_test.py REGAUTH_BINARY SOURCE_DIR
"""
import base64
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request

# Commands that cannot run offline in a test, by a prefix of their text, with the reason.
SKIPPED = [
    ("make run", "the whole build and suite (make run is itself the contract)"),
    ("make test", "the whole build and every test"),
    ("make fuzz", "a clang libFuzzer build (minutes)"),
    ("fuzz/run.sh", "fuzzes for 10 minutes"),
    ("regauth run --target distribution --profile distribution",
     "the whole suite against docker-registry (tens of seconds); black_box_test covers the target"),
    ("regauth run --registry https://gitlab.example.com", "needs a real GitLab instance"),
    ("regauth netfuzz --target distribution",
     "20,000 requests against docker-registry (minutes); bench/netfuzz.sh TARGET=distribution"),
    ("regauth provision --gitlab https://gitlab.example.com", "needs a real GitLab instance "
     "(provision_reference_server provisions the reference server instead)"),
    ("set -a; . ./provisioned.env", "reads what provisioning a real GitLab wrote"),
    ("regauth serve --no-registry --listen 127.0.0.1:8080",
     "a server on the fixed port 8080 until killed (black_box_test runs this setup on free ports)"),
    ("env -i PATH=/usr/bin:/bin docker-registry serve", "docker-registry on the fixed port 5000"),
    ('echo "$CI_REGISTRY_PASSWORD" | docker login', "needs a registry listening on 127.0.0.1:5000"),
    ('echo "$CI_DEPLOY_PASSWORD" | docker login', "needs a registry listening on 127.0.0.1:5000"),
    ("regauth serve --scenario", "a hostile registry until killed (hostile_stage_test and the "
     "client_grid_* tests run every scenario)"),
    ("cmake --install build/default",
     "installs the build tree (install_and_package_work installs into a temporary prefix)"),
    ("cpack --config build/default", "builds the .deb (install_and_package_work builds it)"),
]
# A bare `regauth run` is the whole suite against the embedded target: make run.
SKIPPED_EXACT = {
    "regauth run": "the whole suite (make run)",
    "regauth clients": "every client against every scenario (client_grid_runs_installed_clients)",
}

# Shell run after a command to check what it was for, when its exit code cannot tell
# (eval "$(…)" exits 0 even when the command inside failed).
AFTERWARDS = [
    ('eval "$(regauth ci-env', 'test -n "$CI_REGISTRY_PASSWORD" && test -n "$CI_JOB_TOKEN"'),
    ("regauth distribution-config", "grep -q rootcertbundle config.yml"),
]

# Exit codes the README states for commands that do not exit 0.
EXPECTED_EXIT = [
    ("regauth run --misbehave accept-alg-none", 1),  # "a negative control: must fail"
    ("regauth clients --client cases/clients/controls/leaky-client.json", 1),  # "must be caught"
    ("regauth netfuzz --misbehave accept-alg-none", 1),  # "a planted bug: exit 1"
    ("regauth run --cases netfuzz-bug/cases", 1),  # the findings replayed: they fail
]


def command_blocks(readme):
    """Yields (line number, command, shown output or None) for each command of each sh block."""
    lines = readme.splitlines()
    i = 0
    while i < len(lines):
        if lines[i].strip() != "```sh":
            i += 1
            continue
        i += 1
        while i < len(lines) and lines[i].strip() != "```":
            start = i
            line = lines[i]
            while line.endswith("\\") and i + 1 < len(lines):
                i += 1
                line = line[:-1] + " " + lines[i].strip()
            i += 1
            if not line.strip():
                continue
            if line.startswith("$ "):
                shown = []
                while i < len(lines) and not lines[i].startswith("$ ") and lines[i].strip() != "```":
                    shown.append(lines[i])
                    i += 1
                yield start + 1, line[2:], "\n".join(shown) or None
            else:
                yield start + 1, line, None
        i += 1


def without_comment(command):
    """The command without a trailing # comment (a '#' inside quotes or a word is kept)."""
    in_single = in_double = False
    for pos, ch in enumerate(command):
        if ch == "'" and not in_double:
            in_single = not in_single
        elif ch == '"' and not in_single:
            in_double = not in_double
        elif ch == "#" and not in_single and not in_double and (pos == 0 or command[pos - 1] in " \t"):
            return command[:pos].rstrip()
    return command.rstrip()


def serve_json_line(command, env, cwd, timeout=20):
    """Starts `regauth serve …`, returns its first stdout line, stops it (SIGTERM)."""
    proc = subprocess.Popen(["sh", "-c", "exec " + command], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
    return line, proc.stderr.read()


def prepare_token(binary, env, cwd):
    """$TOKEN and registry.crt for `regauth inspect jwt --key registry.crt "$TOKEN"`: a token a
    reference server issued to a world PAT, and that server's signing certificate."""
    proc = subprocess.Popen([binary, "serve", "--listen", "127.0.0.1:0", "--registry-listen",
                             "127.0.0.1:0", "--in-memory"], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        info = json.loads(proc.stdout.readline())
        creds = json.loads(subprocess.run([binary, "credentials"], cwd=cwd, env=env, check=True,
                                          stdout=subprocess.PIPE, text=True).stdout)
        pat = next(c for c in creds
                   if c["kind"] == "personal_access_token" and c["state"] == "active")
        query = urllib.parse.urlencode({"service": info["service"],
                                        "scope": "repository:acme/public-enabled:pull"})
        request = urllib.request.Request(info["realm"] + "?" + query)
        basic = base64.b64encode(f"{pat['username']}:{pat['secret']}".encode()).decode()
        request.add_header("Authorization", "Basic " + basic)
        with urllib.request.urlopen(request, timeout=20) as response:
            token = json.load(response)["token"]
        shutil.copy(info["signing_cert"], os.path.join(cwd, "registry.crt"))
        return token
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)


def compare_serve(shown, actual):
    """Problems between the README's serve line and the real one."""
    want, got = json.loads(shown), json.loads(actual)
    problems = []
    if sorted(want) != sorted(got):
        problems.append(f"members differ: README {sorted(want)}, actual {sorted(got)}")
    for key in ("alg", "issuer", "profile", "service", "tls_ca"):
        if want.get(key) != got.get(key):
            problems.append(f"{key}: README {want.get(key)!r}, actual {got.get(key)!r}")
    for key in ("realm", "registry_url", "token_url"):
        pattern = re.sub(r":\d+", ":[0-9]+", re.escape(str(want.get(key))).replace("\\:", ":"))
        if not re.fullmatch(pattern, str(got.get(key))):
            problems.append(f"{key}: README {want.get(key)!r}, actual {got.get(key)!r}")
    return problems


def main():
    binary, source = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    readme = open(os.path.join(source, "README.md"), encoding="utf-8").read()
    tmp = tempfile.mkdtemp(prefix="regauth-readme-")
    failures, ran, skipped = [], 0, 0
    try:
        work = os.path.join(tmp, "work")
        bin_dir = os.path.join(tmp, "bin")
        os.makedirs(work)
        os.makedirs(bin_dir)
        os.symlink(binary, os.path.join(bin_dir, "regauth"))
        os.symlink(os.path.join(source, "cases"), os.path.join(work, "cases"))
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("REGISTRY_", "REGAUTH_")) and k != "CI"}
        env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "/usr/bin:/bin")
        env["XDG_STATE_HOME"] = os.path.join(tmp, "state")
        env["TOKEN"] = prepare_token(binary, env, work)

        for number, text, shown in command_blocks(readme):
            command = without_comment(text)
            where = f"README.md:{number}: {command}"
            reason = SKIPPED_EXACT.get(command) or next(
                (r for prefix, r in SKIPPED if command.startswith(prefix)), None)
            if reason:
                print(f"skip {where}\n     ({reason})")
                skipped += 1
                continue
            if not re.search(r"(^|[\s\"(])regauth ", command):
                failures.append(f"{where}: not run and not in SKIPPED (readme_test.py)")
                continue
            ran += 1
            if shown is not None and command.startswith("regauth serve"):
                line, err = serve_json_line(command, env, work)
                if not line:
                    failures.append(f"{where}: printed nothing\n{err}")
                    continue
                failures += [f"{where}: {p}" for p in compare_serve(shown, line)]
                print(f"ran  {where}")
                continue
            expected = next((code for prefix, code in EXPECTED_EXIT if command.startswith(prefix)),
                            0)
            check = next((a for prefix, a in AFTERWARDS if command.startswith(prefix)), None)
            script = f"{command}\nstatus=$?\n{check} || exit 99\nexit $status" if check else command
            proc = subprocess.run(["sh", "-c", script], cwd=work, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, timeout=300)
            print(f"ran  {where} -> exit {proc.returncode}")
            if shown is not None:
                shown_json = json.loads(shown)
                expected = 1 if shown_json.get("ok") is False else 0
                try:
                    actual_json = json.loads(proc.stdout)
                except ValueError:
                    actual_json = proc.stdout
                if actual_json != shown_json:
                    failures.append(f"{where}: output differs from the README\nREADME:\n{shown}\n"
                                    f"actual:\n{proc.stdout}")
            if command.startswith("regauth inspect jwt --key"):
                out = json.loads(proc.stdout)
                if out.get("verified") is not True:
                    failures.append(f"{where}: the token did not verify: {proc.stdout}")
            if proc.returncode != expected:
                failures.append(f"{where}: exit {proc.returncode}, expected {expected}\n"
                                f"{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
            if "> repro.sh" in command:
                script = open(os.path.join(work, "repro.sh"), encoding="utf-8").read()
                if "TOKEN_1:?" in script or "«redacted" in script:
                    failures.append(f"{where}: the replayed forged token is not whole:\n{script}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print("\n".join(failures))
        print(f"README: {len(failures)} command(s) failed")
        sys.exit(1)
    print(f"README: {ran} commands ran as written, {skipped} skipped with a reason")


if __name__ == "__main__":
    main()
