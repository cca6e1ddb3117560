"""Every change to the stored files is found by `verify_log`, which names the first bad entry.

The `filled` log has 20 entries and signed heads at sizes 0, 8 and 20.
"""

from __future__ import annotations

import struct

import pytest
from audit_support import make_event, public_key, read_records, write_records

from cruce.audit import AuditChainBrokenAt, AuditLog, leaf_hash, verify_log
from cruce.errors import AuditChainBroken


def broken_at(log_dir) -> AuditChainBrokenAt:
    with pytest.raises(AuditChainBrokenAt) as info:
        verify_log(log_dir, public_key(log_dir))
    return info.value


def rewrite(record: bytes, payload: bytes) -> bytes:
    """A record with new content and a correct checksum: what a careful forger would write."""
    return struct.pack(">I", len(payload)) + leaf_hash(payload) + payload


def test_an_untouched_log_verifies_with_only_the_public_key(filled) -> None:
    report = verify_log(filled, public_key(filled))
    assert (report.tree_size, report.heads_checked, report.torn_tail_bytes) == (20, 3, 0)
    assert report.latest_head is not None
    assert report.root_hash == report.latest_head.root_hash


def test_a_flipped_byte_in_an_entry_is_found_at_that_entry(filled) -> None:
    records = read_records(filled)
    damaged = bytearray(records[11])
    damaged[-5] ^= 0x01
    records[11] = bytes(damaged)
    write_records(filled, records)
    error = broken_at(filled)
    assert error.index == 11
    assert "checksum" in error.reason


def test_a_removed_entry_is_found_where_it_was(filled) -> None:
    records = read_records(filled)
    del records[13]
    write_records(filled, records)
    assert broken_at(filled).index == 13


def test_two_swapped_entries_are_found_at_the_first(filled) -> None:
    records = read_records(filled)
    records[4], records[5] = records[5], records[4]
    write_records(filled, records)
    assert broken_at(filled).index == 4


def test_an_inserted_entry_is_found_where_it_was_inserted(filled) -> None:
    records = read_records(filled)
    records.insert(9, rewrite(records[9], make_event(99).encode()))
    write_records(filled, records)
    assert broken_at(filled).index == 9


def test_a_truncated_tail_is_found_against_the_head_that_covered_it(filled) -> None:
    write_records(filled, read_records(filled)[:17])
    error = broken_at(filled)
    assert error.index == 17
    assert "signed head covers 20" in error.reason


def test_a_tail_cut_inside_a_record_is_found_at_that_record(filled) -> None:
    path = filled / "entries.log"
    path.write_bytes(path.read_bytes()[:-10])
    assert broken_at(filled).index == 19


def test_an_entry_rewritten_with_a_valid_checksum_is_still_found(filled) -> None:
    records = read_records(filled)
    records[6] = rewrite(records[6], make_event(6).encode().replace(b"analyst7", b"analyst8"))
    write_records(filled, records)
    error = broken_at(filled)
    assert error.index == 6
    assert "head signed at 8" in error.reason


def test_without_tree_bin_a_forgery_is_located_between_two_signed_heads(filled) -> None:
    records = read_records(filled)
    records[12] = rewrite(records[12], make_event(12).encode().replace(b"analyst7", b"x"))
    write_records(filled, records)
    (filled / "tree.bin").unlink()
    error = broken_at(filled)
    assert error.index == 8  # the last size a signed head vouches for
    assert "[8, 20)" in error.reason


def test_a_damaged_tree_file_is_reported_as_such_when_entries_match_the_heads(filled) -> None:
    path = filled / "tree.bin"
    data = bytearray(path.read_bytes())
    data[16 + 32 * 3] ^= 0xFF  # leaf 2's hash (post-order position 3)
    path.write_bytes(bytes(data))
    error = broken_at(filled)
    assert error.index == 2
    assert "tree.bin is damaged" in error.reason


def test_a_forged_head_signature_is_rejected(filled) -> None:
    path = filled / "heads.bin"
    data = bytearray(path.read_bytes())
    data[16 + 120 + 60] ^= 0x01  # inside head #1 (size 8)
    path.write_bytes(bytes(data))
    error = broken_at(filled)
    assert error.index is None
    assert "head #1" in error.reason


def test_verifying_with_another_nodes_key_fails(filled, tmp_path) -> None:
    with AuditLog.open(tmp_path / "other.audit") as other:
        other_key = other.public_key
    with pytest.raises(AuditChainBroken):
        verify_log(filled, other_key)


def test_opening_a_log_with_missing_signed_entries_refuses_to_continue(filled) -> None:
    write_records(filled, read_records(filled)[:15])
    with pytest.raises(AuditChainBrokenAt) as info:
        AuditLog.open(filled)
    assert info.value.index == 15


def test_opening_a_log_with_a_forged_entry_refuses_to_continue(filled) -> None:
    records = read_records(filled)
    records[19] = rewrite(records[19], make_event(19).encode().replace(b"analyst7", b"x"))
    write_records(filled, records)
    (filled / "tree.bin").unlink()  # make open rebuild from entries
    with pytest.raises(AuditChainBroken):
        AuditLog.open(filled)


def test_deleted_derived_files_are_rebuilt_on_opening(filled) -> None:
    root = verify_log(filled, public_key(filled)).root_hash
    (filled / "tree.bin").unlink()
    (filled / "offsets.bin").unlink()
    with AuditLog.open(filled) as log:
        assert log.size == 20
        assert log.root(20) == root
        assert log.entry(13).event["details"]["n"] == 13
    verify_log(filled, public_key(filled))


def test_opening_with_a_tree_file_that_contradicts_the_head_refuses_to_continue(filled) -> None:
    path = filled / "tree.bin"
    data = bytearray(path.read_bytes())
    data[-1] ^= 0x01  # the last node stored: leaves 16-19, part of the size-20 root
    path.write_bytes(bytes(data))
    with pytest.raises(AuditChainBroken, match=r"tree\.bin does not match"):
        AuditLog.open(filled)


def test_opening_never_cuts_signed_entries_out_of_entries_log(filled) -> None:
    records = read_records(filled)
    damaged = bytearray(records[3])
    damaged[-2] ^= 0x01
    records[3] = bytes(damaged)
    write_records(filled, records)
    before = (filled / "entries.log").read_bytes()
    (filled / "tree.bin").unlink()  # forces a replay from the first entry
    with pytest.raises(AuditChainBrokenAt) as info:
        AuditLog.open(filled)
    assert info.value.index == 3
    assert (filled / "entries.log").read_bytes() == before
    assert not list(filled.glob("entries.torn-*"))
