"""What the node remembers of its peers' audit logs: the signed heads it saw, and the outcome
of every cross-check (so a peer caught with a log cut short or rewritten stays visible).

The heads are kept as each peer signed them (JSON), with the peer's log key, so a later head
can be checked against them without trusting the peer again (`cruce.audit._peers`).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from cruce.audit import AccessEvent, Actor, Justification, Operation

if TYPE_CHECKING:
    from cruce.store._backend import AccessSink

# What a cross-check found: the peer's head extends what was seen (ok), the peer could not be
# reached (down), its log does not extend what it showed before (broken), or its answer could
# not be checked at all (failed: a bad signature, a malformed answer, an HTTP error).
PEER_OUTCOMES = ("ok", "down", "broken", "failed")


@dataclass(frozen=True, slots=True)
class SeenHead:
    """The latest signed head this node holds for a peer, and the key it was signed with."""

    tree_size: int
    head: dict[str, Any]  # SignedTreeHead.to_dict(), as the peer signed it
    log_key: str  # PEM of the peer's log key


@dataclass(frozen=True, slots=True)
class PeerState:
    """A peer's audit-log cross-checks at a glance: the last one, and the last break found."""

    agency: str
    outcome: str
    detail: str
    checked_at: datetime
    seen_size: int | None  # the latest head size this node holds for the peer
    broken_at: datetime | None = None  # the latest check that found the log broken
    broken_detail: str = ""


class _Backend(Protocol):
    sink: AccessSink

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> None: ...

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    def transaction(self) -> AbstractContextManager[None]: ...


class PeerTables:
    """The store's public methods for peers' audit heads (a mixin of `Store`)."""

    def last_peer_head(self: _Backend, agency: str) -> SeenHead | None:
        """The largest head this node holds for `agency`, or None if it never saw one."""
        import json

        rows = self._query(
            "SELECT tree_size, head, log_key FROM peer_heads WHERE agency = ? "
            "ORDER BY tree_size DESC, checked_at DESC LIMIT 1", (agency,))
        if not rows:
            return None
        size, head, key = rows[0]
        return SeenHead(int(size), json.loads(str(head)), str(key))

    def remember_peer_head(
        self: _Backend, agency: str, head: dict[str, Any], tree_size: int, log_key: str
    ) -> None:
        """Keep a head that extends every head seen before, and the check that found it so."""
        import json

        with self.transaction():
            self._execute("INSERT INTO peer_heads VALUES (?, ?, ?, ?, CURRENT_TIMESTAMP)",
                          (agency, tree_size, json.dumps(head, sort_keys=True), log_key))
            _check(self, agency, "ok", f"{tree_size} entries", tree_size)

    def record_peer_check(
        self: _Backend, agency: str, outcome: str, detail: str, by: Actor,
        tree_size: int | None = None,
    ) -> None:
        """Keep a check that did not extend the peer's log (down, broken or failed). A broken
        log is also an administrative event in this node's audit log, in the same commit."""
        if outcome not in PEER_OUTCOMES or outcome == "ok":
            raise ValueError(f"not the outcome of a failed peer check: {outcome!r}")
        with self.transaction():
            _check(self, agency, outcome, detail, tree_size)
            if outcome == "broken":
                why = Justification("administration",
                                    text=f"peer audit cross-check: {agency}'s log is broken")
                self.sink.emit(AccessEvent(
                    Operation.ADMINISTRATION, by, why,
                    details={"peer_audit": "broken", "peer": agency, "reason": detail[:500],
                             "peer_tree_size": tree_size}))

    def peer_states(self: _Backend) -> list[PeerState]:
        """Every peer ever checked, by agency: the latest check and the latest break."""
        latest = self._query(
            "SELECT agency, outcome, detail, checked_at FROM ("
            " SELECT agency, outcome, detail, checked_at, ROW_NUMBER() OVER ("
            "  PARTITION BY agency ORDER BY checked_at DESC) AS n FROM peer_checks) t "
            "WHERE n = 1 ORDER BY agency")
        broken = {
            str(agency): (at, str(detail)) for agency, detail, at in self._query(
                "SELECT agency, detail, checked_at FROM ("
                " SELECT agency, detail, checked_at, ROW_NUMBER() OVER ("
                "  PARTITION BY agency ORDER BY checked_at DESC) AS n FROM peer_checks"
                " WHERE outcome = 'broken') t WHERE n = 1")
        }
        sizes = {str(agency): int(size) for agency, size in self._query(
            "SELECT agency, MAX(tree_size) FROM peer_heads GROUP BY agency")}
        states = []
        for agency, outcome, detail, at in latest:
            name = str(agency)
            found_at, found = broken.get(name, (None, ""))
            states.append(PeerState(name, str(outcome), str(detail), at, sizes.get(name),
                                    found_at, found))
        return states


def _check(
    store: _Backend, agency: str, outcome: str, detail: str, tree_size: int | None
) -> None:
    store._execute("INSERT INTO peer_checks VALUES (?, ?, ?, ?, CURRENT_TIMESTAMP)",
                   (agency, outcome, detail, tree_size))
