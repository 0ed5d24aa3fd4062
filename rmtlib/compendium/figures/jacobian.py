"""Figures of the Jacobian chapter: simulated spectra of J J^T against the limit law, KS against n,
moments against depth; and the chapter's table of the convergence sweep.
"""

from __future__ import annotations

import math

import numpy as np

from rmtlib.compendium import plotting
from rmtlib.compendium.figures import layout

__all__ = ["ACT_TITLES", "LABELS", "RECT_TITLES", "activations", "convergence", "convergence_table", "densities",
           "depth_moments", "localized", "off_fixed_point", "rectangular", "universality_moments"]

LABELS = {"gaussian": "Gaussian", "rademacher": "Rademacher", "uniform": "uniform",
          "student_t:5": "Student $t_5$", "sparse:0.1": "sparse $p=0.1$", "student_t:3": "Student $t_3$",
          "pareto_symmetric:1.5": r"Pareto $\alpha=1.5$", "sparse_per_row:5": "sparse $p=5/n$"}
"""Legend name of each entry-law label."""

RECT_TITLES = {"relu": "ReLU, c = (1, 2, 1.5, 1)", "tanh": "tanh, c = (2/3, 4/3, 1)"}
"""Panel title of each rectangular case."""

ACT_TITLES = {"relu": "ReLU, L = 2", "hard_tanh": "hard-tanh, L = 2", "linear": "linear, L = 2"}
"""Panel title of each activation case."""


