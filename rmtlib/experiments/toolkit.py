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

Samplers are pure functions of ``(n, rng)``. :func:`simulate` compares one seeded matrix of a case with
its law; :func:`run` does so for the cases of a section of the chapter, each on its own stream spawned
from the chapter's seed; :func:`statistics` gives the split KS distance of every case for one seed, the
function that the chapter's thresholds are calibrated on.
"""

from __future__ import annotations

import numpy as np

from rmtlib import free, laws, spectra

__all__ = ["CASES", "DEFORMATION", "POPULATION", "case_law", "run", "sample_case", "simulate",
           "statistics"]

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

    Notes
    -----
    The semicircle law of a Wigner matrix (Wigner 1955); the Marchenko-Pastur law of ``X Xᵀ / p`` with
    ratio ``n / p`` and an atom of mass ``1 - p / n`` at 0 when ``n > p`` (Marchenko and Pastur 1967);
    free additive and multiplicative convolutions by subordination (Biane 1998; Belinschi and
    Bercovici 2007); the two-point population case solves the Marchenko-Pastur equation of
    Silverstein and Bai (1995), Theorem 1.1. The exact properties the chapter checks (variances add
    under ⊞, means multiply under ⊠, the atom at zero of a product) are
    ``book/derivations.md, eq. (tk-free-moments)`` and ``eq. (tk-product-atom)``.
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
    W₁ = C Cᵀ (Cholesky; W₁ is full rank since its ratio is 1/2), which has the same eigenvalues
    (``book/derivations.md, eq. (tk-product-similarity)``).
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


def simulate(case, n, seed) -> dict:
    """Compare the eigenvalues of one seeded matrix of a case with its law.

    Parameters
    ----------
    case : str
        One of :data:`CASES`.
    n : int
        Matrix size (even, >= 4).
    seed : int or numpy.random.SeedSequence
        Seed of the matrix (``numpy.random.default_rng(seed)``).

    Returns
    -------
    dict
        ``case``, ``n``, ``eigenvalues`` (sorted array), ``ks`` (split KS distance of the non-atomic
        eigenvalues), ``atoms`` (one ``(location, empirical fraction, mass, binomial sd)`` per atom of
        the law), and the law's ``mean``, ``var``, ``atom_at_zero`` (mass at 0) and
        ``support_intervals`` (number of intervals of its support).

    Notes
    -----
    The split KS distance compares the renormalised continuous parts; eigenvalues within
    ``spectra.default_tol`` of an atom count as that atom, whose fraction of ``n`` is binomial with
    standard deviation ``sqrt(m (1 - m) / n)`` for mass ``m`` (``book/derivations.md,
    eq. (tk-atom-binomial)``).
    """
    eigenvalues = sample_case(case, n, rng=np.random.default_rng(seed))
    law = case_law(case)
    ks = spectra.ks_distance(eigenvalues, law, tol=spectra.default_tol(eigenvalues))
    atoms = [(float(loc), float(fraction), float(mass), float(np.sqrt(mass * (1 - mass) / n)))
             for loc, fraction, mass in ks.atoms]
    return {"case": case, "n": int(n), "eigenvalues": eigenvalues, "ks": float(ks.statistic), "atoms": atoms,
            "mean": float(law.mean), "var": float(law.var), "atom_at_zero": float(law.atom_mass(0.0)),
            "support_intervals": len(law.support)}


def run(settings, seed) -> dict:
    """Simulate the cases of one section of the chapter, each on its own stream of the chapter's seed.

    Parameters
    ----------
    settings : dict
        ``{"n": int, "cases": sequence of str}``.
    seed : int
        The chapter's seed; case ``c`` uses ``SeedSequence(seed).spawn(len(CASES))[CASES.index(c)]``,
        so a case draws the same matrix whichever section asks for it.

    Returns
    -------
    dict
        ``{case: simulate(case, n, its stream)}``, in the order of ``settings["cases"]``.
    """
    for case in settings["cases"]:
        _check(case, settings["n"])
    streams = np.random.SeedSequence(seed).spawn(len(CASES))
    return {case: simulate(case, settings["n"], streams[CASES.index(case)]) for case in settings["cases"]}


def statistics(settings, seed) -> dict:
    """Split KS distance of every case for one calibration seed (the chapter's calibrated statistics).

    Parameters
    ----------
    settings : dict
        ``{"n": int}``, optionally ``"cases"`` (default: all of :data:`CASES`).
    seed : int or numpy.random.SeedSequence
        Seed of the run; every case draws its matrix from ``default_rng(seed)``. The shipped
        calibration used the children of ``SeedSequence(7).spawn(20)``.

    Returns
    -------
    dict
        ``{"ks_<case>": float}``.
    """
    cases = settings.get("cases", CASES)
    return {f"ks_{case}": simulate(case, settings["n"], seed)["ks"] for case in cases}
