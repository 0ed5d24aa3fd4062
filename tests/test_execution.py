"""rmtlib.compendium.execution: reuse by content hashes, hidden injected cell, metadata, figures."""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import time
from pathlib import Path

import nbformat
import papermill
import pytest

from rmtlib.compendium import execution

OLD = 1_000_000_000.0  # an mtime long before any execution (2001)


@pytest.mark.notebook
def test_reuse_only_when_fresh_and_same_profile(tiny, tmp_path, monkeypatch):
    monkeypatch.setattr(execution, "LIBRARY_DIR", tmp_path / "no-sources")  # edits elsewhere don't count
    nb = execution.Notebook.load(tiny)
    results = tmp_path / "results"
    info = execution.execute_for_book(nb, "quick", results=results, progress=False)
    assert info["status"] == "ok" and info["parameters"]["n"] == 2
    executed = nbformat.read(results / "tiny.ipynb", as_version=4)
    assert executed.metadata.rmtlib["profile"] == "quick"
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert injected and "hide-cell" in injected[0].metadata.tags
    assert (results / "tiny" / "checks.json").is_file()

    assert execution.stale_reasons(nb, "quick", results=results) == []
    assert execution.execute_for_book(nb, "quick", results=results, progress=False) is None
    assert not execution.is_fresh(nb, "paper", results=results)  # another profile

    later = time.time() + 5
    os.utime(tiny, (later, later))  # touched, not changed: still fresh (content hashes, not mtimes)
    assert execution.is_fresh(nb, "quick", results=results)
    edited = nbformat.read(tiny, as_version=4)
    edited.cells.append(nbformat.v4.new_markdown_cell("A new paragraph."))
    nbformat.write(edited, tiny)  # the notebook changed after it was executed
    assert execution.stale_reasons(nb, "quick", results=results) == ["the notebook file changed"]

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
        "report = checks.Report('gluey')\nreport.check('x', 'Already glued above.', 0.25, 1.0, kind='exact')\n"
        "report.check('y', 'Glued by the check.', 0.5, 1.0, kind='exact')",
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


@pytest.fixture
def sandbox(tiny, tmp_path, monkeypatch):
    """The tiny notebook with its own rmtlib sources, calibration directory and a papermill stub.

    ``sandbox.during`` (a callable) runs while the stub "executes", i.e. after the inputs were
    recorded and before the executed copy is written.
    """
    lib = tmp_path / "lib" / "rmtlib"
    (lib / "models").mkdir(parents=True)
    (lib / "__init__.py").write_text("")
    (lib / "laws.py").write_text("X = 1\n")
    (lib / "models" / "jacobian.py").write_text("Y = 2\n")
    data = tmp_path / "data"
    data.mkdir()
    (data / "tiny_calibration.json").write_text('{"threshold": 0.5}')
    monkeypatch.setattr(execution, "LIBRARY_DIR", lib)
    monkeypatch.setenv("RMTLIB_DATA_DIR", str(data))

    class Box:
        during = None

    box = Box()
    box.nb, box.lib, box.data, box.results = execution.Notebook.load(tiny), lib, data, tmp_path / "results"

    def fake_execute(source, output, **kwargs):
        if box.during is not None:
            box.during()
        nbformat.write(nbformat.read(source, as_version=4), output)
        (Path(os.environ["RMTLIB_OUTPUT_DIR"]) / "checks.json").write_text('{"checks": []}')

    monkeypatch.setattr(papermill, "execute_notebook", fake_execute)
    box.run = lambda: execution.execute_for_book(box.nb, "quick", results=box.results, progress=False)
    return box


def test_the_recorded_sources_are_every_module_of_the_package(tiny):
    sources = execution.input_digests(execution.Notebook.load(tiny))["sources"]
    expected = {p.relative_to(execution.LIBRARY_DIR.parent).as_posix()
                for p in execution.LIBRARY_DIR.rglob("*.py")}
    assert set(sources) == expected
    assert {"rmtlib/laws.py", "rmtlib/models/jacobian.py", "rmtlib/_numerics/subordination.py",
            "rmtlib/compendium/execution.py"} <= expected


def _copy_with_old_mtime(path, text):
    """Replace ``path`` by a copy of a file holding ``text`` whose mtime is :data:`OLD`."""
    other = path.with_name(path.name + ".other")
    other.write_text(text)
    os.utime(other, (OLD, OLD))
    shutil.copy2(other, path)
    other.unlink()
    assert path.stat().st_mtime == OLD


