"""Figures of the Jacobian chapter: simulated spectra of J J^T against the limit law, KS against n,
moments against depth; and the chapter's table of the convergence sweep.
"""

from __future__ import annotations

import math

import numpy as np

from rmtlib.compendium import plotting

__all__ = ["LABELS", "RECT_TITLES", "activations", "convergence", "convergence_table", "densities", "depth_moments",
           "localized", "off_fixed_point", "rectangular", "universality_moments"]

LABELS = {"gaussian": "Gaussian", "rademacher": "Rademacher", "uniform": "uniform",
          "student_t:5": "Student $t_5$", "sparse:0.1": "sparse $p=0.1$", "student_t:3": "Student $t_3$",
          "pareto_symmetric:1.5": r"Pareto $\alpha=1.5$", "sparse_per_row:5": "sparse $p=5/n$"}
"""Legend name of each entry-law label."""

RECT_TITLES = {"relu": "ReLU, c = (1, 2, 1.5, 1)", "tanh": "tanh, c = (2/3, 4/3, 1)"}
"""Panel title of each rectangular case."""


def _subplots(*args, **kwargs):
    import matplotlib.pyplot as plt  # optional dependency of the compendium

    return plt.subplots(*args, **kwargs)


def densities(samples, laws, *, bins):
    """Histograms of one network per entry law against the limit density, one column per depth.

    Parameters
    ----------
    samples : dict
        :func:`rmtlib.experiments.jacobian_sections.density_samples` output, ``{L: {label: run}}``.
    laws : dict
        ``{L: JacobianLaw}``.
    bins : int
        Number of histogram bins.

    Returns
    -------
    matplotlib.figure.Figure
        Top row: the density on a linear axis; bottom row: ``x rho(x)`` on a log-x axis, where the
        singular small eigenvalues are visible.
    """
    depths = list(samples)
    fig, axes = _subplots(2, len(depths), figsize=(4.2 * len(depths), 6.4), squeeze=False)
    for j, L in enumerate(depths):
        top = laws[L].upper_edge
        grid_lin = np.linspace(0.002 * top, top, 600)
        grid_log = np.geomspace(1e-8 * top, top, 600)
        edges_lin = np.linspace(0, 1.02 * top, bins + 1)
        edges_log = np.geomspace(1e-8 * top, 1.02 * top, bins + 1)
        for label, run in samples[L].items():
            ev = run["eigenvalues"]
            h, _ = np.histogram(ev, bins=edges_lin, density=True)
            axes[0, j].stairs(h, edges_lin, label=f"{LABELS.get(label, label)} (KS {run['ks']:.3f})")
            hl, _ = np.histogram(ev, bins=edges_log)
            axes[1, j].stairs(hl / ev.size / np.diff(np.log(edges_log)), edges_log)
        axes[0, j].plot(grid_lin, laws[L].density(grid_lin), color=plotting.THEORY_COLOR, lw=2, label="theory")
        axes[0, j].set_ylim(0, 1.6 * float(np.max(laws[L].density(grid_lin[grid_lin > 0.05 * top]))))
        axes[1, j].plot(grid_log, grid_log * laws[L].density(grid_log), color=plotting.THEORY_COLOR, lw=2)
        axes[1, j].set_xscale("log")
        axes[0, j].set_title(f"L = {L}")
        axes[1, j].set_xlabel("eigenvalue x")
    axes[0, 0].set_ylabel(r"density $\rho(x)$")
    axes[1, 0].set_ylabel(r"$x\,\rho(x)$ (log-x axis)")
    axes[0, 0].legend(fontsize=7)
    return fig


