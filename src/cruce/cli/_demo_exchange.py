"""The networked part of `cruce demo`: the five agencies' nodes run as servers on 127.0.0.1
and talk the way their users would, through the API: a request for information answered
with a share, shares under the rules (with refusals and their reasons), an H2 record passed
on only after its provider's supervisor consents; then what each side sees."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from rich.table import Table

from cruce.cli._common import console
from cruce.cli._demo import Story
from cruce.demo._network import LocalCompact, LocalNode
from cruce.errors import CruceError

CASE = "HN-DEMO-2026-7"


def why(purpose: str, text: str) -> dict[str, str]:
    return {"X-Cruce-Purpose": purpose, "X-Cruce-Case": CASE, "X-Cruce-Why": text}


def exchange(agencies: list[str], nodes_dir: Path, story: Story) -> None:
    """Serve the five nodes and play the exchange about `story.pair`: an hn_police and a
    gt_police record of one person, found by the linkage."""
    if story.pair is None or not {"hn_police", "gt_police", "sv_police", "us_border"} <= set(
            agencies):
        console.print("(no cross-border pair to ask about: the networked demo is skipped)")
        return
    picks = _picks(story, story.pair)
    with console.status("starting the five agency nodes on 127.0.0.1"):
        compact = LocalCompact(nodes_dir, agencies).__enter__()
    try:
        nodes = compact.nodes
        console.print("Nodes serving: " + ", ".join(f"{a} {n.url}" for a, n in nodes.items()),
                      highlight=False)
        thread = _request_and_answer(nodes, picks)
        _shares_under_rules(nodes, picks)
        _consent_for_onward(nodes, picks)
        _close(nodes["hn_police"], thread)
        _what_each_side_sees(nodes)
    except CruceError as exc:
        console.print(f"the exchange stopped: {exc.message}", highlight=False)
    finally:
        compact.stop()


def _picks(story: Story, pair: tuple[str, str]) -> dict[str, Any]:
    """What the story needs, from what the linkage's logged consultations read (no store is
    read again, and none without a logged justification)."""
    hn_id, gt_id = pair
    return {"hn_id": hn_id, "gt_id": gt_id, "name": story.caption[gt_id],
            "gt_purpose": story.purpose[gt_id], "hn_purpose": story.purpose[hn_id],
            "victim": story.victims.get("hn_police")}


def _post(node: LocalNode, role: str, path: str, body: Any, headers: dict[str, str]) -> Any:
    with node.client(role, **headers) as client:
        response = client.post(path, json=body)
    data = response.json()
    if response.status_code >= 400:
        return {"refused": data["error"]["message"]}
    return data


def _get(node: LocalNode, role: str, path: str, headers: dict[str, str] | None = None) -> Any:
    with node.client(role, **(headers or {})) as client:
        response = client.get(path)
    if response.status_code >= 400:
        raise CruceError(f"{node.agency} {path}: {response.json()['error']['message']}")
    return response.json()


def _request_and_answer(nodes: dict[str, LocalNode], picks: dict[str, Any]) -> str:
    hn, gt = nodes["hn_police"], nodes["gt_police"]
    purpose = picks["gt_purpose"]
    console.rule("A request for information, answered with a share")
    opened = _post(hn, "analyst", "/api/v1/messages", {
        "to": "gt_police", "subject": f"Do you hold {picks['name']}?", "priority": "high",
        "deadline": (date.today() + timedelta(days=7)).isoformat(),
        "text": "Seen crossing at Agua Caliente with two minors; any record on your side?"},
        why(purpose, "smuggling route via Agua Caliente"))
    thread = str(opened["thread_id"])
    console.print(f"hn_police analyst -> gt_police: request {thread} "
                  f"'Do you hold {picks['name']}?' (high, case {CASE})", highlight=False)
    listed = _get(gt, "analyst", "/api/v1/messages?status=open", why(purpose, "new requests"))
    console.print(f"gt_police sees {len(listed)} open request(s); it finds the person "
                  f"(cruce link matched gt record {picks['gt_id']})", highlight=False)
    shared = _post(gt, "analyst", "/api/v1/shares",
                   {"records": [picks["gt_id"]], "recipients": ["hn_police"]},
                   why(purpose, f"answer to request {thread}"))
    share_ids = shared.get("share_ids", {}).get("hn_police", [])
    _post(gt, "analyst", f"/api/v1/messages/{thread}/reply",
          {"text": "One record: arrested 2025 for smuggling; shared with you now.",
           "share_ids": share_ids}, {})
    seen = _get(hn, "analyst", f"/api/v1/messages/{thread}", why(purpose, "read the answer"))
    console.print(f"hn_police sees the thread {seen['status']}: "
                  + " | ".join(f"{m['sender']}: {m['text']}" for m in seen["messages"]),
                  highlight=False)
    record = _get(hn, "analyst", f"/api/v1/records/{picks['gt_id']}",
                  why(purpose, "read the shared record"))
    console.print(f"hn_police now holds gt's record of {record['properties']['name'][0]} with gt's envelope "
                  f"(provider {record['envelope']['agency']}, TLP:{record['envelope']['tlp']}, "
                  f"{record['envelope']['handling_code']})", highlight=False)
    return thread


def _shares_under_rules(nodes: dict[str, LocalNode], picks: dict[str, Any]) -> None:
    console.rule("Shares under the rules")
    records = [picks["hn_id"]] + ([picks["victim"]] if picks["victim"] else [])
    done = _post(nodes["hn_police"], "analyst", "/api/v1/shares",
                 {"records": records, "recipients": ["sv_police"]},
                 why(picks["hn_purpose"], "MS-13 cell active on both sides"))
    for recipient, ids in done.get("sent", {}).items():
        console.print(f"hn_police -> {recipient}: sent {len(ids)} record(s)", highlight=False)
    for recipient, refused in done.get("refused", {}).items():
        for record_id, reason in refused.items():
            console.print(f"hn_police -> {recipient}: refused {record_id}: {reason}",
                          highlight=False)


def _consent_for_onward(nodes: dict[str, LocalNode], picks: dict[str, Any]) -> None:
    hn, sv = nodes["hn_police"], nodes["sv_police"]
    headers = why(picks["hn_purpose"], "the same cell crosses into the US")
    body = {"records": [picks["hn_id"]], "recipients": ["us_border"]}
    console.rule("Passing on an H2 record: only with the provider's consent")
    first = _post(sv, "analyst", "/api/v1/shares", body, headers)
    console.print(f"sv_police -> us_border: {first.get('refused', 'sent')}", highlight=False)
    asked = _post(sv, "analyst", "/api/v1/consents",
                  {"record_id": picks["hn_id"], "recipient": "us_border"}, headers)
    console.print(f"sv_police asks hn_police for consent: request {asked['request_id']}",
                  highlight=False)
    pending = [r for r in _get(hn, "supervisor", "/api/v1/consents")
               if r["status"] == "pending"]
    console.print(f"hn_police supervisor sees {len(pending)} pending request(s) and grants it",
                  highlight=False)
    _post(hn, "supervisor", f"/api/v1/consents/{asked['request_id']}/grant",
          {"reason": "for the joint operation only"}, {})
    second = _post(sv, "analyst", "/api/v1/shares", body, headers)
    sent = second.get("sent", {}).get("us_border", [])
    console.print(f"sv_police -> us_border again: sent {len(sent)} record(s)", highlight=False)


def _close(hn: LocalNode, thread: str) -> None:
    _post(hn, "analyst", f"/api/v1/messages/{thread}/close", {"reason": "identified"}, {})


def _what_each_side_sees(nodes: dict[str, LocalNode]) -> None:
    table = Table("agency", "shares received", "requests (status)", "consents",
                  "audit log size", title="What each side sees")
    for agency, node in nodes.items():
        received = _get(node, "analyst", "/api/v1/shares/received")
        senders = ", ".join(f"{r['records']} from {r['sender']}" for r in received) or "-"
        threads = ", ".join(f"{t['requester']}->{t['responder']} {t['status']}"
                            for t in _get(node, "analyst", "/api/v1/messages",
                                          why("intelligence", "demo summary"))) or "-"
        consents = ", ".join(f"{c['requester']} asked {c['provider']}: {c['status']}"
                             for c in _get(node, "analyst", "/api/v1/consents")) or "-"
        head = _get(node, "oversight", "/api/v1/audit/head")
        table.add_row(agency, senders, threads, consents, str(head["tree_size"]))
    console.print(table)
