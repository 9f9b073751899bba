#!/usr/bin/env python3
"""validate-data.py — checks regauth's data files against their JSON Schemas (cases/schema/).

Every shipped data file names its schema with a top-level "$schema" member holding a relative
path (cases/worlds/gitlab-default.json: "../schema/world.schema.json"), so editors validate it
while people type; this script applies the same schemas in CI (ctest data_files_match_schemas)
with Debian's python3-jsonschema (Draft 2020-12).

Usage:
  scripts/validate-data.py                  every file of cases/{worlds,matrix,profiles,
                                            baselines,cases,grids}/*.json and
                                            cases/requirements.json
  scripts/validate-data.py FILE...          only these files (each still one of those)
  scripts/validate-data.py --expect-invalid cases/schema/testdata/expected.json
                                            each broken file of the manifest must be rejected
                                            by its kind's schema exactly at the manifest's
                                            pointer, where the C++ loader rejects it too
                                            (harness/suite/schema_agreement_test.cc)

Output: one line per error, "<file>: <JSON pointer>: <message>" ("(document)" for the root),
then a summary line. Exit status 0 when everything is as expected, 1 otherwise.

Pointers follow the C++ loaders (harness/suite/data_file.h, protocol/world.h): an unknown member is
reported at the member itself (the schemas say "additionalProperties": {"not": {}}), a missing
required member at the place the member should be ("/cases/0/title"), everything else where
jsonschema reports it. Where a loader reports a missing member at the object (a selector
without credential or project), the schema states the rule with oneOf/anyOf, which reports
there as well.
"""

import json
import os
import pathlib
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCHEMA_DIR = os.path.join(ROOT, "cases", "schema")
# Data directory (relative to the repository) → the kind of file it holds.
DATA_DIRS = {
    "cases/worlds": "world",
    "cases/matrix": "matrix",
    "cases/profiles": "profile",
    "cases/baselines": "baseline",
    "cases/cases": "case-file",
    "cases/grids": "grid",
}
# Data files that are alone of their kind (relative to the repository) → their kind.
DATA_FILES = {
    "cases/requirements.json": "requirements",
}
KINDS = sorted(set(DATA_DIRS.values()) | set(DATA_FILES.values()))

try:
    from jsonschema import Draft202012Validator, RefResolver
except ImportError:  # fail loudly: a check that cannot run must not pass
    sys.exit("validate-data: python3-jsonschema (>= 4.0, Draft 2020-12) is not installed; "
             "run scripts/install-deps.sh")


def rel(path):
    """Returns `path` relative to the repository when it lies inside it."""
    path = os.path.abspath(path)
    inside = os.path.commonpath([path, ROOT]) == ROOT
    return os.path.relpath(path, ROOT) if inside else path


def schema_path(kind):
    return os.path.join(SCHEMA_DIR, kind + ".schema.json")


def pointer(parts):
    """RFC 6901 pointer of a jsonschema path (a deque of member names and indexes)."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def show(value, limit=64):
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[:limit] + "..."


class DataError(Exception):
    pass


def strict_object_pairs(pairs):
    seen = {}
    for key, value in pairs:
        if key in seen:
            raise DataError("a JSON object repeats the member name " + show(key))
        seen[key] = value
    return seen


def reject_constant(name):
    raise DataError(name + " is not JSON")


def load_json(path):
    """Parses a file as strictly as the C++ loaders (no duplicate names, no NaN/Infinity)."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        return json.loads(text, object_pairs_hook=strict_object_pairs,
                          parse_constant=reject_constant)
    except json.JSONDecodeError as e:
        raise DataError("malformed JSON at line %d column %d: %s" % (e.lineno, e.colno, e.msg))


TYPE_NAMES = {"null": "null", "boolean": "a boolean", "integer": "an integer", "number": "a number",
              "string": "a string", "array": "an array", "object": "an object"}
BOUNDS = {"minimum": "expected at least %s", "maximum": "expected at most %s",
          "minLength": "expected at least %s characters", "maxLength": "longer than %s characters",
          "minItems": "expected at least %s entries", "maxItems": "more than %s entries"}


SCHEMA_DOCS = {}


def schema_doc(name):
    """The parsed schema cases/schema/<name> (a file name such as "case-file.schema.json")."""
    if name not in SCHEMA_DOCS:
        SCHEMA_DOCS[name] = load_json(os.path.join(SCHEMA_DIR, name))
    return SCHEMA_DOCS[name]


def schema_uri(name):
    return pathlib.Path(SCHEMA_DIR, name).as_uri()


