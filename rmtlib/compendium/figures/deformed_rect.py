"""Figures and tables of the deformed chapter's section on eq. (1.1) with a full-rank ``S``.

Each function takes the plain results of one function of :mod:`rmtlib.experiments.rect_fullrank` (or
:mod:`rmtlib.experiments.pruning`) and returns a matplotlib figure or ``(header, rows)`` for
:func:`rmtlib.compendium.tables.show_table`.
"""

from __future__ import annotations

import textwrap

import numpy as np

from rmtlib import laws
from rmtlib.compendium import plotting
from rmtlib.compendium.figures import layout
from rmtlib.experiments.rect_fullrank import CASES, RATIO, SPIKE_BULK
from rmtlib.models import rectangular as rect

__all__ = ["TITLES", "density", "growing_table", "layer_spectra", "outlier_table", "outliers", "pruning_table",
           "threshold_table"]

TITLES = {"uniform": "H: quantile grid of U[0.25, 2.25]",
          "two_point": r"$H = \frac{1}{2}(\delta_{0.5} + \delta_3)$",
          "sv_grid": "√H: quantile grid of U[0.5, 1.5]"}
"""Short panel title of each case (``CASES`` of :mod:`rmtlib.experiments.rect_fullrank`); ``H`` is the
law of the eigenvalues of ``SᵀS``."""


def density(res, *, bins=70):
    """One panel per case: the eigenvalues of ``W^T W`` against the information-plus-noise law.

    Parameters
    ----------
    res : dict
        From :func:`rmtlib.experiments.rect_fullrank.density_sweep`.
    bins : int
        Histogram bins of each panel.

    Returns
    -------
    matplotlib.figure.Figure
        Two panels per row, the split KS distance under each title, Marchenko-Pastur dotted, and one
        legend in the spare slot of the grid (or below the panels).
    """
    fig, axes, spare = layout.grid(len(res), row_height=3.0, extra_height=0.0 if len(res) % 2 else 0.4)
    for ax, (name, r) in zip(axes, res.items()):
        plotting.compare(ax, r["eigenvalues"], r["law"], bins=bins, label="information-plus-noise law")
        ax.plot(*_mp_curve(r["eigenvalues"]), color="k", ls=":", lw=1.2, label="MP (S = 0)")
        layout.ks_title(ax, TITLES.get(name) or textwrap.fill(CASES[name], 36), r["ks"])
        ax.set_xlabel("eigenvalue of WᵀW")
    layout.shared_legend(fig, axes, spare=spare)
    return layout.finish(fig)


def _mp_curve(values):
    x = np.linspace(0.0, float(np.max(values)), 400)
    return x, laws.MarchenkoPastur(RATIO, variance=1.0).density(x)


def outliers(res):
    """Outlier eigenvalues and right overlaps against the spike: full-rank theory, finite-rank formula, MC.

    Parameters
    ----------
    res : dict
        From :func:`rmtlib.experiments.rect_fullrank.outlier_experiment`.

    Returns
    -------
    matplotlib.figure.Figure
        Positions (left) and overlaps (right) side by side, one legend below.
    """
    grid = np.linspace(2.4, 1.05 * res["spikes"].max(), 300)
    pos, ov = rect.rect_fullrank_outliers(grid, SPIKE_BULK, ratio=RATIO)
    fpos, fov = rect.rect_fullrank_outliers(grid, laws.PointMasses([0.0]), ratio=RATIO)
    fig, axes, _ = layout.grid(2, row_height=3.0, extra_height=0.6)
    axes[0].plot(grid, pos, color=plotting.THEORY_COLOR, label="full rank: information-plus-noise")
    axes[0].plot(grid, fpos, color="k", ls="--", label="finite rank (H = δ₀)")
    axes[0].axhline(res["edge"], color="k", lw=0.6, ls=":", label="bulk edge")
    axes[0].errorbar(res["spikes"], res["positions"].mean(0), yerr=res["positions"].std(0), fmt="o",
                     color=plotting.SAMPLE_COLOR, label="simulation (mean; bars: sd over draws)")
    axes[0].set(xlabel="spike θ (eigenvalue of SᵀS)", ylabel="outlier eigenvalue of WᵀW")
    axes[1].plot(grid, ov, color=plotting.THEORY_COLOR)
    axes[1].plot(grid, fov, color="k", ls="--")
    axes[1].errorbar(res["spikes"], res["overlaps"].mean(0), yerr=res["overlaps"].std(0), fmt="o",
                     color=plotting.SAMPLE_COLOR)
    axes[1].set(xlabel="spike θ", ylabel="squared right overlap")
    layout.shared_legend(fig, axes, ncols=2)
    return layout.finish(fig)


