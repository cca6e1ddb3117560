"""Sealed messages between nodes (requests, replies, consent requests and answers): only the
addressee reads them, and any change, forgery or misdirection is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cruce.errors import DecryptionFailed, InvalidInput, PermissionDenied, SignatureInvalid
from cruce.share import Directory, NodeKeys
from cruce.share._messages import MessageExpired, open_message, seal_message

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
