"""Figures and tables of the deformed-Wigner chapter.

Each figure function takes the plain results of one function of :mod:`rmtlib.experiments.deformed`
and returns a new matplotlib figure (theory curves come from ``rmtlib.models``); each ``*_table``
function returns ``(header, rows)`` for :func:`rmtlib.compendium.tables.show_table`.
"""

from __future__ import annotations

import math

import numpy as np

from rmtlib import laws
from rmtlib.compendium import plotting
from rmtlib.experiments.deformed import BULK_TITLES
from rmtlib.models import deformed, spiked

__all__ = ["bulk", "growing", "growing_table", "network_table", "outliers", "rectangular", "universality",
           "universality_table"]


def _subplots(*args, **kwargs):
    import matplotlib.pyplot as plt  # optional dependency of the compendium

    return plt.subplots(*args, **kwargs)


def bulk(results, *, bins=70):
    """One panel per bulk case: the spectrum against ``SC ⊞ nu``, with the real-axis edges dotted.

    Parameters
    ----------
    results : dict
        From :func:`rmtlib.experiments.deformed.bulk_sweep`.
    bins : int
        Histogram bins of each panel.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, axes = _subplots(2, 2, figsize=(10, 6))
    for ax, (name, r) in zip(axes.ravel(), results.items()):
        plotting.compare(ax, r["eigenvalues"], r["law"], bins=bins, ks=r["ks"])
        for e in r["edges"]:
            ax.axvline(e, color="k", lw=0.6, ls=":")
        ax.set_title(BULK_TITLES[name])
    return fig


def outliers(res, *, grid=(2.7, 7.2)):
    """Outlier positions and squared overlaps against ``|theta|``: full-rank and finite-rank theory.

    Parameters
    ----------
    res : dict
        From :func:`rmtlib.experiments.deformed.outlier_experiment` (or ``outlier_sweep``).
    grid : (float, float)
        Range of ``|theta|`` of the theory curves.

    Returns
    -------
    matplotlib.figure.Figure
    """
    nu, s2 = res["nu"], res["variance"]
    t = np.linspace(*grid, 300)
    full = deformed.outliers(t, nu, variance=s2)
    naive = deformed.outliers(t, laws.PointMasses([0.0]), variance=s2)
    trap = [deformed.random_direction_outlier(x, nu, variance=s2) for x in t]
    th, sign = np.abs(res["thetas"]), np.sign(res["thetas"])
    fig, axes = _subplots(1, 2, figsize=(10, 3.6))
    axes[0].plot(t, full[0], color=plotting.THEORY_COLOR, label="full rank: θ + σ²G_ν(θ)")
    axes[0].plot(t, naive[0], "k--", lw=1, label="finite rank: θ + σ²/θ")
    axes[0].plot(t, trap, color="gray", lw=1, ls=":", label="random direction (not an eigenvalue of S)")
    axes[0].errorbar(th, sign * res["positions"].mean(0), yerr=res["positions"].std(0), fmt="o",
                     color=plotting.SAMPLE_COLOR, label="simulation")
    axes[0].axhline(deformed.bulk_edges(nu, variance=s2)[1], color="k", lw=0.6, ls=":")
    axes[0].set(xlabel="|θ|", ylabel="outlier |λ|")
    axes[1].plot(t, full[1], color=plotting.THEORY_COLOR, label="H'(θ)")
    axes[1].plot(t, naive[1], "k--", lw=1, label="1 − σ²/θ²")
    axes[1].plot(th, res["overlaps"].mean(0), "o", color=plotting.SAMPLE_COLOR, label="simulation")
    axes[1].set(xlabel="|θ|", ylabel="squared overlap")
    for ax in axes:
        ax.legend()
    return fig


def growing(grow):
    """Log-log decay of the outlier error (separated) and of the cluster sd (coincident), with fits.

    Parameters
    ----------
    grow : dict
        From :func:`rmtlib.experiments.deformed_growing.growing_sweep`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, axes = _subplots(1, 2, figsize=(10, 3.8))
    for ax, arr in zip(axes, ("separated", "coincident")):
        for k, ((a, al), g) in enumerate((key, g) for key, g in grow.items() if key[0] == arr):
            f, color = g["fit"], f"C{k}"
            ax.loglog(g["n"], g["error"], "o", color=color, ms=4, alpha=0.7)
            xs = np.array([g["n"].min(), g["n"].max()], float)
            ax.loglog(xs, np.exp(f["intercept"]) * xs ** f["slope"], color=color,
                      label=f"α={al:g}: slope {f['slope']:.2f} [{f['low']:.2f}, {f['high']:.2f}]")
            if arr == "coincident":
                ax.loglog(g["n"], g["prediction"], "x", color=color, ms=5)
        ax.set(xlabel="N", ylabel="mean |λ − H(θ)|" if arr == "separated" else "cluster sd (×: prediction)",
               title=arr)
        ax.legend(fontsize=8, loc="best")
    return fig


