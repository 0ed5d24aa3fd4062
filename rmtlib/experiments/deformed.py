"""The deformed-Wigner chapter's experiments: bulk cases, outlier sweeps, growing numbers of
outliers, universality of their positions, and the chapter's statistics.

Pure functions of (settings, seed) built on the model of :mod:`rmtlib.models.deformed`.
"""

from __future__ import annotations

import math
from numbers import Real

import numpy as np
from scipy import linalg

from rmtlib import entries as _entries, laws, spectra
from rmtlib._numerics import validate as _validate
from rmtlib.experiments.pruning import rect_sweep
from rmtlib.experiments.slopes import fit_loglog_slope
from rmtlib.models.deformed import (bulk_edges, bulk_points, cluster_sd_prediction, deformed_wigner_law,
                                    outlier_fluctuation_variance, outliers, sample_deformed_wigner,
                                    measure_outliers)
__all__ = [
    "BULK_CASES",
    "ENTRY_LAWS",
    "bulk_case",
    "bulk_experiment",
    "calibrate",
    "calibration_statistics",
    "growing_outliers",
    "growing_sweep",
    "outlier_statistics",
    "outlier_sweep",
    "universality_sweep",
]


def growing_outliers(n, *, alpha, arrangement, variance=1.0, bulk_half_width=1.0,
                     spread=(2.0, 4.0), entries="gaussian", rng, **params):
    """One draw of ``k = floor(n^alpha)`` outliers, separated or coincident, and their errors.

    Parameters
    ----------
    n : int
        Matrix size (bulk ``n - k`` quantiles of ``U[-a, a]``).
    alpha : float
        Growth exponent, ``0 < alpha < 1``.
    arrangement : {"separated", "coincident"}
        ``"separated"``: thetas evenly spaced on ``spread``; ``"coincident"``: all at ``mean(spread)``.
    variance, entries, rng, **params
        As in :func:`sample_wigner`.
    bulk_half_width : float
        ``a``.
    spread : (float, float)
        Interval of the thetas.

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
    bulk = bulk_points(nu, n - k)
    h = sample_deformed_wigner(th, bulk, variance=variance, entries=entries, rng=rng, **params)
    top = linalg.eigh(h, eigvals_only=True, subset_by_index=[n - k, n - 1])
    pred = np.sort(outliers(th, nu, variance=variance)[0])
    err = np.abs(np.sort(top) - pred)
    return {"k": k, "mean_error": float(err.mean()), "max_error": float(err.max()),
            "cluster_mean": float(top.mean()), "cluster_sd": float(top.std()),
            "cluster_width": float(top.max() - top.min()),
            "spacing": float((hi - lo) / (k - 1)) if arrangement == "separated" and k > 1 else 0.0}



# ----------------------------------------------------------------------------- chapter experiments
BULK_CASES = ("uniform_1", "uniform_2.5", "two_point", "empirical")
"""Bulk laws of the chapter: ``(nu, variance, grid)`` from :func:`bulk_case`."""


def bulk_case(name):
    """The bulk law ``nu``, noise ``sigma^2`` and grid of one named case of the chapter.

    Parameters
    ----------
    name : str
        ``"uniform_1"`` (U[-1,1], sigma^2 = 1, quantile bulk), ``"uniform_2.5"`` (U[-2.5,2.5],
        sigma^2 = 1, i.i.d. bulk), ``"two_point"`` ((delta_-1 + delta_1)/2, sigma^2 = 1/2: two bulk
        components), ``"empirical"`` (the 400 eigenvalues of one Wishart matrix ``X X^T/800``, ``X``
        400 x 800 Gaussian with seed 0, shifted by -1; sigma^2 = 1/4).

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
    """Spectrum of ``R/sqrt(n) + diag(bulk)`` for a named case and its split KS distance to theory.

    Parameters
    ----------
    name : str
        A case of :func:`bulk_case`.
    n : int
        Matrix size.
    rng : Generator or int
        Random source (matrix, and the bulk for the i.i.d. case).

    Returns
    -------
    dict
        ``eigenvalues``, ``law``, ``ks`` (statistic), ``edges`` (theory, from :func:`bulk_edges`),
        ``mc_edges`` (smallest and largest eigenvalue).
    """
    n = _validate.integer("n", n, low=2)
    rng = _validate.as_generator(rng)
    nu, s2, grid = bulk_case(name)
    ev = np.linalg.eigvalsh(sample_deformed_wigner([], bulk_points(nu, n, grid=grid, rng=rng),
                                                   variance=s2, rng=rng))
    law = deformed_wigner_law(nu, variance=s2)
    return {"eigenvalues": ev, "law": law, "ks": float(spectra.ks_distance(ev, law).statistic),
            "edges": bulk_edges(nu, variance=s2), "mc_edges": (float(ev[0]), float(ev[-1]))}


