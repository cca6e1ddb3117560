"""The log served to other processes: `cruce audit serve` and `LogClient` over a Unix socket.

Writers are real processes; the owner is the real CLI where a crash is part of the test.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import stat
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
from audit_support import make_event, public_key

from cruce.audit import AuditLog, LogClient, LogService, verify_log
from cruce.audit._service import MAX_IN_FLIGHT, default_socket
from cruce.errors import Conflict, CruceError, InvalidInput

# A writer process: TASKS asyncio tasks append COUNT events each through one connection and
# print every index the service acknowledged, with the event's tag.
WRITER = """
import asyncio, sys
from cruce.audit import AccessEvent, Actor, Justification, Operation
from cruce.audit import LogClient

path, name, tasks, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
actor, why = Actor("gt_pnc", name, "system"), Justification("test")

async def main():
    client = await LogClient.connect(path)
    async def work(t):
        for n in range(count):
            tag = f"{name}-{t}-{n}"
            event = AccessEvent(Operation.CONSULTATION, actor, why, record_ids=(tag,))
            index = await client.append_async(event)
            sys.stdout.write(f"{index} {tag}\\n")
            sys.stdout.flush()
    await asyncio.gather(*[work(t) for t in range(tasks)])
    await client.aclose()

asyncio.run(main())
"""


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "cruce", *args]


def start_owner(log_dir: Path, sock: Path) -> subprocess.Popen[str]:
    """`cruce audit serve` on `log_dir` (created first, as a node creates its log)."""
    AuditLog.open(log_dir).close()
    owner = subprocess.Popen(
        cli("audit", "serve", "--log", str(log_dir), "--socket", str(sock)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert owner.stdout is not None
    watchdog(owner, 300)
    line = owner.stdout.readline()
    assert line.startswith("serving audit log"), line + owner.stderr.read()  # type: ignore[union-attr]
    return owner


def watchdog(process: subprocess.Popen[str], seconds: float) -> None:
    """Kill `process` if it still runs after `seconds`: a stuck read fails the test, not CI."""
    timer = threading.Timer(seconds, process.kill)
    timer.daemon = True
    timer.start()


def acks_of(output: str) -> dict[int, str]:
    acks = {}
    for line in output.splitlines():
        index, tag = line.split()
        acks[int(index)] = tag
    return acks


@pytest.fixture
def sock(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Short: a Unix socket address holds at most 107 bytes, and pytest's tmp paths run long.
    return tmp_path_factory.mktemp("s", numbered=True) / "a.sock"


def test_writers_in_other_processes_append_to_one_log_and_get_durable_indices(
    log_dir: Path, sock: Path
) -> None:
    owner = start_owner(log_dir, sock)
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(sock), name, "20", "15"],
            stdout=subprocess.PIPE,
            text=True,
        )
        for name in ("hn", "gt")
    ]
    outputs = [w.communicate(timeout=120)[0] for w in writers]
    assert [w.returncode for w in writers] == [0, 0]
    owner.send_signal(signal.SIGTERM)
    out, err = owner.communicate(timeout=60)
    assert owner.returncode == 0, err
    assert "stopped: 600 entries" in out
    acks = acks_of("".join(outputs))
    assert sorted(acks) == list(range(600))  # every event once, no index given twice
    with AuditLog.open(log_dir) as log:
        assert log.size == 600
        for index, tag in acks.items():
            assert log.entry(index).event["record_ids"] == [tag]
    report = verify_log(log_dir, public_key(log_dir))
    assert report.tree_size == 600
    assert not sock.exists()  # the owner removed its socket


def test_every_acknowledged_append_survives_the_owner_killed_mid_burst(
    log_dir: Path, sock: Path
) -> None:
    owner = start_owner(log_dir, sock)
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(sock), "sv", "50", "10000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout is not None
    watchdog(writer, 300)
    seen = [writer.stdout.readline() for _ in range(2000)]  # a burst well under way
    os.kill(owner.pid, signal.SIGKILL)
    rest, err = writer.communicate(timeout=60)
    owner.communicate(timeout=30)
    assert writer.returncode != 0 and "the audit log service closed the connection" in err
    acks = acks_of("".join(seen) + rest)
    assert len(acks) >= 2000
    with AuditLog.open(log_dir) as log:  # the crash is recovered on reopening
        for index, tag in acks.items():
            assert log.entry(index).event["record_ids"] == [tag]
        size = log.size
    assert verify_log(log_dir, public_key(log_dir)).tree_size == size >= max(acks) + 1


def test_a_second_owner_is_refused_while_the_first_serves(log_dir: Path, sock: Path) -> None:
    owner = start_owner(log_dir, sock)
    try:
        second = subprocess.run(
            cli("audit", "serve", "--log", str(log_dir), "--socket", str(sock) + "2"),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode != 0
        assert "is open in another process" in second.stderr
    finally:
        owner.terminate()
        owner.communicate(timeout=60)


def served(log_dir: Path, sock: Path, body) -> object:  # type: ignore[no-untyped-def]
    """Run `body(service)` in an event loop while `log_dir` is served on `sock`."""

    async def run() -> object:
        with AuditLog.open(log_dir) as log:
            async with LogService(log, sock) as service:
                return await body(service)

    return asyncio.run(run())


def test_the_socket_is_private_to_the_log_owner(log_dir: Path, sock: Path) -> None:
    async def body(service: LogService) -> None:
        assert stat.S_IMODE(service.path.stat().st_mode) == 0o600
        assert stat.S_ISSOCK(service.path.stat().st_mode)

    served(log_dir, sock, body)
    assert stat.S_IMODE(log_dir.stat().st_mode) == 0o700
    assert default_socket(log_dir) == log_dir / "append.sock"


def test_a_client_in_the_same_loop_gets_indices_in_its_own_order(log_dir: Path, sock: Path) -> None:
    async def body(service: LogService) -> list[int]:
        client = await LogClient.connect(service.path)
        first = await client.append_encoded_async([make_event(i).encode() for i in range(3)])
        rest = await asyncio.gather(*[client.append_async(make_event(i)) for i in range(3, 9)])
        await client.aclose()
        return [*first, *rest]

    assert served(log_dir, sock, body) == list(range(9))
    with AuditLog.open(log_dir) as log:
        assert [e.event["details"]["n"] for e in log.iter_events()] == list(range(9))


def test_a_malformed_request_is_refused_and_the_connection_carries_on(
    log_dir: Path, sock: Path
) -> None:
    good = make_event(1).encode()

    async def body(service: LogService) -> tuple[bytes, bytes]:
        def exchange() -> tuple[bytes, bytes]:
            with socket.socket(socket.AF_UNIX) as s:
                s.connect(str(service.path))
                s.sendall(request_bytes(good, claimed=2) + request_bytes(good))  # 2 claimed, 1 sent
                s.settimeout(30)
                first = receive(s)
                while len(first) < 12 or len(first) < 12 + struct.unpack(">I", first[8:12])[0]:
                    first += receive(s)
                error_end = 12 + struct.unpack(">I", first[8:12])[0]
                second = first[error_end:]
                while len(second) < 8:
                    second += receive(s)
                return first[:error_end], second

        return await asyncio.to_thread(exchange)

    error, ok = served(log_dir, sock, body)  # type: ignore[misc]
    assert struct.unpack(">q", error[:8])[0] == -1
    assert b"ends before its last event" in error
    assert struct.unpack(">q", ok)[0] == 0  # nothing of the bad request was logged
    with AuditLog.open(log_dir) as log:
        assert log.size == 1


def receive(s: socket.socket) -> bytes:
    data = s.recv(4096)
    assert data, "the owner hung up"
    return data


def test_an_oversized_event_is_refused_before_it_is_sent(log_dir: Path, sock: Path) -> None:
    async def body(service: LogService) -> int:
        client = await LogClient.connect(service.path)
        with pytest.raises(InvalidInput, match="exceeds the maximum"):
            await client.append_encoded_async([b"x" * (16 * 1024 * 1024 + 1)])
        index = await client.append_async(make_event(0))  # the client carries on
        await client.aclose()
        return index

    assert served(log_dir, sock, body) == 0


def test_appends_after_the_service_stopped_fail_with_a_clear_error(
    log_dir: Path, sock: Path
) -> None:
    async def body(service: LogService) -> None:
        client = await LogClient.connect(service.path)
        assert await client.append_async(make_event(0)) == 0
        await service.stop()
        deadline = time.monotonic() + 30
        with pytest.raises(CruceError, match="closed the connection"):
            while time.monotonic() < deadline:
                await client.append_async(make_event(1))
                await asyncio.sleep(0.01)
        await client.aclose()

    served(log_dir, sock, body)


def test_serving_a_log_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    missing = tmp_path / "typo.duckdb.audit"
    result = subprocess.run(
        cli("audit", "serve", "--log", str(missing)), capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert f"no audit log at {missing}" in result.stderr
    assert not missing.exists()


def test_no_service_and_an_overlong_socket_path_are_named(log_dir: Path, tmp_path: Path) -> None:
    async def connect() -> None:
        await LogClient.connect(tmp_path / "nobody.sock")

    with pytest.raises(CruceError, match="no audit log service at"):
        asyncio.run(connect())
    with AuditLog.open(log_dir) as log, pytest.raises(InvalidInput, match="longer than 107"):
        LogService(log, tmp_path / ("x" * 120))


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to act as another user")
def test_another_os_user_is_hung_up_on_even_where_the_socket_is_reachable(
    log_dir: Path,
) -> None:
    """Defence in depth: the owner checks the connecting process's uid, not only file modes."""
    reachable = Path(tempfile.mkdtemp(prefix="cruce-sock-"))  # pytest's tmp is root's alone
    reachable.chmod(0o755)
    owner = start_owner(log_dir, reachable / "a.sock")
    try:
        (reachable / "a.sock").chmod(0o666)
        assert connect_as_nobody(reachable / "a.sock") == 0  # connected, then hung up on
    finally:
        owner.terminate()
        owner.communicate(timeout=60)
        shutil.rmtree(reachable)
    with AuditLog.open(log_dir) as log:
        assert log.size == 0


