#!/usr/bin/env bash
# CPU time per thread of a running engine, and each busy thread's top symbols, from Linux perf (Debian linux-perf).
#   load-tests/analysis/perf-threads.sh PID SECONDS OUT_DIR [TOP]     record, then report
#   load-tests/analysis/perf-threads.sh --report OUT_DIR [TOP]         report an OUT_DIR/perf.data again
# Start the engine with --perf-basic-prof so JavaScript frames have names, e.g.
#   npm run load -- --calls 150 --duration 60 --engine-node-arg=--perf-basic-prof &   # then, in steady state:
#   load-tests/analysis/perf-threads.sh "$(pgrep -of 'callguard.js serve')" 30 /tmp/perf
# Why perf and not --cpu-prof: V8's profiler samples on a wall-clock timer, so a thread that is runnable but not
# running (preempted on a busy box, e.g. right after postMessage wakes a worker) is charged to whatever it was in,
# and native code without V8 frames (PocketSphinx) shows as "(program)". perf's cpu-clock event samples a thread only
# while it runs on a CPU. Threads are numbered, not named: tell them apart by their symbols (model and front-end:
# actor workers; recvmsg, jitter buffer: RTP I/O; libpocketsphinx: recognition; the lowest number: the main thread).
set -eu
usage() { sed -n 2,12p "$0" | sed 's/^# \{0,1\}//'; exit 2; }
if [ "${1:-}" = "--report" ]; then
  [ $# -ge 2 ] || usage
  out=$2 top=${3:-25} secs=$(grep -o 'sleep [0-9]*' "$2/record.log" 2>/dev/null | grep -o '[0-9]*' || echo '?')
else
  [ $# -ge 3 ] || usage
  pid=$1 secs=$2 out=$3 top=${4:-25}
  # An empty pgrep would shift the arguments and record into a directory named after TOP.
  case "$pid" in '' | *[!0-9]*) echo "not a process id: '$pid'" >&2; exit 2 ;; esac
  [ -d "/proc/$pid" ] || { echo "no process $pid" >&2; exit 2; }
  case "$secs" in '' | *[!0-9]*) echo "not a number of seconds: '$secs'" >&2; exit 2 ;; esac
  mkdir -p "$out"
  echo "perf record -e cpu-clock -F 999 -g -p $pid -- sleep $secs" > "$out/record.log"
  if ! perf record -e cpu-clock -F 999 -g -p "$pid" -o "$out/perf.data" -- sleep "$secs" 2>> "$out/record.log"; then
    echo "perf record failed:" >&2
    cat "$out/record.log" >&2
    exit 1
  fi
fi
if [ ! -s "$out/perf.data" ]; then echo "no perf.data in $out" >&2; exit 1; fi
perf report -i "$out/perf.data" --no-children --sort pid --stdio -g none 2>/dev/null | grep '%' > "$out/threads.txt" || true
{
  echo "# $(grep -c . "$out/threads.txt") threads sampled for ${secs} s at 999 Hz; % of all samples"
  for tid in $(awk '$1+0 >= 1 {split($2, a, ":"); print a[1]}' "$out/threads.txt"); do
    echo "== thread $tid ($(awk -v t="$tid:" '$2 ~ "^" t {print $1}' "$out/threads.txt") of all samples)"
    # head closes the pipe early: perf and grep then die of SIGPIPE, which is not an error here.
    { perf report -i "$out/perf.data" --no-children --tid "$tid" --sort dso,symbol --stdio -g none 2>/dev/null |
      grep '%' | head -"$top" | sed 's/  */ /g'; } || true
  done
} > "$out/symbols.txt"
echo "wrote $out/threads.txt and $out/symbols.txt"
