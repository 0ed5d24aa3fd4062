"""Figures of the free-probability toolkit chapter: each case's simulated spectrum against its law."""

from __future__ import annotations

from rmtlib.compendium import plotting
from rmtlib.compendium.figures import layout

__all__ = ["PANELS", "spectra"]

PANELS = {
    "semicircle": ("GOE: semicircle", None),
    "mp_half": ("MP, ratio 1/2", None),
    "mp_two": ("MP, ratio 2 (atom at 0)", None),
    "deformed": ("GOE + diag(±1)", "semicircle ⊞ two-point"),
    "wishart_prod": ("W₁W₂: product of Wishart matrices", "MP(1/2) ⊠ MP(2)"),
    "mp_two_point": ("sample covariance, population eigenvalues 1 and 4", "MP(1/2) ⊠ two-point"),
}
"""Per case, the panel title and the legend label of the theory curve (a label of None reads "theory")."""


def spectra(results, *, bins):
    """Draw one panel per case: the histogram of its eigenvalues against its law, with the KS distance.

    Parameters
    ----------
    results : iterable of dict
        Results of :func:`rmtlib.experiments.toolkit.judge` (the values of
        :func:`rmtlib.experiments.toolkit.run`), one panel each, in order: the first matrix's
        eigenvalues against the law the checks compare with.
    bins : int
        Number of histogram bins of each panel.

    Returns
    -------
    matplotlib.figure.Figure
        At most two panels per row at book width, the KS distance in each panel's title and one
        legend for all panels (in the spare slot of an incomplete row, else below the panels).
    """
    results = list(results)
    single = len(results) == 1
    fig, axes, spare = layout.grid(len(results), row_height=3.0 if single else 2.8,
                                   extra_height=0.5 if single else 0.0)
    for ax, result in zip(axes, results):
        title, label = PANELS[result["case"]]
        plotting.compare(ax, result["eigenvalues"], result["law"], bins=bins, label=label)
        layout.ks_title(ax, title, result["ks"])
    layout.shared_legend(fig, axes, spare=spare, ncols=2 if single else None)
    return layout.finish(fig)
