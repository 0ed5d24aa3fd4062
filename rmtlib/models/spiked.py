"""Rectangular spiked model ``W = R/sqrt(N) + S`` (eq. (1.1) of Afanasiev, Berlyand & Kiyashko) and
RMT-based pruning.

``W`` is ``N x M`` with ``M <= N`` and ``c = M/N``; ``R`` has i.i.d. entries of zero mean and variance
``sigma^2`` (``variance=``). The squared singular values of ``R/sqrt(N)`` follow
``MarchenkoPastur(ratio=c, variance=sigma^2)`` (law of ``W^T W``), with top bulk singular value
``sigma (1 + sqrt(c))``.

Theory (standard, derived for the chapter, not the paper's statements):

* rank-one spikes (Benaych-Georges & Nadakuditi 2012): with ``t = theta/sigma`` an outlier singular
  value exists iff ``t > c^{1/4}``, at ``sigma sqrt((1+t^2)(c+t^2))/t``; squared overlaps
  ``1 - (c+t^2)/(t^2(t^2+1))`` (left, N side) and ``1 - c(1+t^2)/(t^2(t^2+c))`` (right, M side);
* noise level from the bulk by a BEMA-style quantile fit (Ke, Ma & Lin), threshold at the MP edge
  plus a Tracy-Widom margin;
* optimal shrinkage of each kept singular value to ``theta_hat sqrt(ov_u ov_v)``
  (Gavish & Donoho 2017 for the Frobenius loss in this model).

The sweeps and the pruning experiment that use this model live in :mod:`rmtlib.experiments.pruning`.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from rmtlib import entries as _entries, laws
from rmtlib._numerics import validate as _validate
from rmtlib.models.deformed import bulk_points

__all__ = [
    "TW1_QUANTILES",
    "bema",
    "denoise",
    "mp_threshold",
    "rect_debias",
    "rect_spike",
    "sample_rectangular",
    "spike_count",
    "truncate",
]

TW1_QUANTILES = {0.90: 0.4501, 0.95: 0.9793, 0.99: 2.0234}
"""Quantiles of the Tracy-Widom (beta=1) law (standard tabulated values)."""


def _matrix(w):
    w = _validate.real_array("w", w, ndim=2)
    if w.size == 0:
        raise ValueError("w must not be empty")
    return w


def rect_spike(theta, *, ratio, variance=1.0):
    """Limiting outlier singular value and squared overlaps of a rank-one spike ``theta u v^T``.

    Parameters
    ----------
    theta : array_like
        Spike singular values (>= 0).
    ratio : float
        ``c = M/N`` in (0, 1].
    variance : float
        ``sigma^2``.

    Returns
    -------
    s, ov_u, ov_v : ndarray
        Singular value, ``|<u_1,u>|^2`` (N side) and ``|<v_1,v>|^2`` (M side); NaN below threshold.

    Notes
    -----
    Benaych-Georges and Nadakuditi (2012), rewritten for the ``1/sqrt(N)`` scaling of eq. (1.1);
    book/derivations.md, eqs. (def-rect-spike) and (def-rect-overlaps).
    """
    c = _validate.real("ratio", ratio, low=0.0, low_open=True, high=1.0)
    sigma = math.sqrt(_validate.positive("variance", variance))
    t = np.atleast_1d(_validate.real_array("theta", theta, ndim=None)) / sigma
    if np.any(t < 0):
        raise ValueError("theta must be >= 0")
    ok = t > c**0.25
    t = np.where(ok, t, np.nan)
    t2 = t**2
    s = sigma * np.sqrt((1 + t2) * (c + t2)) / t
    ov_u = 1 - (c + t2) / (t2 * (t2 + 1))
    ov_v = 1 - c * (1 + t2) / (t2 * (t2 + c))
    return s, ov_u, ov_v


def rect_debias(s, *, ratio, variance=1.0):
    """Invert :func:`rect_spike`: the spike ``theta`` that produces the outlier singular value ``s``.

    Parameters
    ----------
    s : array_like
        Observed singular values.
    ratio : float
        ``c = M/N``.
    variance : float
        ``sigma^2``.

    Returns
    -------
    ndarray
        ``theta = sigma t`` with ``t^2 = (r^2-1-c + sqrt((r^2-1-c)^2 - 4c))/2``, ``r = s/sigma``;
        NaN where ``s`` is not above the bulk edge ``sigma (1 + sqrt(c))``.

    Notes
    -----
    The inverse of book/derivations.md, eq. (def-rect-spike): eq. (def-rect-debias).
    """
    c = _validate.real("ratio", ratio, low=0.0, low_open=True, high=1.0)
    sigma = math.sqrt(_validate.positive("variance", variance))
    r = np.atleast_1d(_validate.real_array("s", s, ndim=None)) / sigma
    b = r**2 - 1 - c
    disc = b**2 - 4 * c
    ok = (r > 1 + math.sqrt(c)) & (disc >= 0)
    t2 = np.where(ok, (b + np.sqrt(np.where(ok, disc, 0.0))) / 2, np.nan)
    return sigma * np.sqrt(t2)


def _haar_columns(dim, k, rng):
    q, r = np.linalg.qr(rng.standard_normal((dim, k)))
    return q * np.sign(np.diag(r))


def sample_rectangular(n, m, thetas, *, variance=1.0, entries="gaussian", rng, **params):
    """Sample ``W = R/sqrt(n) + U diag(thetas) V^T`` with Haar-distributed orthonormal ``U, V``.

    Parameters
    ----------
    n, m : int
        Shape, ``m <= n``.
    thetas : array_like
        Singular values of ``S`` (at most ``m``).
    variance : float
        ``sigma^2``.
    entries : str
        Entry law of ``R`` (:mod:`rmtlib.entries`), scaled by ``sigma``.
    rng : Generator or int
        Random source.
    **params
        Entry-law parameters.

    Returns
    -------
    dict
        ``W``, ``S``, ``U`` (n x k), ``V`` (m x k), ``thetas``.
    """
    n = _validate.dimension("n", n)
    m = _validate.integer("m", m, low=1, high=n)
    s2 = _validate.positive("variance", variance)
    th = np.atleast_1d(_validate.real_array("thetas", thetas, ndim=None)).ravel()
    _entries.resolve((entries, params), name="entries")
    if th.size > m:
        raise ValueError(f"at most m={m} thetas, got {th.size}")

    rng = _validate.as_generator(rng)
    u = _haar_columns(n, th.size, rng)
    v = _haar_columns(m, th.size, rng)
    s = (u * th) @ v.T
    r = _entries.sample(entries, (n, m), rng=rng, **params)
    return {"W": r * math.sqrt(s2 / n) + s, "S": s, "U": u, "V": v, "thetas": th}


@functools.lru_cache(maxsize=64)
def _mp_quantiles_cached(ratio, count):
    q = bulk_points(laws.MarchenkoPastur(ratio, variance=1.0), count)
    q.flags.writeable = False
    return q


def _mp_quantiles(ratio, count):
    """Quantiles ``F^{-1}((j-1/2)/count)`` of ``MP(ratio, 1)`` (cached: the cdf inversion is slow)."""
    return _mp_quantiles_cached(float(ratio), int(count))


def bema(singular_values, *, ratio, alpha=0.2):
    """Noise level ``sigma^2`` fitted to the bulk of the squared singular values.

    Parameters
    ----------
    singular_values : array_like
        The ``M`` singular values of ``W`` (``N x M``, scaled as in eq. (1.1)).
    ratio : float
        ``c = M/N``.
    alpha : float
        Fraction trimmed at each end, in (0, 0.5).

    Returns
    -------
    float
        Least-squares slope through the origin of the sorted ``s^2`` against the
        ``MP(c, 1)`` quantiles ``F^{-1}((j-1/2)/M)`` over ``alpha M <= j <= (1-alpha) M``.

    Notes
    -----
    BEMA of Ke, Ma and Lin (bulk eigenvalue matching), in the form used by the authors' group's
    public pruning code; the quantiles invert the MP cdf (not its density). book/derivations.md,
    eq. (def-bema).
    """
    c = _validate.real("ratio", ratio, low=0.0, low_open=True, high=1.0)
    alpha = _validate.real("alpha", alpha, low=0.0, high=0.5, low_open=True, high_open=True)
    sv = _validate.real_array("singular_values", singular_values)
    if sv.size == 0 or np.any(sv < 0) or np.any(sv > 1e150):  # squares must not overflow
        raise ValueError("singular_values must be a non-empty array of numbers in [0, 1e150]")
    lam = np.sort(sv**2)
    m = lam.size
    q = _mp_quantiles(c, m)
    j = np.arange(m)
    sel = (j >= alpha * m) & (j <= (1 - alpha) * m)
    return float(np.dot(q[sel], lam[sel]) / np.dot(q[sel], q[sel]))


def mp_threshold(variance, *, ratio, n, level=0.95):
    """Singular-value threshold: the MP edge of ``W^T W`` plus a Tracy-Widom margin.

    Parameters
    ----------
    variance : float
        Fitted ``sigma^2``.
    ratio : float
        ``c = M/N``.
    n : int
        The larger dimension ``N``.
    level : {0.90, 0.95, 0.99}
        Tracy-Widom quantile.

    Returns
    -------
    float
        ``sqrt(lambda_+)`` with ``lambda_+ = sigma^2 [(1+sqrt c)^2 + t n^{-2/3} c^{-1/6} (1+sqrt c)^{4/3}]``.

    Notes
    -----
    MP edge plus a Tracy-Widom margin (Johnstone 2001), book/derivations.md, eq. (def-mp-threshold).
    """
    s2 = _validate.positive("variance", variance)
    c = _validate.real("ratio", ratio, low=0.0, low_open=True, high=1.0)
    level, n = _validate.choice("level", level, tuple(TW1_QUANTILES)), _validate.dimension("n", n)
    rc = math.sqrt(c)
    lam = s2 * ((1 + rc) ** 2 + TW1_QUANTILES[level] * n ** (-2 / 3) * c ** (-1 / 6) * (1 + rc) ** (4 / 3))
    return math.sqrt(lam)


def denoise(w, *, variance=None, alpha=0.2, level=0.95, shrink=False):
    """Estimate ``S`` from ``W``: keep singular values above the threshold, optionally shrink them.

    Parameters
    ----------
    w : ndarray, shape (N, M) or (M, N)
        Observed matrix; it is oriented so that the larger dimension is ``N``.
    variance : float, optional
        Noise ``sigma^2``; fitted by :func:`bema` if None.
    alpha, level : float
        BEMA trimming and Tracy-Widom level.
    shrink : bool
        Replace each kept ``s`` by ``theta_hat sqrt(ov_u ov_v)`` (optimal for the Frobenius loss).

    Returns
    -------
    dict
        ``estimate`` (same shape as ``w``), ``rank``, ``variance``, ``threshold``,
        ``singular_values`` (kept, before shrinkage).

    Notes
    -----
    Threshold: book/derivations.md, eq. (def-mp-threshold); shrinkage (Gavish and Donoho 2017):
    eq. (def-shrinkage).
    """
    w, shrink = _matrix(w), _validate.choice("shrink", shrink, (True, False))
    if variance is not None:
        _validate.positive("variance", variance)
    alpha, level = _validate.real("alpha", alpha), _validate.choice("level", level, tuple(TW1_QUANTILES))
    flip = w.shape[0] < w.shape[1]
    x = w.T if flip else w
    n, m = x.shape
    c = m / n
    u, s, vt = np.linalg.svd(x, full_matrices=False)
    s2 = bema(s, ratio=c, alpha=alpha) if variance is None else _validate.positive("variance", variance)
    thr = mp_threshold(s2, ratio=c, n=n, level=level)
    keep = s > thr
    vals = s[keep]
    if shrink and vals.size:
        theta = rect_debias(vals, ratio=c, variance=s2)
        _, ou, ov = rect_spike(np.nan_to_num(theta), ratio=c, variance=s2)
        vals = np.nan_to_num(theta * np.sqrt(ou * ov))
    est = (u[:, keep] * vals) @ vt[keep]
    return {"estimate": est.T if flip else est, "rank": int(keep.sum()), "variance": s2,
            "threshold": thr, "singular_values": s[keep]}


def truncate(w, rank):
    """Best rank-``rank`` approximation of ``w`` (SVD truncation)."""
    w, rank = _matrix(w), _validate.integer("rank", rank, low=0)
    u, s, vt = np.linalg.svd(w, full_matrices=False)
    return (u[:, :rank] * s[:rank]) @ vt[:rank]


def spike_count(w, variance, *, level=0.95):
    """Number of singular values of ``w`` above :func:`mp_threshold` (larger dimension as ``N``)."""
    w, variance = _matrix(w), _validate.positive("variance", variance)
    level = _validate.choice("level", level, tuple(TW1_QUANTILES))
    n, m = max(w.shape), min(w.shape)
    s = np.linalg.svd(w, compute_uv=False)
    return int(np.sum(s > mp_threshold(variance, ratio=m / n, n=n, level=level)))
