"""Tables in the chapters: one helper that shows rows as a Markdown table in the book and as
aligned text in a terminal.
"""

from __future__ import annotations

from rmtlib.compendium.formatting import format_value

__all__ = ["markdown_table", "plain_table", "show_table"]


def _cell(value) -> str:
    text = value if isinstance(value, str) else format_value(value)
    return text.replace("|", r"\|").replace("\n", " ")


def markdown_table(header, rows) -> str:
    """Return a Markdown pipe table; numbers get four significant digits (integers exactly).

    Parameters
    ----------
    header : sequence of str
        Column titles.
    rows : iterable of sequence
        One sequence of cells per row (str, int, float or a pair of floats).

    Returns
    -------
    str
    """
    header = [str(h) for h in header]
    lines = ["| " + " | ".join(_cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        cells = [_cell(c) for c in row]
        if len(cells) != len(header):
            raise ValueError(f"a row has {len(cells)} cells for {len(header)} columns: {row!r}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plain_table(header, rows) -> str:
    """Return the same table as aligned plain text (for a terminal)."""
    table = [[str(h) for h in header]] + [[c if isinstance(c, str) else format_value(c) for c in row]
                                          for row in rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in table)


def show_table(header, rows) -> None:
    """Display rows as a Markdown table inside a notebook kernel, as aligned text elsewhere."""
    rows = [list(r) for r in rows]
    try:
        from IPython import get_ipython
        from IPython.display import Markdown, display
    except ImportError:  # IPython is an optional dependency of the compendium
        get_ipython = None
    if get_ipython is not None and get_ipython() is not None:
        display(Markdown(markdown_table(header, rows)))
    else:
        print(plain_table(header, rows))
