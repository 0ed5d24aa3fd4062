"""Product ensembles: the Wishart chain and the Wigner x Wishart sandwich.

Normalisations (spec ``granziol.md`` section 4, all standard random-matrix theory, not read in
Granziol's paper):

* **Wishart chain.** ``X_k`` is ``N_{k-1} x N_k`` with i.i.d. unit-variance entries, ``k = 1..K``,
  and ``Y = (X_1...X_K)(X_1...X_K)^T / (N_1...N_K)`` (``N_0 x N_0``). With ``c_k = N_0/N_k`` its
  limiting law is the free multiplicative convolution ``MP(c_1) x ... x MP(c_K)``; the moment
  generating function ``psi = zG - 1`` solves ``z psi = (1 + psi) prod_k (1 + c_k psi)``
  (Burda, Jarosz, Livan, Nowak and Swiech 2010).
* **Sandwich.** ``H = A^{1/2} W A^{1/2}`` with ``W`` a GOE of variance ``sigma^2`` (semicircle on
  ``[-2 sigma, 2 sigma]``) and ``A = X X^T / M``, ``X`` of size ``N x M``, ``c = N/M``. We derive
  from the quadratic vector equation of the spec that ``v = sqrt(psi)`` solves the quartic
  ``c v^4 + (1 + c) v^2 - (z / sigma) v + 1 = 0`` with ``G = (1 + v^2)/z``.

Both polynomial laws are evaluated by following the physical root from large ``|z|`` (where the
root has its known asymptotics) down to the target point, never by a per-point rule: for chains of three
or more factors the "most negative imaginary part" rule picks a spurious root.

The percolated atoms of the DESIGN table (:func:`percolated_wigner_atom`,
:func:`percolated_wishart_atom`) live in :mod:`rmtlib.percolation` and are re-exported here.
"""

from __future__ import annotations

import math
from functools import reduce

import numba
import numpy as np

from rmtlib import entries as _entries, free
from rmtlib import laws as _laws
from rmtlib.models.percolation import percolated_wigner_atom, percolated_wishart_atom

__all__ = [
    "ChainLaw",
    "SandwichLaw",
    "chain_critical_points",
    "chain_edges",
    "chain_moments",
    "chain_polynomial",
    "chain_ratios",
    "chain_stieltjes",
    "chain_stieltjes_per_point",
    "fuss_catalan_k2_density",
    "percolated_wigner_atom",
    "percolated_wishart_atom",
    "sample_free_wishart_product",
    "sample_goe",
    "sample_sandwich",
    "sample_wishart_chain",
    "sandwich_law",
    "sandwich_stieltjes",
    "wishart_chain_law",
    "zero_atom",
]


# ----------------------------------------------------------------------------- parameters
def _validate_dims(dims):
    dims = tuple(dims)
    if len(dims) < 2:
        raise ValueError(f"dims must hold at least two sizes (N_0, N_1, ...), got {dims!r}")
    for d in dims:
        if not (isinstance(d, (int, np.integer)) and d >= 1):
            raise ValueError(f"dims must be positive integers, got {dims!r}")
    return tuple(int(d) for d in dims)


def _validate_ratios(ratios):
    ratios = np.atleast_1d(np.asarray(ratios, dtype=float))
    if ratios.ndim != 1 or ratios.size == 0 or not np.all(np.isfinite(ratios)) or np.any(ratios <= 0):
        raise ValueError(f"ratios must be a non-empty list of positive numbers, got {ratios!r}")
    return ratios


def chain_ratios(dims):
    """Return ``c_k = N_0 / N_k`` for ``dims = (N_0, ..., N_K)``."""
    dims = _validate_dims(dims)
    return np.array([dims[0] / n for n in dims[1:]])


def zero_atom(dims):
    """Exact mass of the atom at 0 of a Wishart chain.

    Parameters
    ----------
    dims : sequence of int
        ``(N_0, N_1, ..., N_K)``, the factor ``X_k`` being ``N_{k-1} x N_k``.

    Returns
    -------
    float
        ``1 - min(1, min_k N_k / N_0)``.

    Notes
    -----
    The rank of a product is at most the smallest inner dimension; for Gaussian (indeed any
    absolutely continuous) factors equality holds almost surely at every size, so the formula is
    exact at finite ``N`` as well as in the limit (standard, spec section 4.1).
    """
    dims = _validate_dims(dims)
    return 1.0 - min(1.0, min(dims[1:]) / dims[0])


