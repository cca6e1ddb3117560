"""Sealed messages between nodes (requests, replies, consent requests and answers): only the
addressee reads them, and any change, forgery or misdirection is refused."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from v1_fixture import V1_MESSAGE, v1_compact

from cruce.errors import DecryptionFailed, InvalidInput, PermissionDenied, SignatureInvalid
from cruce.share import Directory, NodeKeys
from cruce.share._canon import b64e, canonical_json
from cruce.share._format_v1 import V1_ACCEPTED_UNTIL, FormatRetired
from cruce.share._messages import PREFIX, MessageExpired, open_message, seal_message

FIELDS = {"thread_id": "7d1f0a52-3c55-4d3e-9a59-0b6f0c7a2f10", "subject": "Alias El Flaco",
          "text": "¿Conocen a José Luis Hernández García?", "author": "ana.lopez"}


def sealed(keys: dict[str, NodeKeys], directory: Directory, kind: str = "request") -> bytes:
    return seal_message(keys["hn_police"], "hn_police", directory.member("gt_police"), kind,
                        FIELDS)


def test_the_addressee_opens_what_the_sender_sealed(keys, directory) -> None:
    message = open_message(sealed(keys, directory), keys["gt_police"], "gt_police", directory)
    assert (message.sender, message.recipient, message.kind) == ("hn_police", "gt_police",
                                                                 "request")
    assert message.fields == FIELDS


def test_the_text_is_not_readable_on_the_wire(keys, directory) -> None:
    data = sealed(keys, directory)
    assert b"Flaco" not in data and "Hernández".encode() not in data


def test_another_agency_cannot_open_it(keys, directory) -> None:
    data = sealed(keys, directory)
    with pytest.raises(PermissionDenied, match="addressed to another agency"):
        open_message(data, keys["sv_police"], "sv_police", directory)
    with pytest.raises(DecryptionFailed):  # even lying about who it is
        open_message(data.replace(b'"gt_police"', b'"gt_police"'), keys["sv_police"],
                     "gt_police", directory)


def test_a_changed_byte_or_a_forged_sender_is_refused(keys, directory) -> None:
    data = bytearray(sealed(keys, directory))
    data[40] ^= 0x01
    with pytest.raises((SignatureInvalid, InvalidInput)):
        open_message(bytes(data), keys["gt_police"], "gt_police", directory)
    forged = seal_message(NodeKeys.generate(), "hn_police", directory.member("gt_police"),
                          "request", FIELDS)
    with pytest.raises(SignatureInvalid, match="does not verify"):
        open_message(forged, keys["gt_police"], "gt_police", directory)
    stranger = seal_message(NodeKeys.generate(), "xx_police", directory.member("gt_police"),
                            "request", FIELDS)
    with pytest.raises(SignatureInvalid, match="not in the compact directory"):
        open_message(stranger, keys["gt_police"], "gt_police", directory)


def test_an_old_message_is_refused_for_good_naming_its_id(keys, directory) -> None:
    data = sealed(keys, directory)
    later = datetime.now(UTC) + timedelta(days=31)
    with pytest.raises(MessageExpired) as err:
        open_message(data, keys["gt_police"], "gt_police", directory, now=later)
    assert err.value.status == 410 and isinstance(err.value, PermissionDenied)
    assert err.value.message_id == open_message(data, keys["gt_police"], "gt_police",
                                                directory).message_id


def test_unknown_kinds_are_not_sealed(keys, directory) -> None:
    with pytest.raises(InvalidInput, match="message kind"):
        sealed(keys, directory, kind="gossip")


# -- format 2: RFC 9180 HPKE, the header bound to the ciphertext ------------------------------
def parts(data: bytes) -> tuple[dict[str, Any], bytes]:
    body, _, signature = data.rpartition(b"\n")
    return dict(json.loads(body)), signature


def rebuilt(data: bytes, change: Callable[[dict[str, Any]], None],
            signer: NodeKeys | None = None) -> bytes:
    """The message with its header changed; re-signed by `signer`, else the old signature."""
    header, signature = parts(data)
    change(header)
    body = canonical_json(header)
    if signer is not None:
        signature = b64e(signer.signing_key.sign(PREFIX + body)).encode("ascii")
    return body + b"\n" + signature


def test_a_message_is_sealed_in_format_2(keys, directory) -> None:
    header, _ = parts(sealed(keys, directory))
    assert header["v"] == 2
    assert set(header) == {"v", "type", "message_id", "sender", "recipient", "created_at",
                           "sealed"}


MESSAGE_CHANGES: dict[str, Callable[[dict[str, Any]], None]] = {
    "message_id": lambda h: h.update(message_id="9d7d3b52-1c1e-4e0a-8f51-3b9a3c2e7d01"),
    "sender": lambda h: h.update(sender="sv_police"),
    "recipient": lambda h: h.update(recipient="sv_police"),
    "created_at": lambda h: h.update(
        created_at=(datetime.fromisoformat(h["created_at"]) - timedelta(seconds=1)).isoformat()),
    "sealed": lambda h: h.update(sealed=h["sealed"][:-8] + ("A" * 7 + "=")),
    "v": lambda h: h.update(v=1),
}


@pytest.mark.parametrize("field", sorted(MESSAGE_CHANGES))
def test_changing_any_message_field_is_refused(keys, directory, field: str) -> None:
    data = rebuilt(sealed(keys, directory), MESSAGE_CHANGES[field])
    with pytest.raises(SignatureInvalid):
        open_message(data, keys["gt_police"], "gt_police", directory)


@pytest.mark.parametrize("field", ["message_id", "created_at", "sealed"])
def test_a_change_resigned_by_the_sender_still_does_not_decrypt(keys, directory,
                                                               field: str) -> None:
    data = rebuilt(sealed(keys, directory), MESSAGE_CHANGES[field], keys["hn_police"])
    with pytest.raises(DecryptionFailed):
        open_message(data, keys["gt_police"], "gt_police", directory)


def test_a_message_readdressed_by_its_sender_does_not_open_for_the_new_addressee(
        keys, directory) -> None:
    data = rebuilt(sealed(keys, directory), MESSAGE_CHANGES["recipient"], keys["hn_police"])
    with pytest.raises(DecryptionFailed):
        open_message(data, keys["sv_police"], "sv_police", directory)


def test_a_recipient_cannot_pass_a_message_on_as_its_own(keys, directory) -> None:
    def as_gt_to_sv(h: dict[str, Any]) -> None:
        h.update(sender="gt_police", recipient="sv_police")

    data = rebuilt(sealed(keys, directory), as_gt_to_sv, keys["gt_police"])
    with pytest.raises(DecryptionFailed):
        open_message(data, keys["sv_police"], "sv_police", directory)


# -- format 1, sealed by the previous release ---------------------------------------------
@pytest.fixture(scope="module", name="v1_compact")
def v1_compact_fixture() -> tuple[dict[str, NodeKeys], Directory]:
    return v1_compact()


def test_a_format_1_message_in_flight_is_still_accepted(v1_compact) -> None:
    v1_keys, v1_directory = v1_compact
    data = V1_MESSAGE
    created = datetime.fromisoformat(parts(data)[0]["created_at"])
    message = open_message(data, v1_keys["gt_police"], "gt_police", v1_directory,
                           now=created + timedelta(hours=1))
    assert (message.sender, message.kind) == ("hn_police", "request")
    assert message.fields["subject"] == "Alias El Flaco"
    with pytest.raises(PermissionDenied, match="another agency"):
        open_message(data, v1_keys["sv_police"], "sv_police", v1_directory,
                     now=created + timedelta(hours=1))


def test_a_format_1_message_is_refused_for_good_after_the_transition(v1_compact) -> None:
    v1_keys, v1_directory = v1_compact
    with pytest.raises(FormatRetired) as err:
        open_message(V1_MESSAGE, v1_keys["gt_police"], "gt_police",
                     v1_directory, now=V1_ACCEPTED_UNTIL)
    assert err.value.status == 410
