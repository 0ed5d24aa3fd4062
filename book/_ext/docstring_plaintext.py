"""Sphinx extension: read plain-text math in docstrings as text, not as reST markup.

numpy-style docstrings write formulas in plain text: absolute values and norms (``E|x|^4``,
``|F_n - F|``) and subscripts ending in an underscore (``(delta_-1 + delta_1)/2``). reStructuredText
would take ``|x|`` for a substitution and ``delta_`` for a hyperlink reference, and fail the build.
Before napoleon parses a docstring, this escapes, outside backtick-quoted code and math, every ``|``
(except on lines that are reST structure: line blocks, table borders, grid-table rows) and every
underscore that ends a word.
"""

import re

_QUOTED = re.compile(r"(``.*?``|`[^`]*`)")
# line blocks ("| text"), table borders ("+---+", "+===+") and grid-table rows ("| a | b |")
_STRUCTURE = re.compile(r"^(\| |\+[-=+]+\+?$|\|.* \| .*\|$)")


def _escape_line(line: str) -> str:
    stripped = line.strip()
    if "|" not in line and "_" not in line:
        return line
    if _STRUCTURE.match(stripped):
        return line
    parts = _QUOTED.split(line)
    return "".join(p if i % 2 else _escape_text(p) for i, p in enumerate(parts))


def _escape_text(text: str) -> str:
    # not before " : " (a napoleon parameter line such as "lambda_ : float"; napoleon escapes it)
    text = re.sub(r"(?<=\w)_(?![\w\\])(?!\s+:\s)", r"\\_", text)
    return re.sub(r"(?<!\\)\|", r"\\|", text)


def escape_plaintext(app, what, name, obj, options, lines):
    lines[:] = [_escape_line(line) for line in lines]


def setup(app):
    app.setup_extension("sphinx.ext.autodoc")
    app.connect("autodoc-process-docstring", escape_plaintext, priority=100)  # before napoleon (500)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
