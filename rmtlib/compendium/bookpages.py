"""Generate the book's pages that come from data: reproduction checks, benchmarks, API reference.

``book/reproduction.md`` and the introduction's status panel (``book/_generated/status.md``, with its
figure) are built from the ``checks.json`` that each executed notebook wrote
(``book/results/<stem>/checks.json``, see :mod:`rmtlib.compendium.reportpage`),
``book/benchmarks.md`` from ``bench/results.json`` (:mod:`rmtlib.compendium.benchpage`) and
``book/api.md`` from the modules of rmtlib that exist, layer by layer (core, models, experiments,
compendium). The pages are generated on every build and ignored by git: nothing on them is typed by
hand.
"""

from __future__ import annotations

import ast
from pathlib import Path

from rmtlib.compendium import benchpage, buildinfo, reportpage
from rmtlib.compendium.execution import LIBRARY_DIR, ROOT

__all__ = ["API_MODULES", "API_LAYERS", "GENERATED", "api_page", "reproduction_page", "benchmarks_page",
           "write_pages"]

GENERATED = "_generated"
"""Folder of ``book/`` for generated material the pages include: the introduction's status panel
(``status.md``) and its figure (``status-checks.png``)."""

API_MODULES = ("laws", "free", "pushforward", "entries", "activations", "spectra", "spectral_law")
"""The core modules, documented first on the API page in this order; any other public module at
the top of rmtlib follows them in alphabetical order."""

API_LAYERS = (("Models", "models"), ("Experiments", "experiments"), ("Compendium", "compendium"))
"""The subpackages documented after the core, each under its own heading: every public module in
them (recursively; a name starting with ``_`` is private and skipped) in alphabetical order."""


def reproduction_page(*, results=None, notebook_dir=None, toc=None) -> str:
    """Return the MyST text of the reproduction report (see :mod:`rmtlib.compendium.reportpage`).

    Parameters
    ----------
    results : path, optional
        Directory of executed notebooks (default ``book/results``).
    notebook_dir : path, optional
        Directory of source notebooks (default ``notebooks``); a notebook without results is listed
        as not executed.
    toc : path, optional
        The table of contents that gives the book order (default ``_toc.yml``).
    """
    return reportpage.reproduction_page(
        buildinfo.chapters(results=results, notebook_dir=notebook_dir, toc=toc))


def benchmarks_page(path=None) -> str:
    """Return the MyST text of the benchmark page, generated from ``bench/results.json``."""
    return benchpage.benchmarks_page(path or ROOT / "bench" / "results.json")


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


def _write(path: Path, text: str) -> Path:
    if not path.is_file() or path.read_text() != text:
        path.write_text(text)
    return path


def write_pages(*, book_dir=None, results=None) -> list[Path]:
    """Write the generated pages; return their paths.

    ``book/reproduction.md``, ``book/benchmarks.md``, ``book/api.md``, and in ``book/_generated/`` the
    introduction's status panel ``status.md`` with its figure ``status-checks.png``.
    """
    book_dir = Path(book_dir or ROOT / "book")
    chapters = buildinfo.chapters(results=results)
    generated = book_dir / GENERATED
    generated.mkdir(parents=True, exist_ok=True)
    figure = None
    if any(ch.executed for ch in chapters):
        reportpage.status_figure(chapters, generated / "status-checks.png")
        figure = f"{GENERATED}/status-checks.png"
    pages = {"reproduction.md": reportpage.reproduction_page(chapters),
             "benchmarks.md": benchmarks_page(), "api.md": api_page(),
             f"{GENERATED}/status.md": reportpage.status_panel(chapters, figure=figure)}
    written = [_write(book_dir / name, text) for name, text in pages.items()]
    return written + ([generated / "status-checks.png"] if figure else [])
