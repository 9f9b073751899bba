#!/usr/bin/env python3
"""results_schema_test.py — reports/results-schema.md cannot lag results.json (issue 9, item 12).

Parses the member tables of results-schema.md ("### `object`" followed by
| member | type | presence | meaning |) and checks, for every object of the kinds it documents:
  - every member a real results.json has is documented (an undocumented member fails);
  - every member documented as `always` is present;
  - every value has a documented type.
The documents checked are the results.json of real runs of the built binary against the
embedded reference target — a completed one (matrix, hand-written, forged-token and real-client
cases, a baseline; PASS cases as summary cases), the same selection with `--evidence all`, two
shards of it merged by `regauth report merge`, and one the sanity probe stopped — and the page's
own jsonc example, whose case ids must exist in the suite (`regauth run --list`).

Usage: results_schema_test.py REGAUTH_BINARY SOURCE_DIR
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile

TYPES = {"string", "integer", "number", "boolean", "object", "array", "null"}


def parse_tables(markdown):
    """Returns {object name: {member: (set of types, "always" | "optional")}}."""
    tables, current = {}, None
    for line in markdown.splitlines():
        heading = re.match(r"^### `([a-z_.]+)`\s*$", line)
        if heading:
            current = heading.group(1)
            tables[current] = {}
            continue
        if line.startswith("## "):
            current = None
            continue
        row = re.match(r"^\|\s*`([^`]+)`\s*\|([^|]*)\|([^|]*)\|", line)
        if current is None or not row:
            continue
        member, type_text, presence = row.group(1), row.group(2).strip(), row.group(3).strip()
        types = set()
        for part in type_text.split(" or "):
            word = part.strip().split(" ")[0]
            if word not in TYPES:
                raise SystemExit(f"results-schema.md: {current}.{member}: unknown type {type_text!r}")
            types.add(word)
        if presence not in ("always", "optional"):
            raise SystemExit(f"results-schema.md: {current}.{member}: presence {presence!r}")
        tables[current][member] = (types, presence)
    return tables


def json_type(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def objects(doc):
    """Yields (documented object name, JSON pointer, object) for every object the page documents."""
    yield "document", "", doc
    for name in ("suite", "run", "target", "config", "summary"):
        if isinstance(doc.get(name), dict):
            yield name, "/" + name, doc[name]
    run, target = doc.get("run") or {}, doc.get("target") or {}
    if isinstance(run.get("selection"), dict):
        yield "run.selection", "/run/selection", run["selection"]
    for i, m in enumerate(run.get("merged_from") or []):
        yield "run.merged_from", f"/run/merged_from/{i}", m
    if isinstance(target.get("fingerprint"), dict):
        yield "target.fingerprint", "/target/fingerprint", target["fingerprint"]
    for i, lst in enumerate(doc.get("citation_lists") or []):
        here = f"/citation_lists/{i}"
        yield "citation_list", here, lst
        for j, g in enumerate(lst.get("gitlab_source") or []):
            yield "case.gitlab_source", f"{here}/gitlab_source/{j}", g
        for j, g in enumerate(lst.get("gitlab_spec") or []):
            yield "case.gitlab_spec", f"{here}/gitlab_spec/{j}", g
    for i, c in enumerate(doc.get("cases") or []):
        here = f"/cases/{i}"
        if "check_list" in c and "checks" not in c:
            yield "summary_case", here, c
            continue
        yield "case", here, c
        if isinstance(c.get("dimensions"), dict):
            yield "case.dimensions", here + "/dimensions", c["dimensions"]
        if isinstance(c.get("baseline"), dict):
            yield "case.baseline", here + "/baseline", c["baseline"]
        for j, k in enumerate(c.get("checks") or []):
            yield "check", f"{here}/checks/{j}", k
        for j, x in enumerate(c.get("exchanges") or []):
            yield "exchange", f"{here}/exchanges/{j}", x
            if isinstance(x.get("request"), dict):
                yield "request", f"{here}/exchanges/{j}/request", x["request"]
            if isinstance(x.get("response"), dict):
                yield "response", f"{here}/exchanges/{j}/response", x["response"]
            for k, cred in enumerate(x.get("credentials") or []):
                yield "credential", f"{here}/exchanges/{j}/credentials/{k}", cred
        for j, t in enumerate(c.get("tools") or []):
            yield "tool", f"{here}/tools/{j}", t


def check(doc, tables, label):
    """Returns the problems of `doc` against the tables (at most a few per kind)."""
    problems, seen = [], set()
    for name, pointer, obj in objects(doc):
        table = tables.get(name)
        if table is None:
            problems.append(f"{label}: results-schema.md has no table for `{name}`")
            continue
        for member, value in obj.items():
            if member not in table:
                key = ("undocumented", name, member)
                if key not in seen:
                    seen.add(key)
                    problems.append(f"{label}{pointer}/{member}: member `{name}.{member}` is not "
                                    f"documented in results-schema.md")
                continue
            types = table[member][0]
            t = json_type(value)
            if t not in types and not (t == "integer" and "number" in types):
                key = ("type", name, member, t)
                if key not in seen:
                    seen.add(key)
                    problems.append(f"{label}{pointer}/{member}: {t}, documented as "
                                    f"{' or '.join(sorted(types))}")
        for member, (_, presence) in table.items():
            if presence == "always" and member not in obj:
                key = ("missing", name, member)
                if key not in seen:
                    seen.add(key)
                    problems.append(f"{label}{pointer}: `{name}.{member}` is documented as always "
                                    f"present but is missing")
    return problems


def strip_jsonc(text):
    """Removes // comments outside strings."""
    out, i, in_string = [], 0, False
    while i < len(text):
        ch = text[i]
        if in_string:
            out.append(ch)
            if ch == "\\":
                out.append(text[i + 1])
                i += 2
                continue
            if ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
            out.append(ch)
        elif text.startswith("//", i):
            while i < len(text) and text[i] != "\n":
                i += 1
            continue
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(binary, args, cwd):
    return subprocess.run([binary, *args], cwd=cwd, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=600)


