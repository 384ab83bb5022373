#!/bin/bash
# Builds a two-channel 8 kHz µ-law "call" from Emo-DB takes for `callguard analyze` (the README's example):
# channel 0 (caller) = takes of one speaker and emotion, channel 1 (callee) = takes of another, each looped to SECONDS.
#   docs/examples/emodb-call.sh OUT.wav CALLER_GLOB CALLEE_GLOB [SECONDS]
#   docs/examples/emodb-call.sh /tmp/scam.wav '11*W*' '16*A*' 60     # angry caller, afraid callee
#   docs/examples/emodb-call.sh /tmp/calm.wav '11*N*' '16*N*' 60     # the same speakers, neutral
set -euo pipefail
out=$1; caller=$2; callee=$3; seconds=${4:-60}
data=${EMODB_DIR:-$(dirname "$0")/../../../shared/data/emodb-8k}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
leg() { # $1 glob, $2 output: the takes in name order, looped until long enough, cut to $seconds
  local files=("$data"/$1); [ -e "${files[0]}" ] || { echo "no Emo-DB takes match $1 in $data" >&2; exit 2; }
  local list=() total=0
  while [ "$total" -lt "$seconds" ]; do
    for f in "${files[@]}"; do list+=("$f"); done
    total=$(sox "${list[@]}" -n stat 2>&1 | awk '/Length/ {print int($3)}')
  done
  sox "${list[@]}" -e signed-integer -b 16 "$2" trim 0 "$seconds"
}
leg "$caller" "$tmp/a.wav"
leg "$callee" "$tmp/b.wav"
sox -M "$tmp/a.wav" "$tmp/b.wav" -e mu-law -b 8 "$out"
echo "$out: $(soxi -D "$out") s, $(soxi -c "$out") channels"
