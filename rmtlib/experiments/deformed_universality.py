"""Universality of an outlier: its position and its fluctuations for several laws of the entries.

The spike sits on coordinate 0 of ``H = R/sqrt(N) + diag(theta, s_2, ..., s_N)``. Many matrices
are drawn per *group*: a group shares the minor ``H_1`` (rows and columns 2..N) and gives every
matrix a fresh first row ``x`` and diagonal entry ``d``; the outlier is then the root above the
bulk of the secular equation of the Schur complement, an exact eigenvalue of each matrix at a cost
O(N) per matrix once ``H_1`` is diagonalised. Groups are independent, so the seed-mean nulls of
:mod:`rmtlib.compendium.nulls` run over groups.
"""

from __future__ import annotations

import math

import numpy as np

from rmtlib import entries as _entries, laws
from rmtlib._numerics import validate as _validate
from rmtlib.experiments import theory
from rmtlib.experiments.cache import simulation
from rmtlib.experiments.mapper import map_tasks
from rmtlib.models.deformed import bulk_edges, bulk_points, outlier_fluctuation_variance, outliers, sample_wigner

__all__ = ["ENTRY_LAWS", "secular_outlier", "universality_draws", "universality_sweep"]

ENTRY_LAWS = (("gaussian", {}), ("rademacher", {}), ("sparse", {"p": 0.5}), ("student_t", {"nu": 5}))
"""Entry laws of the universality experiment: Gaussian, Rademacher (kappa_4 = -2), sparse Gaussian with
density 1/2 (kappa_4 = 3) and Student t with 5 degrees of freedom (kappa_4 = 6, infinite eighth moment)."""


def secular_outlier(theta_plus_d, weights, mu):
    """The eigenvalue above ``max(mu)`` of ``[[theta + d, x^T], [x, H_1]]``, one per row.

    Parameters
    ----------
    theta_plus_d : ndarray, shape (m,)
        The corner entries ``theta + d``.
    weights : ndarray, shape (m, N-1)
        ``(u_j^T x)^2`` for the eigenvectors ``u_j`` of ``H_1``.
    mu : ndarray, shape (N-1,)
        Eigenvalues of ``H_1``.

    Returns
    -------
    ndarray, shape (m,)
        The roots of ``f(l) = l - theta - d - sum_j w_j / (l - mu_j)`` above ``max(mu)``.

    Notes
    -----
    Schur complement of the first coordinate. ``f`` increases from -inf to +inf on
    ``(max mu, inf)`` and ``f(max mu + a) >= 0`` for ``a = max(theta + d - max mu, 0) + sqrt(sum w)``,
    so Newton's method safeguarded by bisection (a step leaving the current bracket is replaced by
    its midpoint, and every evaluation shrinks the bracket) finds the root from the right end.
    """
    top = float(np.max(mu))
    lo = np.full(theta_plus_d.shape, top)
    hi = top + np.maximum(theta_plus_d - top, 0.0) + np.sqrt(weights.sum(axis=1)) + 1e-12
    x = hi.copy()
    for _ in range(30):
        d = x[:, None] - mu[None, :]
        fx = x - theta_plus_d - np.sum(weights / d, axis=1)
        up = fx > 0
        hi, lo = np.where(up, x, hi), np.where(up, lo, x)
        step = x - fx / (1.0 + np.sum(weights / d**2, axis=1))
        x = np.where((step >= lo) & (step <= hi) & (step > top), step, 0.5 * (lo + hi))
    return x


@simulation
def universality_draws(n, entries, params, *, groups, rows, theta, half_width, seed):
    """Outliers of ``R/sqrt(n) + diag(theta, bulk)`` (bulk: ``n - 1`` quantiles of ``U[-a, a]``).

    Parameters
    ----------
    n : int
        Matrix size.
    entries, params : str, dict
        Entry law of :mod:`rmtlib.entries` (unit variance) and its parameters; ``sigma^2 = 1``.
    groups, rows : int
        Independent minors, and matrices (first rows) per minor.
    theta, half_width : float
        The spike and the bulk half width ``a``.
    seed : int or SeedSequence
        Master seed (one child per group).

    Returns
    -------
    ndarray, shape (groups, rows)
        The outlier of each matrix.
    """
    n = _validate.integer("n", n, low=3)
    bulk = bulk_points(laws.Uniform(-half_width, half_width), n - 1)
    children = np.random.SeedSequence(_validate.seed_int(seed)).spawn(groups)
    tasks = [(n, entries, params, rows, theta, bulk, child) for child in children]
    return np.array(map_tasks(_group_outliers, tasks, label=f"deformed universality {entries}")).reshape(groups, rows)


