"""Product ensembles: the Wishart chain and the Wigner x Wishart sandwich.

* **Wishart chain.** ``X_k`` is ``N_{k-1} x N_k`` with i.i.d. unit-variance entries, ``k = 1..K``,
  and ``Y = (X_1...X_K)(X_1...X_K)^T / (N_1...N_K)`` (``N_0 x N_0``). With ``c_k = N_0/N_k`` its
  limiting law is ``MP(c_1) x ... x MP(c_K)``; ``psi = zG - 1`` solves
  ``z psi = (1 + psi) prod_k (1 + c_k psi)`` (Burda, Jarosz, Livan, Nowak and Swiech 2010;
  book/derivations.md, eq. (alg-chain)).
* **Sandwich.** ``H = A^{1/2} W A^{1/2}`` with ``W`` a GOE of variance ``sigma^2`` and
  ``A = X X^T / M``, ``X`` of size ``N x M``, ``c = N/M``: ``v`` solves
  ``c v^4 + (1 + c) v^2 - (z / sigma) v + 1 = 0`` and ``G = (1 + v^2)/z``
  (book/derivations.md, eq. (alg-sandwich)).

Both are laws on the root tracker of ``rmtlib._numerics.algebraic``. The percolated atoms
(:func:`percolated_wigner_atom`, :func:`percolated_wishart_atom`) of
:mod:`rmtlib.models.percolation` are re-exported here.
"""

import math
from functools import reduce

import numpy as np
import scipy.linalg

from rmtlib import entries as _entries, free, laws as _laws
from rmtlib._numerics import algebraic as _alg, validate as _validate
from rmtlib.models.percolation import percolated_wigner_atom, percolated_wishart_atom

__all__ = ["ChainLaw", "SandwichLaw", "chain_branch", "chain_critical_points", "chain_edges", "chain_moments",
           "chain_polynomial", "chain_ratios", "chain_stieltjes", "chain_stieltjes_per_point",
           "fuss_catalan_k2_density", "percolated_wigner_atom", "percolated_wishart_atom",
           "sample_free_wishart_product", "sample_goe", "sample_sandwich", "sample_wishart_chain",
           "sandwich_branch", "sandwich_law", "sandwich_stieltjes", "wishart_chain_law", "zero_atom"]
_METHODS = ("newton", "guarded", "eig")  # of rmtlib._numerics.algebraic.follow


def _validate_dims(dims):
    if not isinstance(dims, (tuple, list, np.ndarray)) or len(dims) < 2:
        raise ValueError(f"dims must hold at least two sizes (N_0, N_1, ...), got {dims!r}")
    return tuple(_validate.dimension("dims", d) for d in dims)


def _validate_ratios(ratios):
    ratios = _validate.real_array("ratios", ratios, ndim=None).ravel()
    if ratios.size == 0 or np.any(ratios <= 0) or np.any(ratios > 1e12):  # beyond 1e12 the moments overflow
        raise ValueError(f"ratios must be a non-empty list of numbers in (0, 1e12], got {ratios!r}")
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
    exact at finite ``N`` as well as in the limit (book/derivations.md, eq. (alg-chain-atom)).
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
    Lagrange inversion of ``z psi = P(psi)`` (book/derivations.md, eq. (alg-lagrange)); for
    ``c_k = 1`` this is the Fuss-Catalan number ``binom((K+1)n, n) / (Kn + 1)``.
    """
    kmax = _validate.integer("kmax", kmax, low=1, high=10**4)
    return _alg.lagrange_moments(chain_polynomial(ratios), kmax)


def chain_branch(ratios):
    """The chain polynomial in ``w = 1 + psi = zG`` and its branch ``w ~ 1 + 1/z`` at infinity.

    Notes
    -----
    ``A(w) = z (w - 1)`` with ``A(w) = w prod_k (c_k w + 1 - c_k)`` (book/derivations.md,
    eq. (alg-chain-w)). In ``w`` the equation keeps full relative accuracy near the hard edge
    ``z -> 0`` of square chains, where ``psi -> -1`` and ``1 + psi`` would cancel.
    """
    ratios = _validate_ratios(ratios)
    a = reduce(np.polymul, [[c, 1.0 - c] for c in ratios], np.array([1.0, 0.0]))
    return _alg.AlgebraicBranch.linear_in_z(a, [1.0, -1.0], alpha=1.0, beta=1.0)


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
    method : {"newton", "eig"}
        Fast path or companion-matrix reference of ``rmtlib._numerics.algebraic.follow``.

    Returns
    -------
    ndarray of complex
        ``G = w / z`` with ``w`` the physical root of :func:`chain_branch`
        (book/derivations.md, eq. (alg-chain)).
    """
    z, branch = _validate.complex_array("z", z), chain_branch(ratios)
    steps, method = _validate.integer("steps", steps, low=1, high=10**6), _validate.choice("method", method, _METHODS)
    return _alg.follow(branch, z, steps=steps, method=method) / z


