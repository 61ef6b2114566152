#!/usr/bin/python3
"""Read a kvsim HDF5 result file into plain rows (one dict per run and metric).

Uses Debian's python3-h5py, so it must run under Debian's interpreter (/usr/bin/python3), not a
python3 found first on PATH. Usage:

    /usr/bin/python3 tools/read_results.py OUT.h5

Each row: {"run": "run-0000", "point": "<sweep point>", "metric": ..., "value": ..., "unit": ...}.
Rows of this shape load straight into pandas with pandas.DataFrame(rows) where pandas exists.
"""
import sys

import h5py


def _text(x):
    return x.decode() if isinstance(x, bytes) else str(x)


def read_rows(path):
    rows = []
    with h5py.File(path, "r") as f:
        for run_name, run in f["runs"].items():
            point = _text(run.attrs["sweep_point"])
            for rec in run["metrics"][()]:
                rows.append({
                    "run": run_name,
                    "point": point,
                    "metric": _text(rec["name"]),
                    "value": float(rec["value"]),
                    "unit": _text(rec["unit"]),
                })
    return rows


def read_series(path, run_name, series):
    """One per-step series of one run as a list of floats, with its unit."""
    with h5py.File(path, "r") as f:
        ds = f["runs"][run_name]["series"][series]
        return list(ds[()]), _text(ds.attrs["unit"])


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    with h5py.File(argv[1], "r") as f:
        print("kvsim", _text(f.attrs["kvsim_version"]), "commit", _text(f.attrs["git_commit"]))
    for row in read_rows(argv[1]):
        print(f'{row["run"]:10} {row["metric"]:36} {row["value"]:>16.6g} {row["unit"]}')
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