def outlier_table(res):
    """Spike, theory and MC (mean ± sd) positions and overlaps, and the finite-rank predictions."""
    header = ["θ", "position (theory)", "position (MC)", "finite rank", "overlap (theory)", "overlap (MC)",
              "finite rank"]
    rows = []
    for j, th in enumerate(res["spikes"]):
        p, o = res["positions"][:, j], res["overlaps"][:, j]
        rows.append([f"{th:g}", f"{res['theory_positions'][j]:.4f}", f"{p.mean():.4f} ± {p.std(ddof=1):.4f}",
                     f"{res['finite_rank_positions'][j]:.4f}", f"{res['theory_overlaps'][j]:.4f}",
                     f"{o.mean():.4f} ± {o.std(ddof=1):.4f}", f"{res['finite_rank_overlaps'][j]:.4f}"])
    return header, rows


def growing_table(res):
    """Per alpha: k at each size, mean errors, fitted slope ± standard error."""
    header = ["α", "N", "k", "mean error", "slope ± se"]
    rows = []
    for al, g in res.items():
        for n, k, e in zip(g["sizes"], g["k"], g["per_size"]):
            rows.append([f"{al:g}", n, k, f"{np.mean(e):.4f}", f"{g['fit']['slope']:.3f} ± {g['fit']['stderr']:.3f}"])
    return header, rows


THRESHOLD_NAMES = {"mp_known": "MP edge, σ² known", "mp_bema": "MP edge, σ² by BEMA",
                   "ipn": "information-plus-noise edge"}


def threshold_table(res):
    """Per threshold: singular-value threshold, kept rank and recovery errors (mean ± sd over draws)."""
    header = ["threshold", "value", "kept rank", "‖Ŝ − S_spikes‖/‖S_spikes‖", "‖Ŝ − S‖/‖S‖"]
    rows = []
    for name, m in res["methods"].items():
        rows.append([THRESHOLD_NAMES[name], f"{m['threshold'].mean():.4f}", f"{m['rank'].mean():.2f}",
                     f"{m['spike_error'].mean():.4f} ± {m['spike_error'].std(ddof=1):.4f}",
                     f"{m['full_error'].mean():.4f} ± {m['full_error'].std(ddof=1):.4f}"])
    return header, rows


def pruning_table(net):
    """Accuracy mean ± sd over seeds and parameter fraction of each arm of the pruning experiment."""
    header = ["arm", "epochs", "test accuracy (mean ± sd)", "parameters kept"]
    rows = []
    for arm, label in net["arms"].items():
        acc = net["accuracies"][arm]
        rows.append([label, net["epochs"][arm], f"{acc.mean():.4f} ± {acc.std(ddof=1):.4f}",
                     f"{net['param_fractions'][arm]:.2f}"])
    return header, rows


def layer_spectra(spec, *, bins=60):
    """Each trained hidden layer's squared singular values against the MP and information-plus-noise fits.

    Parameters
    ----------
    spec : dict
        From :func:`rmtlib.experiments.rect_pruning.pruning_study` (its ``layers``).
    bins : int
        Histogram bins of each panel.

    Returns
    -------
    matplotlib.figure.Figure
        Two panels per row, each panel's legend (the fitted noise levels) below it.
    """
    layers = spec["layers"]
    fig, axes, _ = layout.grid(len(layers), row_height=3.6)
    for ax, layer in zip(axes, layers):
        lam = layer["eigenvalues"]
        ax.hist(lam, bins=bins, density=True, color=plotting.SAMPLE_COLOR, alpha=0.5, label="trained layer")
        x = np.linspace(0.0, float(np.max(lam)) * 1.05, 600)  # the whole spectrum: spikes included
        ax.plot(x, layer["mp"].density(x), color="k", ls="--", label=f"MP, σ² = {layer['mp_variance']:.3g} (BEMA)")
        ax.plot(x, layer["ipn"].density(x), color=plotting.THEORY_COLOR,
                label=f"info+noise, σ² = {layer['init_variance']:.3g} (init.)")
        ax.set(xlabel="eigenvalue of WᵀW (scaled)", ylabel="density", title=layer["name"], xlim=(0, x[-1]))
        layout.legend_below(ax)
    return layout.finish(fig)
