#!/usr/bin/python3
"""tools/plot.py — figures from kvsim result files (Debian's python3-h5py and python3-matplotlib).

  plot.py sweep OUT.h5 --x PARAM --y METRIC [--by PARAM] [--logx] [--logy] -o FIG.png
      a sweep's metric against a swept parameter, one line per value of --by
  plot.py reproduction OUT.h5 [--table NAME]... -o FIG.png
      simulated vs paper values of `kvsim reproduce -o` tables as paired bars, one panel a table

Reads only the file (the tidy table /table and /reproduce/...; results/SCHEMA.md), so it works on
any machine with the file. Text parameters (quantities such as "2 Gbit/s") are plotted in the
order the sweep lists them. Exits 2 naming what is missing (a column, a table).
"""
import argparse
import math
import sys

import h5py
import matplotlib

matplotlib.use("Agg")  # files, no display
import matplotlib.pyplot as plt  # noqa: E402


def fail(message):
    print(f"plot.py: {message}", file=sys.stderr)
    sys.exit(2)


def text(v):
    return v.decode() if isinstance(v, bytes) else v


def tidy(path):
    with h5py.File(path, "r") as f:
        if "table" not in f:
            why = f.attrs.get("table_omitted")
            fail(f"{path} has no tidy table: " + (text(why) if why is not None else "written by a kvsim before tables were added?")
                 + "; kvsim export --csv writes it")
        ds = f["table"]
        rows = ds[()]
        units = [text(u) for u in ds.attrs["units"]]
    names = list(rows.dtype.names)
    columns = {n: [text(v) for v in rows[n].tolist()] for n in names}
    return columns, dict(zip(names, units))


def label(name, units):
    u = units.get(name, "")
    return f"{name} [{u}]" if u and u != "1" else name


def plot_sweep(args):
    columns, units = tidy(args.file)
    for need in [args.x, args.y] + ([args.by] if args.by else []):
        if need not in columns:
            fail(f"no column '{need}' in {args.file}; columns: {', '.join(columns)}")
    xs, ys = columns[args.x], columns[args.y]
    groups = columns[args.by] if args.by else [""] * len(xs)
    numeric = all(isinstance(v, (int, float)) for v in xs)
    order = list(dict.fromkeys(xs))  # text parameters: the sweep's order
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for g in dict.fromkeys(groups):
        pts = [(x, y) for x, y, gg in zip(xs, ys, groups) if gg == g and not math.isnan(y)]
        pts.sort(key=lambda p: p[0] if numeric else order.index(p[0]))
        px = [p[0] if numeric else order.index(p[0]) for p in pts]
        ax.plot(px, [p[1] for p in pts], marker="o", label=f"{args.by}={g}" if args.by else None)
    if not numeric:
        ax.set_xticks(range(len(order)))
        ax.set_xticklabels(order, rotation=30, ha="right")
    ax.set_xlabel(label(args.x, units))
    ax.set_ylabel(label(args.y, units))
    if args.logx:
        ax.set_xscale("log")
    if args.logy:
        ax.set_yscale("log")
    if args.by:
        ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(args.output, dpi=120)


def plot_reproduction(args):
    tables = []
    with h5py.File(args.file, "r") as f:
        if "reproduce" not in f:
            fail(f"{args.file} holds no reproduction tables (write one with kvsim reproduce -o)")
        for repro in f["reproduce"]:
            for name in f["reproduce"][repro]:
                if args.table and name not in args.table and f"{repro}/{name}" not in args.table:
                    continue
                rows = [r for r in f["reproduce"][repro][name][()] if not math.isnan(r["paper"])]
                if rows:
                    tables.append((f"{repro} / {name}", rows))
    if not tables:
        fail("no table with reference values" + (f" among {', '.join(args.table)}" if args.table else ""))
    fig, axes = plt.subplots(len(tables), 1, figsize=(8, 2.8 * len(tables)), squeeze=False)
    for ax, (title, rows) in zip(axes[:, 0], tables):
        names = [f"{text(r['row'])}\n{text(r['metric'])}" for r in rows]
        pos = range(len(rows))
        ax.bar([p - 0.2 for p in pos], [r["simulated"] for r in rows], width=0.4, label="kvsim")
        ax.bar([p + 0.2 for p in pos], [r["paper"] for r in rows], width=0.4, label="paper")
        ax.set_xticks(list(pos))
        ax.set_xticklabels(names, fontsize=6, rotation=60, ha="right")
        ax.set_title(title, fontsize=9)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(args.output, dpi=120)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="what", required=True)
    s = sub.add_parser("sweep")
    s.add_argument("file")
    s.add_argument("--x", required=True)
    s.add_argument("--y", required=True)
    s.add_argument("--by")
    s.add_argument("--logx", action="store_true")
    s.add_argument("--logy", action="store_true")
    s.add_argument("-o", "--output", required=True)
    r = sub.add_parser("reproduction")
    r.add_argument("file")
    r.add_argument("--table", action="append")
    r.add_argument("-o", "--output", required=True)
    args = p.parse_args()
    (plot_sweep if args.what == "sweep" else plot_reproduction)(args)
    print(f"plot.py: wrote {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
