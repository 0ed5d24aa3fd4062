"""The Monte Carlo of the products chapter: pure, cached functions of (settings, seed).

Simulate once, judge many times: every function here draws spectra (or trains a network) and
returns raw results, never a comparison with a law, so that a power run re-reads them from the
simulation cache (:func:`rmtlib.experiments.cache.simulation`) and only the judging in
:mod:`rmtlib.experiments.products` and :mod:`rmtlib.experiments.products_nulls` is redone.

Streams: the sections take children 0-8 of ``SeedSequence(seed).spawn(12)`` (see
:func:`generators`), the size sweep of the product laws child 9, the percolated sweeps child 10.
Every independent stream (and every seed of the size sweep) is one task of
:func:`rmtlib.experiments.mapper.map_tasks`, so the backend the command line chose runs them and the
numbers do not depend on it.
"""

from __future__ import annotations

import numpy as np

from rmtlib import spectra
from rmtlib.experiments.cache import simulation
from rmtlib.experiments.mapper import map_tasks
from rmtlib.models import percolation as perc
from rmtlib.models import products as prod

__all__ = ["SWEEP_DEFAULTS", "ZERO_RTOL", "chain_dims", "draw_chains", "draw_percolated", "draw_sandwiches",
           "draw_stream", "generators", "percolated_sizes", "percolated_sweep", "product_configs", "product_sweep",
           "run_call", "sparse_spectrum", "spectrum_statistics", "stream_statistics", "streams", "wishart_cells",
           "wishart_fractions", "zero_fraction"]

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


def streams(seed, k=12):
    """The ``k`` children of ``SeedSequence(seed)``: the chapter's streams."""
    return np.random.SeedSequence(seed).spawn(k)


def generators(seed, k=12):
    """``k`` generators from the children of ``SeedSequence(seed)`` (the chapter's streams)."""
    return [np.random.default_rng(s) for s in streams(seed, k)]


def run_call(task):
    """``func(*args)`` for a task ``(func, *args)``: one independent stream of a section, as a task."""
    return task[0](*task[1:])


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
    g = streams(seed)
    n0, nc = int(settings["chain_n0"]), int(settings["curve_n0"])
    dims = [chain_dims(n0, sh) for sh in settings["chain_shapes"]]
    d3 = chain_dims(n0, settings["chain3_shape"])
    curve = [(nc, max(1, round(r * nc)), nc) for r in settings["curve_ratios"]]
    tasks = [(g[k], [("chain", d) for d in group]) for k, group in enumerate((dims, [d3], curve))]
    ev, (ev3,), evc = map_tasks(draw_stream, tasks, label="products chains")
    return {"chains": list(zip(dims, ev)), "chain3": (d3, ev3), "curve": list(zip(curve, evc))}