def chain_stieltjes_per_point(x, ratios, *, eta=1e-10):
    """The tempting per-point rule (the root with the most negative ``Im G``), for comparison only.

    Right for one or two factors; for chains of three or more unequal factors it selects a
    spurious root on part of the axis, which is why :func:`chain_stieltjes` follows the root by
    continuation instead (book/derivations.md, eq. (alg-tracker)).
    """
    p = chain_polynomial(ratios).astype(complex)
    x, eta, out = _validate.real_array("x", x, ndim=None), _validate.positive("eta", eta), []
    for xv in np.atleast_1d(x):
        q = p.copy()
        q[-2] -= xv + 1j * eta
        g = (1 + np.roots(q)) / (xv + 1j * eta)
        out.append(g[np.argmin(g.imag)])
    return np.array(out)


def chain_critical_points(ratios):
    """Real critical points ``psi`` of ``z(psi) = P(psi)/psi`` and their values ``z``.

    Notes
    -----
    ``z'(psi) = 0`` iff ``psi P'(psi) - P(psi) = 0`` (book/derivations.md, eq. (alg-edges)).
    """
    return _alg.critical_points(chain_polynomial(_validate_ratios(ratios)), [1.0, 0.0])


def chain_edges(ratios):
    """Edges ``(lower, upper)`` of the continuous part of the Wishart-chain law.

    Notes
    -----
    The upper edge is ``min_{psi>0} z(psi)``; the lower edge is the largest positive critical value
    reached on ``psi < 0`` below it, kept only if the density (by continuation) vanishes below it
    and not above; otherwise 0 (hard edge). See book/derivations.md, eq. (alg-edges).
    """
    ratios = _validate_ratios(ratios)
    psi, val = chain_critical_points(ratios)
    upper = float(val[psi > 0].min())
    cands = sorted(v for s, v in zip(psi, val) if s < 0 and 1e-12 * upper < v < upper)
    for v in reversed(cands):
        if _alg.vanishes_below(lambda z: chain_stieltjes(z, ratios), v, upper):
            return (float(v), upper)
    return (0.0, upper)


