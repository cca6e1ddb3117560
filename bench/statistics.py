"""Secondary suppression at scale: cruce's methods against the hypercube method and pytauargus.

    .venv/bin/python bench/statistics.py --scale 10,48,60,4 --method best --method hypercube
    .venv/bin/python bench/statistics.py --scale 4,12,30,4 --method lp --method fast --tauargus

The benchmark itself is bench/_statistics_bench.py (its docstring says what it measures). This
file has the name issue 17 gives it, which is also the standard library's `statistics`: a
script in bench/ has bench/ first on sys.path, so its `import statistics` (splink's, say) finds
this file. Imported under that name, it puts the standard library's module in its place.
"""

from __future__ import annotations

import sys

if __name__ == "__main__":
    from _statistics_bench import main

    main()
else:
    import importlib.util
    import sysconfig
    from pathlib import Path

    _spec = importlib.util.spec_from_file_location(
        "statistics", Path(sysconfig.get_path("stdlib")) / "statistics.py")
    if _spec is None or _spec.loader is None:
        raise ImportError("the standard library's statistics module is not where it should be")
    _module = importlib.util.module_from_spec(_spec)
    sys.modules["statistics"] = _module  # the importer gets sys.modules["statistics"]
    _spec.loader.exec_module(_module)
