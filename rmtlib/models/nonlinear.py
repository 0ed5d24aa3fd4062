"""The spectrum of f(WX): nonlinear random matrix theory (Pennington & Worah, NeurIPS 2017).

Model and normalization (spec ``papers/pennington_worah.md`` section 1): ``W`` is
``n1 x n0`` with entries of variance ``sigma_w**2 / n0``, ``X`` is ``n0 x m`` with entries of
variance ``sigma_x**2``, ``Y = f(WX)`` entrywise and ``M = Y Y^T / m`` (``n1 x n1``).  With
``phi = n0 / m`` and ``psi = n0 / n1`` the limiting spectral law of ``M`` depends on ``f``
only through

    eta  = E f(sigma xi)^2,    zeta = (E xi f(sigma xi))^2 = (sigma E f'(sigma xi))^2,

``xi ~ N(0, 1)``, ``sigma = sigma_w sigma_x`` (the second form by Stein's lemma, valid for
kinks and jumps).  Its Stieltjes transform is ``G(z) = (1 + psi u) / z`` with ``u`` the physical
root of the quartic of :mod:`rmtlib.quartic` (the paper's equation for ``P = 1 + u``, in the
spec's ``s = psi z`` form, section 2.1).  ``f`` must be centred, ``E f(sigma xi) = 0``.

Entry points: `eta_zeta`, `gram_law`, `training_loss`, the samplers `sample_gram`,
`sample_gram_equivalent` and the Monte Carlo twin `training_loss_mc`; spectra through several
layers are in :mod:`rmtlib.models.layers`.
"""

import functools
import itertools

import numpy as np