def _group_outliers(task):
    """The outliers of ``rows`` matrices sharing one minor ``H_1``: task ``(n, entries, params, rows, theta, bulk, seed)``."""
    n, entries, params, rows, theta, bulk, seed = task
    rng = np.random.default_rng(seed)
    h1 = sample_wigner(n - 1, entries=entries, rng=rng, **params) * math.sqrt((n - 1) / n)
    h1[np.diag_indices_from(h1)] += bulk
    mu, u = np.linalg.eigh(h1)
    x = _entries.sample(entries, (rows, n - 1), rng=rng, **params) / math.sqrt(n)
    d = math.sqrt(2.0 / n) * _entries.sample(entries, rows, rng=rng, **params)
    return secular_outlier(theta + d, (x @ u) ** 2, mu)


def universality_sweep(n, *, groups, rows, seed, entry_laws=ENTRY_LAWS, theta=3.2, half_width=2.5):
    """Per entry law: per-group means and variances of the outlier against the theory.

    Parameters
    ----------
    n, groups, rows : int
        Matrix size, independent minors per law and matrices per minor.
    seed : int or SeedSequence
        Master seed (one child per law).
    entry_laws : sequence of (str, dict)
        Entry laws and their parameters.
    theta, half_width : float
        Spike and bulk half width (``sigma^2 = 1``).

    Returns
    -------
    dict
        Per law label: ``scaled`` (all ``sqrt(n) (lambda - H(theta))``), ``group_means`` (mean outlier
        per group), ``group_variances`` (``n`` times the unbiased within-group variance), ``kappa4``,
        ``theory_position`` (``H(theta)`` through :func:`rmtlib.experiments.theory.position`),
        ``variance_pred`` (the derived fluctuation variance with the law's fourth cumulant),
        ``variance_gauss`` (with ``kappa_4 = 0``), ``variance_finite_rank`` (``nu = delta_0``), the
        last three through :func:`rmtlib.experiments.theory.moment` with ``k = 2``; ``gap_widths``
        (distance of ``H(theta)`` to the bulk edge in fluctuation standard deviations).
    """
    s2 = theory.parameter("variance", 1.0)
    th = theory.parameter("theta", theta)
    nu = laws.Uniform(-half_width, half_width)
    position = float(outliers([th], nu, variance=s2)[0][0])
    edge = bulk_edges(nu, variance=s2)[1]
    gauss = outlier_fluctuation_variance(th, nu, variance=s2)
    finite = outlier_fluctuation_variance(th, laws.PointMasses([0.0]), variance=s2)
    out = {}
    children = np.random.SeedSequence(_validate.seed_int(seed)).spawn(len(entry_laws))
    for (name, params), child in zip(entry_laws, children):
        lam = universality_draws(n, name, dict(params), groups=groups, rows=rows, theta=theta,
                                 half_width=half_width, seed=child)
        kappa = _entries.fourth_moment(name, **params) - 3.0
        label = name + "".join(f"_{k}{v:g}" for k, v in params.items())
        out[label] = {
            "scaled": (math.sqrt(n) * (lam - position)).ravel(), "group_means": lam.mean(axis=1),
            "group_variances": n * lam.var(axis=1, ddof=1), "kappa4": float(kappa),
            "theory_position": theory.position(position),
            "variance_pred": theory.moment(outlier_fluctuation_variance(th, nu, variance=s2,
                                                                        fourth_cumulant=kappa), 2),
            "variance_gauss": theory.moment(gauss, 2), "variance_finite_rank": theory.moment(finite, 2),
            "gap_widths": (position - edge) / math.sqrt(gauss / n)}
    return out
