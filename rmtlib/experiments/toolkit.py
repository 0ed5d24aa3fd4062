"""The free-probability toolkit chapter: seeded random matrices and the laws that describe them.

Each *case* pairs a random-matrix sampler with the limiting law that rmtlib computes for it:

- ``semicircle``: GOE with entry variance 1/n; law ``Semicircle()``.
- ``mp_half``: X Xᵀ / (2n) with X of shape n x 2n; law ``MarchenkoPastur(0.5)``.
- ``mp_two``: X Xᵀ / (n/2) with X of shape n x n/2; law ``MarchenkoPastur(2)`` (atom 1/2 at 0).
- ``deformed``: GOE + diag(±a), half of each sign; law
  ``free.add(Semicircle(), PointMasses([-a, a]))``.
- ``wishart_prod``: W₁ W₂ with W₁ drawn as in ``mp_half`` and W₂ as in ``mp_two``, independent; law
  ``free.multiply(MarchenkoPastur(0.5), MarchenkoPastur(2))`` (atom 1/2 at 0).
- ``mp_two_point``: T^½ X Xᵀ T^½ / (2n) with T = diag(1 or 4, half each); law
  ``free.multiply(MarchenkoPastur(0.5), PointMasses([1, 4]))``.

Samplers are pure functions of ``(n, rng)``; :func:`calibrate` maps them over seeds from
``numpy.random.SeedSequence(seed).spawn(k)`` to calibrate the chapter's thresholds.
"""

from __future__ import annotations

import numpy as np

from rmtlib import free, laws, spectra

__all__ = ["CASES", "DEFORMATION", "POPULATION", "case_law", "sample_case", "calibrate",
           "calibrated_threshold"]

DEFORMATION = 1.0
"""Half-distance a of the two-point deformation ½(δ₋ₐ + δₐ) of the ``deformed`` case."""
POPULATION = (1.0, 4.0)
"""The two population variances of the ``mp_two_point`` case (equal weights)."""

CASES = ("semicircle", "mp_half", "mp_two", "deformed", "wishart_prod", "mp_two_point")
"""The cases of the toolkit chapter, in the order of the chapter."""


def _check(case, n):
    if case not in CASES:
        raise ValueError(f"case must be one of {CASES}, got {case!r}")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 4 or n % 2:
        raise ValueError(f"n must be an even integer >= 4, got {n!r}")


def case_law(case):
    """Return the limiting law of a case (see the module table).

    Parameters
    ----------
    case : str
        One of :data:`CASES`.

    Returns
    -------
    rmtlib.laws.SpectralLaw
        The law computed by rmtlib.
    """
    _check(case, 4)
    if case == "semicircle":
        return laws.Semicircle(variance=1.0)
    if case == "mp_half":
        return laws.MarchenkoPastur(0.5)
    if case == "mp_two":
        return laws.MarchenkoPastur(2.0)
    if case == "deformed":
        return free.add(laws.Semicircle(variance=1.0), laws.PointMasses([-DEFORMATION, DEFORMATION]))
    if case == "wishart_prod":
        return free.multiply(laws.MarchenkoPastur(0.5), laws.MarchenkoPastur(2.0))
    return free.multiply(laws.MarchenkoPastur(0.5), laws.PointMasses(list(POPULATION)))


def _goe(n, rng):
    a = rng.standard_normal((n, n))
    return (a + a.T) / np.sqrt(2.0 * n)


def _wishart(n, columns, rng):
    x = rng.standard_normal((n, columns))
    return x @ x.T / columns


def sample_case(case, n, *, rng):
    """Draw the eigenvalues of one n x n matrix of a case.

    Parameters
    ----------
    case : str
        One of :data:`CASES`.
    n : int
        Matrix size (even, >= 4).
    rng : numpy.random.Generator or int
        Random generator or seed.

    Returns
    -------
    numpy.ndarray
        The n eigenvalues, sorted.

    Notes
    -----
    ``wishart_prod`` computes the spectrum of W₁W₂ as that of the symmetric Cᵀ W₂ C with
    W₁ = C Cᵀ (Cholesky; W₁ is full rank since its ratio is 1/2), which has the same eigenvalues.
    """
    _check(case, n)
    rng = np.random.default_rng(rng)
    if case == "semicircle":
        m = _goe(n, rng)
    elif case == "mp_half":
        m = _wishart(n, 2 * n, rng)
    elif case == "mp_two":
        m = _wishart(n, n // 2, rng)
    elif case == "deformed":
        m = _goe(n, rng) + np.diag(np.repeat([-DEFORMATION, DEFORMATION], n // 2))
    elif case == "wishart_prod":
        c = np.linalg.cholesky(_wishart(n, 2 * n, rng))
        m = c.T @ _wishart(n, n // 2, rng) @ c
    else:
        t = np.sqrt(np.repeat(POPULATION, n // 2))
        m = t[:, None] * _wishart(n, 2 * n, rng) * t[None, :]
    return np.linalg.eigvalsh(m)


def calibrate(cases, sizes, *, seed, repeats, safety=1.5):
    """Calibrate KS thresholds: split KS distance over ``repeats`` seeds at each size.

    Parameters
    ----------
    cases : sequence of str
        Cases to calibrate.
    sizes : sequence of int
        Matrix sizes (the profiles' ``n``).
    seed : int
        Root seed; run ``k`` of size ``n`` uses ``SeedSequence(seed).spawn(repeats)[k]``.
    repeats : int
        Number of seeds (>= 10).
    safety : float, default 1.5
        Factor applied to the largest value (at most 1.5).

    Returns
    -------
    dict
        ``{case: [{"n", "seed", "repeats", "values", "max", "threshold"}, ...]}``.
    """
    if repeats < 10:
        raise ValueError(f"repeats must be >= 10, got {repeats}")
    if not 1.0 <= safety <= 1.5:
        raise ValueError(f"safety must be in [1, 1.5], got {safety}")
    out = {}
    for case in cases:
        law = case_law(case)
        rows = []
        for n in sizes:
            values = []
            for child in np.random.SeedSequence(seed).spawn(repeats):
                ev = sample_case(case, n, rng=np.random.default_rng(child))
                values.append(spectra.ks_distance(ev, law, tol=spectra.default_tol(ev)).statistic)
            rows.append({"n": int(n), "seed": int(seed), "repeats": int(repeats),
                         "values": [round(float(v), 6) for v in values], "max": float(max(values)),
                         "threshold": float(safety * max(values))})
        out[case] = rows
    return out


def calibrated_threshold(rows, n) -> float:
    """Threshold for size ``n`` from calibration rows (see :func:`calibrate`).

    At a calibrated size the stored threshold is returned. Between or above calibrated sizes the
    threshold of the largest calibrated size ``m <= n`` is scaled by ``sqrt(m / n)``; below the
    smallest calibrated size ``m`` it is scaled by ``m / n``.

    Notes
    -----
    The split KS distance of random-matrix eigenvalues decays at least as fast as ``n**-0.5``
    (eigenvalues are more rigid than i.i.d. points), so the rescaled thresholds are lenient, never
    stricter than the calibration.
    """
    rows = sorted(rows, key=lambda r: r["n"])
    if not rows:
        raise ValueError("no calibration rows")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    below = [r for r in rows if r["n"] <= n]
    if below:
        ref = below[-1]
        return float(ref["threshold"] * np.sqrt(ref["n"] / n))
    return float(rows[0]["threshold"] * rows[0]["n"] / n)
