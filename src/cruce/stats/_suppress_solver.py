"""A quiet HiGHS solver: the library prints its banner to stdout (fd 1) the first time one is
made in a process, which would corrupt `--format json` output; that first time fd 1 is closed."""

from __future__ import annotations

import os
import sys
import threading

import highspy

_lock = threading.Lock()
_banner_shown = False


def new_solver() -> highspy.Highs:
    """A HiGHS instance with its log off, single-threaded (its answers then never depend on
    thread timing)."""
    global _banner_shown
    with _lock:
        if not _banner_shown:
            sys.stdout.flush()
            saved = os.dup(1)
            try:
                with open(os.devnull, "wb") as sink:
                    os.dup2(sink.fileno(), 1)
                    solver = highspy.Highs()  # type: ignore[no-untyped-call]
            finally:
                os.dup2(saved, 1)
                os.close(saved)
            _banner_shown = True
        else:
            solver = highspy.Highs()  # type: ignore[no-untyped-call]
    solver.setOptionValue("output_flag", False)
    solver.setOptionValue("threads", 1)
    return solver
