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

from rmtlib import laws
from rmtlib._numerics import validate as _validate
from rmtlib.experiments import theory
from rmtlib.experiments.cache import simulation
from rmtlib.experiments.deformed import theory_outliers
from rmtlib.experiments.slopes import fit_loglog_slope
from rmtlib.models.deformed import bulk_points, cluster_sd_prediction, outliers, sample_deformed_wigner

__all__ = ["growing_outliers", "growing_sweep", "growing_thetas", "growing_tops"]

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
    return {"k": k, "mean_error": float(err.mean()), "max_error": float(err.max()),
            "cluster_sd": float(top.std()),
            "spacing": float(np.ptp(SPREAD) / (k - 1)) if arrangement == "separated" and k > 1 else 0.0}


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
    rows = [growing_outliers(n, alpha=al, arrangement=a, seed=s) for (a, al, n), s in zip(tasks, seeds)]
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
            g = {"n": n_arr, "k": k_arr, "error": err, "prediction": pred, "fit": fit,
                 "predicted_slope": float(ps), "per_size": [err[n_arr == n] for n in ns], "sizes": ns}
            if a == "coincident":
                g["ratios"] = err / pred
                g["ratio"] = float(np.mean(err / pred))
            else:
                k = int(math.floor(nmax**al + 1e-9))
                g["separation"] = 2.0 / (k - 1) / math.sqrt(2 * slope3 / nmax) if k > 1 else math.nan
            out[(a, al)] = g
    return out
