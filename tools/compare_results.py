#!/usr/bin/python3
"""Compare the figures of two kvsim HDF5 result files, ignoring provenance.

A refactor that promises "no change in figures" is checked with it: run `kvsim reproduce all`
before and after, then

    /usr/bin/python3 tools/compare_results.py BEFORE.h5 AFTER.h5 [--rtol R] [--loose KIND ...]

Compared: every run's metrics (name, unit, value), its series, and every `/reproduce` table
(row, metric, unit, simulated, paper). Not compared: root attributes (version, commit, time,
host, command), `wall_time_s`, the scenario text and hash (a refactor may add defaults), and the
timeline summary (a kind that starts running on the engine fills it). Values must be
bit-identical (NaN equals NaN) unless `--rtol` is given; `--loose KIND` applies `--loose-rtol`
(default 1e-9) only to runs of that kind and to the reproduce tables whose runs are of it (a
kind moved onto the engine rounds each charged duration to a picosecond).

Uses Debian's python3-h5py: run it with /usr/bin/python3. Exit 0 when equal, 1 with a list of
differences otherwise, 2 on bad usage.
"""
import argparse
import math
import re
import sys

import h5py


def _text(x):
    return x.decode() if isinstance(x, bytes) else str(x)


def _same(a, b, rtol):
    if math.isnan(a) and math.isnan(b):
        return True
    if rtol == 0:
        return a == b
    return abs(a - b) <= rtol * max(abs(a), abs(b))


def _runs(f):
    out = {}
    for name, run in f["runs"].items():
        metrics = {(_text(r["name"]), _text(r["unit"])): float(r["value"]) for r in run["metrics"][()]}
        series = {}
        if "series" in run:
            for sname, ds in run["series"].items():
                series[sname] = [float(v) for v in ds[()]]
        out[name] = {"kind": _text(run.attrs["kind"]), "metrics": metrics, "series": series}
    return out


def _tables(f):
    out = {}
    if "reproduce" not in f:
        return out
    for repro, group in f["reproduce"].items():
        for table, ds in group.items():
            rows = {}
            for r in ds[()]:
                key = (_text(r["row"]), _text(r["metric"]), _text(r["unit"]))
                rows[key] = (float(r["simulated"]), float(r["paper"]))
            out[f"{repro}/{table}"] = rows
    return out


def compare(before, after, rtol, loose_kinds, loose_rtol):
    diffs = []
    with h5py.File(before, "r") as fa, h5py.File(after, "r") as fb:
        ra, rb = _runs(fa), _runs(fb)
        for name in sorted(set(ra) ^ set(rb)):
            diffs.append(f"run {name}: only in {'BEFORE' if name in ra else 'AFTER'}")
        loose_tables = set()
        for name in sorted(set(ra) & set(rb)):
            a, b = ra[name], rb[name]
            tol = loose_rtol if a["kind"] in loose_kinds else rtol
            table = re.match(r"^(.*)-\d+-\d+$", name)  # reproduce names runs <table>-<n>-<index>
            if a["kind"] in loose_kinds and table:
                loose_tables.add(table.group(1))
            for key in sorted(set(a["metrics"]) ^ set(b["metrics"])):
                diffs.append(f"run {name}: metric {key[0]} [{key[1]}] only in {'BEFORE' if key in a['metrics'] else 'AFTER'}")
            for key in sorted(set(a["metrics"]) & set(b["metrics"])):
                va, vb = a["metrics"][key], b["metrics"][key]
                if not _same(va, vb, tol):
                    diffs.append(f"run {name}: metric {key[0]}: {va!r} -> {vb!r}")
            for s in sorted(set(a["series"]) | set(b["series"])):
                sa, sb = a["series"].get(s), b["series"].get(s)
                if sa is None or sb is None or len(sa) != len(sb) or not all(_same(x, y, tol) for x, y in zip(sa, sb)):
                    diffs.append(f"run {name}: series {s} differs")
        ta, tb = _tables(fa), _tables(fb)
        for t in sorted(set(ta) ^ set(tb)):
            diffs.append(f"table {t}: only in {'BEFORE' if t in ta else 'AFTER'}")
        for t in sorted(set(ta) & set(tb)):
            tol = loose_rtol if t.split("/", 1)[1] in loose_tables else rtol
            for key in sorted(set(ta[t]) ^ set(tb[t])):
                diffs.append(f"table {t}: row {key} only in {'BEFORE' if key in ta[t] else 'AFTER'}")
            for key in sorted(set(ta[t]) & set(tb[t])):
                (sa, pa), (sb, pb) = ta[t][key], tb[t][key]
                if not _same(sa, sb, tol) or not _same(pa, pb, 0):
                    diffs.append(f"table {t}: {key}: simulated {sa!r} -> {sb!r}, paper {pa!r} -> {pb!r}")
    return diffs


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("before")
    p.add_argument("after")
    p.add_argument("--rtol", type=float, default=0.0, help="relative tolerance for every value (default 0: bit-identical)")
    p.add_argument("--loose", action="append", default=[], metavar="KIND", help="kind compared with --loose-rtol")
    p.add_argument("--loose-rtol", type=float, default=1e-9)
    args = p.parse_args(argv)
    try:
        diffs = compare(args.before, args.after, args.rtol, set(args.loose), args.loose_rtol)
    except (OSError, KeyError) as e:
        print(f"compare_results: {e}", file=sys.stderr)
        return 2
    for d in diffs:
        print(d)
    print(f"compare_results: {len(diffs)} difference(s)" if diffs else "compare_results: identical figures")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
