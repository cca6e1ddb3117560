"""Parse person names as Central-American, Mexican and US records write them."""

from __future__ import annotations

from dataclasses import replace

from cruce.names._aliases import split_aliases, split_bare_moniker
from cruce.names._layout import choose_split, surname_like, unit_scores
from cruce.names._lexicon import sex_of
from cruce.names._model import Layout, PersonName
from cruce.names._text import is_all_upper, norm_token
from cruce.names._units import Kind, Unit, marks_marriage, to_units, to_words


def _sex_of_given(given: list[Unit]) -> str | None:
    """'F' or 'M' from the first given name whose sex the lexicon knows; else 'F' for a final
    -a ('Xiomara'); None when nothing tells."""
    words = [u for u in given if u.kind != Kind.INITIAL and not u.particle]
    for unit in words:
        sex = sex_of(unit.core)
        if sex in ("M", "F"):
            return sex
    if words and words[0].core.endswith("a") and sex_of(words[0].core) is None:
        return "F"
    return None


def _is_married_tail(given: list[Unit], surnames: list[Unit]) -> bool:
    """The last surname unit is a wife's married name: 'de X' after her own surname(s).

    After a space ('Zelaya de Santos') it takes a woman's given name, since 'Cruz de León'
    can be a maternal surname; after a hyphen ('Recinos-DeEspinoza', 'Zelaya-de-Santos') it
    takes only that the given names are not a man's: the hyphen is how US records keep a
    married woman's maiden and husband's surnames together.
    """
    if len(surnames) < 2 or not marks_marriage(surnames[-1]):
        return False
    sex = _sex_of_given(given)
    return sex != "M" if surnames[-2].bonded else sex == "F"


def _take_widow(units: list[Unit]) -> tuple[Unit | None, list[Unit]]:
    widows = [u for u in units if u.kind == Kind.WIDOW]
    return (widows[-1] if widows else None), [u for u in units if u.kind != Kind.WIDOW]


def _married_text(unit: Unit) -> str:
    """'de Hernández' -> 'Hernández': the 'de' marks the marriage, it is no surname particle.

    A 'de' glued to the surname ('DeEspinoza', as US systems write it) is cut off too.
    """
    if unit.kind == Kind.WIDOW or not marks_marriage(unit):
        return unit.text
    words = unit.text.split(maxsplit=1)
    return words[1] if len(words) == 2 else _unglued(unit.text, unit.core)


def _unglued(text: str, core: str) -> str:
    """'DeEspinoza' -> 'Espinoza': the written rest whose normalised form is the core."""
    for cut in range(1, len(text)):
        if text[cut].isalpha() and norm_token(text[cut:]) == core:
            return text[cut:]
    return text


def _person(
    given: list[Unit],
    surnames: list[Unit | None],
    married: Unit | None,
    layout: Layout,
    aliases: list[str],
    raw: str,
) -> PersonName:
    """Assemble a PersonName; surnames are [paternal, maternal, *extra], None for a gap."""
    slots: list[Unit | None] = [*surnames, None, None]
    paternal, maternal = slots[0], slots[1]
    extra = [u for u in slots[2:] if u is not None]
    present = [u for u in (*surnames, married) if u is not None]
    particles = [u.particle for u in present if u.particle and u is not married]
    if married is not None and married.particle:
        marker = married.kind != Kind.WIDOW and marks_marriage(married)
        particle = married.particle.split(maxsplit=1)[1:] if marker else [married.particle]
        particles.extend(particle)
    unique_aliases = tuple(dict.fromkeys(aliases))
    return PersonName(
        given=tuple(u.text for u in given),
        paternal=paternal.text if paternal else None,
        maternal=maternal.text if maternal else None,
        married=_married_text(married) if married else None,
        widowed=married is not None and married.kind == Kind.WIDOW,
        extra_surnames=tuple(u.text for u in extra),
        particles=tuple(dict.fromkeys(particles)),
        aliases=unique_aliases,
        is_moniker_only=bool(unique_aliases) and not given and not present,
        layout=layout,
        raw=raw,
    )


