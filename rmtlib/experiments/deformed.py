"""The deformed-Wigner chapter's experiments: bulks and outliers of a full-rank and a finite-rank ``S``
(growing numbers of outliers: :mod:`rmtlib.experiments.deformed_growing`; universality:
:mod:`rmtlib.experiments.deformed_universality`; the rectangular model and pruning:
:mod:`rmtlib.experiments.pruning`).

Each experiment is a cached simulation (:func:`rmtlib.experiments.cache.simulation`) returning raw
per-draw numbers, and a cheap part that puts the theory beside them through
:mod:`rmtlib.experiments.theory` (perturbed in power runs). A ``seed`` is an int or a
`numpy.random.SeedSequence`; a SeedSequence is never advanced.
"""

from __future__ import annotations

import numpy as np

from rmtlib import laws, spectra
from rmtlib._numerics import validate as _validate
from rmtlib.experiments import theory
from rmtlib.experiments.cache import simulation
from rmtlib.experiments.mapper import map_tasks
from rmtlib.models.deformed import (bulk_edges, bulk_points, deformed_wigner_law, measure_outliers,
                                    outlier_fluctuation_variance, outliers, random_direction_outlier,
                                    sample_deformed_wigner)

__all__ = ["BULK_CASES", "BULK_TITLES", "bulk_case", "bulk_draw", "bulk_experiment", "bulk_moment_draws",
           "bulk_sweep", "moment_bias", "outlier_draws", "outlier_experiment", "outlier_sweep", "statistics",
           "theory_outliers"]

BULK_CASES = ("uniform_1", "uniform_2.5", "two_point", "empirical")
"""Bulk laws of the chapter: ``(nu, variance, grid)`` from :func:`bulk_case`."""
BULK_TITLES = {"uniform_1": "U[-1,1], σ²=1 (quantile bulk)", "uniform_2.5": "U[-2.5,2.5], σ²=1 (i.i.d. bulk)",
               "two_point": "½(δ₋₁+δ₁), σ²=1/2", "empirical": "empirical ν (400 atoms), σ²=1/4"}
"""A short description of each bulk case (figure titles and check claims)."""


def _fresh(seed):
    """An unadvanced copy of a SeedSequence (or the SeedSequence of an int seed)."""
    if isinstance(seed, np.random.SeedSequence):
        return np.random.SeedSequence(seed.entropy, spawn_key=seed.spawn_key, pool_size=seed.pool_size)
    return np.random.SeedSequence(seed)


def theory_outliers(thetas, nu, variance):
    """``(H(theta), H'(theta))`` with ``theta`` and ``sigma^2`` read through :func:`rmtlib.experiments.theory.parameter`.

    Parameters
    ----------
    thetas, nu, variance : array_like, SpectralLaw, float
        As in :func:`rmtlib.models.deformed.outliers`.

    Returns
    -------
    positions, overlaps : ndarray
        Positions through :func:`rmtlib.experiments.theory.position`; overlaps unscaled.
    """
    th = theory.parameter("theta", np.atleast_1d(np.asarray(thetas, float)))
    pos, ov = outliers(th, nu, variance=theory.parameter("variance", variance))
    return theory.position(pos), ov


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


def _bulk_matrix(name, n, rng):
    nu, s2, grid = bulk_case(name)
    return sample_deformed_wigner([], bulk_points(nu, n, grid=grid, rng=rng), variance=s2, rng=rng)


@simulation
def bulk_draw(name, n, seed):
    """The eigenvalues of one ``R/sqrt(n) + diag(bulk)`` of a named case (Gaussian ``R``)."""
    return np.linalg.eigvalsh(_bulk_matrix(name, n, np.random.default_rng(_fresh(seed))))


