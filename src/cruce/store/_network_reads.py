"""Reads for network investigation (`cruce.network`): which records mention an entity or a
value, and the neighbours themselves, read as one logged consultation.

Finding neighbours returns ids and counts only (no content leaves, nothing is logged, as
`count_matching`); only records the stated purpose may read are ever selected (`purposes`),
so a record the user could not read directly is never read for them here either. Reading the
page of neighbours is a consultation like `read`, logged with what was expanded and why.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
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


@dataclass(frozen=True, slots=True)
class Linked:
    """One entity's links found by `links_mentioning`: the first ids (sorted) the scope may
    read after its start, how many it may read in all and after the start, and how many
    there are whatever their purpose (the rest are withheld)."""

    ids: tuple[str, ...] = ()
    readable: int = 0
    after: int = 0
    every: int = 0


class NetworkReads(Backend):
    """The store's public methods for network investigation (a part of `Store`)."""

    def links_mentioning(self, asks: Mapping[str, Sequence[Mention]], scope: Scope, *,
                         limit: int, starts: Mapping[str, str] | None = None
                         ) -> dict[str, Linked]:
        """For each entity of a level (`asks`: its id and what mentions it), in ONE pass over
        the records: its first `limit` readable links after its start (`starts`, a page's
        cursor), and the counts `Linked` gives; an entity is never its own link. Property
        values are matched whole (JSON-decoded, not LIKE), so one hash join serves the whole
        frontier (finding S8-2: a query per entity was a full scan each). Ids and counts
        only: no content is read, nothing is logged."""
        owners, values, groups, schemata = _terms(asks)
        found: dict[str, list[str]] = {owner: [] for owner in asks}
        counts: dict[str, tuple[int, int, int]] = {}
        if owners:
            sql, params = self._links_sql(scope, starts or {}, limit)
            with self.transaction():
                if self.dialect != "duckdb":
                    # PostgreSQL guesses 1,000 values per record and JIT-compiles the query:
                    # 0.45 s of a 0.65 s pass on 24k records. Off for this transaction only.
                    self._query("SELECT set_config('jit', 'off', true)")
                rows = self._query(sql, (owners, values, groups, *schemata, *params))
            for owner, rid, in_page, readable, after, every in rows:
                counts[str(owner)] = (int(readable), int(after), int(every))
                if in_page:
                    found[str(owner)].append(str(rid))
        return {owner: Linked(tuple(sorted(ids)), *counts.get(owner, (0, 0, 0)))
                for owner, ids in found.items()}

    def _links_sql(self, scope: Scope, starts: Mapping[str, str],
                   limit: int) -> tuple[str, tuple[Any, ...]]:
        """The SQL after the terms' and groups' arrays, and its parameters in their order."""
        params: list[Any] = []
        starts_cte, later, join = "", "TRUE", ""
        if starts:
            starts_cte = ("starts AS (SELECT UNNEST(CAST(? AS TEXT[])) AS owner, "
                          "UNNEST(CAST(? AS TEXT[])) AS start), ")
            later, join = "(s.start IS NULL OR h.id > s.start)", \
                " LEFT JOIN starts s ON s.owner = h.owner"
            params += [list(starts), list(starts.values())]
        agency = ""
        if scope.agencies is not None:
            agency = (f" WHERE agency IN ({marks(len(scope.agencies))})" if scope.agencies
                      else " WHERE FALSE")
            params += scope.agencies
        allowed = "TRUE"
        if scope.purposes is not None:
            allowed = (f"v.purpose IN ({marks(len(scope.purposes))})" if scope.purposes
                       else "FALSE")
            params += scope.purposes
        # Every whole string value of the properties ({"prop": ["value", ...]}).
        each = ("UNNEST(json_extract_string(properties, '$.*[*]'))" if self.dialect == "duckdb"
                else "jsonb_path_query(CAST(properties AS JSONB), '$.*[*]') #>> '{}'")
        sql = (
            "WITH terms AS (SELECT UNNEST(CAST(? AS TEXT[])) AS owner, "
            "UNNEST(CAST(? AS TEXT[])) AS value, UNNEST(CAST(? AS INTEGER[])) AS grp), "
            "groups AS (SELECT UNNEST(CAST(? AS INTEGER[])) AS grp, "
            "UNNEST(CAST(? AS TEXT[])) AS schema), " + starts_cte +
            f"vals AS (SELECT id, schema, purpose, {each} AS value FROM records{agency}), "
            f"hits AS (SELECT DISTINCT t.owner, v.id, {allowed} AS ok FROM vals v "
            "JOIN terms t ON t.value = v.value JOIN groups g ON g.grp = t.grp "
            "AND (g.schema IS NULL OR g.schema = v.schema) WHERE v.id <> t.owner), "
            f"marked AS (SELECT h.owner, h.id, h.ok, h.ok AND {later} AS wanted "
            f"FROM hits h{join}), "
            "ranked AS (SELECT owner, id, wanted, "
            "ROW_NUMBER() OVER (PARTITION BY owner, wanted ORDER BY id) AS rn, "
            "ROW_NUMBER() OVER (PARTITION BY owner ORDER BY id) AS nth, "
            "SUM(CASE WHEN ok THEN 1 ELSE 0 END) OVER (PARTITION BY owner) AS readable, "
            "SUM(CASE WHEN wanted THEN 1 ELSE 0 END) OVER (PARTITION BY owner) AS later, "
            "COUNT(*) OVER (PARTITION BY owner) AS every FROM marked) "
            "SELECT owner, id, wanted AND rn <= ?, readable, later, every FROM ranked "
            "WHERE (wanted AND rn <= ?) OR nth = 1")
        return sql, (*params, int(limit), int(limit))

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


def _terms(asks: Mapping[str, Sequence[Mention]]
           ) -> tuple[list[str], list[str], list[int], tuple[list[int], list[str | None]]]:
    """The frontier as arrays: (owner, value, schema group) per value mentioned, and the
    groups' schemata (a group of None: any schema)."""
    owners: list[str] = []
    values: list[str] = []
    groups: list[int] = []
    number: dict[tuple[str, ...] | None, int] = {}
    for owner, mentions in asks.items():
        for mention in mentions:
            if not mention.values or mention.schemata == ():
                continue
            grp = number.setdefault(mention.schemata, len(number))
            for value in mention.values:
                owners.append(owner)
                values.append(value)
                groups.append(grp)
    grps: list[int] = []
    schemata: list[str | None] = []
    for names, grp in number.items():
        for name in names if names is not None else (None,):
            grps.append(grp)
            schemata.append(name)
    return owners, values, groups, (grps, schemata)
