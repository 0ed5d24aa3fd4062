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
from rmtlib.compendium.figures import layout
from rmtlib.experiments.deformed import BULK_TITLES
from rmtlib.models import deformed, spiked

__all__ = ["LAW_NAMES", "bulk", "growing", "growing_table", "network_table", "outliers", "rectangular",
           "universality", "universality_table"]

LAW_NAMES = {"gaussian": "Gaussian", "rademacher": "Rademacher", "sparse_p0.5": "sparse Gaussian, p = 1/2",
             "student_t_nu5": "Student $t_5$"}
"""Legend name of each entry law of the universality experiment."""


def _proxy(**style):
    """A legend handle with the given line style, drawn nowhere."""
    from matplotlib.lines import Line2D

    return Line2D([], [], **style)


def _pair(*, extra_height):
    """Two panels side by side at book width, with room for a legend below them."""
    fig, axes, _ = layout.grid(2, row_height=3.0, extra_height=extra_height)
    return fig, axes


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
        Two panels per row, the split KS distance under each title and one legend below.
    """
    fig, axes, spare = layout.grid(len(results), row_height=2.8, extra_height=0.0 if len(results) % 2 else 0.4)
    for ax, (name, r) in zip(axes, results.items()):
        plotting.compare(ax, r["eigenvalues"], r["law"], bins=bins, label="SC ⊞ ν")
        for e in r["edges"]:
            ax.axvline(e, color="k", lw=0.8, ls=":", label="edges from the edge equation")
        layout.ks_title(ax, BULK_TITLES[name], r["ks"])
    layout.shared_legend(fig, axes, spare=spare)
    return layout.finish(fig)


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
        Positions (left) and overlaps (right) side by side, one legend below.
    """
    nu, s2 = res["nu"], res["variance"]
    t = np.linspace(*grid, 300)
    full = deformed.outliers(t, nu, variance=s2)
    naive = deformed.outliers(t, laws.PointMasses([0.0]), variance=s2)
    trap = [deformed.random_direction_outlier(x, nu, variance=s2) for x in t]
    th, sign = np.abs(res["thetas"]), np.sign(res["thetas"])
    fig, axes = _pair(extra_height=0.7)
    axes[0].plot(t, full[0], color=plotting.THEORY_COLOR, label="full rank: θ + σ²G_ν(θ); overlap H'(θ)")
    axes[0].plot(t, naive[0], "k--", lw=1, label="finite rank: θ + σ²/θ; overlap 1 − σ²/θ²")
    axes[0].plot(t, trap, color="gray", lw=1.2, ls=":", label="spike along a random direction (position)")
    axes[0].errorbar(th, sign * res["positions"].mean(0), yerr=res["positions"].std(0), fmt="o",
                     color=plotting.SAMPLE_COLOR, label="simulation (mean; bars: sd over draws)")
    axes[0].axhline(deformed.bulk_edges(nu, variance=s2)[1], color="k", lw=0.6, ls="-.", label="bulk edge")
    axes[0].set(xlabel="|θ|", ylabel="outlier |λ|")
    axes[1].plot(t, full[1], color=plotting.THEORY_COLOR)
    axes[1].plot(t, naive[1], "k--", lw=1)
    axes[1].plot(th, res["overlaps"].mean(0), "o", color=plotting.SAMPLE_COLOR)
    axes[1].set(xlabel="|θ|", ylabel="squared overlap")
    layout.shared_legend(fig, axes, ncols=2)
    return layout.finish(fig)