# ----------------------------------------------------------------------------- polynomial oracle
def chain_polynomial(ratios):
    """Coefficients (highest degree first) of ``P(t) = (1 + t) prod_k (1 + c_k t)``."""
    ratios = _validate_ratios(ratios)
    return reduce(np.polymul, [[c, 1.0] for c in ratios], np.array([1.0, 1.0]))


def chain_moments(ratios, kmax):
    """Moments ``m_1..m_kmax`` of the Wishart-chain law, exactly.

    Notes
    -----
    From ``psi = w P(psi)`` with ``w = 1/z``, Lagrange inversion gives
    ``m_n = [t^{n-1}] P(t)^n / n`` (derived). For ``c_k = 1`` this is the Fuss-Catalan number
    ``binom((K+1)n, n) / (Kn + 1)``.
    """
    p = chain_polynomial(ratios)[::-1]          # lowest degree first
    out, power = [], np.array([1.0])
    for n in range(1, int(kmax) + 1):
        power = np.convolve(power, p)
        out.append(power[n - 1] / n)
    return np.array(out)


@numba.njit(cache=True)
def _track_newton(a, b, zs, steps, t0):
    """Newton continuation of one root of ``A(t) - z B(t)`` along ``z + i h`` (numba kernel).

    ``a`` and ``b`` are coefficient arrays of equal length, highest degree first.

    Per point the ladder ``h`` runs geometrically from ``1e4 max(1, |z|)`` down to
    ``1e-16 min(1, |z|)`` in ``steps`` rungs, then to ``h = 0``.
    """
    deg = a.size - 1
    out = np.empty(zs.size, dtype=np.complex128)
    for i in range(zs.size):
        t = t0[i]
        size = abs(zs[i])
        top = 1e4 * max(1.0, size)
        ratio = (1e-16 * min(1.0, size) / top) ** (1.0 / (steps - 1))
        h = top
        for rung in range(steps + 1):
            z = zs[i] + 1j * (h if rung < steps else 0.0)
            h *= ratio
            for _ in range(30):
                f = a[0] - z * b[0]
                fp = 0j
                for k in range(1, deg + 1):
                    fp = fp * t + f
                    f = f * t + (a[k] - z * b[k])
                if fp == 0:
                    break
                step = f / fp
                t -= step
                if abs(step) <= 1e-15 * (1.0 + abs(t)):
                    break
        out[i] = t
    return out


def _continued_root(a_poly, b_poly, z, t_inf, *, steps=300, method="newton"):
    """Root of ``A(t) = z B(t)`` on the branch that tends to ``t_inf(z)`` at large ``|z|``.

    The path runs from ``z + 1e4 i max(1, |z|)`` down to ``z`` on a geometric ladder of
    imaginary parts (ending at ``1e-16 min(1, |z|)``, then 0). ``method="newton"`` follows the
    root by Newton steps from the previous rung (numba, fast); ``method="eig"`` computes all roots
    at each rung and keeps the one nearest the previous value (slow reference for the tests).
    """
    z = np.asarray(z, dtype=complex)
    shape, zf = z.shape, z.ravel()
    a = np.asarray(a_poly, dtype=float)
    b = np.concatenate([np.zeros(a.size - len(b_poly)), np.asarray(b_poly, dtype=float)])
    top = 1e4 * np.maximum(1.0, np.abs(zf))
    t = np.asarray(t_inf(zf + 1j * top), dtype=complex)
    if method == "newton":
        return _track_newton(a, b, zf, int(steps), t).reshape(shape)
    bottom = 1e-16 * np.minimum(1.0, np.abs(zf))
    rungs = np.linspace(0.0, 1.0, steps)[:, None]
    heights = np.vstack([top * (bottom / top) ** rungs, np.zeros((1, zf.size))])
    for h in heights:
        coeffs = a[None, :] - (zf + 1j * h)[:, None] * b[None, :]
        roots = np.array([np.roots(row) for row in coeffs])
        idx = np.argmin(np.abs(roots - t[:, None]), axis=1)
        t = roots[np.arange(zf.size), idx]
    return t.reshape(shape)


def chain_stieltjes(z, ratios, *, steps=300, method="newton"):
    """Stieltjes transform ``G(z)`` of the Wishart-chain law from the polynomial, by continuation.

    Parameters
    ----------
    z : array_like of complex
        Points (``Im z >= 0``; on the real axis the limit ``x + i0`` is returned).
    ratios : sequence of float
        ``c_k = N_0 / N_k``.
    steps : int
        Rungs of the continuation ladder.

    Returns
    -------
    ndarray of complex
        ``G = (1 + psi)/z`` with ``z psi = (1 + psi) prod (1 + c_k psi)`` (spec section 4.1),
        solved for ``w = 1 + psi`` (see ``_chain_w_polynomial``).
    """
    z = np.asarray(z, dtype=complex)
    w = _continued_root(_chain_w_polynomial(ratios), [1.0, -1.0], z, lambda u: 1.0 + 1.0 / u,
                        steps=steps, method=method)
    return w / z


