#!/usr/bin/env python3
"""ci_templates_test.py — the CI templates of ci/ work as written (issue 9, "Shards and CI").

Parses ci/regauth.gitlab-ci.yml and ci/regauth.github-workflow.yml (python3-yaml), checks the
shape a pipeline relies on (parallel shards, the merge job after them, the JUnit report, the
exposed HTML report, the world and baseline variables), then runs their script lines as the CI
systems would — every shard, then the merge — against the reference target (`regauth serve`
with ci/world.example.json) on loopback ports:

  - GitLab: each of the `parallel:` jobs runs before_script + script with CI_NODE_INDEX /
    CI_NODE_TOTAL and the job's own variables (CI_JOB_TOKEN, CI_DEPLOY_PASSWORD, CI_REGISTRY…),
    which the world binds through its ${VAR} secrets; `regauth ci-env` for the same world must
    print the same values (the world binds exactly what GitLab hands the job). Then the merge
    job; its junit and exposed paths must exist and hold every shard's cases.
  - GitHub Actions: the shard matrix's `run:` steps with ${{ matrix.shard }},
    ${{ strategy.job-total }} and ${{ secrets.* }} substituted, the artifacts moved as
    upload/download-artifact would, then the report job with $GITHUB_STEP_SUMMARY.

Usage: ci_templates_test.py REGAUTH_BINARY SOURCE_DIR
"""
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile

import yaml

SHARD_ARGS = "--jobs 2"  # REGAUTH_RUN_ARGS: the example world is small; the whole suite runs


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def expect(condition, message):
    if not condition:
        fail(message)


def script_text(lines):
    """A GitLab script list (strings, possibly folded) as one shell script."""
    return "\n".join(line if isinstance(line, str) else "\n".join(line) for line in lines)


def run_script(text, env, cwd, label):
    proc = subprocess.run(["bash", "-e", "-c", text], env=env, cwd=cwd, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=900)
    return proc.returncode, proc.stdout


