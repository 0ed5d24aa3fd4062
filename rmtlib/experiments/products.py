"""Experiments of the products chapter: the theory each section compares with, and the comparisons.

The Monte Carlo is in :mod:`rmtlib.experiments.products_sim` (pure, cached); the functions here read
it back and judge it against the theory. Every law or number a check compares with is built by a
``theory_*`` function, through :mod:`rmtlib.experiments.theory`: ``scale`` pushes the laws forward,
``ratio`` multiplies the dimension ratios ``c_k = N_0/N_k`` (``c = N/M`` of the sandwich and of the
percolated Wishart matrix) and ``degree`` the mean degree of the sparse laws.

One function per section (:func:`wishart_chains`, :func:`sandwiches`, :func:`percolated`,
the trained networks in :mod:`rmtlib.experiments.products_network`, :func:`spin_glass`); :func:`statistics` gives the calibrated (regression) scalars.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from rmtlib import laws, spectra
from rmtlib.experiments import products_sim as sim
from rmtlib.experiments import theory
from rmtlib.models import percolation as perc
from rmtlib.models import products as prod
from rmtlib.models import spinglass

__all__ = ["DEFAULTS", "ZERO_RTOL", "chain_dims", "chain_law", "percolated",
           "run", "sandwich_key", "sandwich_law", "sandwiches", "spin_glass", "statistics", "theory_cavity",
           "theory_chain_law", "theory_sandwich_law", "theory_wigner_atom", "theory_wishart_atom",
           "theory_zero_atom", "wishart_chains"]

DEFAULTS = {
    "chain_n0": 1000, "chain_shapes": [[1.0, 1.0], [0.5, 2.0], [2.0, 2.0 / 3.0]], "chain3_shape": [2.0, 2.0 / 3.0, 0.4],
    "curve_n0": 600, "curve_ratios": [0.1, 0.25, 0.4, 0.55, 0.7, 0.85, 1.0, 1.25, 1.5],
    "sandwich_n": 1000, "sandwich_ratios": [0.5, 2.0],
    "perc_n": 800, "perc_degrees": [0.5, 1.0, 1.5, 2.0, math.e, 3.0, 4.0, 6.0, 8.0], "perc_draws": 4,
    "fixed_ps": [0.05, 0.2], "wishart_cells": [[2000, 1000, 1.0], [2000, 4000, 1.5], [1500, 1500, 3.0]],
    "wishart_scale": 0.4, "wishart_draws": 3,
    "cavity_degree": 4.0, "cavity_pool": 10000, "cavity_sweeps": 40, "cavity_eta": 1e-3, "cavity_bins": 50,
    **sim.SWEEP_DEFAULTS,
}
"""Settings of the Monte Carlo sections (the calibrated ones, then the sweeps of the statistical checks)."""

ZERO_RTOL = sim.ZERO_RTOL
chain_dims = sim.chain_dims


@lru_cache(maxsize=32)
def chain_law(dims):
    """:func:`rmtlib.models.products.wishart_chain_law`, cached (the unperturbed law, for figures)."""
    return prod.wishart_chain_law(dims)


@lru_cache(maxsize=64)
def _law_of_ratios(ratios):  # the polynomial oracle: free.multiply stalls near c = (1, 1) with c != 1
    return laws.MarchenkoPastur(ratios[0]) if len(ratios) == 1 else prod.ChainLaw(ratios)


@lru_cache(maxsize=8)
def sandwich_law(ratio):
    """:func:`rmtlib.models.products.sandwich_law` with unit variance, cached."""
    return prod.sandwich_law(ratio)


def _ratios(dims):
    return tuple(float(theory.parameter("ratio", c)) for c in prod.chain_ratios(dims))


def theory_chain_law(dims):
    """The law a chain with dimensions ``dims`` is compared with: ``MP(c_1) x ... x MP(c_K)``, perturbed.

    Notes
    -----
    Free multiplicative convolution of Marchenko-Pastur laws, evaluated by the polynomial
    ``z psi = (1 + psi) prod (1 + c_k psi)`` (book/derivations.md, eq. (alg-chain);
    :class:`rmtlib.models.products.ChainLaw`), with ``c_k = N_0/N_k`` read through
    ``theory.parameter("ratio", .)`` and pushed forward by ``theory.law``.
    """
    return theory.law(_law_of_ratios(_ratios(dims)))


def theory_zero_atom(dims):
    """The zero atom ``1 - min(1, min_k 1/c_k)`` of the chain law, ``c_k`` read through ``ratio``.

    Notes
    -----
    Rank of a product, book/derivations.md, eq. (prod-chain-atom).
    """
    return 1.0 - min(1.0, min(1.0 / c for c in _ratios(dims)))


def theory_sandwich_law(ratio):
    """``SC x MP(c)`` with ``c`` read through ``ratio``, pushed forward by ``theory.law``."""
    return theory.law(sandwich_law(float(theory.parameter("ratio", float(ratio)))))


def theory_wigner_atom(c):
    """Bauer-Golinelli atom of the sparse Wigner law, the degree read through ``degree``.

    Notes
    -----
    Bauer and Golinelli (2001); book/derivations.md, eq. (prod-bauer-golinelli).
    """
    return perc.percolated_wigner_atom(theory.parameter("degree", float(c)))


def theory_wishart_atom(n, m, a):
    """Atom of the percolated Wishart law of an ``N x M`` cell with row degree ``a``, perturbed.

    Notes
    -----
    book/derivations.md, eq. (prod-bipartite-atom). The mass depends on ``N, M`` only through
    ``N/M`` (with ``a = pM`` and ``b = pN``), so the perturbed ratio ``f N/M`` is evaluated on the
    integer cell ``(1000 N, round(1000 M / f))``; the row degree is multiplied by ``degree``.
    """
    f, a = theory.parameter("ratio", 1.0), theory.parameter("degree", float(a))
    if f == 1.0:
        return perc.percolated_wishart_atom(n, m, a / m)
    big = max(1, round(1000 * m / f))
    return perc.percolated_wishart_atom(1000 * n, big, a / big)


def theory_cavity(x, c, *, pool, sweeps, eta, rng):
    """The sparse Wigner density by population dynamics at ``x + i eta``, pushed forward by ``scale``.

    Notes
    -----
    Cavity recursion, book/derivations.md, eq. (prod-cavity); the pushforward of a density under
    ``x -> s x`` at ``x + i eta`` is ``rho_{eta/s}(x/s)/s``.
    """
    s = theory.scale()
    return perc.sparse_wigner_density(np.asarray(x, dtype=float) / s, theory.parameter("degree", float(c)),
                                      pool=pool, sweeps=sweeps, eta=eta / s, rng=rng) / s


def sandwich_key(ratio):
    """Statistic prefix of the sandwich with ratio ``c``: ``sandwich0p5`` for 0.5 (a valid check id)."""
    return f"sandwich{ratio:g}".replace(".", "p")


def _rel(a, b):
    return abs(a - b) / abs(b)

def _ks(ev, law):
    return spectra.ks_distance(ev, law, tol=ZERO_RTOL * np.abs(ev).max()).statistic

def _mean_se(values):
    return float(np.mean(values)), float(np.std(values, ddof=1) / np.sqrt(len(values)))

def _chain_stats(dims, ev, k):
    law = theory_chain_law(tuple(dims))
    st = {f"chain{k}_ks": _ks(ev, law), f"chain{k}_atom_err": abs(sim.zero_fraction(ev) - theory_zero_atom(dims)),
          f"chain{k}_m2_rel": _rel(np.mean(ev**2), law.moment(2))}
    if prod.zero_atom(dims) > 0:  # the simulated shape decides which checks exist, not the theory
        lo, hi = law.support[0]
        st[f"chain{k}_upper_err"] = abs(ev.max() - hi)
        st[f"chain{k}_lower_err"] = abs(ev[ev > ZERO_RTOL * ev.max()].min() - lo)
    return st


def wishart_chains(settings, seed):
    """Wishart chains, the atom curve over the middle dimension and the three-factor chain.

    Parameters
    ----------
    settings : dict
        Keys of :data:`DEFAULTS` (missing keys take the defaults).
    seed : int
        Root seed (streams 0-2 of :func:`rmtlib.experiments.products_sim.draw_chains`).

    Returns
    -------
    dict
        ``chains`` (list of (dims, eigenvalues)), ``atoms`` (their theory zero atoms), ``edges`` (of the
        second chain's law), ``curve`` (ratios, zero fractions, theory atoms), ``chain3`` ((dims,
        eigenvalues)), ``root_rule`` (``x`` and the densities of the continued root and of the per-point
        rule on the three-factor chain, ``deviation`` their largest difference) and ``stats``.

    Notes
    -----
    The zero atom ``1 - min(1, min_k N_k / N_0)`` is exact at every size (rank of a product); see
    book/derivations.md, eq. (prod-chain-atom).
    """
    s = {**DEFAULTS, **settings}
    draws = sim.draw_chains({k: s[k] for k in ("chain_n0", "chain_shapes", "chain3_shape", "curve_n0",
                                               "curve_ratios")}, seed)
    chains, (d3, ev3) = draws["chains"], draws["chain3"]
    curve = {"ratios": [d[1] / d[0] for d, _ in draws["curve"]], "n0": int(s["curve_n0"]),
             "fractions": [sim.zero_fraction(ev) for _, ev in draws["curve"]],
             "exact": [theory_zero_atom(d) for d, _ in draws["curve"]]}
    c3 = prod.chain_ratios(d3)
    x = np.linspace(1e-3, 1.3 * chain_law(d3).support[0][1], 600)
    good = -prod.chain_stieltjes(x, c3).imag / np.pi
    bad = -prod.chain_stieltjes_per_point(x, c3).imag / np.pi
    stats = {}
    for k, (d, ev) in enumerate(chains):
        stats.update(_chain_stats(d, ev, k))
    stats["chain3_ks"] = _ks(ev3, theory_chain_law(d3))
    frac, exact = np.array(curve["fractions"]), np.array(curve["exact"])
    pos = np.array([prod.zero_atom(d) > 0 for d, _ in draws["curve"]])
    stats["curve_atom_err"] = float(np.max(np.abs(frac - exact)[pos], initial=0.0))
    stats["curve_noatom_frac"] = float(np.max(frac[~pos], initial=0.0))
    return {"chains": chains, "atoms": [theory_zero_atom(d) for d, _ in chains],
            "edges": theory_chain_law(chains[1][0]).support[0], "curve": curve, "chain3": (d3, ev3),
            "root_rule": {"x": x, "continued": good, "per_point": bad,
                          "deviation": float(np.max(np.abs(good - bad)))}, "stats": stats}


def sandwiches(settings, seed):
    """Wigner x Wishart sandwiches and the free product of two square Wisharts.

    Parameters
    ----------
    settings : dict
        Keys of :data:`DEFAULTS`.
    seed : int
        Root seed (streams 3-4).

    Returns
    -------
    dict
        ``sandwich`` (list of (ratio, eigenvalues)), ``free_product`` ((dims, eigenvalues)) and
        ``stats`` (split KS, atom and moment errors against the theory laws).

    Notes
    -----
    The law of the sandwich solves a quartic, book/derivations.md, eq. (prod-sandwich-quartic).
    """
    s = {**DEFAULTS, **settings}
    draws = sim.draw_sandwiches({k: s[k] for k in ("chain_n0", "sandwich_n", "sandwich_ratios")}, seed)
    stats = {}
    for c, evc in draws["sandwich"]:
        law, key = theory_sandwich_law(float(c)), sandwich_key(c)
        stats[f"{key}_ks"] = _ks(evc, law)
        stats[f"{key}_atom_err"] = abs(sim.zero_fraction(evc) - law.atom_mass(0.0))
        stats[f"{key}_m2_rel"] = _rel(np.mean(evc**2), law.moment(2))
        stats[f"{key}_m4_rel"] = _rel(np.mean(evc**4), law.moment(4))
    dims, ev = draws["free_product"]
    stats["free_product_ks"] = _ks(ev, theory_chain_law(dims))
    return {**draws, "stats": stats}


_PERC_KEYS = ("perc_n", "perc_degrees", "perc_draws", "cavity_degree", "fixed_ps", "wishart_cells", "wishart_scale",
              "wishart_draws")


def percolated(settings, seed):
    """Percolated Wigner and Wishart matrices: zero fractions, the cavity density, the fixed-p regime.

    Parameters
    ----------
    settings : dict
        Keys of :data:`DEFAULTS`.
    seed : int
        Root seed (streams 5-8; stream 8 draws the population of the cavity recursion).

    Returns
    -------
    dict
        ``perc`` (degrees, zero fractions per draw, ``rows`` (c, w_0, mean, s.e.), the spectra at
        ``cavity_degree``), ``fixed_p`` (list of (p, zero count, N)), ``wishart`` (cells, fractions,
        ``rows`` (N, M, a, w_0, mean, s.e.)), ``cavity`` (bin edges, midpoints, density) and ``stats``.

    Notes
    -----
    Atoms: book/derivations.md, eqs. (prod-bauer-golinelli) and (prod-bipartite-atom); the cavity
    recursion is eq. (prod-cavity).
    """
    s = {**DEFAULTS, **settings}
    d = sim.draw_percolated({k: s[k] for k in _PERC_KEYS}, seed)
    degrees = list(s["perc_degrees"])
    pr = {"degrees": degrees, "fractions": d["fractions"], "n": int(s["perc_n"]), "cavity_spectra": d["cavity_spectra"],
          "rows": [(c, theory_wigner_atom(c), *_mean_se(f)) for c, f in zip(degrees, d["fractions"])]}
    w0 = [theory_wishart_atom(*cell) for cell in d["cells"]]
    wi = {"cells": d["cells"], "fractions": d["wishart"],
          "rows": [(*cell, w, *_mean_se(f)) for cell, w, f in zip(d["cells"], w0, d["wishart"])]}
    x = np.linspace(-2.5, 2.5, int(s["cavity_bins"]) + 1)
    mids = 0.5 * (x[1:] + x[:-1])
    cav = {"edges": x, "x": mids, "degree": float(s["cavity_degree"]),
           "density": theory_cavity(mids, s["cavity_degree"], pool=int(s["cavity_pool"]), sweeps=int(s["cavity_sweeps"]),
                                    eta=float(s["cavity_eta"]), rng=sim.generators(seed)[8])}
    stats = {"perc_atom_err": float(np.max([abs(mean - w) for _, w, mean, _ in pr["rows"]])),
             "wishart_atom_err": float(np.max([abs(np.mean(f) - w) for w, f in zip(w0, d["wishart"])]))}
    if pr["cavity_spectra"].size:
        hist, _ = np.histogram(pr["cavity_spectra"], bins=x)
        hist = hist / (pr["cavity_spectra"].size * np.diff(x))
        stats["cavity_err"] = float(np.max(np.abs(hist - cav["density"])[np.abs(mids) > 0.3]))
    return {"perc": pr, "fixed_p": d["fixed_p"], "wishart": wi, "cavity": cav, "stats": stats}


def run(settings, seed):
    """Every Monte Carlo section of the chapter judged: :func:`wishart_chains`, :func:`sandwiches`, :func:`percolated`.

    Returns the union of their results, ``stats`` holding all their statistics, and ``settings``.
    """
    parts = [wishart_chains(settings, seed), sandwiches(settings, seed), percolated(settings, seed)]
    stats = {k: v for part in parts for k, v in part["stats"].items()}
    merged = {k: v for part in parts for k, v in part.items()}
    return {**merged, "stats": stats, "settings": {**DEFAULTS, **settings}}


def statistics(settings, seed):
    """The calibrated statistics of the chapter: ``{name: float}`` of :func:`run` (KS, atom, moment, edge errors)."""
    return {k: float(v) for k, v in run(settings, seed)["stats"].items()}


def spin_glass(settings, seed, *, p=3):
    """Layer thresholds of the spherical p-spin glass and the what-if index maps of three laws.

    Parameters
    ----------
    settings : dict
        ``perc_n``: size of the sparse Wigner matrix (mean degree 2) standing in for its law.
    seed : int
        Seed of that matrix.
    p : int
        Interaction order of the index maps.

    Returns
    -------
    dict
        ``e_inf`` and ``layers`` (``E_0..E_4``) for p = 3 and 4, ``i1_value`` (``I_1(-1.9)``, p = 3),
        ``i1_log_potential_err``, ``index`` (energies ``u`` and ``alpha(u)`` per law), ``log_potential``
        (``t`` and ``Omega - Omega_sc`` per law) and ``sandwich_threshold`` (the minima-only threshold
        with the sandwich law).

    Notes
    -----
    Auffinger, Ben Arous and Cerny (2013), Theorem 2.5; the what-if maps are book/derivations.md,
    eq. (prod-index-map).
    """
    s = {**DEFAULTS, **settings}
    u_out = np.array([-1.7, -1.9, -2.5])
    t_out = 2 * u_out / spinglass.e_inf(3)
    sc, sw = laws.Semicircle(), prod.sandwich_law(2.0)
    sparse_ev = sim.sparse_spectrum(int(s["perc_n"]), 2.0, seed)
    named = {"semicircle": sc, "sandwich c=2": sw, f"sparse Wigner c=2 (N={s['perc_n']})": laws.Empirical(sparse_ev)}
    u = np.linspace(-2.6, 0.6, 400)
    tt = np.concatenate([np.linspace(-3.2, -0.2, 31), np.linspace(0.2, 1.0, 9)])
    om_sc = spinglass.log_potential(tt, sc)
    omega = {"sandwich c=2": spinglass.log_potential(tt, sw) - om_sc,
             "sparse c=2": np.mean(np.log(np.abs(tt[:, None] - sparse_ev[None, :])), axis=1) - om_sc}
    return {"e_inf": {q: spinglass.e_inf(q) for q in (3, 4)},
            "layers": {q: [spinglass.layer_threshold(k, q) for k in range(5)] for q in (3, 4)},
            "i1_value": float(spinglass.i1(np.array([-1.9]), 3)[0]),
            "i1_log_potential_err": float(np.max(np.abs(spinglass.i1(u_out, 3) - (
                t_out**2 / 4 - 0.5 - spinglass.log_potential(t_out, sc))))),
            "index": {"u": u, "alpha": {name: spinglass.index_map(u, p, law.cdf) for name, law in named.items()}},
            "log_potential": {"t": tt, "difference": omega},
            "sandwich_threshold": spinglass.e_inf(3) * abs(sw.support[0][0]) / 2}