def _chain_w_polynomial(ratios):
    """``A(w) = w prod_k (c_k w + 1 - c_k)``: the chain equation in ``w = 1 + psi = zG``.

    In ``w`` the equation ``A(w) = z (w - 1)`` keeps full relative accuracy near the hard edge
    ``z -> 0`` of square chains, where ``psi -> -1`` and ``1 + psi`` would cancel.
    """
    ratios = _validate_ratios(ratios)
    return reduce(np.polymul, [[c, 1.0 - c] for c in ratios], np.array([1.0, 0.0]))


def chain_stieltjes_per_point(x, ratios, *, eta=1e-10):
    """The tempting per-point rule (the root with the most negative ``Im G``), for comparison only.

    Right for one or two factors; for chains of three or more unequal factors it selects a
    spurious root on part of the axis (spec section 4.1), which is why :func:`chain_stieltjes`
    follows the root by continuation instead.
    """
    p = chain_polynomial(ratios).astype(complex)
    out = []
    for xv in np.atleast_1d(np.asarray(x, dtype=float)):
        q = p.copy()
        q[-2] -= xv + 1j * eta
        g = (1 + np.roots(q)) / (xv + 1j * eta)
        out.append(g[np.argmin(g.imag)])
    return np.array(out)


def chain_critical_points(ratios):
    """Real critical points ``psi`` of ``z(psi) = P(psi)/psi`` and their values ``z``.

    Notes
    -----
    ``z'(psi) = 0`` iff ``psi P'(psi) - P(psi) = 0`` (spec section 4.1).
    """
    p = chain_polynomial(ratios)
    q = np.polysub(np.polymul([1.0, 0.0], np.polyder(p)), p)
    r = np.roots(q)
    r = np.sort(r[np.abs(r.imag) < 1e-9 * (1 + np.abs(r.real))].real)
    return r, np.polyval(p, r) / r


def chain_edges(ratios):
    """Edges ``(lower, upper)`` of the continuous part of the Wishart-chain law.

    Notes
    -----
    The upper edge is ``min_{psi>0} z(psi)``; the lower edge is the largest positive critical value
    reached on ``psi < 0`` below it, kept only if the density (by continuation) vanishes below it
    and not above; otherwise 0 (hard edge). Spec section 4.1.
    """
    ratios = _validate_ratios(ratios)
    psi, val = chain_critical_points(ratios)
    upper = float(val[psi > 0].min())
    cands = sorted(v for s, v in zip(psi, val) if s < 0 and 1e-12 * upper < v < upper)
    for v in reversed(cands):
        if _vanishes_below(lambda z: chain_stieltjes(z, ratios), v, upper):
            return (float(v), upper)
    return (0.0, upper)


def fuss_catalan_k2_density(x):
    """Penson-Zyczkowski closed form of the square two-factor chain density on ``(0, 27/4]``.

    Notes
    -----
    ``rho(x) = 2^{1/3} sqrt(3) / (12 pi) * (2^{1/3} r^{2/3} - 6 x^{1/3}) / (x^{2/3} r^{1/3})`` with
    ``r = 27 + 3 sqrt(81 - 12 x)`` (Penson and Zyczkowski 2011; spec section 4.1).
    """
    x = np.asarray(x, dtype=float)
    inside = (x > 0) & (x <= 6.75)
    xs = np.where(inside, x, 1.0)
    r = 27.0 + 3.0 * np.sqrt(81.0 - 12.0 * xs)
    c = 2.0 ** (1 / 3)
    rho = c * math.sqrt(3) / (12 * math.pi) * (c * r ** (2 / 3) - 6 * np.cbrt(xs)) / (
        xs ** (2 / 3) * np.cbrt(r))
    return np.where(inside, rho, 0.0)


