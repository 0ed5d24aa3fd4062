"""Eq. (1.1) with a full-rank ``S``: the information-plus-noise law, its outliers and the threshold it implies.

The simulations (cached, pure functions of settings and seed) return plain arrays; the sweeps put
the theory of :mod:`rmtlib.models.rectangular` beside them through :mod:`rmtlib.experiments.theory`.
``W = R/sqrt(N) + S`` with Gaussian ``R`` and ``S = [diag(s); 0]`` (for Gaussian ``R`` the singular
vectors of ``S`` do not matter), ``c = M/N = 1/2``, ``sigma^2 = 1``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import linalg

from rmtlib import free, laws, spectra
from rmtlib._numerics import validate as _validate
from rmtlib.experiments import theory
from rmtlib.experiments.cache import simulation
from rmtlib.experiments.mapper import map_tasks
from rmtlib.experiments.slopes import fit_loglog_slope
from rmtlib.models import rectangular as rect, spiked
from rmtlib.models.deformed import bulk_points

__all__ = ["CASES", "RATIO", "Z0", "case_law", "case_spikes", "density_sweep", "growing_sweep",
           "method_agreement", "outlier_experiment", "polynomial_stieltjes", "spectrum", "threshold_experiment",
           "top_outliers"]

RATIO = 0.5
Z0 = 1.5 + 0.5j
"""The point off the axis where the seed mean of G_N is compared with the law."""

CASES = {
    "uniform": "eigenvalues of SᵀS on the quantile grid of U[0.25, 2.25]",
    "two_point": "eigenvalues of SᵀS: ½(δ_0.5 + δ_3)",
    "sv_grid": "singular values of S on the quantile grid of U[0.5, 1.5] (the law H: 2000 atoms)",
}
SPIKE_BULK = laws.Uniform(0.25, 2.25)


def case_law(name):
    """The law ``H`` of the eigenvalues of ``S^T S`` of a named case."""
    if name == "uniform":
        return laws.Uniform(0.25, 2.25)
    if name == "two_point":
        return laws.PointMasses([0.5, 3.0], [0.5, 0.5])
    if name == "sv_grid":
        return laws.Empirical((0.5 + (np.arange(2000) + 0.5) / 2000) ** 2)
    raise ValueError(f"case must be one of {sorted(CASES)}, got {name!r}")


def _s_singular(name, m):
    """The ``m`` singular values of ``S`` of a case at size ``m``."""
    if name == "uniform":
        return np.sqrt(bulk_points(laws.Uniform(0.25, 2.25), m))
    if name == "two_point":
        return np.sqrt(np.where(np.arange(m) < m // 2, 0.5, 3.0))
    return 0.5 + (np.arange(m) + 0.5) / m


def _rng(seed):
    return np.random.default_rng(np.random.SeedSequence(_validate.seed_int(seed)))


@simulation
def spectrum(name, n, seed):
    """The eigenvalues of ``W^T W`` for a case, ``W`` of size ``n x n/2``."""
    m = int(round(RATIO * n))
    w = rect.sample_information_plus_noise(n, _s_singular(name, m), rng=_rng(seed))
    return linalg.eigvalsh(w.T @ w)


def _spectrum_task(task):
    return spectrum(*task)


def density_sweep(ns, *, draws, seed, cases=tuple(CASES)):
    """Spectra of each case over sizes; ``Im G_N(Z0)`` per draw; the law; KS at the largest size.

    Parameters
    ----------
    ns : sequence of int
        At least 3 sizes ``N`` (``M = N/2``).
    draws : int
        Draws per (case, size).
    seed : int or SeedSequence
        Master seed.

    Returns
    -------
    dict
        Per case: ``law`` (:func:`rmtlib.models.rectangular.rect_fullrank_law`), ``eigenvalues`` (first draw
        at the largest size), ``ks`` (split KS of those), ``sizes``, ``per_size`` (``Im G_N(Z0)`` per draw),
        ``theory`` (``Im G(Z0)`` of the law through ``theory.law``), ``mass_error``, ``edges``.
    """
    ns = [int(n) for n in ns]
    tasks = [(c, n, d) for c in cases for n in ns for d in range(int(draws))]
    seeds = np.random.SeedSequence(_validate.seed_int(seed)).spawn(len(tasks))
    spectra_ = map_tasks(_spectrum_task, [(c, n, s) for (c, n, _), s in zip(tasks, seeds)], label="rect density")
    out = {}
    for c in cases:
        law = rect.rect_fullrank_law(case_law(c), ratio=RATIO)
        per = [np.array([np.mean(1.0 / (Z0 - ev)).imag for (cc, n, _), ev in zip(tasks, spectra_)
                         if cc == c and n == size]) for size in ns]
        first = next(ev for (cc, n, d), ev in zip(tasks, spectra_) if cc == c and n == ns[-1] and d == 0)
        out[c] = {"law": law, "eigenvalues": first, "ks": spectra.ks_distance(first, law).statistic,
                  "sizes": ns, "per_size": per, "theory": float(theory.law(law).stieltjes(Z0).imag),
                  "mass_error": abs(sum(t.mass for t in law._tables) - 1.0), "edges": law.edges}
    return out


def polynomial_stieltjes(z, locations, weights, *, ratio, variance=1.0):
    """``G(z)`` of the information-plus-noise law for a discrete ``H`` by polynomial roots (numpy).

    Parameters
    ----------
    z : complex
        A point of the upper half-plane (or the real axis plus ``1e-14 i``).
    locations, weights : array_like
        Atoms of ``H``.
    ratio, variance : float
        ``c`` and ``sigma^2``.

    Returns
    -------
    complex
        The root of ``G prod_i D_i - alpha sum_i p_i prod_{j != i} D_j``, ``D_i = alpha^2 z - b alpha - t_i``,
        with ``Im G < 0``, ``Im zG < 0`` and ``Im omega > 0``: an independent route to eq. (rect-subordination).
    """
    a, b = variance * ratio, variance * (1.0 - ratio)
    poly = np.polynomial.Polynomial
    alpha = poly([1.0, -a])
    dens = [alpha * alpha * z - b * alpha - t for t in locations]
    total = poly([0.0, 1.0]) * np.prod(dens)
    for i, p in enumerate(weights):
        total = total - p * alpha * np.prod([d for j, d in enumerate(dens) if j != i])
    roots = total.roots()
    al = 1.0 - a * roots
    tol = 1e-10 * np.abs(roots)
    keep = roots[(roots.imag < -tol) & ((z * roots).imag < 0) & ((al**2 * z - b * al).imag > tol)]
    return complex(keep[0]) if keep.size == 1 else complex(np.nan, np.nan)


def method_agreement(points=40):
    """Relative density differences of the Newton solver against two independent routes.

    Returns
    -------
    dict
        ``polynomial``: two-atom ``H`` (``two_point`` case, ``c = 1/2``) against :func:`polynomial_stieltjes`
        inside the support; ``square``: ``c = 1``, ``H`` of three atoms, against ``SC ⊞ sym(sqrt H)`` by
        :func:`rmtlib.free.add` (density and edges).
    """
    law = rect.rect_fullrank_law(case_law("two_point"), ratio=RATIO)
    x = np.concatenate([np.linspace(a, b, points)[2:-2] for a, b in law.support])
    ref = np.array([-polynomial_stieltjes(complex(v, 1e-14), [0.5, 3.0], [0.5, 0.5], ratio=RATIO).imag / np.pi
                    for v in x])
    poly = float(np.nanmax(np.abs(law.density(x) / ref - 1.0)))
    s = np.sqrt(np.array([0.5, 2.0, 3.0]))
    sym = free.add(laws.Semicircle(variance=1.0), laws.PointMasses(np.concatenate([-s, s]), np.full(6, 1 / 6)))
    square = rect.rect_fullrank_law(laws.PointMasses(s**2, np.full(3, 1 / 3)), ratio=1.0)
    r = np.concatenate([np.linspace(a, b, points)[2:-2] for a, b in sym.support if b > 0])
    dens = float(np.max(np.abs(square.density(r**2) * r / sym.density(r) - 1.0)))
    edges = np.sort(np.array([e for iv in sym.support for e in iv if e > 0]) ** 2)
    edge = float(np.max(np.abs(square.edges - edges))) if square.edges.size == edges.size else math.inf
    return {"polynomial": poly, "square": dens, "square_edges": edge}


# ----------------------------------------------------------------------------- outliers
def case_spikes(n, alpha, lo=6.0, hi=12.0):
    """``k = floor(n^alpha)`` eigenvalues of ``S^T S`` evenly on ``[lo, hi]`` (one at ``hi`` if k = 1)."""
    k = max(1, math.floor(n**alpha + 1e-9))
    return np.linspace(lo, hi, k) if k > 1 else np.array([hi])


@simulation
def top_outliers(n, spikes, seed, vectors=False):
    """Top ``len(spikes)`` eigenvalues of ``W^T W`` (bulk of ``S^T S``: quantiles of U[0.25, 2.25]) and,
    with ``vectors``, the squared overlaps of their eigenvectors with the spike coordinates (sorted spikes)."""
    spikes = np.sort(np.asarray(spikes, dtype=float))[::-1]
    m, k = int(round(RATIO * n)), spikes.size
    sv = np.concatenate([np.sqrt(spikes), np.sqrt(bulk_points(SPIKE_BULK, m - k))])
    w = rect.sample_information_plus_noise(n, sv, rng=_rng(seed))
    gram = w.T @ w
    if not vectors:
        return {"top": linalg.eigh(gram, eigvals_only=True, subset_by_index=[m - k, m - 1])[::-1]}
    val, vec = linalg.eigh(gram, subset_by_index=[m - k, m - 1])
    return {"top": val[::-1], "overlaps": (vec[np.arange(k), ::-1] ** 2).diagonal()}


def _outlier_task(task):
    return top_outliers(*task)


def outlier_experiment(n, spikes, *, draws, seed):
    """Outliers of a full-rank ``S`` against eqs. (rect-outlier-position) and (rect-outlier-overlap).

    Returns
    -------
    dict
        ``spikes`` (descending), ``positions`` and ``overlaps`` (draws x k), ``theory_positions``,
        ``theory_overlaps`` (through ``theory``), ``finite_rank_positions`` and ``finite_rank_overlaps``
        (``H = delta_0``, the rank-one BGN formulas), ``edge`` (upper bulk edge of the law).
    """
    spikes = np.sort(np.asarray(spikes, dtype=float))[::-1]
    seeds = np.random.SeedSequence(_validate.seed_int(seed)).spawn(int(draws))
    rows = map_tasks(_outlier_task, [(int(n), spikes.tolist(), s, True) for s in seeds], label="rect outliers")
    th = theory.parameter("theta", spikes)
    s2 = theory.parameter("variance", 1.0)
    pos, ov = rect.rect_fullrank_outliers(th, SPIKE_BULK, ratio=RATIO, variance=s2)
    fpos, fov = rect.rect_fullrank_outliers(th, laws.PointMasses([0.0]), ratio=RATIO, variance=s2)
    return {"spikes": spikes, "n": int(n), "positions": np.array([r["top"] for r in rows]),
            "overlaps": np.array([r["overlaps"] for r in rows]), "theory_positions": theory.position(pos),
            "theory_overlaps": ov, "finite_rank_positions": theory.position(fpos), "finite_rank_overlaps": fov,
            "edge": theory.position(rect.rect_fullrank_law(SPIKE_BULK, ratio=RATIO).edges[-1])}


def growing_sweep(ns, *, alphas, draws, seed):
    """``k = N^alpha`` spikes evenly on [6, 12]: mean error of the sorted top ``k`` and its log-log slope.

    Returns
    -------
    dict
        Keyed by ``alpha``: ``n``, ``error`` (per draw), ``per_size``, ``sizes``, ``fit`` (slope, stderr, dof),
        ``k`` at each size.
    """
    ns = [int(n) for n in ns]
    tasks = [(al, n) for al in alphas for n in ns for _ in range(int(draws))]
    seeds = np.random.SeedSequence(_validate.seed_int(seed)).spawn(len(tasks))
    rows = map_tasks(_outlier_task, [(n, case_spikes(n, al).tolist(), s) for (al, n), s in zip(tasks, seeds)],
                     label="rect growing")
    out = {}
    for al in alphas:
        n_arr, err = [], []
        for (a, n), r in zip(tasks, rows):
            if a == al:
                pos = rect.rect_fullrank_outliers(theory.parameter("theta", case_spikes(n, al)), SPIKE_BULK,
                                                  ratio=RATIO, variance=theory.parameter("variance", 1.0))[0]
                n_arr.append(n)
                err.append(np.mean(np.abs(r["top"] - np.sort(theory.position(pos))[::-1])))
        n_arr, err = np.array(n_arr), np.array(err)
        out[al] = {"n": n_arr, "error": err, "sizes": ns, "per_size": [err[n_arr == n] for n in ns],
                   "fit": {**fit_loglog_slope(n_arr, err), "dof": int(n_arr.size - 2)},
                   "k": [case_spikes(n, al).size for n in ns]}
    return out


# ----------------------------------------------------------------------------- pruning threshold
@simulation
def _threshold_draw(n, spikes, seed):
    """Singular values kept and spike-recovery errors of three thresholds on one synthetic ``W``."""
    spikes = np.sort(np.asarray(spikes, dtype=float))[::-1]
    m, k = int(round(RATIO * n)), spikes.size
    bulk = np.sqrt(bulk_points(THRESHOLD_BULK, m - k))
    sv = np.concatenate([np.sqrt(spikes), bulk])
    w = rect.sample_information_plus_noise(n, sv, rng=_rng(seed))
    u, s, vt = np.linalg.svd(w, full_matrices=False)
    s_spike = np.zeros_like(w)
    s_spike[np.arange(k), np.arange(k)] = np.sqrt(spikes)
    s_full = np.zeros_like(w)
    s_full[np.arange(m), np.arange(m)] = sv
    sigma2_bema = spiked.bema(s, ratio=RATIO)
    law = rect.rect_fullrank_law(THRESHOLD_BULK, ratio=RATIO)
    margin = spiked.mp_threshold(1.0, ratio=RATIO, n=n) / (1 + math.sqrt(RATIO))
    thresholds = {"mp_known": spiked.mp_threshold(1.0, ratio=RATIO, n=n),
                  "mp_bema": spiked.mp_threshold(sigma2_bema, ratio=RATIO, n=n),
                  "ipn": math.sqrt(law.edges[-1]) * margin}
    out = {"bema_variance": sigma2_bema}
    for name, thr in thresholds.items():
        r = int(np.sum(s > thr))
        est = (u[:, :r] * s[:r]) @ vt[:r]
        out[name] = {"threshold": thr, "rank": r,
                     "spike_error": float(np.linalg.norm(est - s_spike) / np.linalg.norm(s_spike)),
                     "full_error": float(np.linalg.norm(est - s_full) / np.linalg.norm(s_full))}
    return out


THRESHOLD_BULK = laws.Uniform(0.0, 2.0)


def _threshold_task(task):
    return _threshold_draw(*task)


def threshold_experiment(n, spikes, *, draws, seed):
    """MP (sigma^2 known), MP/BEMA and information-plus-noise thresholds on ``W = R/sqrt(N) + S``.

    ``S`` has a full-rank bulk (eigenvalues of ``S^T S`` on the quantiles of U[0, 2]) and the given spikes.

    Returns
    -------
    dict
        ``methods``: per method ``rank``, ``spike_error``, ``full_error``, ``threshold`` (arrays over draws);
        ``bema_variance`` (per draw); ``outliers`` (number of spikes with a predicted outlier);
        ``edges`` (``sqrt`` of the MP edge and of the information-plus-noise edge).
    """
    spikes = np.sort(np.asarray(spikes, dtype=float))[::-1]
    seeds = np.random.SeedSequence(_validate.seed_int(seed)).spawn(int(draws))
    rows = map_tasks(_threshold_task, [(int(n), spikes.tolist(), s) for s in seeds], label="rect thresholds")
    methods = {name: {key: np.array([r[name][key] for r in rows]) for key in rows[0][name]}
               for name in ("mp_known", "mp_bema", "ipn")}
    pos = rect.rect_fullrank_outliers(spikes, THRESHOLD_BULK, ratio=RATIO)[0]
    law = rect.rect_fullrank_law(THRESHOLD_BULK, ratio=RATIO)
    return {"methods": methods, "bema_variance": np.array([r["bema_variance"] for r in rows]),
            "outliers": int(np.sum(np.isfinite(pos))), "spikes": spikes,
            "edges": {"mp": 1 + math.sqrt(RATIO), "ipn": math.sqrt(law.edges[-1])}}
