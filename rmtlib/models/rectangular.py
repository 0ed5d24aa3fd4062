"""The rectangular information-plus-noise model of eq. (1.1) with a full-rank ``S``.

Model (Afanasiev, Berlyand & Kiyashko, arXiv:2507.12182, eq. (1.1)): ``W = R/sqrt(N) + S``, ``N x M``
with ``M <= N`` and ``c = M/N``; ``R`` has i.i.d. entries of zero mean and variance ``sigma^2``
(``variance=``); ``S`` is deterministic and ``H`` is the limiting law of the eigenvalues of ``S^T S``
(the squared singular values of ``S``).

Theory (standard results derived for this book, not read in the paper; book/derivations.md,
eqs. (rect-subordination) to (rect-outlier-overlap)): the law of the eigenvalues of ``W^T W`` solves
the Dozier-Silverstein equation (Dozier & Silverstein 2007), written as a subordination
``G(z) = alpha G_H(omega(z))``, ``alpha = 1 - sigma^2 c G``, ``omega = alpha^2 z - sigma^2 (1-c) alpha``
(Capitaine 2014); an eigenvalue ``theta`` of ``S^T S`` outside ``supp H`` whose image under the inverse
map ``z(theta)`` is increasing makes an outlier of ``W^T W`` at ``z(theta)``, with squared overlap
``alpha(theta) z'(theta)`` between the right singular vectors of ``W`` and ``S``. ``H = delta_0`` gives
Marchenko-Pastur and the rank-one formulas of Benaych-Georges & Nadakuditi (2012).
"""

from __future__ import annotations

import math

import numpy as np

from rmtlib import entries as _entries, free
from rmtlib._numerics import rectangular as _kernel, series as _series, validate as _validate
from rmtlib.models._real_axis import hull, outside, real_transforms
from rmtlib.spectral_law import SpectralLaw

__all__ = ["InformationPlusNoise", "inverse_map", "rect_fullrank_law", "rect_fullrank_outliers",
           "sample_information_plus_noise"]

MOMENT_ORDER_MAX = 60


def _hs(hs):
    hs = _validate.instance("hs", hs, SpectralLaw)
    low = hull(hs)[0]
    if low < -1e-12 * max(1.0, abs(hull(hs)[1])):
        raise ValueError(f"hs must be supported on [0, inf) (eigenvalues of S^T S); its support starts at {low:g}")
    return hs


def _params(ratio, variance):
    c = _validate.real("ratio", ratio, low=0.0, high=1.0, low_open=True)
    return c, _validate.positive("variance", variance)


def _reciprocal(f):
    """1 / f for a power series with f[0] != 0 (truncated to the length of f)."""
    out = np.zeros(f.size)
    out[0] = 1.0 / f[0]
    for k in range(1, f.size):
        out[k] = -np.dot(f[1 : k + 1], out[k - 1 :: -1][:k]) / f[0]
    return out


