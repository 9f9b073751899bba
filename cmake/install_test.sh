#!/usr/bin/env bash
# install_test.sh — `cmake --install` and the .deb work (issue 9, "Install and package"):
#   1. installs the build into a temporary prefix and checks the layout of RegauthInstall.cmake;
#   2. from / (no source tree, no ./cases in sight), the installed binary prints its version and
#      commit, lists the suite (`regauth run --list`) and runs a small filtered selection
#      against the embedded reference target, reading the installed data (config.cases);
#   3. CPack builds the .deb; its files are under /usr and every Depends entry is a Debian
#      package (dpkg knows it: dpkg-shlibdeps derived them from installed libraries).
# Usage: install_test.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

prefix="$tmp/prefix"
cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" 2>&1 ||
  { cat "$tmp/install.log" >&2; fail "cmake --install failed"; }
for f in bin/regauth share/regauth/cases/profiles/gitlab.json \
  share/regauth/cases/worlds/gitlab-default.json share/regauth/cases/schema/world.schema.json \
  share/regauth/cases/requirements.json share/regauth/ci/regauth.gitlab-ci.yml \
  share/regauth/report-assets/report.js share/doc/regauth/results-schema.md; do
  [ -e "$prefix/$f" ] || fail "$f is not installed"
done
[ ! -e "$prefix/share/regauth/cases/schema/testdata" ] || fail "test data was installed"

regauth="$prefix/bin/regauth"
cd /
version=$("$regauth" --version)
version_re='^regauth [0-9]+\.[0-9]+\.[0-9]+ \(commit ([0-9a-f]{7,}|unknown)\)$'
[[ "$version" =~ $version_re ]] || fail "regauth --version printed '$version'"
listed=$("$regauth" run --list | wc -l)
[ "$listed" -gt 1000 ] || fail "regauth run --list from / listed $listed cases"
"$regauth" run --no-progress --filter 'gitlab/deploy_token/*' --filter 'token-spec/scope/*' \
  --out "$tmp/run" >"$tmp/run.log" 2>&1 || { cat "$tmp/run.log" >&2; fail "the run from / failed"; }
python3 - "$tmp/run/results.json" "$prefix/share/regauth/cases" <<'PY' || fail "results.json"
import json, os, sys
doc = json.load(open(sys.argv[1]))
cases = os.path.realpath(doc["config"]["cases"])
assert cases == os.path.realpath(sys.argv[2]), f"the run read {cases}, not the installed data"
assert doc["summary"]["total"] > 50 and doc["summary"]["exit_code"] == 0, doc["summary"]
PY
echo "ok install: $version; $listed cases listed from /; $(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['summary']['total'])" "$tmp/run/results.json") run from the installed data"

command -v cpack >/dev/null || fail "cpack not found"
command -v dpkg-shlibdeps >/dev/null || {
  if [ "${CI:-}" = true ]; then fail "dpkg-shlibdeps not found (apt-get install dpkg-dev)"; fi
  echo "SKIP: dpkg-shlibdeps not found (apt-get install dpkg-dev)" >&2
  exit 77
}
(cd "$build" && cpack --config CPackConfig.cmake -B "$tmp/package") >"$tmp/cpack.log" 2>&1 ||
  { cat "$tmp/cpack.log" >&2; fail "cpack failed"; }
deb=$(ls "$tmp"/package/regauth_*.deb 2>/dev/null | head -1)
[ -n "$deb" ] || fail "cpack wrote no regauth_*.deb"
dpkg-deb -c "$deb" >"$tmp/contents"
grep -q '\./usr/bin/regauth$' "$tmp/contents" || fail "the .deb has no /usr/bin/regauth"
grep -q '\./usr/share/regauth/cases/profiles/gitlab.json$' "$tmp/contents" ||
  fail "the .deb has no suite data"
depends=$(dpkg-deb -f "$deb" Depends)
[ -n "$depends" ] || fail "the .deb declares no Depends"
for dep in $(echo "$depends" | tr ',|' '\n\n' | sed 's/(.*)//; s/^ *//; s/ *$//' | sort -u); do
  dpkg-query -W -f='${Status}' "$dep" 2>/dev/null | grep -q "ok installed" ||
    apt-cache show "$dep" >/dev/null 2>&1 || fail "Depends: $dep is not a Debian package"
done
echo "ok package: $(basename "$deb") ($(du -h "$deb" | cut -f1)); Depends: $depends"
