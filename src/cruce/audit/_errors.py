"""The audit log's own failure: where verification broke, for reports and the CLI."""

from __future__ import annotations

from cruce.errors import AuditChainBroken


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
