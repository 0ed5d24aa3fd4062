"""Percolated (sparse) Wigner and Wishart ensembles and their atom at 0.

Models (the standard percolated ensembles; Granziol's own percolation scaling was not read):

* **Sparse Wigner.** ``H_ij = H_ji = B_ij g_ij / sqrt(c)`` for ``i < j``, ``B_ij ~ Bernoulli(c/(N-1))``,
  ``g_ij ~ N(0, 1)`` (or +-1), zero diagonal. In the sparse regime (mean degree ``c`` fixed) an
  atom at 0 survives as ``N -> infinity``, with the Bauer-Golinelli mass; at fixed ``p`` (``c = pN``
  growing) the law tends to the semicircle with no atom.
* **Sparse Wishart.** ``X_ij = B_ij g_ij`` (``N x M``), ``B_ij ~ Bernoulli(p)``, ``Y = X X^T/(pM)``;
  row degree ``a = pM``, column degree ``b = pN``.

Atoms and the cavity recursion: book/derivations.md, eqs. (prod-bauer-golinelli), (prod-bipartite-atom)
and (prod-cavity).
"""

from __future__ import annotations

import math

import numba
import numpy as np
import scipy.linalg
import scipy.optimize
import scipy.special

from rmtlib._numerics import validate as _validate

__all__ = [
    "percolated_wigner_atom",
    "percolated_wishart_atom",
    "sample_sparse_wigner",
    "sample_sparse_wishart",
    "sparse_wigner_density",
    "zero_fraction",
]


def _fixed_point_roots(func, *, grid=4001):
    """All roots of ``func`` on ``[0, 1]`` by a sign scan followed by ``brentq``."""
    t = np.linspace(0.0, 1.0, grid)
    f = func(t)
    roots = [float(t[i]) for i in np.flatnonzero(f == 0)]
    for i in np.flatnonzero(f[:-1] * f[1:] < 0):
        roots.append(scipy.optimize.brentq(func, t[i], t[i + 1], xtol=1e-15, rtol=1e-15))
    return sorted(roots)


def percolated_wigner_atom(c):
    """Mass of the atom at 0 of the sparse Wigner law with mean degree ``c``.

    Parameters
    ----------
    c : float
        Mean degree, ``c > 0``.

    Returns
    -------
    float
        ``w_0 = a + b + c a b - 1`` with ``a`` the smallest root of ``a = exp(-c exp(-c a))`` and
        ``b = exp(-c a)``.

    Notes
    -----
    Bauer and Golinelli (2001), the kernel dimension of sparse random graphs; also Bordenave,
    Lelarge and Salez (2011); book/derivations.md, eq. (prod-bauer-golinelli). For ``c <= e`` the
    root is unique, ``a = b = W_0(c)/c``; for ``c > e`` there are three roots and the middle
    (symmetric) one gives a wrong value, so the smallest is taken.
    """
    c = _validate.positive("c", c)
    if c <= math.e:
        a = float(scipy.special.lambertw(c).real) / c
    else:
        a = _fixed_point_roots(lambda t: t - np.exp(-c * np.exp(-c * t)))[0]
    b = math.exp(-c * a)
    return a + b + c * a * b - 1.0


def percolated_wishart_atom(n, m, p):
    """Mass of the atom at 0 of ``X X^T/(pM)`` for a percolated ``N x M`` matrix ``X``.

    Parameters
    ----------
    n, m : int
        Rows and columns of ``X``.
    p : float
        Bernoulli probability of an entry being present, ``0 < p <= 1``.

    Returns
    -------
    float
        ``w_0 = 1 - (N + M - K_tot)/(2N)`` with
        ``K_tot = N(x_L + y_L) + M(x_R + y_R) + |E| (x_L x_R + y_L y_R) - (N + M)``, ``|E| = pNM``,
        ``x_L <= y_L`` the extreme roots of ``t = exp(-a exp(-b t))``, ``x_R = exp(-b x_L)``,
        ``y_R = exp(-b y_L)``, ``a = pM``, ``b = pN``.

    Notes
    -----
    A Bordenave-Lelarge-Salez-type count derived for this book, **not** from Granziol's paper
    (book/derivations.md, eq. (prod-bipartite-atom)): the rank of ``X`` with generic weights is the
    size of a maximum matching of its bipartite support graph. Lower bound ``max(1 - M/N, exp(-a))``.
    """
    n = _validate.integer("n", n, low=1)
    m = _validate.integer("m", m, low=1)
    p = _validate.real("p", p, low=0.0, high=1.0, low_open=True)
    a, b = p * m, p * n
    roots = _fixed_point_roots(lambda t: t - np.exp(-a * np.exp(-b * t)))
    x_l, y_l = roots[0], roots[-1]
    x_r, y_r = math.exp(-b * x_l), math.exp(-b * y_l)
    edges = p * n * m
    k_tot = n * (x_l + y_l) + m * (x_r + y_r) + edges * (x_l * x_r + y_l * y_r) - (n + m)
    return 1.0 - (n + m - k_tot) / (2.0 * n)


# ----------------------------------------------------------------------------- samplers
def _weights(gen, size, weights):
    if weights == "gaussian":
        return gen.standard_normal(size)
    return gen.choice(np.array([-1.0, 1.0]), size=size)


