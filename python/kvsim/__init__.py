"""kvsim from Python: run scenarios and read result files as pandas DataFrames.

    import kvsim
    df = kvsim.run("scenarios/examples/wan-bandwidth-sweep.toml", set={"workload.rounds": 50})
    df = kvsim.read("out.h5")            # the tidy table: a row per run, a column per parameter/metric
    df.attrs["units"]["makespan"]        # 's'
    kvsim.records("out.h5")["runs"][0]["series"]["round_time"]

Needs Debian's interpreter (/usr/bin/python3) and python3-pandas for the DataFrames; records()
and run_records() need nothing but this module.
"""
import json as _json

from . import _kvsim

__version__ = _kvsim.__version__
ScenarioError = _kvsim.ScenarioError


def _toml_value(value):
    """A Python value as the TOML text --set expects."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return _json.dumps(value)  # a JSON string is a TOML basic string
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot pass {type(value).__name__} as a scenario value")


def _sets(set):
    if set is None:
        return []
    if isinstance(set, dict):
        return [f"{k}={_toml_value(v)}" for k, v in set.items()]
    return list(set)  # already "key=value" strings


def _points(point):
    if point is None:
        return []
    return [point] if isinstance(point, int) else list(point)


def _frame(columns):
    import pandas as pd

    df = pd.DataFrame({c["name"]: c["values"] for c in columns})
    df.attrs["units"] = {c["name"]: c["unit"] for c in columns}
    df.attrs["sources"] = {c["name"]: c["source"] for c in columns}
    return df


def run(path, set=None, point=None, jobs=1):
    """Runs a scenario (every point of its [sweep], or `point`: an index or a list) and returns
    the tidy table as a DataFrame. `set` overrides keys like --set: a dict {key: value} or a list
    of "key=value"; on a swept key it narrows the sweep."""
    return _frame(_kvsim.run_tidy(str(path), _sets(set), _points(point), jobs))


def run_records(path, set=None, point=None, jobs=1):
    """As run(), but one dict per run (metrics, units, series, parameters, resolved scenario)."""
    return _kvsim.run(str(path), _sets(set), _points(point), jobs)


def read(path):
    """The tidy table of a result file as a DataFrame (units in df.attrs["units"])."""
    return _frame(_kvsim.tidy(str(path)))


def records(path):
    """A result file as dicts: provenance, campaign, runs, failures, reproduction tables."""
    return _kvsim.read(str(path))
