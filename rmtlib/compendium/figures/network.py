"""Figures and tables of the products chapter's trained-network section.

Each function takes the results of :mod:`rmtlib.experiments.products_network` and returns a new
matplotlib figure or ``(header, rows)`` for :func:`rmtlib.compendium.tables.show_table`.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from rmtlib.experiments import fitting, network_fits, network_spectra

__all__ = ["heldout_table", "overlays", "size_table", "stage_histograms", "summary_table"]

SHOWN = ("semicircle_atom", "mp_atom", "wishart_chain", "shifted_mp", "sandwich")


def _subplots(*args, **kwargs):
    import matplotlib.pyplot as plt  # optional dependency of the compendium

    return plt.subplots(*args, **kwargs)


def stage_histograms(result):
    """``log10 |lambda|`` of the exact Hessian and GGN spectra (pooled over seeds) at the three stages."""
    fig, axes = _subplots(2, 3, figsize=(12, 5.5), sharex=True)
    for row, mat in enumerate(("hessian", "ggn")):
        for col, st in enumerate(network_spectra.STAGES):
            ev = np.concatenate([r["nets"][0]["spectra"][st][mat] for r in result["runs"]])
            ax = axes[row, col]
            ax.hist(np.log10(np.maximum(np.abs(ev), 1e-20)), bins=80)
            zero = np.mean([s["zero"] for s in result["summary"][0][st][mat]])
            ax.set_title(f"{mat.upper()}, {st}: exact zeros {zero:.3f}")
            ax.set_xlabel(r"$\log_{10}|\lambda|$")
    return fig


def overlays(result, compared, keys=("hessian_end", "ggn_end")):
    """Fitted densities (fold 0) over the histogram of the held-out fold's non-zero eigenvalues."""
    fig, axes = _subplots(1, len(keys), figsize=(6 * len(keys), 4))
    tables = network_fits.family_tables(perc_size=200, rng=0)  # shapes for the densities (perc not shown)
    for ax, key in zip(np.atleast_1d(axes), keys):
        mat, st = key.split("_")
        runs = result["runs"][1::2]
        ev = np.concatenate([fitting.prepare_spectrum(r["nets"][0]["spectra"][st][mat]) for r in runs])
        rest = ev[ev != 0]
        lo, hi = np.quantile(rest, [0.01, 0.97])
        ax.hist(rest, bins=np.linspace(lo, hi, 70), density=True, color="0.8", label="held-out fold")
        grid = np.linspace(lo, hi, 600)
        for family in SHOWN:
            fit = compared[key]["fits"][family][0]
            tab = tables[family][fit["shape"]]
            ax.plot(grid, tab.density(grid, fit["scale"], fit["shift"]),
                    label=f"{family} (atom {fit['atom']:.2f}, KS {compared[key]['heldout'][family]['full'][1::2].mean():.3f})")
        ax.set_title(f"{key}: exact zeros {np.mean(ev == 0):.3f} (continuous parts renormalised)")
        ax.set_xlabel(r"$\lambda$")
        ax.legend(fontsize=7)
    return fig


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
