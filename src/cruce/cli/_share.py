"""`cruce share`, `inbox`, `outbox`, `keys` and `directory …`: sharing between agencies."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cruce._files import is_server_url, node_folder
from cruce._why import justification
from cruce.cli import _remote
from cruce.cli._common import (
    CaseOption,
    DbOption,
    JsonOption,
    PurposeOption,
    WhyOption,
    console,
    err_console,
    must_exist,
    open_node,
    print_json,
    print_table,
    reports_errors,
)
from cruce.cli._remote import NodeOption, TokenOption
from cruce.errors import CruceError, InvalidInput

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from cruce.share import Member

directory_app = typer.Typer(help="The compact directory: the signed list of member agencies.",
                            no_args_is_help=True)


@reports_errors
def share(
    records: Annotated[list[str], typer.Argument(help="Ids of the records to share.")],
    to: Annotated[list[str], typer.Option("--to", help="Recipient agency (repeat for several).")],
    db: DbOption = "cruce.duckdb",
    purpose: PurposeOption = None,
    case: CaseOption = None,
    why: WhyOption = "",
    release: Annotated[str | None, typer.Option(help="A supervisor's justification for "
                                                "releasing victim records (--node only).")] = None,
    node: Annotated[str, typer.Option("--node", envvar="CRUCE_NODE",
                                      help="Share through your running node's API.")] = "",
    token: Annotated[str, typer.Option("--token", envvar="CRUCE_TOKEN",
                                       help="Your API token (with --node).")] = "",
) -> None:
    """Disclose records to other agencies under their envelopes' rules, then deliver.

    With --node (CRUCE_NODE) the running node does it for your user (its server enforces the
    rules and your role); otherwise the node's store is opened here (a node not serving).
    """
    from cruce.share._node import http_post

    reason = justification(purpose, case, why)
    if node:
        from cruce.api._client import NodeClient

        with NodeClient(node, token) as client:
            answer = client.post("/api/v1/shares", {"records": records, "recipients": to,
                                                    "release": release}, reason)
        sent, share_ids, refused = answer["sent"], answer["share_ids"], answer["refused"]
        delivery = answer["delivery"]
    else:
        if release is not None:
            raise InvalidInput("a release is a supervisor's act: give it through --node")
        with open_node(db) as opened:
            done = opened.sharing.disclose(records, to, reason, post=http_post)
            retried = opened.sharing.deliver(http_post)  # anything older still waiting
        sent, share_ids, refused = done.sent, done.share_ids, done.refused
        delivery = {"delivered": done.delivery.get("delivered", 0) + retried["delivered"],
                    "failed": retried["failed"],
                    "refused": done.delivery.get("refused", 0) + retried["refused"]}
    for recipient in to:
        shares = ", ".join(share_ids.get(recipient, [])) or "-"
        console.print(f"{recipient}: {len(sent.get(recipient, []))} records in share {shares}",
                      highlight=False)
        for record_id, why_not in refused.get(recipient, {}).items():
            console.print(f"  refused {record_id}: {why_not}", highlight=False)
    console.print(f"delivered {delivery['delivered']}, waiting {delivery['failed']}, refused by "
                  f"the recipient {delivery.get('refused', 0)} (see cruce outbox)", highlight=False)


@reports_errors
def inbox(
    db: DbOption = "cruce.duckdb",
    as_json: JsonOption = False,
    node: NodeOption = "",
    token: TokenOption = "",
) -> None:
    """Shares this node has received (who sent how many records, when)."""
    if node:
        rows = _remote.inbox(node, token)
    else:
        with open_node(db) as opened:
            rows = [{"share_id": share_id, "sender": sender, "records": n,
                     "received_at": at.isoformat(timespec="seconds")}
                    for share_id, sender, n, at in opened.store.shares_received()]
    if as_json:
        print_json(rows)
    else:
        print_table(rows, ("share_id", "sender", "records", "received_at"), ids=("share_id",))


@reports_errors
def outbox(
    db: DbOption = "cruce.duckdb",
    deliver: Annotated[bool, typer.Option("--deliver", help="Retry every waiting package now, back-off or not (not with --node: the server retries by itself).")] = False,
    node: Annotated[str, typer.Option("--node", envvar="CRUCE_NODE",
                                      help="Ask your running node's API.")] = "",
    token: Annotated[str, typer.Option("--token", envvar="CRUCE_TOKEN",
                                       help="Your API token (with --node).")] = "",
    as_json: JsonOption = False,
) -> None:
    """Packages and messages sent, waiting (with their next attempt) or refused by the recipient
    (final: share again, with the records as they are now, if it is still needed)."""
    from cruce.share._node import http_post

    if node:
        if deliver:
            raise InvalidInput("--deliver opens the store here; a running node retries by itself")
        from cruce.api._client import NodeClient

        with NodeClient(node, token) as client:
            entries = client.get("/api/v1/shares/outbox")
    else:
        with open_node(db) as opened:
            if deliver:
                counts = opened.sharing.deliver(http_post)
                console.print(f"delivered {counts['delivered']}, still waiting "
                              f"{counts['failed']}, refused {counts['refused']}")
            # From the store: a node outside the compact lists what it queued (erasure notices)
            entries = [entry.to_dict() for entry in opened.store.outbox_entries()]
    if as_json:
        print_json(entries)
        return
    rows = [{"id": e["id"], "kind": e["kind"], "to": e["recipient"], "records": e["records"],
             "attempts": e["attempts"], "state": e["state"],
             "since / next attempt": (e["since"] or "now")[:19],
             "last error": e["last_error"] or ""} for e in entries]
    print_table(rows, OUTBOX_COLUMNS, ids=("id",))


OUTBOX_COLUMNS = ("id", "kind", "to", "records", "attempts", "state", "since / next attempt",
                  "last error")


@reports_errors
def keys(
    db: DbOption = "cruce.duckdb",
    country: Annotated[str, typer.Option(help="The member's country code, e.g. HN.")] = "",
    endpoint: Annotated[str, typer.Option(help="The node's public API address, e.g. https://cruce.hn-police.example/.")] = "",
    agency: Annotated[str, typer.Option(help="The member id (default: the node's agency).")] = "",
) -> None:
    """The node's member entry for the compact authority's directory: id, country, endpoint and
    public keys, as JSON ready for the list `cruce directory sign` takes (private keys stay
    put, in the node's key folder)."""
    from cruce.share import NodeKeys

    must_exist(db)  # a mistyped --db must not get keys of its own (as open_node refuses it)
    folder = node_folder(db, "keys")
    if folder is None:
        raise InvalidInput("an in-memory node keeps no keys: give --db or CRUCE_KEYS_DIR")
    if not agency and not is_server_url(db) and Path(db).exists():
        with open_node(db) as opened:
            agency = opened.agency or ""
    pub = NodeKeys.load_or_generate(folder).public()
    entry = {"id": agency, "country": country, "endpoint": endpoint}
    missing = [name for name, value in entry.items() if not value]
    if missing:
        err_console.print(f"fill in {', '.join(missing)} before the authority signs it "
                          "(--agency, --country, --endpoint)", highlight=False, soft_wrap=True)
    print_json({**{k: v for k, v in entry.items() if v}, "signing_key": pub.signing.hex(),
                "encryption_key": pub.encryption.hex()})


@directory_app.command("keygen")
@reports_errors
def directory_keygen(
    out: Annotated[Path, typer.Option("--out", help="Folder for the authority's key pair.")],
) -> None:
    """Create the compact authority's signing key (done once, by the authority)."""
    from cruce.share._authority import write_authority_key

    write_authority_key(out)
    console.print(f"authority key in {out} (publish authority.pub.pem to every node)")


@directory_app.command("sign")
@reports_errors
def directory_sign(
    members: Annotated[Path, typer.Argument(help="JSON list of {id, country, endpoint, signing_key, encryption_key} (keys in hex, from cruce keys).")],
    key: Annotated[Path, typer.Option("--key", help="The authority's private key (authority.pem).")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the signed directory.")],
    serial: Annotated[int, typer.Option(help="Directory serial; each new directory a higher one.")] = 1,
    days: Annotated[int, typer.Option(help="How long the memberships are valid.")] = 365,
) -> None:
    """Sign the list of member agencies (the compact authority's act)."""
    from cruce.share import Directory

    authority = _authority_key(key)
    now = datetime.now(UTC)
    listed = _members(members, now - timedelta(minutes=5), now + timedelta(days=days))
    out.write_bytes(Directory.sign(listed, authority, serial=serial, issued_at=now))
    console.print(f"signed directory of {len(listed)} members -> {out}")


def _authority_key(path: Path) -> Ed25519PrivateKey:
    from cruce.share._authority import load_authority_key

    return load_authority_key(path)


_MEMBER_FIELDS = ("id", "country", "endpoint", "signing_key", "encryption_key")


def _members(path: Path, valid_from: datetime, valid_until: datetime) -> list[Member]:
    """The authority's member list, each entry checked and named (by place and id) when bad."""
    from cruce.share import Member

    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"{path}: cannot read the member list: {exc}") from None
    if not isinstance(entries, list):
        raise InvalidInput(f"{path}: not a JSON list of member entries (from cruce keys)")
    listed = []
    for n, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            raise InvalidInput(f"{path}: member {n} is not a JSON object")
        named = entry.get("id")
        where = f"{path}: member {n}" + (f" ({named[:64]})" if isinstance(named, str) else "")
        missing = [name for name in _MEMBER_FIELDS if not isinstance(entry.get(name), str)]
        if missing:
            raise InvalidInput(f"{where}: missing {', '.join(missing)}")
        keys = {name: _hex(where, name, entry[name]) for name in _MEMBER_FIELDS[3:]}
        try:
            listed.append(Member(entry["id"], entry["country"], entry["endpoint"],
                                 keys["signing_key"], keys["encryption_key"], valid_from,
                                 valid_until))
        except CruceError as exc:
            raise InvalidInput(f"{path}: {exc.message}") from None
    return listed


def _hex(where: str, name: str, text: str) -> bytes:
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise InvalidInput(f"{where}: {name} is not hex") from None


@reports_errors
def erase(
    records: Annotated[list[str], typer.Argument(help="Ids of the records to erase.")],
    db: DbOption = "cruce.duckdb",
    purpose: PurposeOption = None,
    case: CaseOption = None,
    why: WhyOption = "",
) -> None:
    """Erase records here and tell every agency they were shared with (notices go out now)."""
    from cruce.share._node import http_post

    with open_node(db) as node:
        done = node.erase(records, justification(purpose, case, why))
        delivery = (node.sharing.deliver(http_post) if done["notices"] and node.is_sharing
                    else {"delivered": 0})  # without the directory the notices wait, queued
    console.print(f"erased {done['erased']}; {done['notices']} recipients notified, "
                  f"{delivery['delivered']} delivered", highlight=False)


@reports_errors
def expire(
    db: DbOption = "cruce.duckdb",
    why: WhyOption = "retention period over",
) -> None:
    """Erase every record past its retain-until date and notify its recipients."""
    from cruce.share._node import http_post

    reason = justification("intelligence", "retention", why)
    with open_node(db) as node:
        done = node.expire(reason)
        if done["notices"] and node.is_sharing:  # otherwise they wait in the outbox
            node.sharing.deliver(http_post)
    console.print(f"erased {done['erased']} expired records; {done['notices']} recipients "
                  "notified", highlight=False)
