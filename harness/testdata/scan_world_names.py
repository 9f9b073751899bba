#!/usr/bin/env python3
"""scan_world_names.py — fails when a hand-written case names an entity of a world.

A hand-written case selects what it needs by facts (cases/README.md "Bindings"); naming a
project path, group path, username, email, credential id, secret, deploy-token name or username
of the default world would tie the suite to that world (issue 7). Reports every occurrence as
`<file>:<line>: <name> (<what>)`.

Usage: scan_world_names.py WORLD.json PATH...
  each PATH is a directory (its *.json files) or a file: cases/cases, cases/grids,
  cases/requirements.json
"""
import json
import os
import re
import sys

# Names GitLab itself gives meaning to: they may appear in cases.
ALLOWED = {"gitlab-deploy-token", "gitlab-ci-token"}


def names_of(world):
    out = {}

    def add(name, what):
        if name and name not in ALLOWED and len(name) >= 3:
            out.setdefault(name, what)

    for u in world.get("users", []):
        add(u["username"], "username")
        add(u.get("email"), "email")
    for g in world.get("groups", []):
        add(g["path"], "group path")
    for p in world.get("projects", []):
        add(p["path"], "project path")
    for c in world.get("credentials", []):
        add(c["id"], "credential id")
        add(c["secret"], "secret")
        add(c.get("name"), "token name")
        add(c.get("username"), "deploy token username")
        add(c.get("bot_username"), "bot username")
    return out


def data_files(paths):
    out = []
    for p in paths:
        if os.path.isdir(p):
            out += [os.path.join(p, f) for f in sorted(os.listdir(p)) if f.endswith(".json")]
        else:
            out.append(p)
    return out


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    names = names_of(json.load(open(sys.argv[1])))
    # A name counts only as a whole path/word: not inside a longer name ("acme" in "acmes").
    pattern = re.compile(
        r"(?<![A-Za-z0-9_.-])(" + "|".join(sorted(map(re.escape, names), key=len, reverse=True)) +
        r")(?![A-Za-z0-9_-])")
    found = 0
    files = data_files(sys.argv[2:])
    for path in files:
        for n, line in enumerate(open(path, encoding="utf-8"), 1):
            for m in pattern.finditer(line):
                print(f"{path}:{n}: {m.group(1)} ({names[m.group(1)]})")
                found += 1
    if found:
        print(f"scan-world-names: {found} names of {sys.argv[1]} in hand-written cases: select by facts instead (cases/README.md \"Bindings\")")
        sys.exit(1)
    print(f"scan-world-names: {len(files)} data files name no entity of {sys.argv[1]}")


if __name__ == "__main__":
    main()
