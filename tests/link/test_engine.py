"""Training keeps the whole model, whatever its EM blocks manage to estimate."""

from pathlib import Path

import pytest

from cruce.demo import WorldSpec, write_people_jsonl
from cruce.link import link_files


@pytest.fixture(scope="module")
def two_agencies(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    written = write_people_jsonl(tmp_path_factory.mktemp("people"), WorldSpec(seed=11, people=400))
    return [written["hn_police"], written["gt_police"]]


def test_a_failed_em_block_leaves_every_comparison_in_the_model(
    two_agencies: list[Path], caplog: pytest.LogCaptureFixture
) -> None:
    """On these two small exports EM on the names block underflows (Splink refuses an m below
    1e-300); Splink had already taken the names comparisons out of the linker's settings for
    that block, and the model then scored every pair without names."""
    result = link_files(two_agencies, threshold=0.5)
    names = [c["output_column_name"] for c in result.model["comparisons"]]
    assert {"given_name", "second_given_name", "surnames", "birth_date"} <= set(names)
    assert result.explained_pairs(limit=1)[0]["explanation"], "the pairs are explained"