def test_unchanged_tree_is_fresh_and_reused(sandbox):
    info = sandbox.run()
    assert info["status"] == "ok"
    recorded = nbformat.read(sandbox.results / "tiny.ipynb", as_version=4).metadata.rmtlib["inputs"]
    assert set(recorded["sources"]) == {"rmtlib/__init__.py", "rmtlib/laws.py", "rmtlib/models/jacobian.py"}
    assert recorded["calibration"] is not None
    assert recorded["packages"]["numpy"] == importlib.metadata.version("numpy")
    assert execution.stale_reasons(sandbox.nb, "quick", results=sandbox.results) == []
    assert execution.is_fresh(sandbox.nb, "quick", results=sandbox.results)
    for path in (sandbox.nb.path, sandbox.lib / "laws.py", sandbox.data / "tiny_calibration.json"):
        os.utime(path, None)  # touching is not changing
    assert sandbox.run() is None


@pytest.mark.parametrize("which, reason", [
    ("notebook", "the notebook file changed"),
    ("profile", "the profile file changed"),
    ("source", "sources: rmtlib/models/jacobian.py changed"),
])
def test_a_copy_with_its_old_mtime_is_detected(sandbox, which, reason):
    sandbox.run()
    if which == "notebook":
        nb = nbformat.read(sandbox.nb.path, as_version=4)
        nb.cells.append(nbformat.v4.new_markdown_cell("Edited elsewhere."))
        _copy_with_old_mtime(sandbox.nb.path, nbformat.writes(nb))
    elif which == "profile":  # the quick parameters stay the same, only the file differs
        _copy_with_old_mtime(sandbox.nb.profile_path, json.dumps({"quick": {"n": 2}, "paper": {"n": 5}}))
    else:
        _copy_with_old_mtime(sandbox.lib / "models" / "jacobian.py", "Y = 3\n")
    assert execution.stale_reasons(sandbox.nb, "quick", results=sandbox.results) == [reason]
    assert sandbox.run() is not None  # executed again


def test_a_new_source_file_anywhere_under_rmtlib_is_detected(sandbox):
    sandbox.run()
    (sandbox.lib / "models" / "deep").mkdir()
    (sandbox.lib / "models" / "deep" / "new.py").write_text("")
    assert execution.stale_reasons(sandbox.nb, "quick", results=sandbox.results) == [
        "sources: rmtlib/models/deep/new.py changed"]


def test_a_calibration_changed_in_the_data_dir_is_detected(sandbox, tmp_path, monkeypatch):
    sandbox.run()
    path = sandbox.data / "tiny_calibration.json"
    _copy_with_old_mtime(path, '{"threshold": 0.6}')
    assert execution.stale_reasons(sandbox.nb, "quick", results=sandbox.results) == [
        "the calibration file changed"]
    sandbox.run()
    assert execution.is_fresh(sandbox.nb, "quick", results=sandbox.results)
    other = tmp_path / "other-data"
    other.mkdir()
    (other / "tiny_calibration.json").write_text('{"threshold": 0.7}')
    monkeypatch.setenv("RMTLIB_DATA_DIR", str(other))  # another calibration directory
    assert not execution.is_fresh(sandbox.nb, "quick", results=sandbox.results)
    monkeypatch.setenv("RMTLIB_DATA_DIR", str(sandbox.data))
    assert execution.is_fresh(sandbox.nb, "quick", results=sandbox.results)
    path.unlink()
    assert not execution.is_fresh(sandbox.nb, "quick", results=sandbox.results)


def test_a_source_edited_during_execution_is_detected(sandbox):
    source = sandbox.lib / "laws.py"
    sandbox.during = lambda: source.write_text("X = 2  # edited while the kernel ran\n")
    assert sandbox.run()["status"] == "ok"
    assert execution.stale_reasons(sandbox.nb, "quick", results=sandbox.results) == [
        "sources: rmtlib/laws.py changed"]
    sandbox.during = None
    sandbox.run()
    assert execution.is_fresh(sandbox.nb, "quick", results=sandbox.results)


def test_another_package_version_or_no_record_is_stale(sandbox):
    sandbox.run()
    output = sandbox.results / "tiny.ipynb"
    nb = nbformat.read(output, as_version=4)
    nb.metadata.rmtlib["inputs"]["packages"]["numpy"] = "0.0"
    nbformat.write(nb, output)
    assert execution.stale_reasons(sandbox.nb, "quick", results=sandbox.results) == [
        "packages: numpy changed"]
    del nb.metadata.rmtlib["inputs"]  # a result executed before inputs were recorded
    nbformat.write(nb, output)
    assert execution.stale_reasons(sandbox.nb, "quick", results=sandbox.results) == [
        "no input hashes recorded"]
