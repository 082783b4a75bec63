#!/bin/sh
# The checks `npm test` runs before the suite, all at once (each is mostly one core): the type
# check, the format check and the import-cycle check. Each one's output is printed whole once it
# ends, in this order; the exit code is non-zero if any failed. BLUUM_CHECKS names the npm
# scripts to run (default "typecheck lint check:cycles"); scripts/node-matrix.sh uses it to run a
# check once when later legs could not change its result.
set -u
cd "$(dirname "$0")/.."
all="typecheck lint check:cycles"
checks=${BLUUM_CHECKS-$all}
dir=$(mktemp -d "${TMPDIR:-/tmp}/bluum-checks.XXXXXX")
trap 'rm -rf "$dir"' EXIT

for check in $checks; do
  case " $all " in
    *" $check "*) ;;
    *) echo "static-checks: unknown check \"$check\" in BLUUM_CHECKS (one of: $all)" >&2; exit 2 ;;
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
  if wait "$1"; then result=ok; else result=FAILED; status=1; fi
  shift
  echo "> npm run $check: $result"
  cat "$dir/$check.log"
done
[ -n "$checks" ] || echo "> no static check (BLUUM_CHECKS is empty)"
exit "$status"
