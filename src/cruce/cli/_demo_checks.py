"""The border-checks step of `cruce demo`: three agencies import alerts drawn from their own
records, and one flight's manifest is checked with a few planted hits.

Alerts do not travel as shares yet, and `import_alerts` makes the node's agency the issuer of
what it imports: so each agency imports its own alerts on its own node, and the manifest is
checked at each of those nodes by its border officer (one logged consultation each). The hits
are merged into one RESULTS.csv.
"""

from __future__ import annotations

import csv
import json
import random
import re
import time
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

from cruce._csvsafe import csv_writer
from cruce._files import private_dir
from cruce.cli._common import console

DEMO_CASE = "CHECKS-DEMO-1"
POST = "demo-post"
TRAVELLERS = 50
COUNTRIES = {"GUATEMALA": "GTM", "HONDURAS": "HND", "EL SALVADOR": "SLV", "MEXICO": "MEX",
             "ESTADOS UNIDOS": "USA", "UNITED STATES": "USA", "NICARAGUA": "NIC"}
Row = dict[str, str]
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")
Found = tuple[str, str, str, float, str]  # traveller, kind, alert, score, explanation


def show_checks(out: Path, world_dir: Path, agencies: list[str], nodes_dir: Path,
                seed: int) -> dict[str, Any]:
    """Plant alerts, check a manifest of ~50 travellers at each alerting node; the figures."""
    folder = out / "checks"
    private_dir(folder)
    rng = random.Random(seed)
    alerts, travellers = _plant(world_dir, agencies, rng)
    manifest = _write_manifest(folder / "manifest.csv", travellers, world_dir, rng)
    started = time.perf_counter()
    hits = _check(folder, alerts, nodes_dir, manifest)
    took = time.perf_counter() - started
    _write_results(out / "RESULTS.csv", hits)
    kinds = Counter(kind for _, kind, _, _, _ in hits)
    console.rule("Border checks (a manifest against the alerts three agencies issued)")
    console.print(f"alerts planted: {', '.join(f'{a} {len(v)}' for a, v in alerts.items())} "
                  "(each on its issuer's node: alerts do not travel as shares yet)",
                  highlight=False)
    console.print(f"border checks: {len(manifest)} travellers checked at {len(alerts)} nodes, "
                  f"{len({t for t, _, _, _, _ in hits})} with hits ("
                  + ", ".join(f"{k} {kinds[k]}" for k in ("document", "person", "vehicle"))
                  + f") in {took * 1000:.0f} ms -> {out / 'RESULTS.csv'}", highlight=False)
    for traveller, kind, alert, score, why in hits:
        console.print(f"  {traveller}: {kind} alert {alert} score {score:.2f} ({why})",
                      highlight=False, markup=False)
    return {"travellers": len(manifest), "alerts": {a: len(v) for a, v in alerts.items()},
            "hits": dict(kinds), "ms": round(took * 1000, 1),
            "results": str(out / "RESULTS.csv")}


def _plant(world_dir: Path, agencies: list[str],
           rng: random.Random) -> tuple[dict[str, list[dict[str, Any]]], list[Row]]:
    """Each agency's alerts from its own files, and the travellers that should hit them."""
    alerts: dict[str, list[dict[str, Any]]] = {}
    travellers: list[Row] = []
    if "gt_police" in agencies:
        people = _rows(world_dir / "gt_police" / "personas.csv")
        wanted = rng.choice([p for p in people if _country(p["nacionalidad"])
                             and _dmy(p["fecha_nacimiento"], "-")  # a full birth date and
                             and len(_ascii(p["primer_apellido"])) >= 6])  # a name to misspell
        person = _person(wanted["nombres"], f"{wanted['primer_apellido']} "
                         f"{wanted['segundo_apellido']}", _dmy(wanted["fecha_nacimiento"], "-"),
                         _country(wanted["nacionalidad"]))
        car = rng.choice([c for c in _rows(world_dir / "gt_police" / "vehiculos.csv")
                          if c["placa"]])
        plate, plate_country = car["placa"], _country(car["pais_placa"]) or "GTM"
        alerts["gt_police"] = [
            {"id": "GT-W-1", "kind": "person", "reason": "wanted", **_alert_names(person),
             "action": "detain and call the PNC duty officer"},
            {"id": "GT-V-1", "kind": "vehicle", "plate": plate, "country": plate_country,
             "reason": "stolen", "action": "hold the vehicle"}]
        travellers += [{**person, "surnames": _misspelt(person["surnames"])},  # a misspelt name
                       {"plate": plate, "plate_country": plate_country,
                        **_person("JUAN", "PEREZ", "1980-01-01", "GTM")}]
    if "mx_migration" in agencies:
        people = _rows(world_dir / "mx_migration" / "personas.csv")
        missing = rng.choice([p for p in people if _country(p["nacionalidad"])
                              and _dmy(p["fecha_nacimiento"], "/")])
        person = _person(missing["nombre"], f"{missing['apellido_paterno']} "
                         f"{missing['apellido_materno']}", _dmy(missing["fecha_nacimiento"], "/"),
                         _country(missing["nacionalidad"]))
        alerts["mx_migration"] = [
            {"id": "MX-M-1", "kind": "person", "reason": "missing", "victim": True,
             **_alert_names(person), "action": "do not alert the companions; call INM"}]
        travellers.append(person)
    if "us_border" in agencies:
        subjects = [s for s in _rows(world_dir / "us_border" / "subjects.csv")
                    if s["PASSPORT_NUMBER"] and _country(s["PASSPORT_COUNTRY"])]
        for n, subject in enumerate(rng.sample(subjects, min(2, len(subjects))), 1):
            doc = {"document_type": "passport", "document_number": subject["PASSPORT_NUMBER"],
                   "document_country": _country(subject["PASSPORT_COUNTRY"])}
            alerts.setdefault("us_border", []).append(
                {"id": f"US-D-{n}", "kind": "document", "country": doc["document_country"],
                 "doc_type": "passport", "number": doc["document_number"], "reason": "stolen",
                 "action": "seize the document"})
            number = doc["document_number"] if n == 1 else _misread(doc["document_number"])
            travellers.append({**_person("MARIA", "LOPEZ", "1991-03-03", "HND"), **doc,
                               "document_number": number})
    return alerts, travellers


