#!/bin/sh
# The checks `npm test` runs before the suite, at the same time (each uses one core): the type
# check and the format check. Each one's output is printed whole once it ends, in this order; the
# exit code is non-zero if either failed. BLUUM_CHECKS names the checks to run (default
# "typecheck lint"); scripts/node-matrix.sh uses it to run a check once when later legs could not
# change its result.
set -u
cd "$(dirname "$0")/.."
checks=${BLUUM_CHECKS-typecheck lint}
dir=$(mktemp -d "${TMPDIR:-/tmp}/bluum-checks.XXXXXX")
trap 'rm -rf "$dir"' EXIT

for check in $checks; do
  case $check in
    typecheck | lint) ;;
    *) echo "static-checks: unknown check \"$check\" in BLUUM_CHECKS (typecheck, lint)" >&2; exit 2 ;;
  esac
done
pids=
for check in $checks; do
  npm run --silent "$check" >"$dir/$check.log" 2>&1 &
  pids="$pids $!"
done

status=0
set -- $pids
for check in $checks; do
  wait "$1" || status=1
  shift
  case $check in
    typecheck) echo "> typecheck (tsc --noEmit)" ;;
    lint) echo "> lint (prettier --check .)" ;;
  esac
  cat "$dir/$check.log"
done
[ -n "$checks" ] || echo "> no static check (BLUUM_CHECKS is empty)"
exit "$status"
