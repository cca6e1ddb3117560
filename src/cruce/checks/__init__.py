"""Border checks: documents, persons and vehicles against every agency's alerts, in milliseconds.

Alerts (`_alerts`: the JSON-lines contract of `cruce alerts import`) are kept in the node's
store (`cruce.store._alert_tables`), imported and withdrawn only by their issuer (`_book`).
Checks answer from an index built for the job (`_index`), never the store's query path.
"""

from cruce.checks._alerts import KINDS, Alert, BadAlertFile, parse_alert, parse_lines, read_alerts
from cruce.checks._book import alert_row, import_alerts, withdraw_alert
from cruce.checks._checker import AlertIndex, Hit
from cruce.checks._keys import country, document_type, number_key, one_error_variants, vin
from cruce.checks._mrz import Mrz, check_digit, parse_mrz
from cruce.checks._screen import (
    MANIFEST_COLUMNS,
    RESULT_COLUMNS,
    Traveller,
    check_traveller,
    read_manifest,
    screen,
    screen_async,
    traveller_from_mrz,
    write_results,
)

__all__ = [
    "KINDS",
    "MANIFEST_COLUMNS",
    "RESULT_COLUMNS",
    "Alert",
    "AlertIndex",
    "BadAlertFile",
    "Hit",
    "Mrz",
    "Traveller",
    "alert_row",
    "check_digit",
    "check_traveller",
    "country",
    "document_type",
    "import_alerts",
    "number_key",
    "one_error_variants",
    "parse_alert",
    "parse_lines",
    "parse_mrz",
    "read_alerts",
    "read_manifest",
    "screen",
    "screen_async",
    "traveller_from_mrz",
    "vin",
    "withdraw_alert",
    "write_results",
]