@simulation
def draw_sandwiches(settings, seed):
    """The spectra of the sandwich section: ``[(ratio, eigenvalues)]`` and the free product ``(dims, eigenvalues)``."""
    g = streams(seed)
    n0, ns = int(settings["chain_n0"]), int(settings["sandwich_n"])
    ratios, dims = list(settings["sandwich_ratios"]), (n0, n0 // 2, 2 * n0)
    tasks = [(g[3], [("sandwich", _sandwich_dims(ns, c)) for c in ratios]), (g[4], [("free", dims)])]
    sw, (free,) = map_tasks(draw_stream, tasks, label="products sandwiches")
    return {"sandwich": list(zip(ratios, sw)), "free_product": (dims, free)}


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
    g = streams(seed)
    tasks = [(_degree_fractions, settings, g[5]), (_fixed_p_counts, settings, g[6]),
             (wishart_fractions, wishart_cells(settings), int(settings["wishart_draws"]), g[7])]
    (fractions, cavity_ev), fixed, wfr = map_tasks(run_call, tasks, label="products percolation")
    return {"fractions": fractions, "cavity_spectra": np.concatenate(cavity_ev) if cavity_ev else np.zeros(0),
            "fixed_p": fixed, "cells": wishart_cells(settings), "wishart": wfr}


def _degree_fractions(settings, stream):
    """Zero fractions per degree and draw (stream 5); the eigenvalues at ``cavity_degree``."""
    gen, npc, draws = np.random.default_rng(stream), int(settings["perc_n"]), int(settings["perc_draws"])
    fractions, cavity_ev = [], []
    for c in settings["perc_degrees"]:
        row = []
        for _ in range(draws):
            h = perc.sample_sparse_wigner(npc, float(c), rng=gen)
            if abs(c - settings["cavity_degree"]) < 1e-12:
                ev = np.linalg.eigvalsh(h)
                cavity_ev.append(ev)
                row.append(float(np.mean(np.abs(ev) < 1e-9 * np.max(np.abs(ev)))))
            else:
                row.append(perc.zero_fraction(h))
        fractions.append(row)
    return fractions, cavity_ev


def _fixed_p_counts(settings, stream):
    """``(p, zero count, N)`` of one sparse Wigner matrix per fixed edge probability (stream 6)."""
    gen, npc = np.random.default_rng(stream), int(settings["perc_n"])
    return [(p, round(npc * perc.zero_fraction(perc.sample_sparse_wigner(npc, p * (npc - 1), rng=gen))), npc)
            for p in settings["fixed_ps"]]


def wishart_cells(settings):
    """The percolated-Wishart cells ``(N, M, a)``, their sizes scaled by ``wishart_scale``."""
    scale = settings["wishart_scale"]
    return [(max(2, round(n * scale)), max(2, round(m * scale)), float(a)) for n, m, a in settings["wishart_cells"]]


def wishart_fractions(cells, draws, stream):
    """Zero fractions (:func:`zero_fraction`) of ``draws`` percolated Wishart matrices per cell ``(N, M, a)``.

    Each cell draws ``X X^T`` with ``X`` N x M, entries kept with probability ``a / M``, in turn from one
    generator of ``stream``.
    """
    gen = np.random.default_rng(stream)
    return [[zero_fraction(perc.sample_sparse_wishart(n, m, a / m, rng=gen)) for _ in range(int(draws))]
            for n, m, a in cells]


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
    sizes = [int(n) for n in settings["sweep_n0"]]
    configs = {n: product_configs(settings, n) for n in sizes}
    children = streams(seed)[9].spawn(len(sizes))
    tasks = [(ss, list(configs[n].values())) for n, child, m in zip(sizes, children, settings["sweep_seeds"])
             for ss in child.spawn(int(m))]
    drawn = iter(map_tasks(stream_statistics, tasks, label="products sweep"))
    stats = {name: {} for name in configs[sizes[0]]}
    for m in settings["sweep_seeds"]:
        rows = [next(drawn) for _ in range(int(m))]  # per seed: the statistics of every config, in order
        for j, name in enumerate(stats):
            for key in rows[0][j]:
                stats[name].setdefault(key, []).append(np.array([row[j][key] for row in rows]))
    return {"sizes": sizes, "configs": configs, "stats": stats}


def draw_stream(task):
    """The eigenvalues of the spectra ``[(kind, dims), ...]`` drawn in turn from one stream.

    ``task = (stream, spectra)``: a SeedSequence and the spectra it draws (kinds of
    :func:`product_configs`: ``chain``, ``sandwich``, ``free``), in order.
    """
    stream, spectra_ = task
    gen = np.random.default_rng(stream)
    return [_draw(kind, dims, gen) for kind, dims in spectra_]


def stream_statistics(task):
    """:func:`spectrum_statistics` of each spectrum of :func:`draw_stream` (a sandwich is symmetric)."""
    return [spectrum_statistics(ev, symmetric=kind == "sandwich") for (kind, _), ev in zip(task[1], draw_stream(task))]


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
    g = streams(seed)[10].spawn(2)
    tasks = [(_degree_moments, settings, g[0]),
             (wishart_fractions, wishart_cells(settings), int(settings["wishart_stat_draws"]), g[1])]
    (zero, m2, m4, poisson), wishart = map_tasks(run_call, tasks, label="products percolated sweep")
    return {"n": int(settings["zero_n"]), "degrees": list(settings["perc_degrees"]), "zero": np.array(zero),
            "m2": np.array(m2), "m4": np.array(m4), "poisson": np.array(poisson), "cells": wishart_cells(settings),
            "wishart": np.array(wishart)}


def _degree_moments(settings, stream):
    """Zero fractions, ``tr H^2 / n`` and ``tr H^4 / n`` per degree and draw; the smoothed density at 0."""
    gen, n, draws = np.random.default_rng(stream), int(settings["zero_n"]), int(settings["zero_draws"])
    zero, m2, m4, poisson = [], [], [], []
    for c in settings["perc_degrees"]:
        rows = []
        for _ in range(draws):
            h = perc.sample_sparse_wigner(n, float(c), rng=gen)
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
    return zero, m2, m4, poisson


@simulation
def percolated_sizes(settings, seed):
    """Zero fractions of sparse Wigner matrices at the sizes ``zero_small_n`` (child 2 of stream 10).

    Returns
    -------
    dict
        ``sizes`` and ``zero``: one array (degree x draw, ``zero_draws`` draws) per size.
    """
    sizes = [int(n) for n in settings["zero_small_n"]]
    task = (_size_fractions, sizes, list(settings["perc_degrees"]), int(settings["zero_draws"]),
            streams(seed)[10].spawn(3)[2])
    return {"sizes": sizes, "zero": map_tasks(run_call, [task], label="products percolated sizes")[0]}


def _size_fractions(sizes, degrees, draws, stream):
    """Zero fractions (degree x draw) of sparse Wigner matrices at each size, in turn from one stream."""
    gen = np.random.default_rng(stream)
    return [np.array([[perc.zero_fraction(perc.sample_sparse_wigner(n, float(c), rng=gen)) for _ in range(draws)]
                      for c in degrees]) for n in sizes]


@simulation
def sparse_spectrum(n, degree, seed):
    """Eigenvalues of one sparse Wigner matrix (the spin-glass section's stand-in for its law)."""
    return np.linalg.eigvalsh(perc.sample_sparse_wigner(int(n), float(degree), rng=seed))