def main():
    binary, source = sys.argv[1], sys.argv[2]
    markdown = open(os.path.join(source, "reports", "results-schema.md"), encoding="utf-8").read()
    tables = parse_tables(markdown)
    problems = []
    tmp = tempfile.mkdtemp(prefix="regauth-schema-")
    try:
        selection = ["--filter", "gitlab/personal_access_token/dana-pat-read-registry/*",
                     "--filter", "registry/hostile-token/alg-none*",
                     "--filter", "token-spec/scope/*",
                     "--filter", "flow/*",
                     "--baseline", os.path.join(source, "cases", "baselines",
                                                "example-gitlab-17.json")]
        runs = []
        for label, extra in (("completed run", []), ("--evidence all", ["--evidence", "all"]),
                             ("shard 1/2", ["--shard", "1/2"]), ("shard 2/2", ["--shard", "2/2"])):
            out = os.path.join(tmp, label.replace(" ", "-").replace("/", "-"))
            proc = run(binary, ["run", "--no-progress", "--out", out, *selection, *extra], tmp)
            if proc.returncode not in (0, 1):
                problems.append(f"{label} exited {proc.returncode}:\n{proc.stdout[-3000:]}")
            runs.append((label, out))
        merged = os.path.join(tmp, "merged")
        proc = run(binary, ["report", "merge", runs[2][1], runs[3][1], "--out", merged], tmp)
        if proc.returncode != 0:
            problems.append(f"report merge exited {proc.returncode}:\n{proc.stdout[-3000:]}")
        stopped = os.path.join(tmp, "stopped")
        proc = run(binary, ["run", "--no-progress", "--out", stopped, "--filter", "flow/*",
                            "--registry", f"http://127.0.0.1:{free_port()}"], tmp)
        if proc.returncode != 3:
            problems.append(f"the stopped run exited {proc.returncode}, expected 3:\n"
                            f"{proc.stdout[-3000:]}")
        for label, path in runs[:2] + [("merged shards", merged), ("stopped run", stopped)]:
            results = os.path.join(path, "results.json")
            if not os.path.exists(results):
                problems.append(f"{label}: no results.json")
                continue
            problems += check(json.load(open(results, encoding="utf-8")), tables, label)

        blocks = re.findall(r"```jsonc\n(.*?)```", markdown, re.S)
        if len(blocks) != 1:
            problems.append(f"results-schema.md: expected one jsonc example, found {len(blocks)}")
        else:
            example = json.loads(strip_jsonc(blocks[0]))
            problems += check(example, tables, "example")
            listed = run(binary, ["run", "--list"], tmp).stdout
            ids = {line.split("\t")[0] for line in listed.splitlines()}
            for c in example.get("cases", []):
                if c.get("id") not in ids:
                    problems.append(f"example: case id {c.get('id')!r} is not in the suite")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if problems:
        print("\n".join(problems))
        print(f"results-schema.md: {len(problems)} problem(s)")
        sys.exit(1)
    print(f"results-schema.md documents every member of five real results.json and its example "
          f"({len(tables)} object kinds)")


if __name__ == "__main__":
    main()
