"""The deformed-Wigner chapter's experiments: bulks, outliers of a full-rank and a finite-rank ``S``,
growing numbers of outliers, universality, and the chapter's ``statistics`` (the rectangular model
and pruning are in :mod:`rmtlib.experiments.pruning`).

Pure functions of (settings, seed) built on :mod:`rmtlib.models.deformed` and
:mod:`rmtlib.models.spiked`. A ``seed`` is an int or a `numpy.random.SeedSequence`; a SeedSequence
is never advanced, so calling a function twice gives the same numbers.
"""

from __future__ import annotations

import math
from numbers import Real

import numpy as np
from scipy import linalg

from rmtlib import entries as _entries, laws, spectra
from rmtlib._numerics import validate as _validate
from rmtlib.experiments.pruning import rect_experiment
from rmtlib.experiments.slopes import fit_loglog_slope
from rmtlib.models.deformed import (bulk_edges, bulk_points, cluster_sd_prediction, deformed_wigner_law,
                                    measure_outliers, outlier_fluctuation_variance, outliers,
                                    random_direction_outlier, sample_deformed_wigner)

__all__ = ["BULK_CASES", "BULK_TITLES", "ENTRY_LAWS", "bulk_case", "bulk_experiment", "bulk_sweep",
           "growing_outliers", "growing_sweep",
           "outlier_experiment", "outlier_statistics", "outlier_sweep", "statistics",
           "universality_sweep"]

BULK_CASES = ("uniform_1", "uniform_2.5", "two_point", "empirical")
"""Bulk laws of the chapter: ``(nu, variance, grid)`` from :func:`bulk_case`."""
BULK_TITLES = {"uniform_1": "U[-1,1], σ²=1 (quantile bulk)", "uniform_2.5": "U[-2.5,2.5], σ²=1 (i.i.d. bulk)",
               "two_point": "½(δ₋₁+δ₁), σ²=1/2", "empirical": "empirical ν (400 atoms), σ²=1/4"}
"""A short description of each bulk case (figure titles and check claims)."""
ENTRY_LAWS = (("gaussian", {}), ("rademacher", {}), ("student_t", {"nu": 5}))
"""Entry laws of the universality experiment: Gaussian, Rademacher, Student t with 5 degrees of freedom."""


def _fresh(seed):
    """An unadvanced copy of a SeedSequence (or the SeedSequence of an int seed)."""
    if isinstance(seed, np.random.SeedSequence):
        return np.random.SeedSequence(seed.entropy, spawn_key=seed.spawn_key, pool_size=seed.pool_size)
    return np.random.SeedSequence(seed)


# ----------------------------------------------------------------------------- the bulk
def bulk_case(name):
    """The bulk law ``nu``, noise ``sigma^2`` and grid of one named case of the chapter.

    Parameters
    ----------
    name : str
        A case of :data:`BULK_CASES`; ``"empirical"`` is the 400 eigenvalues of one Wishart matrix
        ``X X^T/800`` (``X`` 400 x 800 Gaussian, seed 0) shifted by -1.

    Returns
    -------
    nu, variance, grid : SpectralLaw, float, str
    """
    if name == "uniform_1":
        return laws.Uniform(-1.0, 1.0), 1.0, "quantile"
    if name == "uniform_2.5":
        return laws.Uniform(-2.5, 2.5), 1.0, "iid"
    if name == "two_point":
        return laws.PointMasses([-1.0, 1.0]), 0.5, "quantile"
    if name == "empirical":
        x = np.random.default_rng(0).standard_normal((400, 800))
        return laws.Empirical(np.linalg.eigvalsh(x @ x.T / 800) - 1.0), 0.25, "quantile"
    raise ValueError(f"name must be one of {BULK_CASES}, got {name!r}")