@simulation
def bulk_moment_draws(name, n, draws, seed):
    """``(tr H^2 / n, tr H^4 / n)`` of ``draws`` independent matrices of a named case.

    Returns
    -------
    ndarray, shape (draws, 2)
    """
    tasks = [(name, n, child) for child in _fresh(seed).spawn(draws)]
    return np.array(map_tasks(_moment_task, tasks, label=f"deformed moments {name}"), dtype=float).reshape(draws, 2)


def _moment_task(task):
    """``(tr H^2 / n, tr H^4 / n)`` of one matrix ``(name, n, seed)`` of a named case."""
    name, n, seed = task
    h = _bulk_matrix(name, n, np.random.default_rng(seed))
    h2 = h @ h
    return np.trace(h2) / n, np.sum(h2 * h2) / n


def moment_bias(name, n):
    """The finite-``n`` bias of ``E tr H^2/n`` and ``E tr H^4/n`` against the limits (Gaussian ``R``).

    Parameters
    ----------
    name, n : str, int
        A case of :func:`bulk_case` and the matrix size.

    Returns
    -------
    ndarray, shape (2,)
        ``|E_n m_k - m_k(SC ⊞ nu)|`` for ``k = 2, 4``.

    Notes
    -----
    Wick's theorem for ``H = X + S`` with ``E X_ij^2 = sigma^2 / n`` (``2 sigma^2 / n`` on the
    diagonal) and ``p_k = tr S^k / n``: ``E m_2 = p_2 + sigma^2 (1 + 1/n)`` and
    ``E m_4 = p_4 + 4 sigma^2 (1 + 1/n) p_2 + 2 sigma^2 (p_1^2 + p_2 / n) + sigma^4 (2 + 5/n + 5/n^2)``;
    the limits drop the ``1/n`` terms and take the moments of ``nu`` (book/derivations.md, eq.
    (def-moment-bias); the GOE term is
    the exact ``E tr X^4 / n`` of the Gaussian orthogonal ensemble). For the i.i.d. bulk the expectation of ``p_k`` is the moment of ``nu``
    and ``E p_1^2 = m_1^2 + (m_2 - m_1^2) / n``.
    """
    nu, s2, grid = bulk_case(name)
    m = [1.0] + [float(nu.moment(k)) for k in range(1, 5)]
    if grid == "quantile":
        x = bulk_points(nu, n)
        p = [1.0] + [float(np.mean(x**k)) for k in range(1, 5)]
        p1sq = p[1] ** 2
    else:
        p, p1sq = m, m[1] ** 2 + (m[2] - m[1] ** 2) / n
    e2 = p[2] + s2 * (1 + 1 / n)
    e4 = p[4] + 4 * s2 * (1 + 1 / n) * p[2] + 2 * s2 * (p1sq + p[2] / n) + s2**2 * (2 + 5 / n + 5 / n**2)
    lim2 = m[2] + s2
    lim4 = m[4] + 4 * s2 * m[2] + 2 * s2 * m[1] ** 2 + 2 * s2**2
    return np.abs([e2 - lim2, e4 - lim4])


def bulk_experiment(name, n, *, seed, moment_n=None, moment_draws=0):
    """One spectrum of a named case against ``SC ⊞ nu``, with the law's own checks and moment draws.

    Parameters
    ----------
    name, n : str, int
        A case of :func:`bulk_case` and the matrix size.
    seed : int or SeedSequence
        Its first child draws the spectrum, its second the moment draws.
    moment_n, moment_draws : int
        Size and number of the matrices of :func:`bulk_moment_draws` (none when 0).

    Returns
    -------
    dict
        ``eigenvalues``, ``law`` (unperturbed), ``ks`` (split KS against ``theory.law(law)``), ``edges``,
        ``mc_edges``, ``mass_error``, ``edge_error``; with moment draws ``moments`` (draws x 2),
        ``moment_theory`` (``theory.moment(law.moment(k), k)``, k = 2, 4) and ``moment_allowance``
        (:func:`moment_bias`).
    """
    n = _validate.integer("n", n, low=2)
    ev, moments = _case_draws((name, n, seed, moment_n or n, moment_draws))
    return _against_law(name, ev, moments, moment_n or n)


