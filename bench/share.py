"""Share benchmark: 100,000 records between two nodes on 127.0.0.1, against plain JSON lines.

    .venv/bin/python bench/share.py --records 100000

cruce: the sender checks every record against the sharing rules, logs the disclosure, seals one
package (signed, encrypted to the recipient) and posts it; the recipient node (a real
`cruce node serve` process) verifies, decrypts and stores every record with its envelope,
logging the collection. Peer: the same records as JSON lines, posted with no signing or
encryption to a receiver process that stores them the same way (same store, same write path).
Target: cruce within 2x of the peer.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from fastapi import FastAPI, Request  # module level: FastAPI resolves the handler's annotations

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait(port: int) -> None:
    for _ in range(300):
        try:
            httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=1.0)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing answers on port {port}")


def serve_plain(port: int, db: str) -> None:
    """The peer's receiver: store posted JSON lines through the same write path, no crypto."""
    import uvicorn

    from cruce import Node
    from cruce.audit._events import Actor, Justification
    from cruce.ingest._jsonl import table_of_records
    from cruce.share._payload import read_records

    node = Node.open(db, agency="gt_police")
    app = FastAPI()

    @app.post("/plain")
    async def plain(request: Request) -> dict[str, int]:
        items = [json.loads(line) for line in (await request.body()).splitlines() if line]
        # Rebuilt and checked as the cruce receiver does, then the same write path.
        table = table_of_records(list(read_records(items)), "share-from:hn_police")
        node.store.write_table(table, Actor("gt_police", "node:hn_police", "node"),
                               Justification("gangs_organized_crime", "plain", "bench"),
                               "plain", {}, source="share-from:hn_police")
        return {"records": len(items)}

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def make_sender(out: Path, rows: int) -> Path:
    from tests.conftest import MAPPING
    from tests.ingest.test_crash_safety import big_csv

    from cruce import Node

    db = out / "hn.duckdb"
    (out / "mapping.yml").write_text(MAPPING.replace("personas.csv", "big.csv"))
    big_csv(out / "big.csv", rows, "B")
    with Node.open(db, agency="hn_police") as node:
        node.ingest(out / "big.csv", mapping=out / "mapping.yml")
    return db


def directory(out: Path, sender_keys: object, recipient_port: int) -> tuple[Path, Path]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from cruce.share import Directory, Member, NodeKeys

    authority = Ed25519PrivateKey.generate()
    gt = NodeKeys.load_or_generate(out / "gt.duckdb.keys")
    now = datetime.now(UTC)

    def member(agency: str, country: str, keys: NodeKeys, endpoint: str) -> Member:
        pub = keys.public()
        return Member(agency, country, endpoint, pub.signing, pub.encryption,
                      now - timedelta(hours=1), now + timedelta(days=30))

    signed = Directory.sign([member("hn_police", "HN", sender_keys, "http://127.0.0.1:1/"),  # type: ignore[arg-type]
                             member("gt_police", "GT", gt, f"http://127.0.0.1:{recipient_port}/")],
                            authority, serial=1, issued_at=now)
    (out / "directory.json").write_bytes(signed)
    pub = authority.public_key().public_bytes(serialization.Encoding.PEM,
                                              serialization.PublicFormat.SubjectPublicKeyInfo)
    (out / "authority.pub.pem").write_bytes(pub)
    return out / "directory.json", out / "authority.pub.pem"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--out", type=Path, default=HERE / "out" / "share")
    parser.add_argument("--serve-plain", nargs=2, metavar=("PORT", "DB"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_plain:
        serve_plain(int(args.serve_plain[0]), args.serve_plain[1])
        return
    from cruce import Node, justification
    from cruce.share import NodeKeys
    from cruce.share._node import http_post
    from cruce.store import RecordQuery

    shutil.rmtree(args.out, ignore_errors=True)
    args.out.mkdir(parents=True)
    sender_db = make_sender(args.out, args.records)
    port, plain_port = free_port(), free_port()
    keys = NodeKeys.load_or_generate(Path(str(sender_db) + ".keys"))
    dir_file, auth_file = directory(args.out, keys, port)
    env = dict(os.environ, CRUCE_DIRECTORY=str(dir_file), CRUCE_AUTHORITY_KEY=str(auth_file))
    subprocess.run([sys.executable, "-m", "cruce", "init", "--db", str(args.out / "gt.duckdb"),
                    "--agency", "gt_police"], check=True, env=env, stdout=subprocess.DEVNULL)
    servers = [
        subprocess.Popen([sys.executable, "-m", "cruce", "node", "serve", "--db",
                          str(args.out / "gt.duckdb"), "--port", str(port)], env=env),
        subprocess.Popen([sys.executable, __file__, "--serve-plain", str(plain_port),
                          str(args.out / "plain.duckdb")]),
    ]
    try:
        wait(port)
        wait(plain_port)
        why = justification("gangs_organized_crime", "BENCH-1", "share benchmark")
        with Node.open(sender_db, user="bench") as node:
            from cruce._node import authority_key
            from cruce.share import Directory

            node.configure_sharing(keys, Directory.load(dir_file, authority_key(auth_file)))
            ids = [r[0] for r in node.store._select(RecordQuery(schema="Person"), columns="id")]
            records = [r.to_dict() for r in node.store.read(RecordQuery(ids=ids),
                                                            node.actor, why)]
            started = time.perf_counter()
            done = node.sharing.disclose(ids, ["gt_police"], why, post=http_post)
            delivery = done.delivery
            cruce_s = time.perf_counter() - started
        assert delivery["failed"] == 0 and delivery["delivered"] >= 1, delivery
        body = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()
        started = time.perf_counter()
        plain_body = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()
        response = httpx.post(f"http://127.0.0.1:{plain_port}/plain", content=plain_body,
                              timeout=600)
        plain_s = time.perf_counter() - started
        assert response.json() == {"records": len(ids)}, response.text
    finally:
        for server in servers:
            server.terminate()
            server.wait()
    n = len(done.sent["gt_police"])
    print(f"{'path':<34} {'records':>8} {'seconds':>8} {'records/s':>10}")
    print(f"{'cruce share (rules, seal, verify)':<34} {n:>8} {cruce_s:>8.1f} {n / cruce_s:>10.0f}")
    print(f"{'plain JSON lines, same store':<34} {len(ids):>8} {plain_s:>8.1f} "
          f"{len(ids) / plain_s:>10.0f}")
    print(f"ratio cruce/plain: {cruce_s / plain_s:.2f}x (target <= 2x); "
          f"payload {len(body):,} bytes")


if __name__ == "__main__":
    main()
