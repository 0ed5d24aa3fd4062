"""Figures of the nonlinear chapter: spectra of f(WX) against the Pennington-Worah law, the
Gaussian-equivalent model, training-loss curves with ridge fits, spectra through layers and the
width sweep of the last layer.

Each function takes the results of one function of :mod:`rmtlib.experiments.nonlinear` (or its
``nonlinear_ridge`` and ``nonlinear_sweeps`` companions), with the checks' tests where it draws
their intervals, and returns the figure it drew.
"""

from __future__ import annotations

import numpy as np

from rmtlib.compendium import plotting
from rmtlib.compendium.figures import layout

__all__ = ["densities", "equivalence", "memorization", "layers", "layer_widths"]


def _pyplot():
    import matplotlib.pyplot as plt  # optional dependency of the compendium

    return plt


def densities(panels, *, kind="gaussian"):
    """One panel per (shape, activation) of the draws of ``kind``: histogram against the law.

    Parameters
    ----------
    panels : dict
        Result of :func:`rmtlib.experiments.nonlinear.density_panels`.
    kind : str
        Which draws to show ("gaussian": W Gaussian).

    Returns
    -------
    matplotlib.figure.Figure
        Rows: activations; columns: shapes (phi, psi), at most two per row; the KS distance in each
        panel's title and one legend below.
    """
    cases = [c for c in panels if c[3] == kind]
    shapes = list(dict.fromkeys(c[1:3] for c in cases))
    acts = list(dict.fromkeys(c[0] for c in cases))
    order = sorted(cases, key=lambda c: (acts.index(c[0]), shapes.index(c[1:3])))
    fig, axes, spare = layout.grid(len(order), ncols=min(2, len(shapes)), row_height=2.5, extra_height=0.4)
    for ax, case in zip(axes, order):
        act, phi, psi, _ = case
        plotting.compare(ax, panels[case].eigenvalues, panels[case].law, label="Pennington-Worah law")
        layout.ks_title(ax, f"{act}, $\\phi$ = {phi:g}, $\\psi$ = {psi:g}", panels[case].ks)
    _outer_labels(axes, 2)
    layout.shared_legend(fig, axes, spare=spare, ncols=2)
    return layout.finish(fig)


def _outer_labels(axes, ncols):
    """Keep the axis labels of the left column and of the bottom row only."""
    for i, ax in enumerate(axes):
        if i % ncols:
            ax.set_ylabel("")
        if i < len(axes) - ncols:
            ax.set_xlabel("")


def equivalence(panels, *, activation="tanh"):
    """f(WX) and its Gaussian-equivalent model side by side for each shape, against the same law.

    Parameters
    ----------
    panels : dict
        Result of :func:`rmtlib.experiments.nonlinear.density_panels`.
    activation : str
        The activation whose equivalent model was drawn.

    Returns
    -------
    matplotlib.figure.Figure
        One row per shape: left f(WX), right its Gaussian-equivalent model; the KS distance in each
        panel's title and one legend below.
    """
    shapes = [c[1:3] for c in panels if c[0] == activation and c[3] == "equivalent"]
    fig, axes, _ = layout.grid(2 * len(shapes), row_height=2.5, extra_height=0.4)
    titles = {"gaussian": f"{activation}(WX)", "equivalent": r"$\sqrt{\zeta}\,WX + \sqrt{\eta - \zeta}\,Z$"}
    for j, (phi, psi) in enumerate(shapes):
        for ax, kind in zip(axes[2 * j:2 * j + 2], titles):
            panel = panels[(activation, phi, psi, kind)]
            plotting.compare(ax, panel.eigenvalues, panel.law, label="Pennington-Worah law")
            layout.ks_title(ax, f"{titles[kind]}, $\\phi$ = {phi:g}, $\\psi$ = {psi:g}", panel.ks)
    _outer_labels(axes, 2)
    layout.shared_legend(fig, axes, ncols=2)
    return layout.finish(fig)


