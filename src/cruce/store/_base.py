"""The store contract: one access point for every read and write of records.

`Store` is its parts put together: the backend hooks and transactions (`_backend`), the
record reads (`_record_reads`) and writes (`_record_writes`), and the tables of users, linkage
and sharing. A backend implements the hooks; everything that touches records goes through
`Store`'s public methods, which emit one `AccessEvent` per operation to the store's
`AccessSink` in the same transaction as the data.
"""

from __future__ import annotations

from cruce.store._alert_tables import AlertTables
from cruce.store._backend import AccessSink, IdSet
from cruce.store._erased_versions import ErasedVersions
from cruce.store._linkage_tables import LinkageTables
from cruce.store._network_reads import NetworkReads
from cruce.store._peer_tables import PeerTables
from cruce.store._record_reads import (
    RecordQuery,
    RecordReads,
    parse_properties,
    row_to_payload,
    row_to_record,
)
from cruce.store._record_writes import RecordWrites, WriteResult
from cruce.store._share_tables import ShareTables
from cruce.store._user_tables import UserTables


class Store(UserTables, LinkageTables, ShareTables, PeerTables, ErasedVersions, RecordReads,
            RecordWrites, NetworkReads, AlertTables):
    """A node's records. Open with `cruce.store.open_store(url)`."""


# Where the store's modules and sharing found these before the split.
__all__ = [
    "AccessSink",
    "IdSet",
    "RecordQuery",
    "Store",
    "WriteResult",
    "parse_properties",
    "row_to_payload",
    "row_to_record",
]
