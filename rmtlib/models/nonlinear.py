"""The spectrum of f(WX): nonlinear random matrix theory (Pennington & Worah, NeurIPS 2017).

Model and normalization (book/derivations.md, eq. (alg-pw-model)): ``W`` is
``n1 x n0`` with entries of variance ``sigma_w**2 / n0``, ``X`` is ``n0 x m`` with entries of
variance ``sigma_x**2``, ``Y = f(WX)`` entrywise and ``M = Y Y^T / m`` (``n1 x n1``).  With
``phi = n0 / m`` and ``psi = n0 / n1`` the limiting spectral law of ``M`` depends on ``f``
only through

    eta  = E f(sigma xi)^2,    zeta = (E xi f(sigma xi))^2 = (sigma E f'(sigma xi))^2,

``xi ~ N(0, 1)``, ``sigma = sigma_w sigma_x`` (the second form by Stein's lemma, valid for
kinks and jumps; book/derivations.md, eq. (alg-pw-eta-zeta)).  The law itself,
:class:`PenningtonWorahLaw`, and :func:`training_loss` live in
:mod:`rmtlib.models.pennington_worah` and are re-exported here.  ``f`` must be centred,
``E f(sigma xi) = 0``.

Entry points: `eta_zeta`, `gram_law`, `training_loss`, the samplers `sample_gram`,
`sample_gram_equivalent` and the Monte Carlo twin `training_loss_mc`; spectra through several
layers are in :mod:`rmtlib.models.layers`.
"""

import itertools

import numpy as np

from rmtlib import activations, entries
from rmtlib._numerics import gauss as _gauss, validate as _validate
from rmtlib.models.pennington_worah import PenningtonWorahLaw, physical_root, training_loss

__all__ = ["PenningtonWorahLaw", "eta_zeta", "gaussian_moments", "gram_law", "physical_root",
           "ridge_training_loss", "sample_features", "sample_gram", "sample_gram_equivalent",
           "training_loss", "training_loss_mc"]

_QUAD_HALF_WIDTH = 14.0  # Gaussian weight beyond 14 standard deviations is below 1e-43
_QUAD_PIECE = 0.5
_QUAD_NODES = 30
_CENTRE_TOL = 1e-10
_UNCENTRED = {"relu": "relu_centered"}


# ---------------------------------------------------------------------------- eta and zeta
def _gauss_nodes(breaks):
    """Composite Gauss-Legendre nodes/weights for integral of g(x) phi(x) dx, split at `breaks`."""
    pts = [-_QUAD_HALF_WIDTH, _QUAD_HALF_WIDTH]
    pts += [b for b in breaks if abs(b) < _QUAD_HALF_WIDTH]
    pts = np.unique(pts)
    edges = [pts[0]]
    for lo, hi in itertools.pairwise(pts):
        k = max(1, int(np.ceil((hi - lo) / _QUAD_PIECE)))
        edges.extend(np.linspace(lo, hi, k + 1)[1:])
    return _gauss.panel_nodes(edges, _QUAD_NODES)


def _resolve(activation, kinks):
    kinks = tuple(_validate.real_array("kinks", kinks, ndim=None).ravel())
    if callable(activation) and not isinstance(activation, activations.Activation):
        act = activations.Activation("custom", activation, None, tuple(kinks), "user-supplied")
    else:
        act = activations.get(activation)
        if kinks:
            act = activations.Activation(act.name, act.phi, act.dphi, tuple(act.kinks) + tuple(kinks),
                                         act.description)
    return act


def gaussian_moments(activation, *, sigma=1.0, kinks=()):
    """Return (E f, E f^2, E xi f) for f(sigma xi), xi ~ N(0, 1), by split Gauss-Legendre quadrature.

    Parameters
    ----------
    activation : str, Activation, (phi, dphi) pair or callable
        The activation (a registry name of `rmtlib.activations`, or callables).
    sigma : float
        Standard deviation of the pre-activation, sigma_w sigma_x.
    kinks : sequence of float
        Extra points (in pre-activation units) where f is not smooth.

    Returns
    -------
    tuple of float

    Notes
    -----
    Composite 30-point Gauss-Legendre on [-14, 14] in xi, split at the kinks / sigma and into
    pieces of length <= 1/2: exact to rounding for entire integrands and for piecewise
    polynomials (the split removes the O(1/n) error of plain Gauss-Hermite at a kink).
    """
    sigma = _validate.positive("sigma", sigma)
    act = _resolve(activation, kinks)
    x, w = _gauss_nodes([k / sigma for k in act.kinks])
    fx = np.asarray(act.phi(sigma * x), dtype=float)
    return float(w @ fx), float(w @ fx**2), float(w @ (x * fx))


