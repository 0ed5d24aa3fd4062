"""The spectral laws with closed forms: semicircle, Marchenko-Pastur, uniform, point masses, empirical.

Each is a `SpectralLaw` (defined in :mod:`rmtlib.spectral_law` and re-exported here, with
`GaussianPushforward` from :mod:`rmtlib.pushforward`), so this module is the one place to import
every law from. Convention: G(z) = integral of dmu(t) / (z - t), so G(z) ~ 1/z at infinity and
Im G(z) < 0 on the upper half-plane; the density is -Im G(x + i0) / pi.
"""

import numpy as np
from scipy import special

from rmtlib._numerics import subordination as _kernels, validate as _validate
from rmtlib.pushforward import GaussianPushforward
from rmtlib.spectral_law import SpectralLaw


def _roots_product(z, lo, hi):
    """sqrt(z - lo) sqrt(z - hi) with principal branches: the Herglotz branch of sqrt((z-lo)(z-hi))."""
    return np.sqrt(z - lo) * np.sqrt(z - hi)


class Semicircle(SpectralLaw):
    """Wigner's semicircle law of variance s: density sqrt(4s - x^2) / (2 pi s) on [-2 sqrt s, 2 sqrt s].

    Parameters
    ----------
    variance : float
        The variance s > 0 (the off-diagonal variance of the Wigner matrix).

    Notes
    -----
    G(z) = (z - sqrt(z^2 - 4 s)) / (2 s) = 2 / (z + sqrt(z^2 - 4 s)) (Wigner 1955); even moments s^k C_k with
    C_k the Catalan numbers.
    """

    def __init__(self, *, variance=1.0):
        self.variance = _validate.positive("variance", variance)
        self.radius = 2.0 * np.sqrt(self.variance)

    def _stieltjes(self, z):
        return 2.0 / (z + _roots_product(z, -self.radius, self.radius))

    def _density(self, x):
        return np.sqrt(np.maximum(self.radius**2 - x**2, 0.0)) / (2.0 * np.pi * self.variance)

    def _support(self):
        return [(-self.radius, self.radius)]

    def _continuous_cumulative(self, x):
        u = np.clip(x / self.radius, -1.0, 1.0)
        return 0.5 + (u * np.sqrt(1.0 - u**2) + np.arcsin(u)) / np.pi

    def _moment(self, k):
        if k % 2:
            return 0.0
        m = k // 2
        return self.variance**m * special.comb(2 * m, m, exact=True) / (m + 1)

    def _kernel_spec(self):
        return (_kernels.SEMICIRCLE, self.variance, 0.0, (), ())

    def __repr__(self):
        return f"Semicircle(variance={self.variance:g})"


class MarchenkoPastur(SpectralLaw):
    """Marchenko-Pastur law of X X^T / columns for X of shape rows x columns, entries of variance s.

    Parameters
    ----------
    ratio : float
        c = rows / columns > 0.
    variance : float
        Entry variance s > 0.

    Notes
    -----
    Support s (1 -+ sqrt c)^2, atom 1 - 1/c at 0 when c > 1, and
    G(z) = (z - s(1 - c) - sqrt((z - a)(z - b))) / (2 c s z) (Marchenko & Pastur 1967).
    Moments s^k sum_j c^j N(k, j+1), with Narayana numbers N.
    """

    def __init__(self, ratio, *, variance=1.0):
        self.ratio = _validate.positive("ratio", ratio)
        self.variance = _validate.positive("variance", variance)
        self.low = self.variance * (1.0 - np.sqrt(self.ratio)) ** 2
        self.high = self.variance * (1.0 + np.sqrt(self.ratio)) ** 2

    def _stieltjes(self, z):
        c, s = self.ratio, self.variance
        with np.errstate(divide="ignore", invalid="ignore"):
            g = 2.0 / (z - s * (1.0 - c) + _roots_product(z, self.low, self.high))
        if np.any(z == 0):
            # G(0) = -E[1/t] = -1 / (s (1 - c)) without an atom at 0, a pole otherwise
            g = np.where(z == 0, -1.0 / (s * (1.0 - c)) if c < 1.0 else complex(np.inf), g)
        return g

    def _density(self, x):
        c, s = self.ratio, self.variance
        inside = (x > self.low) & (x < self.high)
        with np.errstate(divide="ignore", invalid="ignore"):
            d = np.sqrt(np.maximum((self.high - x) * (x - self.low), 0.0)) / (2.0 * np.pi * c * s * x)
        return np.where(inside, d, 0.0)

    def _atoms(self):
        return ((0.0, 1.0 - 1.0 / self.ratio),) if self.ratio > 1.0 else ()

    def _support(self):
        return [(self.low, self.high)]

    def _moment(self, k):
        if k == 0:
            return 1.0
        total = sum(
            self.ratio**j * special.comb(k, j, exact=True) * special.comb(k, j + 1, exact=True) / k
            for j in range(k)
        )
        return self.variance**k * total

    def _kernel_spec(self):
        return (_kernels.MARCHENKO, self.ratio, self.variance, (), ())

    def __repr__(self):
        return f"MarchenkoPastur(ratio={self.ratio:g}, variance={self.variance:g})"


