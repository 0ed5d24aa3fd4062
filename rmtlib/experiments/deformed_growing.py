"""A growing number ``k = floor(N^alpha)`` of outliers, separated or coincident, over sizes N.

The simulation (:func:`growing_tops`, cached) returns the top ``k`` eigenvalues of each matrix; the
sweep puts the theory beside them through :mod:`rmtlib.experiments.theory` and fits the decay of
the errors against N.
"""

from __future__ import annotations

import math
from numbers import Real

import numpy as np
from scipy import linalg
from scipy.sparse import linalg as sparse_linalg

from rmtlib import free, laws
from rmtlib._numerics import validate as _validate
from rmtlib.experiments import theory
from rmtlib.experiments.cache import simulation
from rmtlib.experiments.mapper import map_tasks
from rmtlib.experiments.deformed import theory_outliers
from rmtlib.experiments.slopes import fit_loglog_slope
from rmtlib.models.deformed import (bulk_edges, bulk_points, cluster_sd_prediction, outliers,
                                   sample_deformed_wigner)

__all__ = ["deterministic_equivalent", "finite_n_comparison", "growing_outliers", "growing_sweep", "growing_thetas",
           "growing_tops", "island_comparison", "island_moments", "top_quantiles"]

BULK = laws.Uniform(-1.0, 1.0)
SPREAD = (2.0, 4.0)


def growing_thetas(n, alpha, arrangement):
    """The ``k = floor(n^alpha)`` eigenvalues of ``S`` outside the bulk: evenly on [2, 4], or all at 3."""
    if not isinstance(alpha, Real) or not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    if arrangement not in ("separated", "coincident"):
        raise ValueError(f"arrangement must be 'separated' or 'coincident', got {arrangement!r}")
    k = max(1, math.floor(n**alpha + 1e-9))
    lo, hi = SPREAD
    return np.linspace(lo, hi, k) if arrangement == "separated" else np.full(k, 0.5 * (lo + hi))


@simulation
def growing_tops(n, alpha, arrangement, seed):
    """The sorted top ``k`` eigenvalues of ``R/sqrt(n) + diag(thetas, bulk)`` (bulk: quantiles of U[-1,1]).

    Up to 8 outliers are found by Lanczos iteration (they lie well above the bulk), more by LAPACK.
    """
    n = _validate.integer("n", n, low=2)
    th = growing_thetas(n, alpha, arrangement)
    h = sample_deformed_wigner(th, bulk_points(BULK, n - th.size), variance=1.0,
                               rng=np.random.default_rng(np.random.SeedSequence(_validate.seed_int(seed))))
    if th.size <= 8 and n > 4 * th.size + 20:
        v0 = np.ones(n) / math.sqrt(n)
        return np.sort(sparse_linalg.eigsh(h, k=th.size, which="LA", tol=1e-12, v0=v0,
                                           return_eigenvectors=False))
    return np.sort(linalg.eigh(h, eigvals_only=True, subset_by_index=[n - th.size, n - 1]))


def growing_outliers(n, *, alpha, arrangement, seed):
    """One draw: errors of the top ``k`` against the sorted ``H(theta_i)``, and the cluster's spread.

    Parameters
    ----------
    n, alpha : int, float
        Matrix size and exponent, ``0 < alpha < 1``.
    arrangement : {"separated", "coincident"}
        Thetas evenly spaced on [2, 4], or all at 3.
    seed : int or SeedSequence
        Seed of the matrix.

    Returns
    -------
    dict
        ``k``; ``mean_error``, ``max_error`` (sorted top ``k`` against sorted theory positions),
        ``cluster_sd`` (population sd of the top ``k``), ``spacing``.
    """
    top = growing_tops(n, alpha, arrangement, seed)
    th = growing_thetas(n, alpha, arrangement)
    err = np.abs(top - np.sort(theory_outliers(th, BULK, 1.0)[0]))
    k = th.size
    return {"k": k, "mean_error": float(err.mean()), "max_error": float(err.max()), "top": top,
            "cluster_sd": float(top.std()),
            "spacing": float(np.ptp(SPREAD) / (k - 1)) if arrangement == "separated" and k > 1 else 0.0}


