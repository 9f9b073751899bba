#!/usr/bin/env bash
# make run: runs regauth. Until the scenario runner lands this shows the CLI and a few
# `regauth inspect` examples on values captured from Debian's docker-registry 2.8.2.
set -euo pipefail
regauth=${1:?usage: run-demo.sh PATH_TO_REGAUTH}
"$regauth" --help
echo
echo '$ regauth inspect challenge '"'"'Bearer realm="http://127.0.0.1:5001/token",service="test-registry",scope="repository:foo/bar:pull,push",error="insufficient_scope"'"'"
"$regauth" inspect challenge 'Bearer realm="http://127.0.0.1:5001/token",service="test-registry",scope="repository:foo/bar:pull,push",error="insufficient_scope"'
echo
echo '$ regauth inspect scope --lenient gitlab repository:localhost:5000/foo:pull'
"$regauth" inspect scope --lenient gitlab repository:localhost:5000/foo:pull
echo
echo '$ regauth inspect authorization "Bearer  eyJ..."   # two spaces: distribution v2.8 sees no token'
"$regauth" inspect authorization 'Bearer  eyJhbGciOiJSUzI1NiJ9.e30.c2ln'
