"""The store's tables, as versioned migrations run on open.

SQL kept portable (DuckDB, PostgreSQL)."""

from __future__ import annotations

from cruce.errors import CruceError
from cruce.records import POLICY_FIELDS

# The envelope's columns, as stored: its policy fields, in the order the envelope declares
# them (provenance and times follow them in RECORD_COLUMNS, as source_file/line and times).
ENVELOPE_COLUMNS: tuple[str, ...] = POLICY_FIELDS

# Columns of `records`, in order; the bulk path writes Arrow tables with exactly these columns.
RECORD_COLUMNS: tuple[str, ...] = (
    "id",
    "schema",
    "caption",
    "properties",
    "search_text",
    *ENVELOPE_COLUMNS,
    "source_file",
    "source_line",
    "batch",
    "created_at",
    "updated_at",
)

# Columns whose change makes an upsert an alteration (provenance and times do not).
CONTENT_COLUMNS: tuple[str, ...] = (
    "schema",
    "properties",
    *(c for c in ENVELOPE_COLUMNS if c not in ("agency", "dataset")),
)

# Dialect differences, kept here. DuckDB keeps no index on records.id: maintaining its ART index
# costs 5.2 s per 2M inserted rows against 0.85 s without (bench/RESULTS.md); ids stay unique
# because every write goes through Store.write_table, which inserts only ids not yet stored.
# PostgreSQL collates record ids bytewise ("C"), as DuckDB does: ORDER BY id, and the digests of
# sorted ids (audit.digest_ids), then agree across backends whatever the database's locale; and
# it indexes fragments by record id (writes and erasures look them up by id).
DIALECTS: dict[str, dict[str, str]] = {
    "duckdb": {"record_key": "NOT NULL", "fragment_key": "NOT NULL", "fragment_index": ""},
    "postgres": {
        "record_key": 'COLLATE "C" PRIMARY KEY',
        "fragment_key": 'COLLATE "C" NOT NULL',
        "fragment_index": "CREATE INDEX fragments_id ON fragments (id)",
    },
}

