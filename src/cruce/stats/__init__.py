"""Aggregate statistics: border encounters, movement flows, counter-trafficking counts.

Only aggregate counts live here and only aggregate counts leave a node: no statistic holds or
links back to a person. Anything published goes through disclosure control (`suppress`).
"""

from cruce.stats._encounter_figures import MEASURES, HighestSince, highest_since
from cruce.stats._encounter_table import EncounterTable, encounter_table
from cruce.stats._encounters import BadEncounterFile, ImportResult, import_encounters
from cruce.stats._statstore import StatStore
from cruce.stats._suppress import Suppression, suppress, suppress_linked
from cruce.stats._suppress_audit import Audit, audit_suppression
from cruce.stats._suppress_grid import TOTAL, Table

__all__ = [
    "MEASURES",
    "TOTAL",
    "Audit",
    "BadEncounterFile",
    "EncounterTable",
    "HighestSince",
    "ImportResult",
    "StatStore",
    "Suppression",
    "Table",
    "audit_suppression",
    "encounter_table",
    "highest_since",
    "import_encounters",
    "suppress",
    "suppress_linked",
]