def outlier_sweep(thetas, nu, n, *, variance=1.0, draws=4, entries="gaussian", entry_params=None,
                  vectors=True, rng):
    """Outlier positions and overlaps over independent draws, with the theory and z-scores.

    Parameters
    ----------
    thetas : array_like
        Outlier eigenvalues of ``S`` (placed together in one matrix, coordinates ``0..k-1``).
    nu : SpectralLaw
        Bulk law; the bulk is its ``n - k`` quantiles.
    n : int
        Matrix size.
    variance, entries : float, str
        As in :func:`sample_wigner`.
    entry_params : dict, optional
        Parameters of the entry law (e.g. ``{"nu": 5}`` for ``student_t``).
    draws : int
        Number of matrices (seeds spawned from ``rng``).
    vectors : bool
        Measure overlaps (full eigendecomposition); False: eigenvalues only.
    rng : int or SeedSequence
        Master seed.

    Returns
    -------
    dict
        ``positions``, ``overlaps`` (draws x k); ``theory_positions``, ``theory_overlaps``;
        ``finite_rank_positions``, ``finite_rank_overlaps`` (``nu = delta_0`` formula);
        ``z`` (mean error over draws in units of the predicted standard error
        ``sqrt(variance_fluct / (n draws))``, Gaussian-entry prediction).
    """
    n = _validate.integer("n", n, low=2)
    draws = _validate.integer("draws", draws, low=1)
    th = np.atleast_1d(np.asarray(thetas, float))
    bulk = bulk_points(nu, n - th.size)
    if isinstance(rng, np.random.Generator):
        rng = int(rng.integers(2**63))
    seeds = (rng if isinstance(rng, np.random.SeedSequence) else np.random.SeedSequence(rng)).spawn(draws)
    runs = [measure_outliers(th, bulk, variance=variance, entries=entries, vectors=vectors,
                             rng=np.random.default_rng(s), **(entry_params or {})) for s in seeds]
    pos = np.array([r["positions"] for r in runs])
    ov = np.array([r["overlaps"] for r in runs])
    tp, to = outliers(th, nu, variance=variance)
    fp, fo = outliers(th, laws.PointMasses([0.0]), variance=variance)
    fluct = np.array([outlier_fluctuation_variance(t, nu, variance=variance) if np.isfinite(p) else np.nan
                      for t, p in zip(th, tp)])
    z = (pos.mean(axis=0) - tp) / np.sqrt(fluct / (n * draws))
    return {"thetas": th, "positions": pos, "overlaps": ov, "theory_positions": tp, "theory_overlaps": to,
            "finite_rank_positions": fp, "finite_rank_overlaps": fo, "z": z}