def fuss_catalan_k2_density(x):
    """Penson-Zyczkowski closed form of the square two-factor chain density on ``(0, 27/4]``.

    Notes
    -----
    ``rho(x) = 2^{1/3} sqrt(3) / (12 pi) * (2^{1/3} r^{2/3} - 6 x^{1/3}) / (x^{2/3} r^{1/3})`` with
    ``r = 27 + 3 sqrt(81 - 12 x)`` (Penson and Zyczkowski 2011).
    """
    x = _validate.real_array("x", x, ndim=None)
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
    ``z psi = (1 + psi) prod (1 + c_k psi)`` (book/derivations.md, eq. (alg-chain)), which
    :class:`ChainLaw` evaluates independently (the tests' oracle for ``free.multiply``).
    """
    factors = [_laws.MarchenkoPastur(float(c)) for c in chain_ratios(dims)]
    return factors[0] if len(factors) == 1 else free.multiply(*factors)


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


def sandwich_branch(ratio, variance=1.0):
    """The sandwich quartic ``c v^4 + (1 + c) v^2 + 1 = (z / sigma) v`` and its branch ``v ~ sigma/z``."""
    c, sigma = _validate.positive("ratio", ratio), math.sqrt(_validate.positive("variance", variance))
    return _alg.AlgebraicBranch.linear_in_z([c, 0.0, 1.0 + c, 0.0, 1.0], [1.0 / sigma, 0.0],
                                            alpha=0.0, beta=sigma)


def sandwich_stieltjes(z, ratio, *, variance=1.0, steps=300, method="newton"):
    """Stieltjes transform of ``A^{1/2} W A^{1/2}``, ``W ~ SC(variance)``, ``A ~ MP(ratio)``.

    Parameters: ``z`` (``Im z >= 0``), ``ratio = c`` of ``A``, ``variance = sigma^2`` of ``W``;
    ``steps`` and ``method`` as in :func:`chain_stieltjes`. Returns ``G = (1 + v^2)/z`` with ``v``
    the physical root of :func:`sandwich_branch`, the quartic derived for this book from the
    quadratic vector equation of the sandwich (book/derivations.md, eq. (alg-sandwich)).
    """
    z, branch = _validate.complex_array("z", z), sandwich_branch(ratio, variance)
    steps, method = _validate.integer("steps", steps, low=1, high=10**6), _validate.choice("method", method, _METHODS)
    v = _alg.follow(branch, z, steps=steps, method=method)
    return (1.0 + v * v) / z


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
        self.ratio = _validate.positive("ratio", ratio)
        self.variance = _validate.positive("variance", variance)
        super().__init__()

    def _stieltjes(self, z):  # at z = 0 exactly and no atom there (c <= 1): the limit from above
        z = np.where(np.asarray(z) == 0, 1e-12j * math.sqrt(self.variance), z) if self.ratio <= 1 else z
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
        gaps = [v for v in vals[vals < top] if _alg.vanishes_below(self._stieltjes, v, top)]
        g = float(max(gaps)) if gaps else None
        return [(-top, -g), (g, top)] if gaps else [(-top, top)]

    def _moment(self, k):
        c, s2 = self.ratio, self.variance
        table = {1: 0.0, 2: s2, 3: 0.0, 4: 2 * s2 ** 2 * (1 + c)}
        return table[k] if k in table else super()._moment(k)


def sandwich_law(ratio, *, variance=1.0):
    """Return :class:`SandwichLaw` ``(ratio, variance=variance)``: the law of ``SC x MP(ratio)``."""
    return SandwichLaw(ratio, variance=variance)


# ----------------------------------------------------------------------------- samplers
def _squared_singular_values(m, n_rows):
    """Squared singular values of ``m`` padded with exact zeros to ``n_rows`` values."""
    s = scipy.linalg.svdvals(m, check_finite=False)[:n_rows] ** 2
    return np.sort(np.concatenate([s, np.zeros(n_rows - s.size)]))


def sample_wishart_chain(dims, *, rng, entries="gaussian", **params):
    """Eigenvalues of one Wishart chain ``Y = (X_1...X_K)(X_1...X_K)^T / (N_1...N_K)``.

    Parameters
    ----------
    dims : sequence of int
        ``(N_0, ..., N_K)``.
    rng : numpy.random.Generator or int
    entries : str
        Entry law of :func:`rmtlib.entries.sample` (unit variance).

    Returns
    -------
    ndarray
        The ``N_0`` eigenvalues, sorted, from the singular values of the product (structural zeros
        come out at roundoff level, not as small negative numbers).
    """
    dims, gen = _validate_dims(dims), _validate.as_generator(rng)
    _entries.resolve((entries, params), name="entries")
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
    is ``MP(n/m1) x MP(n/m2)``, the chain law with ``c = (n/m1, n/m2)`` (book/derivations.md,
    eq. (alg-chain)).
    """
    n, m1, m2 = (_validate.dimension(k, v) for k, v in (("n", n), ("m1", m1), ("m2", m2)))
    gen = _validate.as_generator(rng)
    g1 = gen.standard_normal((n, m1)) / math.sqrt(m1)
    g2 = gen.standard_normal((n, m2)) / math.sqrt(m2)
    return _squared_singular_values(g1.T @ g2, n)


def sample_goe(n, *, variance=1.0, rng):
    """GOE ``sigma (A + A^T)/sqrt(2 n)``: off-diagonal variance ``sigma^2/n``, diagonal ``2 sigma^2/n``."""
    n, variance = _validate.dimension("n", n), _validate.positive("variance", variance)
    a = _validate.as_generator(rng).standard_normal((n, n))
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
    n, m = _validate.dimension("n", n), _validate.dimension("m", m)
    gen = _validate.as_generator(rng)
    w = sample_goe(n, variance=variance, rng=gen)
    b = gen.standard_normal((n, m)) / math.sqrt(m)
    if m >= n:
        lower = np.linalg.cholesky(b @ b.T)
        ev = np.linalg.eigvalsh(lower.T @ w @ lower)
    else:
        ev = np.concatenate([np.linalg.eigvalsh(b.T @ w @ b), np.zeros(n - m)])
    return np.sort(ev)
