#!/usr/bin/env bash
# tests/tools/slurm_array_test.sh — tools/slurm/kvsim-sweep-array.sh against a stand-in Slurm:
# `sbatch` runs each array task (and then the merge) at once, `scontrol` reports MaxArraySize=3.
# Checks the shard count is capped by MaxArraySize, the throttle reaches sbatch, and the merged
# file equals a plain sweep (kvsim diff).
# usage: slurm_array_test.sh KVSIM SOURCE_DIR WORK_DIR
set -euo pipefail
kvsim=$1; src=$2; work=$3
rm -rf "$work"; mkdir -p "$work/bin"

cat > "$work/bin/scontrol" <<'FAKE'
#!/usr/bin/env bash
echo "MaxArraySize            = 3"
FAKE
cat > "$work/bin/sbatch" <<FAKE
#!/usr/bin/env bash
# Records its arguments; runs the script: every index of --array=A-B[%M], else once.
echo "sbatch \$*" >> "$work/sbatch.log"
array=""; script=""
for a in "\$@"; do
  case \$a in --array=*) array=\${a#--array=} ;; --*) ;; *) script=\$a ;; esac
done
if [ -n "\$array" ]; then
  range=\${array%%%*}
  for ((i = \${range%-*}; i <= \${range#*-}; i++)); do SLURM_ARRAY_TASK_ID=\$i bash "\$script" > "$work/task-\$i.log" 2>&1 || true; done
  echo 4242
else
  bash "\$script" > "$work/merge.log" 2>&1
  echo 4243
fi
FAKE
chmod +x "$work/bin/scontrol" "$work/bin/sbatch"

cat > "$work/sweep.toml" <<TOML
base = "$src/scenarios/examples/lan-wan-exchange.toml"
[workload]
rounds = 200
[sweep]
"seed" = [1, 2, 3, 4, 5, 6, 7, 8]
TOML

PATH="$work/bin:$PATH" "$src/tools/slurm/kvsim-sweep-array.sh" "$work/sweep.toml" "$work/out" --throttle 2 --kvsim "$kvsim" \
  -- --partition=test > "$work/submit.log"
cat "$work/submit.log"
grep -q "8 points in 3 shards (array 0-2%2, MaxArraySize 3)" "$work/submit.log" || { echo "FAIL: shard count or throttle"; exit 1; }
grep -q -- "--array=0-2%2 --partition=test" "$work/sbatch.log" || { echo "FAIL: sbatch arguments"; cat "$work/sbatch.log"; exit 1; }
grep -q -- "--dependency=afterany:4242" "$work/sbatch.log" || { echo "FAIL: merge dependency"; exit 1; }
[ -f "$work/out/merged.h5" ] || { echo "FAIL: no merged file"; cat "$work"/*.log; exit 1; }
"$kvsim" sweep "$work/sweep.toml" -o "$work/plain.h5" 2> /dev/null > /dev/null
"$kvsim" diff "$work/out/merged.h5" "$work/plain.h5"
echo "PASS"
