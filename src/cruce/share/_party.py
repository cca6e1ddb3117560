"""Who acts through a node's sharing: its agency and the user working for it. The sharing
components are given this, not the node, so none of them reaches back into another."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cruce.audit import Actor
from cruce.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class Party:
    """The acting agency (read when needed: a node is bound to its agency once, at init) and
    the user, with their role."""

    agency_of: Callable[[], str | None]
    user: str
    role: str

    @property
    def agency(self) -> str:
        agency = self.agency_of()
        if not agency:
            raise InvalidInput("this node has no agency yet: run cruce init")
        return agency

    @property
    def actor(self) -> Actor:
        return Actor(self.agency_of() or "unknown", self.user, self.role)

    def node_actor(self, other: str) -> Actor:
        """Another agency's node acting here (a delivery received from it)."""
        return Actor(self.agency, f"node:{other}", "node")