def eta_zeta(activation, *, sigma_w=1.0, sigma_x=1.0, center=False, kinks=()):
    """The two constants (eta, zeta) through which f enters the limiting spectrum.

    Parameters
    ----------
    activation : str, Activation, (phi, dphi) pair or callable
        A centred activation (registry name, e.g. ``"tanh"``, ``"relu_centered"``).
    sigma_w, sigma_x : float
        Weight and data scales; only the product sigma = sigma_w sigma_x matters.
    center : bool
        If True, an uncentred f is replaced by f - E f(sigma xi) (which leaves zeta unchanged
        and lowers eta by (E f)^2). If False (default) an uncentred f is refused.
    kinks : sequence of float
        Extra non-smooth points of f (in pre-activation units) for callables.

    Returns
    -------
    (eta, zeta) : tuple of float

    Notes
    -----
    eta = E f(sigma xi)^2, zeta = (E xi f(sigma xi))^2 (book/derivations.md, eq. (alg-pw-eta-zeta);
    Stein's form of
    zeta = (sigma E f'(sigma xi))^2, so no derivative is needed: sign, hard-tanh, ReLU).
    """
    sigma_w, sigma_x = _validate.positive("sigma_w", sigma_w), _validate.positive("sigma_x", sigma_x)
    center = _validate.choice("center", center, (True, False))
    mean, second, first = gaussian_moments(activation, sigma=sigma_w * sigma_x, kinks=kinks)
    if abs(mean) > _CENTRE_TOL * max(1.0, np.sqrt(second)):
        if not center:
            name = activation if isinstance(activation, str) else "this activation"
            hint = f"use {_UNCENTRED[activation]!r}, or " if activation in _UNCENTRED else "use "
            raise ValueError(
                f"{name} is not centred: E f(sigma xi) = {mean:.6g} at sigma = {sigma_w * sigma_x:g}; "
                f"{hint}center=True to subtract the mean (the law is unchanged, one outlier "
                "~ n1 (E f)^2 is removed)"
            )
        second -= mean**2
    if abs(first) < 1e-14 * np.sqrt(second):
        first = 0.0  # an even f: zeta vanishes exactly (quadrature leaves ~1e-17)
    return second, first**2


def _centred_phi(activation, *, sigma, center, kinks=()):
    """Vectorized f (centred if asked), validated by the same rule as `eta_zeta`."""
    center, act = _validate.choice("center", center, (True, False)), _resolve(activation, kinks)
    mean, second, _ = gaussian_moments(act, sigma=sigma)
    if abs(mean) > _CENTRE_TOL * max(1.0, np.sqrt(second)):
        eta_zeta(activation, sigma_w=sigma, center=center, kinks=kinks)  # raises if not center
        return lambda x: act.phi(x) - mean
    return act.phi


# ---------------------------------------------------------------------------- the law
def gram_law(activation=None, *, phi, psi, eta=None, zeta=None, sigma_w=1.0, sigma_x=1.0, center=False):
    """Limiting spectral law of M = f(WX) f(WX)^T / m.

    Parameters
    ----------
    activation : str, Activation, pair or callable, optional
        The activation; omit it and pass `eta`, `zeta` instead.
    phi, psi : float
        phi = n0 / m, psi = n0 / n1 (both > 0).
    eta, zeta : float, optional
        The constants of `eta_zeta` (only without `activation`).
    sigma_w, sigma_x : float
        Scales (only with `activation`).
    center : bool
        Passed to `eta_zeta`.

    Returns
    -------
    PenningtonWorahLaw
        A `SpectralLaw` (Stieltjes transform, density, atom at 0, support, cdf, moments).
    """
    phi = _validate.positive("phi", phi)
    psi = _validate.positive("psi", psi)
    if activation is not None:
        if eta is not None or zeta is not None:
            raise ValueError("pass either an activation or (eta, zeta), not both")
        eta, zeta = eta_zeta(activation, sigma_w=sigma_w, sigma_x=sigma_x, center=center)
    elif eta is None or zeta is None:
        raise ValueError("gram_law needs an activation or both eta and zeta")
    return PenningtonWorahLaw(eta=eta, zeta=zeta, phi=phi, psi=psi)


# ---------------------------------------------------------------------------- samplers
def _dims(n0, n1, m):
    return _validate.dimension("n0", n0), _validate.dimension("n1", n1), _validate.dimension("m", m)


def sample_features(activation, *, n0, n1, m, rng, sigma_w=1.0, sigma_x=1.0, w_entries="gaussian",
                    x_entries="gaussian", center=False):
    """Draw Y = f(WX) (n1 x m); W entries sigma_w / sqrt(n0) times a unit law, X entries sigma_x times one.

    Parameters
    ----------
    activation : str, Activation, pair or callable
    n0, n1, m : int
    rng : Generator or int
    sigma_w, sigma_x : float
    w_entries, x_entries : str or (str, dict)
        Entry laws of `rmtlib.entries` (unit variance), e.g. ``"rademacher"`` or
        ``("student_t", {"nu": 5})``.
    center : bool
        Subtract E f(sigma xi) from an uncentred f (otherwise it is refused).

    Returns
    -------
    ndarray, shape (n1, m)
    """
    n0, n1, m = _dims(n0, n1, m)
    sigma_w = _validate.positive("sigma_w", sigma_w)
    sigma_x = _validate.positive("sigma_x", sigma_x)
    f = _centred_phi(activation, sigma=sigma_w * sigma_x, center=center)
    gen = _validate.as_generator(rng)
    wname, wpar = entries.resolve(w_entries, name="w_entries")
    xname, xpar = entries.resolve(x_entries, name="x_entries")
    W = entries.sample(wname, (n1, n0), rng=gen, **wpar) * (sigma_w / np.sqrt(n0))
    X = entries.sample(xname, (n0, m), rng=gen, **xpar) * sigma_x
    return np.asarray(f(W @ X), dtype=float)


