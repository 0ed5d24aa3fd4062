"""Thresholds for statistical checks, from nulls that do not involve the law under test.

A check of kind ``statistical`` compares a simulation with a theory through a threshold that the
simulation alone determines: the standard error of a seed mean, an exact sampling law, the spread
of an independent simulation, or a fit over sizes. A wrong theory cannot move such a threshold, so
the check fails when the theory is off by more than the threshold.

Every function returns a :class:`Test` whose ``value`` and ``threshold`` go to
``Report.check(..., kind="statistical")`` with ``op="<="``. The level is fixed in advance: each
check is a two-sided test at false-alarm probability :data:`ALPHA` (Student's t quantile for
standard errors estimated from the seeds, exact quantiles for binomial counts).

Example
-------
>>> t = seed_mean([1.01, 0.99, 1.02, 0.98, 1.0], 1.0)
>>> t.value <= t.threshold
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = ["ALPHA", "Test", "binomial", "extrapolated", "k_factor", "seed_mean", "two_sample",
           "two_sample_extrapolated", "upper_floor"]

ALPHA = 1e-4
"""False-alarm probability of one statistical check (two-sided), fixed before any comparison."""


@dataclass(frozen=True)
class Test:
    """The outcome of a null: pass when ``value <= threshold``.

    Attributes
    ----------
    value : float
        The measured distance, e.g. ``|seed mean - theory|``.
    threshold : float
        ``k x standard error`` (plus a derived allowance), or an exact sampling bound.
    estimate : float
        The simulated estimate (seed mean, extrapolated intercept, observed fraction, ...).
    se : float
        Its standard error (0 where the null is an exact law).
    k : float
        The quantile factor used.
    """

    value: float
    threshold: float
    estimate: float
    se: float
    k: float

    @property
    def passed(self) -> bool:
        """Whether the theory is within the threshold."""
        return self.value <= self.threshold

    @property
    def z(self) -> float:
        """The distance in standard errors (inf when the standard error is 0 and value > 0)."""
        if self.se > 0:
            return self.value / self.se
        return 0.0 if self.value == 0 else math.inf


def k_factor(dof: float, alpha: float = ALPHA) -> float:
    """Two-sided Student quantile t_{dof}(1 - alpha / 2) (the normal quantile for dof = inf).

    Parameters
    ----------
    dof : float
        Degrees of freedom (>= 1).
    alpha : float
        False-alarm probability in (0, 1).
    """
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    if not dof >= 1:
        raise ValueError(f"dof must be >= 1 (at least two seeds), got {dof!r}")
    if math.isinf(dof):
        return float(stats.norm.isf(alpha / 2))
    return float(stats.t.isf(alpha / 2, dof))


def _values(name, values, minimum=2):
    values = np.asarray(values, dtype=float).ravel()
    if values.size < minimum or not np.all(np.isfinite(values)):
        raise ValueError(f"{name} must hold at least {minimum} finite values, got {values.size}")
    return values


def seed_mean(values, theory, *, allowance=0.0, alpha=ALPHA) -> Test:
    """The seed mean of a statistic against its theory value, within k standard errors.

    Parameters
    ----------
    values : array_like
        One value per independent seed (at least 2).
    theory : float
        The theory's value.
    allowance : float
        A derived finite-size allowance added to the threshold (never calibrated on this comparison).
    alpha : float
        False-alarm probability.

    Returns
    -------
    Test
        value ``|mean - theory|``, threshold ``t_{m-1}(1 - alpha/2) s / sqrt(m) + allowance``.
    """
    values = _values("values", values)
    mean = float(values.mean())
    se = float(values.std(ddof=1) / math.sqrt(values.size))
    k = k_factor(values.size - 1, alpha)
    return Test(abs(mean - float(theory)), k * se + float(allowance), mean, se, k)


def two_sample(first, second, *, alpha=ALPHA) -> Test:
    """Welch's comparison of the means of two independent simulations.

    Parameters
    ----------
    first, second : array_like
        One value per seed of each simulation (at least 2 each).
    alpha : float
        False-alarm probability.

    Returns
    -------
    Test
        value ``|mean1 - mean2|``, threshold ``t_nu(1 - alpha/2) sqrt(s1^2/m1 + s2^2/m2)`` with the
        Welch-Satterthwaite degrees of freedom nu.
    """
    a, b = _values("first", first), _values("second", second)
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    se = math.sqrt(va + vb)
    dof = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1)) if se > 0 else math.inf
    k = k_factor(max(dof, 1.0), alpha)
    return Test(abs(float(a.mean() - b.mean())), k * se, float(a.mean() - b.mean()), se, k)


def binomial(count, trials, probability, *, alpha=ALPHA) -> Test:
    """An observed fraction against an exact binomial sampling law.

    Parameters
    ----------
    count : int
        Number of successes (e.g. zero eigenvalues over all seeds).
    trials : int
        Number of trials.
    probability : float
        The theory's probability in [0, 1].
    alpha : float
        False-alarm probability.

    Returns
    -------
    Test
        value ``|count/trials - p|``, threshold the larger distance of the two exact
        ``alpha/2`` binomial quantiles from p.
    """
    count, trials = int(count), int(trials)
    if trials < 1 or not 0 <= count <= trials:
        raise ValueError(f"need 0 <= count <= trials and trials >= 1, got {count}, {trials}")
    p = float(probability)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"probability must be in [0, 1], got {probability!r}")
    low = stats.binom.ppf(alpha / 2, trials, p) / trials
    high = stats.binom.isf(alpha / 2, trials, p) / trials
    fraction = count / trials
    sd = math.sqrt(p * (1 - p) / trials)
    return Test(abs(fraction - p), max(p - low, high - p), fraction, sd, k_factor(math.inf, alpha))


def _fit(sizes, per_size, order, noise_order=None):
    """Weighted least squares of the per-size seed means on (1, n^-order).

    The variance of the seed mean at size n is its own sample variance over the seeds, or, with
    ``noise_order`` p, the pooled ``s^2 n^(-2p) / m`` (``s^2`` the seeds' variances times ``n^(2p)``,
    pooled over every size).

    Returns the coefficients, their covariance, and the intercept's variance split into independent
    estimates ``(variance, degrees of freedom)`` for ``_satterthwaite``: ``(L_i^2 s_i^2 / m_i, m_i - 1)``
    per size with ``a = sum_i L_i mean_i``, or, pooled, the one pair ``(se(a)^2, sum_i (m_i - 1))``.
    """
    sizes = np.asarray(sizes, dtype=float)
    groups = [_values(f"values at n = {n:g}", v) for n, v in zip(sizes, per_size)]
    if sizes.size < 3 or len(groups) != sizes.size:
        raise ValueError(f"need values at >= 3 sizes, got {sizes.size}")
    means = np.array([g.mean() for g in groups])
    counts = np.array([g.size for g in groups], dtype=float)
    if noise_order is None:
        var = np.array([g.var(ddof=1) for g in groups]) / counts
    else:
        spread = sizes ** (2.0 * float(noise_order))
        pooled = sum((g.size - 1) * g.var(ddof=1) * w for g, w in zip(groups, spread)) / np.sum(counts - 1)
        var = pooled / spread / counts
    var = np.maximum(var, 1e-300)
    design = np.column_stack([np.ones_like(sizes), sizes ** (-float(order))])
    weights = 1.0 / var
    normal = design.T @ (design * weights[:, None])
    cov = np.linalg.inv(normal)
    coef = cov @ (design.T @ (weights * means))
    if noise_order is not None:
        return coef, cov, [(float(cov[0, 0]), float(np.sum(counts - 1)))]
    lever = (cov @ design.T)[0] * weights
    return coef, cov, [(float(l * l * v), g.size - 1) for l, v, g in zip(lever, var, groups)]


def _satterthwaite(parts) -> float:
    """Welch-Satterthwaite degrees of freedom of a sum of independent variance estimates ``(v_i, df_i)``.

    The intercept of a fit over sizes is dominated by the sizes with the smallest standard errors, often
    those with the fewest seeds; pooling every seed's degree of freedom would make the Student quantile
    too small (at 24, 12 and 8 seeds a false-alarm rate near 10 x ALPHA; see tests/test_power.py).
    """
    total = sum(v for v, _ in parts)
    denominator = sum(v * v / df for v, df in parts)
    return total * total / denominator if denominator > 0 else math.inf


def extrapolated(sizes, per_size, theory, *, order=1.0, noise_order=None, alpha=ALPHA) -> Test:
    """The intercept a of a fit mean(n) = a + b n^(-order) over >= 3 sizes, against the theory.

    Parameters
    ----------
    sizes : sequence of int
        The sizes n (at least 3).
    per_size : sequence of array_like
        For each size, one value per seed.
    theory : float
        The theory's limit.
    order : float
        The exponent of the finite-size correction (1 for linear statistics of Wigner-type matrices).
    noise_order : float, optional
        The exponent p of a known law of the per-seed standard deviation, ``sd(n) ~ n^(-p)``: 1 for a
        linear statistic (the central limit theorem for linear eigenvalue statistics), 2/3 for an
        eigenvalue at a square-root edge (Tracy-Widom). The seeds' variances are then pooled over the
        sizes, so that a size with few seeds whose sample variance is small by chance does not take
        the whole weight of the fit. None: each size's own sample variance.
    alpha : float
        False-alarm probability.

    Returns
    -------
    Test
        value ``|a - theory|``, threshold ``k se(a)`` from the weighted least-squares covariance
        (weights the inverse squared standard errors of the seed means), k the Student quantile at the
        Welch-Satterthwaite degrees of freedom of se(a)^2 (pooled: at ``sum (m_i - 1)``, exact for
        Gaussian per-seed values).
    """
    coef, cov, parts = _fit(sizes, per_size, order, noise_order)
    se = float(math.sqrt(cov[0, 0]))
    k = k_factor(max(_satterthwaite(parts), 1.0), alpha)
    return Test(abs(float(coef[0]) - float(theory)), k * se, float(coef[0]), se, k)


def two_sample_extrapolated(sizes, first, second, *, order=1.0, alpha=ALPHA) -> Test:
    """Two independent simulations at the same sizes: are the intercepts of their a + b n^(-order) fits equal?

    Universality is a statement about n -> infinity: two entry laws may differ at finite n by a term of
    order 1/n (for moments of order >= 2 it involves the entries' fourth moment), so their seed means
    at one n are not expected to agree; their extrapolations to 1/n = 0 are.

    Parameters
    ----------
    sizes : sequence of int
        The sizes n (at least 3), the same for both simulations.
    first, second : sequence of array_like
        For each size, one value per seed of each simulation.
    order, alpha
        As in :func:`extrapolated`.

    Returns
    -------
    Test
        value ``|a1 - a2|``, threshold ``k sqrt(se(a1)^2 + se(a2)^2)``, with k the Student quantile at
        the Welch-Satterthwaite degrees of freedom of that sum.
    """
    (c1, v1, p1), (c2, v2, p2) = _fit(sizes, first, order), _fit(sizes, second, order)
    se = float(math.sqrt(v1[0, 0] + v2[0, 0]))
    k = k_factor(max(_satterthwaite(p1 + p2), 1.0), alpha)
    diff = float(c1[0] - c2[0])
    return Test(abs(diff), k * se, diff, se, k)


def upper_floor(sizes, per_size, *, order=0.5, alpha=ALPHA) -> Test:
    """A distance's floor: the intercept of mean(n) = a + b n^(-order), one-sided upper bound.

    A simulation that converges to the right law has a distance that decays to 0 (a = 0); a wrong
    law leaves a floor a > 0. The check ``value <= threshold`` reads ``a <= k se(a)``.

    Parameters
    ----------
    sizes, per_size, order, alpha
        As in :func:`extrapolated` (one-sided at level alpha / 2).

    Returns
    -------
    Test
        value ``a`` (the fitted floor), threshold ``k se(a)``.
    """
    coef, cov, parts = _fit(sizes, per_size, order)
    se = float(math.sqrt(cov[0, 0]))
    k = k_factor(max(_satterthwaite(parts), 1.0), alpha)
    return Test(float(coef[0]), k * se, float(coef[0]), se, k)
