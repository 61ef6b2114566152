"""tests/python/kvsim_module_test.py — the kvsim Python module with Debian's python3 and pandas.

usage: PYTHONPATH=BUILD/python /usr/bin/python3 kvsim_module_test.py KVSIM SOURCE_DIR WORK_DIR
Runs a sweep from Python, reads back a file `kvsim sweep` wrote, and checks they agree value for
value; checks units, --set narrowing, one point, and that scenario errors are ValueErrors that
name file, line and key.
"""
import math
import os
import subprocess
import sys

import kvsim

binary, source, work = sys.argv[1:4]
os.makedirs(work, exist_ok=True)
sweep = os.path.join(source, "scenarios", "examples", "wan-bandwidth-sweep.toml")

df = kvsim.run(sweep, set={"workload.rounds": 5})
assert len(df) == 8, df
assert list(df.columns[:5]) == ["run", "sweep_index", "workload.message_size", "links.wan.bandwidth",
                                "links.wan.latency"], list(df.columns)
assert df.attrs["units"]["makespan"] == "s"
assert df["rounds"].tolist() == [5.0] * 8
assert df["links.wan.bandwidth"].tolist()[:4] == ["400 Mbit/s", "800 Mbit/s", "1600 Mbit/s", "1600 Mbit/s"]

# The same points through the command line: the file reads back to the same numbers.
out = os.path.join(work, "sweep.h5")
subprocess.run([binary, "sweep", sweep, "-o", out, "--set", "workload.rounds=5"], check=True,
               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
read = kvsim.read(out)
assert read["run"].tolist() == df["run"].tolist()
for column in ["makespan", "bytes_total", "link.wan.utilization"]:
    assert read[column].tolist() == df[column].tolist(), column  # bit for bit
records = kvsim.records(out)
assert records["campaign_points"] == 8 and len(records["runs"]) == 8
assert records["runs"][2]["parameters"]["links.wan.latency"] == '"20 ms"'
assert len(records["runs"][0]["series"]["round_time"]) == 5

# One point; a narrowed sweep.
one = kvsim.run(sweep, set={"workload.rounds": 5}, point=6)
assert one["run"].tolist() == ["run-0006"] and one["makespan"][0] == df["makespan"][6]
narrowed = kvsim.run(sweep, set={"workload.rounds": 5, "workload.message_size": "4 MiB"})
assert len(narrowed) == 4 and set(narrowed["workload.message_size"]) == {"4 MiB"}
assert not math.isnan(narrowed["makespan"][0])

# A scenario error is a ValueError naming file, line and key.
bad = os.path.join(work, "bad.toml")
with open(bad, "w") as f:
    f.write(f'base = "{sweep}"\n[workload]\nroundz = 3\n')
try:
    kvsim.run(bad)
except ValueError as e:
    assert f"{bad}:3:1: workload.roundz: unknown key" in str(e), str(e)
else:
    raise AssertionError("a bad scenario ran")
try:
    kvsim.run(sweep, point=8)
except IndexError as e:
    assert "numbered 0 to 7" in str(e)
else:
    raise AssertionError("point 8 of 8 ran")
print("kvsim", kvsim.__version__, "from Python: OK")