class Uniform(SpectralLaw):
    """Uniform law on [low, high].

    Notes
    -----
    G(z) = log((z - low) / (z - high)) / (high - low).
    """

    def __init__(self, low, high):
        self.low = _validate.real("low", low)
        self.high = _validate.real("high", high)
        if not self.high > self.low:
            raise ValueError(f"high must be > low, got low={self.low}, high={self.high}")

    def _stieltjes(self, z):
        return np.log((z - self.low) / (z - self.high)) / (self.high - self.low)

    def _density(self, x):
        return np.where((x >= self.low) & (x <= self.high), 1.0 / (self.high - self.low), 0.0)

    def _support(self):
        return [(self.low, self.high)]

    def _continuous_cumulative(self, x):
        return np.clip((x - self.low) / (self.high - self.low), 0.0, 1.0)

    def _moment(self, k):
        return (self.high ** (k + 1) - self.low ** (k + 1)) / ((k + 1) * (self.high - self.low))

    def _kernel_spec(self):
        return (_kernels.UNIFORM, self.low, self.high, (), ())

    def __repr__(self):
        return f"Uniform(low={self.low:g}, high={self.high:g})"


class PointMasses(SpectralLaw):
    """A discrete law sum_j w_j delta_{t_j} (no absolutely continuous part).

    Parameters
    ----------
    locations : array_like of float
        Atom locations t_j (repeated locations are merged).
    weights : array_like of float, optional
        Non-negative weights; normalised to sum 1. Default: equal weights.
    """

    def __init__(self, locations, weights=None):
        locs = _validate.real_array("locations", locations, ndim=None).ravel()
        if locs.size == 0:
            raise ValueError("locations must not be empty")
        if weights is None:
            w = np.full(locs.size, 1.0 / locs.size)
        else:
            w = _validate.real_array("weights", weights, ndim=None).ravel()
            if w.shape != locs.shape:
                raise ValueError(f"weights must have the shape of locations {locs.shape}, got {w.shape}")
            if np.any(w < 0) or w.sum() <= 0:
                raise ValueError("weights must be non-negative with a positive sum")
            w = w / w.sum()
        uniq, inverse = np.unique(locs, return_inverse=True)
        self.locations = uniq
        self.weights = np.bincount(inverse, weights=w, minlength=uniq.size)

    def _stieltjes(self, z):
        z = np.asarray(z, dtype=complex)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.sum(self.weights / (z[..., None] - self.locations), axis=-1)

    def _density(self, x):
        return np.zeros_like(x, dtype=float)

    def _atoms(self):
        return tuple(zip(self.locations, self.weights))

    def _continuous_cumulative(self, x):
        return np.zeros_like(np.asarray(x, dtype=float))

    def _moment(self, k):
        return float(np.sum(self.weights * self.locations**k))

    def _kernel_spec(self):
        return (_kernels.DISCRETE, 0.0, 0.0, self.locations, self.weights)

    def __repr__(self):
        return f"PointMasses({self.locations.size} atoms)"


class Empirical(PointMasses):
    """The empirical spectral law of a set of eigenvalues: mass 1/n at each.

    Parameters
    ----------
    eigenvalues : array_like of float
    """

    def __init__(self, eigenvalues):
        ev = _validate.real_array("eigenvalues", eigenvalues, ndim=None).ravel()
        if ev.size == 0:
            raise ValueError("eigenvalues must not be empty")
        super().__init__(ev)
        self.n = ev.size

    def __repr__(self):
        return f"Empirical(n={self.n})"


__all__ = [
    "SpectralLaw",
    "Semicircle",
    "MarchenkoPastur",
    "Uniform",
    "PointMasses",
    "Empirical",
    "GaussianPushforward",
]
