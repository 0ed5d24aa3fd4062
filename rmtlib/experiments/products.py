"""Experiments of the products chapter, as pure functions of (settings, seed).

One function per section of the chapter returns plain results and, under ``"stats"``, the scalars
its checks compare with bounds: :func:`wishart_chains`, :func:`sandwiches`, :func:`percolated`,
:func:`trained_network` (with :func:`family_fits`) and :func:`spin_glass`. :func:`run` draws every
Monte Carlo spectrum of the chapter and :func:`statistics` is the map ``(settings, seed) ->
{name: float}`` of the calibrated scalars, which ``rmtlib.compendium.calibration.calibrate`` maps
over seeds. The Monte Carlo sections share one seed: each takes its own children of
``SeedSequence(seed).spawn(12)``, so a section drawn alone equals the same section of :func:`run`.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from rmtlib import laws, spectra
from rmtlib.experiments import curvature, fitting
from rmtlib.models import percolation as perc
from rmtlib.models import products as prod
from rmtlib.models import spinglass

__all__ = ["DEFAULTS", "NETWORK_DEFAULTS", "ZERO_RTOL", "chain_dims", "chain_law", "family_fits", "percolated",
           "run", "sandwich_key", "sandwich_law", "sandwiches", "spin_glass", "statistics", "trained_network",
           "wishart_chains"]

DEFAULTS = {
    "chain_n0": 1000,
    "chain_shapes": [[1.0, 1.0], [0.5, 2.0], [2.0, 2.0 / 3.0]],
    "chain3_shape": [2.0, 2.0 / 3.0, 0.4],
    "curve_n0": 600,
    "curve_ratios": [0.1, 0.25, 0.4, 0.55, 0.7, 0.85, 1.0, 1.25, 1.5],
    "sandwich_n": 1000,
    "sandwich_ratios": [0.5, 2.0],
    "perc_n": 800,
    "perc_degrees": [0.5, 1.0, 1.5, 2.0, math.e, 3.0, 4.0, 6.0, 8.0],
    "perc_draws": 4,
    "fixed_ps": [0.05, 0.2],
    "wishart_cells": [[2000, 1000, 1.0], [2000, 4000, 1.5], [1500, 1500, 3.0]],
    "wishart_scale": 0.4,
    "wishart_draws": 3,
    "cavity_degree": 4.0,
    "cavity_pool": 10000,
    "cavity_sweeps": 40,
    "cavity_eta": 1e-3,
    "cavity_bins": 50,
}
"""Settings of the Monte Carlo sections (the calibrated ones)."""

NETWORK_DEFAULTS = {"mlp_hidden": 16, "mlp_steps": 2000, "mlp_lr": 0.01, "mlp_weight_decay": 1e-3,
                    "mlp_n_small": 100, "mlp_n_large": 1797, "fit_perc_size": 1210, "n_outliers": 10}
"""Settings of the trained-network section (:func:`trained_network`, :func:`family_fits`)."""

ZERO_RTOL = 1e-20
"""Zero tolerance relative to the top eigenvalue: structural zeros of the SVD-based samplers sit near
``1e-32`` (squared roundoff), while the singular square-chain density puts an expected ``~1e-4``
eigenvalues below ``1e-20`` at these sizes (but about one below ``1e-12``)."""

_CURVATURE_RTOL = (1e-9, 1e-3)  # exact zeros, near zeros of a curvature spectrum (relative to max |lambda|)


def chain_dims(n0, shape):
    """``(N_0, round(s_1 N_0), ...)`` for size multipliers ``shape = (N_1/N_0, ...)``."""
    return tuple([int(n0)] + [max(1, round(s * n0)) for s in shape])


@lru_cache(maxsize=32)
def chain_law(dims):
    """:func:`rmtlib.models.products.wishart_chain_law`, cached (the same laws serve every seed)."""
    return prod.wishart_chain_law(dims)


@lru_cache(maxsize=8)
def sandwich_law(ratio):
    """:func:`rmtlib.models.products.sandwich_law` with unit variance, cached."""
    return prod.sandwich_law(ratio)


def sandwich_key(ratio):
    """Statistic prefix of the sandwich with ratio ``c``: ``sandwich0p5`` for 0.5 (a valid check id)."""
    return f"sandwich{ratio:g}".replace(".", "p")


def _gens(seed, k=12):
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(k)]


def _atom(ev, rtol=ZERO_RTOL):
    return spectra.atom_fraction(ev, 0.0, tol=rtol * np.max(np.abs(ev)))


def _rel(a, b):
    return abs(a - b) / abs(b)


def _ks(ev, law):
    return spectra.ks_distance(ev, law, tol=ZERO_RTOL * np.abs(ev).max()).statistic


def _mean_se(values):
    return float(np.mean(values)), float(np.std(values, ddof=1) / np.sqrt(len(values)))


def _chain_stats(dims, ev, k):
    law = chain_law(tuple(dims))
    st = {f"chain{k}_ks": _ks(ev, law), f"chain{k}_atom_err": abs(_atom(ev) - prod.zero_atom(dims)),
          f"chain{k}_m2_rel": _rel(np.mean(ev**2), law.moment(2))}
    if law.atoms:
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
        Root seed (streams 0-2 of ``SeedSequence(seed).spawn(12)``).

    Returns
    -------
    dict
        ``chains`` (list of (dims, eigenvalues)), ``atoms`` (their exact zero atoms), ``edges`` (of the
        second chain's law), ``curve`` (ratios, zero fractions, exact atoms), ``chain3`` ((dims,
        eigenvalues)), ``root_rule`` (``x`` and the densities of the continued root and of the per-point
        rule on the three-factor chain, ``deviation`` their largest difference) and ``stats``.

    Notes
    -----
    The zero atom ``1 - min(1, min_k N_k / N_0)`` is exact at every size (rank of a product); see
    book/derivations.md, eq. (prod-chain-atom).
    """
    s, g = {**DEFAULTS, **settings}, _gens(seed)
    n0 = int(s["chain_n0"])
    chains = [(d, prod.sample_wishart_chain(d, rng=g[0])) for d in (chain_dims(n0, sh) for sh in s["chain_shapes"])]
    d3 = chain_dims(n0, s["chain3_shape"])
    ev3 = prod.sample_wishart_chain(d3, rng=g[1])
    nc = int(s["curve_n0"])
    dims = [(nc, max(1, round(r * nc)), nc) for r in s["curve_ratios"]]
    curve = {"ratios": [d[1] / d[0] for d in dims], "n0": nc,
             "fractions": [_atom(prod.sample_wishart_chain(d, rng=g[2])) for d in dims],
             "exact": [prod.zero_atom(d) for d in dims]}
    c3 = prod.chain_ratios(d3)
    x = np.linspace(1e-3, 1.3 * chain_law(d3).support[0][1], 600)
    good = -prod.chain_stieltjes(x, c3).imag / np.pi
    bad = -prod.chain_stieltjes_per_point(x, c3).imag / np.pi
    stats = {}
    for k, (d, ev) in enumerate(chains):
        stats.update(_chain_stats(d, ev, k))
    stats["chain3_ks"] = _ks(ev3, chain_law(d3))
    frac, exact = np.array(curve["fractions"]), np.array(curve["exact"])
    pos = exact > 0
    stats["curve_atom_err"] = float(np.max(np.abs(frac - exact)[pos], initial=0.0))
    stats["curve_noatom_frac"] = float(np.max(frac[~pos], initial=0.0))
    return {"chains": chains, "atoms": [prod.zero_atom(d) for d, _ in chains],
            "edges": chain_law(chains[1][0]).support[0], "curve": curve, "chain3": (d3, ev3),
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
        ``stats`` (split KS, atom and moment errors).

    Notes
    -----
    The law of the sandwich solves a quartic, book/derivations.md, eq. (prod-sandwich-quartic).
    """
    s, g = {**DEFAULTS, **settings}, _gens(seed)
    n0, ns = int(s["chain_n0"]), int(s["sandwich_n"])
    sw = [(c, prod.sample_sandwich(ns, max(1, round(ns / c)), rng=g[3])) for c in s["sandwich_ratios"]]
    dims = (n0, n0 // 2, 2 * n0)
    ev = prod.sample_free_wishart_product(*dims, rng=g[4])
    stats = {}
    for c, evc in sw:
        law, key = sandwich_law(float(c)), sandwich_key(c)
        stats[f"{key}_ks"] = _ks(evc, law)
        stats[f"{key}_atom_err"] = abs(_atom(evc) - law.atom_mass(0.0))
        stats[f"{key}_m2_rel"] = _rel(np.mean(evc**2), law.moment(2))
        stats[f"{key}_m4_rel"] = _rel(np.mean(evc**4), law.moment(4))
    stats["free_product_ks"] = _ks(ev, chain_law(dims))
    return {"sandwich": sw, "free_product": (dims, ev), "stats": stats}


def percolated(settings, seed):
    """Percolated Wigner and Wishart matrices: zero fractions, the cavity density, the fixed-p regime.

    Parameters
    ----------
    settings : dict
        Keys of :data:`DEFAULTS`.
    seed : int
        Root seed (streams 5-8).

    Returns
    -------
    dict
        ``perc`` (degrees, zero fractions per draw, ``rows`` (c, w_0, mean, s.e.), the spectra at
        ``cavity_degree``), ``fixed_p`` (list of (p, zero fraction)), ``wishart`` (cells, fractions,
        ``rows`` (N, M, a, w_0, mean, s.e.)), ``cavity`` (bin edges, midpoints, density) and ``stats``.

    Notes
    -----
    Atoms: book/derivations.md, eqs. (prod-bauer-golinelli) and (prod-bipartite-atom); the cavity
    recursion is eq. (prod-cavity).
    """
    s, g = {**DEFAULTS, **settings}, _gens(seed)
    npc, draws = int(s["perc_n"]), int(s["perc_draws"])
    fractions, cavity_ev = [], []
    for c in s["perc_degrees"]:
        row = []
        for _ in range(draws):
            h = perc.sample_sparse_wigner(npc, float(c), rng=g[5])
            if abs(c - s["cavity_degree"]) < 1e-12:
                ev = np.linalg.eigvalsh(h)
                cavity_ev.append(ev)
                row.append(float(np.mean(np.abs(ev) < 1e-9 * np.max(np.abs(ev)))))
            else:
                row.append(perc.zero_fraction(h))
        fractions.append(row)
    pr = {"degrees": list(s["perc_degrees"]), "fractions": fractions, "n": npc,
          "rows": [(c, perc.percolated_wigner_atom(c), *_mean_se(f)) for c, f in zip(s["perc_degrees"], fractions)],
          "cavity_spectra": np.concatenate(cavity_ev) if cavity_ev else np.zeros(0)}
    fixed = [(p, perc.zero_fraction(perc.sample_sparse_wigner(npc, p * (npc - 1), rng=g[6])))
             for p in s["fixed_ps"]]
    cells, wfr = [], []
    for n, m, a in s["wishart_cells"]:
        n, m = max(2, round(n * s["wishart_scale"])), max(2, round(m * s["wishart_scale"]))
        cells.append((n, m, float(a)))
        wfr.append([_atom(perc.sample_sparse_wishart(n, m, a / m, rng=g[7]), 1e-9)
                    for _ in range(int(s["wishart_draws"]))])
    w0 = [perc.percolated_wishart_atom(n, m, a / m) for n, m, a in cells]
    wi = {"cells": cells, "fractions": wfr, "rows": [(*cell, w, *_mean_se(f)) for cell, w, f in zip(cells, w0, wfr)]}
    x = np.linspace(-2.5, 2.5, int(s["cavity_bins"]) + 1)
    mids = 0.5 * (x[1:] + x[:-1])
    cav = {"edges": x, "x": mids, "degree": float(s["cavity_degree"]),
           "density": perc.sparse_wigner_density(mids, s["cavity_degree"], pool=int(s["cavity_pool"]), rng=g[8],
                                                 sweeps=int(s["cavity_sweeps"]), eta=float(s["cavity_eta"]))}
    stats = {"perc_atom_err": float(np.max([abs(mean - w) for _, w, mean, _ in pr["rows"]])),
             "wishart_atom_err": float(np.max([abs(np.mean(f) - w) for w, f in zip(w0, wfr)]))}
    if pr["cavity_spectra"].size:
        hist, _ = np.histogram(pr["cavity_spectra"], bins=x)
        hist = hist / (pr["cavity_spectra"].size * np.diff(x))
        stats["cavity_err"] = float(np.max(np.abs(hist - cav["density"])[np.abs(mids) > 0.3]))
    return {"perc": pr, "fixed_p": fixed, "wishart": wi, "cavity": cav, "stats": stats}


def run(settings, seed):
    """Draw every Monte Carlo spectrum of the chapter: the union of the three Monte Carlo sections.

    Parameters
    ----------
    settings : dict
        Keys of :data:`DEFAULTS` (missing keys take the defaults).
    seed : int

    Returns
    -------
    dict
        The results of :func:`wishart_chains`, :func:`sandwiches` and :func:`percolated` in one dict,
        ``stats`` holding all their statistics, and ``settings`` (the defaults updated by ``settings``).
    """
    parts = [wishart_chains(settings, seed), sandwiches(settings, seed), percolated(settings, seed)]
    stats = {k: v for part in parts for k, v in part["stats"].items()}
    merged = {k: v for part in parts for k, v in part.items()}
    return {**merged, "stats": stats, "settings": {**DEFAULTS, **settings}}


def statistics(settings, seed):
    """The calibrated statistics of the chapter: ``{name: float}`` of :func:`run` (KS, atom, moment, edge errors)."""
    return {k: float(v) for k, v in run(settings, seed)["stats"].items()}


def _curvature_summary(ev):
    lmax = float(np.max(np.abs(ev)))
    zero, near = (float(np.mean(np.abs(ev) < r * lmax)) for r in _CURVATURE_RTOL)
    negative = float(np.mean(ev < -_CURVATURE_RTOL[0] * lmax))
    return {"lambda_max": lmax, "zero": zero, "near": near, "negative": negative}


def trained_network(settings, seed):
    """Hessian and Gauss-Newton spectra of the digits MLP trained on few and on all samples.

    Parameters
    ----------
    settings : dict
        Keys of :data:`NETWORK_DEFAULTS` (``mlp_*``).
    seed : int
        Seed of :func:`rmtlib.experiments.curvature.curvature_spectra` (subset and initialisation).

    Returns
    -------
    dict
        ``{"small": ..., "large": ...}``: the results of ``curvature_spectra`` with ``n_small`` and
        ``n_large`` samples, each with ``summary[matrix]`` (``lambda_max``, fractions ``zero``
        (``|lambda| < 1e-9 lambda_max``), ``near`` (``< 1e-3 lambda_max``) and ``negative``).

    Notes
    -----
    The Gauss-Newton zero mass is at least the rank bound of book/derivations.md, eq. (prod-ggn-rank).
    """
    s = {**NETWORK_DEFAULTS, **settings}
    out = {}
    for key in ("small", "large"):
        res = curvature.curvature_spectra(s[f"mlp_n_{key}"], hidden=s["mlp_hidden"], steps=s["mlp_steps"],
                                          lr=s["mlp_lr"], weight_decay=s["mlp_weight_decay"], rng=seed)
        out[key] = {**res, "summary": {m: _curvature_summary(res[m]) for m in ("hessian", "ggn")}}
    return out


def family_fits(network, settings, seed):
    """Minimum-KS fits of the four families to the four curvature spectra of :func:`trained_network`.

    Parameters
    ----------
    network : dict
        The result of :func:`trained_network`.
    settings : dict
        ``fit_perc_size`` and ``n_outliers`` (:data:`NETWORK_DEFAULTS`).
    seed : int
        Seed of the percolated-Wishart tables.

    Returns
    -------
    dict
        :func:`rmtlib.experiments.fitting.compare_families` of the spectra keyed ``"<matrix>_<small|large>"``.
    """
    s = {**NETWORK_DEFAULTS, **settings}
    observed = {f"{m}_{key}": network[key][m] for key in ("small", "large") for m in ("hessian", "ggn")}
    tables = fitting.family_tables(perc_size=s["fit_perc_size"], rng=seed)
    return fitting.compare_families(observed, tables, n_outliers=s["n_outliers"])


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
        (``t`` and ``Omega - Omega_sc`` per law), ``jump`` (of the sandwich's index map at 0) and
        ``sandwich_threshold`` (the minima-only threshold with the sandwich law).

    Notes
    -----
    Auffinger, Ben Arous and Cerny (2013), Theorem 2.5; the what-if maps are book/derivations.md,
    eq. (prod-index-map).
    """
    s = {**DEFAULTS, **settings}
    u_out = np.array([-1.7, -1.9, -2.5])
    t_out = 2 * u_out / spinglass.e_inf(3)
    sc, sw = laws.Semicircle(), prod.sandwich_law(2.0)
    sparse_ev = np.linalg.eigvalsh(perc.sample_sparse_wigner(s["perc_n"], 2.0, rng=seed))
    sparse = laws.Empirical(sparse_ev)
    named = {"semicircle": sc, "sandwich c=2": sw, f"sparse Wigner c=2 (N={s['perc_n']})": sparse}
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
            "jump": float(sw.cdf(np.array([0.0]))[0] - sw.cdf(np.array([-1e-12]))[0]),
            "sandwich_threshold": spinglass.e_inf(3) * abs(sw.support[0][0]) / 2}
