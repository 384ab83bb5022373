#!/bin/bash
# Call-arrival cost: same concurrency (150), short calls vs long calls, interleaved twice.
cd /work/main
for round in 1 2; do
  for d in 10 60; do
    out=/tmp/caps/d$d-r$round; mkdir -p $out
    node dist/load-tests/run-load.js --soak 300 --soak-warm-up 60 --calls 150 --duration $d --scam-fraction 0.3 --seed $round --out $out > $out/run.log 2>&1
  done
done
