"""Figures and tables of the products chapter's trained-network section.

Each function takes the results of :mod:`rmtlib.experiments.products_network` and returns a new
matplotlib figure at book width (at most two panels per row, legends outside the data) or
``(header, rows)`` for :func:`rmtlib.compendium.tables.show_table`.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from rmtlib.compendium import plotting
from rmtlib.compendium.figures import layout
from rmtlib.experiments import fitting, network_fits, network_spectra

__all__ = ["NAMES", "SHOWN", "STAGE_NAMES", "heldout_table", "overlays", "size_table", "stage_histograms",
           "summary_table"]

SHOWN = ("semicircle_atom", "mp_atom", "wishart_chain", "shifted_mp", "sandwich")
"""The families drawn over the held-out histograms."""

NAMES = {"hessian": "Hessian", "ggn": "Gauss–Newton"}
"""Panel name of each matrix."""

STAGE_NAMES = {"init": "initialisation", "mid": "mid-training", "end": "end of training"}
"""Panel name of each training stage."""


def stage_histograms(result):
    """``log10 |lambda|`` of the exact Hessian and GGN spectra (pooled over seeds) at the three stages.

    Parameters
    ----------
    result : dict
        From :func:`rmtlib.experiments.products_network.networks` (its smallest, exact network).

    Returns
    -------
    matplotlib.figure.Figure
        One row per stage, the Hessian on the left and the Gauss–Newton matrix on the right, a shared
        x axis; a zero eigenvalue is drawn at -20, and the mean fraction of exact zeros (below the zero
        tolerance of :func:`rmtlib.experiments.network_spectra.summary`) is in each title.
    """
    stages, mats = network_spectra.STAGES, ("hessian", "ggn")
    fig, axes, _ = layout.grid(len(stages) * len(mats), row_height=2.4, sharex=True)
    for i, ax in enumerate(axes):
        st, mat = stages[i // len(mats)], mats[i % len(mats)]
        ev = np.concatenate([r["nets"][0]["spectra"][st][mat] for r in result["runs"]])
        ax.hist(np.log10(np.maximum(np.abs(ev), 1e-20)), bins=80, color=plotting.SAMPLE_COLOR)
        zero = np.mean([s["zero"] for s in result["summary"][0][st][mat]])
        ax.set_title(f"{NAMES[mat]}, {STAGE_NAMES.get(st, st)}\nexact zeros {zero:.3f}")
        if i < len(axes) - len(mats):
            ax.tick_params(labelbottom=False)
        else:
            ax.set_xlabel(r"$\log_{10}|\lambda|$")
        if i % len(mats) == 0:
            ax.set_ylabel("count")
    return layout.finish(fig)


def overlays(result, compared, keys=("hessian_end", "ggn_end")):
    """Fitted densities (fold 0) over the histogram of the held-out fold's non-zero eigenvalues.

    Parameters
    ----------
    result : dict
        From :func:`rmtlib.experiments.products_network.networks`.
    compared : dict
        From :func:`rmtlib.experiments.products_network.comparison`.
    keys : sequence of str
        The spectra shown, one panel each (``"<matrix>_<stage>"``).

    Returns
    -------
    matplotlib.figure.Figure
        Two panels per row, the continuous parts normalised to area 1, the vertical axis cut at 1.6 times
        the histogram's peak; each panel's legend below it gives each family's fitted atom and held-out KS.
    """
    fig, axes, _ = layout.grid(len(keys), row_height=4.6)
    tables = network_fits.family_tables(perc_size=200, rng=0)  # shapes for the densities (perc not shown)
    for ax, key in zip(axes, keys):
        mat, st = key.split("_")
        runs = result["runs"][1::2]
        ev = np.concatenate([fitting.prepare_spectrum(r["nets"][0]["spectra"][st][mat]) for r in runs])
        rest = ev[ev != 0]
        lo, hi = np.quantile(rest, [0.01, 0.97])
        heights, _, _ = ax.hist(rest, bins=np.linspace(lo, hi, 70), density=True, color="0.75",
                                label="held-out fold")
        grid = np.linspace(lo, hi, 600)
        for family in SHOWN:
            fit = compared[key]["fits"][family][0]
            tab = tables[family][fit["shape"]]
            ks = compared[key]["heldout"][family]["full"][1::2].mean()
            ax.plot(grid, tab.density(grid, fit["scale"], fit["shift"]),
                    label=f"{family}: atom {fit['atom']:.2f}, KS {ks:.3f}")
        ax.set_ylim(0, 1.6 * heights.max())
        ax.set_title(f"{NAMES[mat]}, {STAGE_NAMES.get(st, st)}\nexact zeros {np.mean(ev == 0):.3f}")
        ax.set_xlabel(r"eigenvalue $\lambda$")
        ax.ticklabel_format(axis="both", style="sci", scilimits=(-2, 3))
        layout.legend_below(ax)
    axes[0].set_ylabel("density")
    return layout.finish(fig)


def _interval(values):
    v = np.asarray(values, float)
    half = stats.t.ppf(0.975, v.size - 1) * v.std(ddof=1) / np.sqrt(v.size)
    return f"{v.mean():.3f} ± {half:.3f}"


def heldout_table(compared):
    """``(header, rows)``: per spectrum and family, held-out full KS, continuous KS and atom error (mean ± 95%)."""
    header = ["spectrum", "family", "parameters", "full KS", "continuous KS", "atom error"]
    rows = []
    for key, res in compared.items():
        rows.append([key, "other fold's spectrum", "—", _interval(res["pool"]), "—", "—"])
        for family, n in network_fits.FAMILIES.items():
            h = res["heldout"][family]
            rows.append([key, family, n, _interval(h["full"]), _interval(h["continuous"]), _interval(h["atom_err"])])
    return header, rows


def size_table(result):
    """``(header, rows)``: per width, P, method, GGN rank bound, zero / near-zero masses, Hessian negatives (end)."""
    header = ["hidden", "P", "spectra", "GGN bound 1 - n(C-1)/P", "GGN zeros (exact) or SLQ weight at 0",
              "GGN near zero (< 1e-3 max)", "Hessian negative"]
    rows = []
    for size, summ, bounds in zip(result["sizes"], result["summary"], result["bounds"]):
        g, h = summ["end"]["ggn"], summ["end"]["hessian"]
        rows.append([size["hidden"], size["P"], "exact" if size["exact"] else "SLQ", f"{np.mean(bounds):.3f}",
                     _interval([x["zero"] for x in g]), _interval([x["near"] for x in g]),
                     _interval([x["negative"] for x in h])])
    return header, rows


def summary_table(compared):
    """``(header, rows)``: held-out full KS (mean ± 95 %) of every family (rows) on every spectrum (columns)."""
    keys = list(compared)
    rows = [["other fold's spectrum", "—", *(_interval(compared[k]["pool"]) for k in keys)]]
    rows += [[family, n, *(_interval(compared[k]["heldout"][family]["full"]) for k in keys)]
             for family, n in network_fits.FAMILIES.items()]
    return ["family", "parameters", *keys], rows
