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
    """The node, the lock around its store, the node acting for a user, the dependencies that
    require a user (any role), a consulting role and a justification, and the transport to
    other nodes."""

    node: Node
    lock: threading.Lock
    acting: Acting
    authenticated: Callable[..., User]
    consulting: Callable[..., User]
    why: Callable[..., Justification]
    send: Post

    def deliver(self) -> dict[str, int]:
        """Send what waits in the outbox (the store lock is not held while posting). A request
        waits at most 5 s for a round already running (which, or the next, 2 s later, takes
        what the request queued)."""
        if not self.node.is_sharing:
            return {}
        return self.node.sharing.deliver(self.send, lambda: self.lock, due_only=True, wait=5.0)