def _case_draws(task):
    """The spectrum and the moment draws (or None) of one case ``(name, n, seed, moment_n, moment_draws)``."""
    name, n, seed, moment_n, moment_draws = task
    first, second = _fresh(seed).spawn(2)
    moments = bulk_moment_draws(name, moment_n, moment_draws, second) if moment_draws else None
    return bulk_draw(name, n, first), moments


def _against_law(name, ev, moments, moment_n):
    """The spectrum ``ev`` and the moment draws of a named case beside ``SC ⊞ nu`` (see :func:`bulk_experiment`)."""
    nu, s2, _ = bulk_case(name)
    law = deformed_wigner_law(nu, variance=s2)
    edges = bulk_edges(nu, variance=s2)
    cheb = (1 - np.cos(np.linspace(0, np.pi, 20001))) / 2
    mass = sum(float(np.trapezoid(law.density(x), x)) for x in (a + (b - a) * cheb for a, b in law.support))
    out = {"eigenvalues": ev, "law": law, "ks": float(spectra.ks_distance(ev, theory.law(law)).statistic),
           "edges": edges, "mc_edges": (float(ev[0]), float(ev[-1])), "mass_error": abs(mass - 1),
           "edge_error": max(abs(law.support[0][0] - edges[0]), abs(law.support[-1][1] - edges[1]))}
    if moments is not None:
        out.update(moments=moments,
                   moment_theory=np.array([theory.moment(law.moment(k), k) for k in (2, 4)]),
                   moment_allowance=moment_bias(name, moment_n))
    return out


def bulk_sweep(n, *, seed, moment_n=None, moment_draws=0):
    """``{case: bulk_experiment(case, n, ...)}`` over :data:`BULK_CASES`, one child of ``seed`` each."""
    n = _validate.integer("n", n, low=2)
    tasks = [(name, n, s, moment_n or n, moment_draws) for name, s in zip(BULK_CASES, _fresh(seed).spawn(len(BULK_CASES)))]
    drawn = map_tasks(_case_draws, tasks, label="deformed bulks")
    return {name: _against_law(name, ev, moments, moment_n or n) for name, (ev, moments) in zip(BULK_CASES, drawn)}


# ----------------------------------------------------------------------------- outliers
@simulation
def outlier_draws(thetas, bulk, *, variance, draws, seed):
    """Positions and squared overlaps of the outliers of ``draws`` matrices ``R/sqrt(N) + diag(thetas, bulk)``.

    Returns
    -------
    positions, overlaps : ndarray, shape (draws, k)
    """
    tasks = [(thetas, bulk, variance, s) for s in _fresh(seed).spawn(draws)]
    runs = map_tasks(_outlier_task, tasks, label="deformed outliers")
    return np.array([r[0] for r in runs]), np.array([r[1] for r in runs])


def _outlier_task(task):
    """Positions and squared overlaps of the outliers of one matrix ``(thetas, bulk, variance, seed)``."""
    thetas, bulk, variance, seed = task
    run = measure_outliers(thetas, bulk, variance=variance, rng=np.random.default_rng(seed))
    return run["positions"], run["overlaps"]


