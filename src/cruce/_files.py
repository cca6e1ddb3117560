"""Files cruce creates are private to the node's operating-system account: 0600 in 0700 folders.

A store, its write-ahead log, an export, a rejects file or a linkage output holds case data
(victims included) and token digests; another local account must not read any of it, whatever
the umask of the shell that started cruce (issue 10 #14).

Two layers, because some files are created by libraries (DuckDB's WAL, written at every
checkpoint-free write) and cannot be opened here with an explicit mode:

- `restrict_umask()` makes every file the process creates from then on private (the CLI and the
  server call it at start; opening a DuckDB store calls it too);
- `private_file`, `private_dir` and `write_private` create what cruce writes itself with an
  explicit mode, so a library caller with a loose umask still gets private files.

    >>> import tempfile, pathlib
    >>> folder = private_dir(pathlib.Path(tempfile.mkdtemp()) / "out")
    >>> oct(folder.stat().st_mode & 0o777)
    '0o700'
    >>> with private_file(folder / "pairs.csv") as fh:
    ...     _ = fh.write("a,b\\n")
    >>> oct((folder / "pairs.csv").stat().st_mode & 0o777)
    '0o600'
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Literal, overload
from urllib.parse import parse_qs, unquote, urlsplit

FILE_MODE = 0o600
DIR_MODE = 0o700
PRIVATE_UMASK = 0o077


def restrict_umask() -> int:
    """Make every file this process creates from now on private (never loosens a stricter
    umask). Returns the umask that was in force."""
    old = os.umask(PRIVATE_UMASK)
    os.umask(old | PRIVATE_UMASK)
    return old


def private_dir(path: Path) -> Path:
    """Create a folder and its missing parents as 0700 whatever the umask; a folder that
    exists already is the operator's choice and is left as it is."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    for created in missing:  # mkdir's mode is filtered by the umask: set it outright
        created.chmod(DIR_MODE)
    return path


@overload
def private_file(path: Path, mode: Literal["w", "a", "x"] = "w",
                 encoding: str = "utf-8") -> IO[str]: ...
@overload
def private_file(path: Path, mode: Literal["wb", "ab", "xb"],
                 encoding: str = "utf-8") -> IO[bytes]: ...
def private_file(path: Path, mode: str = "w", encoding: str = "utf-8") -> IO[str] | IO[bytes]:
    """Open a file for writing that only its owner may read (0600), created so from the first
    byte; an existing file is truncated (w), appended to (a) or refused (x), and made 0600.

    A file named with `~` or a path is opened as given; the folder must exist (see
    `private_dir` to create it privately).
    """
    flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
    kind = mode.rstrip("b")
    if kind == "w":
        flags |= os.O_TRUNC
    elif kind == "a":
        flags |= os.O_APPEND
    elif kind == "x":
        flags |= os.O_EXCL
    else:
        raise ValueError(f"private_file opens for writing only, not {mode!r}")
    fd = os.open(path, flags, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)  # an existing file keeps its old mode otherwise
        if mode.endswith("b"):
            return os.fdopen(fd, mode)
        return os.fdopen(fd, mode, encoding=encoding, newline="")
    except BaseException:
        os.close(fd)
        raise


def write_private(path: Path, data: bytes | str, encoding: str = "utf-8") -> Path:
    """Write a whole file as 0600 (replacing it)."""
    if isinstance(data, str):
        data = data.encode(encoding)
    with private_file(path, "wb") as fh:
        fh.write(data)
    return path


def make_private(path: Path) -> None:
    """Tighten a file cruce owns that a library created (a store file, its WAL) to 0600."""
    try:
        if path.stat().st_mode & 0o077:
            path.chmod(FILE_MODE)
    except FileNotFoundError:
        pass


# -- where a node's own folders are, and URLs fit to print -------------------------------------
_POSTGRES = ("postgresql://", "postgres://")
_ENV = {"keys": "CRUCE_KEYS_DIR", "audit": "CRUCE_AUDIT_DIR"}


def is_server_url(db: str | Path) -> bool:
    """Is this store a PostgreSQL URL (rather than a DuckDB file)?"""
    return str(db).startswith(_POSTGRES)


def node_folder(db: str | Path, kind: Literal["keys", "audit"],
                env: Mapping[str, str] | None = None) -> Path | None:
    """The node's key or audit folder, derived from its store the same way by every command and
    the server, and never from a credential (issue 10 #15).

    CRUCE_KEYS_DIR names the key folder outright, CRUCE_AUDIT_DIR a server store's audit
    folder (a store file's log is always beside it). Otherwise a store file keeps both beside
    it (`node.duckdb` -> `node.duckdb.keys/`, `node.duckdb.audit/`); a PostgreSQL store keeps
    its keys under `~/.cruce/<host>-<port>-<database>[-<schema>].keys` (built from the URL's
    parts that are not secrets, so `user:pw@` or `password=` change nothing) and its audit log
    in the store unless CRUCE_AUDIT_DIR names a folder; an in-memory store has neither (None).

    >>> node_folder("hn.duckdb", "keys", env={})
    PosixPath('hn.duckdb.keys')
    >>> hn = "db:5432/cruce?options=-csearch_path%3Dhn"
    >>> a = node_folder(f"postgresql://u:secret@{hn}", "keys", {})
    >>> a == node_folder(f"postgresql://u@{hn}", "keys", {})
    True
    >>> a.name, "secret" in str(a)
    ('db-5432-cruce-hn.keys', False)
    """
    env = os.environ if env is None else env
    text = str(db)
    named = env.get(_ENV[kind])
    if named and (kind == "keys" or is_server_url(text)):
        return Path(named)
    if text == ":memory:":
        return None
    if is_server_url(text):
        if kind == "audit":
            return None
        return Path.home() / ".cruce" / f"{store_label(text)}.keys"
    return Path(f"{text}.{kind}")


def store_label(url: str) -> str:
    """A PostgreSQL store's name without credentials: host-port-database[-schema]."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    port = str(parts.port or 5432)
    database = unquote(parts.path.lstrip("/")) or "postgres"
    options = " ".join(parse_qs(parts.query).get("options", []))
    schema = re.search(r"search_path\s*=\s*([^\s,]+)", options)
    words = [host, port, database] + ([schema.group(1)] if schema else [])
    return "-".join(re.sub(r"[^A-Za-z0-9._]+", "_", w) for w in words)


def redact_url(url: str) -> str:
    """The URL without its password (in the authority or as a `password=` parameter), fit to
    print or to name a store in a message.

    >>> redact_url("postgresql://cruce:s3cret@db/hn?password=x&sslmode=require")
    'postgresql://cruce@db/hn?sslmode=require'
    """
    url = re.sub(r"^([a-z]+://)([^:/?#@]*):[^/?#@]*@",
                 lambda m: m.group(1) + (m.group(2) + "@" if m.group(2) else ""), url, flags=re.I)
    url = re.sub(r"([?&])password=[^&#]*(&?)", lambda m: m.group(1) if m.group(2) else "", url,
                 flags=re.I)
    return url.rstrip("?&")


__all__ = [
    "DIR_MODE",
    "FILE_MODE",
    "is_server_url",
    "make_private",
    "node_folder",
    "private_dir",
    "private_file",
    "redact_url",
    "restrict_umask",
    "store_label",
    "write_private",
]