def _build(
    given: list[Unit],
    surnames: list[Unit],
    married: Unit | None,
    layout: Layout,
    aliases: list[str],
    raw: str,
) -> PersonName:
    """Spot a married 'de X' after the surnames of a woman, then assemble."""
    surnames = list(surnames)
    if married is None and _is_married_tail(given, surnames):
        married = surnames.pop()
    return _person(given, list(surnames), married, layout, aliases, raw)


def _us_form(units: list[Unit], married: Unit | None, aliases: list[str], raw: str) -> PersonName:
    """'first [middle...] last': last word paternal, a surname among the middle words maternal.

    A married 'de X' at the end ('Ana Recinos-DeEspinoza') is taken off first.
    """
    if married is None and len(units) >= 3 and _is_married_tail(units[:-2], units[-2:]):
        return _us_form(units[:-1], units[-1], aliases, raw)
    tail = 2 if len(units) >= 3 and units[-2].bonded else 1
    scores = unit_scores(units)
    middle = list(zip(units[1:-tail], scores[1:-tail], strict=True))
    given = [units[0]] + [u for u, s in middle if not surname_like(s)]
    middle_surnames = [u for u, s in middle if surname_like(s)]
    last = units[-tail:]
    if tail == 2:
        ordered = [*last, *middle_surnames]
    else:
        ordered = [last[0], *middle_surnames[-1:], *middle_surnames[:-1]]
    return _person(given, list(ordered), married, Layout.US, aliases, raw)


def _from_units(
    units: list[Unit], layout: Layout | None, upper: bool, aliases: list[str], raw: str
) -> PersonName:
    married, units = _take_widow(units)
    if not units:
        return _person([], [], married, layout or Layout.GIVEN_FIRST, aliases, raw)
    if layout is Layout.US:
        if len(units) >= 2:
            return _us_form(units, married, aliases, raw)
        layout = None  # one word: the lexicons tell a given name from a surname
    used, split = choose_split(units, unit_scores(units), layout, upper)
    if used is Layout.GIVEN_FIRST:
        return _build(units[:split], units[split:], married, used, aliases, raw)
    return _build(units[split:], units[:split], married, used, aliases, raw)


def _comma_form(surname_text: str, given_text: str, aliases: list[str], raw: str) -> PersonName:
    """'Hernández García, José Luis'; and US 'HERNANDEZ, JOSE LUIS GARCIA' (maternal last)."""
    married, surnames = _take_widow(to_units(surname_text))
    given = to_units(given_text)
    us_middle = len(surnames) == 1 and len(given) >= 2 and given[-1].kind != Kind.INITIAL
    if us_middle and surname_like(unit_scores(given)[-1]):
        surnames.append(given.pop())
    return _build(given, surnames, married, Layout.SURNAMES_FIRST, aliases, raw)


def parse_person_name(text: str, *, layout: Layout | None = None) -> PersonName:
    """Parse a full-name string; best effort and deterministic.

    Without a layout the order is inferred from commas, the lexicons and upper case.
    A comma always means surnames first, unless layout=Layout.GIVEN_FIRST.

    >>> p = parse_person_name('HERNANDEZ GARCIA JOSE LUIS ALIAS "EL FLACO"')
    >>> p.given, p.paternal, p.maternal, p.aliases
    (('JOSE', 'LUIS'), 'HERNANDEZ', 'GARCIA', ('EL FLACO',))
    >>> parse_person_name("María López de Hernández").married
    'Hernández'
    """
    name_text, aliases = split_aliases(text)
    name_text, moniker = split_bare_moniker(name_text)
    if moniker:
        aliases.append(moniker)
    parts = [part for part in name_text.split(",") if to_words(part)]
    if len(parts) >= 2 and layout is not Layout.GIVEN_FIRST:
        return _comma_form(" ".join(parts[:-1]), parts[-1], aliases, text)
    units = to_units(" ".join(parts))
    return _from_units(units, layout, is_all_upper(name_text), aliases, text)


