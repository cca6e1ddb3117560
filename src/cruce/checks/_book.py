"""A node's own alerts: imported from its agency's files, changed or withdrawn only by it.

The node's agency is the issuer of every alert it imports; an alert id another agency issued
(received as a share) is refused with the line that names it, and the whole file with it.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from cruce._node import Node
from cruce.audit import Justification
from cruce.checks._alerts import Alert, BadAlertFile, read_alerts
from cruce.errors import InvalidInput
from cruce.store._alert_tables import AlertRow

IMPORT_WHY = "alerts issued by the owning agency"


def alert_row(alert: Alert) -> AlertRow:
    """What the store keeps of an alert, with the keys the index finds it by."""
    f = alert.fields
    doc_key = (f"{f['country']}|{f['doc_type']}|{f['number']}" if alert.kind == "document"
               else "")
    plate_key = f"{f['country']}|{f['plate']}" if alert.kind == "vehicle" and f["plate"] else ""
    vin_key = f["vin"] if alert.kind == "vehicle" else ""
    return AlertRow(alert.alert_id, alert.kind, doc_key, plate_key, vin_key, alert.to_body(),
                    alert.expires)


def import_alerts(node: Node, path: Path, *, today: date | None = None) -> dict[str, int]:
    """Import a JSON-lines file of the node's agency's alerts in one transaction: every bad
    line named (BadAlertFile) and nothing stored, else the counts added, changed, unchanged."""
    issuer = _issuer(node)
    alerts = read_alerts(path, today=today)
    held = node.store.alert_issuers([a.alert_id for a in alerts])
    foreign = [f"{path.name}:{a.line}: id: alert {a.alert_id!r} is {held[a.alert_id]}'s: only "
               "its issuer changes or withdraws it"
               for a in alerts if held.get(a.alert_id, issuer) != issuer]
    if foreign:
        raise BadAlertFile(path.name, foreign)
    why = Justification("border_security", IMPORT_WHY, "", f"alerts import of {path.name}")
    return node.store.put_alerts([alert_row(a) for a in alerts], issuer, node.actor, why)


def withdraw_alert(node: Node, alert_id: str, reason: str = "") -> None:
    """Withdraw one of the node's agency's alerts (PermissionDenied for another's)."""
    why = Justification("border_security", IMPORT_WHY, "", reason or f"withdrawal of {alert_id}")
    node.store.withdraw_alert(alert_id, _issuer(node), node.actor, why)


def _issuer(node: Node) -> str:
    if not node.agency:
        raise InvalidInput("the node has no agency yet: cruce init --db NODE --agency AGENCY")
    return node.agency


__all__ = ["alert_row", "import_alerts", "withdraw_alert"]
