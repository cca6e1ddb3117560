from __future__ import annotations

from pathlib import Path

from cruce.demo import WorldSpec, generate_bench_csv, generate_world


def _files(root: Path) -> dict[str, bytes]:
    files = sorted(p for p in root.rglob("*") if p.is_file())
    return {str(p.relative_to(root)): p.read_bytes() for p in files}


def test_same_seed_and_spec_give_byte_identical_files(tmp_path: Path) -> None:
    spec = WorldSpec(seed=11, people=300)
    generate_world(tmp_path / "a", spec)
    generate_world(tmp_path / "b", spec)
    a, b = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert len(a) == 5 + 11 + 3  # 5 mappings, 11 agency files, 3 truth files
    assert a == b


def test_a_different_seed_gives_different_files(tmp_path: Path) -> None:
    generate_world(tmp_path / "a", WorldSpec(seed=11, people=300))
    generate_world(tmp_path / "b", WorldSpec(seed=12, people=300))
    a, b = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert a.keys() == b.keys()
    assert a["hn_police/mapping.yml"] == b["hn_police/mapping.yml"]
    assert a["hn_police/personas.csv"] != b["hn_police/personas.csv"]
    assert a["truth/people.csv"] != b["truth/people.csv"]


def test_bench_csv_is_deterministic_per_seed(tmp_path: Path) -> None:
    one = generate_bench_csv(tmp_path / "a" / "p.csv", rows=3000, seed=5)
    two = generate_bench_csv(tmp_path / "b" / "p.csv", rows=3000, seed=5)
    other = generate_bench_csv(tmp_path / "c" / "p.csv", rows=3000, seed=6)
    assert one.csv.read_bytes() == two.csv.read_bytes()
    assert one.csv.read_bytes() != other.csv.read_bytes()