def convergence(result, groups):
    """Mean KS (with standard errors) against n on log-log axes, with the fitted lines.

    Parameters
    ----------
    result : dict
        :func:`rmtlib.experiments.jacobian_sections.convergence` output.
    groups : list of (str, list of str)
        One panel per group: its title and its entry-law labels.

    Returns
    -------
    matplotlib.figure.Figure
    """
    ns = np.asarray(result["ns"], dtype=float)
    table, slopes = result["table"], result["slopes"]
    fig, axes = _subplots(1, len(groups), figsize=(11, 4), sharey=True, squeeze=False)
    for ax, (title, labels) in zip(axes[0], groups):
        for label in labels:
            mean = [table[label][n][0] for n in result["ns"]]
            err = [table[label][n][1] for n in result["ns"]]
            s = slopes[label]
            line = ax.errorbar(ns, mean, yerr=err, marker="o", ms=4, capsize=3, ls="none",
                               label=f"{LABELS.get(label, label)}: slope {s['slope']:.2f} "
                                     f"[{s['low']:.2f}, {s['high']:.2f}]")
            ax.plot(ns, np.exp(s["intercept"]) * ns ** s["slope"], color=line[0].get_color(), lw=1)
        ref = table["gaussian"][result["ns"][0]][0] * (ns / ns[0]) ** -0.5
        ax.plot(ns, ref, "k--", lw=1, label=r"reference $n^{-1/2}$")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("n")
        ax.set_title(title)
        ax.legend(fontsize=7)
    axes[0, 0].set_ylabel("split KS distance to the limit")
    return fig


def convergence_table(result):
    """Header and rows of the convergence table: law, fourth moment, mean KS ± SE per n, slope.

    Parameters
    ----------
    result : dict
        :func:`rmtlib.experiments.jacobian_sections.convergence` output.

    Returns
    -------
    (list of str, list of list)
        For `rmtlib.compendium.tables.show_table`.
    """
    header = ["law", "E x^4"] + [f"n = {n}" for n in result["ns"]] + ["slope [95% CI]"]
    rows = []
    for label, by_n in result["table"].items():
        s = result["slopes"][label]
        cells = [f"{by_n[n][0]:.4f} ± {by_n[n][1]:.4f}" for n in result["ns"]]
        rows.append([LABELS.get(label, label), result["fourth_moments"][label], *cells,
                     f"{s['slope']:.2f} [{s['low']:.2f}, {s['high']:.2f}]"])
    return header, rows


