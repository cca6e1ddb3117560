"""Crash safety: what was acknowledged survives SIGKILL; a torn tail is set aside on reopening."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from audit_support import make_event, public_key, read_records
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cruce.audit import AuditLog, verify_log
from cruce.errors import AuditChainBroken

# The child appends from several threads and prints each index once `append` has returned it,
# i.e. once the log acknowledged it as durable. Each event names its writer and sequence number.
CHILD = """
import os, sys, threading
from pathlib import Path
from cruce.audit import AccessEvent, Actor, AuditLog, Justification, Operation

log = AuditLog.open(Path(sys.argv[1]), head_interval=0.05)
actor, why = Actor("gt_pnc", "crash", "system"), Justification("test")

def writer(t):
    for n in range(10**9):
        tag = f"{t}-{n}"
        index = log.append(AccessEvent(Operation.CONSULTATION, actor, why, record_ids=(tag,)))
        os.write(1, f"{index} {tag}\\n".encode())

for t in range(6):
    threading.Thread(target=writer, args=(t,), daemon=True).start()
threading.Event().wait()
"""


def run_and_kill(log_dir: Path, acknowledged: int, script: str = CHILD) -> dict[int, str]:
    """Start the child, SIGKILL it after `acknowledged` acks, return every ack it printed."""
    child = subprocess.Popen(
        [sys.executable, "-c", script, str(log_dir)], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    acks: dict[int, str] = {}
    deadline = time.monotonic() + 60
    while len(acks) < acknowledged and time.monotonic() < deadline:
        line = child.stdout.readline()
        if not line:
            break
        index, tag = line.split()
        acks[int(index)] = tag
    os.kill(child.pid, signal.SIGKILL)  # in the middle of the burst
    rest, _ = child.communicate(timeout=30)
    for line in rest.splitlines():  # acks printed before the kill but not read yet
        index, tag = line.split()
        acks[int(index)] = tag
    assert child.returncode == -signal.SIGKILL
    assert len(acks) >= acknowledged, "the child did not get going"
    return acks


def test_every_acknowledged_append_survives_sigkill_and_the_log_verifies(log_dir) -> None:
    acks = run_and_kill(log_dir, 3000)
    with AuditLog.open(log_dir) as log:
        assert log.size >= max(acks) + 1
        for index, tag in acks.items():
            assert log.entry(index).event["record_ids"] == [tag]
        again = log.append(make_event(0))  # and the log carries on where it stopped
        assert again == log.size - 1
    assert verify_log(log_dir, public_key(log_dir)).tree_size == again + 1


def test_two_crashes_in_a_row_keep_both_bursts(log_dir) -> None:
    first = run_and_kill(log_dir, 500)
    second = run_and_kill(log_dir, 500)
    assert not set(first) & set(second)
    with AuditLog.open(log_dir) as log:
        for index, tag in (first | second).items():
            assert log.entry(index).event["record_ids"] == [tag]
    verify_log(log_dir, public_key(log_dir))


def crash_image(live: Path, image: Path) -> None:
    """What a crash of the open log `live` leaves behind, as the folder `image`."""
    shutil.copytree(live, image, ignore=shutil.ignore_patterns("lock"))


def test_a_torn_tail_is_moved_aside_and_acknowledged_entries_kept(tmp_path) -> None:
    live, log_dir = tmp_path / "live.audit", tmp_path / "image.audit"
    with AuditLog.open(live) as log:
        log.append_many([make_event(i) for i in range(10)])
        crash_image(live, log_dir)
    entries = log_dir / "entries.log"
    partial = read_records(log_dir)[3][:25]  # a write cut short: header and part of a hash
    with entries.open("ab") as f:
        f.write(partial)
    report = verify_log(log_dir, public_key(log_dir))
    assert (report.tree_size, report.torn_tail_bytes) == (10, 25)
    with AuditLog.open(log_dir) as log:
        assert log.size == 10
        assert log.append(make_event(10)) == 10
    (side,) = log_dir.glob("entries.torn-*.bin")
    assert side.read_bytes() == partial
    assert verify_log(log_dir, public_key(log_dir)).torn_tail_bytes == 0


def test_unacknowledged_garbage_after_a_crash_is_not_taken_for_entries(tmp_path) -> None:
    live, log_dir = tmp_path / "live.audit", tmp_path / "image.audit"
    with AuditLog.open(live) as log:
        log.append_many([make_event(i) for i in range(4)])
        crash_image(live, log_dir)
    with (log_dir / "entries.log").open("ab") as f:
        f.write(b"\x00\x00\x00\x05" + b"\x00" * 32 + b"hello")  # whole record, bad checksum
    with AuditLog.open(log_dir) as log:
        assert log.size == 4


def test_bytes_after_a_clean_close_are_refused_and_left_as_evidence(log_dir) -> None:
    with AuditLog.open(log_dir) as log:
        log.append_many([make_event(i) for i in range(4)])
    with (log_dir / "entries.log").open("ab") as f:
        f.write(b"\x00\x00\x00\x05" + b"\x00" * 25)  # a torn record cannot follow a close
    before = (log_dir / "entries.log").read_bytes()
    with pytest.raises(AuditChainBroken, match="appended to entries.log after its writer closed"):
        AuditLog.open(log_dir)
    assert (log_dir / "entries.log").read_bytes() == before


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cut=st.integers(min_value=0, max_value=10**6))
def test_a_crash_image_cut_anywhere_after_the_journal_reopens_to_what_was_journaled(
    tmp_path_factory, cut
) -> None:
    """A copy of the directory taken while the log is open is what a crash leaves behind. Its
    journal taken after 8 entries and entries.log after 12 is a crash between a batch's write
    and its journal entry (those 4 were never acknowledged); cutting entries.log anywhere
    past the journaled end is a torn write, cutting it before is entries lost."""
    base = tmp_path_factory.mktemp("crash")
    live, image = base / "live.audit", base / "image.audit"
    with AuditLog.open(live, head_interval=3600) as log:
        log.append_many([make_event(i) for i in range(5)])
        log.sign_head()
        log.append_many([make_event(i) for i in range(5, 8)])
        journal = (live / "writer.journal").read_bytes()
        log.append_many([make_event(i) for i in range(8, 12)])
        crash_image(live, image)
    (image / "writer.journal").write_bytes(journal)
    records = read_records(image)
    signed_end = 16 + sum(len(r) for r in records[:5])
    journaled_end = 16 + sum(len(r) for r in records[:8])
    entries = image / "entries.log"
    length = signed_end + cut % (entries.stat().st_size - signed_end + 1)
    entries.write_bytes(entries.read_bytes()[:length])
    if length < journaled_end:
        with pytest.raises(AuditChainBroken, match="entries were cut off"):
            AuditLog.open(image)
        return
    with AuditLog.open(image) as log:
        assert log.size == 8
        assert [e.raw for e in log.iter_events()] == [r[36:] for r in records[:8]]
    verify_log(image, public_key(image))
    if length > journaled_end:
        (side,) = image.glob("entries.torn-*.bin")
        assert side.read_bytes() == b"".join(records[8:])[: length - journaled_end]


def test_a_torn_head_record_is_dropped_on_reopening(log_dir) -> None:
    with AuditLog.open(log_dir) as log:
        log.append(make_event(0))
    with (log_dir / "heads.bin").open("ab") as f:
        f.write(b"\x00" * 50)
    assert verify_log(log_dir, public_key(log_dir)).heads_checked >= 1
    with AuditLog.open(log_dir) as log:
        assert log.size == 1
    assert (log_dir / "heads.bin").stat().st_size % 120 == 16
