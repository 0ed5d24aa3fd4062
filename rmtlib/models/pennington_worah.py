"""The Pennington-Worah law: limiting spectrum of M = f(WX) f(WX)^T / m as an algebraic law.

The Stieltjes transform is ``G(z) = (1 + psi u) / z`` with ``u`` the physical root of

    Q(u) = (s u - a A(u)) (s - b A(u)) - b s A(u),   s = psi z,
    A(u) = (1 + phi u)(1 + psi u),  a = eta - zeta,  b = zeta,

the form in ``s`` derived for this book from the equation for ``P = 1 + u`` of Pennington and
Worah (2017, Theorem 1) (book/derivations.md, eqs. (alg-pw-theorem), (alg-pw-quartic)).  ``Q`` is
a quartic for ``0 < zeta < eta``; divided by ``s`` it is a quadratic when ``zeta = 0`` and a cubic
when ``zeta = eta`` (eq. (alg-pw-reduced)).  The root is followed by the guarded path of
``rmtlib._numerics.algebraic`` (the roots of ``Q`` cluster near ``z = 0``), from
``y0 = 50 Lambda`` above the spectrum, on the branch ``u ~ eta / s``.

Entry points (re-exported by :mod:`rmtlib.models.nonlinear`): :class:`PenningtonWorahLaw`,
:func:`training_loss`, :func:`physical_root`.
"""

import functools

import numpy as np

from rmtlib._numerics import algebraic as _alg, validate as _validate
from rmtlib.laws import SpectralLaw

__all__ = ["PenningtonWorahLaw", "derivative_u", "physical_root", "quartic_branch", "spectral_scale",
           "training_loss"]


def _params(eta, zeta, phi, psi):
    """Validate (eta, zeta, phi, psi): eta > 0, 0 <= zeta <= eta, phi > 0, psi > 0."""
    eta = _validate.positive("eta", eta)
    zeta = _validate.real("zeta", zeta, low=0.0, high=eta)
    return eta, zeta, _validate.positive("phi", phi), _validate.positive("psi", psi)


def quartic_branch(eta, zeta, phi, psi):
    """The polynomial ``Q(u)`` in ``w = psi z (+ shift)`` and its branch ``u ~ eta / (psi z)``.

    Parameters
    ----------
    eta, zeta, phi, psi : float
        As in :class:`PenningtonWorahLaw`.

    Returns
    -------
    object
        The branch (``rmtlib._numerics.algebraic.AlgebraicBranch``) that ``follow`` tracks.

    Notes
    -----
    Coefficients of book/derivations.md, eqs. (alg-pw-quartic) and (alg-pw-reduced), written in the
    rounding order of their expansion; the cubic's linear coefficient ``s - eta (phi + psi) - zeta``
    is carried by the affine variable ``w = s - eta (phi + psi)``.
    """
    eta, zeta, phi, psi = _params(eta, zeta, phi, psi)
    a, b = float(eta - zeta), float(zeta)
    e = a + b
    ones, mu = np.ones(5), 0.0
    if b <= 1e-50 * e:  # zeta = 0, or so small (< 1e-50 eta) that products of b underflow in the tracker
        rows = [[-e, 0.0], [-e * (phi + psi), 1.0], [-e * phi * psi, 0.0]]
    elif a == 0.0:  # linear activation: cubic after dividing by s
        mu = -(e * (phi + psi))
        rows = [[-e, 0.0], [-b, 1.0], [-(e * phi * psi + b * (phi + psi)), 0.0], [-b * phi * psi, 0.0]]
    else:
        rows = [[a * b, -e, 0.0],
                [2.0 * a * b * (phi + psi), -(e * (phi + psi) + b), 1.0],
                [a * b * (phi * phi + 4.0 * phi * psi + psi * psi), -(e * phi * psi + b * (phi + psi)), 0.0],
                [2.0 * a * (phi + psi), -1.0, 0.0],
                [a * b * phi * phi * psi * psi, 0.0, 0.0]]
        ones[3] = b * phi * psi
    table = np.array(rows, dtype=float)
    return _alg.AlgebraicBranch(table, np.ascontiguousarray(ones[:len(rows)]), lam=float(psi), mu=mu,
                                alpha=0.0, beta=e / psi, axis_sign=1.0)


