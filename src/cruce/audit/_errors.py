"""The audit log's own failure: where verification broke, for reports and the CLI."""

from __future__ import annotations

from cruce.errors import AuditChainBroken, CruceError


class AuditChainBrokenAt(AuditChainBroken):
    """The log does not verify; `index` is the first entry that cannot be trusted.

    `index` is None when the fault is in the signed heads rather than in an entry.
    """

    def __init__(self, index: int | None, reason: str, fix: str = "") -> None:
        where = f"audit log entry {index}" if index is not None else "audit log heads"
        message = f"{where}: {reason}"
        if fix:
            message += f"; {fix}"
        super().__init__(message)
        self.index = index
        self.reason = reason


class PeerLogBroken(AuditChainBroken):
    """A peer's audit log does not extend what it showed this node before (cut short, forked,
    or signed under another key). Exit code 2: the operator acts on it (the peer's log is at
    fault, not this node)."""

    exit_code = 2

    def __init__(self, agency: str, reason: str) -> None:
        super().__init__(f"peer {agency}'s audit log is broken: {reason}")
        self.agency = agency
        self.reason = reason


class PeerUnreachable(CruceError):
    """A peer could not be reached (a network error): asked again later, never a finding."""

    status = 503

    def __init__(self, agency: str, reason: str) -> None:
        super().__init__(f"peer {agency} cannot be reached: {reason}")
        self.agency = agency
