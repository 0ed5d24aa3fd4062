"""Shared fixtures: tiny throw-away notebooks for the execution and CLI tests."""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent

# Keep numba and BLAS to one thread in the kernels started by the tests (2-core machines).
os.environ.setdefault("NUMBA_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
# One simulation cache for the session: the power tests judge the quick runs' own simulations.
os.environ.setdefault("RMTLIB_CACHE_DIR", str(ROOT / "_build" / "test-simcache"))


def make_notebook(directory: Path, stem: str, *, params: str, body: list[str],
                  profiles: dict | None = None) -> Path:
    """Write ``<directory>/notebooks/<stem>.ipynb`` and its profile file; return the notebook path."""
    nb_dir = directory / "notebooks"
    prof_dir = directory / "profiles"
    nb_dir.mkdir(parents=True, exist_ok=True)
    prof_dir.mkdir(parents=True, exist_ok=True)
    cells = [nbformat.v4.new_markdown_cell(f"# {stem}"),
             nbformat.v4.new_code_cell(params, metadata={"tags": ["parameters"]})]
    cells += [nbformat.v4.new_code_cell(src) for src in body]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = nb_dir / f"{stem}.ipynb"
    nbformat.write(nb, path)
    (prof_dir / f"{stem}.json").write_text(json.dumps(profiles or {"quick": {}, "paper": {}}))
    return path


TINY_BODY = [
    "from rmtlib.compendium import checks\nimport matplotlib.pyplot as plt",
    "report = checks.Report('tiny')\nreport.check('scaled', 'n times scale stays below the bound.', "
    "n * scale, bound, kind='statistical')",
    "fig, ax = plt.subplots(figsize=(2, 2))\nax.plot([0, 1], [0, n])\nplt.show()",
    "report.finish()",
]


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    """A directory with notebooks/tiny.ipynb (one check, one figure) and profiles/tiny.json."""
    path = make_notebook(tmp_path, "tiny", params="n = 3\nscale = 0.5\nbound = 10.0\nlabel = 'x'\nflag = False",
                         body=TINY_BODY, profiles={"quick": {"n": 2}, "paper": {}})
    monkeypatch.setenv("RMTLIB_PROFILE_DIR", str(tmp_path / "profiles"))
    return path
