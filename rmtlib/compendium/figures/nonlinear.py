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
        Rows: shapes (phi, psi); columns: activations.
    """
    cases = [c for c in panels if c[3] == kind]
    shapes = list(dict.fromkeys(c[1:3] for c in cases))
    acts = list(dict.fromkeys(c[0] for c in cases))
    fig, axes = _pyplot().subplots(len(shapes), len(acts), figsize=(4.2 * len(acts), 3.4 * len(shapes)),
                                   squeeze=False)
    for case in cases:
        act, phi, psi, _ = case
        ax = axes[shapes.index((phi, psi)), acts.index(act)]
        plotting.compare(ax, panels[case].eigenvalues, panels[case].law, ks=panels[case].ks)
        ax.set_title(f"{act}, phi={phi:g}, psi={psi:g}")
    return fig


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
    """
    shapes = [c[1:3] for c in panels if c[0] == activation and c[3] == "equivalent"]
    fig, axes = _pyplot().subplots(1, 2 * len(shapes), figsize=(8.4 * len(shapes), 3.4), squeeze=False)
    titles = {"gaussian": f"{activation}(WX)", "equivalent": "sqrt(zeta) WX + sqrt(eta - zeta) Z"}
    for j, (phi, psi) in enumerate(shapes):
        for ax, kind in zip(axes[0, 2 * j:2 * j + 2], titles):
            panel = panels[(activation, phi, psi, kind)]
            plotting.compare(ax, panel.eigenvalues, panel.law, ks=panel.ks)
            ax.set_title(f"{titles[kind]}, phi={phi:g}, psi={psi:g}", fontsize=9)
    return fig


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
        Top row: one panel per (phi, psi), with the guide max(0, 1 - phi/psi); bottom row: one panel
        per case, the theory curve, the seed means at the largest size (bars: k standard errors) and the
        fitted intercepts a (bars: the checks' thresholds).
    """
    grid, curves, cases = study["gammas"], study["curves"], study["cases"]
    width = max(len(curves), len(cases))
    fig = _pyplot().figure(figsize=(4.3 * width, 7.2))
    top, bottom = fig.subfigures(2, 1)
    axes = top.subplots(1, len(curves), sharey=True, squeeze=False)[0]
    for ax, ((phi, psi), by_zeta) in zip(axes, curves.items()):
        for zeta, loss in by_zeta.items():
            ax.semilogx(grid, loss, label=f"zeta={zeta:g}")
        ax.axhline(max(0.0, 1 - phi / psi), color="gray", ls=":", lw=1)
        ax.set_title(f"eta = 1, phi={phi:g}, psi={psi:g} (c = {phi / psi:g})")
        ax.set_xlabel("gamma")
    axes[0].set_ylabel("E_train")
    axes[-1].legend(fontsize=8)
    gam = np.asarray(study["mc_gammas"], dtype=float)
    for ax, (case, r) in zip(bottom.subplots(1, len(cases), squeeze=False)[0], cases.items()):
        last = r["values"][-1]
        found = [tests[(*case, g)] for g in study["mc_gammas"]]
        ax.semilogx(grid, r["curve"], label="theory")
        ax.errorbar(gam / 1.08, last.mean(axis=0), yerr=[t.k * s for t, s in zip(
            found, last.std(axis=0, ddof=1) / np.sqrt(last.shape[0]))], fmt="o", color="black", ms=4,
            label=f"ridge fits, n0={study['sizes'][-1]}")
        ax.errorbar(gam * 1.08, [t.estimate for t in found], yerr=[t.threshold for t in found], fmt="s",
                    color="tab:red", ms=4, label="fit a + b/n0: a")
        ax.set_title(f"{case[0]}, phi={case[1]:g}, psi={case[2]:g}")
        ax.set_xlabel("gamma")
        ax.legend(fontsize=7)
    return fig


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
        value dashed), and the KS distance against n on log-log axes.
    """
    widths = np.asarray(study["widths"], dtype=float)
    alphas = [a for a in study if a != "widths"]
    names = list(study[alphas[0]]["values"])
    fig, axes = _pyplot().subplots(1, len(names) + 1, figsize=(4.4 * (len(names) + 1), 3.6), squeeze=False)
    for ax, name in zip(axes[0], names):
        for color, alpha in zip(("tab:blue", "tab:orange"), alphas):
            r, t = study[alpha], tests[(alpha, name)]
            means = [v.mean() for v in r["values"][name]]
            errors = [t.k * v.std(ddof=1) / np.sqrt(v.size) for v in r["values"][name]]
            ax.errorbar(1 / widths, means, yerr=errors, fmt="o", color=color, ms=4, label=f"alpha={alpha:g}")
            ax.errorbar([0.0], [t.estimate], yerr=[t.threshold], fmt="s", color=color, ms=5)
            ax.axhline(r["own"][name], color=color, lw=1)
            ax.axhline(r["first"][name], color=color, lw=1, ls="--")
        ax.set_xlabel("1 / n")
        ax.set_title(f"{name} of the last layer (line: its law; dashed: layer 1)", fontsize=9)
        ax.legend(fontsize=7)
    ax = axes[0, -1]
    for color, alpha in zip(("tab:blue", "tab:orange"), alphas):
        ks = study[alpha]["ks"]
        ax.errorbar(widths, [v.mean() for v in ks], yerr=[v.std(ddof=1) / np.sqrt(v.size) for v in ks], fmt="o-",
                    color=color, ms=4, label=f"alpha={alpha:g}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("width n")
    ax.set_title("KS distance of the last layer to its law", fontsize=9)
    ax.legend(fontsize=7)
    return fig


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
        Rows: alphas; columns: layers.
    """
    own = study["own"]
    depth = len(next(iter(own.values()))) - 1
    shown = sorted({0, 1, min(2, depth), depth}) if shown is None else list(shown)
    fig, axes = _pyplot().subplots(len(own), len(shown), figsize=(3.8 * len(shown), 3.2 * len(own)),
                                   squeeze=False)
    for row, (alpha, panels) in zip(axes, own.items()):
        first = study["laws"][alpha][1]
        for ax, ell in zip(row, shown):
            panel = panels[ell]
            plotting.compare(ax, panel.eigenvalues, panel.law, ks=panel.ks, bins=bins)
            x = np.linspace(0, max(panel.eigenvalues) * 1.05, 500)
            ax.plot(x, first.density(x), "--", color="gray", lw=1, label="layer-1 law")
            ax.set_title(f"alpha={alpha:g} (zeta={study['zeta'][alpha]:.3f}), layer {ell}", fontsize=9)
            ax.legend(fontsize=7)
    return fig