def bulk_experiment(name, n, *, rng):
    """Spectrum of ``R/sqrt(n) + diag(bulk)`` for a named case, its split KS distance and its law's checks.

    Parameters
    ----------
    name, n : str, int
        A case of :func:`bulk_case` and the matrix size.
    rng : Generator, int or SeedSequence
        Random source (matrix, and the bulk for the i.i.d. case).

    Returns
    -------
    dict
        ``eigenvalues``, ``law``, ``ks``, ``edges`` (:func:`rmtlib.models.deformed.bulk_edges`), ``mc_edges`` (extreme
        eigenvalues), ``mass_error`` (``|mass of law - 1|``, trapezoid rule on 20001 Chebyshev points per
        support interval), ``edge_error`` (outer edges of ``law`` against ``edges``).
    """
    n = _validate.integer("n", n, low=2)
    rng = _validate.as_generator(rng)
    nu, s2, grid = bulk_case(name)
    ev = np.linalg.eigvalsh(sample_deformed_wigner([], bulk_points(nu, n, grid=grid, rng=rng),
                                                   variance=s2, rng=rng))
    law = deformed_wigner_law(nu, variance=s2)
    edges = bulk_edges(nu, variance=s2)
    cheb = (1 - np.cos(np.linspace(0, np.pi, 20001))) / 2
    mass = sum(float(np.trapezoid(law.density(x), x)) for x in (a + (b - a) * cheb for a, b in law.support))
    return {"eigenvalues": ev, "law": law, "ks": float(spectra.ks_distance(ev, law).statistic),
            "edges": edges, "mc_edges": (float(ev[0]), float(ev[-1])), "mass_error": abs(mass - 1),
            "edge_error": max(abs(law.support[0][0] - edges[0]), abs(law.support[-1][1] - edges[1]))}


def bulk_sweep(n, *, seed):
    """``{case: bulk_experiment(case, n)}`` over :data:`BULK_CASES`, one child of ``seed`` each.

    Parameters
    ----------
    n, seed : int, int or SeedSequence
        Matrix size and master seed.

    Returns
    -------
    dict
    """
    children = _fresh(seed).spawn(len(BULK_CASES))
    return {name: bulk_experiment(name, n, rng=np.random.default_rng(s)) for name, s in zip(BULK_CASES, children)}


# ----------------------------------------------------------------------------- outliers
def outlier_sweep(thetas, nu, n, *, variance=1.0, draws=4, entries="gaussian", entry_params=None,
                  vectors=True, rng):
    """Outlier positions and overlaps over independent draws, with the theory and z-scores.

    Parameters
    ----------
    thetas : array_like
        Outlier eigenvalues of ``S``, together in one matrix (coordinates ``0..k-1``).
    nu, n : SpectralLaw, int
        Bulk law (the bulk is its ``n - k`` quantiles) and matrix size.
    variance, entries, entry_params : float, str, dict
        As in :func:`rmtlib.models.deformed.sample_wigner` (``entry_params``: the entry law's).
    draws, vectors : int, bool
        Number of matrices (seeds spawned from ``rng``); measure overlaps too.
    rng : int, SeedSequence or Generator
        Master seed.

    Returns
    -------
    dict
        ``thetas``, ``nu``, ``variance``; ``positions``, ``overlaps`` (draws x k); ``theory_positions``,
        ``theory_overlaps``, ``finite_rank_positions``, ``finite_rank_overlaps`` (``nu = delta_0``);
        ``se`` (``sqrt(v / (n draws))``, ``v`` of :func:`rmtlib.models.deformed.outlier_fluctuation_variance`) and ``z``.
    """
    n = _validate.integer("n", n, low=2)
    draws = _validate.integer("draws", draws, low=1)
    th = np.atleast_1d(np.asarray(thetas, float))
    bulk = bulk_points(nu, n - th.size)
    if isinstance(rng, np.random.Generator):
        rng = int(rng.integers(2**63))
    runs = [measure_outliers(th, bulk, variance=variance, entries=entries, vectors=vectors,
                             rng=np.random.default_rng(s), **(entry_params or {})) for s in _fresh(rng).spawn(draws)]
    pos = np.array([r["positions"] for r in runs])
    tp, to = outliers(th, nu, variance=variance)
    fp, fo = outliers(th, laws.PointMasses([0.0]), variance=variance)
    fluct = np.array([outlier_fluctuation_variance(t, nu, variance=variance) if np.isfinite(p) else np.nan
                      for t, p in zip(th, tp)])
    se = np.sqrt(fluct / (n * draws))
    return {"thetas": th, "nu": nu, "variance": variance, "positions": pos,
            "overlaps": np.array([r["overlaps"] for r in runs]), "theory_positions": tp, "theory_overlaps": to,
            "finite_rank_positions": fp, "finite_rank_overlaps": fo, "se": se, "z": (pos.mean(axis=0) - tp) / se}


