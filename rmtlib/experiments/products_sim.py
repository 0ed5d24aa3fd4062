"""The Monte Carlo of the products chapter: pure, cached functions of (settings, seed).

Simulate once, judge many times: every function here draws spectra (or trains a network) and
returns raw results, never a comparison with a law, so that a power run re-reads them from the
simulation cache (:func:`rmtlib.experiments.cache.simulation`) and only the judging in
:mod:`rmtlib.experiments.products` and :mod:`rmtlib.experiments.products_nulls` is redone.

Streams: the sections take children 0-8 of ``SeedSequence(seed).spawn(12)`` (see
:func:`generators`), the size sweep of the product laws child 9, the percolated sweeps child 10.
"""

from __future__ import annotations

import numpy as np

from rmtlib import spectra
from rmtlib.experiments.cache import simulation
from rmtlib.models import percolation as perc
from rmtlib.models import products as prod

__all__ = ["SWEEP_DEFAULTS", "ZERO_RTOL", "chain_dims", "draw_chains", "draw_percolated", "draw_sandwiches",
           "generators", "percolated_sizes", "percolated_sweep", "product_configs", "product_sweep", "sparse_spectrum",
           "spectrum_statistics", "zero_fraction"]

SWEEP_DEFAULTS = {"sweep_n0": [250, 500, 1000], "sweep_seeds": [24, 12, 8], "zero_n": 500, "zero_draws": 48,
                  "zero_small_n": [125, 250],
                  "wishart_stat_draws": 16, "cavity_replicas": 8}
"""Settings of the sweeps behind the statistical checks.

They are the sizes ``N_0`` of the product laws and the seeds per size, the size and draws per degree
of the sparse-Wigner atoms and moments (``zero_small_n``: the smaller sizes of the pooled atom's
intercept fit), the draws per cell of the percolated-Wishart atoms, and the
population-dynamics replicas of the cavity law."""

ZERO_RTOL = 1e-20
"""Zero tolerance relative to the top eigenvalue: structural zeros of the SVD-based samplers sit near
``1e-32`` (squared roundoff), while the singular square-chain density puts an expected ``~1e-4``
eigenvalues below ``1e-20`` at these sizes (but about one below ``1e-12``)."""

Z_CHAIN = -1.0
"""The point off the (positive) axis where the Stieltjes transform of the positive laws is compared."""


def generators(seed, k=12):
    """``k`` generators from the children of ``SeedSequence(seed)`` (the chapter's streams)."""
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(k)]


def chain_dims(n0, shape):
    """``(N_0, round(s_1 N_0), ...)`` for size multipliers ``shape = (N_1/N_0, ...)``."""
    return tuple([int(n0)] + [max(1, round(s * n0)) for s in shape])


def _sandwich_dims(n, c):
    return int(n), max(1, round(n / c))


@simulation
def draw_chains(settings, seed):
    """The spectra of the chains section: three chains, the three-factor chain, the atom curve.

    Parameters
    ----------
    settings : dict
        ``chain_n0``, ``chain_shapes``, ``chain3_shape``, ``curve_n0``, ``curve_ratios``.
    seed : int
        Root seed (streams 0-2).

    Returns
    -------
    dict
        ``chains`` (list of (dims, eigenvalues)), ``chain3`` ((dims, eigenvalues)), ``curve``
        (list of (dims, eigenvalues)).
    """
    g = generators(seed)
    n0 = int(settings["chain_n0"])
    chains = [(d, prod.sample_wishart_chain(d, rng=g[0])) for d in (chain_dims(n0, sh) for sh in settings["chain_shapes"])]
    d3 = chain_dims(n0, settings["chain3_shape"])
    ev3 = prod.sample_wishart_chain(d3, rng=g[1])
    nc = int(settings["curve_n0"])
    dims = [(nc, max(1, round(r * nc)), nc) for r in settings["curve_ratios"]]
    return {"chains": chains, "chain3": (d3, ev3),
            "curve": [(d, prod.sample_wishart_chain(d, rng=g[2])) for d in dims]}


