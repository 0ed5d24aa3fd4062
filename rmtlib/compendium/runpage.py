"""A book-styled HTML page of one executed notebook, built offline in its run folder.

:func:`write_run_page` builds a small Jupyter Book in ``<run folder>/page/``: the executed notebook,
the book's derivations and bibliography (so that equation references and citations resolve), with
the book's configuration, extensions and stylesheet. Math is typeset by the MathJax the book ships
(``sphinx-mathjax-offline``), so the page needs no network, at build time or when it is read.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

from rmtlib.compendium.execution import ROOT

__all__ = ["write_run_page", "jupyter_book"]

BOOK_FILES = ("derivations.md", "bibliography.md")
"""Pages of ``book/`` copied next to the notebook, in this order after it."""


def jupyter_book() -> Path | None:
    """Return the ``jupyter-book`` executable of this environment, or None (the ``book`` extra)."""
    found = Path(sys.executable).parent / "jupyter-book"
    if found.is_file():
        return found
    which = shutil.which("jupyter-book")
    return Path(which) if which else None


def _title(executed: Path) -> str:
    nb = nbformat.read(executed, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return executed.stem


def _config(source: Path, title: str, bibfiles: list[str]) -> dict:
    import yaml

    config = yaml.safe_load((ROOT / "_config.yml").read_text()) if (ROOT / "_config.yml").is_file() else {}
    config["title"] = title
    config["exclude_patterns"] = ["_build", "**.ipynb_checkpoints"]
    config["bibtex_bibfiles"] = bibfiles
    sphinx = config.setdefault("sphinx", {})
    sphinx["local_extensions"] = {name: "_ext" for name in (sphinx.get("local_extensions") or {})}
    settings = sphinx.setdefault("config", {})
    if "html_static_path" in settings:
        settings["html_static_path"] = ["_static"]
    return config


def _prepare(executed: Path, source: Path) -> str:
    import yaml

    if source.exists():
        shutil.rmtree(source)
    source.mkdir(parents=True)
    stem = executed.stem
    shutil.copy2(executed, source / f"{stem}.ipynb")
    book = ROOT / "book"
    bibfiles = []
    for bib in [book / "references.bib", *sorted((book / "bib").glob("*.bib"))]:
        if bib.is_file():
            name = bib.name if bib.parent == book else f"bib/{bib.name}"
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(bib, source / name)
            bibfiles.append(name)
    for folder in ("_ext", "_static"):
        if (book / folder).is_dir():
            shutil.copytree(book / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__"))
    pages = [name for name in BOOK_FILES if (book / name).is_file()]
    for name in pages:
        shutil.copy2(book / name, source / name)
    toc = {"format": "jb-book", "root": stem,
           "chapters": [{"file": Path(name).stem} for name in pages]} if pages else {"format": "jb-book", "root": stem}
    (source / "_toc.yml").write_text(yaml.safe_dump(toc, sort_keys=False))
    (source / "_config.yml").write_text(yaml.safe_dump(_config(source, _title(executed), bibfiles),
                                                       sort_keys=False))
    return stem


def write_run_page(executed, folder, *, timeout: float = 600) -> tuple[Path | None, str]:
    """Build the HTML page of an executed notebook in ``<folder>/page``.

    Parameters
    ----------
    executed : path
        The executed notebook.
    folder : path
        The run folder.
    timeout : float, default 600
        Seconds the build may take.

    Returns
    -------
    (pathlib.Path or None, str)
        The page (``<folder>/page/_build/html/<stem>.html``) and an empty message, or None and why
        no page was written (no jupyter-book in this environment, or the build failed; its log is
        ``<folder>/page/build.log``).
    """
    executed, folder = Path(executed), Path(folder)
    program = jupyter_book()
    if program is None:
        return None, "no HTML page: jupyter-book is not installed (pip install 'rmtlib[book]')"
    source = folder / "page"
    stem = _prepare(executed, source)
    log = source / "build.log"
    try:
        with open(log, "w") as out:
            proc = subprocess.run([str(program), "build", str(source), "--builder", "html", "-q"],
                                  stdout=out, stderr=subprocess.STDOUT, timeout=timeout, cwd=source)
    except subprocess.TimeoutExpired:
        return None, f"no HTML page: the build took more than {timeout:g} s (log: {log})"
    page = source / "_build" / "html" / f"{stem}.html"
    if proc.returncode != 0 or not page.is_file():
        return None, f"no HTML page: the build failed (log: {log})"
    return page, ""