def spectral_scale(eta, zeta, phi, psi):
    """A scale above the whole spectrum, ``eta (1 + r)(1 + c) + 1`` with ``r = 1/psi``, ``c = phi/psi``."""
    eta, zeta, phi, psi = _params(eta, zeta, phi, psi)
    return eta * (1.0 + 1.0 / psi) * (1.0 + phi / psi) + 1.0


def physical_root(z, *, eta, zeta, phi, psi):
    """Physical root ``u(z)`` of ``Q`` (any complex ``z``, conjugate symmetry below the axis).

    Returns
    -------
    u : ndarray of complex
    min_ratio : ndarray
        Smallest (second-nearest / nearest) root-distance ratio met along each path.
    """
    z, y0 = _validate.complex_array("z", z), 50.0 * spectral_scale(eta, zeta, phi, psi)
    return _alg.follow(quartic_branch(eta, zeta, phi, psi), z, method="guarded", y0=y0)


def derivative_u(u, s, *, eta, zeta, phi, psi):
    """``du/ds`` on the root branch by implicit differentiation of ``Q(u, s) = 0``."""
    eta, zeta, phi, psi = _params(eta, zeta, phi, psi)
    _validate.complex_array("u", u), _validate.complex_array("s", s)
    a, b = eta - zeta, zeta
    A = (1 + phi * u) * (1 + psi * u)
    dA = phi * (1 + psi * u) + psi * (1 + phi * u)
    q_u = (s - a * dA) * (s - b * A) - (s * u - a * A) * b * dA - b * s * dA
    q_s = u * (s - b * A) + (s * u - a * A) - b * A
    return -q_s / q_u


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
    G(z) = (psi / z) P(1 / (z psi)) + (1 - psi) / z with P = 1 + u (Pennington and Worah 2017,
    Theorem 1) and u the physical root of Q(u) = (s u - a A)(s - b A) - b s A, s = psi z,
    A = (1 + phi u)(1 + psi u), a = eta - zeta, b = zeta (book/derivations.md, eq. (alg-pw-quartic)),
    followed by `physical_root`.  Atom at 0: max(0, 1 - psi/phi) for nonlinear f,
    max(0, 1 - psi, 1 - psi/phi) for linear f (derived for this book, eq. (alg-pw-atom)).
    Moments m1..m4 in closed form (derived for this book, eq. (alg-pw-moments)).
    """

    def __init__(self, *, eta, zeta, phi, psi):
        self.eta, self.zeta, self.phi, self.psi = _params(eta, zeta, phi, psi)
        self.scale = spectral_scale(self.eta, self.zeta, self.phi, self.psi)
        self.linear = self.zeta == self.eta

    # -- raw evaluations
    def root(self, z):
        """Physical root u(z) and the root-separation ratios along each path."""
        return physical_root(z, eta=self.eta, zeta=self.zeta, phi=self.phi, psi=self.psi)

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
        du_ds = derivative_u(u, s, eta=self.eta, zeta=self.zeta, phi=self.phi, psi=self.psi)
        return self.psi**2 * du_ds / z - (1.0 + self.psi * u) / z**2

    def __repr__(self):
        return (f"PenningtonWorahLaw(eta={self.eta:.6g}, zeta={self.zeta:.6g}, "
                f"phi={self.phi:g}, psi={self.psi:g})")


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
    (gamma^2 / m) tr (K + gamma)^-2 with K = F^T F / m (derived for this book,
    book/derivations.md, eq. (alg-pw-loss)).
    G' by implicit differentiation of the quartic on the physical branch.
    """
    g = _validate.real_array("gamma", gamma, ndim=None, finite=False)
    if g.size == 0 or not np.all(np.isfinite(g)) or np.any(g <= 0):
        raise ValueError(f"gamma must be finite and > 0, got {gamma!r}")
    law = PenningtonWorahLaw(eta=eta, zeta=zeta, phi=phi, psi=psi)
    c = law.phi / law.psi
    dg = law.stieltjes_derivative(-g.ravel() + 0j).real
    out = (1.0 - c) - c * g.ravel() ** 2 * dg
    return out.reshape(g.shape) if g.ndim else float(out[0])
