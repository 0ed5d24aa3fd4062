"""Deformed Wigner matrices with a full-rank deterministic part and a growing number of outliers.

Model (Afanasiev, Berlyand & Kiyashko, arXiv:2507.12182, the square symmetric analogue of their
eq. (1.1)): ``H = R / sqrt(N) + S`` with ``R`` a real symmetric Wigner matrix whose off-diagonal
entries are i.i.d. with zero mean and variance ``sigma^2`` (``variance=``; the diagonal has variance
``2 sigma^2``, so Gaussian ``R`` gives the GOE) and ``S = diag(theta_1, ..., theta_k, s_{k+1}, ..., s_N)``
deterministic: a bulk with limiting law ``nu`` and ``k`` eigenvalues ``theta_i`` outside ``supp nu``.

Theory (standard results derived for this book, not read in the paper; book/derivations.md,
eqs. (def-subordination) to (def-cluster)): the bulk is ``SC(sigma) ⊞ nu`` (Biane 1998); an eigenvalue
``theta`` of ``S`` with ``H'(theta) > 0`` makes an outlier at ``H(theta) = theta + sigma^2 G_nu(theta)``
with squared overlap ``H'(theta)`` (Capitaine, Donati-Martin, Féral & Février 2011). The transforms of
``nu`` at real points are computed here from ``nu`` itself, not from the complex-plane solver.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize
from scipy.integrate import IntegrationWarning

from rmtlib import entries as _entries, free, laws
from rmtlib._numerics import validate as _validate
from rmtlib.models._real_axis import discrete_parts, hull, outside, real_transforms
from rmtlib.models.rectangular import rect_fullrank_law, rect_fullrank_outliers
from rmtlib.spectral_law import SpectralLaw

__all__ = ["bulk_edges", "bulk_points", "cluster_sd_prediction", "deformed_wigner_law", "measure_outliers",
           "outlier_fluctuation_variance", "outliers", "random_direction_outlier", "real_transforms",
           "rect_fullrank_law", "rect_fullrank_outliers",
           "sample_deformed_wigner", "sample_wigner"]


def _law(nu):
    return _validate.instance("nu", nu, SpectralLaw)


def outliers(thetas, nu, *, variance):
    """Limiting positions and squared overlaps of the outliers created by eigenvalues of ``S``.

    Parameters
    ----------
    thetas : array_like of float
        Eigenvalues of ``S`` outside the bulk (each an eigenvector direction of ``S``).
    nu, variance : SpectralLaw, float
        Limiting law of the bulk of ``S`` (``PointMasses([0.0])``: finite rank) and ``sigma^2``.

    Returns
    -------
    positions, overlaps : ndarray
        ``H(theta) = theta + sigma^2 G_nu(theta)`` and ``H'(theta) = 1 - sigma^2 ∫dnu/(theta-s)^2``;
        NaN where ``theta`` lies in ``supp nu`` or ``H'(theta) <= 0`` (no outlier).

    Notes
    -----
    Capitaine, Donati-Martin, Féral and Février (2011); book/derivations.md, eqs. (def-outlier-position)
    and (def-outlier-overlap). For ``nu = delta_0``: ``theta + sigma^2/theta`` and ``1 - sigma^2/theta^2``.
    """
    s2, nu = _validate.positive("variance", variance), _law(nu)
    th = np.atleast_1d(_validate.real_array("thetas", thetas, ndim=None)).ravel()
    pos, ov = np.full(th.shape, np.nan), np.full(th.shape, np.nan)
    ok = outside(nu, th)
    if ok.any():
        g, g2 = real_transforms(nu, th[ok])
        slope = 1.0 - s2 * g2
        pos[ok] = np.where(slope > 0, th[ok] + s2 * g, np.nan)
        ov[ok] = np.where(slope > 0, slope, np.nan)
    return pos, ov


def bulk_edges(nu, *, variance):
    """Outer edges of ``SC(sigma) ⊞ nu``.

    Parameters
    ----------
    nu, variance : SpectralLaw, float
        Bulk law of ``S`` and ``sigma^2``.

    Returns
    -------
    left, right : float
        ``H(omega)`` at the real solutions ``omega`` outside the hull of ``supp nu`` of
        ``sigma^2 ∫ dnu/(omega-s)^2 = 1``.

    Notes
    -----
    Biane's edge equation, book/derivations.md, eq. (def-edge).
    """
    s2 = _validate.positive("variance", variance)
    lo, hi = hull(_law(nu))
    spread = hi - lo + 2.0 * math.sqrt(s2) + 1.0

    def slope(w):
        return 1.0 - s2 * real_transforms(nu, w)[1][0]

    def root(edge, side):
        """The solution of slope = 0 beyond ``edge`` on ``side`` (+1 right, -1 left)."""
        gap = spread
        while slope(edge + side * gap) < 0.0:  # far enough out, slope -> 1
            gap *= 2.0
        near = gap
        while near > 1e-12 * spread and slope(edge + side * near) > 0.0:
            near /= 2.0
        if slope(edge + side * near) > 0.0:  # no solution: the edge of nu stays an edge
            return edge + side * near
        a, b = sorted((edge + side * near, edge + side * gap))
        return optimize.brentq(slope, a, b, xtol=1e-14 * spread)

    return tuple(float(w + s2 * real_transforms(nu, w)[0][0]) for w in (root(lo, -1.0), root(hi, 1.0)))


def deformed_wigner_law(nu, *, variance):
    """Limiting spectral law of the bulk: ``SC(sigma) ⊞ nu``.

    Parameters
    ----------
    nu, variance : SpectralLaw, float
        Limiting law of the spectrum of ``S`` and ``sigma^2``.

    Returns
    -------
    SpectralLaw
        ``rmtlib.free.add(Semicircle(variance=variance), nu)``.

    Notes
    -----
    Biane (1998) subordination, book/derivations.md, eq. (def-subordination).
    """
    s2 = _validate.positive("variance", variance)
    return free.add(laws.Semicircle(variance=s2), nu)


def random_direction_outlier(theta, nu, *, variance):
    """Outlier of ``R/sqrt(N) + S_bulk + theta u u^T`` for a uniformly random unit vector ``u``.

    Parameters
    ----------
    theta : float
        Spike strength (positive: right of the bulk).
    nu, variance : SpectralLaw, float
        Law of ``S_bulk`` and ``sigma^2``.

    Returns
    -------
    float
        ``omega_0 + sigma^2/theta`` with ``G_nu(omega_0) = 1/theta``, NaN if there is no outlier.

    Notes
    -----
    Benaych-Georges and Nadakuditi (2011) applied twice: ``omega_0`` is the outlier of
    ``S_bulk + theta u u^T`` and ``H(omega_0) = omega_0 + sigma^2/theta``; book/derivations.md,
    eq. (def-random-direction).
    """
    s2, theta = _validate.positive("variance", variance), _validate.positive("theta", theta)
    hi = hull(_law(nu))[1]
    f = lambda w: real_transforms(nu, w, second=False)[0][0] - 1.0 / theta
    eps = 1e-12 * max(1.0, abs(hi))
    try:
        start = f(hi + eps)
    except IntegrationWarning:  # raised as an error by the transforms: too close to the edge for quad
        eps *= 1e3
        start = f(hi + eps)
    if start <= 0:
        return math.nan
    w0 = optimize.brentq(f, hi + eps, hi + 10 * (abs(hi) + theta + 1), xtol=1e-14)
    if 1.0 - s2 * real_transforms(nu, w0)[1][0] <= 0:
        return math.nan
    return float(w0 + s2 / theta)


def outlier_fluctuation_variance(theta, nu, *, variance, fourth_cumulant=0.0):
    """Limiting variance of ``sqrt(N) (lambda - H(theta))`` for one outlier along a coordinate axis.

    Parameters
    ----------
    theta : float
        Eigenvalue of ``S`` producing the outlier.
    nu, variance : SpectralLaw, float
        Bulk law of ``S`` and ``sigma^2``.
    fourth_cumulant : float, default 0
        ``E x^4 - 3`` of the unit-variance off-diagonal entry law (0 for Gaussian, -2 for Rademacher).

    Returns
    -------
    float
        ``sigma^2 [2 H' + kappa_4 H'^2 (1 - H')]`` (NaN if no outlier).

    Notes
    -----
    Derived for this book (Schur complement of the spike coordinate, linearised), book/derivations.md,
    eq. (def-fluctuation); it depends on ``kappa_4``: localized spikes are not universal (Capitaine,
    Donati-Martin & Féral 2009).
    """
    s2, theta = _validate.positive("variance", variance), _validate.real("theta", theta)
    fourth_cumulant = _validate.real("fourth_cumulant", fourth_cumulant, low=-2.0)  # E x^4 >= (E x^2)^2
    slope = outliers([theta], nu, variance=s2)[1][0]
    return float(s2 * (2.0 * slope + fourth_cumulant * slope**2 * (1.0 - slope)))


def cluster_sd_prediction(theta, k, n, nu, *, variance):
    """Predicted standard deviation of a cluster of ``k`` coincident outliers at ``theta``.

    Parameters
    ----------
    theta, k, n : float, int, int
        The common eigenvalue of ``S``, cluster size and matrix size.
    nu, variance : SpectralLaw, float
        Bulk law and ``sigma^2``.

    Returns
    -------
    float
        ``sqrt(H'(theta) sigma^2 (k + 1 - 2/k) / n)``.

    Notes
    -----
    Heuristic derived for this book, book/derivations.md, eq. (def-cluster): the cluster is
    ``H(theta) + sqrt(H' sigma^2 / n)`` times the spectrum of a ``k x k`` GOE with unit off-diagonal
    variance, whose empirical variance has mean ``k + 1 - 2/k``.
    """
    s2, theta = _validate.positive("variance", variance), _validate.real("theta", theta)
    k = _validate.integer("k", k, low=1)
    n = _validate.integer("n", n, low=1)
    slope = outliers([theta], nu, variance=s2)[1][0]
    return float(math.sqrt(slope * s2 * (k + 1 - 2.0 / k) / n))


# ----------------------------------------------------------------------------- samplers
def bulk_points(nu, n, *, grid="quantile", rng=None):
    """Bulk eigenvalues of ``S``: ``n`` quantiles of ``nu`` (deterministic) or ``n`` i.i.d. draws.

    Parameters
    ----------
    nu, n : SpectralLaw, int
        Target law (its ``cdf`` is inverted by bisection) and number of points.
    grid : {"quantile", "iid"}
        ``"quantile"``: ``F^{-1}((j - 1/2)/n)``; ``"iid"``: ``F^{-1}(U_j)``.
    rng : Generator or int, optional
        Needed for ``"iid"``.

    Returns
    -------
    ndarray
        Sorted points.
    """
    nu, n = _law(nu), _validate.dimension("n", n)
    grid = _validate.choice("grid", grid, ("quantile", "iid"))
    gen = _validate.as_generator(rng) if rng is not None or grid == "iid" else None
    q = (np.arange(n) + 0.5) / n if grid == "quantile" else np.sort(gen.random(n))
    lo, hi = hull(nu)
    if type(nu).__name__ == "Uniform":
        return lo + (hi - lo) * q
    a = np.full(n, lo - 1e-9 * (1 + abs(lo)))
    b = np.full(n, hi)
    for _ in range(64):  # smallest x with cdf(x) >= q
        m = 0.5 * (a + b)
        up = np.asarray(nu.cdf(m)) >= q
        b = np.where(up, m, b)
        a = np.where(up, a, m)
    loc, _ = discrete_parts(nu)
    if loc.size:  # snap to atoms that bisection reached to rounding accuracy
        near = np.abs(b[:, None] - loc[None, :]) < 1e-9 * (1 + hi - lo)
        b = np.where(near.any(axis=1), loc[near.argmax(axis=1)], b)
    return b


def sample_wigner(n, *, variance=1.0, entries="gaussian", rng, **params):
    """``R / sqrt(n)`` with ``R`` symmetric, off-diagonal entries i.i.d. of variance ``sigma^2``.

    Parameters
    ----------
    n, variance : int, float
        Size and ``sigma^2``.
    entries, **params : str
        Entry law from :data:`rmtlib.entries.NAMES` (unit variance, scaled by ``sigma``) and its
        parameters (e.g. ``nu=5`` for ``student_t``).
    rng : Generator or int
        Random source.

    Returns
    -------
    ndarray, shape (n, n)
        Off-diagonal ``sigma x_ij / sqrt(n)``, diagonal ``sqrt(2) sigma x_ii / sqrt(n)`` (GOE for
        Gaussian entries).
    """
    n, s2 = _validate.dimension("n", n), _validate.positive("variance", variance)
    _entries.resolve((entries, params), name="entries")
    x = _entries.sample(entries, (n, n), rng=_validate.as_generator(rng), **params)
    r = np.triu(x, 1)
    r = r + r.T + math.sqrt(2.0) * np.diag(np.diag(x))
    return r * math.sqrt(s2 / n)


def sample_deformed_wigner(thetas, bulk, *, variance=1.0, entries="gaussian", rng, **params):
    """The matrix ``H = R/sqrt(N) + diag(thetas, bulk)`` with ``N = len(thetas) + len(bulk)``.

    Parameters
    ----------
    thetas, bulk : array_like
        Outlier eigenvalues of ``S`` (coordinates ``0 .. k-1``) and bulk ones (:func:`bulk_points`).
    variance, entries, rng, **params
        As in :func:`sample_wigner`.

    Returns
    -------
    ndarray, shape (N, N)
    """
    diag = np.concatenate([np.atleast_1d(_validate.real_array("thetas", thetas, ndim=None)).ravel(),
                           _validate.real_array("bulk", bulk)])
    h = sample_wigner(diag.size, variance=variance, entries=entries, rng=rng, **params)
    h[np.diag_indices_from(h)] += diag
    return h


def measure_outliers(thetas, bulk, *, variance=1.0, entries="gaussian", rng, vectors=True, **params):
    """Sample ``H`` and return the eigenvalues matched to ``thetas`` and their squared overlaps.

    Parameters
    ----------
    thetas, bulk : array_like
        Outlier and bulk eigenvalues of ``S``; thetas above the bulk's median are matched to the top
        eigenvalues, the others to the bottom ones, in sorted order.
    variance, entries, rng, **params
        As in :func:`sample_wigner`.
    vectors : bool, default True
        Also measure the squared overlaps ``|<v_i, e_i>|^2`` with the coordinate of ``theta_i``.

    Returns
    -------
    dict
        ``positions``, ``overlaps`` (NaN without ``vectors``), in the order of ``thetas``; ``top``
        (largest eigenvalue not matched to a theta above the bulk).
    """
    th = np.atleast_1d(_validate.real_array("thetas", thetas, ndim=None)).ravel()
    bulk, vectors = _validate.real_array("bulk", bulk), _validate.choice("vectors", vectors, (True, False))
    if bulk.size == 0:
        raise ValueError("bulk must not be empty")
    h = sample_deformed_wigner(th, bulk, variance=variance, entries=entries, rng=rng, **params)
    mid = np.median(bulk)
    up = np.flatnonzero(th > mid)[np.argsort(-th[th > mid], kind="stable")]
    down = np.flatnonzero(th <= mid)[np.argsort(th[th <= mid], kind="stable")]
    w, v = np.linalg.eigh(h) if vectors else (np.linalg.eigvalsh(h), None)
    idx = np.empty(th.size, dtype=int)
    idx[up] = w.size - 1 - np.arange(up.size)
    idx[down] = np.arange(down.size)
    ov = v[np.arange(th.size), idx] ** 2 if vectors else np.full(th.size, np.nan)
    return {"positions": w[idx], "overlaps": ov, "top": float(w[w.size - 1 - up.size])}
