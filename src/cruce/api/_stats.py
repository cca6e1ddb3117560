"""Flow monitoring over the API: partners post daily headcounts, anyone signed in reads the
summary. Aggregate counts only: a flow count holds no person, so no consultation is logged.

    POST /api/v1/flows          {"counts": [{"date", "point", "corridor", "direction",
                                 "adults", "minors", ["nationality_group", "families"]}, ...]}
    GET  /api/v1/flows/summary  [?as_of=YYYY-MM-DD]: the `cruce flows summary --format json`
                                 document

The counts go to the node's statistics store (`CRUCE_STATS_DB`, or `stats_db`), never into its
node store. One request is one transaction, checked whole as a flow file is: every bad count
is named (`counts[3]: field 'adults': …`) and nothing is written.
"""

# No `from __future__ import annotations`: FastAPI reads the routes' annotations, which
# name the wiring's dependencies (locals of install_stats).
import datetime as dt
import os
from pathlib import Path
from typing import Annotated, Any

from fastapi import Body, Depends, FastAPI, Query

from cruce.api._users import Role, User
from cruce.api._wiring import Wiring
from cruce.errors import InvalidInput, NotFound, PermissionDenied

MAX_COUNTS = 5000  # counts per request: a day of every point of a country, many times over
POSTERS = frozenset({Role.ANALYST, Role.BORDER_OFFICER, Role.SUPERVISOR})


def install_stats(app: FastAPI, wiring: Wiring, stats_db: Path | None = None) -> None:
    def store_path() -> Path:
        path = stats_db or (Path(os.environ["CRUCE_STATS_DB"])
                            if os.environ.get("CRUCE_STATS_DB") else None)
        if path is None:
            raise NotFound("this node keeps no statistics store (set CRUCE_STATS_DB)")
        return path

    @app.post("/api/v1/flows", tags=["statistics"])
    def post_flows(
        user: Annotated[User, Depends(wiring.authenticated)],
        body: Annotated[dict[str, Any], Body()],
    ) -> dict[str, Any]:
        """Store partners' headcounts (a count replaces an earlier one of its day, point,
        direction and nationality group)."""
        if user.role not in POSTERS:
            raise PermissionDenied(f"the {user.role.value} role may not enter flow counts")
        counts = _counts(body)
        from cruce.stats._flows import FLOW_TABLES, _write, counts_from_rows
        from cruce.stats._statstore import StatStore

        parsed = counts_from_rows("counts", counts, numbered_from=0)
        with StatStore.open(store_path(), create=True) as store:
            store.ensure_tables(*FLOW_TABLES)
            with store.transaction():
                replaced = _write(store, parsed, f"api:{user.name}")
        return {"counts": len(parsed), "replaced": replaced}

    @app.get("/api/v1/flows/summary", tags=["statistics"])
    def flows_summary(
        user: Annotated[User, Depends(wiring.authenticated)],
        as_of: Annotated[str | None, Query(max_length=10)] = None,
    ) -> dict[str, Any]:
        """The last 7 and 28 days by corridor and point, week on week, surges and their method."""
        from cruce.stats._flow_summary import summarise_store
        from cruce.stats._flows import flow_store

        day = None
        if as_of is not None:
            try:
                day = dt.date.fromisoformat(as_of)
            except ValueError:
                raise InvalidInput(f"as_of {as_of!r} is not a date YYYY-MM-DD") from None
        with flow_store(store_path()) as store:
            return summarise_store(store, day).to_dict()


def _counts(body: dict[str, Any]) -> list[dict[str, Any]]:
    counts = body.get("counts")
    if not isinstance(counts, list) or not all(isinstance(c, dict) for c in counts):
        raise InvalidInput('the body must be {"counts": [ {"date": …, "point": …}, … ]}')
    if not counts or len(counts) > MAX_COUNTS:
        raise InvalidInput(f"send 1 to {MAX_COUNTS} counts at a time, not {len(counts)}")
    return counts


__all__ = ["install_stats"]
