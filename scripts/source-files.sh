#!/usr/bin/env bash
# Lists the project's C++ sources: tracked plus untracked-but-not-ignored.
cd "$(dirname "$0")/.."
{ git ls-files '*.h' '*.cc'; git ls-files --others --exclude-standard '*.h' '*.cc'; } | sort -u