def outlier_sweep(thetas, nu, n, *, variance=1.0, draws=4, seed):
    """Outlier positions and overlaps over independent draws, beside the full- and finite-rank theory.

    Parameters
    ----------
    thetas : array_like
        Outlier eigenvalues of ``S``, together in one matrix (coordinates ``0..k-1``).
    nu, n, variance : SpectralLaw, int, float
        Bulk law (the bulk is its ``n - k`` quantiles), matrix size and ``sigma^2``.
    draws : int
        Number of matrices (at least 2: the nulls estimate standard errors from them).
    seed : int or SeedSequence
        Master seed.

    Returns
    -------
    dict
        ``thetas``, ``nu``, ``variance``; ``positions``, ``overlaps`` (draws x k); ``theory_positions``,
        ``theory_overlaps`` (:func:`theory_outliers`), ``finite_rank_positions``,
        ``finite_rank_overlaps`` (``nu = delta_0``); ``allowance`` per outlier: the deterministic offset
        of the ``n``-point quantile bulk, ``|H_{nu_n}(theta) - H_nu(theta)|``, plus one fluctuation
        variance over ``n`` (second-order terms of a smooth function of fluctuations of that size).
    """
    n = _validate.integer("n", n, low=2)
    draws = _validate.integer("draws", draws, low=2)
    th = np.atleast_1d(np.asarray(thetas, float))
    bulk = bulk_points(nu, n - th.size)
    pos, ov = outlier_draws(th, bulk, variance=variance, draws=draws, seed=_fresh(seed))
    tp, to = theory_outliers(th, nu, variance)
    fp, fo = theory_outliers(th, laws.PointMasses([0.0]), variance)
    grid = outliers(th, laws.PointMasses(bulk), variance=variance)[0]
    fluct = np.array([outlier_fluctuation_variance(t, nu, variance=variance) if np.isfinite(p) else np.nan
                      for t, p in zip(th, tp)])
    allowance = np.abs(grid - outliers(th, nu, variance=variance)[0]) + fluct / n
    return {"thetas": th, "nu": nu, "variance": variance, "positions": pos, "overlaps": ov,
            "theory_positions": tp, "theory_overlaps": to, "finite_rank_positions": fp,
            "finite_rank_overlaps": fo, "allowance": allowance}


def outlier_experiment(thetas, nu, n, *, draws, seed, min_overlap=0.5, focus=3.0):
    """:func:`outlier_sweep` (``sigma^2 = 1``) with the per-draw statistics its checks use.

    Parameters
    ----------
    thetas, nu, n, draws, seed
        As in :func:`outlier_sweep`.
    min_overlap, focus : float
        Outliers with ``H'(theta) >= min_overlap`` are pooled (near the threshold the finite-N bias
        decays slowly); ``focus`` is the theta reported on its own.

    Returns
    -------
    dict
        The sweep with ``pooled`` (per draw: mean ``|lambda|`` and mean overlap over the pooled
        outliers), ``pooled_theory`` (the same means of the theory), ``pooled_allowance``; ``focus``
        (index), ``random_direction`` (:func:`rmtlib.models.deformed.random_direction_outlier` at
        ``focus``).
    """
    res = outlier_sweep(thetas, nu, n, draws=draws, seed=seed)
    ok = np.nan_to_num(res["theory_overlaps"]) >= min_overlap
    i = int(np.argmin(np.abs(res["thetas"] - focus)))
    pooled = np.column_stack([np.abs(res["positions"][:, ok]).mean(1), res["overlaps"][:, ok].mean(1)])
    return {**res, "pooled": pooled, "focus": i, "pooled_mask": ok,
            "pooled_theory": np.array([np.abs(res["theory_positions"][ok]).mean(),
                                       res["theory_overlaps"][ok].mean()]),
            "pooled_allowance": float(res["allowance"][ok].mean()),
            "random_direction": random_direction_outlier(focus, nu, variance=res["variance"])}


# ----------------------------------------------------------------------------- calibrated statistics
def statistics(settings, seed):
    """The chapter's regression statistics (split KS distances of the bulks) for one master seed.

    Parameters
    ----------
    settings : dict
        The notebook parameters (``bulk_n``).
    seed : int
        Master seed; the bulks use the first child of ``SeedSequence(seed)``, as the notebook.

    Returns
    -------
    dict
        ``ks_<case>`` for every case of :data:`BULK_CASES`.
    """
    first = np.random.SeedSequence(seed).spawn(8)[0]
    return {f"ks_{k}": r["ks"] for k, r in bulk_sweep(settings["bulk_n"], seed=first).items()}
