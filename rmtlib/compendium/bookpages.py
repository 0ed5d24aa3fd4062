"""Generate the book's pages that come from data: reproduction checks, benchmarks, API reference.

``book/reproduction.md`` is built from the ``checks.json`` that each executed notebook wrote
(``book/results/<stem>/checks.json``), ``book/benchmarks.md`` from ``bench/results.json`` and
``book/api.md`` from the modules of rmtlib that exist, layer by layer (core, models, experiments,
compendium). The pages are generated on every build and
ignored by git: nothing on them is typed by hand.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import nbformat

from rmtlib.compendium import power
from rmtlib.compendium.checks import _escape, format_value, read_checks
from rmtlib.compendium.execution import LIBRARY_DIR, NOTEBOOK_DIR, RESULTS_DIR, ROOT

__all__ = ["API_MODULES", "API_LAYERS", "api_page", "reproduction_page", "benchmarks_page",
           "write_pages"]

API_MODULES = ("laws", "free", "pushforward", "entries", "activations", "spectra", "spectral_law")
"""The core modules, documented first on the API page in this order; any other public module at
the top of rmtlib follows them in alphabetical order."""

API_LAYERS = (("Models", "models"), ("Experiments", "experiments"), ("Compendium", "compendium"))
"""The subpackages documented after the core, each under its own heading: every public module in
them (recursively; a name starting with ``_`` is private and skipped) in alphabetical order."""


def _run_info(results: Path, stem: str) -> dict:
    try:
        return nbformat.read(results / f"{stem}.ipynb", as_version=4).metadata.get("rmtlib", {})
    except (OSError, ValueError):
        return {}


KIND_TEXT = (
    "**Kind** says what a threshold rests on. *exact*: a numerical-analysis tolerance against a closed "
    "form or an independent solver. *statistical*: a null that does not involve the law under test "
    "(standard errors over seeds, an exact binomial law, a two-sample comparison, a fit over sizes), so "
    "a wrong theory fails it. *regression*: a bound calibrated on earlier runs of the same comparison; "
    "it notices that a number changed and is not evidence that the theory is right. **Detects** is the "
    "power of a statistical check: the smallest relative error delta of the theory, among 0.5, 1, 2, "
    "5, 10 and 20 %, at which the check fails when every limiting law it compares with is replaced by "
    "its pushforward under x -> (1 + delta) x while the simulations stay the same (`rmtlib power "
    "--sweep`): one column for the profile of this build and one for each profile whose sweep is "
    "recorded in the package data (`rmtlib power --sweep --record`, with its date). A dash means it "
    "was not detected up to 20 %; an empty cell means the check is not statistical or no sweep was run.")


def _percent(delta, known: bool) -> str:
    if not known:
        return ""
    return "–" if delta is None else f"{100 * delta:g} %"


def _chapter_rows(checks, swept: bool, profile: str, others: dict) -> list[str]:
    """One table row per check; a detects column for this build and one per recorded profile."""
    extra = {name: sweep for name, sweep in others.items() if name != profile}
    heads = [f"detects ({profile})"] + [f"detects ({name}, {sweep['date']})" for name, sweep in extra.items()]
    rows = ["| verdict | kind | " + " | ".join(heads) + " | check | measured | threshold |",
            "|---|---|" + "---|" * len(heads) + "---|---|---|"]
    for c in checks:
        threshold = ("in " if c.op == "within" else c.op + " ") + format_value(c.threshold)
        stat = c.kind == "statistical"
        cells = [_percent(c.detects, stat and swept)]
        cells += [_percent(sweep["detects"].get(c.id), stat and c.id in sweep["detects"])
                  for sweep in extra.values()]
        rows.append(f"| {'pass' if c.passed else '**FAIL**'} | {c.kind} | " + " | ".join(cells)
                    + f" | `{c.id}`: {_escape(c.claim)} | {format_value(c.value)} | {_escape(threshold)} |")
    return rows


def reproduction_page(*, results=None, notebook_dir=None) -> str:
    """Return the MyST text of the reproduction report.

    Parameters
    ----------
    results : path, optional
        Directory of executed notebooks (default ``book/results``).
    notebook_dir : path, optional
        Directory of source notebooks (default ``notebooks``); a notebook without results is listed
        as not executed.

    Returns
    -------
    str
        The page: a summary per notebook, what kind and detects mean, and one table per notebook.
    """
    results = Path(results or RESULTS_DIR)
    stems = sorted(p.stem for p in Path(notebook_dir or NOTEBOOK_DIR).glob("*.ipynb"))
    lines = [
        "# Reproduction report", "",
        "Every claim that a chapter reproduces is a check: a measured value, a threshold and a "
        "verdict. This page is generated from the `checks.json` files written by the executed "
        "notebooks; nothing on it is typed by hand.", "", KIND_TEXT, "",
    ]
    summary = ["| notebook | profile | checks | exact | statistical | regression | failed | "
               "statistical detecting ≤ 2 % |", "|---|---|---|---|---|---|---|---|"]
    sections, missing = [], []
    for stem in stems:
        path = results / stem / "checks.json"
        if not path.is_file():
            missing.append(stem)
            continue
        checks = read_checks(path)
        swept = bool(json.loads(path.read_text()).get("power"))
        info = _run_info(results, stem)
        kinds = [sum(c.kind == k for c in checks) for k in ("exact", "statistical", "regression")]
        strong = sum(c.kind == "statistical" and c.detects is not None and c.detects <= 0.02 for c in checks)
        summary.append(f"| {stem} | {info.get('profile', 'unknown')} | {len(checks)} | "
                       + " | ".join(map(str, kinds))
                       + f" | {sum(not c.passed for c in checks)} | {strong if swept else 'no sweep'} |")
        profile = info.get("profile", "unknown")
        sections += [f"## {stem}", "", *_chapter_rows(checks, swept, profile, power.recorded(stem)), ""]
    if len(summary) > 2:
        lines += ["## Runs", "", *summary, "", *sections]
    else:
        lines += ["No executed notebook has written its checks yet.", ""]
    if missing:
        lines += ["Notebooks without results in this build (not executed or failed before their last "
                  "cell): " + ", ".join(f"`{m}`" for m in missing) + ".", ""]
    return "\n".join(lines)


def _cell(value) -> str:
    if isinstance(value, float):
        return format_value(value)
    if isinstance(value, (dict, list)):
        return _escape(json.dumps(value))
    return _escape(str(value))


def _table(rows: list) -> list[str]:
    keys = []
    for row in rows:
        keys += [k for k in row if k not in keys]
    out = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    out += ["| " + " | ".join(_cell(row.get(k, "")) for k in keys) + " |" for row in rows]
    return out


def benchmarks_page(path=None) -> str:
    """Return the MyST text of the benchmark page, generated from ``bench/results.json``.

    Top-level lists of objects become tables; other top-level entries (versions, machine) are
    listed. A missing file gives a page that says so.
    """
    path = Path(path or ROOT / "bench" / "results.json")
    lines = ["# Benchmarks", ""]
    if not path.is_file():
        lines += [f"No benchmark results were found (`bench/{path.name}` does not exist in this "
                  "checkout), so there is no table to show. Run the benchmark script in `bench/` "
                  "and rebuild the book to fill this page.", ""]
        return "\n".join(lines)
    data = json.loads(path.read_text())
    lines += ["Timings and accuracy of rmtlib's free convolutions against a plain-numpy "
              "implementation of the same iteration and against peer libraries, measured in one "
              "run by the script in `bench/`. This page is generated from "
              f"`bench/{path.name}`.", ""]
    items = data.items() if isinstance(data, dict) else [("results", data)]
    scalars = []
    for key, value in items:
        if isinstance(value, list) and value and all(isinstance(r, dict) for r in value):
            lines += [f"## {str(key).replace('_', ' ').capitalize()}", "", *_table(value), ""]
        elif isinstance(value, dict) and value and all(isinstance(r, dict) for r in value.values()):
            rows = [{"name": k, **r} for k, r in value.items()]
            lines += [f"## {str(key).replace('_', ' ').capitalize()}", "", *_table(rows), ""]
        else:
            scalars.append((key, value))
    if scalars:
        lines += ["## Setup", ""]
        for key, value in scalars:
            if isinstance(value, dict) and not any(isinstance(v, (dict, list)) for v in value.values()):
                value = ", ".join(f"{k} {_cell(v)}" for k, v in value.items())
                lines.append(f"- **{_escape(str(key))}**: {value}")
            else:
                lines.append(f"- **{_escape(str(key))}**: {_cell(value)}")
        lines.append("")
    return "\n".join(lines)


def _public(package: Path, prefix: str) -> list[str]:
    """Dotted names of the public modules under ``package`` (recursively, sorted)."""
    names = []
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package).with_suffix("").parts
        if not any(part.startswith("_") for part in parts):
            names.append(".".join((prefix, *parts)))
    return names


def _summary(package: Path) -> list[str]:
    """The first paragraph of a package's docstring, as a paragraph of the page."""
    init = package / "__init__.py"
    doc = ast.get_docstring(ast.parse(init.read_text())) if init.is_file() else None
    return [" ".join(doc.split("\n\n")[0].split()), ""] if doc else []


