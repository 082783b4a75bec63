#!/bin/sh
# Runs tap (the whole suite, or the files and flags given), then prints the 10 slowest test files
# of this run, read from the results tap saves in .tap/test-results. The exit code is tap's, and
# the list comes after tap's own summary, so a failure stays the last thing tap said about it.
#   sh scripts/tap-run.sh                       # what `npm test` runs after its checks
#   sh scripts/tap-run.sh test/a.test.ts        # some files
set -u
cd "$(dirname "$0")/.."

# Results written after this marker belong to this run (older files may sit beside them).
marker=$(mktemp "${TMPDIR:-/tmp}/bluum-tap-run.XXXXXX")
trap 'rm -f "$marker"' EXIT

# tap builds its Test class for the plugin list in package.json, which leaves out
# @tapjs/typescript (tsx does the TypeScript). A fresh `npm ci` holds tap's default build, with
# that plugin; tap then rebuilds inside the run, but the runner has already read the default
# build's loaders and hands them to every test process: each file then loads the TypeScript
# plugin's loader too (on a fresh clone, 17 files took 127 s of CPU instead of 49 s). Built
# first, the run starts with the right one.
built=node_modules/@tapjs/test/test-built/dist/esm/index.js
if [ ! -f "$built" ] || grep -q '@tapjs/typescript' "$built"; then
  ./node_modules/.bin/tap build >/dev/null || exit $?
fi

./node_modules/.bin/tap "$@"
status=$?

# A file's last "# time=" line is its own wall time (subtests print theirs indented).
find .tap/test-results -name '*.tap' -newer "$marker" 2>/dev/null |
  while IFS= read -r file; do
    ms=$(sed -n 's/^# time=\([0-9.]*\)ms$/\1/p' "$file" | tail -n 1)
    name=${file#.tap/test-results/}
    printf '%s %s\n' "${ms:--1}" "${name%.tap}"
  done |
  sort -rn | head -n 10 |
  awk 'BEGIN { print "# 10 slowest test files (wall time of each, from .tap/test-results):" }
    { if ($1 < 0) printf "#   %8s  %s (no time: it did not finish)\n", "-", $2
      else printf "#   %6.1f s  %s\n", $1 / 1000, $2 }'

exit "$status"
