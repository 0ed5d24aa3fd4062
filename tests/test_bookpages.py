"""Generated book pages: reproduction report, benchmarks, API reference."""

from __future__ import annotations

import json

from rmtlib.compendium import bookpages, checks


def test_reproduction_page_lists_every_check_and_missing_notebooks(tmp_path):
    (tmp_path / "notebooks").mkdir()
    for stem in ("alpha", "beta"):
        (tmp_path / "notebooks" / f"{stem}.ipynb").write_text("{}")
    report = checks.Report("alpha")
    report.check("ks_law", "The law | holds.", 0.01, 0.02, kind="regression")
    report.check("atom", "The atom is right.", 0.3, (0.25, 0.35), op="within", kind="exact")
    report.check("bad", "This one fails.", 2.0, 1.0, kind="statistical")
    report.check("mean", "The mean is right.", 0.1, 1.0, kind="statistical")
    (tmp_path / "results" / "alpha").mkdir(parents=True)
    doc = report.to_dict()
    doc["checks"][3]["detects"] = 0.02
    doc["power"] = {"profile": "quick", "deltas": [0.005, 0.01, 0.02]}
    (tmp_path / "results" / "alpha" / "checks.json").write_text(json.dumps(doc))
    page = bookpages.reproduction_page(results=tmp_path / "results", notebook_dir=tmp_path / "notebooks")
    assert page.startswith("# Reproduction report") and "**Kind**" in page and "**Detects**" in page
    assert "| verdict | kind | detects (unknown) | check |" in page
    assert r"| pass | regression |  | `ks_law`: The law \| holds. | 0.01 | <= 0.02 |" in page
    assert "| pass | exact |  | `atom`: The atom is right. | 0.3 | in [0.25, 0.35] |" in page
    assert "| **FAIL** | statistical | – | `bad`: This one fails. | 2 | <= 1 |" in page
    assert "| pass | statistical | 2 % | `mean`: The mean is right. | 0.1 | <= 1 |" in page
    assert "| alpha | unknown | 4 | 1 | 2 | 1 | 1 | 1 |" in page
    assert "`beta`" in page.split("Notebooks without results")[1]


def test_reproduction_page_without_results(tmp_path):
    page = bookpages.reproduction_page(results=tmp_path, notebook_dir=tmp_path)
    assert "No executed notebook has written its checks yet." in page


def test_benchmarks_page_missing_and_present(tmp_path):
    assert "does not exist" in bookpages.benchmarks_page(tmp_path / "results.json")
    path = tmp_path / "results.json"
    path.write_text(json.dumps({"machine": "2 cores", "versions": {"numpy": "2.4.6"},
                                "cases": [{"case": "fc2", "ours_ms": 1.23456, "numpy_ms": 40.0}]}))
    page = bookpages.benchmarks_page(path)
    assert "| case | ours_ms | numpy_ms |" in page and "| fc2 | 1.235 | 40 |" in page
    assert "- **machine**: 2 cores" in page and "- **versions**: numpy 2.4.6" in page


def test_api_page_follows_the_layers(tmp_path):
    """Core first (fixed order, then the rest), then models, experiments, compendium, recursively."""
    files = ["laws.py", "free.py", "extra_module.py", "_private.py", "__init__.py",
             "_numerics/__init__.py", "_numerics/quadrature.py",
             "models/jacobian.py", "models/_helper.py", "models/products.py",
             "experiments/toolkit.py", "compendium/checks.py", "compendium/sub/__init__.py",
             "compendium/sub/deep.py", "compendium/_private/hidden.py"]
    for name in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    (tmp_path / "models" / "__init__.py").write_text('"""One module per model.\n\nMore text."""\n')
    page = bookpages.api_page(package_dir=tmp_path)
    documented = [line.removeprefix(".. automodule:: ") for line in page.splitlines()
                  if line.startswith(".. automodule:: ")]
    assert documented == ["rmtlib.laws", "rmtlib.free", "rmtlib.extra_module",
                          "rmtlib.models.jacobian", "rmtlib.models.products",
                          "rmtlib.experiments.toolkit",
                          "rmtlib.compendium.checks", "rmtlib.compendium.sub.deep"]
    headings = [line for line in page.splitlines() if line.startswith("## ")]
    assert headings == ["## Core", "## Models", "## Experiments", "## Compendium"]
    assert "One module per model." in page and "More text." not in page
    assert "_private" not in page and "_numerics" not in page and "_helper" not in page
    assert "`rmtlib.nonlinear`" not in page  # no longer a core module
    assert "`rmtlib.pushforward`" in page.split("no source file yet")[1]


def test_api_page_of_the_installed_package_covers_every_public_module():
    page = bookpages.api_page()
    for name in ("rmtlib.laws", "rmtlib.models.jacobian", "rmtlib.experiments.toolkit",
                 "rmtlib.compendium.execution", "rmtlib.compendium.bookpages"):
        assert f".. automodule:: {name}\n" in page
    assert "no source file yet" not in page and "_numerics" not in page


def test_reproduction_page_shows_recorded_sweeps_of_other_profiles(tmp_path, monkeypatch):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "alpha.ipynb").write_text("{}")
    report = checks.Report("alpha")
    report.check("mean", "The mean is right.", 0.1, 1.0, kind="statistical")
    (tmp_path / "results" / "alpha").mkdir(parents=True)
    (tmp_path / "results" / "alpha" / "checks.json").write_text(json.dumps(report.to_dict()))
    monkeypatch.setenv("RMTLIB_DATA_DIR", str(tmp_path))
    (tmp_path / "alpha_power.json").write_text(json.dumps({"schema": "rmtlib-power/1", "notebook": "alpha",
        "profiles": {"paper": {"date": "2026-12-04", "source": "x", "deltas": [0.005, 0.01],
                               "detects": {"mean": 0.01}}}}))
    page = bookpages.reproduction_page(results=tmp_path / "results", notebook_dir=tmp_path / "notebooks")
    assert "| verdict | kind | detects (unknown) | detects (paper, 2026-12-04) | check |" in page
    assert "| pass | statistical |  | 1 % | `mean`: The mean is right. |" in page