class Schema:
    """One schema of cases/schema/ and the messages for its errors. A schema may refer to
    another one of the directory by its file name ("case-file.schema.json#/$defs/step")."""

    def __init__(self, kind):
        self.kind = kind
        self.path = schema_path(kind)
        self.root = schema_doc(os.path.basename(self.path))
        Draft202012Validator.check_schema(self.root)
        store = {schema_uri(n): schema_doc(n) for n in sorted(os.listdir(SCHEMA_DIR))
                 if n.endswith(".schema.json")}
        resolver = RefResolver(base_uri=schema_uri(os.path.basename(self.path)),
                               referrer=self.root, store=store)
        self.validator = Draft202012Validator(self.root, resolver=resolver)

    def resolve(self, ref, root):
        """Returns the node a $ref names and the schema document it lies in: "#/…" in `root`,
        "<name>.schema.json#/…" in that schema of cases/schema/."""
        target, _, fragment = ref.partition("#")
        if target:
            if "/" in target or not target.endswith(".schema.json"):
                raise DataError("only $refs within cases/schema/ are supported: " + ref)
            root = schema_doc(target)
        node = root
        for part in fragment[1:].split("/") if fragment else []:
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node, root

    def at(self, schema_path, node=None, root=None):
        """The subschema at a jsonschema schema path and the document it lies in, or (None,
        None). jsonschema does not record the $refs it followed, so where a step is not found
        (or leads nowhere) the walk tries the schema the $ref names."""
        root = self.root if root is None else root
        node = root if node is None else node
        if not schema_path:
            return node, root
        key, rest = schema_path[0], schema_path[1:]
        found = (None, None)
        if isinstance(node, list) and isinstance(key, int) and key < len(node):
            found = self.at(rest, node[key], root)
        elif isinstance(node, dict) and key in node:
            found = self.at(rest, node[key], root)
        if found[0] is None and isinstance(node, dict) and "$ref" in node:
            target, target_root = self.resolve(node["$ref"], root)
            found = self.at(schema_path, target, target_root)
        return found

    def errors(self, instance):
        """Returns the sorted, distinct (pointer, message) pairs of `instance`."""
        out = set()
        for e in self.validator.iter_errors(instance):
            out.update(self.describe(e))
        return sorted(out)

    def describe(self, e):
        where = pointer(e.absolute_path)
        v = e.validator
        sub = e.schema if isinstance(e.schema, dict) else {}
        path = list(e.absolute_schema_path)
        if v == "required":
            return [(where + pointer([m]), "required member is missing")
                    for m in e.validator_value
                    if isinstance(e.instance, dict) and m not in e.instance]
        if v == "not" and len(path) >= 2 and path[-2] == "additionalProperties":
            owner, root = self.at(path[:-2])
            owner = owner or {}
            while "additionalProperties" not in owner and "$ref" in owner:
                owner, root = self.resolve(owner["$ref"], root)
            names = [n for n in owner.get("properties", {}) if not n.startswith("$")]
            if sub.get("description"):
                return [(where, "unknown member: " + sub["description"])]
            hint = "; expected one of " + ", ".join(names) if names else ""
            return [(where, "unknown member" + hint)]
        if v == "not" or v is None:
            note = sub.get("description")
            return [(where, "not allowed here" + (": " + note if note else ""))]
        if v == "enum":
            values = ", ".join(x if isinstance(x, str) else show(x) for x in e.validator_value)
            return [(where, "unknown value %s; expected one of %s" % (show(e.instance), values))]
        if v == "const":
            return [(where, "expected %s, got %s" % (show(e.validator_value), show(e.instance)))]
        if v == "type":
            want = e.validator_value if isinstance(e.validator_value, list) else [e.validator_value]
            names = " or ".join(TYPE_NAMES.get(t, t) for t in want)
            return [(where, "expected %s, got %s" % (names, json_type(e.instance)))]
        if v in ("minLength", "minItems") and e.validator_value == 1:
            return [(where, "expected a non-empty " + ("string" if v == "minLength" else "array"))]
        if v in BOUNDS:
            return [(where, BOUNDS[v] % e.validator_value)]
        if v == "pattern":
            note = sub.get("description") or "the pattern " + e.validator_value
            return [(where, "%s does not match: %s" % (show(e.instance), note))]
        if v == "uniqueItems":
            return [(where, "an entry is listed twice")]
        if v in ("oneOf", "anyOf"):
            branches = e.validator_value
            if all(isinstance(b, dict) and set(b) == {"required"} for b in branches):
                forms = [" and ".join(b["required"]) for b in branches]
                word = "exactly one of " if v == "oneOf" and len(forms) > 1 else ""
                return [(where, "expected " + word + ", ".join(forms))]
            return [(where, "matches none of the allowed forms")]
        return [(where, e.message)]


def json_type(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a non-integer number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


class Checker:
    def __init__(self):
        self.schemas = {}

    def schema(self, kind):
        if kind not in self.schemas:
            self.schemas[kind] = Schema(kind)
        return self.schemas[kind]

    def named_schema(self, path, doc, kind):
        """Checks that `doc`'s "$schema" names the schema of `kind`; returns a problem or None."""
        expected = os.path.relpath(schema_path(kind), os.path.dirname(os.path.abspath(path)))
        named = doc.get("$schema")
        if named is None:
            return 'no "$schema" member; add "$schema": "%s"' % expected
        if not isinstance(named, str):
            return '"$schema" must be a relative path, e.g. "%s"' % expected
        target = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(path)), named))
        if target != os.path.normpath(schema_path(kind)):
            return '"$schema" names %s; files of this kind use "%s"' % (show(named), expected)
        return None


