#!/bin/bash
# every 60 s: memory gauges; every 120 s: full smaps of the engine
PID=$1; URL=$2; OUT=$3; i=0
while kill -0 $PID 2>/dev/null; do
  t=$(date +%s)
  { echo "# t=$t"; curl -s $URL/metrics | grep -E '^callguard_(worker_heap_space_bytes|worker_heap_total_bytes|worker_backend_memory_bytes|worker_external_memory_bytes|call_slab_bytes|nodejs_heap_space_size_total_bytes|nodejs_heap_size_total_bytes|nodejs_external_memory_bytes|process_resident_memory_bytes|active_calls )'; } >> $OUT/gauges.txt
  if (( i % 2 == 0 )); then cat /proc/$PID/smaps > $OUT/smaps-$t.txt 2>/dev/null; ls /proc/$PID/task | wc -l > $OUT/threads-$t.txt; fi
  i=$((i+1)); sleep 60
done