def growing(grow):
    """Log-log decay of the outlier error (separated) and of the cluster sd (coincident), with fits.

    Parameters
    ----------
    grow : dict
        From :func:`rmtlib.experiments.deformed_growing.growing_sweep`.

    Returns
    -------
    matplotlib.figure.Figure
        Side by side, each panel's legend (fitted slope and its 95% interval per alpha) below it.
    """
    fig, axes, _ = layout.grid(2, row_height=3.8)
    for ax, arr in zip(axes, ("separated", "coincident")):
        for k, ((a, al), g) in enumerate((key, g) for key, g in grow.items() if key[0] == arr):
            f, color = g["fit"], f"C{k}"
            ax.loglog(g["n"], g["error"], "o", color=color, ms=4, alpha=0.7)
            xs = np.array([g["n"].min(), g["n"].max()], float)
            ax.loglog(xs, np.exp(f["intercept"]) * xs ** f["slope"], color=color,
                      label=f"α = {al:g}: slope {f['slope']:.2f} [{f['low']:.2f}, {f['high']:.2f}]")
            if arr == "coincident":
                ax.loglog(g["n"], g["prediction"], "x", color=color, ms=6, mew=1.5)
        handles, labels = ax.get_legend_handles_labels()
        if arr == "coincident":
            handles.append(_proxy(color="k", marker="x", ls="none", ms=6, mew=1.5))
            labels.append("GOE$_k$ heuristic")
        layout.legend_below(ax, handles=handles, labels=labels)
        ax.set(xlabel="N", ylabel="mean |λ − H(θ)|" if arr == "separated" else "cluster sd", title=arr)
        _size_ticks(ax, np.unique(np.concatenate([g["n"] for g in grow.values()])))
    return layout.finish(fig)


def _size_ticks(ax, sizes):
    """Label a log x axis at the simulated sizes only, as plain integers."""
    from matplotlib.ticker import FixedFormatter, NullFormatter

    ax.set_xticks(sizes)
    ax.xaxis.set_major_formatter(FixedFormatter([f"{int(n)}" for n in sizes]))
    ax.xaxis.set_minor_formatter(NullFormatter())


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
        One panel; the legend (entry law and its fourth cumulant) below it.
    """
    fig, axes, _ = layout.grid(1, row_height=3.2, extra_height=0.6)
    ax = axes[0]
    xs = np.linspace(-5, 5, 300)
    for k, (name, u) in enumerate(uni.items()):
        ax.hist(u["scaled"], bins=bins, density=True, histtype="step", color=f"C{k}", lw=1.4,
                label=f"{LAW_NAMES.get(name, name)} (κ₄ = {u['kappa4']:g})")
        sd = math.sqrt(u["variance_pred"])
        ax.plot(xs, np.exp(-xs**2 / (2 * sd**2)) / math.sqrt(2 * math.pi * sd**2), color=f"C{k}", lw=1, ls="--")
    ax.set(xlabel="√N (λ − H(θ))", ylabel="density")
    handles, labels = layout.shared_handles([ax])
    handles.append(_proxy(color="k", lw=1, ls="--"))
    labels.append("derived Gaussian limit (same colour)")
    layout.shared_legend(fig, [ax], handles=handles, labels=labels, ncols=2)
    return layout.finish(fig)


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
        Singular values (left) and overlaps (right) side by side, one legend below.
    """
    tg = np.linspace(0.05, max(rect["thetas"]) * 1.05, 300)
    ts, tu, tv = spiked.rect_spike(tg, ratio=rect["ratio"])
    fig, axes = _pair(extra_height=0.7)
    axes[0].plot(tg, np.where(np.isnan(ts), rect["edge"], ts), color=plotting.THEORY_COLOR,
                 label="BGN theory (right panel: left overlap, N side)")
    axes[0].errorbar(rect["thetas"], rect["s"].mean(0), yerr=rect["s"].std(0), fmt="o",
                     color=plotting.SAMPLE_COLOR, label="simulated mean, bars: sd (right panel: left overlap)")
    axes[0].set(xlabel="θ", ylabel="singular value")
    axes[1].plot(tg, np.nan_to_num(tu), color=plotting.THEORY_COLOR)
    axes[1].plot(tg, np.nan_to_num(tv), color="k", ls="--", label="BGN theory, right overlap (M side)")
    axes[1].plot(rect["thetas"], rect["ov_u"].mean(0), "o", color=plotting.SAMPLE_COLOR)
    axes[1].plot(rect["thetas"], rect["ov_v"].mean(0), "s", color=plotting.SAMPLE_COLOR, mfc="none",
                 label="simulated mean, right overlap")
    axes[1].set(xlabel="θ", ylabel="squared overlap")
    layout.shared_legend(fig, axes, ncols=2)
    return layout.finish(fig)


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
