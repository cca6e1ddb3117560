"""Mapping files read with bounds, and their keys checked against what cruce reads.

YAML anchors and aliases let a 688-byte file expand to gigabytes ("billion laughs"); a mapping
has no use for them, so any anchor or alias is refused before the document is built, and the
file itself is capped at `MAX_MAPPING_BYTES`. A key cruce does not read (`properites:`,
`envelop:`) is refused with the nearest key it knows, so a typo never silently drops a
mapping's properties or envelope.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from cruce.errors import InvalidMapping
from cruce.records._vocab import nearest_key

MAX_MAPPING_BYTES = 1 << 20
MAX_DEPTH = 32  # a mapping nests about 8 deep (dataset, queries, entities, properties)


def load_yaml(path: Path) -> Any:
    """The mapping's YAML document, parsed without anchors, aliases or tags of Python objects."""
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_MAPPING_BYTES + 1)
    except OSError as exc:
        raise InvalidMapping(f"{path}: cannot read mapping: {exc.strerror}") from None
    if len(data) > MAX_MAPPING_BYTES:
        raise InvalidMapping(f"{path}: a mapping file is at most {MAX_MAPPING_BYTES} bytes")
    try:
        text = data.decode("utf-8")
        _check_events(path, text)
        return yaml.safe_load(text)
    except UnicodeDecodeError as exc:
        raise InvalidMapping(f"{path}: not UTF-8 at byte {exc.start + 1}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise InvalidMapping(f"{path}: {where}{problem}") from None


def _check_events(path: Path, text: str) -> None:
    # The parser streams events without building anything: anchors, aliases and nesting
    # (which the composer follows by recursion) are judged before a node is made.
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        line = event.start_mark.line + 1 if event.start_mark is not None else 0
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise InvalidMapping(
                f"{path}: line {line}: YAML anchors and aliases (&, *) are not allowed in a "
                "mapping; write the values out"
            )
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise InvalidMapping(f"{path}: line {line}: nests deeper than {MAX_DEPTH} levels")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def check_keys(where: str, spec: dict[Any, Any], known: Iterable[str]) -> None:
    """Refuse the first key of `spec` that is not `known`, suggesting the nearest one."""
    allowed = set(known)
    for key in spec:
        if key not in allowed:
            hint = nearest_key(str(key), allowed) or f" (known keys: {', '.join(sorted(allowed))})"
            raise InvalidMapping(f"{where}: unknown key {str(key)[:60]!r}{hint}")