MIGRATIONS: list[str] = [
    # 1: records in envelopes, ingest batches, interim access events
    """
    CREATE TABLE records (
        id VARCHAR(64) {record_key},
        schema VARCHAR(64) NOT NULL,
        caption VARCHAR NOT NULL,
        properties VARCHAR NOT NULL,
        search_text VARCHAR NOT NULL,
        agency VARCHAR(64) NOT NULL,
        dataset VARCHAR(128) NOT NULL,
        purpose VARCHAR(32) NOT NULL,
        subject_category VARCHAR(16),
        handling_code VARCHAR(2) NOT NULL,
        handling_restriction VARCHAR,
        tlp VARCHAR(16) NOT NULL,
        source_reliability VARCHAR(1) NOT NULL,
        information_accuracy VARCHAR(1) NOT NULL,
        is_shareable BOOLEAN NOT NULL,
        retain_until DATE NOT NULL,
        source_file VARCHAR,
        source_line INTEGER,
        batch VARCHAR(64) NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL
    );
    CREATE TABLE batches (
        id VARCHAR(64) PRIMARY KEY,
        agency VARCHAR(64) NOT NULL,
        dataset VARCHAR NOT NULL,
        source_file VARCHAR,
        inserted INTEGER NOT NULL,
        updated INTEGER NOT NULL,
        unchanged INTEGER NOT NULL,
        rejected INTEGER NOT NULL,
        created_at TIMESTAMPTZ NOT NULL
    );
    CREATE TABLE access_events (
        seq BIGINT PRIMARY KEY,
        operation VARCHAR(16) NOT NULL,
        encoded VARCHAR NOT NULL,
        created_at TIMESTAMPTZ NOT NULL
    );
    """,
    # 2: the node's own identity (which agency it belongs to)
    """
    CREATE TABLE node_settings (
        key VARCHAR(64) PRIMARY KEY,
        value VARCHAR NOT NULL
    );
    """,
    # 3: what each source file contributed to a record; a record is the merge of its fragments
    """
    CREATE TABLE fragments (
        id VARCHAR(64) {fragment_key},
        source VARCHAR NOT NULL,
        schema VARCHAR(64) NOT NULL,
        properties VARCHAR NOT NULL,
        subject_category VARCHAR(16),
        tlp VARCHAR(16) NOT NULL
    );
    {fragment_index};
    """,
    # 4: linkage: trained models, scored pairs (each naming its model), clusters, judgements
    """
    CREATE TABLE link_models (
        version VARCHAR(32) PRIMARY KEY,
        model VARCHAR NOT NULL,
        records INTEGER NOT NULL,
        created_at TIMESTAMPTZ NOT NULL
    );
    CREATE TABLE link_pairs (
        left_id VARCHAR(64) NOT NULL,
        right_id VARCHAR(64) NOT NULL,
        probability DOUBLE PRECISION NOT NULL,
        model_version VARCHAR(32) NOT NULL,
        explanation VARCHAR NOT NULL
    );
    CREATE TABLE clusters (
        record_id VARCHAR(64) NOT NULL,
        canonical_id VARCHAR(32) NOT NULL,
        model_version VARCHAR(32) NOT NULL
    );
    CREATE TABLE judgements (
        seq INTEGER NOT NULL,
        left_id VARCHAR(64) NOT NULL,
        right_id VARCHAR(64) NOT NULL,
        verdict VARCHAR(16) NOT NULL,
        username VARCHAR NOT NULL,
        agency VARCHAR(64) NOT NULL,
        reason VARCHAR NOT NULL,
        created_at TIMESTAMPTZ NOT NULL
    );
    """,
    # 5: the node's users: API tokens are stored only as SHA-256 digests
    """
    CREATE TABLE users (
        name VARCHAR(64) PRIMARY KEY,
        role VARCHAR(32) NOT NULL,
        token_hash VARCHAR(64) NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        disabled BOOLEAN NOT NULL
    );
    """,
    # 6: sharing: packages waiting for (or delivered to) a recipient, and packages received
    """
    CREATE TABLE outbox (
        share_id VARCHAR(64) NOT NULL,
        recipient VARCHAR(64) NOT NULL,
        package VARCHAR NOT NULL,
        records INTEGER NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        attempts INTEGER NOT NULL,
        last_error VARCHAR,
        delivered_at TIMESTAMPTZ
    );
    CREATE TABLE received_shares (
        share_id VARCHAR(64) PRIMARY KEY,
        sender VARCHAR(64) NOT NULL,
        records INTEGER NOT NULL,
        conditions VARCHAR NOT NULL,
        expires_at TIMESTAMPTZ NOT NULL,
        received_at TIMESTAMPTZ NOT NULL
    );
    """,
    # 7: which record went to whom (corrections and erasures follow them), notices applied
    """
    CREATE TABLE disclosed (
        record_id VARCHAR(64) NOT NULL,
        recipient VARCHAR(64) NOT NULL,
        share_id VARCHAR(64) NOT NULL,
        disclosed_at TIMESTAMPTZ NOT NULL
    );
    ALTER TABLE outbox ADD COLUMN kind VARCHAR(16) DEFAULT 'share';
    CREATE TABLE notices_applied (
        notice_id VARCHAR(64) PRIMARY KEY,
        sender VARCHAR(64) NOT NULL,
        records INTEGER NOT NULL,
        applied_at TIMESTAMPTZ NOT NULL
    );
    """,
    # 8: the signed audit heads this node has seen from its peers (to catch a rewritten log)
    """
    CREATE TABLE peer_heads (
        agency VARCHAR(64) NOT NULL,
        tree_size BIGINT NOT NULL,
        head VARCHAR NOT NULL,
        log_key VARCHAR NOT NULL,
        checked_at TIMESTAMPTZ NOT NULL
    );
    """,
    # 9: requests for information (threads of messages between agencies) and the providers'
    # consents to onward sharing, each step kept
    """
    CREATE TABLE threads (
        thread_id VARCHAR(64) PRIMARY KEY,
        requester VARCHAR(64) NOT NULL,
        responder VARCHAR(64) NOT NULL,
        case_reference VARCHAR NOT NULL,
        purpose VARCHAR(32) NOT NULL,
        priority VARCHAR(16) NOT NULL,
        deadline DATE,
        subject VARCHAR NOT NULL,
        status VARCHAR(16) NOT NULL,
        opened_at TIMESTAMPTZ NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL
    );
    CREATE TABLE messages (
        message_id VARCHAR(64) PRIMARY KEY,
        thread_id VARCHAR(64) NOT NULL,
        kind VARCHAR(16) NOT NULL,
        sender VARCHAR(64) NOT NULL,
        author VARCHAR NOT NULL,
        body VARCHAR NOT NULL,
        share_ids VARCHAR NOT NULL,
        created_at TIMESTAMPTZ NOT NULL
    );
    CREATE TABLE consents (
        request_id VARCHAR(64) PRIMARY KEY,
        record_id VARCHAR(64) NOT NULL,
        provider VARCHAR(64) NOT NULL,
        requester VARCHAR(64) NOT NULL,
        recipient VARCHAR(64) NOT NULL,
        purpose VARCHAR(32) NOT NULL,
        justification VARCHAR NOT NULL,
        requested_at TIMESTAMPTZ NOT NULL,
        status VARCHAR(16) NOT NULL,
        answered_by VARCHAR,
        answered_at TIMESTAMPTZ,
        reason VARCHAR
    );
    CREATE TABLE consent_events (
        request_id VARCHAR(64) NOT NULL,
        kind VARCHAR(16) NOT NULL,
        by_user VARCHAR NOT NULL,
        event_at TIMESTAMPTZ NOT NULL,
        reason VARCHAR NOT NULL
    );
    """,
    # 10: the outbox backs off from a recipient that is down, stops sending what a recipient
    # refused outright (the same bytes would be refused again), keeps the recipient's signed
    # receipt of what it took, and numbers what it queues (one transaction's rows share their
    # created_at, and each recipient's items must go in order)
    """
    ALTER TABLE outbox ADD COLUMN next_attempt_at TIMESTAMPTZ;
    ALTER TABLE outbox ADD COLUMN refused_at TIMESTAMPTZ;
    ALTER TABLE outbox ADD COLUMN receipt VARCHAR;
    CREATE SEQUENCE outbox_order;
    ALTER TABLE outbox ADD COLUMN queued BIGINT;
    """,
    # 11: sharing keeps what it did whole: the share ids opened here (the replay guard's own
    # table, written in the transaction that keeps the records), and every share made under a
    # provider's consent (what was delivered under a grant stays visible after a revocation)
    """
    CREATE TABLE shares_opened (
        share_id VARCHAR(64) PRIMARY KEY,
        expires_at TIMESTAMPTZ NOT NULL,
        opened_at TIMESTAMPTZ NOT NULL
    );
    CREATE TABLE consent_uses (
        request_id VARCHAR(64) NOT NULL,
        share_id VARCHAR(64) NOT NULL,
        record_id VARCHAR(64) NOT NULL,
        recipient VARCHAR(64) NOT NULL,
        used_at TIMESTAMPTZ NOT NULL
    );
    """,
    # 12: every cross-check of a peer's audit log and its outcome (ok, down, broken, failed),
    # so that a peer caught with a log cut short stays visible (`cruce audit peers`)
    """
    CREATE TABLE peer_checks (
        agency VARCHAR(64) NOT NULL,
        outcome VARCHAR(16) NOT NULL,
        detail VARCHAR NOT NULL,
        tree_size BIGINT,
        checked_at TIMESTAMPTZ NOT NULL
    );
    """,
    # 13: each record held from another agency keeps its provider's attestation (an Ed25519
    # signature over the record's digest and its version time): it can be passed on with proof
    # of its provider, and an older version is never taken over a newer one. Records a store
    # held before carry none: they go no further until their provider shares them again.
    """
    CREATE TABLE attestations (
        record_id VARCHAR(64) {record_key},
        provider VARCHAR(64) NOT NULL,
        version VARCHAR(64) NOT NULL,
        digest VARCHAR(64) NOT NULL,
        signature VARCHAR(128) NOT NULL
    );
    """,
    # 14: for each record a provider erased or withdrew, the version at or below which no copy
    # comes back (a member replaying the provider's old attestation), by a digest of its id
    # (`cruce.store._erased_versions`).
    """
    CREATE TABLE erased_versions (
        id_digest VARCHAR(64) NOT NULL PRIMARY KEY,
        provider VARCHAR(64) NOT NULL,
        version VARCHAR(64) NOT NULL
    );
    """,
]

FRAGMENT_COLUMNS: tuple[str, ...] = ("id", "schema", "properties", "subject_category", "tlp")


def refuse_newer_schema(url: str, version: int) -> None:
    """Stop here if the store's schema is newer than the migrations this cruce knows.

    An older binary would otherwise run on tables it does not understand (writing rows without
    the columns a newer one relies on): the operator upgrades cruce, or restores the backup
    taken before the upgrade (docs/operations.md, "Upgrades")."""
    known = len(MIGRATIONS)
    if version > known:
        raise CruceError(
            f"store {url} has schema version {version}, newer than this cruce knows ({known}): "
            "run the cruce release that wrote it or a later one (never an older one)"
        )