def start_server(binary, world, state, env):
    proc = subprocess.Popen([binary, "serve", "--world", world, "--listen", "127.0.0.1:0",
                             "--registry-listen", "127.0.0.1:0", "--state-dir", state,
                             "--in-memory", "--log-level", "error"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if not line:
        proc.kill()
        fail("regauth serve did not start: " + proc.stderr.read()[-2000:])
    return proc, json.loads(line)


def ci_env(binary, world, registry, env):
    out = subprocess.run([binary, "ci-env", "--world", world, "--registry", registry], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, check=True)
    values = {}
    for line in out.stdout.splitlines():
        m = re.match(r"^export ([A-Z_]+)='(.*)'$", line)
        if m:
            values[m.group(1)] = m.group(2).replace("'\\''", "'")
    return values


def check_merged(out_dir, shard_dirs, label):
    for name in ("results.json", "junit.xml", "report.html"):
        expect(os.path.isfile(os.path.join(out_dir, name)), f"{label}: merged {name} missing")
    merged = json.load(open(os.path.join(out_dir, "results.json")))
    ids = set()
    for d in shard_dirs:
        doc = json.load(open(os.path.join(d, "results.json")))
        ids |= {c["id"] for c in doc["cases"]}
    got = [c["id"] for c in merged["cases"]]
    expect(sorted(got) == got and set(got) == ids and len(got) == len(ids),
           f"{label}: the merged results do not hold every shard's cases once")
    expect(merged["run"]["selection"]["shard"] == "1/1", f"{label}: merged shard is "
           f"{merged['run']['selection']['shard']}")
    junit = open(os.path.join(out_dir, "junit.xml")).read()
    expect(f'tests="{len(ids)}"' in junit, f"{label}: junit.xml does not count {len(ids)} tests")
    return len(ids)


def gitlab(binary, source, tmp, base_env, registry_url, registry_host):
    doc = yaml.safe_load(open(os.path.join(source, "ci", "regauth.gitlab-ci.yml")))
    variables = doc["variables"]
    for name in ("REGAUTH", "REGAUTH_REGISTRY", "REGAUTH_WORLD", "REGAUTH_BASELINE",
                 "REGAUTH_RUN_ARGS"):
        expect(name in variables, f"gitlab: variable {name} is not defined")
    job, merge = doc["regauth"], doc["regauth-report"]
    base = doc[job["extends"]]
    parallel = job["parallel"]
    expect(isinstance(parallel, int) and parallel >= 2, "gitlab: regauth needs parallel: N ≥ 2")
    expect(job["artifacts"]["when"] == "always", "gitlab: shard artifacts must be kept on failure")
    expect(merge["stage"] == ".post" and merge["when"] == "always",
           "gitlab: the merge job runs last, always")
    expect(any((n == "regauth" if isinstance(n, str) else n.get("job") == "regauth")
               for n in merge["needs"]), "gitlab: the merge job needs the shards")
    junit = merge["artifacts"]["reports"]["junit"]
    expect(merge["artifacts"].get("expose_as"), "gitlab: the HTML report is not exposed")
    shard_script = script_text(job["script"])
    for flag in ("--shard", "--world", "--baseline", "CI_NODE_INDEX", "CI_NODE_TOTAL"):
        expect(flag in shard_script, f"gitlab: the shard script does not use {flag}")

    project = os.path.join(tmp, "gitlab-project")
    os.makedirs(project)
    env = dict(base_env)
    for name, value in variables.items():
        env[name] = os.path.expandvars(str(value))
    env.update({"REGAUTH": binary, "REGAUTH_REGISTRY": registry_url,
                "REGAUTH_WORLD": os.path.join(source, "ci", "world.example.json"),
                "REGAUTH_RUN_ARGS": SHARD_ARGS, "CI_REGISTRY": registry_host,
                "CI_NODE_TOTAL": str(parallel)})
    before = script_text(base.get("before_script", []))
    shard_dirs = []
    for i in range(1, parallel + 1):
        env["CI_NODE_INDEX"] = str(i)
        code, out = run_script(before + "\n" + shard_script, env, project, f"shard {i}")
        expect(code == 0, f"gitlab: shard {i}/{parallel} exited {code}:\n{out[-3000:]}")
        shard_dirs.append(os.path.join(project, "reports", "regauth", f"shard-{i}"))
        expect(os.path.isfile(os.path.join(shard_dirs[-1], "junit.xml")),
               f"gitlab: shard {i} wrote no junit.xml")
    env.pop("CI_NODE_INDEX")
    code, out = run_script(script_text(base.get("before_script", []) + merge["script"]), env,
                           project, "merge")
    expect(code == 0, f"gitlab: the merge job exited {code}:\n{out[-3000:]}")
    expect(os.path.isfile(os.path.join(project, junit)), f"gitlab: {junit} missing")
    for path in merge["artifacts"]["paths"]:
        expect(os.path.exists(os.path.join(project, path)), f"gitlab: artifact {path} missing")
    count = check_merged(os.path.join(project, os.path.dirname(junit)), shard_dirs, "gitlab")
    print(f"ok gitlab: {parallel} shards ({count} cases) merged into {os.path.dirname(junit)}")


def substitute(text, values):
    def one(m):
        key = m.group(1).strip()
        if key not in values:
            fail(f"github: no value for the expression ${{{{ {key} }}}}")
        return str(values[key])
    return re.sub(r"\$\{\{\s*([^}]*?)\s*\}\}", one, text)


def github(binary, source, tmp, base_env, registry_url):
    doc = yaml.safe_load(open(os.path.join(source, "ci", "regauth.github-workflow.yml")))
    expect(True in doc or "on" in doc, "github: the workflow has no triggers")
    shard, report = doc["jobs"]["shard"], doc["jobs"]["report"]
    shards = shard["strategy"]["matrix"]["shard"]
    expect(len(shards) >= 2, "github: the shard matrix needs at least two shards")
    expect(report["needs"] == "shard" and report["if"] == "always()",
           "github: the report job needs the shards and always runs")
    project = os.path.join(tmp, "github-project")
    os.makedirs(project)
    env = dict(base_env)
    env.update({k: str(v) for k, v in doc["env"].items()})
    env.update({"REGAUTH": binary, "REGAUTH_REGISTRY": registry_url,
                "REGAUTH_WORLD": os.path.join(source, "ci", "world.example.json"),
                "REGAUTH_RUN_ARGS": SHARD_ARGS})
    secrets_values = {f"secrets.{k}": v for k, v in base_env.items()}
    secrets_values.update({f"vars.{k}": v for k, v in base_env.items()})
    shard_dirs = []
    for n in shards:
        values = dict(secrets_values)
        values.update({"matrix.shard": n, "strategy.job-total": len(shards)})
        job_env = dict(env)
        job_env.update({k: substitute(str(v), values) for k, v in shard.get("env", {}).items()})
        for step in shard["steps"]:
            if "run" in step:
                code, out = run_script(substitute(step["run"], values), job_env, project,
                                       f"shard {n}")
                expect(code == 0, f"github: shard {n} exited {code}:\n{out[-3000:]}")
            elif step.get("uses", "").startswith("actions/upload-artifact"):
                path = substitute(step["with"]["path"], values).rstrip("/")
                name = substitute(step["with"]["name"], values)
                dest = os.path.join(tmp, "artifacts", name)
                shutil.copytree(os.path.join(project, path), dest)
                shard_dirs.append(dest)
    report_dir = os.path.join(tmp, "github-report")
    os.makedirs(report_dir)
    summary = os.path.join(tmp, "step-summary.md")
    env["GITHUB_STEP_SUMMARY"] = summary
    for step in report["steps"]:
        if step.get("uses", "").startswith("actions/download-artifact"):
            dest = os.path.join(report_dir, step["with"]["path"])
            os.makedirs(dest, exist_ok=True)
            for d in shard_dirs:
                shutil.copytree(d, os.path.join(dest, os.path.basename(d)))
        elif "run" in step:
            code, out = run_script(substitute(step["run"], secrets_values), env, report_dir,
                                   "report")
            expect(code == 0, f"github: the report job exited {code}:\n{out[-3000:]}")
    expect("regauth run:" in open(summary).read(), "github: no summary table in the job summary")
    count = check_merged(os.path.join(report_dir, "reports", "regauth", "merged"), shard_dirs,
                         "github")
    print(f"ok github: {len(shards)} shards ({count} cases) merged, summary written")


def main():
    binary, source = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    tmp = tempfile.mkdtemp(prefix="regauth-ci-")
    # What GitLab hands a job: its token (also the registry password) and the deploy token.
    job = {"CI_JOB_TOKEN": "glcbt-" + secrets.token_hex(12),
           "CI_DEPLOY_PASSWORD": "gldt-" + secrets.token_hex(12),
           # The job's identity, which ci/world.example.json reads from GitLab's predefined
           # variables too (a project in a top-level group).
           "GITLAB_USER_LOGIN": "ci-developer", "CI_PROJECT_NAMESPACE": "example",
           "CI_PROJECT_NAMESPACE_ID": "41", "CI_PROJECT_PATH": "example/app",
           "CI_PROJECT_ID": "4242", "CI_JOB_ID": "987654321",
           "CI_DEPLOY_USER": "gitlab+deploy-token-17"}
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("CI_", "REGAUTH_"))}
    base_env.update(job)
    world = os.path.join(source, "ci", "world.example.json")
    server = None
    try:
        server, info = start_server(binary, world, os.path.join(tmp, "state"), base_env)
        registry_url = info["registry_url"]
        registry_host = registry_url.split("://", 1)[1]
        exported = ci_env(binary, world, registry_host, base_env)
        for name, value in (("CI_JOB_TOKEN", job["CI_JOB_TOKEN"]),
                            ("CI_REGISTRY_PASSWORD", job["CI_JOB_TOKEN"]),
                            ("CI_REGISTRY_USER", "gitlab-ci-token"),
                            ("CI_DEPLOY_PASSWORD", job["CI_DEPLOY_PASSWORD"]),
                            ("CI_DEPLOY_USER", job["CI_DEPLOY_USER"]),
                            ("CI_REGISTRY", registry_host)):
            expect(exported.get(name) == value,
                   f"regauth ci-env for ci/world.example.json: {name} is not the job's value")
        base_env.update({k: v for k, v in exported.items() if k.startswith("CI_")})
        gitlab(binary, source, tmp, base_env, registry_url, registry_host)
        github(binary, source, tmp, base_env, registry_url)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
