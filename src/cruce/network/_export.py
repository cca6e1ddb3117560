"""Writing a network: GEXF through FollowTheMoney's own graph exporter, the JSON document
(with the FtM entities), or CSV of the links. A file is written whole or not at all (a `.part`
beside it, renamed once complete), readable by its owner only.

GEXF is `ftm export-gexf`'s graph of the same records (FtM's `NXGraphExporter`: entities as
nodes, edge entities as edges, shared phones and addresses as value nodes), with each entity's
envelope as node attributes and, as in the JSON, only the values two records share.
"""

from __future__ import annotations

import io
import json
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Any

from followthemoney.export.graph import NXGraphExporter
from followthemoney.graph import Edge
from followthemoney.graph import Node as FtmNode
from followthemoney.types import registry

from cruce._csvsafe import write_csv
from cruce._files import private_file
from cruce.network._investigate import NetworkView
from cruce.network._relations import shares_values, value_types


class Format(StrEnum):
    GEXF = "gexf"
    JSON = "json"
    CSV = "csv"


CSV_HEADER = ("source", "source_caption", "source_agency", "relation", "target",
              "target_caption", "target_agency", "via", "label")


def write_network(view: NetworkView, fmt: Format, out: Path) -> None:
    """Write `view` as `fmt` to `out` (`-`: standard output)."""
    if fmt is Format.CSV:
        rows = csv_rows(view)
        if str(out) == "-":
            _write_stdout_csv(rows)
        else:
            write_csv(out, CSV_HEADER, rows)
        return
    text = to_gexf(view) if fmt is Format.GEXF else json.dumps(
        view.to_dict(), ensure_ascii=False, indent=1) + "\n"
    write_text(out, text)


def write_text(out: Path, text: str) -> None:
    """Write a whole file, private, or not at all (`-`: standard output)."""
    if str(out) == "-":
        sys.stdout.write(text)
        return
    partial = out.with_name(out.name + ".part")
    try:
        with private_file(partial, "w") as fh:
            fh.write(text)
        os.replace(partial, out)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def csv_rows(view: NetworkView) -> list[list[Any]]:
    """One row per link: both ends with their caption and agency."""
    graph = view.graph

    def end(node_id: str) -> tuple[str, str]:
        record = graph.records.get(node_id)
        if record is None:
            return graph.values[node_id][1], ""
        return record.caption, record.envelope.agency

    rows = []
    for link in graph.links:
        source, target = end(link.source), end(link.target)
        rows.append([link.source, *source, link.relation, link.target, *target,
                     link.via or "", link.label or ""])
    return rows


def _write_stdout_csv(rows: list[list[Any]]) -> None:
    from cruce._csvsafe import csv_writer

    writer = csv_writer(sys.stdout, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(rows)


class _EnvelopedGexf(NXGraphExporter):
    """FtM's GEXF exporter, with the envelope of every entity node and only shared values."""

    def __init__(self, fh: io.StringIO, view: NetworkView) -> None:
        types = [registry.entity.name, *value_types(view.net.ask.relations)]
        super().__init__(fh, edge_types=types)
        self.view = view

    def get_attributes(self, element: FtmNode | Edge) -> dict[str, str]:
        attributes: dict[str, str] = super().get_attributes(element)
        proxy = element.proxy
        record = self.view.net.records.get(proxy.id or "") if proxy is not None else None
        if record is not None:
            env = record.envelope
            attributes.update({"agency": env.agency, "tlp": str(env.tlp),
                               "handling_code": str(env.handling_code)})
            if env.subject_category is not None:
                attributes["subject_category"] = str(env.subject_category)
        return attributes

    def finalize_graph(self) -> None:
        graph = self.graph
        # A value links parties only (relations.shares_values), as in the JSON.
        graph.edges = {i: e for i, e in graph.edges.items()
                       if e.proxy is not None or e.prop is None or e.prop.type == registry.entity
                       or _is_party(graph.nodes.get(e.source_id or ""))}
        degree: dict[str | None, int] = {}
        for edge in graph.iteredges():
            for end in (edge.source_id, edge.target_id):
                degree[end] = degree.get(end, 0) + 1
        # Unread entities (stubs) and values of one record only are not part of the network.
        keep = {i for i, n in graph.nodes.items()
                if (n.is_entity and n.proxy is not None) or
                (not n.is_entity and degree.get(i, 0) > 1)}
        graph.nodes = {i: n for i, n in graph.nodes.items() if i in keep}
        graph.edges = {i: e for i, e in graph.edges.items()
                       if e.source_id in keep and e.target_id in keep}
        super().finalize_graph()


def _is_party(node: FtmNode | None) -> bool:
    return node is not None and node.schema is not None and shares_values(node.schema)


def to_gexf(view: NetworkView) -> str:
    """The network as GEXF 1.2 (Gephi), built by FollowTheMoney's graph exporter."""
    buffer = io.StringIO()
    exporter = _EnvelopedGexf(buffer, view)
    for record_id in [*sorted(view.graph.records), *view.edge_records]:
        exporter.write(view.net.records[record_id].entity)
    exporter.finalize()
    return buffer.getvalue()
