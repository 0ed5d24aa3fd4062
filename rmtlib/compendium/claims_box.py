"""The "claims and verdicts" box that opens an executed chapter: one row per section with checks.

Each section (the cells under one heading) makes its statements and checks them: *all pass*, *partly*
(some checks fail) or *all fail*. A passing check confirms the statement it makes, which can be that
a claim of the paper is not reproduced, so the box points to the chapter's own verdicts per claim.
The deciding check is the failed check, else the statistical check, nearest its threshold, shown with
its measured value and linked to its row in the section's check box.
"""

from __future__ import annotations

import math
import re

from rmtlib.compendium import formatting
from rmtlib.compendium.checks import Check
from rmtlib.compendium.power_records import reach_markdown

__all__ = ["claims_markdown", "deciding_check", "section_checks", "verdict"]

_HEADING = re.compile(r"^(#{1,6})\s+(.*)$", re.M)


def section_checks(nb) -> list[tuple[str, list[Check]]]:
    """``[(section title, checks)]`` in page order, from the check boxes of an executed notebook."""
    sections, title = [], None
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            match = _HEADING.search(cell.source)
            if match:
                title = re.sub(r"[{}`]|\(#.*?\)", "", match.group(2)).strip()
        elif cell.cell_type == "code":
            for out in cell.get("outputs", []):
                rows = (out.get("metadata") or {}).get("rmtlib", {}).get("checks")
                if rows:
                    if not sections or sections[-1][0] != title:
                        sections.append((title, []))
                    sections[-1][1].extend(Check(**row) for row in rows)
    return [(t or "Setup", checks) for t, checks in sections]


def verdict(checks) -> str:
    """``all pass``, ``all fail`` or ``partly``."""
    failed = sum(not c.passed for c in checks)
    return "all pass" if failed == 0 else ("all fail" if failed == len(checks) else "partly")


def _closeness(check) -> float:
    """The signed distance past the threshold, relative (0 at the threshold, negative when it passes)."""
    try:
        value, bound = float(check.value), float(check.threshold)
    except (TypeError, ValueError):  # an interval
        return -math.inf
    excess = value - bound if check.op in ("<=", "<") else bound - value
    scale = max(abs(value), abs(bound))
    return excess / scale if scale > 0 else 0.0


def deciding_check(checks) -> Check:
    """The failed check nearest its threshold if any failed, else the passed one nearest it (statistical first)."""
    pool = [c for c in checks if not c.passed] or [c for c in checks if c.kind == "statistical"] or list(checks)
    return max(pool, key=_closeness)


def claims_markdown(nb, stem=None) -> str | None:
    """A MyST admonition with the table section | checks | deciding check, or None without checks.

    With ``stem``, the box ends with what the chapter's statistical checks detect at the paper profile
    (:func:`rmtlib.compendium.power_records.reach_markdown`). The links are raw HTML: the rows they point
    to are HTML ids inside the check boxes, which Sphinx does not know as cross-reference targets.
    """
    sections = section_checks(nb)
    if not sections:
        return None
    rows = []
    for title, checks in sections:
        c = deciding_check(checks)
        measured = f"{formatting.format_value(c.value)} {formatting.threshold_text(c)}"
        rows.append(f"| {title} | {verdict(checks)} ({sum(x.passed for x in checks)}/{len(checks)}) "
                    f'| <a href="#{formatting.anchor(c.id)}"><code>{c.id}</code></a>: {measured} |')
    total = [c for _, checks in sections for c in checks]
    reach = reach_markdown(stem, total) if stem else None
    return "\n".join([
        ":::{admonition} Claims and verdicts in this run",
        ":class: tip",
        f"{formatting.box_summary(total)}. One row per section: whether its checks pass, and the check "
        "nearest its threshold (a failed one first, else a statistical one). A passing check confirms "
        "the statement it makes, which can be that a claim of the paper is not reproduced: the chapter's "
        "verdict on each claim of the paper, and which statements are the paper's and which are derived "
        "here, are in the text.",
        "",
        "| section | checks | deciding check |",
        "|---|---|---|",
        *rows,
        *(["", reach] if reach else []),
        ":::",
    ])
