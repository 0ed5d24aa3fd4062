"""Post-processing of an executed chapter (the copy papermill wrote, never the source notebook).

:func:`postprocess` makes the executed copy read like the book: plotting and check bookkeeping
cells hide their input, the effective parameters follow the injected parameters cell, the check
boxes of one section are merged into one, a claims-and-verdicts box opens the chapter, and the
chapter ends with the command that reruns it.
:func:`figure_names` names the figures of a run after what they show.
"""

from __future__ import annotations

import ast
import json
import re
import shlex
from dataclasses import asdict

import nbformat

from rmtlib.compendium import claims_box, formatting
from rmtlib.compendium.checks import Check

__all__ = ["HIDE_INPUT", "bookkeeping", "parameters_markdown", "rerun_command", "rerun_markdown",
           "merge_check_boxes", "postprocess", "slug", "figure_names"]

HIDE_INPUT = "hide-input"
GENERATED = "rmtlib-generated"
"""Tag of the cells this module adds (so that post-processing twice adds them once)."""

_CHECKS = re.compile(r"\breport\.(check|finish)\b|\b(stat|statistical|judge)\(")
_DRAWING = {"glue", "figures", "plt", "plotting", "show_table", "display", "print"}
_HEADING = re.compile(r"^(#{1,6})\s+(.*)$", re.M)


def _root(node) -> str:
    while isinstance(node, (ast.Call, ast.Attribute, ast.Subscript)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else ""


def _is_bookkeeping(stmt) -> bool:
    if isinstance(stmt, (ast.Import, ast.ImportFrom, ast.Pass)):
        return True
    if isinstance(stmt, ast.Expr):
        return isinstance(stmt.value, ast.Constant) or _root(stmt.value) in _DRAWING
    if isinstance(stmt, ast.Assign):
        return isinstance(stmt.value, ast.Call) and _root(stmt.value) in _DRAWING
    if isinstance(stmt, (ast.For, ast.If, ast.With)):
        return all(_is_bookkeeping(s) for s in stmt.body + getattr(stmt, "orelse", []))
    return False


def bookkeeping(source: str) -> bool:
    """Whether a code cell is bookkeeping the reader may skip: checks, drawing, glue or imports.

    A cell is bookkeeping when it records or judges checks (``report.check``, ``report.finish``,
    ``stat(``, ``statistical(``, ``judge(``), or when each of its statements draws, tabulates, glues
    or imports (calls rooted at ``glue``, ``figures``, ``plt``, ``plotting``, ``show_table``,
    ``display``, possibly in loops). A cell that runs an experiment or computes a law stays visible
    even when it also draws its figure.
    """
    if _CHECKS.search(source):
        return True
    try:
        body = ast.parse(source).body
    except SyntaxError:  # IPython magics: leave the cell as it is
        return False
    return bool(body) and all(_is_bookkeeping(s) for s in body)


def _literal(value) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def rerun_command(stem: str, profile, params: dict, base: dict) -> str:
    """Return the shell command that reruns a chapter: ``rmtlib run STEM --profile P [-p N V]...``.

    Parameters
    ----------
    stem : str
        The notebook.
    profile : str or None
        The profile it ran with (None: the defaults).
    params : dict
        The parameters it ran with.
    base : dict
        The parameters of that profile alone; a value that differs is written as ``-p NAME VALUE``.
    """
    words = ["rmtlib", "run", stem] + (["--profile", profile] if profile else [])
    for name, value in params.items():
        if name != "profile" and base.get(name) != value:
            words += ["-p", name, _literal(value)]
    return " ".join(shlex.quote(w) for w in words)


def parameters_markdown(profile, params: dict, defaults: dict) -> str:
    """Return the Markdown that states the effective parameters: the profile and each override.

    With overrides, a folded box (a MyST ``dropdown`` admonition) whose title gives the profile and
    the count, and whose table lists each changed parameter against its default.
    """
    changed = [(name, value, defaults.get(name)) for name, value in params.items()
               if name != "profile" and defaults.get(name) != value]
    name = f"`{profile}`" if profile else "none (the defaults)"
    if not changed:
        return (f"**Parameters of this execution**: profile {name}; every parameter has its default "
                "value (the parameters cell above).")
    total = len(params) - ("profile" in params)
    rows = ["| parameter | this execution | default |", "|---|---|---|"]
    rows += [f"| `{n}` | `{_literal(v)}` | `{_literal(d)}` |" for n, v, d in changed]
    return (f":::{{admonition}} Parameters of this execution: profile {name}, {len(changed)} of {total} "
            "differ from the defaults (the parameters cell above)\n:class: dropdown\n\n"
            + "\n".join(rows) + "\n:::")


def rerun_markdown(command: str) -> str:
    """Return the "Rerun this chapter" box (a MyST admonition) holding ``command``."""
    return ("::::{admonition} Rerun this chapter\n:class: tip\n\n"
            f"```bash\n{command}\n```\n\n"
            "The run goes into its own folder under `runs/`, with the executed notebook, its checks, "
            "its figures and an HTML page of the run; `rmtlib list` shows every parameter and "
            "`-p NAME VALUE` changes one.\n::::")


def _box_output(checks: list) -> dict:
    return nbformat.v4.new_output(
        "display_data", data={"text/html": formatting.check_box_html(checks),
                              "text/plain": formatting.check_box_text(checks)},
        metadata={"rmtlib": {"checks": [asdict(c) for c in checks]}})


def _is_box(output) -> bool:
    return bool((output.get("metadata") or {}).get("rmtlib", {}).get("checks"))


def merge_check_boxes(nb) -> int:
    """Merge the check boxes of each section (cells between two headings) into its last box.

    Returns the number of boxes left. A box is a display output whose metadata holds
    ``rmtlib.checks`` (written by :mod:`rmtlib.compendium.checks` when a cell ends).
    """
    sections, current = [], []
    for cell in nb.cells:
        if cell.cell_type == "markdown" and _HEADING.search(cell.source):
            sections.append(current)
            current = []
        elif cell.cell_type == "code":
            current += [(cell, out) for out in cell.get("outputs", []) if _is_box(out)]
    sections.append(current)
    count = 0
    for boxes in (s for s in sections if s):
        count += 1
        if len(boxes) == 1:
            continue
        checks = [Check(**row) for _, out in boxes for row in out["metadata"]["rmtlib"]["checks"]]
        for cell, out in boxes[:-1]:
            cell.outputs.remove(out)
        cell, out = boxes[-1]
        cell.outputs[cell.outputs.index(out)] = _box_output(checks)
    return count


def _generated(source: str, tags=()):
    return nbformat.v4.new_markdown_cell(source, metadata={"tags": [GENERATED, *tags]})


def postprocess(nb, *, stem: str, profile, params: dict, defaults: dict, base: dict) -> None:
    """Make an executed copy read like the book (in place).

    Parameters
    ----------
    nb : nbformat notebook
        The executed notebook.
    stem : str
        Its stem.
    profile : str or None
        The profile it ran with.
    params : dict
        The parameters it ran with.
    defaults : dict
        The defaults of its parameters cell.
    base : dict
        The parameters of ``profile`` alone (for the rerun command).

    Notes
    -----
    Bookkeeping cells (:func:`bookkeeping`) get the tag ``hide-input``; a Markdown cell with
    :func:`parameters_markdown` goes after the injected parameters cell; the check boxes of a
    section are merged (:func:`merge_check_boxes`); the claims-and-verdicts box
    (:func:`rmtlib.compendium.claims_box.claims_markdown`) follows the chapter's opening cell; the last
    cell is the "Rerun this chapter" box.
    """
    nb.cells = [c for c in nb.cells if GENERATED not in c.get("metadata", {}).get("tags", [])]
    for cell in nb.cells:
        tags = cell.setdefault("metadata", {}).setdefault("tags", [])
        if cell.metadata.pop(GENERATED, None) and HIDE_INPUT in tags:  # folded by an earlier pass
            tags.remove(HIDE_INPUT)
        if (cell.cell_type == "code" and not {"parameters", "injected-parameters", HIDE_INPUT,
                                              "hide-cell", "remove-input"} & set(tags)
                and bookkeeping(cell.source)):
            tags.append(HIDE_INPUT)
            cell.metadata[GENERATED] = True
    merge_check_boxes(nb)
    claims = claims_box.claims_markdown(nb, stem)
    if claims:
        nb.cells.insert(1 if nb.cells and nb.cells[0].cell_type == "markdown" else 0, _generated(claims))
    where = next((i for i, c in enumerate(nb.cells)
                  if "injected-parameters" in c.metadata.get("tags", [])), None)
    if where is None:
        where = next((i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])), 0)
    nb.cells.insert(where + 1, _generated(parameters_markdown(profile, params, defaults)))
    nb.cells.append(_generated(rerun_markdown(rerun_command(stem, profile, params, base))))


