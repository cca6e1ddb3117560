"""`cruce request …` and `cruce consent …`: requests for information between agencies and the
providers' consent to onward sharing. These talk to the user's running node (--node, --token)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from cruce._why import justification
from cruce.cli import _remote
from cruce.cli._common import (
    CaseOption,
    JsonOption,
    PurposeOption,
    WhyOption,
    console,
    print_json,
    print_table,
    reports_errors,
)
from cruce.cli._remote import NodeOption, TokenOption
from cruce.errors import InvalidInput

request_app = typer.Typer(help="Requests for information between agencies (threads on a case).",
                          no_args_is_help=True)
consent_app = typer.Typer(help="Consent to pass on another agency's records.",
                          no_args_is_help=True)


@request_app.command("send")
@reports_errors
def send(
    to: Annotated[str, typer.Option("--to", help="The agency asked.")],
    subject: Annotated[str, typer.Option(help="One line: what the request is about.")],
    text: Annotated[str, typer.Option(help="The request itself.")],
    priority: Annotated[str, typer.Option(help="low, normal, high or urgent")] = "normal",
    deadline: Annotated[str | None, typer.Option(help="Answer wanted by (YYYY-MM-DD).")] = None,
    node: NodeOption = "", token: TokenOption = "",
    purpose: PurposeOption = None, case: CaseOption = None, why: WhyOption = "",
) -> None:
    """Ask another agency for information on a case; prints the thread id."""
    reason = justification(purpose, case, why)
    body = {"to": to, "subject": subject, "text": text, "priority": priority,
            "deadline": _day(deadline).isoformat() if deadline else None}
    with _remote.client(node, token) as client:
        done = client.post("/api/v1/messages", body, reason)
    console.print(f"request {done['thread_id']} sent to {to}", highlight=False)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"--deadline {text[:40]!r} is not a date (YYYY-MM-DD)") from None


@request_app.command("list")
@reports_errors
def list_threads(
    status: Annotated[str | None, typer.Option(help="open, answered or closed")] = None,
    node: NodeOption = "", token: TokenOption = "",
    purpose: PurposeOption = None, case: CaseOption = None, why: WhyOption = "",
    as_json: JsonOption = False,
) -> None:
    """Request threads, newest activity first (a logged consultation)."""
    reason = justification(purpose, case, why)
    with _remote.client(node, token) as client:
        rows = client.get("/api/v1/messages", reason,
                          params={"status": status} if status else None)
    if as_json:
        print_json(rows)
        return
    print_table(rows, ("thread_id", "requester", "responder", "case_reference", "priority",
                       "deadline", "status", "subject"), ids=("thread_id",))


@request_app.command("show")
@reports_errors
def show_thread(
    thread: Annotated[str, typer.Argument(help="Thread id")],
    node: NodeOption = "", token: TokenOption = "",
    purpose: PurposeOption = None, case: CaseOption = None, why: WhyOption = "",
) -> None:
    """A thread with every message (a logged consultation)."""
    with _remote.client(node, token) as client:
        t = client.get(f"/api/v1/messages/{thread}", justification(purpose, case, why))
    console.print(f"[bold]{t['subject']}[/bold]  {t['requester']} -> {t['responder']}  "
                  f"case {t['case_reference']}  {t['priority']}  status {t['status']}")
    for m in t["messages"]:
        shares = f"  (shares: {', '.join(m['share_ids'])})" if m["share_ids"] else ""
        console.print(f"  {m['at'][:19]} {m['sender']}/{m['author']} [{m['kind']}]: "
                      f"{m['text']}{shares}", highlight=False)


@request_app.command("reply")
@reports_errors
def reply(
    thread: Annotated[str, typer.Argument(help="Thread id")],
    text: Annotated[str, typer.Option(help="The answer.")],
    share: Annotated[list[str] | None, typer.Option("--share", help="A share id sent with it.")] = None,
    node: NodeOption = "", token: TokenOption = "",
) -> None:
    """Answer a request (optionally naming shares sent with the answer)."""
    with _remote.client(node, token) as client:
        done = client.post(f"/api/v1/messages/{thread}/reply",
                           {"text": text, "share_ids": share or []})
    console.print(f"reply {done['message_id']} sent", highlight=False)


@request_app.command("close")
@reports_errors
def close(
    thread: Annotated[str, typer.Argument(help="Thread id")],
    reason: Annotated[str, typer.Option(help="Why it is closed.")] = "",
    node: NodeOption = "", token: TokenOption = "",
) -> None:
    """Close your own request."""
    with _remote.client(node, token) as client:
        client.post(f"/api/v1/messages/{thread}/close", {"reason": reason})
    console.print(f"request {thread} closed", highlight=False)


@consent_app.command("ask")
@reports_errors
def ask(
    record: Annotated[str, typer.Argument(help="A record received from another agency.")],
    to: Annotated[str, typer.Option("--for", help="The agency it would go on to.")],
    node: NodeOption = "", token: TokenOption = "",
    purpose: PurposeOption = None, case: CaseOption = None, why: WhyOption = "",
) -> None:
    """Ask the record's provider for consent to pass it on."""
    with _remote.client(node, token) as client:
        done = client.post("/api/v1/consents", {"record_id": record, "recipient": to},
                           justification(purpose, case, why))
    console.print(f"consent request {done['request_id']} sent to {done['provider']}",
                  highlight=False)


@consent_app.command("list")
@reports_errors
def list_consents(node: NodeOption = "", token: TokenOption = "",
                  as_json: JsonOption = False) -> None:
    """Consent requests asked and received, with their answers."""
    with _remote.client(node, token) as client:
        rows = client.get("/api/v1/consents")
    if as_json:
        print_json(rows)
        return
    print_table(rows, ("request_id", "record_id", "provider", "requester", "recipient",
                       "purpose", "status", "reason"), ids=("request_id", "record_id"))


def _answer(request: str, verdict: str, reason: str, node: str, token: str) -> None:
    with _remote.client(node, token) as client:
        done = client.post(f"/api/v1/consents/{request}/{verdict}", {"reason": reason})
    console.print(f"consent request {request}: {done['status']}", highlight=False)


@consent_app.command("grant")
@reports_errors
def grant(
    request: Annotated[str, typer.Argument(help="Consent request id")],
    reason: Annotated[str, typer.Option(help="Any condition or note.")] = "",
    node: NodeOption = "", token: TokenOption = "",
) -> None:
    """Grant a consent request (supervisors)."""
    _answer(request, "grant", reason, node, token)


@consent_app.command("refuse")
@reports_errors
def refuse(
    request: Annotated[str, typer.Argument(help="Consent request id")],
    reason: Annotated[str, typer.Option(help="Why (the requester reads it).")],
    node: NodeOption = "", token: TokenOption = "",
) -> None:
    """Refuse a consent request (supervisors)."""
    _answer(request, "refuse", reason, node, token)
