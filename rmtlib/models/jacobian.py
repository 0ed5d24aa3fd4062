"""Input-output Jacobian of a deep random network: sampler, mean-field theory and limiting law.

Model (Pastur & Slavin 2020, §1): layers ``l = 1..L`` of widths ``(n_0, ..., n_L)``,

    h^l = W^l x^{l-1} + b^l,   x^l = phi(h^l),   W^l = sigma_w X^l / sqrt(n_{l-1}),

``X^l`` of shape ``n_l x n_{l-1}`` with i.i.d. zero-mean unit-variance entries (fan-in normalisation),
``b^l`` i.i.d. ``N(0, sigma_b^2)``.  The Jacobian is ``J_L = D_L W^L ... D_1 W^1`` with
``D_l = diag(phi'(h^l))`` and the matrix studied is ``M_L = J_L J_L^T`` (``n_L x n_L``).

Theory (standard mean field and free probability, derived for the book in book/derivations.md,
eqs. (jac-length-map) to (jac-moments); it agrees with the papers' statement that the limit is the
Gaussian one):

* length map ``q^1 = sigma_w^2 q^0 + sigma_b^2``, ``q^l = sigma_w^2 E phi(sqrt(q^{l-1}) g)^2 + sigma_b^2``;
* per-layer law ``nu_l`` = law of ``phi'(sqrt(q^l) g)^2``, ``g ~ N(0, 1)``;
* the limit ``mu_L`` of the eigenvalue distribution of ``M_L`` solves, with ``c_l = n_l / n_L``,
  ``z prod_l c_{l-1} y_l = sigma_w^{2L} psi^{L-1} (c_0 + psi)``, ``psi_{nu_l}(y_l) = psi / c_l``,
  ``G(z) = (1 + psi) / z``; for square layers this is
  ``(MP ⊠ nu_1) ⊠ ... ⊠ (MP ⊠ nu_L)`` (Pennington, Schoenholz & Ganguli 2017, 2018).

Gaussian integrals are computed by composite Gauss-Legendre quadrature split at the kinks of
``phi`` (plain Gauss-Hermite is not accurate enough for ReLU or hard-tanh).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.linalg

from rmtlib import entries as _entries, free
from rmtlib._numerics import validate as _validate
from rmtlib._numerics.jacobian_solver import _Chain
from rmtlib.laws import MarchenkoPastur, PointMasses
from rmtlib.models.mean_field import (_activation, _check_common, derivative_nodes, fixed_point, input_at,
                                      layer_variances)
from rmtlib.pushforward import GaussianPushforward
from rmtlib.spectral_law import SpectralLaw

__all__ = [
    "JacobianLaw",
    "fixed_point",
    "free_chain",
    "input_at",
    "jacobian_law",
    "layer_variances",
    "limit_moments",
    "sample_jacobian_spectrum",
]


class JacobianLaw(SpectralLaw):
    """Limiting eigenvalue law of ``M_L = J_L J_L^T`` (a SpectralLaw; build it with `jacobian_law`).

    The Stieltjes transform comes from the log-form Newton solver with continuation from
    z = infinity (book/derivations.md, eq. (jac-psi-system)); densities on the real axis march from
    neighbour to neighbour and fall back to that continuation.  The atom at 0, the upper edge and
    the first two moments are exact (eqs. (jac-atom), (jac-edge), (jac-moments)).  The CDF and the
    higher moments come from the shared adaptive quadrature tables of `SpectralLaw`, integrated
    top-down from the upper edge: their panels are graded geometrically down to 1e-40 of the width
    at the hard edge 0, which resolves the singular density (like ``x^(-L/(L+1))`` for tanh) far
    below the smallest eigenvalue of any simulated network.

    Attributes
    ----------
    q : numpy.ndarray
        Pre-activation variances ``q^1..q^L`` used for the per-layer laws.
    width_ratios : numpy.ndarray
        ``(c_0, ..., c_L)``, ``c_l = n_l / n_L``.
    upper_edge, lower_edge : float
        Edges of the absolutely continuous part (lower edge 0 when it reaches 0).
    """

    def __init__(self, chain, q, depth):
        self._chain = _validate.instance("chain", chain, _Chain)
        self.depth = _validate.integer("depth", depth, low=1, high=_validate.MAX_DEPTH)
        self.q = _validate.real_array("q", q)
        if self.q.size != depth or np.any(self.q < 0):
            raise ValueError(f"q must hold depth = {depth} non-negative variances, got {q!r:.60}")
        self.width_ratios = chain.c.copy()
        c = chain.c
        rank = min(c[0], float(np.min(c[1:] * chain.p)))
        self._atom0 = max(0.0, 1.0 - rank)
        if self._atom0 < 1e-13:
            self._atom0 = 0.0
        self.upper_edge = chain.upper_edge()
        self.lower_edge = self._find_lower_edge()

    # -- hooks of SpectralLaw --------------------------------------------------------------
    def psi(self, z):
        """``psi(z) = z G(z) - 1`` (the moment-generating function at 1/z)."""
        return self._chain.psi(z)[0]

    def _stieltjes(self, z):
        z = np.asarray(z, dtype=complex)
        return (1.0 + self.psi(z)) / z

    def _density(self, x):
        x = np.asarray(x, dtype=float)
        out = np.zeros(x.shape)
        inside = (x > 0) & (x < self.upper_edge) & (x > self.lower_edge)
        if np.any(inside):
            xs = x[inside]
            out[inside] = np.maximum(-self._chain.psi_real(xs)[0].imag / (np.pi * xs), 0.0)
        return out

    def _atoms(self):
        return ((0.0, self._atom0),) if self._atom0 > 0 else ()

    def _support(self):
        return [(self.lower_edge, self.upper_edge)]

    def _moment(self, k):
        ch = self._chain
        if k == 0:
            return 1.0
        if k == 1:
            return ch.m1
        if k == 2:
            ratio = 1.0 / ch.c[0] + float(np.sum(ch.ex2 / (ch.c[1:] * ch.ex**2)))
            return ch.m1**2 * ratio
        return None  # the base class integrates its quadrature table

    @property
    def chi(self):
        """Per-layer order-chaos parameters ``sigma_w^2 E X_l``."""
        return self._chain.sigma_w**2 * self._chain.ex

    def _find_lower_edge(self):
        """0 when the density reaches 0; else the edge of the gap [0, lambda_-) (bisection)."""
        b = self.upper_edge
        probe = 1e-9 * b

        def in_gap(x):
            return abs(self.psi(np.array([complex(x)]))[0].imag) < 1e-13

        if not in_gap(probe):
            return 0.0
        lo, hi = probe, b
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            if in_gap(mid):
                lo = mid
            else:
                hi = mid
        return lo

    def __repr__(self):
        return (f"JacobianLaw(depth={self.depth}, q={np.round(self.q, 6).tolist()}, "
                f"width_ratios={self.width_ratios.tolist()}, atom={self._atom0:.6g}, "
                f"edges=({self.lower_edge:.6g}, {self.upper_edge:.6g}))")


# --------------------------------------------------------------------------------------------
# public constructors
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
    Solves (book/derivations.md, eq. (jac-psi-system); square case: Pennington, Schoenholz & Ganguli 2018)
    ``z prod_l c_{l-1} y_l = sigma_w^{2L} psi^{L-1} (c_0 + psi)``, ``psi_{nu_l}(y_l) = psi / c_l``,
    ``G = (1 + psi) / z``, with nu_l the law of ``phi'(sqrt(q^l) g)^2`` and
    ``psi_nu(y) = E[y X / (1 - y X)]``.  For square layers this is the free multiplicative
    convolution ``(MP ⊠ nu_1) ⊠ ... ⊠ (MP ⊠ nu_L)``; `free_chain` builds the same law with
    `rmtlib.free.multiply` as an independent check.  Atom at 0:
    ``max(0, 1 - min(c_0, min_l c_l P(phi' != 0)))``; ``m_1 = prod_l chi_l``;
    ``m_2 / m_1^2 = 1/c_0 + sum_l E X_l^2 / (c_l (E X_l)^2)`` (eqs. (jac-atom), (jac-moments)).
    """
    depth = _validate.integer("depth", depth, low=1, high=_validate.MAX_DEPTH)
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
    The S-transform form of the same system (book/derivations.md, eq. (jac-s-transform)):
    ``S_mu(w) = c_0/(c_0 + w) sigma_w^(-2L) (1 + w)^(1-L) prod_l S_{nu~_l}(w)``, where
    ``nu~_l`` is the law of ``X_l / c_l`` with probability ``c_l`` and 0 otherwise (a thin layer
    acts as a projection of rank ``n_l``).  For square layers ``nu~_l = nu_l``, the law of
    ``phi'(sqrt(q^l) g)^2`` as a `GaussianPushforward`; otherwise a discrete `PointMasses`.
    """
    depth = _validate.integer("depth", depth, low=1, high=_validate.MAX_DEPTH)
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
        n = _validate.dimension("widths", widths)
        return [n] * (depth + 1)
    ws = list(widths) if isinstance(widths, (tuple, list, np.ndarray)) else None
    if ws is None or len(ws) != depth + 1:
        raise ValueError(f"widths must be one int or depth + 1 = {depth + 1} ints (n_0, ..., n_L), got {widths!r:.60}")
    return [_validate.dimension(f"widths[{k}]", w) for k, w in enumerate(ws)]


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
        input (e.g. ``sqrt(n_0 q0) e_1``) breaks universality for non-Gaussian weights.
    rng : numpy.random.Generator or int
        Random source; the same seed gives the same eigenvalues.
    empirical_scale : bool, default False
        Divide each X^l by its empirical root mean square (for infinite-variance laws).
    method : {"svd", "eigh"}, default "svd"
        ``"svd"``: squared singular values of J (accurate down to tiny eigenvalues);
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
    depth = _validate.integer("depth", depth, low=1, high=_validate.MAX_DEPTH)
    sigma_w, sigma_b = _check_common(sigma_w, sigma_b)
    ns = _widths(widths, depth)
    name, params = _entries.resolve(entries, name="entries")
    empirical_scale = _validate.choice("empirical_scale", empirical_scale, (True, False))
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
    J = None
    for l in range(1, depth + 1):
        W = np.asarray(_entries.sample(name, (ns[l], ns[l - 1]), rng=gen, **params), dtype=float)
        if empirical_scale:
            W /= math.sqrt(np.mean(W * W))
        W *= sigma_w / math.sqrt(ns[l - 1])  # in place: W^l = sigma_w X^l / sqrt(n_{l-1}), no copy of X
        h = W @ x
        h += sigma_b * gen.standard_normal(ns[l])
        d = np.broadcast_to(np.asarray(act.dphi(h), dtype=float), (ns[l],))
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
    ``m_1 = prod_l chi_l``, ``m_2 / m_1^2 = 1/c_0 + sum_l E X_l^2 / (c_l (E X_l)^2)`` (book/derivations.md,
    eq. (jac-moments): normalised variances add under free multiplication).
    """
    depth = _validate.integer("depth", depth, low=1, high=_validate.MAX_DEPTH)
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
