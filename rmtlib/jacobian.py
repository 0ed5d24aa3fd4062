"""Input-output Jacobian of a deep random network: sampler, mean-field theory and limiting law.

Model (Pastur & Slavin, arXiv 2011.11439, §1; normalisation of ``shared/papers/pastur_slavin.md``):
layers ``l = 1..L`` of widths ``(n_0, ..., n_L)``,

    h^l = W^l x^{l-1} + b^l,   x^l = phi(h^l),   W^l = sigma_w X^l / sqrt(n_{l-1}),

``X^l`` of shape ``n_l x n_{l-1}`` with i.i.d. zero-mean unit-variance entries (fan-in normalisation),
``b^l`` i.i.d. ``N(0, sigma_b^2)``.  The Jacobian is ``J_L = D_L W^L ... D_1 W^1`` with
``D_l = diag(phi'(h^l))`` and the matrix studied is ``M_L = J_L J_L^T`` (``n_L x n_L``).

Theory (standard mean field and free probability; the formulas are DERIVED in the spec, §1-§2, and
agree with the papers' statement that the limit is the Gaussian one):

* length map ``q^1 = sigma_w^2 q^0 + sigma_b^2``, ``q^l = sigma_w^2 E phi(sqrt(q^{l-1}) g)^2 + sigma_b^2``;
* per-layer law ``nu_l`` = law of ``phi'(sqrt(q^l) g)^2``, ``g ~ N(0, 1)``;
* the limit ``mu_L`` of the eigenvalue distribution of ``M_L`` solves, with ``c_l = n_l / n_L``,
  ``z prod_l c_{l-1} y_l = sigma_w^{2L} psi^{L-1} (c_0 + psi)``, ``psi_{nu_l}(y_l) = psi / c_l``,
  ``G(z) = (1 + psi) / z``; for square layers this is
  ``(MP ⊠ nu_1) ⊠ ... ⊠ (MP ⊠ nu_L)`` (Pennington, Schoenholz & Ganguli 2017, 2018).

Gaussian integrals are computed by composite Gauss-Legendre quadrature split at the kinks of
``phi`` (DESIGN: plain Gauss-Hermite is not accurate enough for ReLU or hard-tanh).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.linalg
from scipy import optimize

from . import _gauss, _validate
from ._jacobian_solver import JacobianLaw, _Chain

__all__ = [
    "JacobianLaw",
    "chi",
    "critical_sigma_w",
    "derivative_nodes",
    "fixed_point",
    "free_chain",
    "input_at",
    "jacobian_law",
    "layer_variances",
    "length_map",
    "limit_moments",
    "q_recursion",
    "sample_jacobian_spectrum",
]

_GL_ORDER = 16
_PANELS = 30
_GAMMA_MAX = 10.0


# --------------------------------------------------------------------------------------------
# activations and Gaussian quadrature
# --------------------------------------------------------------------------------------------
def _activation(activation):
    """Resolve a registry name or a pair (phi, dphi) to an object with phi, dphi and kinks."""
    from . import activations

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
    Standard mean-field recursion (Pennington et al. 2017; spec §1, derived).
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
    ``q^l = sigma_w^2 E phi(sqrt(q^{l-1}) g)^2 + sigma_b^2`` (spec §1, derived).
    """
    depth = _validate.integer("depth", depth, low=1)
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
        chi; chi = 1 is the edge of chaos (Pennington et al. 2017; spec §1).
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
        sigma_w with chi = 1 (e.g. tanh, sigma_b = 0.05: 1.1225390048, spec §4).
    """
    sigma_b = _validate.real("sigma_b", sigma_b, low=0.0)
    lo, hi = (_validate.positive("bracket", b) for b in bracket)

    def g(s):
        return chi(activation, sigma_w=s, sigma_b=sigma_b) - 1.0

    grid = np.geomspace(lo, hi, 25)
    vals = [g(s) for s in grid]
    for a, b, ga, gb in zip(grid[:-1], grid[1:], vals[:-1], vals[1:]):
        if ga * gb <= 0.0:
            return float(optimize.brentq(g, a, b, xtol=1e-14, rtol=1e-14))
    raise ValueError(f"chi = 1 is not crossed for sigma_w in {bracket} at sigma_b={sigma_b}")


# --------------------------------------------------------------------------------------------
# the limiting law: log-form Newton with continuation from z = infinity (spec §2.3)
# --------------------------------------------------------------------------------------------
def _ratios(width_ratios, depth):
    if width_ratios is None:
        return np.ones(depth + 1)
    c = _validate.real_array("width_ratios", width_ratios)
    if c.size != depth + 1:
        raise ValueError(f"width_ratios must have depth + 1 = {depth + 1} entries (n_0..n_L)/n_L, got {c.size}")
    if np.any(c <= 0):
        raise ValueError("width_ratios must be positive")
    if abs(c[-1] - 1.0) > 1e-12:
        raise ValueError(f"width_ratios are relative to n_L: the last entry must be 1, got {c[-1]}")
    return c


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
    depth = _validate.integer("depth", depth, low=1)
    sigma_w, sigma_b = _check_common(sigma_w, sigma_b)
    if q0 is None:
        return np.full(depth, fixed_point(activation, sigma_w=sigma_w, sigma_b=sigma_b))
    return q_recursion(activation, depth=depth, sigma_w=sigma_w, sigma_b=sigma_b, q0=q0)


def input_at(activation, *, sigma_w, sigma_b):
    """Input mean square ``q^0 = (q* - sigma_b^2) / sigma_w^2`` that starts the network at q*."""
    sigma_w, sigma_b = _check_common(sigma_w, sigma_b)
    qstar = fixed_point(activation, sigma_w=sigma_w, sigma_b=sigma_b)
    return max(0.0, (qstar - sigma_b**2) / sigma_w**2)


def jacobian_law(activation, *, depth, sigma_w, sigma_b, width_ratios=None, q0=None):
    """Limiting eigenvalue law of ``J_L J_L^T`` for a random network of depth L.

    Parameters
    ----------
    activation : str or (callable, callable)
        Activation name of `rmtlib.activations` (tanh, relu, hard_tanh, linear, erf, ...) or a
        pair (phi, dphi).
    depth : int
        Number of layers L >= 1.
    sigma_w : float
        Weight scale: W^l has entries of variance sigma_w^2 / n_{l-1}; > 0.
    sigma_b : float
        Standard deviation of the biases, >= 0.
    width_ratios : sequence of float, optional
        ``(n_0, ..., n_L) / n_L`` (last entry 1); None: square layers.
    q0 : float, optional
        Input mean square ``|x^0|^2 / n_0``; None: the input that puts every layer at q*,
        otherwise each layer uses its own q^l of `q_recursion`.

    Returns
    -------
    JacobianLaw
        A SpectralLaw with exact atom at 0, edges and first two moments.

    Notes
    -----
    Solves (spec §2.2, derived; square case: Pennington, Schoenholz & Ganguli 2018)
    ``z prod_l c_{l-1} y_l = sigma_w^{2L} psi^{L-1} (c_0 + psi)``, ``psi_{nu_l}(y_l) = psi / c_l``,
    ``G = (1 + psi) / z``, with nu_l the law of ``phi'(sqrt(q^l) g)^2`` and
    ``psi_nu(y) = E[y X / (1 - y X)]``.  For square layers this is the free multiplicative
    convolution ``(MP ⊠ nu_1) ⊠ ... ⊠ (MP ⊠ nu_L)``; `free_chain` builds the same law with
    `rmtlib.free.multiply` as an independent check.  Atom at 0:
    ``max(0, 1 - min(c_0, min_l c_l P(phi' != 0)))``; ``m_1 = prod_l chi_l``;
    ``m_2 / m_1^2 = 1/c_0 + sum_l E X_l^2 / (c_l (E X_l)^2)`` (spec §2.4).
    """
    depth = _validate.integer("depth", depth, low=1)
    sigma_w, sigma_b = _check_common(sigma_w, sigma_b)
    c = _ratios(width_ratios, depth)
    if q0 is not None:
        q0 = _validate.real("q0", q0, low=0.0)
    q = layer_variances(activation, depth=depth, sigma_w=sigma_w, sigma_b=sigma_b, q0=q0)
    nodes = [derivative_nodes(activation, ql) for ql in q]
    for l, (v, _) in enumerate(nodes):
        if v.size == 0:
            raise ValueError(f"phi' vanishes almost surely in layer {l + 1}: the Jacobian is 0")
    return JacobianLaw(_Chain(nodes, c, sigma_w), q, depth)


def free_chain(activation, *, depth, sigma_w, sigma_b, width_ratios=None, q0=None):
    """The same limit as `jacobian_law`, built with `rmtlib.free.multiply` (an independent solver).

    Parameters
    ----------
    activation, depth, sigma_w, sigma_b, width_ratios, q0
        As for `jacobian_law`; the hidden widths must not exceed the output width
        (``c_l <= 1`` for ``1 <= l < L``), the input width is free.

    Returns
    -------
    SpectralLaw
        ``MP(1/c_0, sigma_w^2) ⊠ MP(1, sigma_w^2)^(L-1) ⊠ nu~_1 ⊠ ... ⊠ nu~_L``.

    Notes
    -----
    Derived from the S-transform form of the spec (§2.2):
    ``S_mu(w) = c_0/(c_0 + w) sigma_w^(-2L) (1 + w)^(1-L) prod_l S_{nu~_l}(w)``, where
    ``nu~_l`` is the law of ``X_l / c_l`` with probability ``c_l`` and 0 otherwise (a thin layer
    acts as a projection of rank ``n_l``).  For square layers ``nu~_l = nu_l``, the law of
    ``phi'(sqrt(q^l) g)^2`` as a `GaussianPushforward`; otherwise a discrete `PointMasses`.
    """
    from . import free
    from .laws import MarchenkoPastur, PointMasses
    from .pushforward import GaussianPushforward

    depth = _validate.integer("depth", depth, low=1)
    sigma_w, sigma_b = _check_common(sigma_w, sigma_b)
    c = _ratios(width_ratios, depth)
    if np.any(c[1:-1] > 1.0):
        raise ValueError("free_chain needs hidden widths n_l <= n_L (width_ratios[1:-1] <= 1); use jacobian_law")
    q = layer_variances(activation, depth=depth, sigma_w=sigma_w, sigma_b=sigma_b, q0=q0)
    act = _activation(activation)
    factors = [MarchenkoPastur(1.0 / c[0], variance=sigma_w**2)]
    factors += [MarchenkoPastur(1.0, variance=sigma_w**2) for _ in range(depth - 1)]
    for l, ql in enumerate(q):
        cl = c[l + 1]
        if cl == 1.0:
            sq = math.sqrt(ql)
            factors.append(GaussianPushforward(lambda g, sq=sq: act.dphi(sq * g) ** 2 * np.ones_like(g),
                                               kinks=[k / sq for k in act.kinks] if sq > 0 else ()))
        else:
            v, w = derivative_nodes(activation, ql)
            factors.append(PointMasses(np.r_[0.0, v / cl], np.r_[1.0 - cl * w.sum(), cl * w]))
    return free.multiply(*factors)


# --------------------------------------------------------------------------------------------
# sampler
# --------------------------------------------------------------------------------------------
def _widths(widths, depth):
    if isinstance(widths, (int, np.integer)) and not isinstance(widths, bool):
        n = _validate.integer("widths", widths, low=1)
        return [n] * (depth + 1)
    ws = list(widths)
    if len(ws) != depth + 1:
        raise ValueError(f"widths must be one int or depth + 1 = {depth + 1} ints (n_0, ..., n_L), got {len(ws)}")
    return [_validate.integer(f"widths[{k}]", w, low=1) for k, w in enumerate(ws)]


def _entry_law(entries):
    from . import entries as entries_module

    if isinstance(entries, str):
        name, params = entries, {}
    elif isinstance(entries, (tuple, list)) and len(entries) == 2 and isinstance(entries[1], dict):
        name, params = entries
    else:
        raise ValueError("entries must be a law name of rmtlib.entries or a pair (name, {parameters})")
    entries_module.fourth_moment(name, **params)  # validates name and parameters
    return name, dict(params)


def sample_jacobian_spectrum(activation, *, depth, widths, sigma_w, sigma_b, entries="gaussian", x0=None,
                             rng, empirical_scale=False, method="svd"):
    """Eigenvalues of ``M_L = J_L J_L^T`` for one random network (squared singular values of J_L).

    Parameters
    ----------
    activation : str or (callable, callable)
        Activation name or a pair (phi, dphi).
    depth : int
        Number of layers L >= 1.
    widths : int or sequence of int
        One int for square layers, or ``(n_0, ..., n_L)``.
    sigma_w, sigma_b : float
        Weight scale (W^l = sigma_w X^l / sqrt(n_{l-1})) and bias standard deviation.
    entries : str or (str, dict), default "gaussian"
        Law of the entries of X^l: a name of `rmtlib.entries` or ``(name, {parameters})``, e.g.
        ``("student_t", {"nu": 5})``, ``("sparse", {"p": 0.1})``.
    x0 : array_like, optional
        Input vector of length n_0.  Default: a Gaussian (delocalised) vector rescaled to
        ``|x0|^2 / n_0 = (q* - sigma_b^2) / sigma_w^2``, which puts every layer at q*.  A localised
        input (e.g. ``sqrt(n_0 q0) e_1``) breaks universality for non-Gaussian weights (spec §6.4).
    rng : numpy.random.Generator or int
        Random source; the same seed gives the same eigenvalues.
    empirical_scale : bool, default False
        Divide each X^l by its empirical root mean square (for infinite-variance laws, spec §6).
    method : {"svd", "eigh"}, default "svd"
        ``"svd"``: squared singular values of J (accurate down to tiny eigenvalues, spec §7);
        ``"eigh"``: `eigvalsh` of the smaller Gram matrix (about 2.5 times faster, absolute error
        ~1e-16 lambda_max, so eigenvalues below ~1e-13 lambda_max are noise).

    Returns
    -------
    numpy.ndarray
        The n_L eigenvalues of M_L in ascending order (``n_L - n_0`` exact zeros when n_0 < n_L).

    Notes
    -----
    One matrix product per layer, ``J <- D_l (W^l J)``, then one SVD of the n_L x n_0 matrix J
    (squared singular values are accurate for tiny eigenvalues, where ``eigvalsh(J J^T)`` is not).
    Memory: W^l and J are dense float64, about ``8 (n_l n_{l-1} + 2 n_L n_0)`` bytes at the widest
    layer, i.e. ~24 n^2 bytes for square layers (2.4 GB at n = 10^4); time O(L n^3).
    """
    depth = _validate.integer("depth", depth, low=1)
    sigma_w, sigma_b = _check_common(sigma_w, sigma_b)
    ns = _widths(widths, depth)
    name, params = _entry_law(entries)
    method = _validate.choice("method", method, ("svd", "eigh"))
    act = _activation(activation)
    gen = _validate.as_generator(rng)
    if x0 is None:
        q_in = input_at(activation, sigma_w=sigma_w, sigma_b=sigma_b)
        x = gen.standard_normal(ns[0])
        x *= math.sqrt(q_in * ns[0]) / np.linalg.norm(x)
    else:
        x = _validate.real_array("x0", x0)
        if x.size != ns[0]:
            raise ValueError(f"x0 must have length n_0 = {ns[0]}, got {x.size}")
    from . import entries as entries_module

    J = None
    for l in range(1, depth + 1):
        X = entries_module.sample(name, (ns[l], ns[l - 1]), rng=gen, **params)
        if empirical_scale:
            X /= math.sqrt(np.mean(X * X))
        W = (sigma_w / math.sqrt(ns[l - 1])) * X
        h = W @ x + sigma_b * gen.standard_normal(ns[l])
        d = np.asarray(act.dphi(h), dtype=float) * np.ones(ns[l])
        J = W if J is None else W @ J
        J *= d[:, None]
        x = np.asarray(act.phi(h), dtype=float)
    eig = np.zeros(ns[-1])
    if method == "svd":
        eig[: min(J.shape)] = scipy.linalg.svdvals(J, overwrite_a=True, check_finite=False) ** 2
    else:
        gram = J @ J.T if J.shape[0] <= J.shape[1] else J.T @ J
        eig[: gram.shape[0]] = np.maximum(scipy.linalg.eigvalsh(gram, check_finite=False), 0.0)
    return np.sort(eig)


def limit_moments(activation, *, depth, sigma_w, sigma_b, width_ratios=None, q0=None):
    """First two moments ``(m_1, m_2)`` of the limit law, without solving for the law.

    Parameters
    ----------
    activation, depth, sigma_w, sigma_b, width_ratios, q0
        As for `jacobian_law`.

    Returns
    -------
    (float, float)

    Notes
    -----
    ``m_1 = prod_l chi_l``, ``m_2 / m_1^2 = 1/c_0 + sum_l E X_l^2 / (c_l (E X_l)^2)`` (spec §2.4,
    derived: normalised variances add under free multiplication).
    """
    depth = _validate.integer("depth", depth, low=1)
    sigma_w, sigma_b = _check_common(sigma_w, sigma_b)
    c = _ratios(width_ratios, depth)
    q = layer_variances(activation, depth=depth, sigma_w=sigma_w, sigma_b=sigma_b, q0=q0)
    ex, ex2 = [], []
    for ql in q:
        v, w = derivative_nodes(activation, ql)
        ex.append(np.dot(v, w))
        ex2.append(np.dot(v * v, w))
    ex, ex2 = np.array(ex), np.array(ex2)
    m1 = float(np.prod(sigma_w**2 * ex))
    return m1, m1**2 * (1.0 / c[0] + float(np.sum(ex2 / (c[1:] * ex**2))))
