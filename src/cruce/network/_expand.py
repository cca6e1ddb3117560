"""Expanding an entity's neighbourhood, level by level, through the store's public reads.

What a user may see through the network is exactly what they may read directly: the root is
read as `Node.get` reads it (refused, naming the rule, if its purpose is not compatible with
the stated one), and every neighbour is selected among the records the stated purpose may read
(`records._purposes.readable`, the filter of `Node.get`, `search` and `export`). Records it may
not read are never read: they are only counted, as `withheld` (as search counts them).

Every level is read as logged consultations under the stated justification, their details
naming the entity expanded and the level. A hub shows `page_size` links at a time; `more`
gives, for each entity cut short, how many links remain and the cursor of the next page.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from followthemoney.types import registry

from cruce._why import checked
from cruce.audit import Justification
from cruce.errors import InvalidInput
from cruce.network._relations import (
    PARTIES,
    SAME_PERSON,
    chosen,
    holder_schemata,
    relation_of,
    shares_values,
    value_types,
)
from cruce.records import Record
from cruce.records._ids import id_problem
from cruce.records._purposes import readable
from cruce.store import Mention, RecordQuery, Scope
from cruce.store._network_reads import Linked

if TYPE_CHECKING:
    from cruce._node import Node

MAX_DEPTH = 3
MAX_PAGE = 500
MAX_NODES = 5000  # a network of more records than this stops growing (`is_truncated`)
MAX_WORK = 100_000  # links one level may look for: its frontier x page size (finding S8-2)


@dataclass(frozen=True, slots=True)
class More:
    """A hub cut short: how many more of its links the user may read, and the next page."""

    remaining: int
    cursor: str


@dataclass(frozen=True, slots=True)
class Ask:
    """What to expand: how deep, which relations and agencies (None: all), a page's size, and
    the cursor of the root's next page."""

    depth: int = 1
    relations: frozenset[str] = field(default_factory=lambda: chosen(None))
    agencies: tuple[str, ...] | None = None
    page_size: int = 20
    cursor: str | None = None

    @classmethod
    def build(cls, depth: int = 1, relations: Iterable[str] | None = None,
              agencies: Iterable[str] | None = None, page_size: int = 20,
              cursor: str | None = None) -> Ask:
        """Checked: every bound and name refused with what was wrong and what is allowed."""
        if not 1 <= depth <= MAX_DEPTH:
            raise InvalidInput(f"depth {depth}: give 1 to {MAX_DEPTH}")
        if not 1 <= page_size <= MAX_PAGE:
            raise InvalidInput(f"page size {page_size}: give 1 to {MAX_PAGE}")
        wanted = tuple(sorted({a.strip() for a in agencies or () if a.strip()}))
        for agency in wanted:
            if id_problem(agency) is not None:
                raise InvalidInput(f"agency {agency[:64]!r} is not an agency's name (letters, "
                                   "digits, . _ : -, at most 64)")
        if cursor is not None:
            after(cursor)  # refused now, before anything is read
        return cls(depth, chosen(relations), wanted or None, page_size, cursor)


@dataclass
class Neighbourhood:
    """The records read around `root`: nodes and the edge records between them (`records`),
    the level each node was reached at, the hubs cut short, and how many links were withheld
    as collected for purposes not compatible with the stated one."""

    root: str
    ask: Ask
    records: dict[str, Record] = field(default_factory=dict)
    level: dict[str, int] = field(default_factory=dict)
    more: dict[str, More] = field(default_factory=dict)
    same: dict[str, list[str]] = field(default_factory=dict)  # linkage clusters' mates
    withheld: int = 0
    is_truncated: bool = False


def cursor_for(record_id: str) -> str:
    """An opaque cursor: the next page starts after this record id."""
    return base64.urlsafe_b64encode(record_id.encode()).decode().rstrip("=")


def after(cursor: str) -> str:
    """The record id a cursor continues after, refused if it is not one this node gave."""
    try:
        if len(cursor) > 1000:
            raise ValueError
        record_id = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if id_problem(record_id) is not None:  # only a record id is a place to go on from
            raise ValueError
        return record_id
    except (ValueError, binascii.Error):
        raise InvalidInput(f"cursor {cursor[:40]!r} is not one this node gave: take it from "
                           "a network's `more`") from None