class InformationPlusNoise(free._FreeConvolution):
    """Law of the eigenvalues of ``W^T W`` for ``W = R/sqrt(N) + S`` (build it with `rect_fullrank_law`).

    The support scan, the CDF tables and the moment quadrature are those of the free convolutions
    (`rmtlib.free`); only the solver differs.
    """

    multiplicative = False

    def __init__(self, hs, ratio, variance):
        self.hs, self.ratio, self.variance = hs, float(ratio), float(variance)
        self.factors = (hs,)
        self._arrays = free._kernel_arrays([hs])
        self._a, self._b = self.variance * self.ratio, self.variance * (1.0 - self.ratio)
        lo, hi = hull(hs)
        noise_lo, noise_hi = math.sqrt(self.variance) * (1.0 - math.sqrt(self.ratio)), math.sqrt(self.variance) * (
            1.0 + math.sqrt(self.ratio))
        # singular values of W lie within [s_min(S) - ||R/sqrt N||, s_max(S) + ||R/sqrt N||] and above s_min(R/sqrt N) - ||S||
        low = max(0.0, math.sqrt(max(lo, 0.0)) - noise_hi, noise_lo - math.sqrt(hi))
        self._lo, self._hi = 0.98 * low**2, 1.02 * (math.sqrt(hi) + noise_hi) ** 2
        self._y_start = 10.0 * max(self._hi, 1e-3)

    def solve(self, x, y):
        """Cauchy transform at x + i y (y >= 0) and the solver status (0 ok, 1 approximate, 2 failed)."""
        x = np.ascontiguousarray(np.ravel(x), dtype=float)
        y = np.ascontiguousarray(np.broadcast_to(np.ravel(y), x.shape), dtype=float)
        start = max(self._y_start, 2.0 * float(np.max(y, initial=0.0)))
        return _kernel.solve(x, y, start, self._a, self._b, *self._arrays)

    def subordination(self, z):
        """``(alpha(z), omega(z))`` with ``G(z) = alpha G_H(omega)``; book/derivations.md, eq. (rect-subordination)."""
        g = self.stieltjes(z)
        alpha = 1.0 - self._a * g
        return alpha, alpha**2 * np.asarray(z, dtype=complex) - self._b * alpha

    def _atoms(self):
        return ()  # c <= 1 and sigma > 0: no atom (Dozier & Silverstein 2007)

    def _moment(self, k):
        """Exact moments from those of ``H``: the power series of eq. (rect-moments)."""
        if k > MOMENT_ORDER_MAX:
            return None
        order = k + 2
        h = np.array([self.hs.moment(j) for j in range(order)])
        m = np.zeros(order)
        m[0] = 1.0
        u = np.zeros(order)
        u[1] = 1.0
        for _ in range(order):
            alpha = -self._a * np.concatenate([[0.0], m[:-1]])
            alpha[0] += 1.0
            shifted = alpha - self._b * u
            q = _reciprocal(_series.mul(alpha, shifted))
            m = _series.mul(_series.compose(h, _series.mul(u, q)), _reciprocal(shifted))
        return float(m[k])

    def __repr__(self):
        return f"InformationPlusNoise({self.hs!r}, ratio={self.ratio!r}, variance={self.variance!r})"


def rect_fullrank_law(hs, *, ratio, variance=1.0):
    """Limiting law of the eigenvalues of ``W^T W`` (``M x M``), ``W = R/sqrt(N) + S`` of size ``N x M``.

    Parameters
    ----------
    hs : SpectralLaw
        Limiting law of the eigenvalues of ``S^T S`` (on ``[0, inf)``; atoms, continuous or empirical).
    ratio : float
        ``c = M/N`` in ``(0, 1]``.
    variance : float, default 1
        ``sigma^2``, the variance of the entries of ``R``.

    Returns
    -------
    SpectralLaw
        An ``InformationPlusNoise`` law (no atoms; ``subordination(z)`` gives ``alpha`` and ``omega``);
        ``hs = PointMasses([0])`` gives ``MarchenkoPastur(ratio, variance)``.

    Notes
    -----
    Dozier and Silverstein (2007), in the ``G`` convention:
    ``G(z) = ∫ dH(t) / ((1 - sigma^2 c G) z - t/(1 - sigma^2 c G) - sigma^2 (1 - c))``, solved as the
    subordination of book/derivations.md, eq. (rect-subordination), by Newton's method continued from
    far above the real axis (numba kernel). Moments: eq. (rect-moments).
    """
    c, s2 = _params(ratio, variance)
    return InformationPlusNoise(_hs(hs), c, s2)


def inverse_map(thetas, hs, *, ratio, variance=1.0):
    """The inverse subordination map at real points outside ``supp H`` and its slope factor.

    Parameters
    ----------
    thetas : array_like of float
        Real points outside the support of ``hs``.
    hs, ratio, variance
        As in :func:`rect_fullrank_law`.

    Returns
    -------
    z, alpha, slope : ndarray
        ``z(theta) = theta/alpha^2 + sigma^2 (1-c)/alpha`` with ``alpha = 1/(1 + sigma^2 c G_H(theta))``, and
        ``alpha z'(theta) = 1/alpha - sigma^2 c J (2 theta + sigma^2 (1-c) alpha)``, ``J = ∫ dH/(theta-t)^2``.

    Notes
    -----
    book/derivations.md, eqs. (rect-inverse) and (rect-outlier-overlap).
    """
    c, s2 = _params(ratio, variance)
    th = np.atleast_1d(_validate.real_array("thetas", thetas, ndim=None)).ravel()
    g, j = real_transforms(_hs(hs), th)
    a, b = s2 * c, s2 * (1.0 - c)
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = 1.0 / (1.0 + a * g)
        z = th / alpha**2 + b / alpha
        slope = 1.0 / alpha - a * j * (2.0 * th + b * alpha)
    return z, alpha, slope