def outlier_statistics(res, *, min_overlap=0.5, focus=3.0):
    """Statistics of an :func:`outlier_sweep`: z-scores, overlap errors and the values at one theta.

    Parameters
    ----------
    res : dict
        Result of :func:`outlier_sweep`.
    min_overlap, focus : float
        Only outliers with ``H'(theta) >= min_overlap`` enter the maxima (near the threshold the
        finite-N bias decays like ``N^{-1/3}``); ``focus`` is the theta reported on its own.

    Returns
    -------
    dict
        ``z_focus``, ``z_max`` (|z|), ``ov_err_focus``, ``ov_err_max`` (|mean overlap - H'|); at
        ``focus``: means ``position``, ``overlap``, their ``theory_*`` and ``finite_rank_*`` values,
        ``naive_distance`` (mean to finite-rank position, in standard errors), ``naive_overlap_gap``,
        ``random_direction`` (:func:`rmtlib.models.deformed.random_direction_outlier`).
    """
    ok = res["theory_overlaps"] >= min_overlap
    i = int(np.argmin(np.abs(np.asarray(res["thetas"]) - focus)))
    ov_err = np.abs(np.nanmean(res["overlaps"], axis=0) - res["theory_overlaps"])
    pos, ov = res["positions"][:, i].mean(), res["overlaps"][:, i].mean()
    at = {k: float(res[k + "s"][i]) for k in ("theory_position", "theory_overlap", "finite_rank_position",
                                             "finite_rank_overlap")}
    return {**at, "z_focus": float(abs(res["z"][i])), "z_max": float(np.max(np.abs(res["z"][ok]))),
            "ov_err_focus": float(ov_err[i]), "ov_err_max": float(np.max(ov_err[ok])),
            "position": float(pos), "overlap": float(ov),
            "naive_distance": float(abs(pos - res["finite_rank_positions"][i]) / res["se"][i]),
            "naive_overlap_gap": float(abs(ov - res["finite_rank_overlaps"][i])),
            "random_direction": random_direction_outlier(focus, res["nu"], variance=res["variance"])}


def outlier_experiment(thetas, nu, n, *, draws, seed):
    """:func:`outlier_sweep` (``sigma^2 = 1``) with its :func:`outlier_statistics` at ``theta = 3``.

    Parameters
    ----------
    thetas, nu, n, draws, seed
        As ``thetas, nu, n, draws, rng`` of :func:`outlier_sweep`.

    Returns
    -------
    dict
        The sweep's result with ``statistics`` added.
    """
    res = outlier_sweep(thetas, nu, n, draws=draws, rng=seed)
    return {**res, "statistics": outlier_statistics(res)}


# ----------------------------------------------------------------------------- growing numbers of outliers
def growing_outliers(n, *, alpha, arrangement, variance=1.0, bulk_half_width=1.0,
                     spread=(2.0, 4.0), entries="gaussian", rng, **params):
    """One draw of ``k = floor(n^alpha)`` outliers, separated or coincident, and their errors.

    Parameters
    ----------
    n, alpha : int, float
        Matrix size (bulk: ``n - k`` quantiles of ``U[-a, a]``) and exponent, ``0 < alpha < 1``.
    arrangement : {"separated", "coincident"}
        Thetas evenly spaced on ``spread``, or all at its midpoint.
    variance, entries, rng, **params
        As in :func:`rmtlib.models.deformed.sample_wigner`.
    bulk_half_width, spread : float, (float, float)
        ``a`` and the interval of the thetas.

    Returns
    -------
    dict
        ``k``; ``mean_error``, ``max_error`` (sorted top-``k`` eigenvalues against sorted
        ``H(theta_i)``); ``cluster_mean``, ``cluster_sd`` (population sd), ``cluster_width``
        (max - min) of the top ``k``; ``spacing``.
    """
    n = _validate.integer("n", n, low=2)
    if not isinstance(alpha, Real) or not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    if arrangement not in ("separated", "coincident"):
        raise ValueError(f"arrangement must be 'separated' or 'coincident', got {arrangement!r}")
    k = max(1, math.floor(n**alpha + 1e-9))
    nu = laws.Uniform(-bulk_half_width, bulk_half_width)
    lo, hi = spread
    th = np.linspace(lo, hi, k) if arrangement == "separated" else np.full(k, 0.5 * (lo + hi))
    h = sample_deformed_wigner(th, bulk_points(nu, n - k), variance=variance, entries=entries, rng=rng, **params)
    top = linalg.eigh(h, eigvals_only=True, subset_by_index=[n - k, n - 1])
    err = np.abs(np.sort(top) - np.sort(outliers(th, nu, variance=variance)[0]))
    return {"k": k, "mean_error": float(err.mean()), "max_error": float(err.max()),
            "cluster_mean": float(top.mean()), "cluster_sd": float(top.std()),
            "cluster_width": float(top.max() - top.min()),
            "spacing": float((hi - lo) / (k - 1)) if arrangement == "separated" and k > 1 else 0.0}