def growing_sweep(ns, *, alphas, draws, seed, arrangements=("separated", "coincident")):
    """Run :func:`growing_outliers` over sizes, exponents, arrangements and draws; fit slopes.

    Parameters
    ----------
    ns : sequence of int
        Matrix sizes.
    alphas : sequence of float
        Exponents, ``k = floor(n^alpha)``.
    draws : int
        Draws per (n, alpha, arrangement).
    seed : int
        Master seed (one spawned child per task).
    arrangements : sequence of str
        Subset of ``("separated", "coincident")``.

    Returns
    -------
    dict
        Keyed by ``(arrangement, alpha)``: ``n``, ``k``, ``error`` (separated: mean error;
        coincident: cluster sd), ``prediction`` (coincident: :func:`cluster_sd_prediction`),
        ``fit`` (:func:`rmtlib.slopes.fit_loglog_slope` of ``error``), ``predicted_slope`` (separated:
        ``max(-1/2, alpha - 1)``; coincident: fitted slope of ``prediction``).
    """
    tasks = [(a, al, n) for a in arrangements for al in alphas for n in ns for _ in range(draws)]
    seeds = np.random.SeedSequence(seed).spawn(len(tasks))
    rows = [growing_outliers(n, alpha=al, arrangement=a, rng=np.random.default_rng(s))
            for (a, al, n), s in zip(tasks, seeds)]
    out = {}
    nu = laws.Uniform(-1.0, 1.0)
    for a in arrangements:
        for al in alphas:
            sel = [(t, r) for t, r in zip(tasks, rows) if t[0] == a and t[1] == al]
            n_arr = np.array([t[2] for t, _ in sel])
            k_arr = np.array([r["k"] for _, r in sel])
            key = "mean_error" if a == "separated" else "cluster_sd"
            err = np.array([r[key] for _, r in sel])
            pred = np.array([cluster_sd_prediction(3.0, int(k), int(n), nu, variance=1.0)
                             for k, n in zip(k_arr, n_arr)])
            ps = max(-0.5, al - 1.0) if a == "separated" else fit_loglog_slope(n_arr, pred)["slope"]
            out[(a, al)] = {"n": n_arr, "k": k_arr, "error": err, "prediction": pred,
                            "fit": fit_loglog_slope(n_arr, err), "predicted_slope": float(ps)}
    return out


def universality_sweep(n, *, draws, entry_laws, theta=3.0, half_width=2.5, seed):
    """Outliers at ``±theta`` over a ``U[-a, a]`` bulk for several entry laws of ``R``.

    Parameters
    ----------
    n : int
        Matrix size.
    draws : int
        Matrices per law (two outliers each).
    entry_laws : sequence of (str, dict)
        Entry laws of :mod:`rmtlib.entries` with their parameters.
    theta, half_width : float
        Outlier and bulk half width (``sigma^2 = 1``).
    seed : int
        Master seed.

    Returns
    -------
    dict
        Per law name: ``scaled`` (``sqrt(n) (lambda - H(theta))`` pooled over both outliers),
        ``z`` (mean of ``scaled`` in units of its standard error), ``sd``, ``sd_pred`` (from
        :func:`outlier_fluctuation_variance` with the law's fourth cumulant), ``sd_gauss``,
        ``sd_se`` (standard error of ``sd``).
    """
    nu = laws.Uniform(-half_width, half_width)
    out = {}
    gauss = math.sqrt(outlier_fluctuation_variance(theta, nu, variance=1.0))
    for (name, params), ss in zip(entry_laws, np.random.SeedSequence(seed).spawn(len(entry_laws))):
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


# ----------------------------------------------------------------------------- chapter statistics
ENTRY_LAWS = (("gaussian", {}), ("rademacher", {}), ("student_t", {"nu": 5}))
"""Entry laws of the universality section: Gaussian, Rademacher, Student t with 5 degrees
of freedom (heavy-tailed, finite fourth moment)."""


def outlier_statistics(res, *, min_overlap=0.5, focus=3.0):
    """Check statistics of an :func:`outlier_sweep`: z-scores and overlap errors.

    Parameters
    ----------
    res : dict
        Result of :func:`outlier_sweep`.
    min_overlap : float
        Only outliers with ``H'(theta) >= min_overlap`` enter the maxima (near the threshold the
        finite-N bias decays like ``N^{-1/3}``).
    focus : float
        The theta reported on its own.

    Returns
    -------
    dict
        ``z_focus`` (|z| at ``theta = focus``), ``z_max`` (max |z| over thetas with
        ``H' >= min_overlap``), ``ov_err_focus``, ``ov_err_max`` (|mean overlap - H'|).
    """
    ok = res["theory_overlaps"] >= min_overlap
    i = int(np.argmin(np.abs(np.asarray(res["thetas"]) - focus)))
    ov_err = np.abs(np.nanmean(res["overlaps"], axis=0) - res["theory_overlaps"])
    return {"z_focus": float(abs(res["z"][i])), "z_max": float(np.max(np.abs(res["z"][ok]))),
            "ov_err_focus": float(ov_err[i]), "ov_err_max": float(np.max(ov_err[ok]))}


