#!/bin/bash
# Usage: load-tests/analysis/memory-poll.sh ENGINE_PID HTTP_BASE OUT_DIR   (e.g. 12345 http://127.0.0.1:43371 /tmp/soak-mem)
# While a soak runs, appends the engine's memory gauges to OUT_DIR/gauges.txt every 60 s and copies /proc/PID/smaps to
# OUT_DIR/smaps-<epoch>.txt every 120 s; stops when the engine exits. Read them with memory-gauges.py,
# smaps-categories.py and soak-slopes.py.
set -u
if [ $# -ne 3 ]; then sed -n "2s/^# //p" "$0" >&2; exit 2; fi
PID=$1; URL=$2; OUT=$3; i=0
mkdir -p "$OUT"
while kill -0 "$PID" 2>/dev/null; do
  t=$(date +%s)
  { echo "# t=$t"; curl -s "$URL/metrics" | grep -E '^callguard_(worker_heap_space_bytes|worker_heap_total_bytes|worker_backend_memory_bytes|worker_external_memory_bytes|call_slab_bytes|nodejs_heap_space_size_total_bytes|nodejs_heap_size_total_bytes|nodejs_external_memory_bytes|process_resident_memory_bytes|active_calls )'; } >> "$OUT/gauges.txt"
  if (( i % 2 == 0 )); then cat "/proc/$PID/smaps" > "$OUT/smaps-$t.txt" 2>/dev/null; ls "/proc/$PID/task" | wc -l > "$OUT/threads-$t.txt"; fi
  i=$((i+1)); sleep 60
done