def memorization(study, tests):
    """Training loss against gamma: eta = 1 curves for several zeta (top), theory and ridge fits (bottom).

    Parameters
    ----------
    study : dict
        Result of :func:`rmtlib.experiments.nonlinear_ridge.memorization_study`.
    tests : dict
        (activation, phi, psi, gamma) -> the `rmtlib.compendium.nulls.Test` of that fit (its intercept
        a and threshold).

    Returns
    -------
    matplotlib.figure.Figure
        Top part: one panel per (phi, psi), with the guide max(0, 1 - phi/psi); bottom part: one
        panel per case, the theory curve, the seed means at the largest size (bars: k standard errors)
        and the fitted intercepts a (bars: the checks' thresholds). At most two panels per row; each
        part's legend in its spare slot, or below it.
    """
    grid, curves, cases = study["gammas"], study["curves"], study["cases"]
    rows = lambda n: -(-n // 2)  # noqa: E731
    fig = _pyplot().figure(figsize=(layout.WIDTH, 2.6 * (rows(len(curves)) + rows(len(cases))) + 0.6),
                           layout="constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=[rows(len(curves)), rows(len(cases))])
    axes, spare = layout.subplots(top, len(curves), sharey=True)
    for ax, ((phi, psi), by_zeta) in zip(axes, curves.items()):
        for zeta, loss in by_zeta.items():
            ax.semilogx(grid, loss, label=f"$\\zeta$ = {zeta:g}")
        ax.axhline(max(0.0, 1 - phi / psi), color="gray", ls=":", lw=1, label="max(0, 1 - $\\phi/\\psi$)")
        ax.set_title(f"$\\eta$ = 1, $\\phi$ = {phi:g}, $\\psi$ = {psi:g}")
        ax.set_xlabel(r"ridge $\gamma$")
        ax.set_ylabel(r"$E_{\rm train}$")
    _outer_labels(axes, 2)
    layout.shared_legend(top, axes, spare=spare, ncols=3)
    gam = np.asarray(study["mc_gammas"], dtype=float)
    axes, spare = layout.subplots(bottom, len(cases))
    for ax, (case, r) in zip(axes, cases.items()):
        last = r["values"][-1]
        found = [tests[(*case, g)] for g in study["mc_gammas"]]
        ax.semilogx(grid, r["curve"], label="theory")
        ax.errorbar(gam / 1.08, last.mean(axis=0), yerr=[t.k * s for t, s in zip(
            found, last.std(axis=0, ddof=1) / np.sqrt(last.shape[0]))], fmt="o", color="black", ms=4,
            label=f"ridge fits, seed mean at $n_0$ = {study['sizes'][-1]}")
        ax.errorbar(gam * 1.08, [t.estimate for t in found], yerr=[t.threshold for t in found], fmt="s",
                    color="tab:red", ms=4, label="intercept a of the fit a + b/$n_0$")
        ax.set_title(f"{case[0]}, $\\phi$ = {case[1]:g}, $\\psi$ = {case[2]:g}")
        ax.set_xlabel(r"ridge $\gamma$")
        ax.set_ylabel(r"$E_{\rm train}$")
    _outer_labels(axes, 2)
    layout.shared_legend(bottom, axes, spare=spare, ncols=1)
    return layout.finish(fig)


def layer_widths(study, tests):
    """The last layer's statistics against 1/width, with the fitted intercepts and the laws' values.

    Parameters
    ----------
    study : dict
        Result of :func:`rmtlib.experiments.nonlinear_sweeps.width_study`.
    tests : dict
        (alpha, name) -> the `rmtlib.compendium.nulls.Test` of that statistic ("ks" for the KS floor).

    Returns
    -------
    matplotlib.figure.Figure
        One panel per linear statistic (seed means +- k standard errors against 1/n, the intercept a
        at 1/n = 0 with the check's threshold, the layer-L law's value as a line, the layer-1 law's
        value dashed), and the KS distance against n on log-log axes; two panels per row, one legend.
    """
    widths = np.asarray(study["widths"], dtype=float)
    alphas = [a for a in study if a != "widths"]
    names = list(study[alphas[0]]["values"])
    fig, axes, spare = layout.grid(len(names) + 1, row_height=3.0)
    for ax, name in zip(axes, names):
        for color, alpha in zip(("tab:blue", "tab:orange"), alphas):
            r, t = study[alpha], tests[(alpha, name)]
            means = [v.mean() for v in r["values"][name]]
            errors = [t.k * v.std(ddof=1) / np.sqrt(v.size) for v in r["values"][name]]
            ax.errorbar(1 / widths, means, yerr=errors, fmt="o", color=color, ms=4, label=f"$\\alpha$ = {alpha:g}")
            ax.errorbar([0.0], [t.estimate], yerr=[t.threshold], fmt="s", color=color, ms=5)
            ax.axhline(r["own"][name], color=color, lw=1)
            ax.axhline(r["first"][name], color=color, lw=1, ls="--")
        ax.set_xlabel("1 / n")
        ax.set_title(f"{name} of the last layer")
    ax = axes[-1]
    for color, alpha in zip(("tab:blue", "tab:orange"), alphas):
        ks = study[alpha]["ks"]
        ax.errorbar(widths, [v.mean() for v in ks], yerr=[v.std(ddof=1) / np.sqrt(v.size) for v in ks], fmt="o-",
                    color=color, ms=4)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("width n")
    ax.set_title("KS distance of the last layer\nto its law")
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color=c, lw=6) for c in ("tab:blue", "tab:orange")[:len(alphas)]]
    labels = [f"$\\alpha$ = {alpha:g}" for alpha in alphas]
    handles += [Line2D([], [], color="gray", marker="o", ls="none", ms=5),
                Line2D([], [], color="gray", marker="s", ls="none", ms=5),
                Line2D([], [], color="gray", lw=1), Line2D([], [], color="gray", lw=1, ls="--")]
    labels += ["seed mean at width n", "intercept a at 1/n = 0", "last layer's law", "layer-1 law"]
    layout.shared_legend(fig, axes, spare=spare, handles=handles, labels=labels, ncols=2)
    return layout.finish(fig)


