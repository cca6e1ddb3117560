"""Plots of flows, as PNG and SVG: people by day per corridor, and the last 7 days by point.

Drawn with matplotlib's Agg canvas straight onto a `Figure` (no pyplot, no display, no global
state), so plotting works on a server and in threads. The SVG carries no date and a fixed hash
salt: the same flows give the same file byte for byte.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from cruce._files import private_dir

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from cruce.stats._flow_summary import FlowSummary

FORMATS = ("png", "svg")


def plot_daily(series: Mapping[str, Mapping[dt.date, int]], first: dt.date, last: dt.date,
               title: str) -> Figure:
    """People per day, one line per corridor, every day from `first` to `last` (0 if none)."""
    import numpy as np
    from matplotlib.figure import Figure

    days = [first + dt.timedelta(days=k) for k in range((last - first).days + 1)]
    fig = Figure(figsize=(9, 4.5), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    x = np.array(days, dtype="datetime64[D]")
    for name in sorted(series, key=lambda n: -sum(series[n].values())):
        ax.plot(x, [series[name].get(d, 0) for d in days], marker=".", label=name)
    ax.set_title(title)
    ax.set_ylabel("people counted")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    if series:
        ax.legend(title="corridor", fontsize="small")
    fig.autofmt_xdate()
    return fig


def plot_points(summary: FlowSummary) -> Figure:
    """The last 7 days against the 7 before, one pair of bars per monitoring point."""
    from matplotlib.figure import Figure

    points = summary.points[:15]
    fig = Figure(figsize=(9, max(3.0, 0.45 * len(points) + 1.5)), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    rows = range(len(points))
    ax.barh([r + 0.2 for r in rows], [p.previous_7 for p in points], height=0.4,
            label="previous 7 days", color="#9ab")
    ax.barh([r - 0.2 for r in rows], [p.last_7 for p in points], height=0.4,
            label="last 7 days", color="#c43")
    ax.set_yticks(list(rows), [f"{p.name} ({p.corridor})" for p in points])
    ax.invert_yaxis()
    ax.set_xlabel("people counted")
    ax.set_title(f"Movements by monitoring point, week to {summary.as_of.isoformat()}")
    ax.legend(fontsize="small")
    return fig


def save(fig: Figure, folder: Path, stem: str) -> list[Path]:
    """Write the figure as `stem.png` and `stem.svg` in `folder` (created private)."""
    import matplotlib

    private_dir(folder)
    written = []
    with matplotlib.rc_context({"svg.hashsalt": "cruce", "svg.fonttype": "none"}):
        for fmt in FORMATS:
            path = folder / f"{stem}.{fmt}"
            metadata = {"Date": None} if fmt == "svg" else {}
            fig.savefig(path, format=fmt, metadata=metadata)
            written.append(path)
    return written


def plot_flows(summary: FlowSummary, daily: Mapping[str, Mapping[dt.date, int]],
               folder: Path, days: int = 28) -> list[Path]:
    """The summary's plots in `folder`: flows_by_day and flows_by_point, PNG and SVG each."""
    first = summary.as_of - dt.timedelta(days=days - 1)
    title = f"People counted by day and corridor, {first.isoformat()} to {summary.as_of}"
    return [*save(plot_daily(daily, first, summary.as_of, title), folder, "flows_by_day"),
            *save(plot_points(summary), folder, "flows_by_point")]


__all__ = ["FORMATS", "plot_daily", "plot_flows", "plot_points", "save"]
