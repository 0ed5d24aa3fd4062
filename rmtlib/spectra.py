"""Empirical spectra against limiting laws: split KS distance and atom fractions.

The KS distance here is the *split* form used throughout the compendium: each
atom of the limiting law is compared on its own (the fraction of eigenvalues
within `tol` of its location against its mass), and the Kolmogorov-Smirnov
distance is taken between the remaining eigenvalues and the law's absolutely
continuous part renormalised to mass one (`SpectralLaw.continuous_cdf`).
"""

from dataclasses import dataclass, field

import numpy as np

from rmtlib._numerics import validate as _validate
from rmtlib.spectral_law import SpectralLaw


@dataclass(frozen=True)
class SplitKS:
    """Result of `ks_distance`.

    Attributes
    ----------
    statistic : float
        sup_x |F_n(x) - F(x)| between the non-atomic eigenvalues and the
        renormalised continuous part of the law (NaN if either is empty).
    atoms : list of (float, float, float)
        For each atom of the law: (location, empirical fraction, theoretical mass).
    n_continuous : int
        Number of eigenvalues compared with the continuous part.
    n_total : int
        Number of eigenvalues.
    """

    statistic: float
    atoms: list = field(default_factory=list)
    n_continuous: int = 0
    n_total: int = 0

    def __float__(self):
        return float(self.statistic)

    def atom_errors(self):
        """Return |empirical fraction - mass| for each atom, as an array."""
        return np.array([abs(emp - mass) for _, emp, mass in self.atoms])


def _eigenvalues(eigenvalues):
    try:
        ev = np.asarray(eigenvalues)
    except ValueError:  # ragged nested sequences
        raise ValueError("eigenvalues must be an array of real numbers") from None
    if np.iscomplexobj(ev):
        if np.max(np.abs(ev.imag), initial=0.0) > 1e-8 * max(1.0, np.max(np.abs(ev.real), initial=0.0)):
            raise ValueError("eigenvalues must be real (imaginary parts above 1e-8 found)")
        ev = ev.real
    ev = _validate.real_array("eigenvalues", ev, ndim=None).ravel()
    if ev.size == 0:
        raise ValueError("eigenvalues must not be empty")
    return np.sort(ev)


def default_tol(eigenvalues):
    """Tolerance for assigning an eigenvalue to an atom: 1e-8 times the spectral scale."""
    ev = _eigenvalues(eigenvalues)
    return 1e-8 * max(1.0, float(np.max(np.abs(ev), initial=0.0)))


def atom_fraction(eigenvalues, at=0.0, *, tol=None):
    """Fraction of eigenvalues within `tol` of `at`.

    Parameters
    ----------
    eigenvalues : array_like
        Real eigenvalues.
    at : float
        Location of the atom.
    tol : float, optional
        Half-width of the window; default `default_tol`.

    Returns
    -------
    float
    """
    ev = _eigenvalues(eigenvalues)
    at = _validate.real("at", at)
    tol = default_tol(ev) if tol is None else _validate.positive("tol", tol)
    return float(np.mean(np.abs(ev - at) <= tol))


def ks_statistic(sorted_points, cdf_values):
    """Two-sided KS statistic of sorted points against the model CDF evaluated at them."""
    sorted_points = _validate.real_array("sorted_points", sorted_points)
    cdf_values = _validate.real_array("cdf_values", cdf_values)
    if sorted_points.size == 0 or cdf_values.shape != sorted_points.shape:
        raise ValueError(f"sorted_points and cdf_values must be non-empty and of one length, got "
                         f"{sorted_points.size} and {cdf_values.size}")
    if np.any((cdf_values < 0) | (cdf_values > 1)):
        raise ValueError("cdf_values must lie in [0, 1]")
    n = sorted_points.size
    upper = np.arange(1, n + 1) / n - cdf_values
    lower = cdf_values - np.arange(0, n) / n
    return float(max(upper.max(), lower.max()))


def ks_distance(eigenvalues, law, *, tol=None):
    """Split Kolmogorov-Smirnov distance between eigenvalues and a `SpectralLaw`.

    Parameters
    ----------
    eigenvalues : array_like
        Real eigenvalues of one matrix (or pooled over several).
    law : SpectralLaw
        The limiting law.
    tol : float, optional
        Window for assigning eigenvalues to the law's atoms; default `default_tol`.

    Returns
    -------
    SplitKS
    """
    if not isinstance(law, SpectralLaw):
        raise TypeError(f"law must be a SpectralLaw, got {type(law).__name__}")
    ev = _eigenvalues(eigenvalues)
    tol = default_tol(ev) if tol is None else _validate.positive("tol", tol)
    in_atom = np.zeros(ev.size, dtype=bool)
    atoms = []
    for location, mass in law.atoms:
        near = np.abs(ev - location) <= tol
        atoms.append((float(location), float(near.mean()), float(mass)))
        in_atom |= near
    rest = ev[~in_atom]
    if rest.size == 0 or law.continuous_mass <= 0.0:
        statistic = np.nan
    else:
        statistic = ks_statistic(rest, np.asarray(law.continuous_cdf(rest), dtype=float))
    return SplitKS(statistic=statistic, atoms=atoms, n_continuous=int(rest.size), n_total=int(ev.size))


def ks_expected(n):
    """Mean KS distance of n i.i.d. points from their own CDF, sqrt(pi/2) ln 2 / sqrt(n).

    A guide to the size of a KS distance; eigenvalues of random matrices are far
    more rigid than i.i.d. points, so thresholds are calibrated, not taken from here.
    """
    n = _validate.integer("n", n, low=1)
    return float(np.sqrt(np.pi / 2.0) * np.log(2.0) / np.sqrt(n))
