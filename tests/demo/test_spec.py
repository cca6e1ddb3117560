from __future__ import annotations

import json
from pathlib import Path

import pytest

from cruce.demo import NoiseRates, WorldSpec, generate_world


def test_a_spec_can_select_agencies_and_silence_the_noise(tmp_path: Path) -> None:
    quiet = NoiseRates(**{name: 0.0 for name in NoiseRates.__dataclass_fields__})
    spec = WorldSpec(people=300, agencies=("hn_police", "us_border"), noise=quiet)
    summary = generate_world(tmp_path, spec)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hn_police", "truth", "us_border"]
    counts = json.loads((tmp_path / "truth" / "world.json").read_text())
    assert all(a["duplicate_records"] == 0 for a in counts["agencies"].values())
    assert counts == summary.counts


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"agencies": ("hn_police", "ni_police")}, "unknown agencies ['ni_police']"),
     ({"people": 0}, "people must be at least 1")],
)
def test_a_bad_spec_is_refused(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        WorldSpec(**kwargs)
