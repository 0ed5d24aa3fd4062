"""Monte Carlo experiments of the products chapter, as pure functions of (settings, seed).

:func:`run` draws every simulated spectrum the chapter shows (Wishart chains, the atom curve,
the Wigner x Wishart sandwich, the free Wishart product, percolated Wigner and Wishart matrices,
the cavity density) and :func:`statistics` reduces the result to the scalars the checks compare
with thresholds. :func:`calibrate` maps :func:`statistics` over seeds, as the calibration rule of
the project asks (``tests/data/products_calibration.json``).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from rmtlib.models import percolation as perc
from rmtlib.models import products as prod
from rmtlib import spectra

__all__ = ["DEFAULTS", "calibrate", "chain_dims", "chain_law", "run", "sandwich_law", "statistics", "thresholds"]

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

ZERO_RTOL = 1e-20
"""Zero tolerance relative to the top eigenvalue: structural zeros of the SVD-based samplers sit near
``1e-32`` (squared roundoff), while the singular square-chain density puts an expected ``~1e-4``
eigenvalues below ``1e-20`` at these sizes (but about one below ``1e-12``)."""


def chain_dims(n0, shape):
    """``(N_0, round(s_1 N_0), ...)`` for size multipliers ``shape = (N_1/N_0, ...)``."""
    return tuple([int(n0)] + [max(1, round(s * n0)) for s in shape])


def _gens(seed, k):
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(k)]


def _atom(ev, rtol=ZERO_RTOL):
    return spectra.atom_fraction(ev, 0.0, tol=rtol * np.max(np.abs(ev)))


def atom_curve(settings, rng):
    """Zero fractions of chains ``(N_0, r N_0, N_0)`` over ``settings["curve_ratios"]``, and the exact atoms."""
    nc = int(settings["curve_n0"])
    dims = [(nc, max(1, round(r * nc)), nc) for r in settings["curve_ratios"]]
    return {"ratios": [d[1] / d[0] for d in dims], "n0": nc,
            "fractions": [_atom(prod.sample_wishart_chain(d, rng=rng)) for d in dims],
            "exact": [prod.zero_atom(d) for d in dims]}


def curve_statistics(curve):
    """``curve_atom_err`` (max error where the atom is positive: exact at finite N) and
    ``curve_noatom_frac`` (largest zero fraction where there is no atom: tiny eigenvalues only)."""
    frac, exact = np.array(curve["fractions"]), np.array(curve["exact"])
    pos = exact > 0
    return {"curve_atom_err": float(np.max(np.abs(frac - exact)[pos], initial=0.0)),
            "curve_noatom_frac": float(np.max(frac[~pos], initial=0.0))}


def run(settings, seed):
    """Draw every Monte Carlo spectrum of the chapter.

    Parameters
    ----------
    settings : dict
        Sizes (keys of ``DEFAULTS``; missing keys take the defaults).
    seed : int
        Root seed; independent streams come from ``SeedSequence(seed).spawn``.

    Returns
    -------
    dict
        ``chains`` (list of (dims, eigenvalues)), ``chain3``, ``curve`` (ratios, fractions, exact),
        ``sandwich`` (list of (ratio, eigenvalues)), ``free_product``, ``perc`` (degrees, zero
        fractions per draw, the c = cavity_degree spectra), ``fixed_p``, ``wishart`` (cells,
        fractions), ``cavity`` (x, density).
    """
    s = {**DEFAULTS, **settings}
    g = _gens(seed, 12)
    n0 = int(s["chain_n0"])
    out = {"settings": s}
    out["chains"] = [(chain_dims(n0, sh), prod.sample_wishart_chain(chain_dims(n0, sh), rng=g[0]))
                     for sh in s["chain_shapes"]]
    d3 = chain_dims(n0, s["chain3_shape"])
    out["chain3"] = (d3, prod.sample_wishart_chain(d3, rng=g[1]))
    out["curve"] = atom_curve(s, g[2])
    ns = int(s["sandwich_n"])
    out["sandwich"] = [(c, prod.sample_sandwich(ns, max(1, round(ns / c)), rng=g[3]))
                       for c in s["sandwich_ratios"]]
    out["free_product"] = ((n0, n0 // 2, 2 * n0), prod.sample_free_wishart_product(n0, n0 // 2, 2 * n0, rng=g[4]))
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
    out["perc"] = {"degrees": list(s["perc_degrees"]), "fractions": fractions, "n": npc,
                   "cavity_spectra": np.concatenate(cavity_ev) if cavity_ev else np.zeros(0)}
    out["fixed_p"] = [(p, perc.zero_fraction(perc.sample_sparse_wigner(npc, p * (npc - 1), rng=g[6])))
                      for p in s["fixed_ps"]]
    cells, wfr = [], []
    for n, m, a in s["wishart_cells"]:
        n, m = max(2, round(n * s["wishart_scale"])), max(2, round(m * s["wishart_scale"]))
        cells.append((n, m, float(a)))
        wfr.append([_atom(perc.sample_sparse_wishart(n, m, a / m, rng=g[7]), 1e-9)
                    for _ in range(int(s["wishart_draws"]))])
    out["wishart"] = {"cells": cells, "fractions": wfr}
    x = np.linspace(-2.5, 2.5, int(s["cavity_bins"]) + 1)
    mids = 0.5 * (x[1:] + x[:-1])
    out["cavity"] = {"edges": x, "x": mids,
                     "density": perc.sparse_wigner_density(
                         mids, s["cavity_degree"], pool=int(s["cavity_pool"]), sweeps=int(s["cavity_sweeps"]),
                         eta=float(s["cavity_eta"]), rng=g[8])}
    return out


@lru_cache(maxsize=32)
def chain_law(dims):
    """:func:`rmtlib.products.wishart_chain_law`, cached (the same laws serve every seed)."""
    return prod.wishart_chain_law(dims)


@lru_cache(maxsize=8)
def sandwich_law(ratio):
    """:func:`rmtlib.products.sandwich_law` with unit variance, cached."""
    return prod.sandwich_law(ratio)


def sandwich_key(ratio):
    """Statistic prefix of the sandwich with ratio ``c``: ``sandwich0p5`` for 0.5 (a valid check id)."""
    return f"sandwich{ratio:g}".replace(".", "p")


def _rel(a, b):
    return abs(a - b) / abs(b)


def statistics(result):
    """Scalars compared with thresholds: KS distances, atom and moment errors, edge errors."""
    st = {}
    for k, (dims, ev) in enumerate(result["chains"]):
        law = chain_law(tuple(dims))
        res = spectra.ks_distance(ev, law, tol=ZERO_RTOL * ev.max())
        st[f"chain{k}_ks"] = res.statistic
        st[f"chain{k}_atom_err"] = abs(_atom(ev) - prod.zero_atom(dims))
        st[f"chain{k}_m2_rel"] = _rel(np.mean(ev**2), law.moment(2))
        if law.atoms:
            lo, hi = law.support[0]
            st[f"chain{k}_upper_err"] = abs(ev.max() - hi)
            st[f"chain{k}_lower_err"] = abs(ev[ev > ZERO_RTOL * ev.max()].min() - lo)
    dims, ev = result["chain3"]
    st["chain3_ks"] = spectra.ks_distance(ev, chain_law(tuple(dims)), tol=ZERO_RTOL * ev.max()).statistic
    st.update(curve_statistics(result["curve"]))
    for c, ev in result["sandwich"]:
        law = sandwich_law(float(c))
        key = sandwich_key(c)
        st[f"{key}_ks"] = spectra.ks_distance(ev, law, tol=ZERO_RTOL * np.abs(ev).max()).statistic
        st[f"{key}_atom_err"] = abs(_atom(ev) - law.atom_mass(0.0))
        st[f"{key}_m2_rel"] = _rel(np.mean(ev**2), law.moment(2))
        st[f"{key}_m4_rel"] = _rel(np.mean(ev**4), law.moment(4))
    dims, ev = result["free_product"]
    st["free_product_ks"] = spectra.ks_distance(ev, chain_law(tuple(dims)), tol=ZERO_RTOL * ev.max()).statistic
    pr = result["perc"]
    errs = [abs(np.mean(f) - perc.percolated_wigner_atom(c)) for c, f in zip(pr["degrees"], pr["fractions"])]
    st["perc_atom_err"] = float(np.max(errs))
    wi = result["wishart"]
    st["wishart_atom_err"] = float(np.max([abs(np.mean(f) - perc.percolated_wishart_atom(n, m, a / m))
                                           for (n, m, a), f in zip(wi["cells"], wi["fractions"])]))
    cav = result["cavity"]
    if pr["cavity_spectra"].size:
        hist, _ = np.histogram(pr["cavity_spectra"], bins=cav["edges"])
        hist = hist / (pr["cavity_spectra"].size * np.diff(cav["edges"]))
        keep = np.abs(cav["x"]) > 0.3
        st["cavity_err"] = float(np.max(np.abs(hist - cav["density"])[keep]))
    return st


def calibrate(settings, seeds):
    """Map :func:`statistics` of :func:`run` over ``seeds``; returns ``{name: [values]}``."""
    values = {}
    for seed in seeds:
        for k, v in statistics(run(settings, int(seed))).items():
            values.setdefault(k, []).append(float(v))
    return values


def thresholds(calibration, profile, *, safety=1.5):
    """Thresholds ``safety * max`` over the calibrated seeds of one profile."""
    vals = calibration[profile]["values"]
    return {k: safety * max(v) for k, v in vals.items()}