# ----------------------------------------------------------------------------- laws
def wishart_chain_law(dims):
    """Limiting law of the Wishart chain ``Y = (X_1...X_K)(X_1...X_K)^T / (N_1...N_K)``.

    Parameters
    ----------
    dims : sequence of int
        ``(N_0, ..., N_K)``; only the ratios ``c_k = N_0/N_k`` matter.

    Returns
    -------
    SpectralLaw
        ``free.multiply(MarchenkoPastur(c_1), ..., MarchenkoPastur(c_K))`` (a single factor is the
        Marchenko-Pastur law itself). Its atom at 0 has mass :func:`zero_atom`.

    Notes
    -----
    The S-transform of ``MP(c)`` is ``1/(1 + c w)``; multiplying them gives the polynomial
    ``z psi = (1 + psi) prod (1 + c_k psi)`` (spec section 4.1), which :class:`ChainLaw` evaluates
    independently and which the tests use as the oracle for ``free.multiply``.
    """
    ratios = chain_ratios(dims)
    factors = [_laws.MarchenkoPastur(float(c)) for c in ratios]
    if len(factors) == 1:
        return factors[0]
    return free.multiply(*factors)


class ChainLaw(_laws.SpectralLaw):
    """Wishart-chain law from the polynomial oracle (independent of :mod:`rmtlib.free`).

    Parameters
    ----------
    ratios : sequence of float
        ``c_k = N_0 / N_k``, one per factor.
    """

    def __init__(self, ratios):
        self.ratios = _validate_ratios(ratios)
        super().__init__()

    def _stieltjes(self, z):
        return chain_stieltjes(z, self.ratios)

    def _atoms(self):
        w0 = 1.0 - min(1.0, float(np.min(1.0 / self.ratios)))
        return ((0.0, w0),) if w0 > 0 else ()

    def _support(self):
        return [chain_edges(self.ratios)]

    def _moment(self, k):
        return float(chain_moments(self.ratios, k)[-1]) if k >= 1 else 1.0


def _vanishes_below(stieltjes, low, upper):
    """True if the density is 0 just below ``low`` and positive just above (``low`` is an edge)."""
    x = np.array([0.5 * low, low + 1e-3 * (upper - low)], dtype=complex)
    rho = -np.imag(stieltjes(x)) / np.pi
    return bool(rho[0] < 1e-9 and rho[1] > 1e-9)


def sandwich_stieltjes(z, ratio, *, variance=1.0, steps=300, method="newton"):
    """Stieltjes transform of ``A^{1/2} W A^{1/2}``, ``W ~ SC(variance)``, ``A ~ MP(ratio)``.

    Notes
    -----
    We derive from the spec's quadratic vector equation (section 4.2(a)), with ``A`` having the
    law ``MP(c)``, that ``v = sigma T`` solves ``c v^4 + (1 + c) v^2 + 1 = (z/sigma) v`` and
    ``G = (1 + v^2)/z``; the branch has ``v ~ sigma/z`` at infinity.
    """
    c = float(ratio)
    sigma = math.sqrt(float(variance))
    v = _continued_root([c, 0.0, 1.0 + c, 0.0, 1.0], [1.0 / sigma, 0.0], np.asarray(z, dtype=complex),
                        lambda u: sigma / u, steps=steps, method=method)
    return (1.0 + v * v) / np.asarray(z, dtype=complex)


class SandwichLaw(_laws.SpectralLaw):
    """Law of ``A^{1/2} W A^{1/2}`` (Wigner x Wishart sandwich), see :func:`sandwich_stieltjes`.

    Parameters
    ----------
    ratio : float
        ``c = N/M`` of ``A = X X^T / M``.
    variance : float
        ``sigma^2`` of the Wigner factor.
    """

    def __init__(self, ratio, *, variance=1.0):
        if not (np.isfinite(ratio) and ratio > 0):
            raise ValueError(f"ratio must be a positive number, got {ratio!r}")
        if not (np.isfinite(variance) and variance > 0):
            raise ValueError(f"variance must be a positive number, got {variance!r}")
        self.ratio, self.variance = float(ratio), float(variance)
        super().__init__()

    def _stieltjes(self, z):
        return sandwich_stieltjes(z, self.ratio, variance=self.variance)

    def _atoms(self):
        w0 = max(0.0, 1.0 - 1.0 / self.ratio)
        return ((0.0, w0),) if w0 > 0 else ()

    def _support(self):
        c, s = self.ratio, math.sqrt(self.variance)
        q = np.polysub(np.polymul([1.0, 0.0], np.polyder([c, 0, 1 + c, 0, 1])), [c, 0, 1 + c, 0, 1])
        r = np.roots(q)
        r = r[np.abs(r.imag) < 1e-9].real
        vals = np.sort(np.abs(s * np.polyval([c, 0, 1 + c, 0, 1], r) / r))
        top = float(vals[-1])
        gaps = [v for v in vals[vals < top] if _vanishes_below(self._stieltjes, v, top)]
        if gaps:
            g = float(max(gaps))
            return [(-top, -g), (g, top)]
        return [(-top, top)]

    def _moment(self, k):
        c, s2 = self.ratio, self.variance
        table = {1: 0.0, 2: s2, 3: 0.0, 4: 2 * s2 ** 2 * (1 + c)}
        if k in table:
            return table[k]
        return super()._moment(k)


