"""Truncated power series used for exact moments of free convolutions (private).

A series is a float array c with c[k] the coefficient of x^k, truncated at a
fixed order. Free additive convolution adds free cumulants (moment-cumulant
relation M(z) = C(z M(z)), Speicher); free multiplicative convolution multiplies
S-transforms (S(u) = chi(u) (1 + u) / u with chi the inverse of
psi(w) = sum_k m_k w^k, Voiculescu).
"""

import numpy as np


def mul(a, b):
    """Product of two series, truncated to the length of `a`."""
    return np.convolve(a, b)[: a.size]


def compose(f, g):
    """f(g(x)) for a series g with g[0] = 0, truncated to the length of `f`."""
    out = np.zeros(f.size)
    for coef in f[::-1]:
        out = mul(out, g)
        out[0] += coef
    return out


def inverse(f):
    """Compositional inverse of f with f[0] = 0 and f[1] != 0."""
    identity = np.zeros(f.size)
    identity[1] = 1.0
    g = identity / f[1]
    for _ in range(f.size):
        g = g - (compose(f, g) - identity) / f[1]
    return g


def free_cumulants(moments):
    """Free cumulants kappa_1..kappa_K from moments m_1..m_K (arrays indexed from 1 at position 1)."""
    m = np.asarray(moments, dtype=float)
    h = np.concatenate([[0.0, 1.0], m[1:-1]])  # z M(z)
    series_m = m.copy()
    series_m[0] = 1.0
    c = compose(series_m, inverse(h))
    c[0] = 0.0
    return c


def moments_from_free_cumulants(kappa):
    """Moments m_0..m_K from free cumulants (kappa[0] ignored), solving M = C(z M)."""
    c = np.asarray(kappa, dtype=float).copy()
    c[0] = 1.0
    m = np.zeros(c.size)
    m[0] = 1.0
    for _ in range(c.size):
        zm = np.concatenate([[0.0], m[:-1]])
        m = compose(c, zm)
    return m


def s_transform(moments):
    """Coefficients of S(u) from moments m_0..m_K of a law on [0, inf) with m_1 > 0."""
    psi = np.asarray(moments, dtype=float).copy()
    psi[0] = 0.0
    chi = inverse(psi)
    over_u = np.concatenate([chi[1:], [0.0]])
    one_plus_u = np.zeros(psi.size)
    one_plus_u[:2] = 1.0
    return mul(over_u, one_plus_u)


def moments_from_s_transform(s):
    """Moments m_0..m_K from the S-transform coefficients (inverse of `s_transform`)."""
    s = np.asarray(s, dtype=float)
    geometric = (-1.0) ** np.arange(s.size)  # 1 / (1 + u)
    chi = np.concatenate([[0.0], mul(s, geometric)[:-1]])
    psi = inverse(chi)
    psi[0] = 1.0
    return psi
