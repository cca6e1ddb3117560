"""What the node's store remembers of its audit log: the log's public key and how many entries
its signed heads covered when the node last closed.

Everything in the log's folder can be replaced together: a whole log rewritten under a new
key, with its own public key beside it, verifies against that key (issue 10 #8); a folder put
back to an earlier copy has a consistent tree and heads, so it verifies too (issue 10 #4). The
store is another file (or another server) that the log's writer does not hold, so the node
pins both there:

- the log's key, when the node first opens its log (at `cruce init`); the key beside the log
  is trusted only if it is the pinned one, and `cruce audit verify` verifies against the
  pinned key unless given `--public-key`;
- the size of every head as soon as it is signed (`HeadPins`, on a connection of its own so
  that no store transaction can take the pin back), and again when the node closes; a log
  found with fewer signed entries than that was cut short. A node killed (SIGKILL, a crash)
  has pinned every head it signed but the one being pinned when it died.

Peers keep what they saw of the log as well (`_peers`): the pins are the node's own check, the
peers' cross-check is the one an insider holding every file of the node cannot undo.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from cruce.audit._errors import AuditChainBrokenAt
from cruce.audit._sth import load_public_key, public_key_bytes

if TYPE_CHECKING:
    from cruce.audit._log import AuditLog
    from cruce.audit._sth import SignedTreeHead

log = logging.getLogger(__name__)

KEY_SETTING = "audit_log_key"  # hex of the raw Ed25519 public key
SIZE_SETTING = "audit_log_signed_size"


class Settings(Protocol):
    """The store's node settings (`Store.get_setting` / `set_setting`)."""

    def get_setting(self, key: str) -> str | None: ...

    def set_setting(self, key: str, value: str) -> None: ...


def pinned_key(settings: Settings) -> Ed25519PublicKey | None:
    """The log key pinned in the store, or None for a node that never pinned one."""
    text = settings.get_setting(KEY_SETTING)
    return load_public_key(bytes.fromhex(text)) if text else None


def pin_key(settings: Settings, key: Ed25519PublicKey) -> None:
    """Pin `key` the first time; afterwards refuse any other key."""
    pinned = pinned_key(settings)
    if pinned is None:
        settings.set_setting(KEY_SETTING, public_key_bytes(key).hex())
    else:
        check_key(pinned, key)


def check_key(pinned: Ed25519PublicKey, found: Ed25519PublicKey) -> None:
    """Refuse a log whose key is not the pinned one."""
    if public_key_bytes(pinned) != public_key_bytes(found):
        raise AuditChainBrokenAt(
            None,
            "the log is signed with another key than the one pinned in the node's store when "
            "it was created: the log was rewritten or its key replaced",
            "keep the folder as evidence, restore the log from a replica and compare it with "
            "the heads peers hold",
        )


def pinned_size(settings: Settings) -> int:
    """The signed size pinned when the node last closed (0 if never)."""
    return int(settings.get_setting(SIZE_SETTING) or 0)


def check_size(pinned: int, signed_size: int) -> None:
    """Refuse a log whose signed heads cover fewer entries than when the node last closed."""
    if signed_size < pinned:
        raise AuditChainBrokenAt(
            signed_size,
            f"missing: the node's store pinned {pinned} signed entries when its log was last "
            f"closed, the log has {signed_size}: it was cut short or put back to an earlier copy",
            "keep the folder as evidence, restore the log from a replica and compare it with "
            "the heads peers hold",
        )


def pin_size(settings: Settings, signed_size: int) -> None:
    """Remember the latest signed size (never lowering it)."""
    if signed_size > pinned_size(settings):
        settings.set_setting(SIZE_SETTING, str(signed_size))


def pin_log(settings: Settings, log: AuditLog) -> None:
    """When the node opens its log: the key must be the pinned one (pinned now if none is),
    and the log no shorter than when the node last closed. From then on every head the log
    signs is pinned as soon as it is durable (a store's settings, on a second connection)."""
    from cruce.store import Store
    from cruce.store._side_settings import SettingsBeside

    pin_key(settings, log.public_key)
    check_size(pinned_size(settings), log.signed_size)
    pin_size(settings, log.signed_size)
    if isinstance(settings, Store):
        log.watch_heads(HeadPins(SettingsBeside(settings)))


def close_log(settings: Settings, log: AuditLog) -> None:
    """When the node closes: close the log (its final head) and pin the size it signed."""
    pins = log.watch_heads(None)  # the final head is pinned here, on the store's own connection
    try:
        log.close()
        pin_size(settings, log.signed_size)
    finally:
        if isinstance(pins, HeadPins):
            pins.close()


class HeadPins:
    """Pins each signed head's size in the store, as the log signs it (`AuditLog.watch_heads`).

    Called in the thread that signed the head (the log's committer, or a reader asking for the
    head), after the head is durable: the pin never covers a size no head signed. A failure is
    logged at ERROR and leaves the pin where it was (behind, never ahead): the log goes on.
    """

    def __init__(self, settings: SettingsCloser) -> None:
        self.settings = settings

    def __call__(self, head: SignedTreeHead) -> None:
        try:
            pin_size(self.settings, head.tree_size)
        except Exception:  # noqa: BLE001 - the log must not fail for its pin
            log.error("could not pin the audit log's signed size %d in the node's store",
                      head.tree_size, exc_info=True)

    def close(self) -> None:
        self.settings.close()


class SettingsCloser(Settings, Protocol):
    """Settings on a connection of their own, closed with the log."""

    def close(self) -> None: ...
