"""What the flows say: the last 7 and 28 days by corridor and point, week on week, surges.

Windows end on `as_of` (by default the last day any point reported) and include it: "last 7"
is as_of-6 .. as_of, "previous 7" the seven days before, "last 28" as_of-27 .. as_of.
Week-on-week change is (last 7 - previous 7) / previous 7, None when the previous week had no
movement. Movements are people (adults + minors) in every direction; families are counted
apart, as groups. Flow counts are headcounts of groups at public places, holding nobody's
identity, so they are published as counted (no cell suppression), as DTM does.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from cruce.stats._flows import DIRECTIONS, FlowCount, read_flows
from cruce.stats._surges import METHOD, WEEKS, Surge, find_surges

if TYPE_CHECKING:
    from cruce.stats._statstore import StatStore

DAY = dt.timedelta(days=1)
Key = Callable[[FlowCount], str]  # the corridor, point, direction or group a count falls in


@dataclass(frozen=True, slots=True)
class PlaceSummary:
    """Movements at one corridor or monitoring point over the summary's windows."""

    name: str
    corridor: str
    last_7: int
    previous_7: int
    week_on_week: float | None  # fraction: 0.25 is +25 %
    last_28: int
    daily_28: float
    minors_28: int
    families_28: int


@dataclass(frozen=True, slots=True)
class FlowSummary:
    """A flow summary as of a day; `to_dict` is the `--format json` document."""

    as_of: dt.date
    corridors: list[PlaceSummary]
    points: list[PlaceSummary]
    directions: dict[str, dict[str, int]]  # window -> direction -> people
    groups: dict[str, int]  # nationality group -> people, last 28 days
    demographics: dict[str, dict[str, int]]  # window -> adults / minors / families
    surges: list[Surge]

    def to_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "windows": windows(self.as_of),
            "by_corridor": [_place(p) for p in self.corridors],
            "by_point": [_place(p) for p in self.points],
            "by_direction": self.directions,
            "by_nationality_group_28": self.groups,
            "demographics": self.demographics,
            "surges": [s.to_dict() for s in self.surges],
            "surge_method": METHOD,
            "definitions": __doc__.split("\n\n", 1)[1].replace("\n", " ").strip(),
        }


def _place(p: PlaceSummary) -> dict[str, Any]:
    data = asdict(p)
    data["week_on_week"] = None if p.week_on_week is None else round(p.week_on_week, 4)
    data["daily_28"] = round(p.daily_28, 1)
    return data


def windows(as_of: dt.date) -> dict[str, list[str]]:
    """The first and last day of each window, ISO dates."""
    spans = {"last_7": (6, 0), "previous_7": (13, 7), "last_28": (27, 0)}
    return {name: [(as_of - a * DAY).isoformat(), (as_of - b * DAY).isoformat()]
            for name, (a, b) in spans.items()}


def summarise_store(store: StatStore, as_of: dt.date | None = None) -> FlowSummary:
    """Summarise the stored flows as of a day (default: the last day reported)."""
    if as_of is None:
        last = store.query("SELECT max(day) FROM flow_counts")
        as_of = last[0][0] if last and last[0][0] is not None else dt.date.today()
    since = as_of - (27 + 7 * WEEKS) * DAY  # the baselines of the oldest day tested
    return summarise(read_flows(store, since), as_of)


def summarise(counts: Iterable[FlowCount], as_of: dt.date) -> FlowSummary:
    """Summarise counts as of a day; counts after `as_of` are left out.

    >>> d = dt.date(2026, 11, 30)
    >>> c = FlowCount(d, "Tecún Umán", "GT-MX", "inbound", "all", 30, 10, 4)
    >>> s = summarise([c], d)
    >>> s.corridors[0].last_7, s.corridors[0].week_on_week
    (40, None)
    """
    kept = [c for c in counts if c.day <= as_of]
    in_window = {name: _within(kept, as_of, span) for name, span in
                 {"last_7": (6, 0), "previous_7": (13, 7), "last_28": (27, 0)}.items()}
    corridor_of = {c.point: c.corridor for c in kept}
    points = _places(in_window, lambda c: c.point, corridor_of.get)
    corridors = _places(in_window, lambda c: c.corridor, lambda name: name)
    recent = [as_of - k * DAY for k in range(7)]
    surges = [*find_surges(_daily(kept, lambda c: c.corridor), recent, "corridor"),
              *find_surges(_daily(kept, lambda c: c.point), recent, "point")]
    return FlowSummary(
        as_of=as_of, corridors=corridors, points=points,
        directions={w: _by(in_window[w], lambda c: c.direction, DIRECTIONS)
                    for w in ("last_7", "last_28")},
        groups=_by(in_window["last_28"], lambda c: c.nationality_group, ()),
        demographics={w: _demographics(in_window[w]) for w in ("last_7", "last_28")},
        surges=sorted(surges, key=lambda s: (s.day, s.level, s.where)),
    )


def _within(counts: list[FlowCount], as_of: dt.date, span: tuple[int, int]) -> list[FlowCount]:
    first, last = as_of - span[0] * DAY, as_of - span[1] * DAY
    return [c for c in counts if first <= c.day <= last]


def _places(in_window: dict[str, list[FlowCount]], key: Key,
            corridor: Callable[[str], str | None]) -> list[PlaceSummary]:
    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for window, counts in in_window.items():
        for c in counts:
            totals[key(c)][window] += c.people
            if window == "last_28":
                totals[key(c)]["minors"] += c.minors
                totals[key(c)]["families"] += c.families
    places = []
    for name, t in totals.items():
        before = t["previous_7"]
        change = (t["last_7"] - before) / before if before else None
        places.append(PlaceSummary(name, str(corridor(name) or ""), t["last_7"], before, change,
                                   t["last_28"], t["last_28"] / 28, t["minors"], t["families"]))
    return sorted(places, key=lambda p: (-p.last_7, -p.last_28, p.name))


def _daily(counts: list[FlowCount], key: Key) -> dict[str, dict[dt.date, int]]:
    series: dict[str, dict[dt.date, int]] = defaultdict(lambda: defaultdict(int))
    for c in counts:
        series[key(c)][c.day] += c.people
    return {name: dict(days) for name, days in series.items()}


def _by(counts: list[FlowCount], key: Key, order: Iterable[str]) -> dict[str, int]:
    totals: dict[str, int] = dict.fromkeys(order, 0)
    for c in counts:
        totals[key(c)] = totals.get(key(c), 0) + c.people
    return dict(sorted(totals.items(), key=lambda kv: -kv[1])) if not order else totals


def _demographics(counts: list[FlowCount]) -> dict[str, int]:
    return {"people": sum(c.people for c in counts), "adults": sum(c.adults for c in counts),
            "minors": sum(c.minors for c in counts), "families": sum(c.families for c in counts)}


def daily_by_corridor(store: StatStore, as_of: dt.date,
                      days: int = 28) -> dict[str, dict[dt.date, int]]:
    """People per corridor per day over the `days` days ending on `as_of` (for the plots)."""
    counts = [c for c in read_flows(store, as_of - (days - 1) * DAY) if c.day <= as_of]
    return _daily(counts, lambda c: c.corridor)


__all__ = ["FlowSummary", "PlaceSummary", "daily_by_corridor", "summarise", "summarise_store",
           "windows"]