def rect_fullrank_outliers(spikes, hs, *, ratio, variance=1.0):
    """Outlier eigenvalues of ``W^T W`` and right-singular-vector overlaps for spikes of ``S^T S``.

    Parameters
    ----------
    spikes : array_like of float
        Eigenvalues of ``S^T S`` outside ``supp hs`` (squared singular values of ``S``, each with its own
        right singular vector ``v``).
    hs, ratio, variance
        As in :func:`rect_fullrank_law`.

    Returns
    -------
    positions, overlaps : ndarray
        The outlier eigenvalue ``z(theta)`` of ``W^T W`` (its square root is the singular value of ``W``)
        and the squared overlap ``|<v_W, v>|^2 = alpha(theta) z'(theta)``; NaN where ``theta`` lies in
        ``supp hs`` or makes no outlier (``alpha <= 0`` or ``z'(theta) <= 0``).

    Notes
    -----
    book/derivations.md, eqs. (rect-outlier-position) and (rect-outlier-overlap) (from the deterministic
    equivalent ``(z - W^T W)^{-1} ~ alpha (omega(z) - S^T S)^{-1}``; Capitaine 2014 for the positions).
    ``hs = delta_0``, ``theta = sigma^2 t^2``: ``sigma^2 (1+t^2)(c+t^2)/t^2`` and
    ``1 - c(1+t^2)/(t^2(t^2+c))`` (Benaych-Georges & Nadakuditi 2012; :func:`rmtlib.models.spiked.rect_spike`).
    """
    c, s2 = _params(ratio, variance)
    hs = _hs(hs)
    th = np.atleast_1d(_validate.real_array("spikes", spikes, ndim=None)).ravel()
    if np.any(th < 0):
        raise ValueError(f"spikes must be >= 0 (eigenvalues of S^T S), got {th.min():g}")
    pos, ov = np.full(th.shape, np.nan), np.full(th.shape, np.nan)
    ok = outside(hs, th)
    if ok.any():
        z, alpha, slope = inverse_map(th[ok], hs, ratio=c, variance=s2)
        good = (alpha > 0) & (slope > 0) & (z > 0)
        pos[ok] = np.where(good, z, np.nan)
        ov[ok] = np.where(good, slope, np.nan)
    return pos, ov


def sample_information_plus_noise(n, s_singular, *, variance=1.0, entries="gaussian", rng, **params):
    """``W = R/sqrt(n) + S`` with ``S = [diag(s_singular); 0]`` (``n x m``, ``m = len(s_singular)``).

    Parameters
    ----------
    n : int
        Number of rows, ``n >= m``.
    s_singular : array_like of float
        Singular values of ``S``; the right singular vector of ``s_singular[i]`` is ``e_i``.
    variance, entries, rng, **params
        As in :func:`rmtlib.models.spiked.sample_rectangular`.

    Returns
    -------
    ndarray, shape (n, m)

    Notes
    -----
    For Gaussian ``R`` the law of the singular values of ``W`` does not depend on the singular vectors of ``S``
    (bi-orthogonal invariance), so a diagonal ``S`` loses no generality there.
    """
    s = np.atleast_1d(_validate.real_array("s_singular", s_singular, ndim=None)).ravel()
    n, s2 = _validate.dimension("n", n, low=max(1, s.size)), _validate.positive("variance", variance)
    gen = _validate.as_generator(rng)
    w = _entries.sample(entries, (n, s.size), rng=gen, **params) * math.sqrt(s2 / n)
    w[np.arange(s.size), np.arange(s.size)] += s
    return w
