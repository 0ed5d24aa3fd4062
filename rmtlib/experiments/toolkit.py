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

Simulate once, judge many times: :func:`ensemble` (cached) draws the eigenvalues of several seeded
matrices of a case at three sizes; :func:`judge` turns them into the statistics the chapter's checks
compare with the theory (per-seed moments, the Stieltjes transform at a point off the axis, the count
of zero eigenvalues, the split KS distance of one matrix), the theory read through
:mod:`rmtlib.experiments.theory` so that a power run can perturb it. :func:`run` does both for the cases
of a section. :func:`exact` integrates each law's computed density against the closed forms, and
:func:`statistics` is the KS distance that the chapter's regression bounds are calibrated on.
"""

from __future__ import annotations

import functools

import numpy as np

from rmtlib import free, laws, spectra
from rmtlib.experiments import theory
from rmtlib.experiments import toolkit_moments as moments
from rmtlib.experiments.cache import simulation
from rmtlib.experiments.mapper import map_tasks

__all__ = ["CASES", "CENTRES", "DEFORMATION", "POPULATION", "PROBE_HEIGHT", "RATIOS", "SYMMETRIC",
           "case_law", "closed_forms", "ensemble", "exact", "finite_moments", "judge", "run", "sample_case",
           "sample_task", "sizes", "statistics", "theory_law"]

DEFORMATION = 1.0
"""Half-distance a of the two-point deformation ½(δ₋ₐ + δₐ) of the ``deformed`` case."""
POPULATION = (1.0, 4.0)
"""The two population variances of the ``mp_two_point`` case (equal weights)."""
RATIOS = (0.5, 2.0)
"""The dimension ratios n/p of the two Marchenko-Pastur laws (W₁ and W₂ of the product)."""

CASES = ("semicircle", "mp_half", "mp_two", "deformed", "wishart_prod", "mp_two_point")
"""The cases of the toolkit chapter, in the order of the chapter."""
SYMMETRIC = ("semicircle", "deformed")
"""Cases whose law and sampler are symmetric about 0: their first moment is 0 at every n and scale."""
CENTRES = {"semicircle": 0.0, "mp_half": 1.0, "mp_two": 1.0, "deformed": 0.0, "wishart_prod": 1.0,
           "mp_two_point": 2.5}
"""Real part of the probe point z of each case: the mean of its law."""
PROBE_HEIGHT = 0.5
"""Imaginary part of every probe point z = centre + 0.5 i."""


def _check(case, n):
    if case not in CASES:
        raise ValueError(f"case must be one of {CASES}, got {case!r}")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 4 or n % 2:
        raise ValueError(f"n must be an even integer >= 4, got {n!r}")


def case_law(case, *, deformation=DEFORMATION, ratio_factor=1.0):
    """Return the limiting law of a case (see the module table), built once per argument set.

    Parameters
    ----------
    case : str
        One of :data:`CASES`.
    deformation : float
        The half-distance a of the two-point deformation (``deformed``).
    ratio_factor : float
        A factor on both dimension ratios :data:`RATIOS` of the Marchenko-Pastur laws.

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
    Silverstein and Bai (1995), Theorem 1.1.
    """
    _check(case, 4)
    return _law(case, float(deformation), float(ratio_factor))


@functools.lru_cache(maxsize=32)
def _law(case, deformation, ratio_factor):
    half, two = (laws.MarchenkoPastur(ratio_factor * r) for r in RATIOS)
    if case == "semicircle":
        return laws.Semicircle(variance=1.0)
    if case == "mp_half":
        return half
    if case == "mp_two":
        return two
    if case == "deformed":
        return free.add(laws.Semicircle(variance=1.0), laws.PointMasses([-deformation, deformation]))
    if case == "wishart_prod":
        return free.multiply(half, two)
    return free.multiply(half, laws.PointMasses(list(POPULATION)))


def theory_law(case):
    """The law the checks compare a case's simulation with (perturbed in a power run).

    Parameters
    ----------
    case : str
        One of :data:`CASES`.

    Returns
    -------
    rmtlib.laws.SpectralLaw
        ``theory.law(case_law(case, ...))`` with the deformation and the ratios read through
        ``theory.parameter("deform_a", ...)`` and ``theory.parameter("mp_ratio", ...)``.
    """
    return theory.law(case_law(case, deformation=theory.parameter("deform_a", DEFORMATION),
                               ratio_factor=theory.parameter("mp_ratio", 1.0)))


def closed_forms(case):
    """Atom at zero, first and second moment of a case's limiting law, from closed forms.

    Parameters
    ----------
    case : str
        One of :data:`CASES`.

    Returns
    -------
    tuple of float
        ``(mass at 0, m1, m2)``.

    Notes
    -----
    MP of ratio c > 1 has an atom 1 - 1/c at 0; the atom of a product is the larger of the factors'
    (``book/derivations.md, eq. (tk-product-atom)``); moments from
    :func:`rmtlib.experiments.toolkit_moments.limit_moments`.
    """
    _check(case, 4)
    half, two = RATIOS
    table = {"semicircle": (0.0, ("semicircle", {})),
             "mp_half": (0.0, ("mp", {"ratio": half})),
             "mp_two": (1.0 - 1.0 / two, ("mp", {"ratio": two})),
             "deformed": (0.0, ("deformed", {"a": DEFORMATION})),
             "wishart_prod": (max(0.0, 1.0 - 1.0 / two), ("mp_product", {"ratio": half, "ratio2": two})),
             "mp_two_point": (0.0, ("mp_population", {"ratio": half, "population": POPULATION}))}
    atom, (kind, params) = table[case]
    return (atom, *moments.limit_moments(kind, **params))


def finite_moments(case, n):
    """Exact expectations of tr(M)/n and tr(M²)/n for the matrix M of a case at size n.

    Parameters
    ----------
    case : str
        One of :data:`CASES`.
    n : int
        Matrix size (even, >= 4).

    Returns
    -------
    tuple of float
        ``(E m1, E m2)``.

    Notes
    -----
    The GOE sampler has off-diagonal variance 1/n and diagonal variance 2/n, so
    E tr(H²)/n = 1 + 1/n; tr(diag(±a)) = 0 adds a² to m2 and nothing to m1. The Wishart cases follow
    :func:`rmtlib.experiments.toolkit_moments.sandwich_m2`: with W₂ of n/2 columns applied to the
    independent W₁ (E tr W₁² = n(1 + (n + 1)/p), E (tr W₁)² = n² + 2n/p, p = 2n), and with A = T for
    the population case.
    """
    _check(case, n)
    p, q = int(n / RATIOS[0]), int(n / RATIOS[1])
    if case in SYMMETRIC:
        a2 = DEFORMATION**2 if case == "deformed" else 0.0
        return 0.0, 1.0 + 1.0 / n + a2
    if case in ("mp_half", "mp_two"):
        columns = p if case == "mp_half" else q
        return 1.0, moments.wishart_m2(n, columns)
    if case == "wishart_prod":
        return 1.0, moments.sandwich_m2(n**2 + 2.0 * n / p, n * moments.wishart_m2(n, p), n, q)
    t = np.repeat(POPULATION, n // 2)
    return float(t.mean()), moments.sandwich_m2(t.sum() ** 2, np.sum(t**2), n, p)


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


def sample_task(task):
    """:func:`sample_case` of one task ``(case, n, seed)`` (the unit of the chapter's sweeps)."""
    case, n, seed = task
    return sample_case(case, n, rng=seed)


def sizes(n):
    """The three sizes of the chapter's fits: about n/4, n/2 and n, each even.

    Parameters
    ----------
    n : int
        The largest size (even, >= 16).

    Returns
    -------
    list of int
    """
    _check("semicircle", n)
    if n < 16:
        raise ValueError(f"n must be >= 16 for three sizes, got {n}")
    return [2 * (n // 8), 2 * (n // 4), int(n)]


@simulation
def ensemble(case, settings, seed) -> dict:
    """Eigenvalues of independent seeded matrices of a case at several sizes (the raw simulation).

    Parameters
    ----------
    case : str
        One of :data:`CASES`.
    settings : dict
        ``{"sizes": list of int, "seeds": int}``.
    seed : int
        The chapter's seed; matrix r at size index j uses
        ``SeedSequence(seed, spawn_key=(CASES.index(case), j, r))``.

    Returns
    -------
    dict
        ``{"case", "sizes", "eigenvalues"}``, one ``(seeds, n)`` array per size.
    """
    for n in settings["sizes"]:
        _check(case, n)
    index, count = CASES.index(case), int(settings["seeds"])
    tasks = [(case, int(n), np.random.SeedSequence(seed, spawn_key=(index, j, r)))
             for j, n in enumerate(settings["sizes"]) for r in range(count)]
    drawn = map_tasks(sample_task, tasks, label=f"toolkit {case}")
    eigenvalues = [np.array(drawn[j * count:(j + 1) * count]) for j in range(len(settings["sizes"]))]
    return {"case": case, "sizes": [int(n) for n in settings["sizes"]], "eigenvalues": eigenvalues}


def judge(simulated) -> dict:
    """The statistics of a case's ensemble and the theory values they are compared with.

    Parameters
    ----------
    simulated : dict
        A result of :func:`ensemble`.

    Returns
    -------
    dict
        ``case``, ``sizes``, ``n`` (the largest size), ``eigenvalues`` (the first matrix at n),
        ``law`` (:func:`theory_law`), ``ks`` (split KS distance of that matrix, a regression
        statistic), ``moments`` ``{1: ..., 2: ...}`` (per-seed tr(Mᵏ)/n at n), ``theory_moments``
        (``theory.moment`` of the law's), ``allowance`` (``|E mₖ at n - limit|``, exact),
        ``probe`` (z), ``stieltjes`` (per size, per-seed Im tr((z - M)⁻¹)/n), ``theory_stieltjes``
        (Im G(z) of the law), ``zeros`` (count of zero eigenvalues over the seeds at n),
        ``trials`` (seeds x n) and ``atom`` (the law's mass at 0).
    """
    case, all_sizes = simulated["case"], simulated["sizes"]
    ev, n = simulated["eigenvalues"][-1], all_sizes[-1]
    law = theory_law(case)
    unscaled = case_law(case, deformation=theory.parameter("deform_a", DEFORMATION),
                        ratio_factor=theory.parameter("mp_ratio", 1.0))
    z = CENTRES[case] + 1j * PROBE_HEIGHT
    limit, finite = closed_forms(case)[1:], finite_moments(case, n)
    zeros = sum(int(np.sum(np.abs(row) <= spectra.default_tol(row))) for row in ev)
    return {"case": case, "sizes": all_sizes, "n": n, "eigenvalues": ev[0], "law": law,
            "ks": float(spectra.ks_distance(ev[0], law, tol=spectra.default_tol(ev[0])).statistic),
            "moments": {k: np.mean(ev**k, axis=1) for k in (1, 2)},
            "theory_moments": {k: theory.moment(unscaled.moment(k), k) for k in (1, 2)},
            "allowance": {k: abs(finite[k - 1] - limit[k - 1]) for k in (1, 2)},
            "probe": z, "stieltjes": [np.mean(1.0 / (z - e), axis=1).imag for e in simulated["eigenvalues"]],
            "theory_stieltjes": float(law.stieltjes(z).imag), "zeros": zeros, "trials": int(ev.size),
            "atom": law.atom_mass(0.0)}


def run(settings, seed) -> dict:
    """Simulate (cached) and judge the cases of one section of the chapter.

    Parameters
    ----------
    settings : dict
        ``{"n": int, "seeds": int, "cases": sequence of str}``; the ensembles use :func:`sizes` of n.
    seed : int
        The chapter's seed (each case, size and matrix has its own stream, see :func:`ensemble`).

    Returns
    -------
    dict
        ``{case: judge(ensemble(case, ...))}``, in the order of ``settings["cases"]``.
    """
    for case in settings["cases"]:
        _check(case, settings["n"])
    config = {"sizes": sizes(settings["n"]), "seeds": int(settings["seeds"])}
    return {case: judge(ensemble(case, config, seed)) for case in settings["cases"]}


def exact(case) -> dict:
    """Total mass and moments integrated from a case's computed density, with the closed forms.

    Parameters
    ----------
    case : str
        One of :data:`CASES`.

    Returns
    -------
    dict
        ``continuous`` (integral of the density), ``continuous_closed`` (1 - the closed-form atom),
        ``moments`` (m1, m2 of density plus atoms) and ``moments_closed`` (closed forms), for the
        unperturbed law: these compare theory with theory, not with a simulation.
    """
    continuous, m1, m2 = moments.quadrature_moments(case_law(case))
    atom, c1, c2 = closed_forms(case)
    return {"continuous": continuous, "continuous_closed": 1.0 - atom, "moments": (m1, m2),
            "moments_closed": (c1, c2)}


def statistics(settings, seed) -> dict:
    """Split KS distance of every case for one calibration seed (the chapter's regression statistic).

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
        ``{"ks_<case>": float}`` against the unperturbed law.
    """
    out = {}
    for case in settings.get("cases", CASES):
        ev = sample_case(case, settings["n"], rng=np.random.default_rng(seed))
        out[f"ks_{case}"] = float(spectra.ks_distance(ev, case_law(case), tol=spectra.default_tol(ev)).statistic)
    return out
