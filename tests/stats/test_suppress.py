"""Primary and secondary suppression, checked by an attacker's LP (`audit_suppression`): no
published cell under the minimum, no suppressed cell recoverable within its protection interval
from the published cells and margins, the same answer every time."""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cruce.stats import TOTAL, Suppression, Table, audit_suppression, suppress, suppress_linked

MIN = 11
HAND = {("2019-01", "GT"): 5, ("2019-01", "MX"): 100, ("2019-02", "GT"): 50,
        ("2019-02", "MX"): 200}


def random_cells(seed: int, shape: tuple[int, ...], small: float = 0.15) -> dict[tuple[str, ...], int]:
    """A table of mostly large counts, some zeros and about `small` of cells under 11."""
    rng = random.Random(seed)
    cells = {}
    for key in itertools.product(*[[f"{axis}{i:02d}" for i in range(n)]
                                   for axis, n in zip("abc", shape, strict=False)]):
        roll = rng.random()
        cells[key] = rng.randint(1, MIN - 1) if roll < small else (
            0 if roll < small + 0.05 else rng.randint(MIN, 400))
    return cells


def test_one_small_cell_of_a_two_by_two_takes_the_whole_interior_and_keeps_the_margins():
    published = suppress(HAND, min_cell=MIN)
    assert published.primary == {("2019-01", "GT")}
    assert published.secondary == {("2019-01", "MX"), ("2019-02", "GT"), ("2019-02", "MX")}
    assert [published.render((r, TOTAL)) for r in ("2019-01", "2019-02", TOTAL)] == [
        "105", "250", "355"]
    audit = audit_suppression([published])
    assert audit.is_safe
    five = next(r for r in audit.ranges if r.key == ("2019-01", "GT"))
    # By hand: GT's 55 and the row's 105 leave the 5 anywhere from 0 to 55.
    assert (five.low, five.high) == (0.0, 55.0)


def test_the_audit_catches_primary_suppression_alone():
    published = suppress(HAND, min_cell=MIN)
    naive = Suppression(published.dims, MIN, published.values, published.primary, frozenset())
    audit = audit_suppression([naive])
    assert not audit.is_safe
    assert [(r.key, r.low, r.high) for r in audit.exposed] == [(("2019-01", "GT"), 5.0, 5.0)]


def test_the_audit_catches_a_small_cell_left_published():
    published = suppress(HAND, min_cell=MIN)
    leaked = Suppression(published.dims, MIN, published.values, frozenset(), frozenset())
    assert audit_suppression([leaked]).small_published == [("2019-01", "GT")]


def test_a_small_margin_is_suppressed_too():
    published = suppress({("a", "x"): 3, ("a", "y"): 4, ("b", "x"): 30, ("b", "y"): 50},
                         min_cell=MIN)
    assert ("a", TOTAL) in published.primary  # 3 + 4 = 7: the row total is small itself
    assert published.render(("a", TOTAL)) == "x"
    assert audit_suppression([published]).is_safe


def test_zeros_are_published_and_a_table_without_small_cells_is_untouched():
    cells = {("a", "x"): 0, ("a", "y"): 40, ("b", "x"): 30, ("b", "y"): 50}
    published = suppress(cells, min_cell=MIN)
    assert not published.primary and not published.secondary
    assert published.render(("a", "x")) == "0"


@pytest.mark.parametrize("method", ["lp", "hypercube", "fast", "best"])
@pytest.mark.parametrize(("seed", "shape"), [(1, (6, 5)), (2, (12, 8)), (3, (4, 4, 3)),
                                              (4, (6, 5, 4))])
def test_no_suppressed_cell_is_recoverable_within_its_protection_interval(method, seed, shape):
    published = suppress(random_cells(seed, shape), min_cell=MIN, method=method)
    assert published.primary
    audit = audit_suppression([published])
    assert audit.small_published == []
    assert audit.exposed == []


@pytest.mark.parametrize("method", ["lp", "hypercube", "fast", "best"])
def test_linked_tables_sharing_a_margin_are_protected_together(method):
    rng = random.Random(7)
    by_month = {(r, m): rng.choice([3, 40, 120, 250]) for r in ("R1", "R2", "R3")
                for m in ("2019-01", "2019-02", "2019-03", "2019-04")}
    # The second table shares the region totals: each region's citizenships add up to them.
    by_citizenship: dict[tuple[str, ...], int] = {}
    for region in ("R1", "R2", "R3"):
        total = sum(v for (r, _), v in by_month.items() if r == region)
        split = [total // 3, 7 if region == "R2" else total // 3]
        by_citizenship.update({(region, "GT"): split[0], (region, "HN"): split[1],
                               (region, "MX"): total - sum(split)})
    tables = [Table(("region", "month"), by_month), Table(("region", "citizenship"), by_citizenship)]
    published = suppress_linked(tables, min_cell=MIN, method=method)
    for region in ("R1", "R2", "R3"):  # one shared cell, one decision
        assert published[0].is_suppressed((region, TOTAL)) == published[1].is_suppressed((region, TOTAL))
    assert audit_suppression(published).is_safe


def test_the_same_tables_give_the_same_suppression_in_any_order():
    cells = random_cells(5, (10, 7))
    shuffled = list(cells.items())
    random.Random(0).shuffle(shuffled)
    first, second = suppress(cells, min_cell=MIN), suppress(dict(shuffled), min_cell=MIN)
    assert (first.primary, first.secondary) == (second.primary, second.secondary)
    assert first == suppress(cells, min_cell=MIN)


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_lp_suppresses_no_more_cells_than_the_hypercube_method(seed):
    cells = random_cells(seed, (10, 8))
    lp = suppress(cells, min_cell=MIN, method="lp")
    hypercube = suppress(cells, min_cell=MIN, method="hypercube")
    best = suppress(cells, min_cell=MIN, method="best")
    assert len(lp.secondary) <= len(hypercube.secondary)
    assert len(best.secondary) <= len(hypercube.secondary)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.sampled_from([0, 1, 2, 5, 9, 10, 11, 12, 30, 200]), min_size=2,
                         max_size=4), min_size=2, max_size=4))
def test_any_small_table_is_published_safely(rows):
    width = min(len(r) for r in rows)
    cells = {(f"r{i}", f"c{j}"): rows[i][j] for i in range(len(rows)) for j in range(width)}
    published = suppress(cells, min_cell=MIN)
    audit = audit_suppression([published])
    assert audit.small_published == [] and audit.exposed == []


@pytest.mark.parametrize(("cells", "min_cell", "why"), [
    ({("a", "x"): 3}, 0, "min_cell is 0"),
    ({("a", "x"): -1}, 11, "not a count >= 0"),
    ({("a", TOTAL): 4}, 11, "give interior cells"),
    ({}, 11, "at least one cell"),
])
def test_bad_tables_are_refused_with_a_reason(cells, min_cell, why):
    with pytest.raises(ValueError, match=why):
        suppress(cells, min_cell=min_cell)