class Expansion:
    """One expansion for one user and justification (the node acting for the user)."""

    def __init__(self, node: Node, why: Justification, ask: Ask) -> None:
        self.node = node
        self.why = checked(why)
        self.ask = ask
        self.purposes = readable(self.why.purpose)

    def run(self, entity_id: str) -> Neighbourhood:
        root = self.node.get(entity_id, self.why)  # exactly a record read: its refusals too
        net = Neighbourhood(root.id, self.ask, {root.id: root}, {root.id: 0})
        frontier = [root]
        for level in range(1, self.ask.depth + 1):
            frontier = self._level(net, frontier, level)
            if not frontier or net.is_truncated:
                break
        return net

    def _level(self, net: Neighbourhood, frontier: Sequence[Record], level: int) -> list[Record]:
        self._within_budget(len(frontier), level)
        links = self._links(net, frontier)  # one store query for the whole frontier
        wanted: list[str] = []
        for record in frontier:
            if len(net.records) + len(wanted) >= MAX_NODES:
                net.is_truncated = True
                break
            wanted.extend(self._page_of(net, record, links[record.id]))
        if SAME_PERSON in self.ask.relations:
            mates = self.node.store.cluster_mates([r.id for r in frontier])
            net.same.update(mates)
            wanted.extend(i for found in mates.values() for i in found)
        nodes = [r for r in self._read(net, wanted, level) if not r.entity.schema.edge]
        for record in nodes:
            net.level[record.id] = level
        return nodes

    def _within_budget(self, frontier: int, level: int) -> None:
        """A level looks for up to a page of links for each entity of its frontier: past
        MAX_WORK links in all, the request is refused (finding S8-2), naming the limit."""
        work = frontier * self.ask.page_size
        if work > MAX_WORK:
            raise InvalidInput(
                f"depth {level} would look for {work} links ({frontier} entities x page size "
                f"{self.ask.page_size}), over the limit of {MAX_WORK} per request: ask a "
                "smaller page_size or depth, or expand one of those entities")

    def _links(self, net: Neighbourhood, frontier: Sequence[Record]) -> dict[str, Linked]:
        """Each frontier record's first page of links and its counts, in one store query."""
        asks = {record.id: self._mentions(record) for record in frontier}
        starts = {net.root: after(self.ask.cursor)} if self.ask.cursor and net.root in asks \
            else {}
        return self.node.store.links_mentioning(
            asks, Scope(self.purposes, self.ask.agencies), limit=self.ask.page_size + 1,
            starts=starts)

    def _page_of(self, net: Neighbourhood, record: Record, found: Linked) -> list[str]:
        """The ids of one page of the records linked to `record`; the hub's rest in `more`."""
        start = after(self.ask.cursor) if self.ask.cursor and record.id == net.root else None
        page = list(found.ids)
        if len(page) <= self.ask.page_size and start is None:
            net.withheld += found.every - len(page)
        else:  # a hub, or a page after the first: what remains, and what is withheld
            page = page[: self.ask.page_size]
            remaining = found.after - len(page)
            if remaining:
                net.more[record.id] = More(remaining, cursor_for(page[-1]))
            net.withheld += found.every - found.readable
        return [*page, *self._references(record)]

    def _mentions(self, record: Record) -> list[Mention]:
        """Records that name this one (a Membership its member), and those sharing one of its
        phones, e-mails, identifiers or addresses, as the relations asked for allow."""
        schema = record.entity.schema
        mentions = [Mention((record.id,), holder_schemata(self.ask.relations, schema))]
        types = value_types(self.ask.relations) if shares_values(schema) else ()
        values = sorted({v for prop, v in record.entity.itervalues()
                         if prop.type.name in types and not prop.hidden})
        if values:
            mentions.append(Mention(tuple(values), PARTIES))
        return mentions

    def _references(self, record: Record) -> list[str]:
        """The records this one names (a Person its Address, a Trip its vehicle)."""
        schema = record.entity.schema
        return sorted({v for prop, v in record.entity.itervalues()
                       if prop.type == registry.entity and
                       relation_of(schema, prop) in self.ask.relations})

    def _read(self, net: Neighbourhood, ids: Iterable[str], level: int) -> list[Record]:
        """Read the ids not yet in the network, and the ends of the edge records among them:
        one logged consultation."""
        new = sorted({i for i in ids if i not in net.records})
        if not new:
            return []
        found = self.node.store.read_neighbours(
            new, self.purposes, self.node.actor, self.why,
            {"network": net.root, "depth": level}, agencies=self.ask.agencies,
            known=net.records.keys())
        for record in found:
            net.records[record.id] = record
        ends = {i for r in found if r.entity.schema.edge for i in _ends(r)}
        missing = sorted((set(new) | ends) - net.records.keys())
        if missing:  # named by a record read, but not to be read: counted, never read
            store = self.node.store
            net.withheld += store.count_matching(RecordQuery(ids=missing)) - \
                store.count_matching(RecordQuery(ids=missing, purposes=self.purposes))
        return found


def _ends(edge: Record) -> list[str]:
    schema = edge.entity.schema
    props = [p for p in (schema.source_prop, schema.target_prop) if p is not None]
    return sorted({v for p in props for v in edge.entity.get(p)})
