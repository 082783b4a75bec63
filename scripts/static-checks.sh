#!/bin/sh
# The checks `npm test` runs before the suite, at the same time (each uses one core): the type
# check and the format check. Each one's output is printed whole once it ends, in this order; the
# exit code is non-zero if either failed.
set -u
cd "$(dirname "$0")/.."
dir=$(mktemp -d "${TMPDIR:-/tmp}/bluum-checks.XXXXXX")
trap 'rm -rf "$dir"' EXIT

npm run --silent typecheck >"$dir/typecheck.log" 2>&1 &
typecheck=$!
npm run --silent lint >"$dir/lint.log" 2>&1 &
lint=$!

status=0
wait "$typecheck" || status=1
echo "> typecheck (tsc --noEmit)"
cat "$dir/typecheck.log"
wait "$lint" || status=1
echo "> lint (prettier --check .)"
cat "$dir/lint.log"
exit "$status"
