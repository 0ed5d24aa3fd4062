"""Generated book pages: reproduction report, benchmarks, API reference."""

from __future__ import annotations

import json

from rmtlib.compendium import bookpages, buildinfo, checks, reportpage


def _alpha(tmp_path, *, toc=None):
    (tmp_path / "notebooks").mkdir()
    for stem in ("alpha", "beta", "gamma"):
        (tmp_path / "notebooks" / f"{stem}.ipynb").write_text("{}")
    report = checks.Report("alpha")
    report.check("ks_law", "The law | holds <b>.", 0.01, 0.02, kind="regression")
    report.check("atom", "The atom is right.", 0.3, (0.25, 0.35), op="within", kind="exact")
    report.check("bad", "This one fails.", 2.0, 1.0, kind="statistical")
    report.check("mean", "The mean is right.", 0.123456789, 1.0, kind="statistical")
    (tmp_path / "results" / "alpha").mkdir(parents=True)
    doc = report.to_dict()
    doc["checks"][3]["detects"] = 0.02
    doc["power"] = {"profile": "quick", "deltas": [0.005, 0.01, 0.02]}
    (tmp_path / "results" / "alpha" / "checks.json").write_text(json.dumps(doc))
    return report


def test_reproduction_page_lists_every_check_in_book_order(tmp_path):
    _alpha(tmp_path)
    toc = tmp_path / "_toc.yml"
    toc.write_text("root: book/intro\nchapters:\n  - file: book/results/gamma\n  - file: book/results/alpha\n")
    page = bookpages.reproduction_page(results=tmp_path / "results", notebook_dir=tmp_path / "notebooks",
                                       toc=toc)
    assert page.startswith("# Reproduction report") and "**Kind**" in page and "**Detects**" in page
    head = page.split("**Kind**")[0]
    assert "- **Checks**: 3 of 4 pass" in head and "1 exact (1 pass)" in head
    assert "**Built**" in head and "commit `" in head and "numpy" in head and "python" in head
    assert "(report-alpha)=" in page and "## 2. alpha" in page  # gamma (no results) is chapter 1
    assert "**Some checks fail**: 3 of 4 checks pass" in page
    assert '<a href="results/alpha.html#check-ks_law"><code>ks_law</code></a>' in page
    assert "The law | holds &lt;b&gt;." in page  # escaped, whole
    assert '<td class="rmtlib-verdict">FAIL</td>' in page and "<td>2 %</td>" in page
    assert "0.1235" in page and "in [0.25, 0.35]" in page
    rows = page.split("<tbody>")[1]
    assert rows.index("ks_law") < rows.index("atom") < rows.index("bad") < rows.index("mean")
    missing = page.split("Notebooks without results")[1]
    assert "`beta`" in missing and "`gamma`" in missing


def test_reproduction_page_without_results(tmp_path):
    page = bookpages.reproduction_page(results=tmp_path, notebook_dir=tmp_path)
    assert "No executed notebook has written its checks yet." in page


def test_status_panel_and_figure(tmp_path, monkeypatch):
    _alpha(tmp_path)
    chapters = buildinfo.chapters(results=tmp_path / "results", notebook_dir=tmp_path / "notebooks",
                                  toc=tmp_path / "missing.yml")
    assert [buildinfo.verdict(ch) for ch in chapters] == ["partly", "not", "not"]
    panel = reportpage.status_panel(chapters, figure="_generated/status.png")
    assert panel.startswith(":::{admonition} Status of this build\n:class: rmtlib-status")
    assert "- **Checks**: 3 of 4 pass" in panel and "**Repository**" not in panel
    assert "1. ✘ alpha: **some checks fail** (3 of 4 checks pass)" in panel
    assert "2. ✘ beta: **no check passes** (no results in this build)" in panel
    assert "```{figure} _generated/status.png" in panel and ":alt: " in panel
    config = tmp_path / "_config.yml"
    config.write_text("title: x\nrepository:\n  url: https://example.org/rmt-dnn  # home\n  branch: main\n")
    assert buildinfo.repository_url(config) == "https://example.org/rmt-dnn"
    config.write_text('repository:\n  url: ""\n')
    assert buildinfo.repository_url(config) == ""
    path = reportpage.status_figure(chapters, tmp_path / "fig.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    assert buildinfo.build_date() == "1970-01-01"


def test_margin_is_at_most_one_for_a_passing_check():
    report = checks.Report("m")
    report.check("a", "c.", 0.5, 1.0, kind="exact")
    report.check("b", "c.", 4.0, 2.0, op=">=", kind="exact")
    report.check("c", "c.", 0.75, (0.0, 1.0), op="within", kind="exact")
    report.check("d", "c.", 0.0, 0.0, op=">=", kind="exact")
    report.check("e", "c.", 3.0, 1.0, kind="exact")
    assert [reportpage.margin(c) for c in report.checks] == [0.5, 0.5, 0.5, 1.0, 3.0]


def test_benchmarks_page_missing_and_present(tmp_path):
    assert "does not exist" in bookpages.benchmarks_page(tmp_path / "results.json")
    path = tmp_path / "results.json"
    path.write_text(json.dumps({
        "cases": [{"case": "fuss_catalan_p2", "ours_cold_s": 16.3, "ours_warm_s": 0.00123456,
                   "numpy_s": 0.04, "ours/numpy": 0.0308, "target_50ms": "ok", "freealg_warm_s": 0.5,
                   "ours/freealg": 0.0025, "freealg_rel_err": 18.4}],
        "accuracy": [{"case": "fuss_catalan_p2", "family": "a", "points": 2000, "ours_rel_err": 2e-14,
                      "numpy_rel_err": 5e-15, "reference": "S-transform polynomial"}],
        "freealg_details": [{"case": "fuss_catalan_p2", "freealg_status": "ok", "freealg_rel_err": 18.4,
                             "freealg_mass_on_grid": 1.06, "ref_mass_on_grid": 0.86,
                             "freealg_mean_on_grid": 1.45, "ref_mean_on_grid": 1.0}],
        "target_warm_s_per_2000_points": 0.05, "cases_missing_target": [],
        "cold_measurement": {"jit_compile_s": 16.3, "empty_cache_first_call_s": 16.7,
                             "cached_first_call_s": 0.41, "import_s": 0.57},
        "versions": {"numpy": "2.4.6"}, "date": "2026-12-01T13:59:03Z",
        "command": "python bench/free_convolution.py --with-freealg", "total_run_s": 158.9,
        "surprise": {"a": 1}}))
    page = bookpages.benchmarks_page(path)
    assert "| case | rmtlib (ms) | numpy (ms) | rmtlib / numpy | freealg (ms) | rmtlib / freealg |" in page
    assert "| `fuss_catalan_p2` | 1.235 | 40 | 0.0308 | 500 | 0.0025 |" in page
    assert "| MP(1) ⊠ … ⊠ MP(1), p copies (Fuss–Catalan law of order p) | `fuss_catalan_p2` | p = 2 |" in page
    assert "ours_cold_s" not in page and "16.3 s" in page and "every case meets it" in page
    assert "`python bench/free_convolution.py --with-freealg`" in page
    assert "| `fuss_catalan_p2` | S-transform polynomial | 2e-14 | 5e-15 | 18.4 |" in page
    assert "Why freealg's errors are large in 1 cases" in page and "mass 1.06 against 0.86" in page
    assert '- **Surprise**: {"a": 1}' in page


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
    assert "<td>1 % (paper, 2026-12-04)</td>" in page