def _write_manifest(path: Path, planted: list[Row], world_dir: Path,
                    rng: random.Random) -> list[Row]:
    """~50 travellers: the planted few among people from sv_police's files. The world's
    people cross borders, so one born the day a planted person was is left out: the demo's
    hits are the planted ones."""
    planted_births = {t.get("birth_date") for t in planted}
    others = [_person(*_sv_names(p["nombre"]), p["fecha_nacimiento"], "SLV")
              for p in _rows(world_dir / "sv_police" / "personas.csv")
              if "," in p["nombre"] and _ISO.fullmatch(p["fecha_nacimiento"])
              and p["fecha_nacimiento"] not in planted_births]
    crowd = rng.sample(others, min(len(others), TRAVELLERS - len(planted)))
    for n, traveller in enumerate(crowd):
        traveller.update(document_type="passport", document_country="SLV",
                         document_number=f"B{rng.randrange(10**7):07d}")
        if n % 10 == 0:
            traveller.update(plate=f"P{rng.randrange(10**5):05d}", plate_country="SLV")
    travellers = crowd + planted
    rng.shuffle(travellers)
    from cruce.checks import MANIFEST_COLUMNS

    rows = [{"traveller_id": f"T{n:03d}", **{c: t.get(c, "") for c in MANIFEST_COLUMNS[1:]}}
            for n, t in enumerate(travellers, 1)]
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, MANIFEST_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return rows


def _check(folder: Path, alerts: dict[str, list[dict[str, Any]]], nodes_dir: Path,
           manifest: list[Row]) -> list[Found]:
    """Import each agency's alerts on its node, check the manifest there (public API)."""
    from cruce._node import Node
    from cruce._why import justification
    from cruce.checks import AlertIndex, import_alerts, read_manifest, screen

    read = read_manifest(folder / "manifest.csv")
    why = justification("border_security", DEMO_CASE, "passenger manifest, demo flight")
    hits = []
    for agency, planted in alerts.items():
        file = folder / f"{agency}.alerts.jsonl"
        file.write_text("".join(json.dumps(a) + "\n" for a in planted), encoding="utf-8")
        db = nodes_dir / f"{agency}.duckdb"
        with Node.open(db, user="demo") as node:
            import_alerts(node, file)
        with Node.open(db, user="demo-officer", role="border_officer") as node:
            results = screen(node, AlertIndex.build(node.store), read.travellers, why, POST)
        hits += [(t.traveller_id, h.kind, h.alert_id, h.score, h.explanation)
                 for t, found in zip(read.travellers, results, strict=True) for h in found]
    return sorted(hits)


def _write_results(path: Path, hits: list[Found]) -> None:
    from cruce.checks import RESULT_COLUMNS

    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv_writer(fh)  # the same guard against spreadsheet formulas as the CLI's
        writer.writerow(RESULT_COLUMNS)
        writer.writerows((t, k, a, round(s, 4)) for t, k, a, s, _ in hits)


def _rows(path: Path) -> list[Row]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _ascii(text: str) -> str:
    """As airlines write names: upper-case ASCII, accents dropped."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(folded.upper().split())


def _country(name: str) -> str:
    return COUNTRIES.get(_ascii(name), "")


def _dmy(text: str, sep: str) -> str:
    """An agency's day-month-year as ISO; "" for a year alone, a blank or a garbled date
    (the world writes them as the agencies' files do)."""
    parts = text.split(sep)
    iso = "-".join(reversed(parts))
    return iso if len(parts) == 3 and _ISO.fullmatch(iso) else ""


def _sv_names(text: str) -> tuple[str, str]:
    surnames, given = text.split(",", 1)
    return given, surnames


def _person(given: str, surnames: str, birth: str, nationality: str) -> Row:
    return {"given_names": _ascii(given), "surnames": _ascii(surnames), "birth_date": birth,
            "nationality": nationality}


def _alert_names(person: Row) -> dict[str, str]:
    return {"given_names": person["given_names"], "surnames": person["surnames"],
            "birth_date": person["birth_date"], "nationality": person["nationality"]}


def _misspelt(name: str) -> str:
    """Two letters of the first surname swapped, as a check-in agent might type it."""
    first, _, rest = name.partition(" ")
    i = len(first) // 2 - 1
    return f"{first[:i]}{first[i + 1]}{first[i]}{first[i + 2:]} {rest}".strip()


def _misread(number: str) -> str:
    """One typical transcription error: a 0 read as O (or 1 as I), else a dropped character."""
    for digit, letter in (("0", "O"), ("1", "I"), ("5", "S"), ("8", "B")):
        if digit in number:
            return number.replace(digit, letter, 1)
    return number[:-1]


__all__ = ["show_checks"]
