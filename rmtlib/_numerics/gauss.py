"""Composite Gauss-Legendre rules for Gaussian expectations (private).

E f(Z), Z ~ N(0, 1), is integrated panel by panel: the caller chooses the panel
edges (split at the kinks of f, where plain Gauss-Hermite loses accuracy) and
this module places `order` Gauss-Legendre nodes on each panel, with the
standard normal density folded into the weights.
"""

import numpy as np

_RULES = {}


def legendre(order):
    """Cached Gauss-Legendre nodes and weights on [-1, 1]."""
    if order not in _RULES:
        _RULES[order] = np.polynomial.legendre.leggauss(order)
    return _RULES[order]


def panel_nodes(edges, order):
    """Nodes z and weights w with sum w f(z) ~ integral of f(z) phi(z) dz over [edges[0], edges[-1]].

    Parameters
    ----------
    edges : array_like of float
        Increasing panel edges.
    order : int
        Gauss-Legendre nodes per panel.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Nodes and weights (standard normal density included), panel by panel.
    """
    edges = np.asarray(edges, dtype=float)
    x, w = legendre(order)
    half = 0.5 * np.diff(edges)[:, None]
    mid = 0.5 * (edges[1:] + edges[:-1])[:, None]
    z = (mid + half * x).ravel()
    weights = (half * w).ravel() * np.exp(-0.5 * z**2) / np.sqrt(2.0 * np.pi)
    return z, weights
