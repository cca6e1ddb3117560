"""Reads for network investigation (`cruce.network`): which records mention an entity or a
value, and the neighbours themselves, read as one logged consultation.

Finding neighbours returns ids and counts only (no content leaves, nothing is logged, as
`count_matching`); only records the stated purpose may read are ever selected (`purposes`),
so a record the user could not read directly is never read for them here either. Reading the
page of neighbours is a consultation like `read`, logged with what was expanded and why.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from cruce.audit import Actor, Justification, Operation
from cruce.records import Record
from cruce.store._backend import Backend, marks
from cruce.store._record_reads import RecordQuery, _where, row_to_record
from cruce.store._schema import RECORD_COLUMNS


@dataclass(frozen=True, slots=True)
class Mention:
    """Records holding any of `values` as a whole property value (an entity id, a phone),
    only of `schemata` if given."""

    values: tuple[str, ...]
    schemata: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class Scope:
    """Who may be selected: the purposes the stated one may read and the agencies asked for
    (None: any), never the record `excluding` (the one whose links these are)."""

    purposes: tuple[str, ...] | None
    agencies: tuple[str, ...] | None = None
    excluding: str | None = None


class Tally(NamedTuple):
    """Counts of the records mentioning an entity: readable, readable after a page, all."""

    readable: int
    after: int
    every: int


class NetworkReads(Backend):
    """The store's public methods for network investigation (a part of `Store`)."""

    def ids_mentioning(self, mentions: Sequence[Mention], scope: Scope, *,
                       after: str | None = None, limit: int | None = None) -> list[str]:
        """Ids (sorted) of the records that mention any of `mentions`, within `scope`, after
        the id `after` (a page's cursor), at most `limit`. Ids only: no content is read."""
        where, params = _mention_where(mentions, scope, after)
        if not where:
            return []
        sql = f"SELECT id FROM records WHERE {where} ORDER BY id"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [str(r[0]) for r in self._query(sql, params)]

    def count_mentioning(self, mentions: Sequence[Mention], scope: Scope, *,
                         after: str | None = None) -> int:
        """How many records mention any of `mentions` within `scope` (its purposes None: for
        the count withheld). A count: no record is read."""
        where, params = _mention_where(mentions, scope, after)
        if not where:
            return 0
        return int(self._query(f"SELECT COUNT(*) FROM records WHERE {where}", params)[0][0])

    def tally_mentioning(self, mentions: Sequence[Mention], scope: Scope, *,
                         after: str | None = None) -> Tally:
        """In one pass: how many records mentioning any of `mentions` the scope's purposes may
        read, how many of those come after `after`, and how many there are whatever their
        purpose (the rest are withheld). Counts: no record is read."""
        where, params = _mention_where(mentions, Scope(None, scope.agencies, scope.excluding),
                                       None)
        if not where:
            return Tally(0, 0, 0)
        allowed = (f"purpose IN ({marks(len(scope.purposes))})" if scope.purposes
                   else "1 = 0") if scope.purposes is not None else "1 = 1"
        row = self._query(
            f"SELECT COUNT(*) FILTER (WHERE {allowed}), "
            f"COUNT(*) FILTER (WHERE {allowed} AND id > ?), COUNT(*) FROM records WHERE {where}",
            (*(scope.purposes or ()), *(scope.purposes or ()), after or "", *params))[0]
        return Tally(int(row[0]), int(row[1]), int(row[2]))

    def cluster_mates(self, ids: Sequence[str]) -> dict[str, list[str]]:
        """For each of these records in the stored linkage run, the other records of its
        cluster (the same person in another agency's records), sorted. Ids only: no content
        is read."""
        if not ids:
            return {}
        rows = self._query(
            "SELECT a.record_id, b.record_id FROM clusters a JOIN clusters b "
            "ON a.canonical_id = b.canonical_id AND a.record_id <> b.record_id "
            f"WHERE a.record_id IN ({marks(len(ids))}) ORDER BY a.record_id, b.record_id",
            tuple(ids))
        mates: dict[str, list[str]] = {}
        for record, mate in rows:
            mates.setdefault(str(record), []).append(str(mate))
        return mates

    def read_neighbours(self, ids: Sequence[str], purposes: Sequence[str], actor: Actor,
                        justification: Justification, details: dict[str, Any], *,
                        agencies: Sequence[str] | None = None,
                        known: Collection[str] = ()) -> list[Record]:
        """The records with these ids that the purposes (and agencies, if given) allow, and the
        two ends of every edge record among them (a Membership's member and organization) not
        in `known`, under the same filters: logged as one consultation whose details say what
        was expanded (`{"network": entity id, "depth": n}`)."""
        with self.transaction():
            records = self._select_allowed(ids, purposes, agencies)
            have = {r.id for r in records} | set(known)
            ends = sorted({i for r in records if r.entity.schema.edge
                           for i in _ends(r) if i not in have})
            records += self._select_allowed(ends, purposes, agencies)
            if records:
                self._emit(Operation.CONSULTATION, actor, justification,
                           [r.id for r in records], None, details)
        return records

    def _select_allowed(self, ids: Sequence[str], purposes: Sequence[str],
                        agencies: Sequence[str] | None) -> list[Record]:
        if not ids:
            return []
        where, params = _where(RecordQuery(ids=list(ids), purposes=list(purposes)))
        if agencies is not None:
            where += f" AND agency IN ({marks(len(agencies))})" if agencies else " AND 1 = 0"
            params = (*params, *agencies)
        rows = self._query(
            f"SELECT {', '.join(RECORD_COLUMNS)} FROM records{where} ORDER BY id", params)
        return [row_to_record(row) for row in rows]


def _ends(edge: Record) -> list[str]:
    """The ids at an edge record's two ends (FtM's source and target properties)."""
    schema = edge.entity.schema
    props = [p for p in (schema.source_prop, schema.target_prop) if p is not None]
    return sorted({v for p in props for v in edge.entity.get(p)})

def _mention_where(mentions: Sequence[Mention], scope: Scope,
                   after: str | None) -> tuple[str, tuple[Any, ...]]:
    ors: list[str] = []
    params: list[Any] = []
    for mention in mentions:
        if not mention.values or mention.schemata == ():
            continue
        likes = " OR ".join("properties LIKE ? ESCAPE '\\'" for _ in mention.values)
        params.extend(_pattern(v) for v in mention.values)
        if mention.schemata is not None:
            ors.append(f"(({likes}) AND schema IN ({marks(len(mention.schemata))}))")
            params.extend(mention.schemata)
        else:
            ors.append(f"({likes})")
    if not ors:
        return "", ()
    clauses = ["(" + " OR ".join(ors) + ")"]
    for column, allowed in (("purpose", scope.purposes), ("agency", scope.agencies)):
        if allowed is not None:
            clauses.append(f"{column} IN ({marks(len(allowed))})" if allowed else "1 = 0")
            params.extend(allowed)
    if scope.excluding is not None:
        clauses.append("id <> ?")
        params.append(scope.excluding)
    if after is not None:
        clauses.append("id > ?")
        params.append(after)
    return " AND ".join(clauses), tuple(params)


def _pattern(value: str) -> str:
    """A whole JSON string value as properties are stored (`ingest._jsonl`: compact, UTF-8),
    with LIKE's own characters escaped: `_` in an id is a letter, not a wildcard."""
    quoted = json.dumps(value, ensure_ascii=False)
    escaped = quoted.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