def _parts_surnames(last: str, father: str, mother: str) -> tuple[list[Unit | None], Unit | None]:
    """[paternal, maternal, *extra] and the married unit from the surname fields."""
    if father or mother:
        paternal, maternal = to_units(father), to_units(mother)
        first: Unit | None = paternal[0] if paternal else None
        second: Unit | None = maternal[0] if maternal else None
        return [first, second, *paternal[1:], *maternal[1:]], None
    married, surnames = _take_widow(to_units(last))
    return list(surnames), married


def parse_name_parts(
    *,
    first: str | None = None,
    last: str | None = None,
    middle: str | None = None,
    father: str | None = None,
    mother: str | None = None,
    full: str | None = None,
    layout: Layout | None = None,
) -> PersonName:
    """Parse a name given in fields (FtM firstName, middleName, lastName, fatherName,
    motherName, name). father/mother are the paternal and maternal surnames (apellido
    paterno/materno). A surname-like middle name is taken as the maternal surname, as US
    systems store it; `full` (with `layout`) is used when the fields hold no name.

    >>> p = parse_name_parts(first="JOSE", middle="LUIS GARCIA", last="HERNANDEZ")
    >>> p.given, p.paternal, p.maternal
    (('JOSE', 'LUIS'), 'HERNANDEZ', 'GARCIA')
    """
    fields = {"first": first, "middle": middle, "last": last}
    clean, aliases, raw = _split_fields(
        {**fields, "father": father, "mother": mother, "full": full}
    )
    if not any(clean[key] for key in ("last", "father", "mother", "middle")):
        # one name field only: the lexicons tell "JOSE LUIS" from "JOSE HERNANDEZ"
        text = clean["first"] or (full or "")
        return _with_aliases(parse_person_name(text, layout=layout), aliases, raw)
    surnames, married = _parts_surnames(clean["last"], clean["father"], clean["mother"])
    given = to_units(clean["first"])
    for unit, as_surname in _middle_words(given, clean["middle"]):
        if as_surname:
            surnames = _add_maternal(surnames, unit)
        else:
            given.append(unit)
    return _build_parts(given, surnames, married, aliases, raw)


def _split_fields(fields: dict[str, str | None]) -> tuple[dict[str, str], list[str], str]:
    """Fields without their aliases, the aliases of all fields, and the raw record text."""
    raw = " | ".join(f"{key}={value}" for key, value in fields.items() if value)
    aliases: list[str] = []
    clean: dict[str, str] = {}
    for key, value in fields.items():
        clean[key], found = split_aliases(value or "")
        aliases.extend(found)
    return clean, aliases, raw


def _middle_words(given: list[Unit], middle: str) -> list[tuple[Unit, bool]]:
    """Middle-name units, each with whether it reads as a surname (initials never do)."""
    units = to_units(middle)
    context = [*given[-1:], *units]  # a devotional "de Jesús" needs the given name before it
    scores = unit_scores(context)[len(context) - len(units) :]
    return [
        (u, u.kind != Kind.INITIAL and surname_like(s)) for u, s in zip(units, scores, strict=True)
    ]


def _add_maternal(surnames: list[Unit | None], unit: Unit) -> list[Unit | None]:
    """Put a middle-name surname in the maternal slot if it is free, else after the rest."""
    slots = [*surnames, None, None][: max(2, len(surnames))]
    if slots[1] is None:
        slots[1] = unit
        return slots
    return [*slots, unit]


def _build_parts(
    given: list[Unit],
    surnames: list[Unit | None],
    married: Unit | None,
    aliases: list[str],
    raw: str,
) -> PersonName:
    if all(s is not None for s in surnames):
        return _build(
            given, [s for s in surnames if s is not None], married, Layout.US, aliases, raw
        )
    return _person(given, surnames, married, Layout.US, aliases, raw)


def _with_aliases(parsed: PersonName, aliases: list[str], raw: str) -> PersonName:
    merged = tuple(dict.fromkeys([*parsed.aliases, *aliases]))
    only = bool(merged) and not parsed.given and not parsed.surnames
    return replace(parsed, aliases=merged, is_moniker_only=only, raw=raw)
