"""Deformed Wigner matrices with a full-rank deterministic part and a growing number of outliers.

Model (Afanasiev, Berlyand & Kiyashko, arXiv:2507.12182, the square symmetric analogue of their
eq. (1.1)): ``H = R / sqrt(N) + S`` with ``R`` a real symmetric Wigner matrix whose off-diagonal
entries are i.i.d. with zero mean and variance ``sigma^2`` (passed as ``variance=``; the diagonal
has variance ``2 sigma^2``, so Gaussian ``R`` gives exactly the GOE of the shared conventions) and
``S = diag(theta_1, ..., theta_k, s_{k+1}, ..., s_N)`` deterministic: a bulk with limiting law
``nu`` and ``k`` eigenvalues ``theta_i`` outside ``supp nu``.

Theory (standard results, derived for the chapter; not read in the paper):

* bulk: ``SC(sigma) ⊞ nu`` (Biane subordination), computed by :func:`rmtlib.free.add`;
* outliers: with ``H(u) = u + sigma^2 G_nu(u)`` for real ``u`` outside ``supp nu``, an eigenvalue
  ``theta`` of ``S`` produces an outlier iff ``H'(theta) = 1 - sigma^2 ∫ dnu(s)/(theta-s)^2 > 0``,
  at ``H(theta)``, with squared eigenvector overlap ``H'(theta)`` (Capitaine, Donati-Martin, Féral
  and Février 2011; Capitaine 2013); ``nu = delta_0`` gives ``theta + sigma^2/theta`` (BBP).

The transforms ``G_nu`` and ``∫ dnu/(u-s)^2`` at real ``u`` are computed here from ``nu`` itself
(closed forms for uniform and discrete laws, quadrature of the density otherwise), not from the
complex-plane solver.
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np
from scipy import integrate, linalg, optimize

from rmtlib.slopes import fit_loglog_slope

__all__ = [
    "BULK_CASES",
    "ENTRY_LAWS",
    "bulk_case",
    "bulk_edges",
    "bulk_experiment",
    "bulk_points",
    "calibrate",
    "calibration_statistics",
    "cluster_sd_prediction",
    "deformed_wigner_law",
    "growing_outliers",
    "growing_sweep",
    "measure_outliers",
    "outlier_fluctuation_variance",
    "outlier_statistics",
    "outlier_sweep",
    "outliers",
    "random_direction_outlier",
    "real_transforms",
    "sample_deformed_wigner",
    "sample_wigner",
    "universality_sweep",
]


# ----------------------------------------------------------------------------- validation
def _check_variance(variance):
    if not isinstance(variance, Real) or not math.isfinite(variance) or variance <= 0:
        raise ValueError(f"variance must be a finite positive number, got {variance!r}")
    return float(variance)


def _check_int(name, value, low):
    if not isinstance(value, Integral) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def _rng(rng):
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


# ----------------------------------------------------------------------------- transforms of nu
def _discrete_parts(nu):
    """Return (locations, masses) of the atoms of ``nu`` (empty arrays if none)."""
    atoms = tuple(getattr(nu, "atoms", ()))
    if not atoms:
        return np.zeros(0), np.zeros(0)
    loc, mass = np.array(atoms, dtype=float).reshape(-1, 2).T
    return loc, mass


def _continuous_intervals(nu):
    """Return the support intervals of the absolutely continuous part with nonzero mass."""
    mass = float(getattr(nu, "continuous_mass", 1.0 - _discrete_parts(nu)[1].sum()))
    if mass <= 1e-14:
        return []
    return [(float(a), float(b)) for a, b in nu.support if b > a]


def _hull(nu):
    """Smallest interval containing ``supp nu`` (atoms included)."""
    loc, _ = _discrete_parts(nu)
    ends = list(loc) + [e for iv in _continuous_intervals(nu) for e in iv]
    return min(ends), max(ends)


def real_transforms(nu, u):
    """Stieltjes transform and its derivative at real points outside the support of ``nu``.

    Parameters
    ----------
    nu : SpectralLaw
        A law from :mod:`rmtlib.laws` (atoms and support/density are used).
    u : array_like of float
        Real points, none of which may lie in ``supp nu``.

    Returns
    -------
    g, g2 : ndarray
        ``g = ∫ dnu(s) / (u - s)`` and ``g2 = ∫ dnu(s) / (u - s)^2``.

    Notes
    -----
    Uniform ``U[a, b]``: ``g = log((u-a)/(u-b))/(b-a)``, ``g2 = 1/((u-a)(u-b))``. Atoms are summed
    exactly; any other absolutely continuous part is integrated with adaptive quadrature (the
    integrand is smooth because ``u`` is outside the support).
    """
    u = np.atleast_1d(np.asarray(u, dtype=float))
    loc, mass = _discrete_parts(nu)
    if np.any(np.isin(u, loc)):
        raise ValueError("u must lie outside the support of nu (it hits an atom)")
    d = u[:, None] - loc[None, :]
    g = (mass / d).sum(axis=1) if loc.size else np.zeros_like(u)
    g2 = (mass / d**2).sum(axis=1) if loc.size else np.zeros_like(u)
    intervals = _continuous_intervals(nu)
    for a, b in intervals:
        if np.any((u >= a) & (u <= b)):
            raise ValueError(f"u must lie outside the support of nu; {u} meets [{a}, {b}]")
    if type(nu).__name__ == "Uniform" and len(intervals) == 1:
        a, b = intervals[0]
        return g + np.log((u - a) / (u - b)) / (b - a), g2 + 1.0 / ((u - a) * (u - b))
    for a, b in intervals:
        for i, x in enumerate(u):
            g[i] += integrate.quad(lambda s, x=x: nu.density(s) / (x - s), a, b, limit=200)[0]
            g2[i] += integrate.quad(lambda s, x=x: nu.density(s) / (x - s) ** 2, a, b, limit=200)[0]
    return g, g2


def _outside(nu, u):
    """Boolean mask: u lies outside supp nu."""
    loc, _ = _discrete_parts(nu)
    out = ~np.isin(u, loc)
    for a, b in _continuous_intervals(nu):
        out &= (u < a) | (u > b)
    return out


def outliers(thetas, nu, *, variance):
    """Limiting positions and squared overlaps of the outliers created by eigenvalues of ``S``.

    Parameters
    ----------
    thetas : array_like of float
        Eigenvalues of ``S`` outside the bulk (each an eigenvector direction of ``S``).
    nu : SpectralLaw
        Limiting spectral law of the bulk of ``S``; ``PointMasses([0.0])`` is the finite-rank case.
    variance : float
        Off-diagonal variance ``sigma^2`` of ``R``.

    Returns
    -------
    positions, overlaps : ndarray
        ``H(theta) = theta + sigma^2 G_nu(theta)`` and ``H'(theta) = 1 - sigma^2 ∫dnu/(theta-s)^2``;
        NaN where ``theta`` lies in ``supp nu`` or ``H'(theta) <= 0`` (no outlier).

    Notes
    -----
    Standard result for deformed Wigner matrices (Capitaine, Donati-Martin, Féral, Février 2011;
    derived in the chapter, not read in the paper). For ``nu = delta_0``: ``theta + sigma^2/theta``
    and ``1 - sigma^2/theta^2``.
    """
    s2 = _check_variance(variance)
    th = np.atleast_1d(np.asarray(thetas, dtype=float))
    if not np.all(np.isfinite(th)):
        raise ValueError("thetas must be finite")
    pos = np.full(th.shape, np.nan)
    ov = np.full(th.shape, np.nan)
    ok = _outside(nu, th)
    if ok.any():
        g, g2 = real_transforms(nu, th[ok])
        slope = 1.0 - s2 * g2
        pos[ok] = np.where(slope > 0, th[ok] + s2 * g, np.nan)
        ov[ok] = np.where(slope > 0, slope, np.nan)
    return pos, ov


def bulk_edges(nu, *, variance):
    """Outer edges of ``SC(sigma) ⊞ nu``.

    Parameters
    ----------
    nu : SpectralLaw
        Bulk law of ``S``.
    variance : float
        ``sigma^2``.

    Returns
    -------
    left, right : float
        ``H(omega)`` at the real solutions ``omega`` outside the hull of ``supp nu`` of
        ``sigma^2 ∫ dnu/(omega-s)^2 = 1`` (Biane's edge equation, derived).
    """
    s2 = _check_variance(variance)
    lo, hi = _hull(nu)
    spread = hi - lo + 2.0 * math.sqrt(s2) + 1.0
    eps = 1e-12 * max(1.0, spread)

    def slope(w):
        return 1.0 - s2 * real_transforms(nu, w)[1][0]

    w_right = optimize.brentq(slope, hi + eps, hi + spread, xtol=1e-14)
    w_left = optimize.brentq(slope, lo - spread, lo - eps, xtol=1e-14)
    return tuple(float(w + s2 * real_transforms(nu, w)[0][0]) for w in (w_left, w_right))


def deformed_wigner_law(nu, *, variance):
    """Limiting spectral law of the bulk: ``SC(sigma) ⊞ nu``.

    Parameters
    ----------
    nu : SpectralLaw
        Limiting law of the spectrum of ``S``.
    variance : float
        ``sigma^2``.

    Returns
    -------
    SpectralLaw
        ``rmtlib.free.add(Semicircle(variance=variance), nu)``.
    """
    s2 = _check_variance(variance)
    from rmtlib import free, laws

    return free.add(laws.Semicircle(variance=s2), nu)


def random_direction_outlier(theta, nu, *, variance):
    """Outlier of ``R/sqrt(N) + S_bulk + theta u u^T`` for a uniformly random unit vector ``u``.

    Parameters
    ----------
    theta : float
        Spike strength (positive: right of the bulk).
    nu : SpectralLaw
        Law of ``S_bulk``.
    variance : float
        ``sigma^2``.

    Returns
    -------
    float
        ``omega_0 + sigma^2/theta`` with ``G_nu(omega_0) = 1/theta``, NaN if there is no outlier.

    Notes
    -----
    Benaych-Georges and Nadakuditi (2011) applied twice: ``omega_0`` is the outlier of
    ``S_bulk + theta u u^T`` and ``H(omega_0) = omega_0 + sigma^2/theta`` (derived in the spec, §4.3).
    """
    s2 = _check_variance(variance)
    if not isinstance(theta, Real) or theta <= 0:
        raise ValueError(f"theta must be positive, got {theta!r}")
    hi = _hull(nu)[1]
    f = lambda w: real_transforms(nu, w)[0][0] - 1.0 / theta
    eps = 1e-12 * max(1.0, abs(hi))
    if f(hi + eps) <= 0:
        return math.nan
    w0 = optimize.brentq(f, hi + eps, hi + 10 * (abs(hi) + theta + 1), xtol=1e-14)
    if 1.0 - s2 * real_transforms(nu, w0)[1][0] <= 0:
        return math.nan
    return float(w0 + s2 / theta)


def outlier_fluctuation_variance(theta, nu, *, variance, fourth_cumulant=0.0):
    """Limiting variance of ``sqrt(N) (lambda - H(theta))`` for one outlier along a coordinate axis.

    Parameters
    ----------
    theta : float
        Eigenvalue of ``S`` producing the outlier.
    nu : SpectralLaw
        Bulk law of ``S``.
    variance : float
        ``sigma^2``.
    fourth_cumulant : float, default 0
        ``E x^4 - 3`` of the unit-variance off-diagonal entry law (0 for Gaussian, -2 for Rademacher).

    Returns
    -------
    float
        ``sigma^2 [2 H' + kappa_4 H'^2 (1 - H')]`` (NaN if no outlier).

    Notes
    -----
    Derived for the chapter (Schur complement of the spike coordinate, linearised): the fluctuation
    is ``H'`` times the diagonal entry plus a quadratic form whose variance carries the fourth
    cumulant through ``(1/N) sum_a G_aa^2 -> ∫dnu/(theta-s)^2``. It is not universal: this is the
    non-universality of localized spikes (Capitaine, Donati-Martin, Féral 2009).
    """
    s2 = _check_variance(variance)
    slope = outliers([theta], nu, variance=s2)[1][0]
    return float(s2 * (2.0 * slope + fourth_cumulant * slope**2 * (1.0 - slope)))


def cluster_sd_prediction(theta, k, n, nu, *, variance):
    """Predicted standard deviation of a cluster of ``k`` coincident outliers at ``theta``.

    Parameters
    ----------
    theta : float
        The common eigenvalue of ``S``.
    k, n : int
        Cluster size and matrix size.
    nu : SpectralLaw
        Bulk law.
    variance : float
        ``sigma^2``.

    Returns
    -------
    float
        ``sqrt(H'(theta) sigma^2 (k + 1 - 2/k) / n)``.

    Notes
    -----
    Derived heuristic: the cluster is ``H(theta) + sqrt(H' sigma^2 / n) * spec(GOE_k)`` with unit
    off-diagonal variance; ``E`` of the empirical variance of ``spec(GOE_k)`` is ``k + 1 - 2/k``.
    """
    s2 = _check_variance(variance)
    k = _check_int("k", k, 1)
    n = _check_int("n", n, 1)
    slope = outliers([theta], nu, variance=s2)[1][0]
    return float(math.sqrt(slope * s2 * (k + 1 - 2.0 / k) / n))


# ----------------------------------------------------------------------------- samplers
def bulk_points(nu, n, *, grid="quantile", rng=None):
    """Bulk eigenvalues of ``S``: ``n`` quantiles of ``nu`` (deterministic) or ``n`` i.i.d. draws.

    Parameters
    ----------
    nu : SpectralLaw
        Target law (its ``cdf`` is inverted by bisection).
    n : int
        Number of points.
    grid : {"quantile", "iid"}
        ``"quantile"``: ``F^{-1}((j - 1/2)/n)``; ``"iid"``: ``F^{-1}(U_j)``.
    rng : Generator or int, optional
        Needed for ``"iid"``.

    Returns
    -------
    ndarray
        Sorted points.
    """
    n = _check_int("n", n, 1)
    if grid not in ("quantile", "iid"):
        raise ValueError(f"grid must be 'quantile' or 'iid', got {grid!r}")
    q = (np.arange(n) + 0.5) / n if grid == "quantile" else np.sort(_rng(rng).random(n))
    lo, hi = _hull(nu)
    if type(nu).__name__ == "Uniform":
        return lo + (hi - lo) * q
    a = np.full(n, lo - 1e-9 * (1 + abs(lo)))
    b = np.full(n, hi)
    for _ in range(64):  # smallest x with cdf(x) >= q
        m = 0.5 * (a + b)
        up = np.asarray(nu.cdf(m)) >= q
        b = np.where(up, m, b)
        a = np.where(up, a, m)
    loc, _ = _discrete_parts(nu)
    if loc.size:  # snap to atoms that bisection reached to rounding accuracy
        near = np.abs(b[:, None] - loc[None, :]) < 1e-9 * (1 + hi - lo)
        b = np.where(near.any(axis=1), loc[near.argmax(axis=1)], b)
    return b


def sample_wigner(n, *, variance=1.0, entries="gaussian", rng, **params):
    """``R / sqrt(n)`` with ``R`` symmetric, off-diagonal entries i.i.d. of variance ``sigma^2``.

    Parameters
    ----------
    n : int
        Size.
    variance : float
        ``sigma^2``.
    entries : str
        Entry law from :data:`rmtlib.entries.NAMES` (unit variance), scaled by ``sigma``.
    rng : Generator or int
        Random source.
    **params
        Parameters of the entry law (e.g. ``nu=5`` for ``student_t``).

    Returns
    -------
    ndarray, shape (n, n)
        Off-diagonal ``sigma x_ij / sqrt(n)``, diagonal ``sqrt(2) sigma x_ii / sqrt(n)`` (GOE for
        Gaussian entries).
    """
    n = _check_int("n", n, 1)
    s2 = _check_variance(variance)
    from rmtlib import entries as _entries

    x = _entries.sample(entries, (n, n), rng=_rng(rng), **params)
    r = np.triu(x, 1)
    r = r + r.T + math.sqrt(2.0) * np.diag(np.diag(x))
    return r * math.sqrt(s2 / n)


def sample_deformed_wigner(thetas, bulk, *, variance=1.0, entries="gaussian", rng, **params):
    """The matrix ``H = R/sqrt(N) + diag(thetas, bulk)`` with ``N = len(thetas) + len(bulk)``.

    Parameters
    ----------
    thetas : array_like
        Outlier eigenvalues of ``S`` (coordinates ``0 .. k-1``).
    bulk : array_like
        Bulk eigenvalues of ``S`` (see :func:`bulk_points`).
    variance, entries, rng, **params
        As in :func:`sample_wigner`.

    Returns
    -------
    ndarray, shape (N, N)
    """
    diag = np.concatenate([np.atleast_1d(np.asarray(thetas, float)), np.asarray(bulk, float)])
    h = sample_wigner(diag.size, variance=variance, entries=entries, rng=rng, **params)
    h[np.diag_indices_from(h)] += diag
    return h


def measure_outliers(thetas, bulk, *, variance=1.0, entries="gaussian", rng, vectors=True, **params):
    """Sample ``H`` and return the eigenvalues matched to ``thetas`` and their squared overlaps.

    Parameters
    ----------
    thetas : array_like
        Outlier eigenvalues of ``S``; those above the bulk are matched to the top eigenvalues,
        those below to the bottom ones, in sorted order.
    bulk : array_like
        Bulk eigenvalues of ``S``.
    variance, entries, rng, **params
        As in :func:`sample_wigner`.
    vectors : bool, default True
        Also measure the squared overlaps ``|<v_i, e_i>|^2`` with the coordinate of ``theta_i``.

    Returns
    -------
    dict
        ``positions`` and ``overlaps`` (NaN if ``vectors`` is False), in the order of ``thetas``;
        ``top`` (largest eigenvalue not matched to a theta above the bulk).
    """
    th = np.atleast_1d(np.asarray(thetas, float))
    bulk = np.asarray(bulk, float)
    h = sample_deformed_wigner(th, bulk, variance=variance, entries=entries, rng=rng, **params)
    mid = np.median(bulk)
    up = np.flatnonzero(th > mid)[np.argsort(-th[th > mid], kind="stable")]
    down = np.flatnonzero(th <= mid)[np.argsort(th[th <= mid], kind="stable")]
    if vectors:
        w, v = np.linalg.eigh(h)
    else:
        w, v = np.linalg.eigvalsh(h), None
    n = w.size
    idx = np.empty(th.size, dtype=int)
    idx[up] = n - 1 - np.arange(up.size)
    idx[down] = np.arange(down.size)
    pos = w[idx]
    ov = v[np.arange(th.size), idx] ** 2 if vectors else np.full(th.size, np.nan)
    return {"positions": pos, "overlaps": ov, "top": float(w[n - 1 - up.size])}


def growing_outliers(n, *, alpha, arrangement, variance=1.0, bulk_half_width=1.0,
                     spread=(2.0, 4.0), entries="gaussian", rng, **params):
    """One draw of ``k = floor(n^alpha)`` outliers, separated or coincident, and their errors.

    Parameters
    ----------
    n : int
        Matrix size (bulk ``n - k`` quantiles of ``U[-a, a]``).
    alpha : float
        Growth exponent, ``0 < alpha < 1``.
    arrangement : {"separated", "coincident"}
        ``"separated"``: thetas evenly spaced on ``spread``; ``"coincident"``: all at ``mean(spread)``.
    variance, entries, rng, **params
        As in :func:`sample_wigner`.
    bulk_half_width : float
        ``a``.
    spread : (float, float)
        Interval of the thetas.

    Returns
    -------
    dict
        ``k``; ``mean_error``, ``max_error`` (sorted top-``k`` eigenvalues against sorted
        ``H(theta_i)``); ``cluster_mean``, ``cluster_sd`` (population sd), ``cluster_width``
        (max - min) of the top ``k``; ``spacing``.
    """
    n = _check_int("n", n, 2)
    if not isinstance(alpha, Real) or not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    if arrangement not in ("separated", "coincident"):
        raise ValueError(f"arrangement must be 'separated' or 'coincident', got {arrangement!r}")
    from rmtlib import laws

    k = max(1, math.floor(n**alpha + 1e-9))
    nu = laws.Uniform(-bulk_half_width, bulk_half_width)
    lo, hi = spread
    th = np.linspace(lo, hi, k) if arrangement == "separated" else np.full(k, 0.5 * (lo + hi))
    bulk = bulk_points(nu, n - k)
    h = sample_deformed_wigner(th, bulk, variance=variance, entries=entries, rng=rng, **params)
    top = linalg.eigh(h, eigvals_only=True, subset_by_index=[n - k, n - 1])
    pred = np.sort(outliers(th, nu, variance=variance)[0])
    err = np.abs(np.sort(top) - pred)
    return {"k": k, "mean_error": float(err.mean()), "max_error": float(err.max()),
            "cluster_mean": float(top.mean()), "cluster_sd": float(top.std()),
            "cluster_width": float(top.max() - top.min()),
            "spacing": float((hi - lo) / (k - 1)) if arrangement == "separated" and k > 1 else 0.0}



# ----------------------------------------------------------------------------- chapter experiments
BULK_CASES = ("uniform_1", "uniform_2.5", "two_point", "empirical")
"""Bulk laws of the chapter: ``(nu, variance, grid)`` from :func:`bulk_case`."""


def bulk_case(name):
    """The bulk law ``nu``, noise ``sigma^2`` and grid of one named case of the chapter.

    Parameters
    ----------
    name : str
        ``"uniform_1"`` (U[-1,1], sigma^2 = 1, quantile bulk), ``"uniform_2.5"`` (U[-2.5,2.5],
        sigma^2 = 1, i.i.d. bulk), ``"two_point"`` ((delta_-1 + delta_1)/2, sigma^2 = 1/2: two bulk
        components), ``"empirical"`` (the 400 eigenvalues of one Wishart matrix ``X X^T/800``, ``X``
        400 x 800 Gaussian with seed 0, shifted by -1; sigma^2 = 1/4).

    Returns
    -------
    nu, variance, grid : SpectralLaw, float, str
    """
    from rmtlib import laws

    if name == "uniform_1":
        return laws.Uniform(-1.0, 1.0), 1.0, "quantile"
    if name == "uniform_2.5":
        return laws.Uniform(-2.5, 2.5), 1.0, "iid"
    if name == "two_point":
        return laws.PointMasses([-1.0, 1.0]), 0.5, "quantile"
    if name == "empirical":
        x = np.random.default_rng(0).standard_normal((400, 800))
        return laws.Empirical(np.linalg.eigvalsh(x @ x.T / 800) - 1.0), 0.25, "quantile"
    raise ValueError(f"name must be one of {BULK_CASES}, got {name!r}")


def bulk_experiment(name, n, *, rng):
    """Spectrum of ``R/sqrt(n) + diag(bulk)`` for a named case and its split KS distance to theory.

    Parameters
    ----------
    name : str
        A case of :func:`bulk_case`.
    n : int
        Matrix size.
    rng : Generator or int
        Random source (matrix, and the bulk for the i.i.d. case).

    Returns
    -------
    dict
        ``eigenvalues``, ``law``, ``ks`` (statistic), ``edges`` (theory, from :func:`bulk_edges`),
        ``mc_edges`` (smallest and largest eigenvalue).
    """
    from rmtlib import spectra

    n = _check_int("n", n, 2)
    rng = _rng(rng)
    nu, s2, grid = bulk_case(name)
    ev = np.linalg.eigvalsh(sample_deformed_wigner([], bulk_points(nu, n, grid=grid, rng=rng),
                                                   variance=s2, rng=rng))
    law = deformed_wigner_law(nu, variance=s2)
    return {"eigenvalues": ev, "law": law, "ks": float(spectra.ks_distance(ev, law).statistic),
            "edges": bulk_edges(nu, variance=s2), "mc_edges": (float(ev[0]), float(ev[-1]))}


def outlier_sweep(thetas, nu, n, *, variance=1.0, draws=4, entries="gaussian", entry_params=None,
                  vectors=True, rng):
    """Outlier positions and overlaps over independent draws, with the theory and z-scores.

    Parameters
    ----------
    thetas : array_like
        Outlier eigenvalues of ``S`` (placed together in one matrix, coordinates ``0..k-1``).
    nu : SpectralLaw
        Bulk law; the bulk is its ``n - k`` quantiles.
    n : int
        Matrix size.
    variance, entries : float, str
        As in :func:`sample_wigner`.
    entry_params : dict, optional
        Parameters of the entry law (e.g. ``{"nu": 5}`` for ``student_t``).
    draws : int
        Number of matrices (seeds spawned from ``rng``).
    vectors : bool
        Measure overlaps (full eigendecomposition); False: eigenvalues only.
    rng : int or SeedSequence
        Master seed.

    Returns
    -------
    dict
        ``positions``, ``overlaps`` (draws x k); ``theory_positions``, ``theory_overlaps``;
        ``finite_rank_positions``, ``finite_rank_overlaps`` (``nu = delta_0`` formula);
        ``z`` (mean error over draws in units of the predicted standard error
        ``sqrt(variance_fluct / (n draws))``, Gaussian-entry prediction).
    """
    from rmtlib import laws

    n = _check_int("n", n, 2)
    draws = _check_int("draws", draws, 1)
    th = np.atleast_1d(np.asarray(thetas, float))
    bulk = bulk_points(nu, n - th.size)
    if isinstance(rng, np.random.Generator):
        rng = int(rng.integers(2**63))
    seeds = (rng if isinstance(rng, np.random.SeedSequence) else np.random.SeedSequence(rng)).spawn(draws)
    runs = [measure_outliers(th, bulk, variance=variance, entries=entries, vectors=vectors,
                             rng=np.random.default_rng(s), **(entry_params or {})) for s in seeds]
    pos = np.array([r["positions"] for r in runs])
    ov = np.array([r["overlaps"] for r in runs])
    tp, to = outliers(th, nu, variance=variance)
    fp, fo = outliers(th, laws.PointMasses([0.0]), variance=variance)
    fluct = np.array([outlier_fluctuation_variance(t, nu, variance=variance) if np.isfinite(p) else np.nan
                      for t, p in zip(th, tp)])
    z = (pos.mean(axis=0) - tp) / np.sqrt(fluct / (n * draws))
    return {"thetas": th, "positions": pos, "overlaps": ov, "theory_positions": tp, "theory_overlaps": to,
            "finite_rank_positions": fp, "finite_rank_overlaps": fo, "z": z}


def growing_sweep(ns, *, alphas, draws, seed, arrangements=("separated", "coincident")):
    """Run :func:`growing_outliers` over sizes, exponents, arrangements and draws; fit slopes.

    Parameters
    ----------
    ns : sequence of int
        Matrix sizes.
    alphas : sequence of float
        Exponents, ``k = floor(n^alpha)``.
    draws : int
        Draws per (n, alpha, arrangement).
    seed : int
        Master seed (one spawned child per task).
    arrangements : sequence of str
        Subset of ``("separated", "coincident")``.

    Returns
    -------
    dict
        Keyed by ``(arrangement, alpha)``: ``n``, ``k``, ``error`` (separated: mean error;
        coincident: cluster sd), ``prediction`` (coincident: :func:`cluster_sd_prediction`),
        ``fit`` (:func:`rmtlib.slopes.fit_loglog_slope` of ``error``), ``predicted_slope`` (separated:
        ``max(-1/2, alpha - 1)``; coincident: fitted slope of ``prediction``).
    """
    from rmtlib import laws

    tasks = [(a, al, n) for a in arrangements for al in alphas for n in ns for _ in range(draws)]
    seeds = np.random.SeedSequence(seed).spawn(len(tasks))
    rows = [growing_outliers(n, alpha=al, arrangement=a, rng=np.random.default_rng(s))
            for (a, al, n), s in zip(tasks, seeds)]
    out = {}
    nu = laws.Uniform(-1.0, 1.0)
    for a in arrangements:
        for al in alphas:
            sel = [(t, r) for t, r in zip(tasks, rows) if t[0] == a and t[1] == al]
            n_arr = np.array([t[2] for t, _ in sel])
            k_arr = np.array([r["k"] for _, r in sel])
            key = "mean_error" if a == "separated" else "cluster_sd"
            err = np.array([r[key] for _, r in sel])
            pred = np.array([cluster_sd_prediction(3.0, int(k), int(n), nu, variance=1.0)
                             for k, n in zip(k_arr, n_arr)])
            ps = max(-0.5, al - 1.0) if a == "separated" else fit_loglog_slope(n_arr, pred)["slope"]
            out[(a, al)] = {"n": n_arr, "k": k_arr, "error": err, "prediction": pred,
                            "fit": fit_loglog_slope(n_arr, err), "predicted_slope": float(ps)}
    return out


def universality_sweep(n, *, draws, entry_laws, theta=3.0, half_width=2.5, seed):
    """Outliers at ``±theta`` over a ``U[-a, a]`` bulk for several entry laws of ``R``.

    Parameters
    ----------
    n : int
        Matrix size.
    draws : int
        Matrices per law (two outliers each).
    entry_laws : sequence of (str, dict)
        Entry laws of :mod:`rmtlib.entries` with their parameters.
    theta, half_width : float
        Outlier and bulk half width (``sigma^2 = 1``).
    seed : int
        Master seed.

    Returns
    -------
    dict
        Per law name: ``scaled`` (``sqrt(n) (lambda - H(theta))`` pooled over both outliers),
        ``z`` (mean of ``scaled`` in units of its standard error), ``sd``, ``sd_pred`` (from
        :func:`outlier_fluctuation_variance` with the law's fourth cumulant), ``sd_gauss``,
        ``sd_se`` (standard error of ``sd``).
    """
    from rmtlib import entries, laws

    nu = laws.Uniform(-half_width, half_width)
    out = {}
    gauss = math.sqrt(outlier_fluctuation_variance(theta, nu, variance=1.0))
    for (name, params), ss in zip(entry_laws, np.random.SeedSequence(seed).spawn(len(entry_laws))):
        res = outlier_sweep([theta, -theta], nu, n, draws=draws, entries=name, vectors=False,
                            entry_params=params, rng=ss)
        scaled = (math.sqrt(n) * (res["positions"] - res["theory_positions"])).ravel()
        kappa = entries.fourth_moment(name, **params) - 3.0
        sd = float(scaled.std(ddof=1))
        m4 = float(np.mean((scaled - scaled.mean()) ** 4)) / sd**4
        label = name + "".join(f"_{k}{v:g}" for k, v in params.items())
        out[label] = {"scaled": scaled, "z": float(scaled.mean() / (sd / math.sqrt(scaled.size))),
                      "sd": sd, "kappa4": float(kappa), "sd_gauss": gauss,
                      "sd_pred": math.sqrt(outlier_fluctuation_variance(theta, nu, variance=1.0,
                                                                        fourth_cumulant=kappa)),
                      "sd_se": sd * math.sqrt((m4 - 1) / (4 * scaled.size))}
    return out


# ----------------------------------------------------------------------------- chapter statistics
ENTRY_LAWS = (("gaussian", {}), ("rademacher", {}), ("student_t", {"nu": 5}))
"""Entry laws of the universality section: Gaussian, Rademacher, Student t with 5 degrees
of freedom (heavy-tailed, finite fourth moment)."""


def outlier_statistics(res, *, min_overlap=0.5, focus=3.0):
    """Check statistics of an :func:`outlier_sweep`: z-scores and overlap errors.

    Parameters
    ----------
    res : dict
        Result of :func:`outlier_sweep`.
    min_overlap : float
        Only outliers with ``H'(theta) >= min_overlap`` enter the maxima (near the threshold the
        finite-N bias decays like ``N^{-1/3}``).
    focus : float
        The theta reported on its own.

    Returns
    -------
    dict
        ``z_focus`` (|z| at ``theta = focus``), ``z_max`` (max |z| over thetas with
        ``H' >= min_overlap``), ``ov_err_focus``, ``ov_err_max`` (|mean overlap - H'|).
    """
    ok = res["theory_overlaps"] >= min_overlap
    i = int(np.argmin(np.abs(np.asarray(res["thetas"]) - focus)))
    ov_err = np.abs(np.nanmean(res["overlaps"], axis=0) - res["theory_overlaps"])
    return {"z_focus": float(abs(res["z"][i])), "z_max": float(np.max(np.abs(res["z"][ok]))),
            "ov_err_focus": float(ov_err[i]), "ov_err_max": float(np.max(ov_err[ok]))}


def calibration_statistics(settings, seed):
    """Every calibrated statistic of the chapter for one master seed.

    Parameters
    ----------
    settings : dict
        The notebook parameters (sizes, draws, thetas; see ``notebooks/deformed.ipynb``).
    seed : int
        Master seed.

    Returns
    -------
    dict
        Flat mapping from statistic name to value (the notebook's checks compare the same
        statistics with ``1.5 x`` their maximum over the calibration seeds).
    """
    from rmtlib import laws, pruning

    p = settings
    ss = np.random.SeedSequence(seed).spawn(6)
    out = {}
    for name, s in zip(BULK_CASES, ss[0].spawn(len(BULK_CASES))):
        out[f"ks_{name}"] = bulk_experiment(name, p["bulk_n"], rng=np.random.default_rng(s))["ks"]
    res = outlier_sweep(p["outlier_thetas"], laws.Uniform(-2.5, 2.5), p["outlier_n"],
                        draws=p["outlier_draws"], rng=ss[1])
    out.update({f"outlier_{k}": v for k, v in outlier_statistics(res).items()})
    fr = outlier_sweep([3.0, -2.0, 0.8], laws.PointMasses([0.0]), p["finite_rank_n"], draws=1,
                       rng=ss[2])
    out["finite_rank_z"] = float(np.max(np.abs(fr["z"][:2])))
    out["finite_rank_ov_err"] = float(np.max(np.abs(fr["overlaps"][0, :2] - fr["theory_overlaps"][:2])))
    grow = growing_sweep(p["growing_ns"], alphas=p["growing_alphas"], draws=p["growing_draws"],
                         seed=int(ss[3].generate_state(1)[0]))
    for (arr, al), g in grow.items():
        out[f"slope_dev_{arr}_{al:g}"] = abs(g["fit"]["slope"] - g["predicted_slope"])
        if arr == "coincident":
            out[f"cluster_ratio_dev_{al:g}"] = abs(float(np.mean(g["error"] / g["prediction"])) - 1)
    uni = universality_sweep(p["univ_n"], draws=p["univ_draws"], entry_laws=ENTRY_LAWS,
                             seed=int(ss[4].generate_state(1)[0]))
    for name, u in uni.items():
        out[f"univ_z_{name}"] = abs(u["z"])
        out[f"univ_sd_dev_{name}"] = abs(u["sd"] / u["sd_pred"] - 1)
    rect = pruning.rect_sweep(p["rect_n"], p["rect_m"], p["rect_thetas"], draws=p["rect_draws"],
                              seed=int(ss[5].generate_state(1)[0]))
    ok = rect["theory_u"] >= 0.5
    out["rect_s_err"] = float(np.max(np.abs(rect["s"].mean(0) - rect["theory_s"])[ok]))
    out["rect_ov_err"] = float(max(np.max(np.abs(rect["ov_u"].mean(0) - rect["theory_u"])[ok]),
                                   np.max(np.abs(rect["ov_v"].mean(0) - rect["theory_v"])[ok])))
    return out


def calibrate(settings, seeds, *, safety=1.5):
    """Thresholds: ``safety x`` the maximum of each statistic over ``seeds`` (with the raw values).

    Parameters
    ----------
    settings : dict
        Notebook parameters of one profile.
    seeds : sequence of int
        At least 10 master seeds, none equal to the notebook's own seed.
    safety : float
        Factor in [1, 1.5].

    Returns
    -------
    dict
        ``{"seeds": [...], "safety": safety, "values": {name: [...]}, "thresholds": {name: t}}``.
    """
    if not 1 <= safety <= 1.5:
        raise ValueError(f"safety must be in [1, 1.5], got {safety!r}")
    rows = [calibration_statistics(settings, int(s)) for s in seeds]
    values = {k: [float(r[k]) for r in rows] for k in rows[0]}
    return {"seeds": [int(s) for s in seeds], "safety": safety, "settings": settings, "values": values,
            "thresholds": {k: safety * max(v) for k, v in values.items()}}
