"""A person's name as one agency writes it: which parts, in which order, with which noise."""

from __future__ import annotations

import random
from dataclasses import dataclass

from . import spelling
from .config import WorldConfig
from .people import Person


@dataclass(frozen=True)
class WrittenName:
    given: tuple[str, ...]
    surnames: tuple[str, ...]
    suffix: str | None


def _given(p: Person, agency: str, cfg: WorldConfig, rng: random.Random) -> list[str]:
    given = list(p.given)
    if rng.random() < cfg.hypocorism:
        i = rng.randrange(len(given))
        given[i] = spelling.hypocorism(given[i], rng)
    if len(given) > 1:
        if agency == "us_border" and rng.random() < cfg.us_second_given_as_initial:
            given[1] = given[1][0]
        elif agency != "us_border" and rng.random() < cfg.ca_second_given_dropped:
            given = given[:1]
    return given


def _us_surnames(p: Person, given: list[str], cfg: WorldConfig, rng: random.Random
                 ) -> list[str]:
    if p.husband and rng.random() < cfg.married_name_us:
        if rng.random() < cfg.married_hyphen_us:
            return [f"{p.paternal}-{p.husband}"]
        return [p.husband]
    roll = rng.random()
    cut = cfg.us_maternal_dropped
    if roll < cut:
        return [p.paternal]
    cut += cfg.us_maternal_as_middle
    if roll < cut:
        given.append(p.maternal)  # "Juan Pablo Kuc", surname "Orozco"
        return [p.paternal]
    cut += cfg.us_surnames_collapsed
    if roll < cut:
        return [(p.paternal + p.maternal).replace(" ", "")]
    cut += cfg.us_surnames_hyphenated
    if roll < cut:
        return [f"{p.paternal}-{p.maternal}"]
    return [p.paternal, p.maternal]


def _surnames(p: Person, agency: str, given: list[str], cfg: WorldConfig,
              rng: random.Random) -> list[str]:
    if agency == "us_border":
        return _us_surnames(p, given, cfg, rng)
    if p.husband and rng.random() < cfg.married_name_ca:
        return [p.paternal, f"de {p.husband}"]  # Zelaya de Santos
    if agency == "mx_migration" and rng.random() < cfg.mx_maternal_dropped:
        return [p.paternal]
    return [p.paternal, p.maternal]


def _noisy(part: str, agency: str, cfg: WorldConfig, rng: random.Random, plain: bool) -> str:
    words = [spelling.garble(w, rng, cfg.phonetic_variant, cfg.ocr_confusion, cfg.typo)
             if w != "de" and len(w) > 1 else w for w in part.split(" ")]
    text = " ".join(words)
    return spelling.strip_accents(text) if plain else text


def written_name(p: Person, agency: str, cfg: WorldConfig, rng: random.Random) -> WrittenName:
    given = _given(p, agency, cfg, rng)
    surnames = _surnames(p, agency, given, cfg, rng)
    plain = agency == "us_border" or rng.random() < cfg.accents_dropped_ca
    upper = rng.random() < cfg.upper_case[agency]
    out_given = [_noisy(g, agency, cfg, rng, plain) for g in given]
    out_surnames = [_noisy(s, agency, cfg, rng, plain) for s in surnames]
    if upper:
        out_given = [g.upper() for g in out_given]
        out_surnames = [s.upper() for s in out_surnames]
    suffix = None
    if p.junior and agency == "us_border" and rng.random() < cfg.junior_suffix:
        suffix = "JR" if upper else "Jr"
    return WrittenName(tuple(out_given), tuple(out_surnames), suffix)


def layout(name: WrittenName, agency: str, cfg: WorldConfig, rng: random.Random
           ) -> dict[str, list[str]]:
    """The agency's name properties (FtM Person)."""
    given, surnames = " ".join(name.given), " ".join(name.surnames)
    tail = f" {name.suffix}" if name.suffix else ""
    if agency == "hn_police":
        if rng.random() < cfg.given_first_order_hn:
            return {"name": [f"{given} {surnames}"]}
        return {"name": [f"{surnames}, {given}"]}
    if agency == "gt_police":
        props = {"name": [f"{given} {surnames}"], "firstName": [name.given[0]],
                 "fatherName": [name.surnames[0]], "lastName": [surnames]}
        if len(name.given) > 1:
            props["middleName"] = [" ".join(name.given[1:])]
        if len(name.surnames) > 1:
            props["motherName"] = [" ".join(name.surnames[1:])]
        return props
    if agency == "sv_police":
        return {"name": [f"{given} {surnames}"], "firstName": [given], "lastName": [surnames]}
    if agency == "mx_migration":
        props = {"name": [f"{given} {surnames}"], "firstName": [given],
                 "fatherName": [name.surnames[0]]}
        if len(name.surnames) > 1:
            props["motherName"] = [" ".join(name.surnames[1:])]
        return props
    props = {"name": [f"{surnames}{tail}, {given}"], "firstName": [name.given[0]],
             "lastName": [surnames]}
    if len(name.given) > 1:
        props["middleName"] = [" ".join(name.given[1:])]
    if name.suffix:
        props["nameSuffix"] = [name.suffix]
    return props