def growing_sweep(ns, *, alphas, draws, seed, arrangements=("separated", "coincident")):
    """:func:`growing_outliers` (bulk U[-1,1], thetas on [2,4] or at 3) over a grid; fit the decay slopes.

    Parameters
    ----------
    ns, alphas, draws : sequence of int, sequence of float, int
        Matrix sizes, exponents (``k = floor(n^alpha)``), draws per (n, alpha, arrangement).
    seed : int or SeedSequence
        Master seed (one spawned child per task; a SeedSequence gives the first word of its state).
    arrangements : sequence of str
        Subset of ``("separated", "coincident")``.

    Returns
    -------
    dict
        Keyed by ``(arrangement, alpha)``: ``n``, ``k``, ``error`` (mean error, or cluster sd),
        ``prediction`` (:func:`rmtlib.models.deformed.cluster_sd_prediction`), ``fit`` (log-log slope of ``error``),
        ``predicted_slope`` (``max(-1/2, alpha - 1)``, or the slope of ``prediction``); separated:
        ``separation`` (spacing ``2/(k-1)`` over ``sqrt(2 H'(3)/n)`` at the largest ``n``); coincident:
        ``ratio`` (mean of ``error / prediction``).

    Notes
    -----
    The predicted slopes are derived for this book, book/derivations.md, eqs. (def-growing-error)
    and (def-cluster).
    """
    tasks = [(a, al, n) for a in arrangements for al in alphas for n in ns for _ in range(draws)]
    seeds = np.random.SeedSequence(_validate.seed_int(seed)).spawn(len(tasks))
    rows = [growing_outliers(n, alpha=al, arrangement=a, rng=np.random.default_rng(s))
            for (a, al, n), s in zip(tasks, seeds)]
    out = {}
    nu = laws.Uniform(-1.0, 1.0)
    nmax, slope3 = max(ns), outliers([3.0], nu, variance=1.0)[1][0]
    for a in arrangements:
        for al in alphas:
            sel = [(t, r) for t, r in zip(tasks, rows) if t[0] == a and t[1] == al]
            n_arr = np.array([t[2] for t, _ in sel])
            k_arr = np.array([r["k"] for _, r in sel])
            err = np.array([r["mean_error" if a == "separated" else "cluster_sd"] for _, r in sel])
            pred = np.array([cluster_sd_prediction(3.0, int(k), int(n), nu, variance=1.0)
                             for k, n in zip(k_arr, n_arr)])
            ps = max(-0.5, al - 1.0) if a == "separated" else fit_loglog_slope(n_arr, pred)["slope"]
            out[(a, al)] = {"n": n_arr, "k": k_arr, "error": err, "prediction": pred,
                            "fit": fit_loglog_slope(n_arr, err), "predicted_slope": float(ps)}
            if a == "coincident":
                out[(a, al)]["ratio"] = float(np.mean(err / pred))
            else:
                k = int(math.floor(nmax**al + 1e-9))
                out[(a, al)]["separation"] = 2.0 / (k - 1) / math.sqrt(2 * slope3 / nmax) if k > 1 else math.nan
    return out


