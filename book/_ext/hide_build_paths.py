"""Sphinx extension: module constants that are file system paths are documented without their value.

autodoc writes a module-level constant with its value (``ROOT = PosixPath('/home/…/rmt-dnn')``),
which would print the path of the machine that built the book. A constant whose value is a
``pathlib.PurePath`` keeps its docstring and loses its value; every other constant keeps both.
"""

from pathlib import PurePath

from sphinx.ext.autodoc import DataDocumenter


class PathlessDataDocumenter(DataDocumenter):
    """The data documenter, with ``:no-value:`` implied for path values."""

    def should_suppress_value_header(self) -> bool:
        return isinstance(self.object, PurePath) or super().should_suppress_value_header()


def setup(app):
    app.setup_extension("sphinx.ext.autodoc")
    app.add_autodocumenter(PathlessDataDocumenter, override=True)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