def kind_of(path):
    file = os.path.relpath(os.path.abspath(path), ROOT).replace(os.sep, "/")
    if file in DATA_FILES:
        return DATA_FILES[file]
    folder = os.path.relpath(os.path.dirname(os.path.abspath(path)), ROOT)
    return DATA_DIRS.get(folder.replace(os.sep, "/"))


def shipped_files():
    files = []
    for folder in DATA_DIRS:
        full = os.path.join(ROOT, folder)
        if not os.path.isdir(full):
            continue
        for name in sorted(os.listdir(full)):
            if name.endswith(".json") and os.path.isfile(os.path.join(full, name)):
                files.append(os.path.join(full, name))
    for file in DATA_FILES:
        if os.path.isfile(os.path.join(ROOT, file)):
            files.append(os.path.join(ROOT, file))
    return files


def validate(paths):
    checker = Checker()
    failed = 0
    for path in paths:
        kind = kind_of(path)
        lines = []
        try:
            if kind is None:
                raise DataError("not a data file: expected a file directly under one of "
                                + ", ".join(DATA_DIRS) + ", or one of " + ", ".join(DATA_FILES))
            doc = load_json(path)
            if not isinstance(doc, dict):
                raise DataError("expected an object at the top, got " + json_type(doc))
            problem = checker.named_schema(path, doc, kind)
            if problem:
                raise DataError(problem)
            lines = checker.schema(kind).errors(doc)
        except (OSError, DataError) as e:
            lines = [("", str(e))]
        for where, message in lines:
            print("%s: %s: %s" % (rel(path), where or "(document)", message))
        failed += bool(lines)
    if failed:
        print("validate-data: %d of %d files invalid" % (failed, len(paths)))
        return 1
    print("validate-data: %d files valid" % len(paths))
    return 0


def expect_invalid(manifest_path):
    """Each broken file of the manifest must be rejected by its kind's schema exactly at the
    manifest's pointer (and nowhere else), so that schema and loader agree on where it is
    broken."""
    checker = Checker()
    base = os.path.dirname(os.path.abspath(manifest_path))
    problems = []
    try:
        manifest = load_json(manifest_path)
        entries = manifest["files"]
    except (OSError, DataError, KeyError, TypeError) as e:
        print("%s: (document): not a manifest: %s" % (rel(manifest_path), e))
        return 1
    listed = set()
    for i, entry in enumerate(entries):
        name, kind, want = entry.get("file"), entry.get("kind"), entry.get("pointer")
        label = "%s: /files/%d" % (rel(manifest_path), i)
        if not isinstance(name, str) or kind not in KINDS or not isinstance(want, str):
            problems.append(label + ": needs file, kind (one of %s) and pointer" % ", ".join(KINDS))
            continue
        listed.add(name)
        path = os.path.join(base, name)
        if not name.startswith(kind + "--"):
            problems.append("%s: the name must start with \"%s--\"" % (rel(path), kind))
        try:
            doc = load_json(path)
            if not isinstance(doc, dict):
                raise DataError("expected an object at the top")
            if "$schema" in doc:
                problem = checker.named_schema(path, doc, kind)
                if problem:
                    raise DataError(problem)
            got = checker.schema(kind).errors(doc)
        except (OSError, DataError) as e:
            problems.append("%s: (document): %s" % (rel(path), e))
            continue
        pointers = sorted({where for where, _ in got})
        if pointers != [want]:
            found = "; ".join("%s: %s" % (w or "(document)", m) for w, m in got) or "nothing"
            problems.append("%s: the schema must reject it at %s only; it reports %s"
                            % (rel(path), want or "(document)", found))
    for name in sorted(os.listdir(base)):
        if name.endswith(".json") and name != os.path.basename(manifest_path) \
                and name not in listed:
            problems.append("%s: not listed in %s" % (rel(os.path.join(base, name)),
                                                     rel(manifest_path)))
    for p in problems:
        print(p)
    if problems:
        print("validate-data: %d problems with the broken files" % len(problems))
        return 1
    print("validate-data: %d broken files rejected at the expected pointer" % len(entries))
    return 0


def main(argv):
    if argv[:1] == ["--expect-invalid"]:
        if len(argv) != 2:
            sys.exit("usage: validate-data.py --expect-invalid MANIFEST")
        return expect_invalid(argv[1])
    if argv[:1] in (["-h"], ["--help"]):
        print(__doc__)
        return 0
    if any(a.startswith("-") for a in argv):
        sys.exit("validate-data: unknown option; see --help")
    return validate([os.path.abspath(a) for a in argv] if argv else shipped_files())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
