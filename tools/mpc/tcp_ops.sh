#!/bin/bash
# tools/mpc/tcp_ops.sh — the MPC benchmark anchors over three TCP processes on loopback.
#
# Usage: tools/mpc/tcp_ops.sh [KVSIM] [FAMILY]   (defaults: build/app/kvsim, aby3)
# Runs `kvsim party --program op` for each anchor (128x768 by 768x768 matmul, 100,000
# less-than, exp and equality, one-hot of 1,024 classes x 4,096 indices) as parties 0, 1, 2 and
# prints one line per op: the slowest party's op time on its first run and on its last of
# REPEAT runs (default 3: the steady state, memory already touched), the bytes each party sent
# and the rounds (per run). The op time is the op alone (inputs excluded), as each party's wall
# clock measures it.
set -euo pipefail
kvsim=${1:-build/app/kvsim}
family=${2:-aby3}
repeat=${REPEAT:-3}
base=$((20000 + RANDOM % 20000))
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
run() {  # op, extra args
  local op=$1; shift
  local peers="127.0.0.1:$base,127.0.0.1:$((base + 1)),127.0.0.1:$((base + 2))"
  base=$((base + 3))
  for id in 0 1 2; do
    "$kvsim" party --id "$id" --peers "$peers" --protocol "$family" --program op --op "$op" --repeat "$repeat" "$@" > "$tmp/$id.out" &
  done
  wait
  local first slowest bytes rounds
  first=$(awk '/^op_first_seconds/ {print $2}' "$tmp"/*.out | sort -g | tail -1)
  slowest=$(awk '/^op_seconds/ {print $2}' "$tmp"/*.out | sort -g | tail -1)
  bytes=$(for id in 0 1 2; do awk '/^op_bytes_sent/ {print $2}' "$tmp/$id.out"; done | paste -sd/)
  rounds=$(awk '/^op_rounds/ {print $2}' "$tmp/0.out")
  printf '%-10s %-22s first %8.4f s  steady %8.4f s   bytes sent %s   rounds %s\n' "$op" "$*" "$first" "$slowest" "$bytes" "$rounds"
}
echo "# $family over TCP on loopback, $(nproc) cores, $(date -u +%Y-%m-%d)"
run matmul --m 128 --k 768 --n 768
run less-than --n 100000
run exp --n 100000
run equality --n 100000
run one-hot --n 4096 --classes 1024