def layers(study, *, shown=None, bins=60):
    """Spectra of selected layers for each alpha against the layer's law and the first layer's law.

    Parameters
    ----------
    study : dict
        Result of :func:`rmtlib.experiments.nonlinear.layer_study`.
    shown : sequence of int, optional
        Layers to show (default: 0, 1, 2 and the last).
    bins : int
        Histogram bins of each panel.

    Returns
    -------
    matplotlib.figure.Figure
        Two panels per row, the layers of one alpha after the other; the KS distance to the layer's
        own law in each panel's title and one legend below.
    """
    own = study["own"]
    depth = len(next(iter(own.values()))) - 1
    shown = sorted({0, 1, min(2, depth), depth}) if shown is None else list(shown)
    fig, axes, spare = layout.grid(len(own) * len(shown), row_height=2.5, extra_height=0.4)
    cells = iter(axes)
    for alpha, panels in own.items():
        first = study["laws"][alpha][1]
        for ell in shown:
            ax, panel = next(cells), panels[ell]
            plotting.compare(ax, panel.eigenvalues, panel.law, bins=bins, label="law of the layer")
            x = np.linspace(0, max(panel.eigenvalues) * 1.05, 500)
            ax.plot(x, first.density(x), "--", color="gray", lw=1, label="layer-1 law")
            layout.ks_title(ax, f"$\\alpha$ = {alpha:g} ($\\zeta$ = {study['zeta'][alpha]:.3f}), layer {ell}", panel.ks)
    _outer_labels(axes, 2)
    layout.shared_legend(fig, axes, spare=spare, ncols=2)
    return layout.finish(fig)
