"""Every module imports from a runtime-only install, and every package cruce imports is declared.

CI once stayed green while `make demo` failed on a fresh machine: `httpx` was declared only
among the test extras, which `make test` installs. So this file checks the class of fault two
ways:

- under pytest: every third-party module imported anywhere in `src/cruce` (at the top of a
  module or inside a function) belongs to a distribution named in `[project].dependencies`
  (or, for the optional engines, in the extra that says so);
- as a script (`python tests/test_imports.py`, run by `.ci/run` in a fresh virtualenv that has
  only `pip install .`): every module of the installed package imports.
"""

from __future__ import annotations

import ast
import importlib
import importlib.metadata
import pkgutil
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "src" / "cruce"
# Imported only behind an engine switch that says which extra to install.
OPTIONAL = {"pyspark": "spark"}


def imported_modules(folder: Path = SOURCE) -> dict[str, set[str]]:
    """Top-level third-party module names imported anywhere under `folder`, with where."""
    found: dict[str, set[str]] = {}
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top != "cruce" and top not in sys.stdlib_module_names:
                    found.setdefault(top, set()).add(str(path.relative_to(folder)))
    return found


def declared(extra: str | None = None) -> set[str]:
    """Normalised distribution names of the project's dependencies (or of one extra)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    specs = project["dependencies"] if extra is None else project["optional-dependencies"][extra]
    return {_normalise(re.split(r"[\s\[<>=!~;]", spec, maxsplit=1)[0]) for spec in specs}


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_imported_package_is_a_declared_dependency() -> None:
    distributions = importlib.metadata.packages_distributions()
    runtime = declared()
    missing = []
    for module, where in sorted(imported_modules().items()):
        owners = {_normalise(d) for d in distributions.get(module, [module])}
        wanted = declared(OPTIONAL[module]) if module in OPTIONAL else runtime
        if not owners & wanted:
            missing.append(f"{module} ({', '.join(sorted(owners))}) imported by {sorted(where)[0]}")
    assert not missing, "imported but not declared in pyproject.toml: " + "; ".join(missing)


def test_the_checker_sees_imports_inside_functions(tmp_path: Path) -> None:
    (tmp_path / "lazy.py").write_text("def f():\n    import httpx\n    from pandas import api\n")
    assert set(imported_modules(tmp_path)) == {"httpx", "pandas"}


def import_everything() -> list[str]:
    """Import every module of the installed `cruce` package; the names imported."""
    package = importlib.import_module("cruce")
    names = ["cruce"]
    for info in pkgutil.walk_packages(package.__path__, prefix="cruce."):
        if info.name.endswith("__main__"):  # importing it would run the command line
            continue
        importlib.import_module(info.name)
        names.append(info.name)
    return names


def test_every_module_imports() -> None:
    assert len(import_everything()) > 50


if __name__ == "__main__":
    imported = import_everything()
    where = Path(importlib.import_module("cruce").__file__ or "").parent
    print(f"imported {len(imported)} modules of cruce from {where}")
