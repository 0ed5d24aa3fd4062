"""What a build of the book rests on: its chapters in book order, their checks, the commit, the date.

The status panel of the introduction and the reproduction report (:mod:`rmtlib.compendium.reportpage`)
read everything they say from here, and this reads it from the executed chapters
(``book/results/<stem>.ipynb`` and ``book/results/<stem>/checks.json``), ``_toc.yml``,
``_config.yml`` and git.
"""

from __future__ import annotations

import datetime
import importlib.metadata
import json
import os
import platform
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from rmtlib.compendium.checks import read_checks
from rmtlib.compendium.execution import NOTEBOOK_DIR, RESULTS_DIR, ROOT

__all__ = ["Chapter", "ENVIRONMENT", "chapters", "chapter_order", "verdict", "commit", "build_date",
           "environment", "repository_url"]

ENVIRONMENT = ("numpy", "scipy", "numba")
"""The packages whose versions the report states (with Python's)."""

_RESULT = re.compile(r"^book/results/([A-Za-z0-9_\-]+)$")


@dataclass
class Chapter:
    """One chapter of this build.

    Attributes
    ----------
    stem : str
        The notebook's stem.
    number : int
        Its position among the chapters (1-based, book order).
    title : str
        The first heading of the executed notebook (the stem when there is none).
    checks : list of rmtlib.compendium.checks.Check
        Its checks (empty when it has no results).
    info : dict
        ``metadata.rmtlib`` of the executed notebook (profile, parameters, inputs, status).
    swept : bool
        Whether its ``checks.json`` has a power sweep (``detects``).
    in_toc : bool
        Whether ``_toc.yml`` lists it (a page of this build).
    not_calibrated : list of dict
        Regression checks its profile has no calibration for (reported apart, neither passed nor
        failed).
    """

    stem: str
    number: int
    title: str
    checks: list = field(default_factory=list)
    info: dict = field(default_factory=dict)
    swept: bool = False
    in_toc: bool = True
    not_calibrated: list = field(default_factory=list)

    @property
    def executed(self) -> bool:
        """Whether the chapter has results in this build."""
        return bool(self.checks)

    @property
    def failed(self) -> list:
        """The checks that failed."""
        return [c for c in self.checks if not c.passed]


def _toc_stems(toc=None) -> list[str]:
    toc = Path(toc or os.environ.get("RMTLIB_TOC") or ROOT / "_toc.yml")
    if not toc.is_absolute():
        toc = ROOT / toc
    stems = []
    if toc.is_file():
        for match in re.finditer(r"file:\s*([^\s#]+)", toc.read_text()):
            found = _RESULT.match(match.group(1).strip("'\""))
            if found and found.group(1) not in stems:
                stems.append(found.group(1))
    return stems


def chapter_order(*, toc=None, notebook_dir=None) -> list[str]:
    """Return the notebook stems in book order: those ``_toc.yml`` lists, then the others by name.

    Parameters
    ----------
    toc : path, optional
        The table of contents (default ``$RMTLIB_TOC`` or ``_toc.yml`` of the checkout).
    notebook_dir : path, optional
        The source notebooks (default ``notebooks/``).
    """
    rest = sorted(p.stem for p in Path(notebook_dir or NOTEBOOK_DIR).glob("*.ipynb"))
    stems = [s for s in _toc_stems(toc) if s in rest]
    return stems + [s for s in rest if s not in stems]


def _title(nb, stem: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return stem


def chapters(*, results=None, toc=None, notebook_dir=None) -> list[Chapter]:
    """Return every chapter in book order with its checks and execution record."""
    results = Path(results or RESULTS_DIR)
    listed = _toc_stems(toc)
    out = []
    for number, stem in enumerate(chapter_order(toc=toc, notebook_dir=notebook_dir), start=1):
        chapter = Chapter(stem, number, stem, in_toc=stem in listed)
        try:
            nb = nbformat.read(results / f"{stem}.ipynb", as_version=4)
            chapter.title, chapter.info = _title(nb, stem), dict(nb.metadata.get("rmtlib", {}))
        except (OSError, ValueError):
            pass
        path = results / stem / "checks.json"
        if path.is_file():
            chapter.checks = read_checks(path)
            document = json.loads(path.read_text())
            chapter.swept = bool(document.get("power"))
            chapter.not_calibrated = list(document.get("not_calibrated") or [])
        out.append(chapter)
    return out


def verdict(chapter: Chapter) -> str:
    """``reproduced`` (every check passes), ``partly`` (some fail), ``not`` (none passes or no results)."""
    if not chapter.checks or len(chapter.failed) == len(chapter.checks):
        return "not"
    return "partly" if chapter.failed else "reproduced"


def _git(*args) -> str | None:
    try:
        proc = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def commit() -> str:
    """The commit the book was built from (short hash, ``+ local changes`` when the tree differs).

    ``unknown`` outside a git checkout.
    """
    head = _git("rev-parse", "--short=12", "HEAD")
    if not head:
        return "unknown"
    dirty = _git("status", "--porcelain", "--untracked-files=no")
    return head + (" + local changes" if dirty else "")


def build_date() -> str:
    """The build date (UTC, ``YYYY-MM-DD``): ``$SOURCE_DATE_EPOCH`` when set, else today."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    now = (datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc) if epoch
           else datetime.datetime.now(datetime.timezone.utc))
    return now.strftime("%Y-%m-%d")


def environment(chapters_=()) -> dict:
    """``{"python": version, "numpy": ..., "scipy": ..., "numba": ...}``.

    The package versions the executed chapters recorded (their ``inputs.packages``), else the
    installed ones; Python's is this interpreter's.
    """
    recorded = {}
    for chapter in chapters_:
        packages = (chapter.info.get("inputs") or {}).get("packages") or {}
        for name in ENVIRONMENT:
            if packages.get(name):
                recorded.setdefault(name, packages[name])
    versions = {"python": platform.python_version()}
    for name in ENVIRONMENT:
        try:
            versions[name] = recorded.get(name) or importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def repository_url(config=None) -> str:
    """``repository.url`` of ``_config.yml`` (empty when unset)."""
    path = Path(config or ROOT / "_config.yml")
    if not path.is_file():
        return ""
    block = re.search(r"^repository:\s*\n((?:[ \t]+.*\n?)*)", path.read_text(), re.M)
    url = re.search(r"^\s+url:\s*(.*)$", block.group(1), re.M) if block else None
    return url.group(1).split(" #")[0].strip().strip("'\"") if url else ""
