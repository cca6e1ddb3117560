"""cruce: the shared information system of the Central American regional security compact.

    >>> from cruce import Node
    >>> node = Node.open(":memory:", agency="hn_police")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cruce._why import justification
from cruce.errors import CruceError

if TYPE_CHECKING:
    from cruce._node import Node
    from cruce.records import Envelope, Record

__version__ = "0.1.0"

__all__ = ["CruceError", "Envelope", "Node", "Record", "__version__", "justification"]


def __getattr__(name: str) -> Any:
    # Loaded on first use: the Node facade brings FollowTheMoney, DuckDB and the rest, which a
    # command such as `cruce link` or `cruce request` does not need.
    if name == "Node":
        from cruce._node import Node

        return Node
    if name in ("Envelope", "Record"):
        from cruce import records

        return getattr(records, name)
    raise AttributeError(f"module 'cruce' has no attribute {name!r}")