def _gram_eigenvalues(Y):
    m = Y.shape[1]
    return np.linalg.eigvalsh(Y @ Y.T / m)


def sample_gram(activation, *, n0, n1, m, rng, sigma_w=1.0, sigma_x=1.0, w_entries="gaussian",
                x_entries="gaussian", center=False):
    """Eigenvalues of M = f(WX) f(WX)^T / m (see `sample_features` for the parameters).

    Returns
    -------
    ndarray, shape (n1,)
    """
    Y = sample_features(activation, n0=n0, n1=n1, m=m, rng=rng, sigma_w=sigma_w, sigma_x=sigma_x,
                        w_entries=w_entries, x_entries=x_entries, center=center)
    return _gram_eigenvalues(Y)


def sample_gram_equivalent(*, eta, zeta, n0, n1, m, rng):
    """Eigenvalues for the Gaussian-equivalent model Y = sqrt(zeta) W X + sqrt(eta - zeta) Z.

    Parameters
    ----------
    eta, zeta : float
        0 <= zeta <= eta.
    n0, n1, m : int
    rng : Generator or int

    Returns
    -------
    ndarray, shape (n1,)

    Notes
    -----
    W (n1 x n0) with N(0, 1/n0) entries, X (n0 x m) and Z (n1 x m) standard Gaussian; same
    limiting law as f(WX) (Péché 2019).
    """
    eta = _validate.positive("eta", eta)
    zeta = _validate.real("zeta", zeta, low=0.0, high=eta)
    n0, n1, m = _dims(n0, n1, m)
    gen = _validate.as_generator(rng)
    W = gen.standard_normal((n1, n0)) / np.sqrt(n0)
    X = gen.standard_normal((n0, m))
    Z = gen.standard_normal((n1, m))
    return _gram_eigenvalues(np.sqrt(zeta) * (W @ X) + np.sqrt(eta - zeta) * Z)


def training_loss_mc(activation, gamma, *, n0, n1, m, rng, sigma_w=1.0, sigma_x=1.0, center=False):
    """Target-averaged training loss (gamma^2 / m) tr (K + gamma)^-2 for one draw of the features.

    Parameters
    ----------
    activation : str, Activation, pair or callable
    gamma : float or array_like (> 0)
    n0, n1, m : int
    rng : Generator or int

    Returns
    -------
    ndarray, one value per gamma

    Notes
    -----
    K = F^T F / m has the eigenvalues of M with the multiplicity of 0 changed by m - n1; the expectation
    over i.i.d. N(0, 1) targets of the ridge training loss is exactly this trace
    (book/derivations.md, eq. (alg-pw-loss)).
    """
    g = np.atleast_1d(_validate.real_array("gamma", gamma, ndim=None, finite=False))
    if not np.all(np.isfinite(g)) or np.any(g <= 0):
        raise ValueError(f"gamma must be finite and > 0, got {gamma!r}")
    ev = np.clip(sample_gram(activation, n0=n0, n1=n1, m=m, rng=rng, sigma_w=sigma_w, sigma_x=sigma_x,
                             center=center), 0.0, None)
    # K (m x m) and M (n1 x n1) share their non-zero eigenvalues; each zero of K contributes 1
    extra = m - ev.size
    return (np.sum(g[:, None] ** 2 / (ev[None, :] + g[:, None]) ** 2, axis=1) + extra) / m


def ridge_training_loss(activation, gamma, *, n0, n1, m, n2, rng, sigma_w=1.0, sigma_x=1.0, center=False):
    """Training loss of an explicit ridge fit of n2 random N(0, 1) targets on f(W1 X) features.

    Returns
    -------
    float
        (1 / (n2 m)) ||Y - W2*^T F||_F^2 with W2* = (F F^T / m + gamma I)^-1 F Y^T / m.
    """
    gamma = _validate.positive("gamma", gamma)
    n2 = _validate.dimension("n2", n2)
    gen = _validate.as_generator(rng)
    F = sample_features(activation, n0=n0, n1=n1, m=m, rng=gen, sigma_w=sigma_w, sigma_x=sigma_x,
                        center=center)
    T = gen.standard_normal((n2, m))
    W2 = np.linalg.solve(F @ F.T / m + gamma * np.eye(n1), F @ T.T / m)
    return float(np.sum((T - W2.T @ F) ** 2) / (n2 * m))
