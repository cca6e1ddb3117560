"""Session 8 insider review (helper R): the new surfaces (border alerts and checks, network
investigation, counter-trafficking secure sums, PPRL, store validation, the API without its
global lock) attacked as an insider would: an analyst, a border officer, a member node.

Every test here is a confirmed finding and fails until it is fixed (see
/work/coord/findings-R.md for severity, reproduction, the line at fault and the fix)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.network.conftest import world  # noqa: F401, F811  (the fixture)

from cruce.share import Member, NodeKeys
from cruce.stats._secure_sum import run_round
from cruce.stats._trafficking import CODEBOOK, VictimCase, local_vector


# -- statistics: a contributing node learns another node's small cells ---------------------
def _member(agency: str, keys: NodeKeys) -> Member:
    now, pub = datetime.now(UTC), keys.public()
    return Member(agency, agency[:2].upper(), f"https://cruce.{agency}.example/", pub.signing,
                  pub.encryption, now - timedelta(days=1), now + timedelta(days=1))


def test_a_contributing_node_cannot_learn_another_nodes_cell_below_11_by_subtraction():
    """FINDING S8-1 (stats/_secure_sum.py publish/run_round): suppression looks only at the
    combined count. A node that contributed to a round subtracts its own (known) vector from
    the published table and gets the other nodes' counts exactly: here hn_police had 15
    victims in a cell and gt_pnc 2, the cell (17) is published, and hn_police learns that
    gt_pnc identified exactly 2 (a cell under 11 of another node: what issue 17 #3 forbids,
    "without any node seeing another's cells below the minimum")."""
    one = VictimCase("HN", "female", "18-20", "sexual", "HN>MX")
    other = VictimCase("GT", "male", "30-38", "labour", "GT>US")
    own = {"hn_police": [one] * 15 + [other] * 30, "gt_pnc": [one] * 2 + [other] * 30}
    vectors = {a: local_vector(c) for a, c in own.items()}
    keys = {a: NodeKeys.generate() for a in vectors}
    members = {a: _member(a, keys[a]) for a in vectors}
    published = run_round(vectors, round_id="2026-12", coordinator="secretariat", keys=keys,
                          members=members)
    index = {cell: i for i, cell in enumerate(CODEBOOK.cells())}
    learnt = []
    for table in published:
        for key in table.values:
            value = table.published(key)
            if value is None or "Total" in key:
                continue
            for agency, vector in vectors.items():
                rest = value - vector[index[(table.dims, key)]]
                if 0 < rest < 11:
                    learnt.append((agency, table.dims, key, rest))
    assert not learnt, f"a node learns the others' small counts: {learnt[:3]}"


# -- network: one request scans the whole records table once per entity of the frontier -----
def test_one_network_request_scans_the_store_a_bounded_number_of_times(tmp_path):
    """FINDING S8-2 (network/_expand.py Expansion._level/_links_of; store/_network_reads.py
    ids_mentioning/count_mentioning): every entity of a level's frontier runs its own
    `properties LIKE '%"id"%'` queries over the whole records table (ids_mentioning, then
    count_mentioning or tally_mentioning), with no index. One analyst's GET
    /api/v1/network/hub-p00001?depth=3&page_size=500 on a hub therefore makes ~2 x 500 full
    scans (up to 2 x 5,000 with MAX_NODES): 35 s on a 24k-record node here, minutes to hours
    on a national node, and since the API lost its global lock, N such requests run at once.
    The scans of one request must not grow with the frontier (one query per level)."""
    from tests.network.conftest import ENVELOPE, GANGS, entity, write_lines

    from cruce import Node
    from cruce.network import Ask, Network

    lines = [entity("hub-org", "Organization", name="Mara del Valle")]
    for n in range(120):
        lines.append(entity(f"hub-p{n:05d}", "Person", name=f"Miembro {n}",
                            phone=f"+5049{n:07d}"))
        lines.append(entity(f"hub-m{n:05d}", "Membership", member=f"hub-p{n:05d}",
                            organization="hub-org"))
    node = Node.open(tmp_path / "hub.duckdb", agency="hn_police", user="setup")
    node.ingest(write_lines(tmp_path / "hub.jsonl", lines),
                envelope={**ENVELOPE, "agency": "hn_police"})
    store = node.store
    scans = []
    for name in ("ids_mentioning", "count_mentioning", "tally_mentioning"):
        original = getattr(store, name)

        def counted(*args, _original=original, _name=name, **kwargs):
            scans.append(_name)
            return _original(*args, **kwargs)

        setattr(store, name, counted)
    try:
        Network(node.as_user("ana", "analyst")).neighbourhood(
            "hub-p00001", GANGS, Ask.build(depth=3, page_size=500))
    finally:
        node.close()
    assert len(scans) <= 3 * 3, f"{len(scans)} scans of the records table for one request"


# -- checks: a changed or added alert reuses a sequence number the index has already passed ---
def _alerts_file(path, alerts):
    import json

    path.write_text("".join(json.dumps(a) + "\n" for a in alerts), encoding="utf-8")
    return path


def test_an_alert_added_or_changed_after_the_index_was_built_hits_after_the_top_up(tmp_path):
    """FINDING S8-3 (store/_alert_tables.py put_alerts -> _insert_alerts: `first =
    MAX(seq) + 1` computed after `_delete_alerts`): changing the newest alert deletes its row,
    so MAX(seq) falls back and the changed alert (or an alert added in the same import) gets a
    sequence number the running index has already loaded past. `KeyIndex.load` asks only for
    `seq > last_seq`, so the server's index never sees it: a passport reported stolen (A3)
    and a corrected number (A2) never hit until the server restarts, while a fresh index
    finds both. The docstring's promise ("a changed alert gets a new sequence number") is
    broken on DuckDB and PostgreSQL alike."""
    from cruce import Node
    from cruce.checks import AlertIndex, import_alerts

    def doc(alert_id, number):
        return {"id": alert_id, "kind": "document", "country": "HND", "doc_type": "passport",
                "number": number, "reason": "stolen", "action": "Retain it."}

    node = Node.open(tmp_path / "n.duckdb", agency="hn_police")
    try:
        import_alerts(node, _alerts_file(tmp_path / "a.jsonl", [doc("A1", "E1111111"),
                                                                doc("A2", "E2222222")]))
        index = AlertIndex.build(node.store)  # the server's, built at its start
        import_alerts(node, _alerts_file(tmp_path / "b.jsonl", [doc("A2", "E9999999"),
                                                                doc("A3", "E3333333")]))
        assert index.refresh(force=True)
        hits = {number: [h.alert_id for h in index.check_document("HND", "P", number)]
                for number in ("E9999999", "E3333333")}
    finally:
        node.close()
    assert hits == {"E9999999": ["A2"], "E3333333": ["A3"]}, hits


def test_screening_one_traveller_scores_a_bounded_number_of_person_alerts(monkeypatch):
    """FINDING S8-4 (checks/_persons.py PersonIndex.candidates/screen): a blocking key's
    postings have no cap, and every candidate is scored in Python (Jaro-Winkler). A common
    name ("José ... Hernández ...") puts every such alert in one block: with 1,000 person
    alerts of that name, a border officer's one POST /api/v1/checks of 2,000 travellers so
    named took 62 s of CPU here (documents and plates of the same 2,000: 1.2 s), in a worker
    thread that holds the GIL, while the API no longer has a lock to queue such calls. The
    work per traveller must not grow with the size of one block."""
    from cruce.checks import _persons

    calls = []
    real = _persons.score

    def counted(q, a):
        calls.append(1)
        return real(q, a)

    monkeypatch.setattr(_persons, "score", counted)
    index = _persons.PersonIndex()
    for seq in range(1, 3001):
        index._add(seq, _persons.standardise("José Luis", f"Hernández N{seq}", "", ""))
    index.screen(_persons.standardise("José Luis", "Hernández Zelaya", "1990-01-01", "HND"))
    assert len(calls) <= 1000, f"{len(calls)} alerts scored for one traveller"


# -- network: an edge record as the entity asked for is a 500 ------------------------------
def test_the_network_of_an_edge_record_is_answered_not_a_500(world, tmp_path):  # noqa: F811
    """FINDING S8-5 (network/_graph.py `_connected`: `graph.names.index(graph.root)`; graph_of
    skips an edge record's own node and adds it only as a link): GET
    /api/v1/network/hn-m1 (a Membership; also an Associate or a Family, any record an
    analyst gets from /search) raises ValueError "'hn-m1' is not in list" -> HTTP 500
    "internal error", with the traceback in the server's log. Bad or odd input must get a
    clear answer, never a 500."""
    import httpx
    from fastapi.testclient import TestClient
    from tests.network.test_network_api import WHY, network_app

    from cruce.api import Users

    token = Users(world.hn.store).add("ana.r", "analyst")
    with TestClient(network_app(world.hn), raise_server_exceptions=False) as client:
        got: dict[str, httpx.Response] = {
            root: client.get(f"/api/v1/network/{root}",
                             headers={"Authorization": f"Bearer {token}", **WHY})
            for root in ("hn-m1", "hn-a1", "gt-f1")}
    assert {root: r.status_code for root, r in got.items()} == \
        {"hn-m1": 200, "hn-a1": 200, "gt-f1": 200}, {r: g.text[:120] for r, g in got.items()}


# -- alerts on PostgreSQL: two imports at once -----------------------------------------------
def test_two_alert_imports_at_once_on_postgresql_both_land(tmp_path):
    """FINDING S8-6 (store/_alert_tables.py `_insert_alerts`: `first = MAX(seq) + 1` read
    under READ COMMITTED; `_ensure_alerts`: CREATE TABLE IF NOT EXISTS): on a PostgreSQL node
    (several processes: the server and `cruce alerts import`, or two imports) two imports at
    once take the same sequence numbers; the second waits on the unique index alerts_seq, then
    dies with psycopg.errors.UniqueViolation — a raw traceback from the command line
    (reports_errors only catches CruceError), its file not imported. The first use of the
    alert tables by two processes at once likewise fails with UniqueViolation on
    pg_type_typname_nsp_index. Seen with two threads and a barrier; made deterministic here."""
    import threading
    import time

    import psycopg
    from tests._postgres import POSTGRES, admin_connection, fresh_store_url

    from cruce import Node
    from cruce.checks import import_alerts
    from cruce.store import MemorySink, open_store

    def doc(alert_id, number):
        return {"id": alert_id, "kind": "document", "country": "HND", "doc_type": "passport",
                "number": number, "reason": "stolen", "action": "Retain it."}

    admin_connection().close()  # skips without a PostgreSQL server
    with fresh_store_url() as url:
        # Each with its own sink: the interim TableSink (access_events) has the same race on
        # its own sequence (noted in the findings, not this test's subject).
        first, second = (Node(open_store(url, sink=MemorySink())) for _ in range(2))
        first.claim("hn_police")
        first.store.list_alerts()  # the tables exist before the race
        a = _alerts_file(tmp_path / "a.jsonl", [doc("A1", "E1111111")])
        b = _alerts_file(tmp_path / "b.jsonl", [doc("B1", "E2222222")])
        inserted, go = threading.Event(), threading.Event()
        bump = first.store._bump_alerts

        def held_bump():  # A's rows are written, its transaction still open
            inserted.set()
            go.wait(60)
            bump()

        first.store._bump_alerts = held_bump
        outcome: dict[str, object] = {}

        def run(name, node, path):
            try:
                outcome[name] = import_alerts(node, path)
            except Exception as exc:  # noqa: BLE001 - the finding is what escapes
                outcome[name] = exc

        ta = threading.Thread(target=run, args=("a", first, a))
        ta.start()
        assert inserted.wait(60)
        tb = threading.Thread(target=run, args=("b", second, b))
        tb.start()
        with psycopg.connect(POSTGRES, autocommit=True) as watch:
            for _ in range(600):  # until B waits on a lock A holds, or B is done
                waiting = watch.execute("SELECT count(*) FROM pg_stat_activity WHERE "
                                        "wait_event_type = 'Lock'").fetchone()[0]
                if waiting or not tb.is_alive():
                    break
                time.sleep(0.05)
        go.set()
        ta.join(60)
        tb.join(60)
        seqs = [s for s, in second.store._query("SELECT seq FROM alerts")]
        first.close()
        second.close()
    from cruce.errors import CruceError

    # Both land, or the one that cannot says so in one clear line ("try again"): never a raw
    # database error, never two alerts with one number.
    assert all(isinstance(v, dict | CruceError) for v in outcome.values()), outcome
    assert len(seqs) == len(set(seqs)) == sum(isinstance(v, dict) for v in outcome.values()), seqs


# -- statistics: a member node's malformed share is a traceback, not a clear refusal ---------
def test_a_malformed_statistics_share_is_refused_in_one_clear_line():
    """FINDING S8-7 (stats/_secure_sum.py Share.from_bytes catches ValueError, KeyError and
    TypeError only, and never checks the number of values; add_shares/combine zip them with
    strict=True): a member node that sends a share with the value 1e400 makes the holder raise
    OverflowError, and a share one value short makes add_shares raise ValueError "zip()
    argument 2 is longer than argument 1" — tracebacks, not the round refused naming the
    sender. Nothing bounds how many values a share holds either."""
    import pytest

    from cruce.errors import InvalidInput
    from cruce.stats._secure_sum import Share, add_shares

    digest = CODEBOOK.digest()
    with pytest.raises(InvalidInput):
        Share.from_bytes(b'{"round_id":"r","sender":"a","holder":"b","codebook":"%s",'
                         b'"values":[1e400]}' % digest.encode())
    width = len(CODEBOOK.cells())
    good = Share("r", "a", "b", digest, (0,) * width)
    short = Share("r", "c", "b", digest, (0,) * (width - 1))
    with pytest.raises(InvalidInput):
        add_shares([good, short], me="b", senders=["a", "c"])


# -- PPRL: one owner's crafted encodings make the matching party's blocking quadratic -------
def test_blocking_candidates_stay_bounded_when_one_file_holds_identical_encodings():
    """FINDING S8-8 (pprl/_blocking.py `_band_pairs`/`candidate_pairs`): a band's bucket is
    joined in full (np.repeat over every left x right pair of one key) and no bucket is
    capped, so an owner sending an ENC.jsonl whose filters are all alike (valid lines: any
    base64 of the right width) makes the linkage unit build n_a x n_b pairs per band, 48
    bands: 500 such lines on each side = 250,000 candidates, 410 MB and 4 s; 5,000 lines
    (about 1 MB, far under MAX_ENCODINGS = 5,000,000) would need ~40 GB: the matcher is
    killed. Candidates must stay near-linear in the input (a bucket larger than a bound is
    skipped or the file refused)."""
    import numpy as np

    from cruce.pprl._blocking import candidate_pairs

    n = 300
    alike = np.full((n, 16), 0x5555555555555555, dtype=np.uint64)
    left, _ = candidate_pairs(alike, alike.copy())
    assert len(left) <= 20 * n, f"{len(left)} candidate pairs for {n} x {n} encodings"


# -- checks: the post, written into the audit log, may hold NUL and line breaks -------------
def test_a_checks_post_with_control_characters_is_refused(tmp_path, monkeypatch):
    """FINDING S8-9 (checks/_screen.py `_check_all`: the post is checked for length only;
    api/_checks.py ChecksIn.post: 1..64 characters): a border officer's POST /api/v1/checks
    with `"post": "\\u0000"` or `"HN-Corinto\\nofficer: someone.else"` is answered 200 and the
    text goes as is into the consultation's audit details (seen on a real `cruce node serve`:
    audit event 73, details.post "\\u0000"), where the audit's CSV export and any line-wise
    reader show a forged second line. The post names a place: it should be refused with the
    rule ids follow (no control characters), as the store refuses them in ids."""
    from fastapi.testclient import TestClient
    from tests.checks.test_checks_api import WHY, checks_app

    from cruce import Node
    from cruce.api import Users

    node = Node.open(tmp_path / "n.duckdb", agency="hn_police")
    token = Users(node.store).add("bo.r", "border_officer")
    try:
        with TestClient(checks_app(node, monkeypatch), raise_server_exceptions=False) as client:
            codes = [client.post("/api/v1/checks", headers={"Authorization": f"Bearer {token}",
                                                            **WHY},
                                 json={"post": post, "travellers": [{"surnames": "Cruz"}]}
                                 ).status_code
                     for post in ("\u0000", "HN-Corinto\nofficer: someone.else")]
    finally:
        node.close()
    assert codes == [400, 400] or codes == [422, 422], codes
