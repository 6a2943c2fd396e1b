#!/usr/bin/env bash
# Runs one set-up step and appends "step<TAB>seconds<TAB>when" to LOG, which `copilot doctor` reads.
# Usage: scripts/timed.sh LOG "step name" command [args...]
set -euo pipefail
log=$1 name=$2
shift 2
start=$(date +%s.%N)
"$@"
mkdir -p "$(dirname "$log")"
awk -v a="$start" -v b="$(date +%s.%N)" -v n="$name" -v w="$(date -u +%FT%TZ)" \
  'BEGIN { printf "%s\t%.1f\t%s\n", n, b - a, w }' >>"$log"
