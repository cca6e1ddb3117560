from __future__ import annotations

import json
import struct
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from share_support import T0, make_record
from v1_fixture import V1_CREATED, V1_PACKAGE, v1_compact

from cruce.errors import (
    Conflict,
    DecryptionFailed,
    InvalidInput,
    PermissionDenied,
    SignatureInvalid,
)
from cruce.records import Record
from cruce.share import (
    Directory,
    MemoryReplayGuard,
    NodeKeys,
    PackageExpired,
    ReplayDetected,
    Share,
    open_package,
    seal,
)
from cruce.share._canon import b64d, b64e, canonical_json
from cruce.share._format_v1 import V1_ACCEPTED_UNTIL, FormatRetired
from cruce.share._package import SIGN_PREFIX

NOW = T0 + timedelta(hours=1)
SHARE_ID = "0b6f2c9e-4f8e-4c61-9a3e-6a1d2f0c7b11"
RECORDS = (
    make_record("hn-persona-1"),
    make_record("hn-persona-2", name="José Hernández", handling_code="H1", tlp="GREEN"),
    make_record("hn-persona-3", handling_code="H3", handling_restriction="not for the press"),
)


def sealed(keys: dict[str, NodeKeys], directory: Directory, to: list[str], **kw: object) -> bytes:
    args: dict[str, object] = dict(share_id=SHARE_ID, created_at=T0)
    args.update(kw)
    return seal(
        RECORDS, keys["hn_police"], "hn_police", [directory.member(a) for a in to], **args  # type: ignore[arg-type]
    )


def open_as(data: bytes, agency: str, keys: dict[str, NodeKeys], directory: Directory,
            guard: MemoryReplayGuard | None = None, **kw: object) -> object:
    return open_package(
        data, keys[agency], agency, directory, guard or MemoryReplayGuard(), now=kw.get("now", NOW)  # type: ignore[arg-type]
    )


def header_span(data: bytes) -> tuple[int, int]:
    (hlen,) = struct.unpack_from(">I", data, 5)
    return 9, 9 + hlen


def same_records(a: tuple[Record, ...], b: tuple[Record, ...]) -> bool:
    return [r.to_dict() for r in a] == [r.to_dict() for r in b]


def test_one_recipient_gets_the_records_with_envelopes_and_provenance_intact(keys, directory) -> None:
    data = sealed(keys, directory, ["gt_police"], purpose="gangs_organized_crime",
                  conditions={"hn-persona-2": ["H1: not for judicial proceedings"]})
    share = open_as(data, "gt_police", keys, directory)
    assert share.share_id == SHARE_ID and share.sender == "hn_police"
    assert share.recipients == ("gt_police",)
    assert share.created_at == T0 and share.expires_at == T0 + timedelta(days=7)
    assert same_records(share.records, RECORDS)
    assert share.records[2].envelope.handling_restriction == "not for the press"
    assert share.records[0].envelope.provenance.line == 7
    assert share.conditions == {"hn-persona-2": ("H1: not for judicial proceedings",)}
    assert share.purpose == "gangs_organized_crime"


def test_each_of_three_recipients_opens_the_same_package(keys, directory) -> None:
    to = ["gt_police", "sv_police", "us_border"]
    data = sealed(keys, directory, to)
    for agency in to:
        share = open_as(data, agency, keys, directory)
        assert share.recipients == tuple(to)
        assert same_records(share.records, RECORDS)


def test_the_records_are_not_readable_in_the_package(keys, directory) -> None:
    data = sealed(keys, directory, ["gt_police"])
    assert b"Juan" not in data and b"hn-persona-1" not in data and b"personas" not in data


def test_package_signed_by_a_non_member_key_is_rejected(keys, directory) -> None:
    outsider = NodeKeys(Ed25519PrivateKey.generate(), keys["hn_police"].encryption_key)
    data = seal(RECORDS, outsider, "hn_police", [directory.member("gt_police")], SHARE_ID, T0)
    with pytest.raises(SignatureInvalid, match="does not verify under hn_police"):
        open_as(data, "gt_police", keys, directory)