def _automodule(name: str) -> list[str]:
    return [f"### `{name}`", "", "```{eval-rst}", f".. automodule:: {name}", "   :members:", "```", ""]


def api_page(*, package_dir=None) -> str:
    """Return the MyST text of the API reference, one section per layer of rmtlib.

    Parameters
    ----------
    package_dir : path, optional
        The ``rmtlib`` package directory (default: the installed one).

    Returns
    -------
    str
        The page: the core modules (:data:`API_MODULES` first, then any other public top-level
        module), then under one heading per entry of :data:`API_LAYERS` that exists the public
        modules of that subpackage. Private modules and ``rmtlib._numerics`` are not documented. A
        core module whose source file does not exist is named in a sentence instead, so that the
        build stays free of warnings; a module that exists but fails to import still fails the
        build.
    """
    package_dir = Path(package_dir or LIBRARY_DIR)
    core = [m for m in API_MODULES if (package_dir / f"{m}.py").is_file()]
    missing = [m for m in API_MODULES if m not in core]
    core += sorted(p.stem for p in package_dir.glob("*.py")
                   if not p.stem.startswith("_") and p.stem not in API_MODULES)
    lines = ["# API reference", "",
             "Generated from the docstrings of `rmtlib` (numpy style). Arrows only point down: the "
             "compendium uses the experiments, which use the models, which use the core. Every "
             "public function takes its first argument positionally and the rest by keyword; "
             "random samplers take `rng` (a `numpy.random.Generator` or an integer seed).", "",
             "## Core", "", "Spectral laws, free convolutions, random entries, activations and "
             "empirical spectra; they know nothing about the papers.", ""]
    if missing:
        lines += ["Not part of this build (no source file yet): "
                  + ", ".join(f"`rmtlib.{m}`" for m in missing) + ".", ""]
    for module in core:
        lines += _automodule(f"rmtlib.{module}")
    for title, sub in API_LAYERS:
        if (package_dir / sub).is_dir():
            lines += [f"## {title}", "", *_summary(package_dir / sub)]
            for name in _public(package_dir / sub, f"rmtlib.{sub}"):
                lines += _automodule(name)
    return "\n".join(lines)


def write_pages(*, book_dir=None, results=None) -> list[Path]:
    """Write ``book/reproduction.md``, ``book/benchmarks.md`` and ``book/api.md``; return their paths."""
    book_dir = Path(book_dir or ROOT / "book")
    pages = {"reproduction.md": reproduction_page(results=results),
             "benchmarks.md": benchmarks_page(), "api.md": api_page()}
    written = []
    for name, text in pages.items():
        path = book_dir / name
        if not path.is_file() or path.read_text() != text:
            path.write_text(text)
        written.append(path)
    return written
