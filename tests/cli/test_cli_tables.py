"""Every command that prints a table takes --json (issue 11: scripts read the JSON, people the
table). Found from the source: a command prints a table if it, or a function of the CLI it
calls, builds a rich Table or calls print_table."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from typing import Any

import typer

from cruce.cli import app

CLI = Path(__file__).resolve().parents[2] / "src" / "cruce" / "cli"

Function = tuple[str, str]  # (module stem, function name)


def _calls(module: str, tree: ast.Module) -> dict[Function, set[Function]]:
    imported: dict[str, Function | str] = {}  # local name -> function, or module stem
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == "cruce.cli":
            imported |= {a.asname or a.name: a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("cruce.cli."):
            stem = str(node.module).rsplit(".", 1)[1]
            imported |= {a.asname or a.name: (stem, a.name) for a in node.names}
    defined = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
    calls: dict[Function, set[Function]] = {}
    for func in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
        called: set[Function] = set()
        for call in (n for n in ast.walk(func) if isinstance(n, ast.Call)):
            target = call.func
            if isinstance(target, ast.Name):
                if target.id in ("Table", "print_table"):
                    called.add(("", "table"))
                elif target.id in defined:
                    called.add((module, target.id))
                elif isinstance(function := imported.get(target.id), tuple):
                    called.add(function)
            elif isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
                stem = imported.get(target.value.id)
                if isinstance(stem, str):
                    called.add((stem, target.attr))
        calls[(module, func.name)] = called
    return calls


def _printing_tables() -> set[Function]:
    calls: dict[Function, set[Function]] = {}
    for path in CLI.glob("*.py"):
        calls |= _calls(path.stem, ast.parse(path.read_text()))
    printing = {("", "table")}
    while True:
        more = {f for f, called in calls.items() if called & printing} - printing
        if not more:
            return printing
        printing |= more


def _commands(group: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """(name, command) of every command under a group (typer's click groups and commands)."""
    found = []
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            found += _commands(command, f"{prefix}{name} ")
        else:
            found.append((f"{prefix}{name}", command))
    return found


def test_every_command_that_prints_a_table_takes_json() -> None:
    printing = _printing_tables()
    missing = []
    for name, command in _commands(typer.main.get_command(app)):
        callback = inspect.unwrap(command.callback)
        key = (callback.__module__.rsplit(".", 1)[1], callback.__name__)
        takes_json = any("--json" in getattr(p, "opts", ()) for p in command.params)
        if key in printing and not takes_json:
            missing.append(name)
    assert missing == []
    assert ("_demo", "demo") in printing and ("_share", "outbox") in printing  # it sees them
