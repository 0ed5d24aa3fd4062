"""Reproduction checks: a claim, a measured value, a threshold and a verdict.

Every chapter notebook creates one :class:`Report`, calls :meth:`Report.check` for each claim it
reproduces and ends with :meth:`Report.finish`, which writes ``checks.json`` and raises if any
claim failed, so that papermill, ``make test`` and ``make book`` all stop with a message that names
the notebook and the claim.

Example
-------
>>> report = Report("toolkit")                                   # doctest: +SKIP
>>> report.check("ks_semicircle", "The spectrum follows the semicircle law.",
...              0.012, 0.03)                                     # doctest: +SKIP
>>> report.finish()                                               # doctest: +SKIP
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import asdict, dataclass
from numbers import Real
from pathlib import Path

from rmtlib.experiments import theory

__all__ = ["Check", "Report", "KINDS", "OPS", "format_value", "output_dir", "read_checks"]

OPS = ("<=", ">=", "within")
"""The comparison operators a check may use."""

KINDS = ("exact", "statistical", "regression")
"""What a check's threshold rests on: ``exact`` (a numerical-analysis tolerance against a closed form
or an independent solver), ``statistical`` (a null that does not involve the law under test, see
`rmtlib.compendium.nulls`), ``regression`` (calibrated from the same comparison: it notices change,
it is not evidence)."""

_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Check:
    """One recorded claim and its verdict.

    Attributes
    ----------
    notebook : str
        Stem of the notebook that made the claim.
    id : str
        Identifier of the check, unique within the notebook (also its glue name).
    claim : str
        One-sentence statement of what is reproduced.
    value : float
        The measured value.
    threshold : float or list of float
        The bound, or ``[low, high]`` for ``op="within"``.
    op : str
        One of ``"<="``, ``">="``, ``"within"``.
    passed : bool
        Whether ``value`` satisfies the threshold.
    kind : str
        One of :data:`KINDS`.
    detects : float or None
        For a statistical check, the smallest scale error of the theory (0.02 for 2 %) that made it
        fail in the power sweep (``rmtlib power --sweep``); None when not measured or not detected.
    """

    notebook: str
    id: str
    claim: str
    value: float
    threshold: float | list
    op: str
    passed: bool
    kind: str = "regression"
    detects: float | None = None

    def condition(self) -> str:
        """Return the condition as text, e.g. ``0.0123 <= 0.05``."""
        if self.op == "within":
            low, high = self.threshold
            return f"{format_value(low)} <= {format_value(self.value)} <= {format_value(high)}"
        return f"{format_value(self.value)} {self.op} {format_value(self.threshold)}"

    def line(self) -> str:
        """Return a one-line summary: verdict, id, claim and condition."""
        verdict = "PASS" if self.passed else "FAIL"
        return f"[{verdict}] {self.id}: {self.claim} ({self.condition()})"


def format_value(x) -> str:
    """Format a number with four significant digits (integers exactly).

    Parameters
    ----------
    x : float or int or sequence of float
        The number (or pair of numbers) to format.

    Returns
    -------
    str
        The formatted text.
    """
    if isinstance(x, (list, tuple)):
        return "[" + ", ".join(format_value(v) for v in x) + "]"
    if isinstance(x, bool):
        return str(x)
    if isinstance(x, int):
        return str(x)
    return f"{float(x):.4g}"


def _finite(name: str, x) -> float:
    if isinstance(x, bool) or not isinstance(x, Real):
        try:
            import numpy as np

            if isinstance(x, np.ndarray) and x.ndim == 0:
                x = x.item()
            elif isinstance(x, np.generic):
                x = x.item()
        except ImportError:  # pragma: no cover - numpy is a dependency
            pass
    if isinstance(x, bool) or not isinstance(x, Real):
        raise ValueError(f"{name} must be a real number, got {x!r} of type {type(x).__name__}")
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"{name} must be finite, got {x!r}")
    return x


def _in_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - ipykernel is a dependency
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def _plain_numpy_scalars() -> None:
    """Display numpy scalars as plain Python numbers in the kernel (``0.1``, not ``np.float64(0.1)``).

    myst-nb formats ``{glue:text}`key:.3f``` from the ``text/plain`` repr, which numpy 2 writes as
    ``np.float64(0.1)``; without this, gluing a numpy scalar breaks the book build.
    """
    if not _in_kernel():
        return
    import numpy as np
    from IPython import get_ipython

    formatter = get_ipython().display_formatter.formatters["text/plain"]
    kinds = {float: (np.float16, np.float32, np.float64, np.longdouble),
             int: (np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64),
             bool: (np.bool_,)}
    for cast, types in kinds.items():  # concrete types: each defines its own __repr__
        for kind in types:
            formatter.for_type(kind, lambda x, p, cycle, cast=cast: p.text(repr(cast(x))))


_GLUED: set = set()
"""Names glued in this kernel since rmtlib.checks was imported (see :func:`_track_glue`)."""


def _track_glue() -> None:
    """Record the name of every glue published in the kernel, so a check does not glue it twice.

    A notebook that glues ``x`` itself and then calls ``report.check("x", ...)`` would otherwise
    glue ``x`` twice, which myst-nb reports as a duplicate key (a build warning).
    """
    if not _in_kernel():
        return
    from IPython import get_ipython

    pub = get_ipython().display_pub
    if getattr(pub, "_rmtlib_tracked", False):
        return
    original = pub.publish

    def publish(*args, **kwargs):
        metadata = kwargs.get("metadata", args[1] if len(args) > 1 else None) or {}
        name = (metadata.get("scrapbook") or {}).get("name") if isinstance(metadata, dict) else None
        if name:
            _GLUED.add(name)
        return original(*args, **kwargs)

    pub.publish = publish
    pub._rmtlib_tracked = True


def _show(markdown: str, plain: str) -> None:
    if _in_kernel():
        from IPython.display import Markdown, display

        display(Markdown(markdown))
    else:
        print(plain)


def _escape(text: str) -> str:
    return text.replace("|", r"\|").replace("\n", " ")


def output_dir() -> Path:
    """Return the directory where ``checks.json`` is written.

    Returns
    -------
    pathlib.Path
        ``$RMTLIB_OUTPUT_DIR`` if set (the runners set it), else the current directory.
    """
    return Path(os.environ.get("RMTLIB_OUTPUT_DIR") or os.getcwd())


def read_checks(path) -> list[Check]:
    """Read a ``checks.json`` file written by :meth:`Report.finish`.

    Parameters
    ----------
    path : str or pathlib.Path
        The file.

    Returns
    -------
    list of Check
        The recorded checks, in order.
    """
    data = json.loads(Path(path).read_text())
    return [Check(**row) for row in data["checks"]]


def checks_table(checks, *, markdown: bool = True, notebook: bool = True) -> str:
    """Format checks as a table.

    Parameters
    ----------
    checks : sequence of Check
        The checks.
    markdown : bool, default True
        Markdown (pipe) table if true, aligned plain text otherwise.
    notebook : bool, default True
        Include the notebook column.

    Returns
    -------
    str
        The table, one row per check.
    """
    header = ("notebook", "check", "claim", "measured", "threshold", "verdict")
    rows = [
        (c.notebook, c.id, c.claim, format_value(c.value),
         ("in " if c.op == "within" else c.op + " ") + format_value(c.threshold),
         "pass" if c.passed else "FAIL")
        for c in checks
    ]
    if not notebook:
        header, rows = header[1:], [row[1:] for row in rows]
    claim = header.index("claim")
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(_escape(cell) for cell in row) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    widths[claim] = min(widths[claim], 60)
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    out = [fmt.format(*header)]
    for row in rows:
        text = row[claim] if len(row[claim]) <= 60 else row[claim][:57] + "..."
        out.append(fmt.format(*row[:claim], text, *row[claim + 1:]))
    return "\n".join(out)


class Report:
    """Collect the checks of one notebook.

    Parameters
    ----------
    stem : str
        The notebook's stem (file name without ``.ipynb``), used in messages and in ``checks.json``.
    """

    def __init__(self, stem: str):
        if not isinstance(stem, str) or not stem.strip():
            raise ValueError(f"stem must be a non-empty string, got {stem!r}")
        self.stem = stem
        self.checks: list[Check] = []

    def check(self, check_id: str, claim: str, value, threshold, *, kind: str, op: str = "<="):
        """Record one claim, glue its measured value and display its verdict.

        Parameters
        ----------
        check_id : str
            Identifier (letters, digits, underscores; unique in this report). The measured value is
            glued under this name, so prose can write ``{glue:text}`check_id:.3f```.
        claim : str
            One sentence stating what is reproduced.
        value : float
            The measured value (finite).
        threshold : float or tuple of float
            The bound (finite); for ``op="within"`` a pair ``(low, high)`` with ``low <= high``.
        kind : {"exact", "statistical", "regression"}
            What the threshold rests on (see :data:`KINDS`).
        op : {"<=", ">=", "within"}, default "<="
            How ``value`` is compared with ``threshold``.

        Notes
        -----
        Returns nothing (so that a notebook cell ending with a check shows only its line); the
        record is ``report.checks[-1]``.
        """
        if not isinstance(check_id, str) or not _ID.match(check_id):
            raise ValueError(
                f"check_id must be an identifier (letters, digits, underscores), got {check_id!r}")
        if any(c.id == check_id for c in self.checks):
            raise ValueError(f"check_id {check_id!r} is already used in notebook {self.stem!r}")
        if not isinstance(claim, str) or not claim.strip():
            raise ValueError(f"claim of check {check_id!r} must be a non-empty sentence")
        if op not in OPS:
            raise ValueError(f"op must be one of {OPS}, got {op!r}")
        if kind not in KINDS:
            raise ValueError(f"kind of check {check_id!r} must be one of {KINDS}, got {kind!r}")
        value = _finite(f"value of check {check_id!r}", value)
        if op == "within":
            try:
                low, high = threshold
            except (TypeError, ValueError):
                raise ValueError(
                    f"threshold of check {check_id!r} must be a pair (low, high) for op='within', "
                    f"got {threshold!r}") from None
            low = _finite(f"lower threshold of check {check_id!r}", low)
            high = _finite(f"upper threshold of check {check_id!r}", high)
            if low > high:
                raise ValueError(f"threshold of check {check_id!r}: low {low} exceeds high {high}")
            threshold = [low, high]
            passed = low <= value <= high
        else:
            threshold = _finite(f"threshold of check {check_id!r}", threshold)
            passed = value <= threshold if op == "<=" else value >= threshold
        record = Check(self.stem, check_id, claim.strip(), value, threshold, op, bool(passed), kind)
        self.checks.append(record)
        if _in_kernel() and check_id not in _GLUED:  # the notebook may have glued it already
            from myst_nb import glue

            glue(check_id, value, display=False)
        verdict = "PASS" if record.passed else "FAIL"
        _show(f"**{verdict}** `{check_id}`: {_escape(record.claim)} (`{record.condition()}`)", record.line())

    @property
    def failed(self) -> list[Check]:
        """The checks that did not pass."""
        return [c for c in self.checks if not c.passed]

    def to_dict(self) -> dict:
        """Return the JSON document written by :meth:`finish`."""
        doc = {"notebook": self.stem, "checks": [asdict(c) for c in self.checks]}
        perturbation = theory.perturbation()
        if perturbation:
            doc["perturbation"] = perturbation
        return doc

    def finish(self, directory=None) -> Path:
        """Write ``checks.json``, display the table and raise if any check failed.

        Parameters
        ----------
        directory : str or pathlib.Path, optional
            Where to write ``checks.json``; default :func:`output_dir`.

        Notes
        -----
        Returns nothing, so that the last cell of a chapter shows no path; the file written is
        ``report.path``.

        Raises
        ------
        AssertionError
            If no check was recorded or any check failed; the message names the notebook and every
            failed claim.
        """
        directory = Path(directory) if directory is not None else output_dir()
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / "checks.json"
        path.write_text(json.dumps(self.to_dict(), indent=2) + "\n")
        self.path = path
        if self.checks:
            _show(checks_table(self.checks, notebook=False), checks_table(self.checks, markdown=False))
        if not self.checks:
            raise AssertionError(f"notebook {self.stem!r} recorded no checks")
        if self.failed:
            lines = [f"notebook {self.stem!r}: {len(self.failed)} of {len(self.checks)} checks failed:"]
            lines += [f"  - {c.id}: {c.claim} ({c.condition()})" for c in self.failed]
            raise AssertionError("\n".join(lines))


_plain_numpy_scalars()
_track_glue()
