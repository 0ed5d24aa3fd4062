"""How checks look: numbers, the collapsible box of a section's checks, a chapter's closing line.

The chapters, the reproduction report and ``rmtlib run`` all format a check through this module,
so that a number or a verdict reads the same everywhere. Functions take check records with the
attributes of :class:`rmtlib.compendium.checks.Check` (``id``, ``claim``, ``value``,
``threshold``, ``op``, ``passed``, ``kind``, ``detects``).
"""

from __future__ import annotations

import html

__all__ = ["PASS_MARK", "FAIL_MARK", "format_value", "threshold_text", "anchor", "box_summary",
           "check_box_html", "check_box_text", "chapter_summary_html", "chapter_summary_text"]

PASS_MARK = "✔"
FAIL_MARK = "✘"


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


def threshold_text(check) -> str:
    """Return the threshold with its operator, e.g. ``<= 0.05`` or ``in [0.1, 0.2]``."""
    return ("in " if check.op == "within" else check.op + " ") + format_value(check.threshold)


def anchor(check_id: str) -> str:
    """Return the HTML id of a check's row in its chapter (``check-<id>``)."""
    return f"check-{check_id}"


def box_summary(checks) -> str:
    """Return the one-line verdict of a group of checks, e.g. ``✔ 13/13 checks``."""
    failed = sum(not c.passed for c in checks)
    noun = "check" if len(checks) == 1 else "checks"
    if failed:
        return f"{FAIL_MARK} {failed} of {len(checks)} {noun} failed"
    return f"{PASS_MARK} {len(checks)}/{len(checks)} {noun}"


def _esc(text) -> str:
    return html.escape(str(text), quote=True)


def _row(check) -> str:
    verdict = "pass" if check.passed else "FAIL"
    cls = "rmtlib-pass" if check.passed else "rmtlib-fail"
    return (f'<tr id="{_esc(anchor(check.id))}" class="{cls}">'
            f'<td class="rmtlib-verdict">{verdict}</td><td class="rmtlib-id"><code>{_esc(check.id)}</code></td>'
            f"<td>{_esc(check.kind)}</td><td class=\"rmtlib-num\">{_esc(format_value(check.value))}</td>"
            f"<td class=\"rmtlib-num\">{_esc(threshold_text(check))}</td></tr>"
            f'<tr class="rmtlib-claim {cls}"><td colspan="5">{_esc(check.claim)}</td></tr>')


def check_box_html(checks) -> str:
    """Return one collapsible box for a section's checks: its verdict line, the table inside.

    Parameters
    ----------
    checks : sequence of rmtlib.compendium.checks.Check
        The checks of one section (non-empty).

    Returns
    -------
    str
        A ``<details>`` element (open when a check failed) whose summary reads ``✔ 13/13 checks``
        or ``✘ 1 of 13 checks failed``; inside, one row per check (verdict, id, kind, measured,
        threshold) with the claim written out in full under it. Each row carries the id
        :func:`anchor` so that the report can link to it.
    """
    failed = any(not c.passed for c in checks)
    state = " open" if failed else ""
    cls = "rmtlib-checks rmtlib-failed" if failed else "rmtlib-checks"
    head = ('<thead><tr><th>verdict</th><th>check</th><th>kind</th><th>measured</th>'
            '<th>threshold</th></tr></thead>')
    body = "".join(_row(c) for c in checks)
    return (f'<details class="{cls}"{state}><summary>{_esc(box_summary(checks))}</summary>'
            f'<table class="rmtlib-check-table">{head}<tbody>{body}</tbody></table></details>')


def check_box_text(checks) -> str:
    """Return the same box as plain text: the verdict line, then one line per check, claims whole."""
    lines = [box_summary(checks)]
    for c in checks:
        verdict = "PASS" if c.passed else "FAIL"
        lines.append(f"  [{verdict}] {c.id} ({c.kind}): {c.claim} ({format_value(c.value)} "
                     f"{threshold_text(c)})")
    return "\n".join(lines)


def _counts(checks) -> str:
    kinds = {kind: 0 for kind in ("exact", "statistical", "regression")}
    for c in checks:
        kinds[c.kind] = kinds.get(c.kind, 0) + 1
    return ", ".join(f"{n} {kind}" for kind, n in kinds.items() if n)


def chapter_summary_text(stem: str, checks) -> str:
    """Return the chapter's closing line, e.g. ``✔ all 13 checks of this chapter pass (...)``."""
    failed = sum(not c.passed for c in checks)
    if failed:
        return (f"{FAIL_MARK} {failed} of {len(checks)} checks of this chapter failed "
                f"({_counts(checks)}).")
    return f"{PASS_MARK} All {len(checks)} checks of this chapter pass ({_counts(checks)})."


def chapter_summary_html(stem: str, checks, *, report_href: str = "../reproduction.html") -> str:
    """Return the chapter's closing line with a link to its part of the reproduction report.

    Parameters
    ----------
    stem : str
        The notebook's stem (the report's anchor for the chapter).
    checks : sequence of rmtlib.compendium.checks.Check
        Every check of the chapter.
    report_href : str, default "../reproduction.html"
        The report page, relative to the chapter's page.

    Returns
    -------
    str
        One ``<p>`` element.
    """
    failed = any(not c.passed for c in checks)
    cls = "rmtlib-summary rmtlib-failed" if failed else "rmtlib-summary"
    link = f'<a href="{_esc(report_href)}#report-{_esc(stem)}">reproduction report</a>'
    return (f'<p class="{cls}">{_esc(chapter_summary_text(stem, checks))} The {link} lists them '
            "with every other chapter's.</p>")
