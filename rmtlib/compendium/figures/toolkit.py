"""Figures of the free-probability toolkit chapter: each case's simulated spectrum against its law."""

from __future__ import annotations

from rmtlib.compendium import plotting

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
        One row of panels (the house size for a single case).
    """
    import matplotlib.pyplot as plt  # optional dependency of the compendium

    results = list(results)
    fig, axes = plt.subplots(1, len(results), figsize=(11, 3.4) if len(results) > 1 else None, squeeze=False)
    for ax, result in zip(axes[0], results):
        title, label = PANELS[result["case"]]
        plotting.compare(ax, result["eigenvalues"], result["law"], bins=bins,
                         ks=result["ks"], label=label)
        ax.set_title(title)
    return fig
