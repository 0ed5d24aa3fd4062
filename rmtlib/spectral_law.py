"""The base class of every spectral law: a probability measure on the real line described by
its Stieltjes transform.

`SpectralLaw` follows the design of scipy.stats' distributions: a subclass supplies formula hooks
(``_stieltjes`` and, where closed forms exist, ``_density``, ``_atoms``, ``_support``, ``_moment``,
``_kernel_spec``) and the base class derives the rest: the absolutely continuous density, the atoms,
the support, the CDF (atoms included), moments, mean and variance.

Convention: G(z) = integral of dmu(t) / (z - t), so G(z) ~ 1/z at infinity and Im G(z) < 0 on the
upper half-plane; the density is -Im G(x + i0) / pi.
"""

from functools import cached_property

import numpy as np

from rmtlib._numerics import validate as _validate
from rmtlib._numerics.quadrature import adaptive_table


def _points(name, values, *, complex_ok=False):
    """Points at which to evaluate a law: real (or complex) numbers of any shape; NaN and inf kept."""
    if values is None or isinstance(values, (str, bytes)):
        raise TypeError(f"{name} must be {'complex' if complex_ok else 'real'} numbers, got {values!r}")
    try:
        arr = np.asarray(values)
    except ValueError:  # ragged nested sequences
        raise TypeError(f"{name} must be an array of numbers, got {values!r:.60}") from None
    if arr.dtype.kind == "c" and not complex_ok:
        raise ValueError(f"{name} must be real, got complex values")
    if arr.dtype.kind not in ("b", "i", "u", "f") + (("c",) if complex_ok else ()):
        raise TypeError(f"{name} must be an array of numbers, got {values!r:.60}")
    return arr.astype(complex if complex_ok else float)


