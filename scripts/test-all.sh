#!/bin/sh
# What `npm test` runs once the servers' programs are there: the static checks
# (scripts/static-checks.sh: types, format, import cycles) and the tap suite
# (scripts/tap-run.sh) side by side. The checks are mostly one tsc process that would otherwise
# hold the suite back for about 20 s on two cores; beside tap's first files they fill the
# cores instead. Their report is printed after tap's summary and its slowest files, and the
# exit code is non-zero if either failed.
#
# BLUUM_EXCLUDE_TESTS (space-separated test files) leaves those files out of the suite; the
# summary names them. scripts/node-matrix.sh uses it for the files a later leg would only repeat.
set -u
cd "$(dirname "$0")/.."
report=$(mktemp "${TMPDIR:-/tmp}/bluum-checks-report.XXXXXX")
trap 'rm -f "$report"' EXIT

sh scripts/static-checks.sh >"$report" 2>&1 &
checks=$!
for file in ${BLUUM_EXCLUDE_TESTS:-}; do set -- "--exclude=$file" "$@"; done
sh scripts/tap-run.sh "$@"
suite=$?
for file in ${BLUUM_EXCLUDE_TESTS:-}; do echo "# not run here (BLUUM_EXCLUDE_TESTS): $file"; done
wait "$checks"
checked=$?

echo "# static checks (run beside the suite):"
cat "$report"
if [ "$checked" -ne 0 ]; then echo "# static checks FAILED"; fi
[ "$suite" -eq 0 ] && [ "$checked" -eq 0 ]
