#!/usr/bin/env bash
# Fails when a tracked C++ file differs from what .clang-format (Google, 100 columns) produces.
set -euo pipefail
cd "$(dirname "$0")/.."
files=$(bash scripts/source-files.sh)
[ -n "$files" ] || exit 0
if ! echo "$files" | xargs clang-format-14 --dry-run --Werror 2>/tmp/regauth-format.$$; then
  grep -E '^[^ ].*: (error|warning)' /tmp/regauth-format.$$ | cut -d: -f1 | sort -u | sed 's/^/  needs clang-format: /' >&2
  rm -f /tmp/regauth-format.$$
  echo "format-check: run 'make format'" >&2
  exit 1
fi
rm -f /tmp/regauth-format.$$
