"""A synthetic flow file for the demo and the tests: invented counts, shaped like real ones.

Monitoring points on the compact's corridors report every day, in each direction, by
nationality group; counts follow a weekly rhythm with Poisson noise, and one point has a
planted surge on the last two days (a large group forming), so the summary has one to find.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import numpy as np

from cruce._files import private_file

# point -> (corridor, people a day at a usual weekday)
POINTS = {
    "Tecún Umán": ("Guatemala–Mexico", 160),
    "El Carmen": ("Guatemala–Mexico", 70),
    "La Mesilla": ("Guatemala–Mexico", 45),
    "Agua Caliente": ("Honduras–Guatemala", 90),
    "Corinto": ("Honduras–Guatemala", 55),
    "La Hachadura": ("El Salvador–Guatemala", 40),
    "Ciudad Juárez": ("Mexico–United States", 120),
}
SURGE_POINT = "Agua Caliente"
# Monday .. Sunday: busier early in the week, quiet on Sundays.
WEEKDAY = (1.15, 1.1, 1.0, 1.0, 1.05, 0.85, 0.6)
DIRECTION_SHARE = {"inbound": 0.55, "transit": 0.3, "outbound": 0.15}
GROUP_SHARE = {"Honduras": 0.35, "Guatemala": 0.25, "El Salvador": 0.12, "Venezuela": 0.18,
               "other": 0.10}
HEADER = ["date", "point", "corridor", "direction", "nationality_group", "adults", "minors",
          "families"]


def flow_rows(last: dt.date, days: int = 84, seed: int = 2019) -> list[list[str]]:
    """The rows of `days` days ending on `last`, same seed same rows."""
    rng = np.random.default_rng(seed)
    rows = []
    for k in range(days - 1, -1, -1):
        day = last - dt.timedelta(days=k)
        trend = 1 + 0.002 * (days - k)  # a slow rise over the period
        for point, (corridor, usual) in POINTS.items():
            surge = 2.6 if point == SURGE_POINT and k < 2 else 1.0
            for direction, d_share in DIRECTION_SHARE.items():
                for group, g_share in GROUP_SHARE.items():
                    people = int(rng.poisson(usual * WEEKDAY[day.weekday()] * trend * surge
                                             * d_share * g_share))
                    minors = int(rng.binomial(people, 0.22))
                    families = min(people, round(minors * 0.6))
                    rows.append([day.isoformat(), point, corridor, direction, group,
                                 str(people - minors), str(minors), str(families)])
    return rows


def write_flow_file(path: Path, last: dt.date, days: int = 84, seed: int = 2019) -> Path:
    """Write the synthetic flow CSV (private, like every file cruce writes)."""
    with private_file(path) as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerows(flow_rows(last, days, seed))
    return path


__all__ = ["POINTS", "SURGE_POINT", "flow_rows", "write_flow_file"]
