#!/bin/bash
# Usage: load-tests/analysis/arrival-cost-runs.sh [OUT_DIR]   (default /tmp/caps; needs a build: npm run build)
# Call-arrival cost: the same concurrency (150), calls of 10 s against calls of 60 s, interleaved twice (seeds 1 and 2),
# 300 s each; one report per run in OUT_DIR/d<seconds>-r<round>. About 25 minutes of both cores.
set -eu
case "${1:-}" in -h|--help) sed -n "2s/^# //p" "$0"; exit 0;; esac
OUT=${1:-/tmp/caps}
cd "$(dirname "$0")/../.."
for round in 1 2; do
  for d in 10 60; do
    out=$OUT/d$d-r$round; mkdir -p "$out"
    node dist/load-tests/run-load.js --soak 300 --soak-warm-up 60 --calls 150 --duration $d --scam-fraction 0.3 --seed $round --out "$out" > "$out/run.log" 2>&1
  done
done