def test_member_cannot_sign_in_another_members_name(keys, directory) -> None:
    data = seal(RECORDS, keys["sv_police"], "hn_police", [directory.member("gt_police")], SHARE_ID, T0)
    with pytest.raises(SignatureInvalid):
        open_as(data, "gt_police", keys, directory)


def test_package_from_an_unknown_sender_is_rejected(keys, directory) -> None:
    data = seal(RECORDS, NodeKeys.generate(), "xx_police", [directory.member("gt_police")], SHARE_ID, T0)
    with pytest.raises(SignatureInvalid, match="not in the compact directory"):
        open_as(data, "gt_police", keys, directory)


def test_altered_header_byte_is_rejected(keys, directory) -> None:
    data = bytearray(sealed(keys, directory, ["gt_police"]))
    start, end = header_span(bytes(data))
    position = bytes(data).index(b'"sender":"hn_police"', start, end) + len('"sender":"') + 1
    data[position] ^= 0x01  # hn_police -> ho_police
    with pytest.raises(SignatureInvalid):
        open_as(bytes(data), "gt_police", keys, directory)


def test_altered_ciphertext_byte_is_rejected(keys, directory) -> None:
    data = bytearray(sealed(keys, directory, ["gt_police"]))
    _, end = header_span(bytes(data))
    data[end + 10] ^= 0x80
    with pytest.raises(SignatureInvalid):
        open_as(bytes(data), "gt_police", keys, directory)


def test_package_not_addressed_to_this_recipient_is_refused(keys, directory) -> None:
    data = sealed(keys, directory, ["gt_police", "us_border"])
    with pytest.raises(PermissionDenied, match="not addressed to sv_police"):
        open_as(data, "sv_police", keys, directory)


def test_recipient_id_with_the_wrong_private_key_cannot_decrypt(keys, directory) -> None:
    data = sealed(keys, directory, ["gt_police"])
    with pytest.raises(DecryptionFailed):
        open_package(data, keys["sv_police"], "gt_police", directory, MemoryReplayGuard(), now=NOW)


def test_expired_package_is_refused(keys, directory) -> None:
    data = sealed(keys, directory, ["gt_police"], expires_at=T0 + timedelta(hours=2))
    assert open_as(data, "gt_police", keys, directory, now=T0 + timedelta(hours=1))
    with pytest.raises(PackageExpired, match="expired"):
        open_as(data, "gt_police", keys, directory, now=T0 + timedelta(hours=2))
    assert issubclass(PackageExpired, PermissionDenied)


def test_package_dated_in_the_future_is_refused(keys, directory) -> None:
    data = sealed(keys, directory, ["gt_police"], created_at=NOW + timedelta(hours=1))
    with pytest.raises(SignatureInvalid, match="future"):
        open_as(data, "gt_police", keys, directory)


def test_replayed_package_is_refused_as_conflict(keys, directory) -> None:
    guard = MemoryReplayGuard()
    data = sealed(keys, directory, ["gt_police"])
    open_as(data, "gt_police", keys, directory, guard)
    assert guard.seen(SHARE_ID)
    with pytest.raises(ReplayDetected) as err:
        open_as(data, "gt_police", keys, directory, guard)
    assert isinstance(err.value, Conflict)


def test_a_package_held_here_is_a_replay_even_past_its_expiry(keys, directory) -> None:
    """A sender whose answer was lost sends again, perhaps after the package expired: the
    recipient that holds it says so ("already received") rather than "expired" (410), which
    the sender would take as final and never learn it was delivered."""
    guard = MemoryReplayGuard()
    data = sealed(keys, directory, ["gt_police"], expires_at=T0 + timedelta(hours=2))
    open_as(data, "gt_police", keys, directory, guard, now=T0 + timedelta(hours=1))
    with pytest.raises(ReplayDetected):
        open_as(data, "gt_police", keys, directory, guard, now=T0 + timedelta(hours=3))
    with pytest.raises(PackageExpired) as err:  # not held here: expired, for good
        open_as(data, "gt_police", keys, directory, now=T0 + timedelta(hours=3))
    assert err.value.status == 410


