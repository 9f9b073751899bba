#!/usr/bin/env bash
# make run: runs regauth against the embedded reference target.
set -euo pipefail
regauth=${1:?usage: run-demo.sh PATH_TO_REGAUTH}
"$regauth" --help
