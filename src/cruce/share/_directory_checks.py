"""A node's own checks on the directory it is given, before it shares anything under it.

`Directory.load` proves the authority signed the file. That is not enough to run on it:

- it must be this node's compact: it lists this node's agency with this node's own keys (else
  every share and receipt would fail later, one by one); a lapsed membership of its own is
  warned of (and /ready reports it), never refused: erasures must still be queued;
- it must not be older than one this node already took (anti-rollback): an attacker, or a
  stale copy on a restored host, replaying serial 10 after 11 would bring back a member the
  authority removed. The serial, digest and authority of the newest directory taken are kept in
  the store (node setting `directory`); a new authority key starts a new history (a rotation);
- memberships about to expire are warned of (logged, and listed for /health) while there is
  still time to renew them.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from cruce.errors import InvalidInput
from cruce.share._canon import canonical_json
from cruce.share._directory import Directory
from cruce.share._keys import NodeKeys

log = logging.getLogger("cruce.share.directory")

SETTING = "directory"  # node setting: the newest directory taken (authority, serial, digest)
WARN_BEFORE = timedelta(days=30)  # memberships expiring sooner are warned of


class Settings(Protocol):
    def get_setting(self, key: str) -> str | None: ...

    def set_setting(self, key: str, value: str) -> None: ...


@dataclass(frozen=True, slots=True)
class Taken:
    """The newest directory a node has taken."""

    authority: str  # hex of the authority's raw public key
    serial: int
    digest: str  # SHA-256 of the signed body's canonical JSON

    @classmethod
    def of(cls, directory: Directory, authority: bytes) -> Taken:
        digest = hashlib.sha256(canonical_json(directory.body())).hexdigest()
        return cls(authority.hex(), directory.serial, digest)


def take_directory(
    directory: Directory, authority: bytes, agency: str | None, keys: NodeKeys,
    settings: Settings, now: datetime | None = None,
) -> list[str]:
    """Refuse a directory this node must not run on (InvalidInput, one line saying why and what
    to do); else remember it as the newest taken and return the expiry warnings (also logged)."""
    now = now or datetime.now(UTC)
    where = f"the compact directory (serial {directory.serial})"
    check_own_entry(directory, agency, keys, where)
    refuse_rollback(directory, authority, settings, where)
    warnings = expiry_warnings(directory, agency, now)
    for warning in warnings:
        log.warning(warning)
    return warnings


def check_own_entry(directory: Directory, agency: str | None, keys: NodeKeys,
                    where: str) -> None:
    if not agency:
        raise InvalidInput("this node has no agency yet: run cruce init --agency before sharing")
    own = directory.get(agency)
    if own is None:
        raise InvalidInput(
            f"{where} does not list this node ({agency}): it is another compact's, or the "
            "authority has not added this node yet; get the directory that lists it")
    mine = keys.public()
    if (own.signing_key, own.encryption_key) != (mine.signing, mine.encryption):
        raise InvalidInput(
            f"{where} lists {agency} with other keys than this node's: it was signed for "
            "another node's keys, or this node's keys changed; send the authority the entry "
            "of cruce keys and use the directory it signs")
    # A lapsed own membership is warned of, not refused: the node must still erase, expire
    # and queue its notices (delivered once renewed), and /ready reports it (503).


def refuse_rollback(directory: Directory, authority: bytes, settings: Settings,
                    where: str) -> None:
    offered = Taken.of(directory, authority)
    known = _taken(settings)
    if known is not None and known.authority == offered.authority:
        if offered.serial < known.serial:
            raise InvalidInput(
                f"{where} is older than serial {known.serial}, which this node has taken: a "
                "directory is never rolled back; use the newest one the authority signed")
        if offered.serial == known.serial and offered.digest != known.digest:
            raise InvalidInput(
                f"{where} differs from the serial {known.serial} this node has taken: the "
                "authority signs each new directory with a higher serial")
        if offered == known:
            return
    elif known is not None:
        log.warning("the compact authority's key changed (directory serial %d under a new "
                    "key): a new directory history starts", directory.serial)
    settings.set_setting(SETTING, json.dumps(
        {"authority": offered.authority, "serial": offered.serial, "digest": offered.digest}))


def _taken(settings: Settings) -> Taken | None:
    text = settings.get_setting(SETTING)
    if text is None:
        return None
    data = json.loads(text)
    return Taken(str(data["authority"]), int(data["serial"]), str(data["digest"]))


def expiry_warnings(directory: Directory, agency: str | None, now: datetime,
                    within: timedelta = WARN_BEFORE) -> list[str]:
    """One line per membership that has expired or expires within `within`."""
    warnings = []
    for member in directory:
        left = member.valid_until - now
        who = f"this node's membership ({member.id})" if member.id == agency else \
            f"the membership of {member.id}"
        if left <= timedelta(0):
            warnings.append(f"{who} expired on {member.valid_until.isoformat()}: "
                            "nothing is exchanged with it until the authority renews it")
        elif left <= within:
            warnings.append(f"{who} expires in {left.days} days "
                            f"({member.valid_until.isoformat()}): ask the authority to renew it")
    return warnings