def test_resealed_package_with_a_reused_share_id_is_also_a_replay(keys, directory) -> None:
    guard = MemoryReplayGuard()
    open_as(sealed(keys, directory, ["gt_police"]), "gt_police", keys, directory, guard)
    with pytest.raises(Conflict):
        open_as(sealed(keys, directory, ["gt_police"]), "gt_police", keys, directory, guard)


def test_failed_open_does_not_burn_the_share_id(keys, directory) -> None:
    guard = MemoryReplayGuard()
    data = sealed(keys, directory, ["gt_police"])
    with pytest.raises(DecryptionFailed):
        open_package(data, keys["sv_police"], "gt_police", directory, guard, now=NOW)
    assert not guard.seen(SHARE_ID)
    open_as(data, "gt_police", keys, directory, guard)


def test_replay_guard_forgets_expired_ids() -> None:
    guard = MemoryReplayGuard()
    guard.remember("a", T0)
    guard.remember("b", T0 + timedelta(days=1))
    assert guard.forget_expired(T0 + timedelta(hours=1)) == 1
    assert not guard.seen("a") and guard.seen("b")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (dict(share_id="not-a-uuid"), "not a UUID"),
        (dict(to=[]), "at least one recipient"),
        (dict(to=["gt_police", "gt_police"]), "twice"),
        (dict(to=["hn_police"]), "sender cannot be a recipient"),
        (dict(created_at=T0.replace(tzinfo=None)), "time zone"),
        (dict(expires_at=T0), "after created_at"),
        (dict(expires_at=T0 + timedelta(days=31)), "at most 30 days"),
    ],
)
def test_bad_seal_arguments_are_refused(keys, directory, change: dict, message: str) -> None:
    to = change.pop("to", ["gt_police"])
    with pytest.raises(InvalidInput, match=message):
        sealed(keys, directory, to, **change)


def test_share_id_can_be_a_uuid_object(keys, directory) -> None:
    data = sealed(keys, directory, ["gt_police"], share_id=uuid.UUID(SHARE_ID))
    assert open_as(data, "gt_police", keys, directory).share_id == SHARE_ID