def sample_sparse_wigner(n, degree, *, weights="gaussian", rng):
    """One sparse Wigner matrix with mean degree ``degree`` (dense array).

    Parameters
    ----------
    n : int
        Size.
    degree : float
        Mean degree ``c = pN`` (``0 < c <= n - 1``); the fixed-``p`` regime is ``degree = p n``.
    weights : {"gaussian", "pm1"}
        Law of the nonzero entries before the ``1/sqrt(c)`` scaling.
    rng : numpy.random.Generator or int

    Returns
    -------
    ndarray
        Symmetric ``n x n`` matrix with zero diagonal.
    """
    n = _validate.integer("n", n, low=2, high=_validate.MAX_DIMENSION)
    c = _validate.real("degree", degree, low=0.0, high=n - 1, low_open=True)
    _validate.choice("weights", weights, ("gaussian", "pm1"))
    gen = _validate.as_generator(rng)
    iu = np.triu_indices(n, 1)
    keep = gen.random(iu[0].size) < c / (n - 1)
    h = np.zeros((n, n))
    vals = _weights(gen, int(keep.sum()), weights) / math.sqrt(c)
    h[iu[0][keep], iu[1][keep]] = vals
    return h + h.T


def sample_sparse_wishart(n, m, p, *, rng):
    """Eigenvalues of ``X X^T/(pM)`` for a percolated Gaussian ``N x M`` matrix ``X``.

    Parameters
    ----------
    n, m : int
        Rows and columns of ``X``.
    p : float
        Bernoulli probability of an entry being present, ``0 < p <= 1``.
    rng : numpy.random.Generator or int

    Returns
    -------
    ndarray
        The ``N`` eigenvalues (squared singular values, padded with exact zeros), sorted.
    """
    n, m = _validate.dimension("n", n), _validate.dimension("m", m)
    p = _validate.real("p", p, low=0.0, high=1.0, low_open=True)
    gen = _validate.as_generator(rng)
    x = np.where(gen.random((n, m)) < p, gen.standard_normal((n, m)), 0.0) / math.sqrt(p * m)
    s = scipy.linalg.svdvals(x, check_finite=False) ** 2
    return np.sort(np.concatenate([s, np.zeros(n - s.size)]))


def zero_fraction(h, *, rtol=1e-9):
    """Fraction of zero eigenvalues of a symmetric sparse matrix (``|lambda| < rtol max|lambda|``).

    Parameters
    ----------
    h : array_like
        Symmetric matrix.
    rtol : float
        Zero tolerance relative to the largest ``|lambda|`` of the non-isolated part.

    Returns
    -------
    float
        Isolated vertices (zero rows) are counted directly; the rest is diagonalised densely.
    """
    h, rtol = _validate.real_array("h", h, ndim=2), _validate.positive("rtol", rtol)
    if h.shape[0] != h.shape[1] or h.size == 0:
        raise ValueError(f"h must be a non-empty square matrix, got shape {h.shape}")
    live = np.any(h != 0, axis=1)
    n_isolated = int(h.shape[0] - live.sum())
    if live.sum() == 0:
        return 1.0
    ev = np.linalg.eigvalsh(h[np.ix_(live, live)])
    scale = np.max(np.abs(ev))
    return (n_isolated + int(np.sum(np.abs(ev) < rtol * scale))) / h.shape[0]


# ----------------------------------------------------------------------------- cavity density
@numba.njit(cache=True)
def _population_dynamics(xs, eta, c, pool, sweeps, gaussian, seed):
    np.random.seed(seed)
    out = np.empty(xs.size)
    g = np.empty(pool, dtype=np.complex128)
    for ix in range(xs.size):
        z = complex(xs[ix], eta)
        for i in range(pool):
            g[i] = -1j
        acc = 0.0
        for sweep in range(sweeps):
            for i in range(pool):
                d = np.random.poisson(c)
                s = 0.0 + 0.0j
                for _ in range(d):
                    if gaussian:
                        xi = np.random.standard_normal()
                        w2 = xi * xi / c
                    else:
                        w2 = 1.0 / c
                    s += w2 * g[np.random.randint(pool)]
                g[i] = 1.0 / (z - s)
            if sweep >= sweeps // 2:
                m = 0.0
                for i in range(pool):
                    m += g[i].imag
                acc += m / pool
        out[ix] = -acc / (sweeps - sweeps // 2) / math.pi
    return out


def sparse_wigner_density(x, c, *, pool=20000, sweeps=60, eta=1e-3, weights="gaussian", rng):
    """Density of the sparse Wigner law at ``x + i eta`` by population dynamics (cavity method).

    Parameters
    ----------
    x : array_like
        Points.
    c : float
        Mean degree.
    pool, sweeps : int
        Population size and number of sweeps (the second half is averaged).
    eta : float
        Imaginary part; the atom at 0 shows as a Lorentzian of height ``w_0/(pi eta)``.
    weights : {"gaussian", "pm1"}
    rng : numpy.random.Generator or int

    Returns
    -------
    ndarray
        ``-Im E[g]/pi`` with ``g <- 1/(z - sum_{k<=D} J_k^2 g_k)``, ``D ~ Poisson(c)``,
        ``J_k = xi_k/sqrt(c)``.

    Notes
    -----
    Population dynamics (cavity method) for sparse random matrices; book/derivations.md, eq.
    (prod-cavity).
    """
    c = _validate.positive("c", c)
    pool = _validate.integer("pool", pool, low=10, high=10**8)
    sweeps = _validate.integer("sweeps", sweeps, low=2, high=10**6)
    eta = _validate.positive("eta", eta)
    _validate.choice("weights", weights, ("gaussian", "pm1"))
    gen = _validate.as_generator(rng)
    xs = np.atleast_1d(_validate.real_array("x", x, ndim=None)).ravel()
    seed = int(gen.integers(2**31 - 1))
    return _population_dynamics(xs, eta, c, pool, sweeps, weights == "gaussian", seed)
