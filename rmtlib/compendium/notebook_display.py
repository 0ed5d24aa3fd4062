"""How checks show in a notebook kernel: one box per cell, glue names tracked, plain numbers.

:mod:`rmtlib.compendium.checks` queues the checks a cell records (:data:`PENDING`); when the cell
ends (IPython's ``post_execute`` event) :func:`flush` shows them as one collapsible box
(:func:`rmtlib.compendium.formatting.check_box_html`) whose metadata holds the records, so that the
execution machinery can merge the boxes of a section. :func:`install` sets this up, with two helpers
of the book's glue: numpy scalars displayed as plain numbers, and the names already glued.
"""

from __future__ import annotations

from dataclasses import asdict

from rmtlib.compendium import formatting

__all__ = ["GLUED", "PENDING", "in_kernel", "publish", "flush", "install"]


def in_kernel() -> bool:
    """Whether this code runs in a Jupyter kernel (IPython with a kernel attached)."""
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
    if not in_kernel():
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


GLUED: set = set()
"""Names glued in this kernel since rmtlib.checks was imported (recorded by :func:`install`)."""


def _track_glue() -> None:
    """Record the name of every glue published in the kernel, so a check does not glue it twice.

    A notebook that glues ``x`` itself and then calls ``report.check("x", ...)`` would otherwise
    glue ``x`` twice, which myst-nb reports as a duplicate key (a build warning).
    """
    if not in_kernel():
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
            GLUED.add(name)
        return original(*args, **kwargs)

    pub.publish = publish
    pub._rmtlib_tracked = True


PENDING: list = []
"""Checks recorded in the running cell, shown as one box when the cell ends (:func:`flush`)."""


def publish(html: str, text: str, metadata: dict | None = None) -> None:
    from IPython.display import display

    display({"text/html": html, "text/plain": text}, raw=True, metadata=metadata or {})


def flush(*_args) -> None:
    """Show the checks recorded by the cell that just ran as one collapsible box."""
    if not PENDING:
        return
    pending = list(PENDING)
    PENDING.clear()
    publish(formatting.check_box_html(pending), formatting.check_box_text(pending),
             {"rmtlib": {"checks": [asdict(c) for c in pending]}})


def _register_flush() -> None:
    """Show each cell's checks when the cell ends (the ``post_execute`` event of the kernel)."""
    if not in_kernel():
        return
    from IPython import get_ipython

    events = get_ipython().events
    if flush not in events.callbacks["post_execute"]:
        events.register("post_execute", flush)


def install() -> None:
    """Install the kernel hooks (nothing outside a kernel; idempotent)."""
    _plain_numpy_scalars()
    _track_glue()
    _register_flush()