from rmtlib import activations, entries
from rmtlib._numerics import algebraic as quartic, gauss as _gauss, validate as _validate
from rmtlib.laws import MarchenkoPastur, SpectralLaw

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
    eta = E f(sigma xi)^2, zeta = (E xi f(sigma xi))^2 (spec section 1; Stein's form of
    zeta = (sigma E f'(sigma xi))^2, so no derivative is needed: sign, hard-tanh, ReLU).
    """
    sigma_w = _validate.positive("sigma_w", sigma_w)
    sigma_x = _validate.positive("sigma_x", sigma_x)
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
    act = _resolve(activation, kinks)
    mean, second, _ = gaussian_moments(act, sigma=sigma)
    if abs(mean) > _CENTRE_TOL * max(1.0, np.sqrt(second)):
        eta_zeta(activation, sigma_w=sigma, center=center, kinks=kinks)  # raises if not center
        return lambda x: act.phi(x) - mean
    return act.phi


# ---------------------------------------------------------------------------- the law
class PenningtonWorahLaw(SpectralLaw):
    """Limiting spectral law of M = f(WX) f(WX)^T / m (Pennington & Worah 2017).

    Parameters
    ----------
    eta, zeta : float
        The constants of `eta_zeta`, 0 <= zeta <= eta, eta > 0.
    phi, psi : float
        phi = n0 / m, psi = n0 / n1.

    Notes
    -----
    G(z) = (psi / z) P(1 / (z psi)) + (1 - psi) / z with P = 1 + u and u the physical root of
    Q(u) = (s u - a A)(s - b A) - b s A, s = psi z, A = (1 + phi u)(1 + psi u), a = eta - zeta,
    b = zeta (spec eq. of section 2.1, derived form of the paper's theorem).  Root choice:
    vertical continuation, `rmtlib.quartic`.  Atom at 0: max(0, 1 - psi/phi) for nonlinear f,
    max(0, 1 - psi, 1 - psi/phi) for linear f (section 2.4, derived).  Moments m1..m4 in
    closed form (section 2.5, derived).
    """

    def __init__(self, *, eta, zeta, phi, psi):
        self.eta = _validate.positive("eta", eta)
        self.zeta = _validate.real("zeta", zeta, low=0.0, high=self.eta)
        self.phi = _validate.positive("phi", phi)
        self.psi = _validate.positive("psi", psi)
        self.scale = quartic.spectral_scale(self.eta, self.zeta, self.phi, self.psi)
        self.linear = self.zeta == self.eta

    # -- raw evaluations
    def root(self, z):
        """Physical root u(z) and the root-separation ratios along each path."""
        return quartic.physical_root(z, eta=self.eta, zeta=self.zeta, phi=self.phi, psi=self.psi)

    def _track(self, z):
        return self.root(z)[0]

    def _stieltjes(self, z):
        z = np.asarray(z, dtype=complex)
        tiny = np.abs(z) < 1e-300
        zz = np.where(tiny, 1.0, z)
        g = (1.0 + self.psi * self._track(zz)) / zz
        return np.where(tiny, complex(np.nan, np.nan), g)

    def _raw_density(self, x):
        u = self._track(x.astype(complex))
        return np.maximum(-self.psi * u.imag / (np.pi * x), 0.0)

    def _density(self, x):
        x = np.asarray(x, dtype=float)
        out = np.zeros_like(x)
        low = self.support[0][0] if self.support else np.inf
        if low == 0.0:
            fit = self._hard_edge_fit()
            near = (x > 0) & (x < fit[0])
            t = x[near] ** (1.0 / fit[1])
            out[near] = np.polyval(fit[2], t) / t ** (fit[1] - 1)
            direct = x >= fit[0]
        else:
            direct = x >= low
        if np.any(direct):
            out[direct] = self._raw_density(x[direct])
        return out

    @functools.cached_property
    def _hard_edge_fit_cache(self):
        # rho = x^(-(p-1)/p) h(x^(1/p)) with h analytic: p = 2 (rho ~ x^(-1/2), c = 1), p = 3 for the
        # linear square case (x^(-2/3)); h is fitted on [t_f, 2 t_f] and used below x_f, where the
        # clustered roots of Q near s = 0 make the direct evaluation lose digits.
        p = 3 if (self.linear and self.phi == 1.0 and self.psi == 1.0) else 2
        xf = 1e-4 * self.scale
        t = xf ** (1.0 / p) * np.linspace(1.0, 2.0, 6)
        h = self._raw_density(t**p) * t ** (p - 1)
        return xf, p, np.polyfit(t, h, 5)

    def _hard_edge_fit(self):
        return self._hard_edge_fit_cache

    def _atoms(self):
        cands = [0.0, 1.0 - self.psi / self.phi]
        if self.linear:
            cands.append(1.0 - self.psi)
        mass = max(cands)
        return ((0.0, mass),) if mass > 0.0 else ()

    def _inside(self, x):
        u = self._track(np.asarray(x, dtype=float).astype(complex))
        return np.abs(u.imag) > 1e-9 * (1.0 + np.abs(u))

    def _support(self):
        c, r = self.phi / self.psi, 1.0 / self.psi
        xmax = 1.5 * self.eta * (1 + np.sqrt(c)) ** 2 * (1 + np.sqrt(r)) ** 2
        low = 1e-7 * self.scale
        grid = np.unique(np.concatenate([np.geomspace(low, xmax, 1500), np.linspace(low, xmax, 1500)]))
        inside = self._inside(grid)
        if inside[-1]:
            raise RuntimeError(f"{self!r}: spectrum extends beyond the scan limit {xmax:g}")
        flips = np.flatnonzero(np.diff(inside.astype(int)))
        edges = [self._bisect(grid[i], grid[i + 1], bool(inside[i])) for i in flips]
        if inside[0]:
            edges = [0.0] + edges
        return [(edges[i], edges[i + 1]) for i in range(0, len(edges), 2)]

    def _bisect(self, lo, hi, lo_inside):
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            if mid in (lo, hi):
                break
            if bool(self._inside(np.array([mid]))[0]) == lo_inside:
                lo = mid
            else:
                hi = mid
        return 0.5 * (lo + hi)

    def _moment(self, k):
        eta, zeta = self.eta, self.zeta
        c, r = self.phi / self.psi, 1.0 / self.psi
        if k == 0:
            return 1.0
        if k == 1:
            return eta
        if k == 2:
            return eta**2 * (1 + c) + r * zeta**2
        if k == 3:
            return eta**3 * (1 + 3 * c + c**2) + 3 * eta * zeta**2 * r * (1 + c) + r**2 * zeta**3
        if k == 4:
            return (eta**4 * (1 + c) * (1 + 5 * c + c**2) + 2 * eta**2 * zeta**2 * r * (3 + 8 * c + 3 * c**2)
                    + 4 * eta * zeta**3 * r**2 * (1 + c) + zeta**4 * r**2 * (2 + 2 * c + r))
        return None

    def stieltjes_derivative(self, z):
        """G'(z) by implicit differentiation of the quartic along the physical root."""
        z = np.asarray(z, dtype=complex)
        u = self._track(z)
        s = self.psi * z
        du_ds = quartic.derivative_u(u, s, eta=self.eta, zeta=self.zeta, phi=self.phi, psi=self.psi)
        return self.psi**2 * du_ds / z - (1.0 + self.psi * u) / z**2

    def __repr__(self):
        return (f"PenningtonWorahLaw(eta={self.eta:.6g}, zeta={self.zeta:.6g}, "
                f"phi={self.phi:g}, psi={self.psi:g})")


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


# ---------------------------------------------------------------------------- memorization
def training_loss(gamma, *, eta, zeta, phi, psi):
    """Limiting training loss of ridge regression on random features, random targets.

    Parameters
    ----------
    gamma : float or array_like
        Ridge parameter(s), > 0.
    eta, zeta, phi, psi : float
        As in `gram_law`.

    Returns
    -------
    float or ndarray

    Notes
    -----
    E_train(gamma) = (1 - c) - c gamma^2 G'(-gamma), c = phi / psi = n1 / m, i.e.
    (gamma^2 / m) tr (K + gamma)^-2 with K = F^T F / m (derived, spec section 5.2).
    G' by implicit differentiation of the quartic on the physical branch.
    """
    g = np.asarray(gamma, dtype=float)
    if g.size == 0 or not np.all(np.isfinite(g)) or np.any(g <= 0):
        raise ValueError(f"gamma must be finite and > 0, got {gamma!r}")
    law = PenningtonWorahLaw(eta=eta, zeta=zeta, phi=phi, psi=psi)
    c = law.phi / law.psi
    dg = law.stieltjes_derivative(-g.ravel() + 0j).real
    out = (1.0 - c) - c * g.ravel() ** 2 * dg
    return out.reshape(g.shape) if g.ndim else float(out[0])


# ---------------------------------------------------------------------------- samplers
def _dims(n0, n1, m):
    return (_validate.integer("n0", n0, low=1), _validate.integer("n1", n1, low=1),
            _validate.integer("m", m, low=1))


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
    over i.i.d. N(0, 1) targets of the ridge training loss is exactly this trace (spec 5.2).
    """
    g = np.atleast_1d(np.asarray(gamma, dtype=float))
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
    n2 = _validate.integer("n2", n2, low=1)
    gen = _validate.as_generator(rng)
    F = sample_features(activation, n0=n0, n1=n1, m=m, rng=gen, sigma_w=sigma_w, sigma_x=sigma_x,
                        center=center)
    T = gen.standard_normal((n2, m))
    W2 = np.linalg.solve(F @ F.T / m + gamma * np.eye(n1), F @ T.T / m)
    return float(np.sum((T - W2.T @ F) ** 2) / (n2 * m))
