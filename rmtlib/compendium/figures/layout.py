"""Figure layout shared by the chapters: grids of at most two panels per row at book width, legends
that hide no data, and a floor on font sizes.

The book's text column is about 692 px wide and figures are drawn at :data:`WIDTH` inches; at the
house resolution (110 dpi) a figure is shown at about 0.9 of its pixel size, so a font of
:data:`MIN_FONT` points renders at about 9 CSS points. :func:`finish` raises every text of a
figure to at least that size.
"""

from __future__ import annotations

import math
import re

__all__ = ["WIDTH", "MIN_FONT", "grid", "subplots", "shared_handles", "shared_legend", "legend_below", "ks_title",
           "finish"]

WIDTH = 7.0
"""Width of a book figure in inches (two panels per row)."""

MIN_FONT = 9.0
"""Smallest font size, in points, of any text of a book figure."""

_N_LABEL = re.compile(r" \(n = \d+\)$")


def grid(panels, *, row_height=2.7, ncols=2, width=WIDTH, extra_height=0.0, **kwargs):
    """A constrained-layout figure with ``panels`` axes, at most ``ncols`` per row.

    Parameters
    ----------
    panels : int
        Number of axes wanted.
    row_height : float
        Height of one row of panels in inches.
    ncols : int
        Panels per row (at most two at book width).
    width : float
        Figure width in inches.
    extra_height : float
        Inches added for a legend below the panels.
    **kwargs
        ``sharex=True`` or ``sharey=True``: the panels share that axis with the first.

    Returns
    -------
    (matplotlib.figure.Figure, list of matplotlib.axes.Axes, matplotlib.gridspec.SubplotSpec or None)
        The figure, its ``panels`` axes in reading order, and the empty slot of an incomplete last
        row (a place for the legend, see :func:`shared_legend`) or ``None``.
    """
    import matplotlib.pyplot as plt  # optional dependency of the compendium

    ncols = max(1, min(ncols, panels))
    nrows = math.ceil(panels / ncols)
    fig = plt.figure(figsize=(width, row_height * nrows + extra_height), layout="constrained")
    axes, spare = subplots(fig, panels, ncols=ncols, **kwargs)
    return fig, axes, spare


def subplots(fig, panels, *, ncols=2, **kwargs):
    """``panels`` axes on a grid of ``ncols`` columns of ``fig`` (a figure or subfigure).

    ``sharex=True`` / ``sharey=True`` share that axis with the first panel (inner y tick labels hidden).

    Returns the axes in reading order and the empty slot of an incomplete last row (a
    ``SubplotSpec``, no axes is created there) or ``None``.
    """
    ncols = max(1, min(ncols, panels))
    nrows = math.ceil(panels / ncols)
    spec = fig.add_gridspec(nrows, ncols)
    axes = []
    for i in range(panels):
        share = {key: axes[0] for key in ("sharex", "sharey") if kwargs.get(key) and axes}
        axes.append(fig.add_subplot(spec[i // ncols, i % ncols], **share))
        if kwargs.get("sharey") and i % ncols:
            axes[-1].tick_params(labelleft=False)
    spare = spec[nrows - 1, panels % ncols:] if panels % ncols else None
    return axes, spare


def shared_handles(axes):
    """Unique (handle, label) pairs of the artists of ``axes``, in order; removes their legends."""
    handles, labels = [], []
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            if label not in labels:
                handles.append(handle)
                labels.append(label)
        if ax.get_legend() is not None:
            ax.get_legend().remove()
    simulation = [label for label in labels if label.startswith("simulation")]
    if len(simulation) > 1:  # sample sizes differ between panels: one entry, without n
        keep = [i for i, label in enumerate(labels) if not label.startswith("simulation")]
        first = labels.index(simulation[0])
        keep = sorted(keep + [first])
        handles = [handles[i] for i in keep]
        labels = [_N_LABEL.sub("", labels[i]) for i in keep]
    return handles, labels


def shared_legend(fig, axes, *, spare=None, handles=None, labels=None, ncols=None):
    """One legend for all ``axes``: in the empty slot of the grid if there is one, else below.

    The legends the panels drew are removed, so no legend covers data.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    axes : sequence of matplotlib.axes.Axes
    spare : matplotlib.gridspec.SubplotSpec, optional
        An empty slot of the grid of ``fig``: the legend is centred in it.
    handles, labels : list, optional
        The entries (default: every labelled artist of ``axes``, each label once).
    ncols : int, optional
        Legend columns below the panels (default: up to 3).
    """
    found_handles, found_labels = shared_handles(axes)
    handles = found_handles if handles is None else handles
    labels = found_labels if labels is None else labels
    if not handles:
        return None
    if spare is not None:
        return fig.legend(handles, labels, loc="center", frameon=False, bbox_to_anchor=spare.get_position(fig),
                          bbox_transform=fig.transSubfigure)
    return fig.legend(handles, labels, loc="outside lower center", frameon=False,
                      ncols=ncols or min(3, len(handles)))


def legend_below(ax, *, ncols=1, **kwargs):
    """The legend of one axes, below it (outside the data area)."""
    return ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), frameon=False, ncols=ncols, **kwargs)


def ks_title(ax, title, ks):
    """Title a panel, with the KS distance of its sample on a line of its own below the title."""
    statistic = float(getattr(ks, "statistic", ks))
    ax.set_title(title, pad=6 + 1.6 * MIN_FONT)
    ax.annotate(f"KS = {statistic:.3g}", xy=(0.5, 1.0), xycoords="axes fraction", xytext=(0, 3),
                textcoords="offset points", ha="center", va="bottom", fontsize=MIN_FONT + 0.5)


def finish(fig, *, min_font=MIN_FONT):
    """Raise every text of ``fig`` (ticks, labels, titles, legends) to at least ``min_font`` points."""
    from matplotlib.text import Text

    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            ticks = axis.get_major_ticks() + axis.get_minor_ticks()
            if ticks and ticks[0].label1.get_fontsize() < min_font:
                axis.set_tick_params(which="both", labelsize=min_font)
    for text in fig.findobj(Text):
        if text.get_text() and text.get_fontsize() < min_font:
            text.set_fontsize(min_font)
    return fig