def connect_as_nobody(path: Path) -> int:
    """Fork a child that becomes uid 65534, sends one valid request, and exits with 0 if the
    owner hung up without a reply, 1 if it answered, 2 if it could not connect at all."""
    payload = make_event(0).encode()
    request = struct.pack(">II", 1, 4 + len(payload)) + struct.pack(">I", len(payload)) + payload
    pid = os.fork()
    if pid == 0:  # the child: socket calls only, then _exit
        code = 2
        try:
            os.setgid(65534)
            os.setuid(65534)
            with socket.socket(socket.AF_UNIX) as s:
                s.settimeout(20)
                s.connect(str(path))
                code = 1
                s.sendall(request)
                code = 0 if s.recv(8) == b"" else 1
        except ConnectionError:
            code = 0
        except BaseException:
            pass
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def request_bytes(*events: bytes, claimed: int | None = None) -> bytes:
    body = b"".join(struct.pack(">I", len(e)) + e for e in events)
    return struct.pack(">II", len(events) if claimed is None else claimed, len(body)) + body


def test_stopping_answers_every_request_a_half_closed_client_sent(
    log_dir: Path, sock: Path
) -> None:
    """Requests read before `stop` are answered even while their batch is still being synced
    (here, a sync made slow) and the client has finished sending."""

    async def body(service: LogService) -> int:
        append = service.log.append_encoded_async
        stopping_begun = asyncio.Event()

        async def slow_append(payloads: list[bytes]) -> range:
            indices = await append(payloads)
            await stopping_begun.wait()  # durable, not answered before `stop` has begun
            return indices

        service.log.append_encoded_async = slow_append  # type: ignore[method-assign]
        reader, writer = await asyncio.open_unix_connection(service.path)
        writer.write(b"".join(request_bytes(make_event(i).encode()) for i in range(3)))
        writer.write_eof()  # sent everything; still reading
        deadline = time.monotonic() + 30
        while service.log.size < 3 and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        stopping = asyncio.create_task(service.stop())
        await asyncio.sleep(0)  # one turn: `stop` has stopped reading and waits for answers
        assert not stopping.done()
        stopping_begun.set()
        await stopping
        replies = await asyncio.wait_for(reader.read(), 30)
        writer.close()
        return len(replies)

    assert served(log_dir, sock, body) == 3 * 8
    with AuditLog.open(log_dir) as log:
        assert log.size == 3