class SpectralLaw:
    """A probability measure on the real line: atoms plus an absolutely continuous part.

    Subclasses implement ``_stieltjes(z)`` (vectorized over complex z) and
    ``_support()`` (intervals of the absolutely continuous part), and may
    implement ``_density(x)``, ``_atoms()``, ``_moment(k)`` and
    ``_kernel_spec()`` (the numba representation used by `rmtlib.free`).
    """

    # ----------------------------------------------------------------- hooks
    def _stieltjes(self, z):
        raise NotImplementedError(f"{type(self).__name__} does not implement _stieltjes")

    def _density(self, x):
        return -np.imag(self._stieltjes(x.astype(complex) + 0j)) / np.pi

    def _atoms(self):
        return ()

    def _support(self):
        return []

    def _moment(self, k):
        return None

    def _continuous_cumulative(self, x):
        """Integral of the density from -inf to x (not normalised), from quadrature tables.

        Integrated top-down, F_ac(x) = (1 - atom masses) - integral from x to the top edge, so that a
        singular lower edge (hard edges at 0 of free products) costs accuracy only next to it.
        """
        x = np.asarray(x, dtype=float)
        above = sum(table.mass - table.cumulative(x) for table in self._tables)
        return np.clip(self.continuous_mass - above, 0.0, self.continuous_mass)

    def _kernel_spec(self):
        """Return (kind, p0, p1, locations, weights) for the numba kernels, or None."""
        return None

    # --------------------------------------------------------------- derived
    def stieltjes(self, z):
        """Cauchy-Stieltjes transform G(z) = integral of dmu(t) / (z - t).

        Parameters
        ----------
        z : array_like of complex
            Points off the support (on the support, the limit from above is returned).

        Returns
        -------
        numpy.ndarray of complex
        """
        z = _points("z", z, complex_ok=True)
        with np.errstate(invalid="ignore"):
            g = np.asarray(self._stieltjes(z), dtype=complex)
        return np.where(np.isnan(z), complex(np.nan, np.nan), g)

    def density(self, x):
        """Density of the absolutely continuous part, -Im G(x + i0) / pi (atoms excluded).

        Parameters
        ----------
        x : array_like of float

        Returns
        -------
        numpy.ndarray of float
        """
        x = _points("x", x)
        nan = np.isnan(x)
        with np.errstate(invalid="ignore"):
            values = np.asarray(self._density(np.atleast_1d(np.where(nan, 0.0, x))), dtype=float)
        values = values.reshape(np.shape(x))
        return np.where(nan, np.nan, np.where(values > 0.0, values, 0.0))

    @cached_property
    def atoms(self):
        """Atoms as a tuple of (location, mass), sorted by location."""
        return tuple(sorted((float(a), float(m)) for a, m in self._atoms() if m > 0.0))

    def atom_mass(self, at=0.0, *, tol=0.0):
        """Total mass of the atoms within `tol` of `at`."""
        at = _validate.real("at", at)
        tol = _validate.real("tol", tol, low=0.0)
        return float(sum(m for a, m in self.atoms if abs(a - at) <= tol))

    @cached_property
    def support(self):
        """Support of the absolutely continuous part, as a list of (low, high) intervals."""
        return [(float(a), float(b)) for a, b in self._support()]

    @property
    def edges(self):
        """Sorted array of the endpoints of the support intervals."""
        return np.array(sorted(e for interval in self.support for e in interval))

    @property
    def continuous_mass(self):
        """Mass of the absolutely continuous part: 1 minus the atom masses."""
        return max(0.0, 1.0 - sum(m for _, m in self.atoms))

    @cached_property
    def _tables(self):
        return [adaptive_table(a, b, self.density) for a, b in self.support]

    def cdf(self, x):
        """Cumulative distribution function mu((-inf, x]), atoms included (right-continuous)."""
        x = _points("x", x)
        nan = np.isnan(x)
        safe = np.where(nan, 0.0, x)
        out = np.asarray(self._continuous_cumulative(safe), dtype=float) * np.ones_like(safe)
        for a, m in self.atoms:
            out = out + m * (safe >= a)
        return np.where(nan, np.nan, np.clip(out, 0.0, 1.0))

    def continuous_cdf(self, x):
        """CDF of the absolutely continuous part renormalised to mass 1 (for the split KS distance)."""
        mass = self.continuous_mass
        if mass <= 0.0:
            raise ValueError(f"{self!r} has no absolutely continuous part")
        x = np.asarray(x, dtype=float)
        return np.clip(np.asarray(self._continuous_cumulative(x), dtype=float) / mass, 0.0, 1.0)

    def moment(self, k):
        """The k-th moment, integral of t^k dmu(t) (exact where a closed form exists, else quadrature)."""
        k = _validate.integer("k", k, low=0)
        try:
            exact = self._moment(k)
            if exact is None:
                atoms = sum(m * a**k for a, m in self.atoms)
                exact = atoms + sum(table.integrate(lambda t: t**k) for table in self._tables)
            value = float(exact)
        except OverflowError:
            value = np.inf
        if not np.isfinite(value):
            raise ValueError(f"k = {k}: moment {k} of {self!r} exceeds the float64 range; use a smaller k")
        return value

    @property
    def mean(self):
        """First moment."""
        return self.moment(1)

    @property
    def var(self):
        """Variance."""
        return self.moment(2) - self.moment(1) ** 2

    def discretize(self):
        """Return (locations, masses): the atoms plus a quadrature discretization of the continuous part."""
        locs = [np.array([a for a, _ in self.atoms])]
        masses = [np.array([m for _, m in self.atoms])]
        for table in self._tables:
            t, w = table.discretize()
            locs.append(t)
            masses.append(w)
        return np.concatenate(locs), np.concatenate(masses)

    def scaled(self, factor):
        """The pushforward of this law under x -> factor * x (atoms move, masses stay).

        Parameters
        ----------
        factor : float
            A positive factor.

        Returns
        -------
        SpectralLaw
            ``Scaled(self, factor)``; G_s(z) = G(z / s) / s, density rho(x / s) / s, moments s^k m_k.
        """
        return Scaled(self, factor)

    def __repr__(self):
        return f"{type(self).__name__}()"


class Scaled(SpectralLaw):
    """The law of s X where X has the law ``base`` and s > 0.

    Parameters
    ----------
    base : SpectralLaw
        The law of X.
    factor : float
        The positive factor s.

    Notes
    -----
    G_{sX}(z) = G_X(z / s) / s, so the density is rho(x / s) / s, the atoms (a, m) become (s a, m),
    the support intervals scale by s and the k-th moment by s^k.
    """

    def __init__(self, base, factor):
        if not isinstance(base, SpectralLaw):
            raise TypeError(f"base must be a SpectralLaw, got {type(base).__name__}")
        self.base = base
        self.factor = _validate.positive("factor", factor)

    def _stieltjes(self, z):
        return self.base.stieltjes(z / self.factor) / self.factor

    def _density(self, x):
        return self.base.density(x / self.factor) / self.factor

    def _atoms(self):
        return tuple((self.factor * a, m) for a, m in self.base.atoms)

    def _support(self):
        return [(self.factor * a, self.factor * b) for a, b in self.base.support]

    def _moment(self, k):
        return self.factor**k * self.base.moment(k)

    def _continuous_cumulative(self, x):
        return self.base._continuous_cumulative(np.asarray(x, dtype=float) / self.factor)

    def __repr__(self):
        return f"Scaled({self.base!r}, {self.factor!r})"


__all__ = ["SpectralLaw", "Scaled"]