def densities(samples, laws, *, bins):
    """Histograms of one network per entry law against the limit density, one row per depth.

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
        Left column: the density on a linear axis; right column: ``x rho(x)`` on a log-x axis, where
        the singular small eigenvalues are visible; one row per depth and one legend below, with the
        split KS distance of each sample at every depth.
    """
    depths = list(samples)
    fig, axes, _ = layout.grid(2 * len(depths), row_height=2.6, extra_height=0.5)
    for j, L in enumerate(depths):
        lin, log = axes[2 * j], axes[2 * j + 1]
        top = laws[L].upper_edge
        grid_lin = np.linspace(0.002 * top, top, 600)
        grid_log = np.geomspace(1e-8 * top, top, 600)
        edges_lin = np.linspace(0, 1.02 * top, bins + 1)
        edges_log = np.geomspace(1e-8 * top, 1.02 * top, bins + 1)
        for label, run in samples[L].items():
            ev = run["eigenvalues"]
            h, _ = np.histogram(ev, bins=edges_lin, density=True)
            lin.stairs(h, edges_lin, label=LABELS.get(label, label))
            hl, _ = np.histogram(ev, bins=edges_log)
            log.stairs(hl / ev.size / np.diff(np.log(edges_log)), edges_log)
        lin.plot(grid_lin, laws[L].density(grid_lin), color=plotting.THEORY_COLOR, lw=2, label="limit law")
        lin.set_ylim(0, 1.6 * float(np.max(laws[L].density(grid_lin[grid_lin > 0.05 * top]))))
        log.plot(grid_log, grid_log * laws[L].density(grid_log), color=plotting.THEORY_COLOR, lw=2)
        log.set_xscale("log")
        lin.set_title(f"L = {L}: density")
        log.set_title(f"L = {L}: small eigenvalues")
        lin.set_ylabel(r"$\rho(x)$")
        log.set_ylabel(r"$x\,\rho(x)$")
    axes[-2].set_xlabel("eigenvalue x")
    axes[-1].set_xlabel("eigenvalue x (log axis)")
    handles, _ = layout.shared_handles(axes)  # the entry laws in drawing order, then the limit law
    labels = [f"{LABELS.get(label, label)}: " + ", ".join(f"{samples[L][label]['ks']:.3f}" for L in depths)
              for label in samples[depths[0]]] + ["limit law"]
    legend = layout.shared_legend(fig, axes, handles=handles, labels=labels, ncols=2)
    legend.set_title("weights: split KS distance at L = " + ", ".join(map(str, depths)))
    return layout.finish(fig)


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
        Side by side, each panel's legend (fitted slope and its 95% interval per law) below it.
    """
    ns = np.asarray(result["ns"], dtype=float)
    table, slopes = result["table"], result["slopes"]
    fig, axes, _ = layout.grid(len(groups), row_height=5.6, sharey=True)
    for ax, (title, labels) in zip(axes, groups):
        for label in labels:
            mean = [table[label][n][0] for n in result["ns"]]
            err = [table[label][n][1] for n in result["ns"]]
            s = slopes[label]
            line = ax.errorbar(ns, mean, yerr=err, marker="o", ms=4, capsize=3, ls="none",
                               label=f"{LABELS.get(label, label)}: slope {s['slope']:.2f}\n"
                                     f"  95% CI [{s['low']:.2f}, {s['high']:.2f}]")
            ax.plot(ns, np.exp(s["intercept"]) * ns ** s["slope"], color=line[0].get_color(), lw=1)
        ref = table["gaussian"][result["ns"][0]][0] * (ns / ns[0]) ** -0.5
        ax.plot(ns, ref, "k--", lw=1, label=r"reference $n^{-1/2}$")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("n")
        ax.set_title(title)
        layout.legend_below(ax, ncols=1)
    axes[0].set_ylabel("split KS distance to the limit")
    return layout.finish(fig)


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
    fig, axes, _ = layout.grid(2, row_height=3.0, extra_height=0.4)
    for ax, ent in zip(axes, ("gaussian", "rademacher")):
        run = result["runs"][(ent, "localized")]
        drawn = plotting.compare(ax, run["eigenvalues"], law, bins=bins, label="limit law (L = 1)")
        layout.ks_title(ax, f"{LABELS[ent]} weights, localised input", run["ks"])
        _clip_spike(ax, law, drawn)
    layout.shared_legend(fig, axes)
    return layout.finish(fig)


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
    fig, axes, _ = layout.grid(1, row_height=3.4, extra_height=0.5)
    ax = axes[0]
    plotting.compare(ax, run["eigenvalues"], law, bins=bins, ks=run["ks"], label="law with layer-wise $q^l$")
    grid = np.linspace(0.002, 1, 500) * result["law_star"].upper_edge
    ax.plot(grid, result["law_star"].density(grid), "k--", lw=1.2,
            label=f"law with $q^*$ in every layer (KS = {run['ks_fixed_point']:.3g})")
    ax.set_ylim(0, 1.5 * float(np.max(law.density(grid[grid > 0.05 * grid[-1]]))))
    layout.shared_legend(fig, [ax], ncols=1)
    return layout.finish(fig)


def _clip_spike(ax, law, drawn):
    """Cut the y axis above the bulk, so the singular density near 0 does not flatten the rest.

    The limit is 1.6 times the largest density over the upper 95% of the support, raised to show every
    atom marker that :func:`rmtlib.compendium.plotting.compare` returned in ``drawn`` (its mass and
    the simulated fraction); the axis is only ever lowered.
    """
    top = max(b for _, b in law.support)
    grid = np.linspace(0.05 * top, top, 400)
    ymax = 1.6 * float(np.max(law.density(grid)))
    ymax = max([ymax] + [1.15 * max(fraction, mass) for _, fraction, mass in drawn["atoms"]])
    if ymax < ax.get_ylim()[1]:
        ax.set_ylim(0, ymax)


def _cases(cases, titles, *, bins):
    fig, axes, spare = layout.grid(len(cases), row_height=2.9, extra_height=0.0 if len(cases) % 2 else 0.4)
    for ax, (name, case) in zip(axes, cases.items()):
        drawn = plotting.compare(ax, case["run"]["eigenvalues"], case["law"], bins=bins, label="limit law")
        layout.ks_title(ax, titles.get(name, name), case["run"]["ks"])
        _clip_spike(ax, case["law"], drawn)
    layout.shared_legend(fig, axes, spare=spare, ncols=2)
    return layout.finish(fig)


def activations(result, *, bins):
    """One panel per activation case of :func:`rmtlib.experiments.jacobian_sections.activations`."""
    return _cases(result["cases"], ACT_TITLES, bins=bins)


def rectangular(result, *, bins):
    """One panel per rectangular case of :func:`rmtlib.experiments.jacobian_sections.rectangular`."""
    return _cases(result["cases"], RECT_TITLES, bins=bins)


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
    fig, axes, _ = layout.grid(2, row_height=3.2, extra_height=0.5)
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
    layout.shared_legend(fig, axes, ncols=2)
    return layout.finish(fig)


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
    fig, axes, _ = layout.grid(2, row_height=3.2, extra_height=0.8, sharex=True)
    for j, (label, st) in enumerate(result["stats"].items()):
        x = 1.0 / np.asarray(st["ns"], dtype=float) * (1 + 0.03 * (j - 2))
        for k, face in ((0, None), (1, "none")):
            for ax, series, ref in ((axes[0], st["m"][k], st["law"][k]), (axes[1], st["ratio"][k], 1.0)):
                mean = np.array([np.mean(v) / ref - 1 for v in series])
                err = np.array([np.std(v, ddof=1) / math.sqrt(len(v)) / ref for v in series])
                ax.errorbar(x, mean, yerr=err, fmt="o-" if k == 0 else "s--", ms=4, capsize=2,
                            color=f"C{j}", mfc=face)
    for ax, title in zip(axes, ("against the limit law", "against the free product\nof the layers' own laws")):
        ax.axhline(0.0, color=plotting.THEORY_COLOR, lw=1)
        ax.set_xlabel("1/n")
        ax.set_title(title)
    axes[0].set_ylabel("relative deviation\nof the seed mean")
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color=f"C{j}", lw=6) for j in range(len(result["stats"]))]
    labels = [f"{LABELS.get(label, label)} weights" for label in result["stats"]]
    handles += [Line2D([], [], color="black", marker="o", ls="-", ms=5),
                Line2D([], [], color="black", marker="s", mfc="none", ls="--", ms=5)]
    labels += ["$m_1$ (filled, solid)", "$m_2$ (open, dashed)"]
    layout.shared_legend(fig, axes, handles=handles, labels=labels, ncols=3)
    return layout.finish(fig)
