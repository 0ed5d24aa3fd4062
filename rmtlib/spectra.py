"""Empirical spectra against limiting laws: split KS distance and atom fractions.

The KS distance here is the *split* form used throughout the compendium: each
atom of the limiting law is compared on its own (the fraction of eigenvalues
within `tol` of its location against its mass), and the Kolmogorov-Smirnov
distance is taken between the remaining eigenvalues and the law's absolutely
continuous part renormalised to mass one (`SpectralLaw.continuous_cdf`).
`lanczos_law` estimates the spectral law of an operator known only through matrix-vector
products (stochastic Lanczos quadrature).
"""

from dataclasses import dataclass, field

import numpy as np

from rmtlib._numerics import validate as _validate
from rmtlib.laws import PointMasses
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


def _lanczos_ritz(matvec, dim, steps, probe):
    """Lanczos on ``probe`` with full reorthogonalisation: Ritz values and squared first components."""
    basis = np.zeros((steps, dim))
    alpha, beta = np.zeros(steps), np.zeros(steps)
    q = probe / np.linalg.norm(probe)
    m = steps
    for j in range(steps):
        basis[j] = q
        w = np.asarray(matvec(q), dtype=float).ravel()
        if w.shape != (dim,):
            raise ValueError(f"matvec must return a vector of length dim = {dim}, got shape {w.shape}")
        alpha[j] = q @ w
        for _ in range(2):  # classical Gram-Schmidt twice against every earlier vector
            w -= basis[:j + 1].T @ (basis[:j + 1] @ w)
        beta[j] = np.linalg.norm(w)
        if j + 1 == steps or beta[j] <= 1e-12 * max(1.0, np.max(np.abs(alpha[:j + 1]))):
            m = j + 1  # an invariant subspace: the quadrature is exact for this probe
            break
        q = w / beta[j]
    theta, vectors = np.linalg.eigh(np.diag(alpha[:m]) + np.diag(beta[:m - 1], 1) + np.diag(beta[:m - 1], -1))
    return theta, vectors[0] ** 2


def _merge(nodes, weights, tol):
    """Merge sorted nodes closer than ``tol`` to each other (weighted mean) and snap those near 0 to 0."""
    order = np.argsort(nodes)
    nodes, weights = nodes[order], weights[order]
    groups = np.concatenate([[0], np.cumsum(np.diff(nodes) > tol)])
    mass = np.bincount(groups, weights=weights)
    where = np.bincount(groups, weights=weights * nodes) / np.where(mass > 0, mass, 1.0)
    where = np.where(mass > 0, where, np.bincount(groups, weights=nodes) / np.bincount(groups))
    return np.where(np.abs(where) <= tol, 0.0, where), mass


def lanczos_law(matvec, dim, *, steps, probes, rng, tol=None):
    """Stochastic Lanczos quadrature: the spectral law of a symmetric operator from matrix-vector products.

    Parameters
    ----------
    matvec : callable
        ``v -> A v`` for a real symmetric ``dim x dim`` operator ``A``.
    dim : int
        Dimension of ``A`` (at most 10^6).
    steps : int
        Lanczos steps per probe (capped at ``dim``).
    probes : int
        Number of Gaussian probe vectors (at most 10^6).
    rng : numpy.random.Generator or int
        Draws the probes.
    tol : float, optional
        Nodes closer than ``tol`` to each other are merged into one atom and nodes within ``tol`` of 0
        become the atom at 0; default ``1e-8`` times the largest ``|node|``.

    Returns
    -------
    rmtlib.laws.PointMasses
        ``sum_j gamma_j delta_{theta_j}`` averaged over the probes: the Ritz values ``theta_j`` of
        each probe's Lanczos tridiagonal matrix with the squared first components ``gamma_j`` of its
        eigenvectors (Golub and Meurant 2010, ch. 6; Ubaru, Chen and Saad 2017).

    Notes
    -----
    For one probe ``v`` (uniform on the sphere) the spectral measure ``mu_v = sum_i (q_i^T v)^2
    delta_{lambda_i}`` has mean the empirical spectral law ``mu`` of ``A``, and the ``m``-step Gauss
    quadrature matches its first ``2m - 1`` moments. Two errors in the CDF follow
    (book/derivations.md, eq. (net-slq-error)):

    - quadrature: by the Chebyshev-Markov-Stieltjes inequality ``sup_x |F_quad(x) - F_v(x)|`` is at
      most the largest Gauss weight ``max_j gamma_j``, which falls like ``1/steps`` (a node per
      ``1/steps`` of the mass) except where a node has converged to an isolated eigenvalue or atom;
    - probes: ``Var F_v(x) = 2 F(x)(1 - F(x)) / (dim + 2)``, so the average over ``probes`` probes has
      standard deviation at most ``1 / sqrt(2 (dim + 2) probes)`` at each ``x``.

    ``tests/test_spectra.py`` checks the KS distance to the exact eigenvalues against the sum of both
    (Wishart, a rank-deficient Wishart, a GOE) and its decrease with ``steps``. A cluster of tiny
    eigenvalues and an exact kernel are not separated: the weight that SLQ puts near 0 measures
    near-zero mass, whatever ``tol``.
    """
    if not callable(matvec):
        raise TypeError(f"matvec must be callable, got {type(matvec).__name__}")
    dim = _validate.integer("dim", dim, low=1, high=_validate.MAX_DIMENSION)
    steps = min(_validate.integer("steps", steps, low=1), dim)
    probes = _validate.integer("probes", probes, low=1, high=_validate.MAX_DIMENSION)
    if tol is not None:
        tol = _validate.positive("tol", tol)
    gen = _validate.as_generator(rng)
    nodes, weights = [], []
    for _ in range(probes):
        theta, gamma = _lanczos_ritz(matvec, dim, steps, gen.standard_normal(dim))
        nodes.append(theta)
        weights.append(gamma / probes)
    nodes, weights = np.concatenate(nodes), np.concatenate(weights)
    if tol is None:
        tol = 1e-8 * max(float(np.max(np.abs(nodes))), np.finfo(float).tiny)
    return PointMasses(*_merge(nodes, weights, tol))



def discrete_cdf_distance(law, eigenvalues):
    """``sup_x |F_law(x) - F_n(x)|`` between a discrete law (e.g. from :func:`lanczos_law`) and eigenvalues.

    Parameters
    ----------
    law : rmtlib.laws.PointMasses
    eigenvalues : array_like
        Real eigenvalues (the exact spectrum ``F_n`` is their empirical CDF).

    Returns
    -------
    float
        Both CDFs are right-continuous step functions, so the supremum is attained at a jump point.
    """
    law = _validate.instance("law", law, PointMasses)
    ev = _eigenvalues(eigenvalues)
    x = np.union1d(law.locations, ev)
    f_law = np.concatenate([[0.0], np.cumsum(law.weights)])[np.searchsorted(law.locations, x, side="right")]
    f_emp = np.searchsorted(ev, x, side="right") / ev.size
    return float(np.max(np.abs(f_law - f_emp)))