def test_a_client_that_never_reads_its_replies_is_cut_off_when_stopping(
    log_dir: Path, sock: Path
) -> None:
    """Its replies pile up, the owner stops reading it (in-flight limit), and `stop` still
    returns after its grace period instead of waiting for it forever."""
    flood = request_bytes() * 200_000  # requests without events: each answered "invalid"

    async def body(service: LogService) -> float:
        client = socket.socket(socket.AF_UNIX)
        client.connect(str(service.path))
        pushing = asyncio.create_task(asyncio.to_thread(_push, client, flood))
        deadline = time.monotonic() + 60
        while service.waiting < MAX_IN_FLIGHT and time.monotonic() < deadline:
            await asyncio.sleep(0.01)  # until the owner holds all it may and stops reading
        assert service.waiting == MAX_IN_FLIGHT
        started = time.monotonic()
        await asyncio.wait_for(service.stop(grace=1.0), 30)
        took = time.monotonic() - started
        assert isinstance(await pushing, OSError)  # the owner cut it off
        client.close()
        return took

    assert served(log_dir, sock, body) < 15  # type: ignore[operator]


def _push(client: socket.socket, data: bytes) -> OSError | None:
    try:
        client.sendall(data)
    except OSError as exc:
        return exc
    return None


def test_an_append_racing_aclose_fails_cleanly_and_cancelling_aclose_spares_others(
    log_dir: Path, sock: Path
) -> None:
    async def body(service: LogService) -> tuple[int, int]:
        client = await LogClient.connect(service.path)
        first = asyncio.ensure_future(client.append_async(make_event(0)))
        closing = asyncio.ensure_future(client.aclose())
        await asyncio.sleep(0)
        with pytest.raises(CruceError, match="client is closed"):
            await client.append_async(make_event(1))
        await asyncio.wait_for(closing, 30)
        other = await LogClient.connect(service.path)
        second = asyncio.ensure_future(other.append_async(make_event(2)))
        await asyncio.sleep(0)
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(other.aclose(), 0.000_001)
        return await asyncio.wait_for(first, 30), await asyncio.wait_for(second, 30)

    assert served(log_dir, sock, body) == (0, 1)


def test_one_socket_path_serves_one_log(log_dir: Path, sock: Path, tmp_path: Path) -> None:
    async def body(service: LogService) -> None:
        with (
            AuditLog.open(tmp_path / "other.audit") as other,
            pytest.raises(Conflict, match="another audit log service listens"),
        ):
            await LogService(other, service.path).start()
        assert service.path.is_socket()  # not taken over

    served(log_dir, sock, body)
    assert not sock.exists()
    sock.write_text("not a socket")
    with pytest.raises(InvalidInput, match="exists and is not a socket"):
        served(log_dir, sock, body)


def test_a_request_without_events_is_refused(log_dir: Path, sock: Path) -> None:
    async def body(service: LogService) -> bytes:
        reader, writer = await asyncio.open_unix_connection(service.path)
        writer.write(request_bytes())
        reply = await asyncio.wait_for(reader.readexactly(12), 30)
        message = await reader.readexactly(struct.unpack(">I", reply[8:])[0])
        writer.close()
        return reply[:8] + message

    reply = served(log_dir, sock, body)
    assert reply == struct.pack(">q", -1) + b"a request holds no events"  # type: ignore[operator]
