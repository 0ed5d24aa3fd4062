"""Transforms of a bulk law ``nu`` at real points outside its support (used by `rmtlib.models.deformed`).

``g = ∫ dnu(s) / (u - s)`` and ``g2 = ∫ dnu(s) / (u - s)^2`` from ``nu`` itself (atoms summed exactly, the
continuous part by quadrature graded toward the nearest edge), not from the complex-plane solver.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import integrate

from rmtlib._numerics import validate as _validate
from rmtlib.spectral_law import SpectralLaw

__all__ = ["continuous_intervals", "discrete_parts", "hull", "outside", "real_transforms"]


def discrete_parts(nu):
    """Return (locations, masses) of the atoms of ``nu`` (empty arrays if none)."""
    atoms = tuple(getattr(nu, "atoms", ()))
    if not atoms:
        return np.zeros(0), np.zeros(0)
    return tuple(np.array(atoms, dtype=float).reshape(-1, 2).T)


def continuous_intervals(nu):
    """Return the support intervals of the absolutely continuous part with nonzero mass."""
    mass = float(getattr(nu, "continuous_mass", 1.0 - discrete_parts(nu)[1].sum()))
    if mass <= 1e-14:
        return []
    return [(float(a), float(b)) for a, b in nu.support if b > a]


def hull(nu):
    """Smallest interval containing ``supp nu`` (atoms included)."""
    loc, _ = discrete_parts(nu)
    ends = list(loc) + [e for iv in continuous_intervals(nu) for e in iv]
    return min(ends), max(ends)


def real_transforms(nu, u, *, second=True):
    """Stieltjes transform and its derivative at real points outside the support of ``nu``.

    Parameters
    ----------
    nu : SpectralLaw
        A law from :mod:`rmtlib.laws` (atoms and support/density are used).
    u : array_like of float
        Real points, none of which may lie in ``supp nu``.
    second : bool
        Also integrate ``g2`` (zeros otherwise; near an edge it is the costly, delicate part).

    Returns
    -------
    g, g2 : ndarray
        ``g = ∫ dnu(s) / (u - s)`` and ``g2 = ∫ dnu(s) / (u - s)^2``.

    Notes
    -----
    Uniform ``U[a, b]``: closed forms, book/derivations.md, eq. (def-uniform-transforms). Atoms are
    summed exactly; any other continuous part is integrated by adaptive quadrature (smooth integrand).
    """
    _validate.instance("nu", nu, SpectralLaw)
    u = np.atleast_1d(_validate.real_array("u", u, ndim=None)).ravel()
    loc, mass = discrete_parts(nu)
    if np.any(np.isin(u, loc)):
        raise ValueError("u must lie outside the support of nu (it hits an atom)")
    d = u[:, None] - loc[None, :]
    g = (mass / d).sum(axis=1) if loc.size else np.zeros_like(u)
    g2 = (mass / d**2).sum(axis=1) if loc.size else np.zeros_like(u)
    intervals = continuous_intervals(nu)
    for a, b in intervals:
        if np.any((u >= a) & (u <= b)):
            raise ValueError(f"u must lie outside the support of nu; {u} meets [{a}, {b}]")
    if type(nu).__name__ == "Uniform" and len(intervals) == 1:
        a, b = intervals[0]
        return g + np.log((u - a) / (u - b)) / (b - a), g2 + 1.0 / ((u - a) * (u - b))
    for a, b in intervals:
        for i, x in enumerate(u):
            g[i] += toward_edge(lambda s, x=x: nu.density(s) / (x - s), a, b, x)
            if second:
                g2[i] += toward_edge(lambda s, x=x: nu.density(s) / (x - s) ** 2, a, b, x)
    return g, g2


def toward_edge(f, a, b, x):
    """Integral of f over [a, b] for x outside [a, b], on pieces that shrink geometrically toward
    the endpoint nearest x (f varies on the scale of the distance to x there).

    Quadrature warnings are errors: a silently wrong transform would move every outlier.
    """
    gap = (x - b) if x > b else (a - x)
    width = b - a
    offsets = [width]  # distances from the near endpoint, halving until small against the gap
    floor = max(1e-3 * gap, 1e-13 * max(1.0, abs(a), abs(b)))
    while offsets[-1] > floor:
        offsets.append(offsets[-1] / 2.0)
    offsets.append(0.0)
    edges = [b - d for d in offsets] if x > b else [a + d for d in offsets]
    total = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error", integrate.IntegrationWarning)
        for lo, hi in zip(edges[:-1], edges[1:]):
            lo, hi = min(lo, hi), max(lo, hi)
            scale = (hi - lo) * max(abs(f(t)) for t in (lo, 0.5 * (lo + hi), hi))
            total += integrate.quad(f, lo, hi, limit=200, epsabs=1e-12 * max(scale, abs(total)),
                                    epsrel=1e-10)[0]
    return total


def outside(nu, u):
    """Boolean mask: u lies outside supp nu."""
    loc, _ = discrete_parts(nu)
    out = ~np.isin(u, loc)
    for a, b in continuous_intervals(nu):
        out &= (u < a) | (u > b)
    return out
