"""What an operator's monitoring reads from a store: each recipient's queue at a glance
(counts and the oldest waiting item, never the packages), cheap enough to scrape often."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cruce.store._base import Store


@dataclass(frozen=True, slots=True)
class QueueState:
    """One recipient's outbox: items waiting, those waiting after a failed attempt (a retry
    loop), those refused for good, and when the oldest waiting item was queued."""

    recipient: str
    waiting: int
    retrying: int
    refused: int
    oldest_waiting: datetime | None


def outbox_summary(store: Store) -> list[QueueState]:
    rows = store._query(
        "SELECT recipient, "
        "SUM(CASE WHEN refused_at IS NULL THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN refused_at IS NULL AND attempts > 0 THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN refused_at IS NOT NULL THEN 1 ELSE 0 END), "
        "MIN(CASE WHEN refused_at IS NULL THEN created_at END) "
        "FROM outbox WHERE delivered_at IS NULL GROUP BY recipient ORDER BY recipient")
    return [QueueState(str(r[0]), int(r[1]), int(r[2]), int(r[3]), r[4]) for r in rows]
