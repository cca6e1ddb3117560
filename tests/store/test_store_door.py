"""The store is the only door (issue 11 #4): outside src/cruce/store/, no module of cruce
touches a `_`-prefixed attribute of a store: not its backend hooks (`_query`, `_execute`,
`_select`, `_append_rows`, ...), not its state (`_depth`), under whatever name the store goes
(`store`, `self.store`, `node.store`, `self._store`, `opened.store`, or any variable), nor
through `getattr(store, "_query")`. What link, share, api, cli and audit need are the store's
typed public methods, where every read of record content is a logged consultation."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import cruce
from cruce.store import Store
from cruce.store._duckdb import DuckDBStore
from cruce.store._postgres import PostgresStore

PACKAGE = Path(cruce.__file__).parent
STORE = PACKAGE / "store"


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


# Every private name a store has, whatever the backend: a call of one of them on anything but
# `self` is reaching into a store, whatever the variable is called.
STORE_PRIVATE = frozenset(
    name for cls in (Store, DuckDBStore, PostgresStore) for name in dir(cls) if _private(name))


def _names_a_store(node: ast.expr) -> bool:
    """`store`, `self.store`, `node._store`, `open_store(...)`, `opened.store`: the last name
    in the expression says store."""
    while isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Name):
        return "store" in node.id.lower()
    if isinstance(node, ast.Attribute):
        return "store" in node.attr.lower()
    return False


def _is_self(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id in {"self", "cls"}


def reaches_into_a_store(source: str, filename: str = "<source>") -> list[str]:
    """Each place in `source` that touches a store's private attribute, as `line: code`."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            if _names_a_store(node.value) or (
                    node.attr in STORE_PRIVATE and not _is_self(node.value)):
                found.append(f"{node.lineno}: {ast.unparse(node)}")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id in {"getattr", "setattr", "hasattr", "delattr"}
              and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant)
              and isinstance(node.args[1].value, str) and _private(node.args[1].value)
              and _names_a_store(node.args[0])):
            found.append(f"{node.lineno}: {ast.unparse(node)}")
    return found


def _offenders() -> dict[str, list[str]]:
    offenders: dict[str, list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if STORE in path.parents:
            continue
        found = reaches_into_a_store(path.read_text(encoding="utf-8"), str(path))
        if found:
            offenders[path.relative_to(PACKAGE).as_posix()] = found
    return offenders


def test_no_module_outside_the_store_touches_a_store_private_attribute() -> None:
    assert _offenders() == {}


def test_every_package_of_cruce_is_scanned() -> None:
    scanned = {path.relative_to(PACKAGE).parts[0] for path in PACKAGE.rglob("*.py")
               if STORE not in path.parents}
    assert {"api", "audit", "cli", "demo", "ingest", "link", "share", "_node.py"} <= scanned


@pytest.mark.parametrize("code", [
    "store._query('SELECT 1')",
    "self.store._execute('DELETE FROM records')",
    "node.store._select(query)",
    "opened.store._append_rows('t', (), [])",
    "self._store._bulk_upsert(table)",
    "self.sharing.node.store._query('x')",
    "open_store(url)._query('x')",
    "node.store._depth",
    "db._query('SELECT 1')",  # a store under another name: its hook gives it away
    "getattr(store, '_execute')('x')",
])
def test_the_check_finds_each_way_into_a_store(code: str) -> None:
    [place] = reaches_into_a_store(code)
    assert place.startswith("1: ")


@pytest.mark.parametrize("code", [
    "store.read(query, actor, why)",
    "self._query('x')",  # a class's own method
    "self._store = store",
    "node.store.__class__",
    "sharing._outbox",
])
def test_the_check_lets_public_calls_and_own_attributes_pass(code: str) -> None:
    assert reaches_into_a_store(code) == []
