"""Figures and tables of the products chapter: products, percolation, a trained network, a spin glass.

Each figure function takes the plain results of one function of :mod:`rmtlib.experiments.products`
and returns a new matplotlib figure; each ``*_table`` function returns ``(header, rows)`` for
:func:`rmtlib.compendium.tables.show_table`.
"""

from __future__ import annotations

import numpy as np

from rmtlib.compendium import plotting
from rmtlib.experiments import products as products_mc
from rmtlib.models import percolation, products

__all__ = ["atom_curve", "chains", "layers_table", "percolation_atoms",
           "percolation_table", "root_rule", "sandwiches", "spin_glass", "wishart_table"]


def _subplots(*args, **kwargs):
    import matplotlib.pyplot as plt  # optional dependency of the compendium

    return plt.subplots(*args, **kwargs)


def _compare(ax, ev, law, *, bins, ks):
    plotting.compare(ax, ev, law, bins=bins, ks=ks, tol=products_mc.ZERO_RTOL * np.abs(ev).max())


def chains(result, *, bins):
    """One panel per Wishart chain: its spectrum against the free product of Marchenko-Pastur laws.

    Parameters
    ----------
    result : dict
        From :func:`rmtlib.experiments.products.wishart_chains`.
    bins : int
        Histogram bins of each panel.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, axes = _subplots(1, len(result["chains"]), figsize=(13, 3.6), squeeze=False)
    for k, (ax, (dims, ev)) in enumerate(zip(axes[0], result["chains"])):
        law = products_mc.chain_law(dims)
        _compare(ax, ev, law, bins=bins, ks=result["stats"][f"chain{k}_ks"])
        c = products.chain_ratios(dims)
        ax.set_title(f"dims {dims}, c = ({', '.join(f'{v:.3g}' for v in c)})")
        if law.atoms == ():
            ax.set_ylim(0, 1.2)
    return fig


def atom_curve(curve):
    """Zero fraction of the chains ``(N_0, r N_0, N_0)`` against the exact atom ``1 - min(1, r)``.

    Parameters
    ----------
    curve : dict
        ``result["curve"]`` of :func:`rmtlib.experiments.products.wishart_chains`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    r = np.linspace(0.0, 1.6, 200)
    fig, ax = _subplots(figsize=(5, 3.4))
    ax.plot(r, 1 - np.minimum(1, r), label=r"$1-\min(1, N_1/N_0)$")
    ax.plot(curve["ratios"], curve["fractions"], "o", label=f"Monte Carlo, $N_0$={curve['n0']}")
    ax.set_xlabel(r"$N_1/N_0$")
    ax.set_ylabel("mass of the atom at 0")
    ax.legend()
    return fig


def root_rule(result, *, bins):
    """The three-factor chain against its law, with the density of the per-point root rule dashed.

    Parameters
    ----------
    result : dict
        From :func:`rmtlib.experiments.products.wishart_chains` (``chain3`` and ``root_rule``).
    bins : int
        Histogram bins.

    Returns
    -------
    matplotlib.figure.Figure
    """
    dims, ev = result["chain3"]
    rule = result["root_rule"]
    fig, ax = _subplots(figsize=(6, 3.6))
    _compare(ax, ev, products_mc.chain_law(dims), bins=bins, ks=result["stats"]["chain3_ks"])
    ax.plot(rule["x"], rule["per_point"], "--", color="C3", label="per-point rule")
    ax.legend()
    ax.set_title(f"dims {dims}")
    return fig


def sandwiches(result, *, bins):
    """One panel per Wigner x Wishart sandwich against ``SC x MP(c)``.

    Parameters
    ----------
    result : dict
        From :func:`rmtlib.experiments.products.sandwiches`.
    bins : int
        Histogram bins of each panel.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, axes = _subplots(1, len(result["sandwich"]), figsize=(10, 3.6), squeeze=False)
    for ax, (c, ev) in zip(axes[0], result["sandwich"]):
        ks = result["stats"][f"{products_mc.sandwich_key(c)}_ks"]
        _compare(ax, ev, products_mc.sandwich_law(float(c)), bins=bins, ks=ks)
        ax.set_title(f"sandwich, c = {c:g}")
    return fig


def percolation_atoms(result):
    """Left: the sparse-Wigner zero fraction against Bauer-Golinelli; right: the cavity density.

    Parameters
    ----------
    result : dict
        From :func:`rmtlib.experiments.products.percolated`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    pr, cav = result["perc"], result["cavity"]
    cs = np.linspace(0.3, 8.5, 200)
    _, _, means, ses = (np.array(col) for col in zip(*pr["rows"]))
    fig, (left, right) = _subplots(1, 2, figsize=(11, 3.6))
    left.plot(cs, [percolation.percolated_wigner_atom(c) for c in cs], label="Bauer–Golinelli $w_0(c)$")
    left.plot(cs, np.exp(-cs), ":", label="isolated vertices $e^{-c}$")
    left.errorbar(pr["degrees"], means, 2 * ses, fmt="o", label=f"Monte Carlo, N={pr['n']}")
    left.set_xlabel("mean degree c")
    left.set_ylabel("atom at 0")
    left.legend()
    right.hist(pr["cavity_spectra"], bins=cav["edges"], density=True, alpha=0.5,
               label=f"Monte Carlo, c={cav['degree']:g}")
    right.plot(cav["x"], cav["density"], label="population dynamics")
    right.set_ylim(0, 0.6)
    right.set_xlabel("x")
    right.legend()
    return fig


def percolation_table(result):
    """``(header, rows)``: the sparse-Wigner atom by formula and by Monte Carlo, per mean degree."""
    return ["c", "w0 (formula)", "Monte Carlo", "s.e."], result["perc"]["rows"]


def wishart_table(result):
    """``(header, rows)``: the percolated-Wishart atom by formula and by Monte Carlo, per cell."""
    return ["N", "M", "a", "w0 (formula)", "Monte Carlo", "s.e."], result["wishart"]["rows"]


def layers_table(result):
    """``(header, rows)``: ``E_inf`` and the layer thresholds ``E_0..E_4`` for each p (five decimals)."""
    header = ["p", "E_inf", *(f"E_{k}" for k in range(len(result["layers"][3])))]
    return header, [[p, *(f"{e:.5f}" for e in (result["e_inf"][p], *ek))] for p, ek in result["layers"].items()]


def spin_glass(result):
    """Left: the index map ``alpha(u)`` of three laws; right: ``Omega_rho - Omega_sc``.

    Parameters
    ----------
    result : dict
        From :func:`rmtlib.experiments.products.spin_glass`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, (left, right) = _subplots(1, 2, figsize=(11, 3.6))
    index, omega = result["index"], result["log_potential"]
    for name, alpha in index["alpha"].items():
        left.plot(index["u"], alpha, label=name)
    left.set_xlabel("energy u")
    left.set_ylabel(r"index fraction $\alpha(u)$")
    left.legend()
    for name, diff in omega["difference"].items():
        right.plot(omega["t"], diff, ".-", label=name)
    right.set_xlabel("t = 2u / E_inf")
    right.set_ylabel(r"$\Omega_\rho(t)-\Omega_{sc}(t)$")
    right.legend()
    return fig
