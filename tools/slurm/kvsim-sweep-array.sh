#!/usr/bin/env bash
# kvsim-sweep-array.sh — a kvsim sweep as a Slurm job array: one shard per array task, then a
# merge job once every task has ended.
#
# usage: kvsim-sweep-array.sh SCENARIO OUTDIR [--shards N] [--throttle M] [--kvsim PATH]
#                             [--set k=v]... [-- SBATCH_ARGS...]
#
# Contract:
# - The number of array tasks is N (default: one per point), never more than the sweep's points
#   and never more than the cluster's MaxArraySize (read from `scontrol show config`; array
#   indices must stay below it). `--throttle M` runs at most M tasks at once (`--array=0-K%M`).
# - Task I runs `kvsim sweep SCENARIO -o OUTDIR/shard-I.h5 --shard I/N --resume`: a task that is
#   requeued or preempted resumes its own finished points (OUTDIR/shard-I.h5.points/).
# - The merge job (`--dependency=afterany` on the array) runs `kvsim merge OUTDIR/merged.h5` over
#   the N shard files: it refuses, naming the points, if a task left no file; failed points are
#   recorded in the shards and carried into the merge. Logs go to OUTDIR/logs/.
# - SBATCH_ARGS (partition, account, time, ...) are given to both sbatch calls. Prints the job ids.
set -euo pipefail

usage() { sed -n 4,5p "$0" | sed 's/^# //' >&2; exit 2; }
[ $# -ge 2 ] || usage
scenario=$(realpath "$1"); outdir=$2; shift 2
shards=""; throttle=""; kvsim=${KVSIM:-kvsim}; sets=(); sbatch_args=()
while [ $# -gt 0 ]; do
  case $1 in
    --shards) shards=$2; shift 2 ;;
    --throttle) throttle=$2; shift 2 ;;
    --kvsim) kvsim=$2; shift 2 ;;
    --set) sets+=(--set "$2"); shift 2 ;;
    --) shift; sbatch_args=("$@"); break ;;
    *) echo "kvsim-sweep-array: unknown option '$1'" >&2; usage ;;
  esac
done
kvsim=$(command -v "$kvsim") || { echo "kvsim-sweep-array: no kvsim executable (give --kvsim PATH)" >&2; exit 2; }
mkdir -p "$outdir/logs"
outdir=$(realpath "$outdir")

points=$("$kvsim" sweep "$scenario" --count "${sets[@]}")
max_array=$(scontrol show config 2>/dev/null | awk -F= '/^MaxArraySize/ {gsub(/ /, "", $2); print $2}')
max_array=${max_array:-1001}  # Slurm's default
n=${shards:-$points}
[ "$n" -le "$points" ] || n=$points
[ "$n" -le "$max_array" ] || n=$max_array
[ "$n" -ge 1 ] || { echo "kvsim-sweep-array: nothing to run" >&2; exit 2; }
range="0-$((n - 1))${throttle:+%$throttle}"

quoted_sets=""
for s in "${sets[@]}"; do quoted_sets+=" $(printf '%q' "$s")"; done
cat > "$outdir/shard.sbatch" <<SCRIPT
#!/usr/bin/env bash
#SBATCH --job-name=kvsim-sweep
#SBATCH --output=$outdir/logs/shard-%a.log
exec $(printf '%q' "$kvsim") sweep $(printf '%q' "$scenario") -o "$outdir/shard-\${SLURM_ARRAY_TASK_ID}.h5" \\
  --shard "\${SLURM_ARRAY_TASK_ID}/$n" --resume$quoted_sets
SCRIPT
parts=""
for ((i = 0; i < n; i++)); do parts+=" $(printf '%q' "$outdir/shard-$i.h5")"; done
cat > "$outdir/merge.sbatch" <<SCRIPT
#!/usr/bin/env bash
#SBATCH --job-name=kvsim-merge
#SBATCH --output=$outdir/logs/merge.log
exec $(printf '%q' "$kvsim") merge $(printf '%q' "$outdir/merged.h5")$parts
SCRIPT

array_job=$(sbatch --parsable --array="$range" "${sbatch_args[@]}" "$outdir/shard.sbatch")
array_job=${array_job%%;*}
merge_job=$(sbatch --parsable --dependency="afterany:$array_job" "${sbatch_args[@]}" "$outdir/merge.sbatch")
echo "kvsim-sweep-array: $points points in $n shards (array $range, MaxArraySize $max_array): job $array_job;" \
     "merge job ${merge_job%%;*} writes $outdir/merged.h5"