def _growing_task(task):
    """:func:`growing_outliers` of one task ``(n, alpha, arrangement, seed)``."""
    n, alpha, arrangement, seed = task
    return growing_outliers(n, alpha=alpha, arrangement=arrangement, seed=seed)


def growing_sweep(ns, *, alphas, draws, seed, arrangements=("separated", "coincident")):
    """:func:`growing_outliers` over a grid of sizes and exponents, with the fitted decay slopes.

    Parameters
    ----------
    ns, alphas : sequence of int, sequence of float
        Matrix sizes (at least 3) and exponents.
    draws : int or sequence of int
        Draws per (n, alpha, arrangement), or one count per alpha.
    seed : int or SeedSequence
        Master seed (one spawned child per task).
    arrangements : sequence of str
        Subset of ``("separated", "coincident")``.

    Returns
    -------
    dict
        Keyed by ``(arrangement, alpha)``: ``n``, ``k``, ``error`` (per draw: mean error, or cluster
        sd), ``per_size`` (the errors grouped by size), ``prediction`` (cluster sd of
        :func:`rmtlib.models.deformed.cluster_sd_prediction` through ``theory.position``), ``fit``
        (log-log slope of ``error`` with ``stderr`` and ``dof``), ``predicted_slope``
        (``max(-1/2, alpha - 1)``, or the slope of ``prediction``); separated: ``separation``
        (spacing over ``sqrt(2 H'(3)/n)`` at the largest n); coincident: ``ratios`` (error over
        prediction, per draw) and ``ratio`` (their mean).

    Notes
    -----
    The predicted slopes are derived for this book, book/derivations.md, eqs. (def-growing-error)
    and (def-cluster).
    """
    ns = [int(n) for n in ns]
    per_alpha = dict(zip(alphas, np.broadcast_to(np.asarray(draws, int), (len(alphas),)).tolist()))
    tasks = [(a, al, n) for a in arrangements for al in alphas for n in ns for _ in range(per_alpha[al])]
    seeds = np.random.SeedSequence(_validate.seed_int(seed)).spawn(len(tasks))
    rows = map_tasks(_growing_task, [(n, al, a, s) for (a, al, n), s in zip(tasks, seeds)], label="deformed growing")
    out = {}
    nmax, slope3 = max(ns), outliers([3.0], BULK, variance=1.0)[1][0]
    for a in arrangements:
        for al in alphas:
            sel = [(t, r) for t, r in zip(tasks, rows) if t[0] == a and t[1] == al]
            n_arr = np.array([t[2] for t, _ in sel])
            k_arr = np.array([r["k"] for _, r in sel])
            err = np.array([r["mean_error" if a == "separated" else "cluster_sd"] for _, r in sel])
            pred = theory.position(np.array([
                cluster_sd_prediction(theory.parameter("theta", 3.0), int(k), int(n), BULK,
                                      variance=theory.parameter("variance", 1.0))
                for k, n in zip(k_arr, n_arr)]))
            fit = {**fit_loglog_slope(n_arr, err), "dof": int(n_arr.size - 2)}
            ps = max(-0.5, al - 1.0) if a == "separated" else fit_loglog_slope(n_arr, pred)["slope"]
            g = {"n": n_arr, "k": k_arr, "error": err, "prediction": pred, "fit": fit, "tops": [r["top"] for _, r in sel],
                 "predicted_slope": float(ps), "per_size": [err[n_arr == n] for n in ns], "sizes": ns}
            if a == "coincident":
                g["ratios"] = err / pred
                g["ratio"] = float(np.mean(err / pred))
            else:
                k = int(math.floor(nmax**al + 1e-9))
                g["separation"] = 2.0 / (k - 1) / math.sqrt(2 * slope3 / nmax) if k > 1 else math.nan
            out[(a, al)] = g
    return out


# ----------------------------------------------------------------------------- finite-N deterministic equivalent
def deterministic_equivalent(n, alpha, arrangement, *, variance=1.0):
    """``SC(sigma) ⊞ nu_N`` with ``nu_N`` the spectrum of ``S`` itself: the bulk quantiles and the ``k`` thetas.

    Notes
    -----
    The finite-N deterministic equivalent ``SC ⊞ ((1 - k/N) nu + (1/N) sum_i delta_theta_i)``, book/derivations.md,
    eq. (def-finite-n); computed by :func:`rmtlib.free.add` with an empirical law of N atoms.
    """
    th = growing_thetas(n, alpha, arrangement)
    s = np.concatenate([th, bulk_points(BULK, n - th.size)])
    return free.add(laws.Semicircle(variance=variance), laws.Empirical(s))


