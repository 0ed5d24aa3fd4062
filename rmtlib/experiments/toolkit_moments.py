"""Closed-form moments of the toolkit chapter's laws, in the limit and at finite size.

The chapter judges its simulations by the first two moments of the spectrum. Three sources meet here:

- :func:`limit_moments`: the first two moments of a limiting law from the closed forms of free
  probability (Marchenko-Pastur, and the rules for ⊞ and ⊠), independent of rmtlib's series
  and solvers;
- :func:`quadrature_moments`: the total mass and first two moments integrated from a law's
  *computed* density (quadrature tables over its support) plus its atoms, independent of the
  moment series that built a free convolution;
- ``finite_moments``: the exact expectations of ``tr(M)/n`` and ``tr(M²)/n`` for the chapter's
  Gaussian matrices at size n, whose distance from the limit is the derived finite-size allowance
  of the statistical checks.
"""

from __future__ import annotations

import numpy as np

__all__ = ["free_product_moments", "limit_moments", "quadrature_moments", "sandwich_m2", "wishart_m2"]


def free_product_moments(first, second):
    """First two moments of μ ⊠ ν from those of μ and ν.

    Parameters
    ----------
    first, second : tuple of float
        ``(m1, m2)`` of μ and of ν.

    Returns
    -------
    tuple of float
        ``(m1, m2)`` of μ ⊠ ν.

    Notes
    -----
    For free a and b, φ(ab) = φ(a)φ(b) and φ(abab) = φ(a²)φ(b)² + φ(a)²φ(b²) - φ(a)²φ(b)²
    (the mixed moments of free variables, Nica and Speicher 2006, Lectures on the Combinatorics of
    Free Probability, Lecture 5; the first is ``book/derivations.md, eq. (tk-free-moments)``).
    """
    (a1, a2), (b1, b2) = first, second
    return a1 * b1, a2 * b1**2 + a1**2 * b2 - a1**2 * b1**2


def limit_moments(kind, **params):
    """First two moments of a limiting law of the chapter, from closed forms.

    Parameters
    ----------
    kind : {"semicircle", "mp", "deformed", "mp_product", "mp_population"}
        ``semicircle`` (variance 1); ``mp`` (Marchenko-Pastur of ratio ``ratio``, variance 1);
        ``deformed`` (semicircle ⊞ ½(δ₋ₐ + δₐ), ``a``); ``mp_product`` (MP(``ratio``) ⊠
        MP(``ratio2``)); ``mp_population`` (MP(``ratio``) ⊠ uniform law on ``population``).
    **params
        The parameters named above.

    Returns
    -------
    tuple of float
        ``(m1, m2)``.

    Notes
    -----
    MP of ratio c has m1 = 1 and m2 = 1 + c (Marchenko and Pastur 1967); the semicircle of variance
    1 has m1 = 0, m2 = 1; variances add under ⊞ (``book/derivations.md, eq. (tk-free-moments)``), so
    the deformed law has m2 = 1 + a²; products follow :func:`free_product_moments`.
    """
    if kind == "semicircle":
        return 0.0, 1.0
    if kind == "mp":
        return 1.0, 1.0 + params["ratio"]
    if kind == "deformed":
        return 0.0, 1.0 + params["a"] ** 2
    if kind == "mp_product":
        return free_product_moments(limit_moments("mp", ratio=params["ratio"]),
                                    limit_moments("mp", ratio=params["ratio2"]))
    if kind == "mp_population":
        t = np.asarray(params["population"], dtype=float)
        return free_product_moments(limit_moments("mp", ratio=params["ratio"]),
                                    (float(t.mean()), float(np.mean(t**2))))
    raise ValueError(f"unknown kind {kind!r}")


def sandwich_m2(square_of_trace, trace_of_square, n, columns):
    """Exact E tr(A W A W) / n for W = X Xᵀ / columns, X an n x columns standard Gaussian matrix.

    Parameters
    ----------
    square_of_trace, trace_of_square : float
        ``(tr A)²`` and ``tr A²`` of a fixed symmetric n x n matrix A, or their expectations for a
        random A independent of W.
    n, columns : int
        The shape of X.

    Returns
    -------
    float
        ``((1 + 1/q) tr A² + (tr A)² / q) / n`` with q = ``columns``.

    Notes
    -----
    Wick's theorem gives E[Y Yᵀ A Y Yᵀ] = q(q + 1) A + q tr(A) I for Y of shape n x q and
    symmetric A: the pairings of the four Gaussian factors give q(q - 1) A from distinct columns and
    q (2A + tr(A) I) from equal ones (the second moment of the Wishart law, Gupta and Nagar 2000,
    Matrix Variate Distributions, chapter 3). Divide by q² and take tr(A ·).
    """
    q = float(columns)
    return ((1.0 + 1.0 / q) * trace_of_square + square_of_trace / q) / n


def wishart_m2(n, columns):
    """Exact E tr(W²) / n for W = X Xᵀ / columns: 1 + n / columns + 1 / columns.

    Parameters
    ----------
    n, columns : int
        The shape of X.

    Returns
    -------
    float

    Notes
    -----
    :func:`sandwich_m2` with A = I ((tr A)² = n², tr A² = n).
    """
    return sandwich_m2(float(n) ** 2, n, n, columns)


def quadrature_moments(law):
    """Continuous mass and first two moments of a law integrated from its computed density.

    Parameters
    ----------
    law : rmtlib.spectral_law.SpectralLaw
        The law; its density is integrated by its adaptive quadrature tables over its support.

    Returns
    -------
    tuple of float
        ``(continuous mass, m1, m2)``: the integral of the density, and the moments of density plus
        atoms. None of them calls ``law.moment`` (which, for a free convolution, sums the series
        that built the law).

    Notes
    -----
    ``law.discretize()`` returns the atoms first, then the nodes and weights of the quadrature of
    the density on each support interval.
    """
    locations, masses = law.discretize()
    continuous = float(np.sum(masses[len(law.atoms):]))
    return continuous, float(np.sum(masses * locations)), float(np.sum(masses * locations**2))