@pytest.fixture(scope="module")
def package(keys, directory) -> bytes:
    return sealed(keys, directory, ["gt_police", "sv_police"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_flipping_any_single_byte_makes_open_fail(package: bytes, keys, directory, data) -> None:
    position = data.draw(st.integers(0, len(package) - 1), label="position")
    mask = data.draw(st.integers(1, 255), label="mask")
    broken = bytearray(package)
    broken[position] ^= mask
    with pytest.raises((SignatureInvalid, DecryptionFailed)):
        open_as(bytes(broken), "gt_police", keys, directory)


def test_untouched_package_opens_for_the_flip_test(package: bytes, keys, directory) -> None:
    assert open_as(package, "gt_police", keys, directory)


def test_package_from_a_sender_whose_directory_entry_has_lapsed_is_rejected(keys, directory) -> None:
    data = sealed(keys, directory, ["gt_police"])
    lapsed = directory.member("hn_police").valid_until
    with pytest.raises(SignatureInvalid, match="membership of the compact is not in force"):
        open_as(data, "gt_police", keys, directory, now=lapsed + timedelta(seconds=1))


# -- format 2: RFC 9180 HPKE key wrap, every field bound --------------------------------------
def header_of(data: bytes) -> dict[str, Any]:
    start, end = header_span(data)
    return dict(json.loads(data[start:end]))


def rebuilt(data: bytes, change: Callable[[dict[str, Any]], None],
            signer: NodeKeys | None = None) -> bytes:
    """The package with its header changed; re-signed by `signer` (an insider holding a
    sender's key), else with the original signature left in place."""
    start, end = header_span(data)
    header = json.loads(data[start:end])
    change(header)
    header_bytes = canonical_json(header)
    body = data[:5] + struct.pack(">I", len(header_bytes)) + header_bytes + data[end:-64]
    signature = signer.signing_key.sign(SIGN_PREFIX + body) if signer else data[-64:]
    return body + signature


def test_a_package_is_sealed_in_format_2_with_the_hpke_suite(keys, directory) -> None:
    data = sealed(keys, directory, ["gt_police", "sv_police"])
    assert data[4] == 2
    header = header_of(data)
    assert header["v"] == 2
    assert header["suite"] == "HPKE-base/DHKEM(X25519,HKDF-SHA256)/HKDF-SHA256/ChaCha20Poly1305"
    assert [sorted(r) for r in header["recipients"]] == [["id", "sealed_key"]] * 2


def _other_recipient(h: dict[str, Any]) -> None:
    h["recipients"][0]["id"] = "us_border"


def _flip_sealed_key(h: dict[str, Any]) -> None:
    key = bytearray(b64d(h["recipients"][0]["sealed_key"], "k"))
    key[-1] ^= 1
    h["recipients"][0]["sealed_key"] = b64e(bytes(key))


HEADER_CHANGES: dict[str, Callable[[dict[str, Any]], None]] = {
    "share_id": lambda h: h.update(share_id="9d7d3b52-1c1e-4e0a-8f51-3b9a3c2e7d01"),
    "sender": lambda h: h.update(sender="sv_police"),
    "created_at": lambda h: h.update(created_at=(T0 - timedelta(seconds=1)).isoformat()),
    "expires_at": lambda h: h.update(expires_at=(T0 + timedelta(days=8)).isoformat()),
    "purpose": lambda h: h.update(purpose="border_security"),
    "nonce": lambda h: h.update(nonce=b64e(bytes(12))),
    "recipient id": _other_recipient,
    "sealed key": _flip_sealed_key,
    "recipient dropped": lambda h: h["recipients"].pop(),
    "recipients swapped": lambda h: h["recipients"].reverse(),
}


@pytest.mark.parametrize("field", sorted(HEADER_CHANGES))
def test_changing_any_header_field_breaks_the_signature(keys, directory, field: str) -> None:
    data = rebuilt(sealed(keys, directory, ["gt_police", "sv_police"]), HEADER_CHANGES[field])
    with pytest.raises(SignatureInvalid):
        open_as(data, "gt_police", keys, directory)


@pytest.mark.parametrize("field", sorted(set(HEADER_CHANGES) - {"sender"}))
def test_a_header_change_resigned_by_the_sender_still_does_not_open(keys, directory,
                                                                   field: str) -> None:
    """Beyond the signature: the header is the payload's associated data and each sealed key
    is bound to its share, sender and recipient, so the sender's own key cannot make altered
    bytes open either (the package no longer matches what was encrypted)."""
    data = rebuilt(sealed(keys, directory, ["gt_police", "sv_police"]), HEADER_CHANGES[field],
                   keys["hn_police"])
    opener = "us_border" if field == "recipient id" else "gt_police"
    with pytest.raises(DecryptionFailed):
        open_as(data, opener, keys, directory)


def test_a_recipient_cannot_resend_a_package_as_its_own(keys, directory) -> None:
    """gt_police re-signs hn_police's package in its own name for sv_police: sv_police's
    sealed key names hn_police as the sender and does not open."""
    data = rebuilt(sealed(keys, directory, ["gt_police", "sv_police"]),
                   lambda h: h.update(sender="gt_police"), keys["gt_police"])
    with pytest.raises(DecryptionFailed, match="content key does not open"):
        open_as(data, "sv_police", keys, directory)


def test_a_sealed_key_moved_to_another_recipient_does_not_open(keys, directory) -> None:
    def swap_keys(h: dict[str, Any]) -> None:
        first, second = h["recipients"]
        first["sealed_key"], second["sealed_key"] = second["sealed_key"], first["sealed_key"]

    data = rebuilt(sealed(keys, directory, ["gt_police", "sv_police"]), swap_keys,
                   keys["hn_police"])
    with pytest.raises(DecryptionFailed, match="content key does not open"):
        open_as(data, "gt_police", keys, directory)


def test_a_sealed_key_moved_to_another_share_does_not_open(keys, directory) -> None:
    other = sealed(keys, directory, ["gt_police"], share_id="9d7d3b52-1c1e-4e0a-8f51-3b9a3c2e7d01")
    moved = header_of(other)["recipients"]
    data = rebuilt(sealed(keys, directory, ["gt_police"]),
                   lambda h: h.update(recipients=moved), keys["hn_police"])
    with pytest.raises(DecryptionFailed, match="content key does not open"):
        open_as(data, "gt_police", keys, directory)


def test_a_format_2_package_labelled_format_1_is_refused(keys, directory) -> None:
    data = bytearray(sealed(keys, directory, ["gt_police"]))
    data[4] = 1
    with pytest.raises(SignatureInvalid, match="malformed"):
        open_as(bytes(data), "gt_police", keys, directory)


def test_an_unknown_format_is_refused_naming_the_formats_read(keys, directory) -> None:
    data = bytearray(sealed(keys, directory, ["gt_police"]))
    data[4] = 3
    with pytest.raises(SignatureInvalid, match="reads 1 and 2"):
        open_as(bytes(data), "gt_police", keys, directory)


# -- format 1, sealed by the previous release: read until the end of the transition --------
@pytest.fixture(scope="module", name="v1_compact")
def v1_compact_fixture() -> tuple[dict[str, NodeKeys], Directory]:
    return v1_compact()


def open_v1(v1_compact: tuple[dict[str, NodeKeys], Directory], data: bytes, agency: str,
            now: datetime) -> Share:
    v1_keys, v1_directory = v1_compact
    return open_package(data, v1_keys[agency], agency, v1_directory, MemoryReplayGuard(),
                        now=now)


def test_a_format_1_package_in_flight_is_still_accepted(v1_compact) -> None:
    data = V1_PACKAGE
    assert data[4] == 1
    share = open_v1(v1_compact, data, "gt_police", V1_CREATED + timedelta(hours=1))
    assert share.sender == "hn_police" and share.recipients == ("gt_police", "sv_police")
    assert share.records[0].entity.id == "hn-persona-1"
    assert share.conditions == {"hn-persona-1": ("H2: ask before onward sharing",)}
    assert open_v1(v1_compact, data, "sv_police", V1_CREATED + timedelta(hours=1))


def test_a_format_1_package_is_still_checked_like_any_other(v1_compact) -> None:
    data = V1_PACKAGE
    with pytest.raises(PermissionDenied, match="not addressed to hn_police"):
        open_v1(v1_compact, data, "hn_police", V1_CREATED + timedelta(hours=1))
    broken = bytearray(data)
    broken[len(data) // 2] ^= 0x04
    with pytest.raises(SignatureInvalid):
        open_v1(v1_compact, bytes(broken), "gt_police", V1_CREATED + timedelta(hours=1))


def test_a_format_1_package_is_refused_for_good_after_the_transition(v1_compact) -> None:
    data = V1_PACKAGE
    with pytest.raises(FormatRetired, match="format 1") as err:
        open_v1(v1_compact, data, "gt_police", V1_ACCEPTED_UNTIL)
    assert err.value.status == 410 and isinstance(err.value, PermissionDenied)
