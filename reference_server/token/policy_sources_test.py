#!/usr/bin/env python3
"""policy_sources_test.py — every decision function of the reference policy cites GitLab.

Usage: policy_sources_test.py POLICY_CC MATRIX_JSON

Each function defined at namespace scope in POLICY_CC (reference_server/token/policy.cc) must
carry, in the comment block right above it (a `template <…>` line may sit between), at least
one tag line

    // GitLab: <path>#<symbol> @ <copy>

where <path> is a file of GitLab's source tree, <symbol> the method, `rule { … }` or
`condition(…)` it follows, and <copy> a key of MATRIX_JSON's `gitlab_copies` (a repository at a
full commit with its GitLab version): the same copies the matrix rules cite, so the policy and
the matrix name the code they were read from the same way. Exit 0 when every function has a
valid tag, 1 otherwise (each offender named with its line), 2 on a usage error.
A self-check first runs the parser on a snippet with one untagged and one badly tagged
function, so a parser that finds nothing cannot pass.
"""
import json
import re
import sys

TAG = re.compile(r"^// GitLab: ([A-Za-z0-9_./-]+)#(.+?) @ ([A-Za-z0-9_.-]+@[0-9a-f]{8})\s*$")
# A definition starts at column 0 with a return type and a name followed by '(' and is not a
# declaration (the signature reaches '{' before ';').
START = re.compile(r"^(?!//|#|namespace|}|struct |class |enum |using |static_assert|template)"
                   r"[A-Za-z_][^=;]*?\b([A-Za-z_][A-Za-z0-9_]*(?:::[A-Za-z_][A-Za-z0-9_]*)*)\(")


def functions(lines):
    """Yields (line number, name, comment lines) for every namespace-scope definition."""
    for i, line in enumerate(lines):
        m = START.match(line)
        if not m:
            continue
        # Join the signature until '{' or ';'.
        sig = ""
        for j in range(i, min(i + 12, len(lines))):
            sig += lines[j]
            if "{" in lines[j] or ";" in lines[j]:
                break
        brace, semi = sig.find("{"), sig.find(";")
        if brace < 0 or (0 <= semi < brace):
            continue
        k = i - 1
        if k >= 0 and lines[k].startswith("template"):
            k -= 1
        comment = []
        while k >= 0 and lines[k].startswith("//"):
            comment.insert(0, lines[k])
            k -= 1
        yield i + 1, m.group(1), comment


def check(text, copies):
    problems = []
    count = 0
    for line_no, name, comment in functions(text.split("\n")):
        count += 1
        tags = [c for c in comment if c.startswith("// GitLab:")]
        if not tags:
            problems.append(f"line {line_no}: {name}: no '// GitLab: <path>#<symbol> @ <copy>' tag")
            continue
        for t in tags:
            m = TAG.match(t)
            if not m:
                problems.append(f"line {line_no}: {name}: malformed tag: {t}")
            elif m.group(3) not in copies:
                problems.append(f"line {line_no}: {name}: copy {m.group(3)} is not in gitlab_copies")
    return count, problems


def main(argv):
    if len(argv) != 3:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    copies = {k for k in json.load(open(argv[2], encoding="utf-8"))["gitlab_copies"] if not k.startswith("$")}
    if not copies:
        print(f"{argv[2]}: gitlab_copies is empty", file=sys.stderr)
        return 1
    sample = ("// Tagged.\n// GitLab: a/b.rb#m? @ " + sorted(copies)[0] + "\nbool A(int x) {\n  return x;\n}\n"
              "// Untagged.\nbool B(int x) { return x; }\n"
              "// GitLab: a/b.rb#m? @ nobody@00000000\nbool C(int x,\n       int y) {\n  return x;\n}\n"
              "bool Declared(int x);\n")
    n, p = check(sample, copies)
    if n != 3 or len(p) != 2:
        print(f"self-check failed: {n} functions, problems {p}", file=sys.stderr)
        return 1
    text = open(argv[1], encoding="utf-8").read()
    n, problems = check(text, copies)
    if n < 20:
        print(f"{argv[1]}: only {n} function definitions found; the parser no longer matches the file",
              file=sys.stderr)
        return 1
    for p in problems:
        print(f"{argv[1]}: {p}", file=sys.stderr)
    if problems:
        return 1
    print(f"{n} functions of {argv[1]}, each citing GitLab")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
