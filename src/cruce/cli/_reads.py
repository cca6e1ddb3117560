"""Reading a node's records: show, search, export, stats. Each read of records is a logged
consultation limited to the stated purpose; with --node the running node does it for the user
its token names, otherwise the store is opened here for the operator (`cruce --user`)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path
from typing import IO, Annotated, Any

import typer

from cruce._files import private_dir, private_file
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
    open_node,
    print_json,
    print_table,
    reports_errors,
)
from cruce.cli._remote import NodeOption, TokenOption
from cruce.errors import InvalidInput
from cruce.records import Record, make_entity

SEARCH_COLUMNS = ("id", "schema", "caption", "agency", "category", "handling", "TLP")


@reports_errors
def show(
    record_id: Annotated[str, typer.Argument(help="The record's id.")],
    db: DbOption = "cruce.duckdb",
    purpose: PurposeOption = None,
    case: CaseOption = None,
    why: WhyOption = "",
    node: NodeOption = "",
    token: TokenOption = "",
) -> None:
    """Show one record with its envelope (a logged consultation; refused if the record was
    collected for a purpose not compatible with --purpose)."""
    reason = justification(purpose, case, why)
    if node:
        data = _remote.show(node, token, record_id, reason)
    else:
        with open_node(db) as opened:
            data = opened.get(record_id, reason).to_dict()
    print_json(data)


@reports_errors
def search(
    name: Annotated[str, typer.Argument(help="Name, alias or identifier words to look for.")],
    db: DbOption = "cruce.duckdb",
    schema: Annotated[str | None, typer.Option(help="Only this FtM schema.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many results.")] = 20,
    purpose: PurposeOption = None,
    case: CaseOption = None,
    why: WhyOption = "",
    as_json: JsonOption = False,
    node: NodeOption = "",
    token: TokenOption = "",
) -> None:
    """Find records by name words among those --purpose may read (a logged consultation); says
    how many more matched but were collected for a purpose not compatible with it."""
    if limit < 1:
        raise InvalidInput(f"--limit {limit}: give 1 or more")
    reason = justification(purpose, case, why)
    if node:
        records, withheld = _remote.search(node, token, name, reason, schema, limit)
    else:
        with open_node(db) as opened:
            found = opened.search(name, reason, schema=schema, limit=limit)
        records, withheld = [r.to_dict() for r in found], found.withheld
    rows = [_search_row(r) for r in records]
    if as_json:
        print_json({"records": rows, "withheld": withheld})
        return
    print_table(rows, SEARCH_COLUMNS, ids=("id",))
    more = (f"; {withheld} more withheld: collected for purposes not compatible with "
            f"{reason.purpose}") if withheld else ""
    console.print(f"{len(rows)} records{more}", highlight=False)


def _search_row(record: dict[str, Any]) -> dict[str, Any]:
    envelope = record["envelope"]
    entity = make_entity({k: v for k, v in record.items() if k != "envelope"})
    return {"id": record["id"], "schema": record["schema"], "caption": entity.caption,
            "agency": envelope["agency"], "category": envelope.get("subject_category"),
            "handling": envelope["handling_code"], "TLP": envelope["tlp"]}


@reports_errors
def export(
    db: DbOption = "cruce.duckdb",
    out: Annotated[Path, typer.Option("--out", "-o", help="File to write (0600); - for stdout.")] = Path("-"),
    schema: Annotated[str | None, typer.Option(help="Only this FtM schema.")] = None,
    dataset: Annotated[str | None, typer.Option(help="Only this dataset.")] = None,
    purpose: PurposeOption = None,
    case: CaseOption = None,
    why: WhyOption = "",
    node: NodeOption = "",
    token: TokenOption = "",
) -> None:
    """Export the records --purpose may read as FtM JSON lines, each with its envelope (a
    logged consultation); says how many it withheld."""
    reason = justification(purpose, case, why)
    if node:
        lines, withheld = _remote.export(node, token, reason, schema, dataset)
        written = _write_lines(out, lines)
    else:
        with open_node(db) as opened:
            records = opened.export(reason, schema=schema, dataset=dataset)
            written = _write_lines(out, (_line(r) for r in records))
            withheld = records.withheld
    err_console.print(f"{written} records exported; {withheld} withheld (collected for purposes "
                      f"not compatible with {reason.purpose})", highlight=False)


def _line(record: Record) -> str:
    return json.dumps(record.to_dict(), ensure_ascii=False, sort_keys=True)


def _write_lines(out: Path, lines: Iterable[str]) -> int:
    """Write to stdout or to a private file (0600, its new folders 0700)."""
    fh: IO[str] = sys.stdout if str(out) == "-" else private_file(private_dir(out.parent) / out.name)
    count = 0
    try:
        for line in lines:
            fh.write(line + "\n")
            count += 1
    finally:
        if fh is not sys.stdout:
            fh.close()
    return count


class CountedField(StrEnum):
    """The envelope and record fields `stats` may count by (the store's aggregate columns)."""

    AGENCY = "agency"
    SCHEMA = "schema"
    PURPOSE = "purpose"
    HANDLING_CODE = "handling_code"
    TLP = "tlp"
    SUBJECT_CATEGORY = "subject_category"
    DATASET = "dataset"


_COUNTED = [f.value for f in CountedField]
_CHOICES = f"{', '.join(_COUNTED[:-1])} or {_COUNTED[-1]}"


def counted_fields(given: list[str] | None) -> list[str]:
    """--by checked here, so a wrong one is our one `Error:` line naming the choices (a typer
    Choice would answer with a usage box)."""
    for name in given or ():
        if name not in _COUNTED:
            raise InvalidInput(f"--by {name!r} is not a field to count by; choose {_CHOICES}")
    return list(given or [CountedField.SCHEMA.value])


@reports_errors
def stats(
    db: DbOption = "cruce.duckdb",
    by: Annotated[list[str] | None, typer.Option(
        metavar="FIELD", help=f"Count by this field (repeat for several): {_CHOICES}.")] = None,
    as_json: JsonOption = False,
    node: NodeOption = "",
    token: TokenOption = "",
) -> None:
    """Aggregate counts of the node's records (no record is read)."""
    groups = counted_fields(by)
    if node:
        rows = _remote.stats(node, token, groups)
    else:
        with open_node(db) as opened:
            counted = opened.stats(*groups)
        rows = [{**dict(zip(groups, row[:-1], strict=True)), "records": row[-1]}
                for row in counted]
    if as_json:
        print_json(rows)
    else:
        print_table(rows, [*groups, "records"])


__all__ = ["export", "search", "show", "stats"]