def slug(text: str, *, limit: int = 60) -> str:
    """Return a file-name slug of ``text``: lower case, letters, digits and hyphens."""
    words = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return words[:limit].rstrip("-") or "figure"


def _title(source: str) -> str:
    match = _HEADING.search(source)
    return re.sub(r"[$\\{}`*]", "", match.group(2)) if match else ""


PNG_KEYS = ("image/png", "application/papermill.record/image/png")
"""Where an output holds a PNG: displayed, or glued (myst-nb ``glue(..., display=False)``)."""


def png_data(output):
    """The base64 PNG of one notebook output (displayed or glued), or None."""
    data = output.get("data", {})
    return next((data[key] for key in PNG_KEYS if key in data), None)


def figure_names(nb) -> list[tuple[int, int, str]]:
    """Name every PNG output after what it shows: its glue name, else its section's title.

    Returns
    -------
    list of (int, int, str)
        ``(cell index, output index, file name)``, file names unique (``-2``, ``-3``... appended).
    """
    names, used, section = [], {}, "figure"
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and _title(cell.source):
            section = slug(_title(cell.source))
        for k, out in enumerate(cell.get("outputs", [])):
            if png_data(out) is None:
                continue
            glued = ((out.get("metadata") or {}).get("scrapbook") or {}).get("name")
            base = slug(glued) if glued else section
            used[base] = used.get(base, 0) + 1
            names.append((index, k, base + (f"-{used[base]}" if used[base] > 1 else "") + ".png"))
    return names
