"""Complexity of critical points of the pure spherical p-spin glass and its "layers".

Auffinger, Ben Arous and Cerny (2013), used by Choromanska et al. (2015) for the loss surfaces of
networks: the mean number of index-k critical points of ``H_{N,p}`` on ``S^{N-1}(sqrt N)`` with
energy below ``N u`` grows like ``exp(N Theta_{k,p}(u))``. The semicircle enters through the
Hessian at a critical point (a GOE shifted by ``t(u) = 2u / E_inf``): its log-determinant
``Omega_sc`` and the large-deviation rate ``I_1`` of its smallest eigenvalue. Formulas:
book/derivations.md, eqs. (prod-i1) to (prod-i1-log-potential) (standard results, not read in
Granziol's paper); the "what-if" functions (:func:`index_map`, :func:`log_potential`) are a
construction of this book, eqs. (prod-index-map) and (prod-minima-threshold).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.optimize

from rmtlib._numerics import validate as _validate
from rmtlib.spectral_law import SpectralLaw

__all__ = [
    "e_inf",
    "i1",
    "index_map",
    "layer_threshold",
    "log_potential",
    "log_potential_semicircle",
    "theta_k",
    "theta_total",
]


def _p(p):
    return _validate.integer("p", p, low=3)


def e_inf(p):
    """``E_inf = 2 sqrt((p - 1)/p)``, the energy below which the critical points are layered.

    Parameters
    ----------
    p : int
        Interaction order, ``p >= 3``.

    Returns
    -------
    float

    Notes
    -----
    Auffinger, Ben Arous and Cerny (2013); book/derivations.md, eq. (prod-i1).
    """
    p = _p(p)
    return 2.0 * math.sqrt((p - 1) / p)


def i1(u, p):
    """Large-deviation rate ``I_1(u)`` of the smallest eigenvalue, for ``u <= -E_inf``.

    Parameters
    ----------
    u : array_like
        Energies, ``u <= -E_inf``.
    p : int
        Interaction order.

    Returns
    -------
    ndarray
        ``I_1(u) = -u/E^2 sqrt(u^2 - E^2) - log(-u + sqrt(u^2 - E^2)) + log E`` with ``E = E_inf``.

    Notes
    -----
    Auffinger, Ben Arous and Cerny (2013); book/derivations.md, eq. (prod-i1).
    """
    e, u = e_inf(p), _validate.real_array("u", u, ndim=None)
    if np.any(u > -e + 1e-15):
        raise ValueError(f"u must be <= -E_inf = {-e:.6f}")
    r = np.sqrt(u * u - e * e)
    return -u / e**2 * r - np.log(-u + r) + math.log(e)


def theta_k(u, k, p):
    """Index-``k`` complexity ``Theta_{k,p}(u)``.

    Parameters
    ----------
    u : array_like
        Energies.
    k : int
        Index, ``k >= 0``.
    p : int
        Interaction order.

    Returns
    -------
    ndarray

    Notes
    -----
    Auffinger, Ben Arous and Cerny (2013); book/derivations.md, eq. (prod-theta-k).
    """
    p, k = _p(p), _validate.integer("k", k, low=0)
    e, u = e_inf(p), _validate.real_array("u", u, ndim=None)
    low = u <= -e
    out = np.full(u.shape, 0.5 * math.log(p - 1) - (p - 2) / p)
    ul = u[low]
    out[low] = 0.5 * math.log(p - 1) - (p - 2) / (4 * (p - 1)) * ul**2 - (k + 1) * i1(ul, p)
    return out


def theta_total(u, p):
    """Total complexity ``Theta_p(u)`` (critical points of all indices).

    Parameters
    ----------
    u : array_like
        Energies.
    p : int
        Interaction order.

    Returns
    -------
    ndarray

    Notes
    -----
    Auffinger, Ben Arous and Cerny (2013); book/derivations.md, after eq. (prod-theta-k).
    """
    p = _p(p)
    e, u = e_inf(p), _validate.real_array("u", u, ndim=None)
    base = 0.5 * math.log(p - 1) - (p - 2) / (4 * (p - 1)) * u**2
    out = np.where(u >= 0, 0.5 * math.log(p - 1), base)
    low = u <= -e
    out[low] = base[low] - i1(u[low], p)
    return out


def layer_threshold(k, p):
    """``E_k > E_inf``, the root of ``Theta_{k,p}(-E_k) = 0``: below ``-E_k`` index-k points are rare.

    Parameters
    ----------
    k : int
        Index.
    p : int
        Interaction order.

    Returns
    -------
    float

    Notes
    -----
    book/derivations.md, eq. (prod-layers).
    """
    e, k = e_inf(p), _validate.integer("k", k, low=0, high=10**4)
    return scipy.optimize.brentq(lambda x: float(theta_k(np.array([-x]), k, p)[0]), e * (1 + 1e-12), 10.0,
                                 xtol=1e-14)


def log_potential(t, law):
    """``Omega(t) = int log|t - x| d mu(x)`` for a :class:`~rmtlib.laws.SpectralLaw` (atoms included).

    Parameters
    ----------
    t : array_like
        Points.
    law : rmtlib.laws.SpectralLaw

    Returns
    -------
    ndarray

    Notes
    -----
    Uses the law's quadrature discretization (``law.discretize()``): accurate to near machine
    precision for ``t`` off the support; inside the support the integrable log singularity limits it to
    about ``1e-2`` (enough for plots; the checks use ``t`` off the support).
    """
    t = np.atleast_1d(_validate.real_array("t", t, ndim=None))
    x, w = _validate.instance("law", law, SpectralLaw).discretize()
    x, w = x[w > 0], w[w > 0]
    with np.errstate(divide="ignore"):
        return np.sum(w[None, :] * np.log(np.abs(t[:, None] - x[None, :])), axis=1)


def log_potential_semicircle(t):
    """Closed form of ``Omega_sc(t)`` for the unit semicircle and ``|t| >= 2``.

    Parameters
    ----------
    t : array_like
        Points with ``|t| >= 2``.

    Returns
    -------
    ndarray

    Notes
    -----
    book/derivations.md, eq. (prod-i1-log-potential).
    """
    t = np.abs(_validate.real_array("t", t, ndim=None))
    if np.any(t < 2.0):
        raise ValueError("t must satisfy |t| >= 2 (outside the unit semicircle's support)")
    r = np.sqrt(t * t - 4)
    return t * t / 4 - 0.5 - t * r / 4 + np.log((t + r) / 2)


def index_map(u, p, cdf):
    """What-if index-energy map ``alpha(u) = F(t(u))``, ``t = 2u/E_inf``, for a standardized law's CDF.

    Parameters
    ----------
    u : array_like
        Energies.
    p : int
        Interaction order.
    cdf : callable
        CDF of a standardized spectral law (vectorized).

    Returns
    -------
    ndarray

    Notes
    -----
    A construction of this book, book/derivations.md, eq. (prod-index-map).
    """
    u, scale = _validate.real_array("u", u, ndim=None), e_inf(p)
    if not callable(cdf):
        raise TypeError(f"cdf must be callable, got {type(cdf).__name__}")
    return cdf(2.0 * u / scale)
