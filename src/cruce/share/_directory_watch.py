"""Taking a newly signed directory while the node runs, without a restart.

The authority re-signs the directory (a member removed, memberships renewed) and the operator
replaces the file CRUCE_DIRECTORY names. A server's background rounds call
`DirectoryWatch.refresh`: when the file's content changed, it is loaded and checked as at start
(signature, this node's own entry, serial anti-rollback: `cruce.share._directory_checks`) and,
if it passes, becomes the node's directory for every request from then on. A file that fails
is logged once, in one line, and the directory in force stays: a bad or rolled-back file never
takes a serving node out of the compact.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from cruce.errors import CruceError

if TYPE_CHECKING:
    from cruce._node import Node

log = logging.getLogger("cruce.share.directory")


class DirectoryWatch:
    """Watches the node's directory file; `refresh` takes a changed one that passes."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self._seen = _digest(os.environ.get("CRUCE_DIRECTORY"))

    def refresh(self) -> bool:
        """True if a new directory was taken now."""
        from cruce._node import _sharing_from_env

        digest = _digest(os.environ.get("CRUCE_DIRECTORY"))
        if digest is None or digest == self._seen or not self.node.is_sharing:
            return False
        self._seen = digest  # a file that fails is reported once, not at every round
        before = self.node.sharing.directory.serial
        try:
            fresh = _sharing_from_env(self.node)
        except CruceError as exc:
            log.error("kept the directory in force (serial %d): %s", before, exc.message)
            return False
        self.node.configure_sharing(fresh.keys, fresh.directory)
        log.warning("took the compact directory serial %d (was %d) without a restart",
                    fresh.directory.serial, before)
        return True


def _digest(path: str | None) -> str | None:
    if not path:
        return None
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None