def calibration_statistics(settings, seed):
    """Every calibrated statistic of the chapter for one master seed.

    Parameters
    ----------
    settings : dict
        The notebook parameters (sizes, draws, thetas; see ``notebooks/deformed.ipynb``).
    seed : int
        Master seed.

    Returns
    -------
    dict
        Flat mapping from statistic name to value (the notebook's checks compare the same
        statistics with ``1.5 x`` their maximum over the calibration seeds).
    """

    p = settings
    ss = np.random.SeedSequence(seed).spawn(6)
    out = {}
    for name, s in zip(BULK_CASES, ss[0].spawn(len(BULK_CASES))):
        out[f"ks_{name}"] = bulk_experiment(name, p["bulk_n"], rng=np.random.default_rng(s))["ks"]
    res = outlier_sweep(p["outlier_thetas"], laws.Uniform(-2.5, 2.5), p["outlier_n"],
                        draws=p["outlier_draws"], rng=ss[1])
    out.update({f"outlier_{k}": v for k, v in outlier_statistics(res).items()})
    fr = outlier_sweep([3.0, -2.0, 0.8], laws.PointMasses([0.0]), p["finite_rank_n"], draws=1,
                       rng=ss[2])
    out["finite_rank_z"] = float(np.max(np.abs(fr["z"][:2])))
    out["finite_rank_ov_err"] = float(np.max(np.abs(fr["overlaps"][0, :2] - fr["theory_overlaps"][:2])))
    grow = growing_sweep(p["growing_ns"], alphas=p["growing_alphas"], draws=p["growing_draws"],
                         seed=int(ss[3].generate_state(1)[0]))
    for (arr, al), g in grow.items():
        out[f"slope_dev_{arr}_{al:g}"] = abs(g["fit"]["slope"] - g["predicted_slope"])
        if arr == "coincident":
            out[f"cluster_ratio_dev_{al:g}"] = abs(float(np.mean(g["error"] / g["prediction"])) - 1)
    uni = universality_sweep(p["univ_n"], draws=p["univ_draws"], entry_laws=ENTRY_LAWS,
                             seed=int(ss[4].generate_state(1)[0]))
    for name, u in uni.items():
        out[f"univ_z_{name}"] = abs(u["z"])
        out[f"univ_sd_dev_{name}"] = abs(u["sd"] / u["sd_pred"] - 1)
    rect = rect_sweep(p["rect_n"], p["rect_m"], p["rect_thetas"], draws=p["rect_draws"],
                              seed=int(ss[5].generate_state(1)[0]))
    ok = rect["theory_u"] >= 0.5
    out["rect_s_err"] = float(np.max(np.abs(rect["s"].mean(0) - rect["theory_s"])[ok]))
    out["rect_ov_err"] = float(max(np.max(np.abs(rect["ov_u"].mean(0) - rect["theory_u"])[ok]),
                                   np.max(np.abs(rect["ov_v"].mean(0) - rect["theory_v"])[ok])))
    return out


def calibrate(settings, seeds, *, safety=1.5):
    """Thresholds: ``safety x`` the maximum of each statistic over ``seeds`` (with the raw values).

    Parameters
    ----------
    settings : dict
        Notebook parameters of one profile.
    seeds : sequence of int
        At least 10 master seeds, none equal to the notebook's own seed.
    safety : float
        Factor in [1, 1.5].

    Returns
    -------
    dict
        ``{"seeds": [...], "safety": safety, "values": {name: [...]}, "thresholds": {name: t}}``.
    """
    if not 1 <= safety <= 1.5:
        raise ValueError(f"safety must be in [1, 1.5], got {safety!r}")
    rows = [calibration_statistics(settings, int(s)) for s in seeds]
    values = {k: [float(r[k]) for r in rows] for k in rows[0]}
    return {"seeds": [int(s) for s in seeds], "safety": safety, "settings": settings, "values": values,
            "thresholds": {k: safety * max(v) for k, v in values.items()}}