def localized(result, law, *, bins):
    """Spectra of the localised-input networks (Gaussian, Rademacher) against the L = 1 law.

    Parameters
    ----------
    result : dict
        :func:`rmtlib.experiments.jacobian_sections.localization` output.
    law : SpectralLaw
        The limit law at depth 1.
    bins : int
        Number of histogram bins.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, axes = _subplots(1, 2, figsize=(10, 3.4))
    for ax, ent in zip(axes, ("gaussian", "rademacher")):
        run = result["runs"][(ent, "localized")]
        plotting.compare(ax, run["eigenvalues"], law, bins=bins, ks=run["ks"])
        ax.set_title(f"{ent} weights, localised input")
    return fig


def off_fixed_point(result, *, bins):
    """The off-fixed-point spectrum against the layer-wise law and the law with q* in every layer.

    Parameters
    ----------
    result : dict
        :func:`rmtlib.experiments.jacobian_sections.off_fixed_point` output.
    bins : int
        Number of histogram bins.

    Returns
    -------
    matplotlib.figure.Figure
    """
    run, law = result["run"], result["law"]
    fig, ax = _subplots(figsize=(6.4, 3.6))
    plotting.compare(ax, run["eigenvalues"], law, bins=bins, ks=run["ks"], label="layer-wise $q^l$")
    grid = np.linspace(0.002, 1, 500) * result["law_star"].upper_edge
    ax.plot(grid, result["law_star"].density(grid), "k--", lw=1.2,
            label=f"$q^*$ in every layer (KS {run['ks_fixed_point']:.3f})")
    ax.set_ylim(0, 1.5 * float(np.max(law.density(grid[grid > 0.05 * grid[-1]]))))
    ax.legend(fontsize=8)
    return fig


def _cases(cases, titles, *, bins, width):
    fig, axes = _subplots(1, len(cases), figsize=(width, 3.4), squeeze=False)
    for ax, (name, case) in zip(axes[0], cases.items()):
        plotting.compare(ax, case["run"]["eigenvalues"], case["law"], bins=bins, ks=case["run"]["ks"])
        ax.set_title(titles.get(name, name))
    return fig


def activations(result, *, bins):
    """One panel per activation case of :func:`rmtlib.experiments.jacobian_sections.activations`."""
    return _cases(result["cases"], {}, bins=bins, width=12)


def rectangular(result, *, bins):
    """One panel per rectangular case of :func:`rmtlib.experiments.jacobian_sections.rectangular`."""
    return _cases(result["cases"], RECT_TITLES, bins=bins, width=10)


def depth_moments(result):
    """m_1 and the normalised spread m_2/m_1^2 - 1 against depth: theory (lines) and simulation.

    Parameters
    ----------
    result : dict
        :func:`rmtlib.experiments.jacobian_sections.depth_moments` output.

    Returns
    -------
    matplotlib.figure.Figure
        Markers: mean over seeds at the largest width, with its standard error.
    """
    fig, axes = _subplots(1, 2, figsize=(11, 3.8))
    for name, th in result["theory"].items():
        Ls = np.arange(1, th.shape[0] + 1)
        line, = axes[0].plot(Ls, th[:, 0], label=name)
        axes[1].plot(Ls, th[:, 1] / th[:, 0] ** 2 - 1, color=line.get_color())
        for L in result["depths"]:
            m = result["stats"][name][L]["m"]
            m1, m2 = np.asarray(m[0][-1]), np.asarray(m[1][-1])  # the largest width
            spread = m2 / m1**2 - 1
            for ax, vals in ((axes[0], m1), (axes[1], spread)):
                ax.errorbar(L, vals.mean(), yerr=vals.std(ddof=1) / math.sqrt(vals.size), fmt="o",
                            color=line.get_color(), ms=4)
    axes[0].set_yscale("log")
    axes[0].set_ylabel("$m_1$")
    axes[1].set_ylabel("$m_2/m_1^2 - 1$")
    for ax in axes:
        ax.set_xlabel("depth L")
    axes[0].legend(fontsize=7)
    return fig


def universality_moments(result):
    """Relative deviation of the seed mean of m_1, m_2 from the limit against 1/n, per entry law.

    Parameters
    ----------
    result : dict
        :func:`rmtlib.experiments.jacobian_sections.universality_moments` output.

    Returns
    -------
    matplotlib.figure.Figure
        Left: ``m_k / m_k(law) - 1`` (limit); right: ``m_k / m_k(free product of the layers' own
        derivative laws) - 1``; markers with their standard errors, k = 1 filled, k = 2 open.
    """
    fig, axes = _subplots(1, 2, figsize=(11, 3.8), sharex=True)
    for j, (label, st) in enumerate(result["stats"].items()):
        x = 1.0 / np.asarray(st["ns"], dtype=float) * (1 + 0.03 * (j - 2))
        for k, face in ((0, None), (1, "none")):
            for ax, series, ref in ((axes[0], st["m"][k], st["law"][k]), (axes[1], st["ratio"][k], 1.0)):
                mean = np.array([np.mean(v) / ref - 1 for v in series])
                err = np.array([np.std(v, ddof=1) / math.sqrt(len(v)) / ref for v in series])
                ax.errorbar(x, mean, yerr=err, fmt="o-" if k == 0 else "s--", ms=4, capsize=2,
                                   color=f"C{j}", mfc=face, label=f"{LABELS.get(label, label)} $m_{k + 1}$")
    for ax, title in zip(axes, ("against the limit law", "against the free product of the layers' own laws")):
        ax.axhline(0.0, color=plotting.THEORY_COLOR, lw=1)
        ax.set_xlabel("1/n")
        ax.set_title(title, fontsize=9)
    axes[0].set_ylabel("relative deviation of the seed mean")
    axes[0].legend(fontsize=6, ncol=2)
    return fig
