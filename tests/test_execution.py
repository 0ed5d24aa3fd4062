"""rmtlib.execution: reuse of executed notebooks, hidden injected cell, metadata, figures."""

from __future__ import annotations

import os
import time

import nbformat
import pytest

from rmtlib.compendium import execution


@pytest.mark.notebook
def test_reuse_only_when_fresh_and_same_profile(tiny, tmp_path):
    nb = execution.Notebook.load(tiny)
    results = tmp_path / "results"
    info = execution.execute_for_book(nb, "quick", results=results, progress=False)
    assert info["status"] == "ok" and info["parameters"]["n"] == 2
    executed = nbformat.read(results / "tiny.ipynb", as_version=4)
    assert executed.metadata.rmtlib["profile"] == "quick"
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert injected and "hide-cell" in injected[0].metadata.tags
    assert (results / "tiny" / "checks.json").is_file()

    assert execution.is_fresh(nb, "quick", results=results)
    assert execution.execute_for_book(nb, "quick", results=results, progress=False) is None
    assert not execution.is_fresh(nb, "paper", results=results)  # another profile

    later = time.time() + 5
    os.utime(tiny, (later, later))  # the notebook changed after it was executed
    assert not execution.is_fresh(nb, "quick", results=results)

    assert len(execution.extract_figures(results / "tiny.ipynb", tmp_path / "figures")) == 1


def test_parameters_cell_must_hold_literals(tmp_path):
    from conftest import make_notebook

    path = make_notebook(tmp_path, "bad", params="import os\nn = 3", body=[])
    with pytest.raises(ValueError, match="may only hold 'name = literal' lines"):
        execution.Notebook.load(path)
    path = make_notebook(tmp_path, "bad2", params="n = 3 * 2", body=[])
    with pytest.raises(ValueError, match="not a literal"):
        execution.Notebook.load(path)


def test_parameter_hash_is_short_and_order_free():
    assert execution.parameter_hash({"a": 1, "b": [1, 2]}) == execution.parameter_hash({"b": [1, 2], "a": 1})
    assert len(execution.parameter_hash({"a": 1})) == 8
    assert execution.parameter_hash({"a": 1}) != execution.parameter_hash({"a": 2})


@pytest.mark.notebook
def test_glued_numpy_scalars_have_plain_text(tmp_path, monkeypatch):
    """myst-nb formats glue:text from text/plain; numpy 2 reprs (np.float64(...)) would break it."""
    from conftest import make_notebook

    path = make_notebook(tmp_path, "gluey", params="seed = 1", body=[
        "import numpy as np\nfrom myst_nb import glue\nfrom rmtlib.compendium import checks",
        "glue('x', np.float64(0.25), display=False)\nglue('k', np.int64(3), display=False)",
        "report = checks.Report('gluey')\nreport.check('x', 'Already glued above.', 0.25, 1.0)\n"
        "report.check('y', 'Glued by the check.', 0.5, 1.0)",
    ])
    monkeypatch.setenv("RMTLIB_PROFILE_DIR", str(tmp_path / "profiles"))
    nb = execution.Notebook.load(path)
    execution.execute(nb, tmp_path / "out.ipynb", params={"seed": 1}, output_dir=tmp_path / "o",
                      progress=False)
    executed = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    records = [(out["metadata"]["scrapbook"]["name"], out["data"]["application/papermill.record/text/plain"])
               for cell in executed.cells for out in cell.get("outputs", [])
               if "scrapbook" in out.get("metadata", {})]
    assert len(records) == 3
    glued = dict(records)
    assert glued == {"x": "0.25", "k": "3", "y": "0.5"}  # x is glued once, not again by the check