def sandwich_law(ratio, *, variance=1.0):
    """Return :class:`SandwichLaw` ``(ratio, variance=variance)``: the law of ``SC x MP(ratio)``."""
    return SandwichLaw(ratio, variance=variance)


# ----------------------------------------------------------------------------- samplers
def _rng(rng):
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def _squared_singular_values(m, n_rows):
    """Squared singular values of ``m`` padded with exact zeros to ``n_rows`` values."""
    import scipy.linalg
    s = scipy.linalg.svdvals(m, check_finite=False)[:n_rows] ** 2
    return np.sort(np.concatenate([s, np.zeros(n_rows - s.size)]))


def sample_wishart_chain(dims, *, rng, entries="gaussian", **params):
    """Eigenvalues of one Wishart chain ``Y = (X_1...X_K)(X_1...X_K)^T / (N_1...N_K)``.

    Parameters
    ----------
    dims : sequence of int
        ``(N_0, ..., N_K)``.
    rng : numpy.random.Generator or int
        Random source.
    entries : str
        Entry law of :func:`rmtlib.entries.sample` (unit variance).

    Returns
    -------
    ndarray
        The ``N_0`` eigenvalues, sorted, computed from the singular values of the product (so the
        structural zeros come out at roundoff level, not as small negative numbers).
    """
    dims = _validate_dims(dims)
    gen = _rng(rng)
    prod = None
    for k in range(1, len(dims)):
        x = _entries.sample(entries, (dims[k - 1], dims[k]), rng=gen, **params) / math.sqrt(dims[k])
        prod = x if prod is None else prod @ x
    return _squared_singular_values(prod, dims[0])


def sample_free_wishart_product(n, m1, m2, *, rng):
    """Eigenvalues of ``W_1^{1/2} W_2 W_1^{1/2}`` for independent ``W_k = G_k G_k^T``, ``G_k`` ``n x m_k``.

    Notes
    -----
    With ``G_k`` of variance ``1/m_k``, the nonzero eigenvalues of ``W_1 W_2`` are the squared
    singular values of ``G_1^T G_2``; the rest of the ``n`` values are exact zeros. The limit law
    is ``MP(n/m1) x MP(n/m2)``, the same as the chain with ``c = (n/m1, n/m2)`` (spec 4.1).
    """
    if min(n, m1, m2) < 1:
        raise ValueError(f"n, m1, m2 must be positive integers, got {(n, m1, m2)!r}")
    gen = _rng(rng)
    g1 = gen.standard_normal((n, m1)) / math.sqrt(m1)
    g2 = gen.standard_normal((n, m2)) / math.sqrt(m2)
    return _squared_singular_values(g1.T @ g2, n)


def sample_goe(n, *, variance=1.0, rng):
    """GOE ``sigma (A + A^T)/sqrt(2 n)``: off-diagonal variance ``sigma^2/n``, diagonal ``2 sigma^2/n``."""
    gen = _rng(rng)
    a = gen.standard_normal((n, n))
    return math.sqrt(variance) * (a + a.T) / math.sqrt(2 * n)


def sample_sandwich(n, m, *, variance=1.0, rng):
    """Eigenvalues of ``A^{1/2} W A^{1/2}``, ``A = X X^T/m`` (``X`` Gaussian ``n x m``), ``W`` GOE.

    Returns
    -------
    ndarray
        The ``n`` eigenvalues, sorted; when ``m < n`` the ``n - m`` structural zeros are exact.

    Notes
    -----
    For ``m >= n`` we use ``A = L L^T`` (Cholesky) and ``eig(L^T W L)``; for ``m < n``,
    ``eig(B^T W B)`` with ``B = X / sqrt(m)``, which are the nonzero eigenvalues (similarity).
    """
    if n < 1 or m < 1:
        raise ValueError(f"n and m must be positive integers, got {n!r}, {m!r}")
    gen = _rng(rng)
    w = sample_goe(n, variance=variance, rng=gen)
    b = gen.standard_normal((n, m)) / math.sqrt(m)
    if m >= n:
        lower = np.linalg.cholesky(b @ b.T)
        ev = np.linalg.eigvalsh(lower.T @ w @ lower)
    else:
        ev = np.concatenate([np.linalg.eigvalsh(b.T @ w @ b), np.zeros(n - m)])
    return np.sort(ev)
