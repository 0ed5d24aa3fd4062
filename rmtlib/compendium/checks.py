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

import fnmatch
import json
import math
import os
import re
from dataclasses import asdict, dataclass
from numbers import Real
from pathlib import Path

from rmtlib.compendium import formatting, notebook_display
from rmtlib.compendium.calibration import uncalibrated, uncalibrated_record
from rmtlib.compendium.formatting import format_value
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


def _finite(name: str, x) -> float:
    if hasattr(x, "item") and getattr(x, "ndim", None) == 0:  # numpy scalars and 0-d arrays
        x = x.item()
    if isinstance(x, bool) or not isinstance(x, Real):
        raise ValueError(f"{name} must be a real number, got {x!r} of type {type(x).__name__}")
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"{name} must be finite, got {x!r}")
    return x


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
    order = [i for i in range(len(header)) if i != claim] + [claim]  # the whole claim comes last
    header, rows = [header[i] for i in order], [[row[i] for i in order] for row in rows]
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header) - 1)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths) + "  {}"
    return "\n".join(fmt.format(*row).rstrip() for row in [header] + rows)


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
        self.not_calibrated: list[dict] = []  # regression checks with a NaN bound (no calibration)

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
        Returns nothing; the record is ``report.checks[-1]``. In a kernel the checks of a cell are
        shown together, as one collapsible box, when the cell ends.
        """
        if not isinstance(check_id, str) or not _ID.match(check_id):
            raise ValueError(
                f"check_id must be an identifier (letters, digits, underscores), got {check_id!r}")
        if any(c.id == check_id for c in self.checks) or any(c["id"] == check_id for c in self.not_calibrated):
            raise ValueError(f"check_id {check_id!r} is already used in notebook {self.stem!r}")
        if not isinstance(claim, str) or not claim.strip():
            raise ValueError(f"claim of check {check_id!r} must be a non-empty sentence")
        if op not in OPS:
            raise ValueError(f"op must be one of {OPS}, got {op!r}")
        if kind not in KINDS:
            raise ValueError(f"kind of check {check_id!r} must be one of {KINDS}, got {kind!r}")
        value = _finite(f"value of check {check_id!r}", value)
        if kind == "regression" and uncalibrated(threshold):  # reported apart: neither passed nor failed
            return self.not_calibrated.append(uncalibrated_record(check_id, claim, value, op))
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
        if not notebook_display.in_kernel():
            print(record.line())
            return
        if check_id not in notebook_display.GLUED:  # the notebook may have glued it already
            from myst_nb import glue

            glue(check_id, value, display=False)
        notebook_display.PENDING.append(record)

    @property
    def failed(self) -> list[Check]:
        """The checks that did not pass."""
        return [c for c in self.checks if not c.passed]

    def _matching(self, patterns) -> tuple[list[Check], list[dict]]:
        """The judged checks and the uncalibrated records whose id matches any fnmatch pattern."""
        if not patterns or not all(isinstance(p, str) and p for p in patterns):
            raise ValueError(f"give one or more fnmatch patterns of check ids, got {patterns!r}")

        def hit(check_id):
            return any(fnmatch.fnmatchcase(check_id, p) for p in patterns)

        judged = [c for c in self.checks if hit(c.id)]
        unjudged = [r for r in self.not_calibrated if hit(r["id"])]
        if not judged and not unjudged:
            raise ValueError(f"no check of notebook {self.stem!r} recorded so far matches "
                             + ", ".join(map(repr, patterns)))
        return judged, unjudged

    def status(self, *patterns: str) -> str:
        """Say how the checks recorded so far whose id matches any pattern fared.

        Parameters
        ----------
        *patterns : str
            fnmatch patterns of check ids, e.g. ``"network_sc_mismatch_*"``.

        Returns
        -------
        str
            ``"all 4 checks pass"``, ``"both checks pass"``, ``"1 check passes"``, ``"1 of 4 checks
            fails"``, ``"2 of 4 checks fail"``; regression checks not calibrated at this profile are
            counted apart (``"all 4 checks pass; 1 more not calibrated at this profile"``).

        Raises
        ------
        ValueError
            If no recorded check matches (a mistyped pattern must not pass silently).
        """
        judged, unjudged = self._matching(patterns)
        n, failed = len(judged), sum(not c.passed for c in judged)
        if n == 0:
            return f"{len(unjudged)} check{'s' * (len(unjudged) > 1)} not calibrated at this profile (not judged)"
        if failed:
            text = "1 check fails" if n == 1 else f"{failed} of {n} checks {'fails' if failed == 1 else 'fail'}"
        else:
            text = {1: "1 check passes", 2: "both checks pass"}.get(n, f"all {n} checks pass")
        return text + (f"; {len(unjudged)} more not calibrated at this profile" if unjudged else "")

    def passed(self, *patterns: str) -> bool:
        """Whether every check recorded so far whose id matches any pattern passed.

        Parameters
        ----------
        *patterns : str
            fnmatch patterns of check ids, e.g. ``"network_sc_mismatch_*"``.

        Returns
        -------
        bool
            True if at least one matching check was judged and all of them passed; regression checks
            not calibrated at this profile are neither (so only uncalibrated matches give False).

        Raises
        ------
        ValueError
            If no recorded check matches (a mistyped pattern must not pass silently).
        """
        judged, _ = self._matching(patterns)
        return bool(judged) and all(c.passed for c in judged)

    def to_dict(self) -> dict:
        """Return the JSON document written by :meth:`finish`."""
        doc = {"notebook": self.stem, "checks": [asdict(c) for c in self.checks]}
        doc.update({"not_calibrated": list(self.not_calibrated)} if self.not_calibrated else {})
        perturbation = theory.perturbation()
        if perturbation:
            doc["perturbation"] = perturbation
        return doc

    def finish(self, directory=None) -> Path:
        """Write ``checks.json``, show the chapter's one-line verdict and raise if any check failed.

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
        if notebook_display.in_kernel():
            notebook_display.flush()
            if self.checks:
                notebook_display.publish(formatting.chapter_summary_html(self.stem, self.checks),
                                         formatting.chapter_summary_text(self.stem, self.checks))
        elif self.checks:
            print(formatting.chapter_summary_text(self.stem, self.checks))
        if not self.checks:
            raise AssertionError(f"notebook {self.stem!r} recorded no checks")
        if self.failed:
            lines = [f"notebook {self.stem!r}: {len(self.failed)} of {len(self.checks)} checks failed:"]
            lines += [f"  - {c.id}: {c.claim} ({c.condition()})" for c in self.failed]
            raise AssertionError("\n".join(lines))


notebook_display.install()
