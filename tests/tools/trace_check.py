"""tests/tools/trace_check.py — `kvsim run --trace` for one scenario of every kind: each trace is
valid trace-event JSON that Perfetto draws without dropping events.

usage: /usr/bin/python3 trace_check.py KVSIM SOURCE_DIR WORK_DIR
Checks per trace: an object with `traceEvents`; every complete ("X") event has numeric ts >= 0
and dur >= 0, a pid and tid named by process_name/thread_name metadata; on every (pid, tid) the
events nest (none overlaps another partially), since viewers drop or misdraw those; the events'
byte counts are integers. Every kind is expected to put something on the timeline.
"""
import json
import os
import subprocess
import sys
from decimal import Decimal

binary, source, work = sys.argv[1:4]
os.makedirs(work, exist_ok=True)
scenarios = {
    "exchange": "examples/lan-wan-exchange.toml",
    "decode": "examples/decode-7b-a100.toml",
    "solve-cost": "datarus/s1-cost-per-solved.toml",
    "grpo-rollout": "datarus/s2-grpo-rollout.toml",
    "reference-sharding": "datarus/s3-reference-sharding.toml",
    "agentic-turns": "datarus/s4-agentic-turns.toml",
    "speculative": "triforce/table4-triforce.toml",
    "speculative-levels": "triforce/fig1.toml",
    "kv-quality": "mpcache/quality.toml",
    "private-decode": "mpcache/ablation.toml",
    "mpc-gather": "mpcache/token-gather.toml",
}
kinds = subprocess.run([binary, "list", "kinds"], capture_output=True, text=True, check=True).stdout
listed = {line.split(" — ")[0] for line in kinds.splitlines() if " — " in line and not line.startswith(" ")}
assert listed == set(scenarios), f"kinds without a trace check: {sorted(listed - set(scenarios))}"

failures = []
for kind, rel in scenarios.items():
    path = os.path.join(work, kind + ".json")
    if os.path.exists(path):
        os.remove(path)
    run = subprocess.run([binary, "run", os.path.join(source, "scenarios", rel), "--point", "0", "--trace", path],
                         capture_output=True, text=True)
    if run.returncode != 0:
        failures.append(f"{kind}: kvsim run failed: {run.stderr.strip()[-300:]}")
        continue
    if not os.path.exists(path):
        failures.append(f"{kind}: no trace written ({run.stderr.strip()})")
        continue
    # Exact decimal microseconds: compare as integers of picoseconds.
    with open(path) as f:
        trace = json.load(f, parse_float=Decimal)
    events = trace["traceEvents"]
    names = {(e["pid"], e.get("tid")) for e in events if e["ph"] == "M"}
    pids = {e["pid"] for e in events if e["ph"] == "M" and e["name"] == "process_name"}
    tracks = {}
    for e in events:
        if e["ph"] != "X":
            continue
        ts, dur = int(Decimal(e["ts"]) * 1000000), int(Decimal(e["dur"]) * 1000000)
        assert ts >= 0 and dur >= 0, e
        assert e["pid"] in pids and (e["pid"], e["tid"]) in names, f"{kind}: unnamed track in {e}"
        assert isinstance(e["args"]["bytes"], int), e
        tracks.setdefault((e["pid"], e["tid"]), []).append((ts, ts + dur, e["name"]))
    if not tracks:
        failures.append(f"{kind}: the trace has no events")
        continue
    for track, spans in tracks.items():
        spans.sort(key=lambda s: (s[0], -s[1]))
        open_ends = []
        for start, end, name in spans:
            while open_ends and open_ends[-1] <= start:
                open_ends.pop()
            if open_ends and end > open_ends[-1]:
                failures.append(f"{kind}: on track {track} '{name}' [{start}, {end}] ps overlaps an event ending at "
                                f"{open_ends[-1]} without nesting")
                break
            open_ends.append(end)
    print(f"{kind}: {sum(len(s) for s in tracks.values())} events on {len(tracks)} tracks")
if failures:
    print("\n".join(failures))
    sys.exit(1)
print("PASS")
