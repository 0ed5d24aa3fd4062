"""Mean-field signal propagation through a deep random network: the length map and its fixed point.

Layers ``h^l = W^l x^{l-1} + b^l``, ``x^l = phi(h^l)``, ``W^l`` i.i.d. of variance ``sigma_w^2/n_{l-1}``,
``b^l ~ N(0, sigma_b^2)``. The mean squared pre-activation follows the length map
``q^1 = sigma_w^2 q^0 + sigma_b^2``, ``q^l = sigma_w^2 E phi(sqrt(q^{l-1}) g)^2 + sigma_b^2``
(Poole et al. 2016; Pennington, Schoenholz & Ganguli 2017, eq. (5)), and the layer's law of
``phi'(sqrt(q^l) g)^2`` enters the Jacobian's limit (:mod:`rmtlib.models.jacobian`).

Gaussian integrals are computed by composite Gauss-Legendre quadrature split at the kinks of
``phi`` (plain Gauss-Hermite is not accurate enough for ReLU or hard-tanh).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize

from rmtlib import activations
from rmtlib._numerics import gauss as _gauss, validate as _validate

__all__ = [
    "chi",
    "critical_sigma_w",
    "derivative_nodes",
    "fixed_point",
    "input_at",
    "layer_variances",
    "length_map",
    "q_recursion",
]

_GL_ORDER = 16
_PANELS = 30
_GAMMA_MAX = 10.0


# --------------------------------------------------------------------------------------------
# activations and Gaussian quadrature
# --------------------------------------------------------------------------------------------
def _activation(activation):
    """Resolve a registry name or a pair (phi, dphi) to an object with phi, dphi and kinks."""
    act = activations.get(activation)
    if act.dphi is None:
        raise ValueError(
            f"activation {act.name!r} has no derivative; the Jacobian needs phi' "
            "(choose one of tanh, relu, hard_tanh, linear, erf, ... or pass (phi, dphi))"
        )
    return act


def _gauss_nodes(q, kinks):
    """Nodes and weights of E f(sqrt(q) g), g ~ N(0, 1), by composite Gauss-Legendre in g.

    The panels of [-10, 10] (30 panels; 80 on [-12, 12] agrees to 1e-13) are split at the kinks of f (mapped to g = kink / sqrt(q)) and at
    g = ±{1/2, 1, 2, 4} / sqrt(q), so that features of phi on the scale |h| ~ 1 are resolved for
    any q.  Returns the pre-activations h = sqrt(q) g and the weights (Gaussian density included).
    """
    if q == 0.0:
        return np.zeros(1), np.ones(1)
    sq = math.sqrt(q)
    edges = [np.linspace(-_GAMMA_MAX, _GAMMA_MAX, _PANELS + 1)]
    extra = [k / sq for k in kinks] + [s * a / sq for a in (0.5, 1.0, 2.0, 4.0) for s in (-1, 1)]
    edges.append(np.array([e for e in extra if abs(e) < _GAMMA_MAX]))
    g, w = _gauss.panel_nodes(np.unique(np.concatenate(edges)), _GL_ORDER)
    return sq * g, w


def _expect(f, q, kinks):
    h, w = _gauss_nodes(q, kinks)
    return float(np.dot(w, f(h)))


def _bracket(bracket):
    ends = _validate.real_array("bracket", bracket)
    if ends.size != 2 or not 0.0 < ends[0] < ends[1]:
        raise ValueError(f"bracket must be (low, high) with 0 < low < high, got {bracket!r}")
    return float(ends[0]), float(ends[1])


def _check_common(sigma_w, sigma_b):
    sigma_w = _validate.positive("sigma_w", sigma_w)
    sigma_b = _validate.real("sigma_b", sigma_b, low=0.0)
    return sigma_w, sigma_b


def length_map(activation, q, *, sigma_w, sigma_b):
    """One step of the mean-field length map.

    Parameters
    ----------
    activation : str or (callable, callable)
        Activation name of `rmtlib.activations` or a pair (phi, dphi).
    q : float
        Variance of the pre-activations of the previous layer, q >= 0.
    sigma_w, sigma_b : float
        Weight scale (sigma_w > 0) and bias standard deviation (sigma_b >= 0).

    Returns
    -------
    float
        ``sigma_w**2 * E[phi(sqrt(q) g)**2] + sigma_b**2``, g ~ N(0, 1).

    Notes
    -----
    Standard mean-field recursion (Poole et al. 2016; book/derivations.md, eq. (jac-length-map)).
    """
    sigma_w, sigma_b = _check_common(sigma_w, sigma_b)
    q = _validate.real("q", q, low=0.0)
    act = _activation(activation)
    return sigma_w**2 * _expect(lambda h: act.phi(h) ** 2, q, act.kinks) + sigma_b**2


def q_recursion(activation, *, depth, sigma_w, sigma_b, q0):
    """Pre-activation variances ``(q^1, ..., q^L)`` for an input with ``|x^0|^2 / n_0 = q0``.

    Parameters
    ----------
    activation : str or (callable, callable)
        Activation name or a pair (phi, dphi).
    depth : int
        Number of layers L >= 1.
    sigma_w, sigma_b : float
        Weight scale (> 0) and bias standard deviation (>= 0).
    q0 : float
        Mean square of the input, q0 >= 0.

    Returns
    -------
    numpy.ndarray
        Array of length L.

    Notes
    -----
    ``q^1 = sigma_w^2 q^0 + sigma_b^2`` (the input is not passed through phi),
    ``q^l = sigma_w^2 E phi(sqrt(q^{l-1}) g)^2 + sigma_b^2`` (book/derivations.md, eq. (jac-length-map)).
    """
    depth = _validate.integer("depth", depth, low=1, high=_validate.MAX_DEPTH)
    sigma_w, sigma_b = _check_common(sigma_w, sigma_b)
    q0 = _validate.real("q0", q0, low=0.0)
    qs = [sigma_w**2 * q0 + sigma_b**2]
    for _ in range(depth - 1):
        qs.append(length_map(activation, qs[-1], sigma_w=sigma_w, sigma_b=sigma_b))
    return np.array(qs)


def fixed_point(activation, *, sigma_w, sigma_b, q0=1.0):
    """Fixed point q* of the length map, reached by iterating it from `q0`.

    Parameters
    ----------
    activation : str or (callable, callable)
        Activation name or a pair (phi, dphi).
    sigma_w, sigma_b : float
        Weight scale (> 0) and bias standard deviation (>= 0).
    q0 : float, default 1.0
        Starting value (> 0).  Where every q is fixed (ReLU with sigma_w^2 = 2, sigma_b = 0;
        linear with sigma_w = 1, sigma_b = 0) the result is `q0` itself.

    Returns
    -------
    float
        q* with ``q* = sigma_w^2 E phi(sqrt(q*) g)^2 + sigma_b^2`` to ~1e-14 relative; 0.0 when the
        iteration decays to the trivial fixed point (e.g. ordered tanh without bias).

    Raises
    ------
    ValueError
        If the iteration diverges (no finite fixed point, e.g. ReLU with sigma_w^2 > 2).
    """
    sigma_w, sigma_b = _check_common(sigma_w, sigma_b)
    q0 = _validate.positive("q0", q0)
    act = _activation(activation)

    def f(q):
        return sigma_w**2 * _expect(lambda h: act.phi(h) ** 2, q, act.kinks) + sigma_b**2

    def diverged():
        return ValueError(
            f"the length map diverges from q0={q0} for sigma_w={sigma_w}, sigma_b={sigma_b}: "
            "no finite fixed point (reduce sigma_w)"
        )

    q = q0
    qn = f(q)
    if abs(qn - q) <= 1e-14 * q:
        return q0
    for _ in range(300):
        if not np.isfinite(qn) or qn > 1e12:
            raise diverged()
        if abs(qn - q) <= 1e-15 * qn:
            return qn
        q, qn = qn, f(qn)
    # slow (algebraic) convergence: bracket the root of f(q) - q beyond the last iterate
    step = qn - q
    a, b = qn, qn + step
    for _ in range(200):
        if b <= 0.0:
            if f(0.0) == 0.0:
                return 0.0
            b = 0.0
        if (f(b) - b) * (f(a) - a) <= 0.0:
            return float(optimize.brentq(lambda s: f(s) - s, min(a, b), max(a, b), xtol=1e-16, rtol=1e-15))
        if b > 1e12:
            raise diverged()
        a, b = b, b + 2.0 * (b - a)
    raise diverged()


def derivative_nodes(activation, q):
    """Weighted nodes of the law nu of ``phi'(sqrt(q) g)^2``, g ~ N(0, 1).

    Parameters
    ----------
    activation : str or (callable, callable)
        Activation name or a pair (phi, dphi).
    q : float
        Pre-activation variance (>= 0).

    Returns
    -------
    values, weights : numpy.ndarray
        Distinct values t_k > 0 and their masses; ``1 - weights.sum()`` is the mass of nu at 0.
        Discrete laws come out exactly (ReLU: {1} with mass 1/2; hard-tanh: {1} with mass
        erf(1/sqrt(2q)); linear: {1} with mass 1), smooth ones as 16-point Gauss-Legendre panels.
    """
    q = _validate.real("q", q, low=0.0)
    act = _activation(activation)
    h, w = _gauss_nodes(q, act.kinks)
    t = np.asarray(act.dphi(h), dtype=float) ** 2 * np.ones_like(h)
    keep = (t > 0.0) & (w > 1e-300)
    values, inverse = np.unique(t[keep], return_inverse=True)
    weights = np.bincount(inverse, weights=w[keep], minlength=values.size)
    return values, weights


def chi(activation, *, sigma_w, sigma_b, q=None):
    """Order-chaos parameter ``chi = sigma_w^2 E phi'(sqrt(q) g)^2`` (at q = q* when q is None).

    Parameters
    ----------
    activation : str or (callable, callable)
        Activation name or a pair (phi, dphi).
    sigma_w, sigma_b : float
        Weight scale (> 0) and bias standard deviation (>= 0).
    q : float, optional
        Pre-activation variance; default the fixed point `fixed_point(...)`.

    Returns
    -------
    float
        chi; chi = 1 is the edge of chaos (Pennington et al. 2017; book/derivations.md, eq. (jac-chi)).
    """
    sigma_w, sigma_b = _check_common(sigma_w, sigma_b)
    if q is None:
        q = fixed_point(activation, sigma_w=sigma_w, sigma_b=sigma_b)
    values, weights = derivative_nodes(activation, q)
    return sigma_w**2 * float(np.dot(values, weights))


def critical_sigma_w(activation, *, sigma_b, bracket=(0.3, 5.0)):
    """Weight scale sigma_w on the edge of chaos, chi(sigma_w, sigma_b) = 1.

    Parameters
    ----------
    activation : str or (callable, callable)
        Activation name or a pair (phi, dphi).
    sigma_b : float
        Bias standard deviation (>= 0).
    bracket : (float, float)
        Interval of sigma_w searched.

    Returns
    -------
    float
        sigma_w with chi = 1 (e.g. tanh, sigma_b = 0.05: 1.1225390048).
    """
    sigma_b = _validate.real("sigma_b", sigma_b, low=0.0)
    lo, hi = _bracket(bracket)

    def g(s):
        return chi(activation, sigma_w=s, sigma_b=sigma_b) - 1.0

    grid = np.geomspace(lo, hi, 25)
    vals = [g(s) for s in grid]
    for a, b, ga, gb in zip(grid[:-1], grid[1:], vals[:-1], vals[1:]):
        if ga * gb <= 0.0:
            return float(optimize.brentq(g, a, b, xtol=1e-14, rtol=1e-14))
    raise ValueError(f"chi = 1 is not crossed for sigma_w in {bracket} at sigma_b={sigma_b}")


def layer_variances(activation, *, depth, sigma_w, sigma_b, q0=None):
    """Variances ``q^1..q^L``: all q* when `q0` is None, else the recursion from ``q^0 = q0``.

    Parameters
    ----------
    activation : str or (callable, callable)
        Activation name or a pair (phi, dphi).
    depth : int
        Number of layers (>= 1).
    sigma_w, sigma_b : float
        Weight scale (> 0) and bias standard deviation (>= 0).
    q0 : float, optional
        ``|x^0|^2 / n_0``; None: the input that puts every layer at the fixed point.

    Returns
    -------
    numpy.ndarray
    """
    depth = _validate.integer("depth", depth, low=1, high=_validate.MAX_DEPTH)
    sigma_w, sigma_b = _check_common(sigma_w, sigma_b)
    if q0 is None:
        return np.full(depth, fixed_point(activation, sigma_w=sigma_w, sigma_b=sigma_b))
    return q_recursion(activation, depth=depth, sigma_w=sigma_w, sigma_b=sigma_b, q0=q0)


def input_at(activation, *, sigma_w, sigma_b):
    """Input mean square ``q^0 = (q* - sigma_b^2) / sigma_w^2`` that starts the network at q*."""
    sigma_w, sigma_b = _check_common(sigma_w, sigma_b)
    qstar = fixed_point(activation, sigma_w=sigma_w, sigma_b=sigma_b)
    return max(0.0, (qstar - sigma_b**2) / sigma_w**2)