@simulation
def draw_sandwiches(settings, seed):
    """The spectra of the sandwich section: ``[(ratio, eigenvalues)]`` and the free product ``(dims, eigenvalues)``."""
    g = generators(seed)
    n0, ns = int(settings["chain_n0"]), int(settings["sandwich_n"])
    sw = [(c, prod.sample_sandwich(*_sandwich_dims(ns, c), rng=g[3])) for c in settings["sandwich_ratios"]]
    dims = (n0, n0 // 2, 2 * n0)
    return {"sandwich": sw, "free_product": (dims, prod.sample_free_wishart_product(*dims, rng=g[4]))}


@simulation
def draw_percolated(settings, seed):
    """The Monte Carlo of the percolation section (streams 5-7).

    Returns
    -------
    dict
        ``fractions`` (per degree, per draw), ``cavity_spectra`` (eigenvalues at ``cavity_degree``),
        ``fixed_p`` (list of (p, zero count, N)), ``cells`` (N, M, a) and ``wishart`` (zero
        fractions per cell, per draw).
    """
    g = generators(seed)
    npc, draws = int(settings["perc_n"]), int(settings["perc_draws"])
    fractions, cavity_ev = [], []
    for c in settings["perc_degrees"]:
        row = []
        for _ in range(draws):
            h = perc.sample_sparse_wigner(npc, float(c), rng=g[5])
            if abs(c - settings["cavity_degree"]) < 1e-12:
                ev = np.linalg.eigvalsh(h)
                cavity_ev.append(ev)
                row.append(float(np.mean(np.abs(ev) < 1e-9 * np.max(np.abs(ev)))))
            else:
                row.append(perc.zero_fraction(h))
        fractions.append(row)
    fixed = [(p, round(npc * perc.zero_fraction(perc.sample_sparse_wigner(npc, p * (npc - 1), rng=g[6]))), npc)
             for p in settings["fixed_ps"]]
    cells, wfr = [], []
    for n, m, a in settings["wishart_cells"]:
        n, m = max(2, round(n * settings["wishart_scale"])), max(2, round(m * settings["wishart_scale"]))
        cells.append((n, m, float(a)))
        wfr.append([zero_fraction(perc.sample_sparse_wishart(n, m, a / m, rng=g[7]))
                    for _ in range(int(settings["wishart_draws"]))])
    return {"fractions": fractions, "cavity_spectra": np.concatenate(cavity_ev) if cavity_ev else np.zeros(0),
            "fixed_p": fixed, "cells": cells, "wishart": wfr}


def zero_fraction(ev, rtol=ZERO_RTOL):
    """Fraction of eigenvalues with |lambda| <= rtol max|lambda| (the structural zeros)."""
    return float(spectra.atom_fraction(ev, 0.0, tol=rtol * np.max(np.abs(ev))))


def spectrum_statistics(ev, *, symmetric):
    """The statistics of one spectrum that the statistical checks average over seeds.

    Parameters
    ----------
    ev : ndarray
        Eigenvalues.
    symmetric : bool
        True for a law symmetric about 0 (the sandwich): ``g`` is then ``-Im G(i)``, else ``G(-1)``.

    Returns
    -------
    dict
        ``m1``, ``m2``, ``m4`` (moments), ``g`` (the empirical Stieltjes transform at the fixed point
        off the axis), ``lmax``, ``lmin`` (smallest non-zero eigenvalue) and ``zero`` (zero fraction).
    """
    ev = np.asarray(ev, dtype=float)
    nonzero = ev[np.abs(ev) > ZERO_RTOL * np.max(np.abs(ev))]
    g = np.mean(1.0 / (1.0 + ev**2)) if symmetric else np.mean(1.0 / (Z_CHAIN - ev))
    return {"m1": float(np.mean(ev)), "m2": float(np.mean(ev**2)), "m4": float(np.mean(ev**4)), "g": float(g),
            "lmax": float(ev.max()), "lmin": float(np.min(np.abs(nonzero))), "zero": zero_fraction(ev)}


def product_configs(settings, n0):
    """``{name: (kind, dims)}`` of the product spectra drawn at size ``N_0 = n0`` (kind: chain, sandwich)."""
    out = {f"chain{k}": ("chain", chain_dims(n0, sh)) for k, sh in enumerate(settings["chain_shapes"])}
    out["chain3"] = ("chain", chain_dims(n0, settings["chain3_shape"]))
    for c in settings["sandwich_ratios"]:
        out[f"sandwich{c:g}".replace(".", "p")] = ("sandwich", _sandwich_dims(n0, c))
    out["free_product"] = ("free", (int(n0), int(n0) // 2, 2 * int(n0)))
    return out


def _draw(kind, dims, gen):
    if kind == "chain":
        return prod.sample_wishart_chain(dims, rng=gen)
    if kind == "sandwich":
        return prod.sample_sandwich(*dims, rng=gen)
    return prod.sample_free_wishart_product(*dims, rng=gen)


@simulation
def product_sweep(settings, seed):
    """Statistics of every product spectrum over sizes and seeds (stream 9).

    Parameters
    ----------
    settings : dict
        The chapter's settings: ``sweep_n0`` (sizes), ``sweep_seeds`` (seeds per size) and the shapes
        of :func:`product_configs`.
    seed : int
        Root seed.

    Returns
    -------
    dict
        ``sizes``, ``configs`` (``{size: product_configs}``) and ``stats[name][statistic]``: one array of
        per-seed values per size (independent draws).
    """
    root = np.random.SeedSequence(seed).spawn(12)[9]
    sizes = [int(n) for n in settings["sweep_n0"]]
    configs = {n: product_configs(settings, n) for n in sizes}
    stats = {name: {} for name in configs[sizes[0]]}
    for n, child, m in zip(sizes, root.spawn(len(sizes)), settings["sweep_seeds"]):
        rows = {name: [] for name in stats}
        for ss in child.spawn(int(m)):
            gen = np.random.default_rng(ss)
            for name, (kind, dims) in configs[n].items():
                rows[name].append(spectrum_statistics(_draw(kind, dims, gen), symmetric=kind == "sandwich"))
        for name, values in rows.items():
            for key in values[0]:
                stats[name].setdefault(key, []).append(np.array([v[key] for v in values]))
    return {"sizes": sizes, "configs": configs, "stats": stats}


@simulation
def percolated_sweep(settings, seed):
    """Zero fractions and moments of sparse Wigner matrices, zero fractions of percolated Wishart ones (stream 10).

    Returns
    -------
    dict
        ``n``, ``degrees``, ``zero``, ``m2``, ``m4`` (arrays: degree x draw), ``poisson`` (per draw at
        ``cavity_degree``: the mean of ``1/(pi (1 + lambda^2))``, the Poisson-smoothed density at 0),
        ``cells`` and ``wishart`` (cells x draws zero fractions, at the tolerance :data:`ZERO_RTOL` on
        the squared singular values: ``1e-9`` also counts genuine small singular values, about 0.007
        of the spectrum of the square cell, against the rank given by a maximum matching).
    """
    g = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(12)[10].spawn(2)]
    n, draws = int(settings["zero_n"]), int(settings["zero_draws"])
    zero, m2, m4, poisson = [], [], [], []
    for c in settings["perc_degrees"]:
        rows = []
        for _ in range(draws):
            h = perc.sample_sparse_wigner(n, float(c), rng=g[0])
            h2 = h @ h
            if abs(c - settings["cavity_degree"]) < 1e-12:
                ev = np.linalg.eigvalsh(h)
                poisson.append(float(np.mean(1.0 / (np.pi * (1.0 + ev**2)))))
                z = float(np.mean(np.abs(ev) < 1e-9 * np.max(np.abs(ev))))
            else:
                z = perc.zero_fraction(h)
            rows.append((z, np.trace(h2) / n, np.sum(h2 * h2) / n))
        zero.append([r[0] for r in rows])
        m2.append([r[1] for r in rows])
        m4.append([r[2] for r in rows])
    cells = [(max(2, round(a * settings["wishart_scale"])), max(2, round(b * settings["wishart_scale"])), float(d))
             for a, b, d in settings["wishart_cells"]]
    wishart = [[zero_fraction(perc.sample_sparse_wishart(a, b, d / b, rng=g[1]))
                for _ in range(int(settings["wishart_stat_draws"]))] for a, b, d in cells]
    return {"n": n, "degrees": list(settings["perc_degrees"]), "zero": np.array(zero), "m2": np.array(m2),
            "m4": np.array(m4), "poisson": np.array(poisson), "cells": cells, "wishart": np.array(wishart)}


@simulation
def percolated_sizes(settings, seed):
    """Zero fractions of sparse Wigner matrices at the sizes ``zero_small_n`` (child 2 of stream 10).

    Returns
    -------
    dict
        ``sizes`` and ``zero``: one array (degree x draw, ``zero_draws`` draws) per size.
    """
    gen = np.random.default_rng(np.random.SeedSequence(seed).spawn(12)[10].spawn(3)[2])
    sizes = [int(n) for n in settings["zero_small_n"]]
    zero = [np.array([[perc.zero_fraction(perc.sample_sparse_wigner(n, float(c), rng=gen))
                       for _ in range(int(settings["zero_draws"]))] for c in settings["perc_degrees"]])
            for n in sizes]
    return {"sizes": sizes, "zero": zero}


@simulation
def sparse_spectrum(n, degree, seed):
    """Eigenvalues of one sparse Wigner matrix (the spin-glass section's stand-in for its law)."""
    return np.linalg.eigvalsh(perc.sample_sparse_wigner(int(n), float(degree), rng=seed))


