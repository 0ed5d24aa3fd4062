"""Figures and tables of the products chapter: products, percolation, a trained network, a spin glass.

Each figure function takes the plain results of one function of :mod:`rmtlib.experiments.products`
and returns a new matplotlib figure at book width (at most two panels per row, legends outside the
data, every text at least :data:`rmtlib.compendium.figures.layout.MIN_FONT` points); each
``*_table`` function returns ``(header, rows)`` for :func:`rmtlib.compendium.tables.show_table`.
"""

from __future__ import annotations

import numpy as np

from rmtlib.compendium import plotting
from rmtlib.compendium.figures import layout
from rmtlib.experiments import products as products_mc
from rmtlib.models import percolation, products

__all__ = ["atom_curve", "chains", "layers_table", "percolation_atoms",
           "percolation_table", "root_rule", "sandwiches", "spin_glass", "wishart_table"]


def _spectra(panels, *, bins):
    """One panel per ``(title, eigenvalues, law, ks)``: the house comparison, the KS distance under the title.

    Returns the figure, its axes and the empty slot of the grid (for ``_shared_legend``).
    """
    n = len(panels)
    fig, axes, spare = layout.grid(n, row_height=3.2 if n == 1 else 2.9,
                                   extra_height=0.0 if n > 1 and n % 2 else 0.5)
    for ax, (title, ev, law, ks) in zip(axes, panels):
        plotting.compare(ax, ev, law, bins=bins, label="limit law",
                         tol=products_mc.ZERO_RTOL * np.abs(ev).max())
        layout.ks_title(ax, title, ks)
    return fig, axes, spare


def _shared_legend(fig, axes, spare):
    """One legend for all panels (in the empty slot of the grid, else below), then the font floor."""
    layout.shared_legend(fig, axes, spare=spare, ncols=1 if spare is not None else 2)
    return layout.finish(fig)


def _own_legends(fig, axes):
    """Each panel's legend below it (the panels show different things), then the font floor."""
    for ax in axes:
        layout.legend_below(ax)
    return layout.finish(fig)


def _tuple(values):
    return "(" + ", ".join(f"{v:.3g}" for v in values) + ")"


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
        Two panels per row, the dimensions and ratios ``c`` in each title, the split KS distance under
        it, and one legend in the empty slot of the grid (or below).
    """
    panels = [(f"dims {dims}, c = {_tuple(products.chain_ratios(dims))}", ev, products_mc.chain_law(dims),
               result["stats"][f"chain{k}_ks"]) for k, (dims, ev) in enumerate(result["chains"])]
    fig, axes, spare = _spectra(panels, bins=bins)
    for ax, (_, _, law, _) in zip(axes, panels):
        if law.atoms == ():  # the x^(-2/3) spike at 0 would flatten the rest
            ax.set_ylim(0, 1.2)
    return _shared_legend(fig, axes, spare)


def atom_curve(curve):
    """Zero fraction of the chains ``(N_0, r N_0, N_0)`` against the exact atom ``1 - min(1, r)``.

    Parameters
    ----------
    curve : dict
        ``result["curve"]`` of :func:`rmtlib.experiments.products.wishart_chains`.

    Returns
    -------
    matplotlib.figure.Figure
        One panel, its legend below.
    """
    r = np.linspace(0.0, 1.6, 200)
    fig, axes, _ = layout.grid(1, row_height=3.0, extra_height=0.4)
    ax = axes[0]
    ax.plot(r, 1 - np.minimum(1, r), color=plotting.THEORY_COLOR, label=r"exact atom $1-\min(1, N_1/N_0)$")
    ax.plot(curve["ratios"], curve["fractions"], "o", mfc="none", mew=1.5, ms=8, color="black",
            label=f"zero fraction, Monte Carlo ($N_0$ = {curve['n0']})")
    ax.set_xlabel(r"$N_1/N_0$")
    ax.set_ylabel("mass of the atom at 0")
    return _shared_legend(fig, axes, None)


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
        One panel, the split KS distance under its title and the legend below.
    """
    dims, ev = result["chain3"]
    rule = result["root_rule"]
    title = f"dims {dims}, c = {_tuple(products.chain_ratios(dims))}"
    fig, axes, spare = _spectra([(title, ev, products_mc.chain_law(dims), result["stats"]["chain3_ks"])],
                                bins=bins)
    axes[0].plot(rule["x"], rule["per_point"], "--", color="black", lw=1.4, label="per-point root rule")
    return _shared_legend(fig, axes, spare)


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
        Two panels per row, the split KS distance under each title and one legend for all.
    """
    panels = [(f"sandwich, c = {c:g}", ev, products_mc.sandwich_law(float(c)),
               result["stats"][f"{products_mc.sandwich_key(c)}_ks"]) for c, ev in result["sandwich"]]
    return _shared_legend(*_spectra(panels, bins=bins))


def percolation_atoms(result):
    """Left: the sparse-Wigner zero fraction against Bauer-Golinelli; right: the cavity density.

    Parameters
    ----------
    result : dict
        From :func:`rmtlib.experiments.products.percolated`.

    Returns
    -------
    matplotlib.figure.Figure
        Side by side, each panel's legend below it.
    """
    pr, cav = result["perc"], result["cavity"]
    cs = np.linspace(0.3, 8.5, 200)
    _, _, means, ses = (np.array(col) for col in zip(*pr["rows"]))
    fig, (left, right), _ = layout.grid(2, row_height=3.6)
    left.plot(cs, [percolation.percolated_wigner_atom(c) for c in cs], color=plotting.THEORY_COLOR,
              label="Bauer–Golinelli $w_0(c)$")
    left.plot(cs, np.exp(-cs), ":", color="black", label="isolated vertices $e^{-c}$")
    left.errorbar(pr["degrees"], means, 2 * ses, fmt="o", color=plotting.SAMPLE_COLOR,
                  label=f"Monte Carlo, N = {pr['n']} (±2 s.e.)")
    left.set_xlabel("mean degree c")
    left.set_ylabel("atom at 0")
    left.set_title("zero fraction")
    right.hist(pr["cavity_spectra"], bins=cav["edges"], density=True, color=plotting.SAMPLE_COLOR, alpha=0.55,
               label=f"Monte Carlo, c = {cav['degree']:g}")
    right.plot(cav["x"], cav["density"], color=plotting.THEORY_COLOR, label="population dynamics")
    right.set_ylim(0, 0.6)
    right.set_xlabel("eigenvalue x")
    right.set_ylabel("density")
    right.set_title(f"spectrum at c = {cav['degree']:g}")
    return _own_legends(fig, (left, right))


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
        Side by side, each law in the same colour in both panels, each panel's legend below it.
    """
    fig, (left, right), _ = layout.grid(2, row_height=3.4)
    index, omega = result["index"], result["log_potential"]
    colours = {}
    for j, (name, alpha) in enumerate(index["alpha"].items()):
        left.plot(index["u"], alpha, color=f"C{j}", label=name)
        colours[name.split()[0]] = f"C{j}"
    left.set_xlabel("energy u")
    left.set_ylabel(r"index fraction $\alpha(u)$")
    left.set_title("index map")
    for name, diff in omega["difference"].items():
        right.plot(omega["t"], diff, ".-", color=colours.get(name.split()[0]), label=name)
    right.axhline(0.0, color=colours.get("semicircle", "black"), lw=1, label="semicircle (zero line)")
    right.set_xlabel(r"$t = 2u/E_\infty$")
    right.set_ylabel(r"$\Omega_\rho(t)-\Omega_{\rm sc}(t)$")
    right.set_title("log-potential against the semicircle")
    return _own_legends(fig, (left, right))
