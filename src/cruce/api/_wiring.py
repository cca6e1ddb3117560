"""What every group of the API's routes needs from the app that holds them."""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass

from cruce._node import Node
from cruce.api._users import User
from cruce.audit import Justification
from cruce.share._node import Post

Acting = Callable[[User], AbstractContextManager[Node]]


@dataclass(frozen=True)
class Wiring:
    """The node; `inbound`, held by deliveries from other nodes (a package, notice or message is
    checked against what was received before, then kept: one at a time in this process); the
    node acting for a user, the dependencies that require a user (any role), a consulting role
    and a justification, and the transport to other nodes. The store serialises its own
    writes: requests hold no lock around it."""

    node: Node
    inbound: threading.Lock
    acting: Acting
    authenticated: Callable[..., User]
    consulting: Callable[..., User]
    why: Callable[..., Justification]
    send: Post

    def deliver(self) -> dict[str, int]:
        """Send what waits in the outbox. A request waits at most 5 s for a round already
        running (which, or the next, 2 s later, takes what the request queued)."""
        if not self.node.is_sharing:
            return {}
        return self.node.sharing.deliver(self.send, due_only=True, wait=5.0)
