"""`cruce pprl`: privacy-preserving hit/no-hit (encode at each owner, match without the key)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cruce.cli._common import console, err_console, reports_errors
from cruce.errors import InvalidInput

app = typer.Typer(help="Privacy-preserving hit/no-hit: encodings, not personal data, are matched.",
                  no_args_is_help=True)
SHOWN_SKIPS = 5


def _warn_skipped(skipped: list[str]) -> None:
    for line in skipped[:SHOWN_SKIPS]:
        err_console.print(f"Warning: skipped {line}", markup=False, highlight=False,
                          soft_wrap=True)
    if len(skipped) > SHOWN_SKIPS:
        err_console.print(f"Warning: {len(skipped) - SHOWN_SKIPS} more lines skipped",
                          highlight=False, soft_wrap=True)


@app.command()
@reports_errors
def encode(
    file: Annotated[Path, typer.Argument(help="FtM Person entities as JSON lines.")],
    secret: Annotated[Path, typer.Option("--secret", help="The compact PPRL secret's file "
                                         "(at least 32 random bytes; never sent anywhere).")],
    out: Annotated[Path, typer.Option("--out", help="ENC.jsonl: opaque handles and encodings "
                                      "only, to send to the matching party.")],
    handles: Annotated[Path, typer.Option("--handles", help="HANDLES.csv (handle,id): stays "
                                          "with you, to turn hits back into records.")],
) -> None:
    """Encode people for matching: no name, date or identifier leaves in clear."""
    from cruce.pprl import encode_file

    if out.resolve() == handles.resolve():
        raise InvalidInput(f"--out and --handles are the same file ({out}); give two files")
    done = encode_file(file, secret, out, handles)
    _warn_skipped(done.skipped)
    console.print(f"{done.people} people encoded ({done.written - done.people} fake records "
                  f"mixed in) -> {out}; handles -> {handles}; schema {done.schema_hash[:16]}",
                  highlight=False, soft_wrap=True)


@app.command("match")
@reports_errors
def match_(
    left: Annotated[Path, typer.Argument(help="A's ENC.jsonl (its handles on the left).")],
    right: Annotated[Path, typer.Argument(help="B's ENC.jsonl.")],
    out: Annotated[Path, typer.Option("--out", help="MATCHES.csv: left_handle,right_handle,"
                                      "score, one-to-one.")],
    threshold: Annotated[float | None, typer.Option(
        "--threshold", min=0.0, max=1.0,
        help="Dice score a match needs (default: chosen from the data).")] = None,
) -> None:
    """Match two owners' encodings one-to-one; needs no key."""
    from cruce.pprl import match_files

    done = match_files(left, right, out, threshold)
    _warn_skipped(done.skipped)
    console.print(f"{done.matches} matches of {done.left} x {done.right} encodings at score >= "
                  f"{done.threshold:.3f} ({done.compared} compared) -> {out}", highlight=False, soft_wrap=True)