def growing_table(grow):
    """Fitted and predicted slopes of :func:`rmtlib.experiments.deformed_growing.growing_sweep`.

    Returns
    -------
    header, rows : list of str, list of tuple
    """
    rows = [(arr, al, g["fit"]["slope"], (g["fit"]["low"], g["fit"]["high"]), g["predicted_slope"])
            for (arr, al), g in grow.items()]
    return ["arrangement", "α", "slope", "95% CI", "predicted"], rows


def universality(uni, *, bins=30):
    """Histograms of ``sqrt(N) (lambda - H(theta))`` per entry law, with the derived Gaussian limits.

    Parameters
    ----------
    uni : dict
        From :func:`rmtlib.experiments.deformed_universality.universality_sweep`.
    bins : int
        Histogram bins.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = _subplots(figsize=(7, 3.6))
    xs = np.linspace(-5, 5, 300)
    for k, (name, u) in enumerate(uni.items()):
        ax.hist(u["scaled"], bins=bins, density=True, histtype="step", color=f"C{k}", label=name)
        sd = math.sqrt(u["variance_pred"])
        ax.plot(xs, np.exp(-xs**2 / (2 * sd**2)) / math.sqrt(2 * math.pi * sd**2), color=f"C{k}", lw=1)
    ax.set(xlabel="√N (λ − H(θ))", ylabel="density")
    ax.legend()
    return fig


def universality_table(uni):
    """Per entry law: kappa_4, the measured variance of sqrt(N) lambda with its standard error over
    groups, the derived, Gaussian-entry and finite-rank variances.

    Returns
    -------
    header, rows : list of str, list of tuple
    """
    rows = [(name, u["kappa4"], float(u["group_variances"].mean()),
             float(u["group_variances"].std(ddof=1) / math.sqrt(u["group_variances"].size)), u["variance_pred"],
             u["variance_gauss"], u["variance_finite_rank"]) for name, u in uni.items()]
    return ["entries", "κ₄", "N Var(λ)", "± se", "derived", "Gaussian entries", "finite rank"], rows


def rectangular(rect):
    """Outlier singular values and left/right squared overlaps of rank-one spikes against the theory.

    Parameters
    ----------
    rect : dict
        From :func:`rmtlib.experiments.pruning.rect_experiment`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    tg = np.linspace(0.05, max(rect["thetas"]) * 1.05, 300)
    ts, tu, tv = spiked.rect_spike(tg, ratio=rect["ratio"])
    fig, axes = _subplots(1, 2, figsize=(10, 3.6))
    axes[0].plot(tg, np.where(np.isnan(ts), rect["edge"], ts), color=plotting.THEORY_COLOR,
                 label="BGN prediction / bulk edge")
    axes[0].errorbar(rect["thetas"], rect["s"].mean(0), yerr=rect["s"].std(0), fmt="o",
                     color=plotting.SAMPLE_COLOR, label="simulation")
    axes[0].set(xlabel="θ", ylabel="singular value")
    axes[1].plot(tg, np.nan_to_num(tu), color=plotting.THEORY_COLOR, label="left (N side)")
    axes[1].plot(tg, np.nan_to_num(tv), color="k", ls="--", label="right (M side)")
    axes[1].plot(rect["thetas"], rect["ov_u"].mean(0), "o", color=plotting.SAMPLE_COLOR)
    axes[1].plot(rect["thetas"], rect["ov_v"].mean(0), "s", color=plotting.SAMPLE_COLOR, mfc="none")
    axes[1].set(xlabel="θ", ylabel="squared overlap")
    for ax in axes:
        ax.legend()
    return fig


def network_table(net):
    """Test accuracy (mean ± sd over seeds), parameters and final ranks of the dense and pruned networks.

    Parameters
    ----------
    net : dict
        From :func:`rmtlib.experiments.pruning.network_pruning`.

    Returns
    -------
    header, rows : list of str, list of tuple
    """
    ranks = {k: "; ".join(str(r[f"{k}_ranks"]) for r in net["runs"]) for k in ("one_shot", "gradual")}
    rows = [(k, f"{net['accuracy'][k]:.4f} ± {net['accuracy_sd'][k]:.4f}", round(net["params"][k]),
             ranks.get(k, "—")) for k in ("dense", "one_shot", "gradual")]
    return ["network", "test accuracy", "parameters", "final ranks (per seed)"], rows