def universality_sweep(n, *, draws, seed, entry_laws=ENTRY_LAWS, theta=3.0, half_width=2.5):
    """Outliers at ``±theta`` over a ``U[-a, a]`` bulk for several entry laws of ``R``.

    Parameters
    ----------
    n, draws : int
        Matrix size, matrices per law (two outliers each).
    seed : int or SeedSequence
        Master seed (a SeedSequence gives the first word of its state).
    entry_laws : sequence of (str, dict)
        Entry laws of :mod:`rmtlib.entries` with their parameters.
    theta, half_width : float
        Outlier and bulk half width (``sigma^2 = 1``).

    Returns
    -------
    dict
        Per law: ``scaled`` (``sqrt(n) (lambda - H(theta))``, both outliers), ``z`` (its mean in standard
        errors), ``sd``, ``sd_se``, ``kappa4``, ``sd_pred`` (:func:`rmtlib.models.deformed.outlier_fluctuation_variance` with the
        law's fourth cumulant), ``sd_gauss`` (Gaussian entries).
    """
    nu = laws.Uniform(-half_width, half_width)
    out = {}
    gauss = math.sqrt(outlier_fluctuation_variance(theta, nu, variance=1.0))
    for (name, params), ss in zip(entry_laws, np.random.SeedSequence(_validate.seed_int(seed)).spawn(len(entry_laws))):
        res = outlier_sweep([theta, -theta], nu, n, draws=draws, entries=name, vectors=False,
                            entry_params=params, rng=ss)
        scaled = (math.sqrt(n) * (res["positions"] - res["theory_positions"])).ravel()
        kappa = _entries.fourth_moment(name, **params) - 3.0
        sd = float(scaled.std(ddof=1))
        m4 = float(np.mean((scaled - scaled.mean()) ** 4)) / sd**4
        label = name + "".join(f"_{k}{v:g}" for k, v in params.items())
        out[label] = {"scaled": scaled, "z": float(scaled.mean() / (sd / math.sqrt(scaled.size))),
                      "sd": sd, "kappa4": float(kappa), "sd_gauss": gauss,
                      "sd_pred": math.sqrt(outlier_fluctuation_variance(theta, nu, variance=1.0,
                                                                        fourth_cumulant=kappa)),
                      "sd_se": sd * math.sqrt((m4 - 1) / (4 * scaled.size))}
    return out


# ----------------------------------------------------------------------------- the chapter's statistics
def statistics(settings, seed):
    """Every calibrated statistic of the chapter for one master seed.

    Parameters
    ----------
    settings : dict
        The notebook parameters (sizes, draws, thetas; see ``notebooks/deformed.ipynb``).
    seed : int
        Master seed; section ``i`` uses the ``i``-th child of ``SeedSequence(seed)``, as the notebook.

    Returns
    -------
    dict
        Flat mapping from statistic name to value.
    """
    p = settings
    ss = np.random.SeedSequence(seed).spawn(6)
    out = {f"ks_{k}": r["ks"] for k, r in bulk_sweep(p["bulk_n"], seed=ss[0]).items()}
    st = outlier_experiment(p["outlier_thetas"], laws.Uniform(-2.5, 2.5), p["outlier_n"], draws=p["outlier_draws"],
                            seed=ss[1])["statistics"]
    out.update({f"outlier_{k}": st[k] for k in ("z_focus", "z_max", "ov_err_focus", "ov_err_max")})
    st = outlier_experiment([3.0, -2.0, 0.8], laws.PointMasses([0.0]), p["finite_rank_n"], draws=1, seed=ss[2])["statistics"]
    out.update(finite_rank_z=st["z_max"], finite_rank_ov_err=st["ov_err_max"])
    grow = growing_sweep(p["growing_ns"], alphas=p["growing_alphas"], draws=p["growing_draws"], seed=ss[3])
    for (arr, al), g in grow.items():
        out[f"slope_dev_{arr}_{al:g}"] = abs(g["fit"]["slope"] - g["predicted_slope"])
        if arr == "coincident":
            out[f"cluster_ratio_dev_{al:g}"] = abs(g["ratio"] - 1)
    for name, u in universality_sweep(p["univ_n"], draws=p["univ_draws"], seed=ss[4]).items():
        out[f"univ_z_{name}"] = abs(u["z"])
        out[f"univ_sd_dev_{name}"] = abs(u["sd"] / u["sd_pred"] - 1)
    rect = rect_experiment(p["rect_n"], p["rect_m"], p["rect_thetas"], draws=p["rect_draws"], seed=ss[5])
    out.update(rect_s_err=rect["s_err"], rect_ov_err=rect["ov_err"])
    return out