def top_quantiles(law, n, k):
    """The predicted sorted top ``k`` of ``n`` eigenvalues: ``F^{-1}(1 - (j - 1/2)/n)``, ``j = 1..k``, ascending."""
    levels = 1.0 - (np.arange(1, k + 1) - 0.5) / n
    a, b = np.full(k, law.edges[0] - 1.0), np.full(k, law.edges[-1] + 1.0)
    for _ in range(60):
        m = 0.5 * (a + b)
        up = law.cdf(m) >= levels
        a, b = np.where(up, a, m), np.where(up, m, b)
    return np.sort(0.5 * (a + b))


def island_moments(law, above):
    """Mass, mean and standard deviation of the part of ``law`` above ``above`` (its continuous tables)."""
    parts = [t for (lo, _), t in zip(law.support, law._tables) if lo > above]
    mass = sum(t.mass for t in parts)
    if mass <= 0.0:
        raise ValueError(f"the law has no continuous part above {above}")
    mean = sum(t.integrate(lambda x: x) for t in parts) / mass
    second = sum(t.integrate(lambda x: x * x) for t in parts) / mass
    return float(mass), float(mean), float(math.sqrt(max(second - mean**2, 0.0)))


def finite_n_comparison(grow, alpha):
    """Errors of the sorted top ``k`` against ``H(theta_i)`` and against the deterministic equivalent.

    Parameters
    ----------
    grow : dict
        From :func:`growing_sweep` (with the separated arrangement at ``alpha``; its draws are reused).
    alpha : float

    Returns
    -------
    dict
        ``sizes``; per size ``de_error`` and ``h_error`` (per draw); ``difference`` (``h - de``, every draw);
        ``fit`` (log-log slope of the deterministic-equivalent errors).
    """
    g = grow[("separated", alpha)]
    out = {"sizes": g["sizes"], "de_error": [], "h_error": []}
    for n in g["sizes"]:
        law = deterministic_equivalent(n, alpha, "separated", variance=theory.parameter("variance", 1.0))
        tops = [t for t, m in zip(g["tops"], g["n"]) if m == n]
        pred = theory.position(top_quantiles(law, n, tops[0].size))
        out["de_error"].append(np.array([np.mean(np.abs(t - pred)) for t in tops]))
        out["h_error"].append(g["error"][g["n"] == n])
    n_all = np.repeat(g["sizes"], [e.size for e in out["de_error"]])
    out["difference"] = np.concatenate(out["h_error"]) - np.concatenate(out["de_error"])
    out["fit"] = {**fit_loglog_slope(n_all, np.concatenate(out["de_error"])), "dof": int(n_all.size - 2)}
    return out


def island_comparison(grow, alpha):
    """The island of the deterministic equivalent of ``k`` coincident outliers against the simulated cluster.

    Returns
    -------
    dict
        ``sizes``, ``k``; per size ``island`` (mass, mean, sd of the equivalent's part above the bulk edge + 0.05;
        mean and sd through ``theory.position``), ``cluster_mean`` and ``cluster_sd`` (per draw, population sd).
    """
    c = grow[("coincident", alpha)]
    edge = bulk_edges(BULK, variance=1.0)[1]
    out = {"sizes": c["sizes"], "k": [], "island": [], "cluster_mean": [], "cluster_sd": []}
    for n in c["sizes"]:
        law = deterministic_equivalent(n, alpha, "coincident", variance=theory.parameter("variance", 1.0))
        mass, mean, sd = island_moments(law, edge + 0.05)
        out["island"].append((mass, theory.position(mean), theory.position(sd)))
        tops = [t for t, m in zip(c["tops"], c["n"]) if m == n]
        out["k"].append(tops[0].size)
        out["cluster_mean"].append(np.array([t.mean() for t in tops]))
        out["cluster_sd"].append(np.array([t.std() for t in tops]))
    return out

