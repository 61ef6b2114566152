#!/usr/bin/env bash
# tests/tools/plot_test.sh — tools/plot.py draws a sweep and a reproduction into PNG files, and
# names a missing column instead of drawing nothing.
# usage: plot_test.sh KVSIM SOURCE_DIR WORK_DIR
set -euo pipefail
kvsim=$1; src=$2; work=$3
rm -rf "$work"; mkdir -p "$work"
"$kvsim" sweep "$src/scenarios/examples/wan-bandwidth-sweep.toml" -o "$work/sweep.h5" > /dev/null 2>&1
/usr/bin/python3 "$src/tools/plot.py" sweep "$work/sweep.h5" --x links.wan.latency --y makespan \
  --by workload.message_size -o "$work/sweep.png"
"$kvsim" reproduce datarus -o "$work/repro.h5" > /dev/null 2>&1
/usr/bin/python3 "$src/tools/plot.py" reproduction "$work/repro.h5" --table s2-grpo-rollout -o "$work/repro.png"
for f in sweep.png repro.png; do
  head -c 8 "$work/$f" | od -An -tx1 | grep -q "89 50 4e 47 0d 0a 1a 0a" || { echo "FAIL: $f is not a PNG"; exit 1; }
done
if /usr/bin/python3 "$src/tools/plot.py" sweep "$work/sweep.h5" --x nope --y makespan -o "$work/x.png" 2> "$work/err.txt"; then
  echo "FAIL: a missing column was not refused"; exit 1
fi
grep -q "no column 'nope'" "$work/err.txt" || { echo "FAIL: unclear message"; cat "$work/err.txt"; exit 1; }
echo PASS
