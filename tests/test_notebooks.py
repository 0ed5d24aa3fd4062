"""Execute every notebook with the quick profile through papermill into book/results/."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rmtlib.compendium import execution
from rmtlib.compendium.checks import read_checks

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
# The quick profile is meant to run in under 60 s on 2 idle cores; the limit leaves room for a
# loaded machine (and a cold numba cache) while still catching a profile that is not quick.
BUDGET = float(os.environ.get("RMTLIB_QUICK_BUDGET", "180"))


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_with_quick_profile(path):
    nb = execution.Notebook.load(path)
    try:
        info = execution.execute_for_book(nb, "quick", reuse=False, progress=False)
    except execution.NotebookError as exc:
        pytest.fail(str(exc), pytrace=False)
    results = execution.RESULTS_DIR
    checks = read_checks(results / nb.stem / "checks.json")
    assert checks and all(c.passed for c in checks)
    assert execution.is_fresh(nb, "quick"), "the executed notebook must be reusable by the book build"
    assert info["seconds"] < BUDGET, f"{nb.stem}: the quick profile took {info['seconds']} s (limit {BUDGET} s)"
