#!/usr/bin/env bash
# Runs the whole suite (`npm test`) several times in a row beside a CPU hog that keeps every core
# busy, to prove the tests wait for events rather than race the clock: a loaded CI runner must
# not turn them red. Prints each run's wall time and result, then a summary; exits non-zero if
# any run failed. Logs go to $STRESS_DIR (default .tmp/stress), one per run.
#
#   bash scripts/stress-suite.sh                 # 3 runs, one hog per core
#   STRESS_RUNS=1 STRESS_HOGS=4 bash scripts/stress-suite.sh
#
# Bounded: each run is stopped after STRESS_RUN_LIMIT seconds (default 3600), the hogs after
# all runs or on any exit (Ctrl-C included); the hogs are plain busy loops at normal priority,
# so they compete with the tests for every core, and they stop by themselves after the limit of
# all runs even if this script is killed with SIGKILL.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

runs=${STRESS_RUNS:-3}
hogs=${STRESS_HOGS:-$(getconf _NPROCESSORS_ONLN)}
run_limit=${STRESS_RUN_LIMIT:-3600}
logs=${STRESS_DIR:-$root/.tmp/stress}
mkdir -p "$logs"

hog_pids=()
run_pid=
stop_hogs() {
  for pid in "${hog_pids[@]}"; do kill "$pid" 2>/dev/null; done
  wait "${hog_pids[@]}" 2>/dev/null
  hog_pids=()
}
# `timeout` runs the suite in a process group of its own, out of reach of Ctrl-C: pass the signal
# on (timeout forwards it to the whole group), then leave.
on_signal() {
  [ -z "$run_pid" ] || kill -TERM "$run_pid" 2>/dev/null
  exit 130
}
trap stop_hogs EXIT
trap on_signal INT TERM

# `timeout` ends each hog by itself after every run could have used its whole limit.
hog_limit=$((runs * run_limit + 60))
for _ in $(seq "$hogs"); do
  timeout "$hog_limit" sh -c 'while :; do :; done' &
  hog_pids+=("$!")
done
echo "stress-suite: $hogs CPU hog(s) running on $(getconf _NPROCESSORS_ONLN) core(s); $runs run(s) of npm test"

results=()
failed=0
for i in $(seq "$runs"); do
  log=$logs/run-$i.log
  echo "stress-suite: run $i of $runs ($(uptime | sed 's/.*load average/load average/'))"
  started=$(date +%s)
  timeout --kill-after=30 "$run_limit" npm test >"$log" 2>&1 &
  run_pid=$!
  wait "$run_pid"
  status=$?
  run_pid=
  seconds=$(($(date +%s) - started))
  summary=$(grep -E '^# \{ total: [0-9]+' "$log" | tail -n 1)
  result="run $i: exit $status, $((seconds / 60)) min $((seconds % 60)) s, ${summary:-no tap summary} (log: $log)"
  echo "stress-suite: $result"
  results+=("$result")
  [ "$status" -eq 0 ] || failed=$((failed + 1))
done
stop_hogs

echo
printf '%s\n' "${results[@]}"
echo "stress-suite: $((runs - failed)) of $runs run(s) passed beside $hogs CPU hog(s)"
[ "$failed" -eq 0 ]
