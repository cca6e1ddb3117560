"""Unusual surges in daily flows, by a stated method: a same-weekday baseline and a robust z.

Movements have a weekly rhythm (market days, bus timetables, weekend closures), so a day is
compared with the same weekday of the previous `weeks` weeks, never with the day before. For a
monitoring point (or a corridor) and a day with `x` people counted:

    baseline  m = median of the same weekday's counts over the previous 8 weeks (the weeks the
                  point reported; at least 4 of them, or the day is not tested)
    scale     s = max(1.4826 * MAD, sqrt(max(m, 1)))  -- the median absolute deviation scaled
                  to a standard deviation, never below the Poisson noise of a count of size m
    robust z  z = (x - m) / s
    surge     z >= 3.5 and x - m >= 10 people

3.5 is Iglewicz and Hoaglin's cut-off for the modified z-score (1993); the median and MAD keep
one earlier surge from hiding the next; the 10-people floor keeps a point going from 1 to 6
from being called a surge. A day with no report is not a zero: it is not tested, and it is
left out of later baselines.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from statistics import median
from typing import Any

WEEKS = 8
MIN_WEEKS = 4
THRESHOLD = 3.5
MIN_EXCESS = 10
MAD_TO_SD = 1.4826

METHOD = (f"same weekday over the previous {WEEKS} weeks (at least {MIN_WEEKS} reported); "
          f"robust z = (count - median) / max({MAD_TO_SD} x MAD, sqrt(median)); surge when "
          f"z >= {THRESHOLD} and count - median >= {MIN_EXCESS}")


@dataclass(frozen=True, slots=True)
class Surge:
    """A day whose count stands out from its weekday baseline."""

    level: str  # "point" or "corridor"
    where: str  # the monitoring point or corridor
    day: dt.date
    people: int
    baseline: float  # median of the same weekday in earlier weeks
    scale: float
    z: float
    weeks: int  # how many earlier weeks the baseline used

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["day"] = self.day.isoformat()
        data["z"] = round(self.z, 2)
        data["scale"] = round(self.scale, 2)
        return data


def weekday_baseline(series: Mapping[dt.date, int], day: dt.date,
                     weeks: int = WEEKS) -> list[int]:
    """The same weekday's counts over the `weeks` weeks before `day` (reported days only).

    >>> d = dt.date(2026, 11, 30)
    >>> weekday_baseline({d - dt.timedelta(7): 5, d - dt.timedelta(14): 7, d: 99}, d)
    [5, 7]
    """
    earlier = (day - dt.timedelta(days=7 * k) for k in range(1, weeks + 1))
    return [series[d] for d in earlier if d in series]


def surge_on(where: str, series: Mapping[dt.date, int], day: dt.date,
             level: str = "point") -> Surge | None:
    """The day as a surge, or None (not unusual, or too little history to say).

    >>> d = dt.date(2026, 11, 30)
    >>> history = {d - dt.timedelta(7 * k): 100 + k for k in range(1, 9)}
    >>> surge_on("Tecún Umán", {**history, d: 180}, d).z > 3.5
    True
    >>> surge_on("Tecún Umán", {**history, d: 108}, d) is None
    True
    """
    if day not in series:
        return None
    history = weekday_baseline(series, day)
    if len(history) < MIN_WEEKS:
        return None
    m = float(median(history))
    mad = float(median(abs(h - m) for h in history))
    scale = max(MAD_TO_SD * mad, math.sqrt(max(m, 1.0)))
    x = series[day]
    z = (x - m) / scale
    if z >= THRESHOLD and x - m >= MIN_EXCESS:
        return Surge(level, where, day, x, m, scale, z, len(history))
    return None


def find_surges(series: Mapping[str, Mapping[dt.date, int]], days: Iterable[dt.date],
                level: str = "point") -> list[Surge]:
    """Every surge among `days` for every point (or corridor), by day then place."""
    wanted = sorted(set(days))
    found = (surge_on(where, counts, day, level) for where, counts in sorted(series.items())
             for day in wanted)
    return sorted((s for s in found if s is not None), key=lambda s: (s.day, s.where))


__all__ = ["METHOD", "MIN_EXCESS", "THRESHOLD", "WEEKS", "Surge", "find_surges", "surge_on",
           "weekday_baseline"]
