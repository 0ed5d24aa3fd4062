"""Split KS distance and atom fractions."""

import numpy as np
import pytest

from rmtlib import activations, laws, spectra


def test_ks_of_exact_quantiles_is_half_a_step():
    law = laws.Semicircle()
    n = 1000
    # points at the mid-quantiles F^-1((i - 1/2)/n): KS = 1/(2n) exactly
    grid = np.linspace(-2, 2, 200001)
    cdf = law.cdf(grid)
    pts = np.interp((np.arange(n) + 0.5) / n, cdf, grid)
    res = spectra.ks_distance(pts, law)
    assert res.statistic == pytest.approx(0.5 / n, abs=1e-6)
    assert res.n_continuous == n and res.atoms == []


def test_split_ks_separates_the_atom():
    law = laws.MarchenkoPastur(2.0)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((400, 200))
    ev = np.linalg.eigvalsh(x @ x.T / 200)
    res = spectra.ks_distance(ev, law)
    (loc, emp, mass), = res.atoms
    assert loc == 0.0 and mass == pytest.approx(0.5)
    assert emp == pytest.approx(0.5, abs=1e-12)  # rank deficiency: exactly 200 zero eigenvalues
    assert res.n_continuous == 200
    assert res.statistic < 0.05
    wrong = spectra.ks_distance(ev, laws.MarchenkoPastur(1.5))
    assert wrong.statistic > 5 * res.statistic


def test_atom_fraction_and_validation():
    assert spectra.atom_fraction([0.0, 1e-12, 1.0, 2.0]) == 0.5
    assert spectra.atom_fraction([0.0, 0.1], at=0.1, tol=1e-3) == 0.5
    with pytest.raises(ValueError, match="eigenvalues must not be empty"):
        spectra.atom_fraction([])
    with pytest.raises(ValueError, match="eigenvalues must contain only finite"):
        spectra.ks_distance([np.nan, 1.0], laws.Semicircle())
    assert spectra.ks_expected(100) == pytest.approx(np.sqrt(np.pi / 2) * np.log(2) / 10)


def test_activation_registry():
    relu = activations.get("relu")
    np.testing.assert_array_equal(relu.phi(np.array([-1.0, 2.0])), [0.0, 2.0])
    assert relu.kinks == (0.0,)
    assert activations.get("sign").dphi is None
    custom = activations.get((np.sin, np.cos))
    assert custom.name == "custom"
    with pytest.raises(ValueError, match="activation must be one of"):
        activations.get("swish")


# --------------------------------------------------------------------------- stochastic Lanczos quadrature
def _wishart(n, m, rng):
    x = rng.standard_normal((n, m))
    return x @ x.T / m


def _goe(n, rng):
    a = rng.standard_normal((n, n))
    return (a + a.T) / np.sqrt(2 * n)


def _slq_bound(law, dim, probes, k=5.0):
    """The docstring's error: the largest Gauss weight off the atom at 0 plus k probe standard deviations."""
    return probes * float(np.max(law.weights[law.locations != 0])) + k / np.sqrt(2 * (dim + 2) * probes)


@pytest.mark.parametrize("case", ["wishart", "rank_deficient", "goe"])
def test_lanczos_law_matches_exact_eigenvalues(case):
    rng = np.random.default_rng(7)
    n = 300
    a = {"wishart": lambda: _wishart(n, 600, rng), "rank_deficient": lambda: _wishart(n, 150, rng),
         "goe": lambda: _goe(n, rng)}[case]()
    exact = np.linalg.eigvalsh(a)
    exact[np.abs(exact) < 1e-9 * np.abs(exact).max()] = 0.0  # the kernel, as lanczos_law snaps it
    law = spectra.lanczos_law(lambda v: a @ v, n, steps=60, probes=8, rng=1)
    err = spectra.discrete_cdf_distance(law, exact)
    assert err <= _slq_bound(law, n, 8), (case, err)
    assert abs(law.mean - exact.mean()) < 5 * exact.std() / np.sqrt(n * 8)
    if case == "goe":
        assert law.cdf(-1e-12) > 0.4  # negative eigenvalues are kept
    w0 = 0.5 if case == "rank_deficient" else 0.0
    atom = dict(law.atoms).get(0.0, 0.0)
    assert abs(atom - w0) <= 5 * np.sqrt(2 * max(w0 * (1 - w0), 1 / n) / ((n + 2) * 8))


def test_lanczos_error_falls_with_steps_and_full_steps_are_exact():
    rng = np.random.default_rng(3)
    n = 200
    a = _wishart(n, 400, rng)
    exact = np.linalg.eigvalsh(a)
    errs = [spectra.discrete_cdf_distance(spectra.lanczos_law(lambda v: a @ v, n, steps=m, probes=4, rng=2), exact)
            for m in (5, 20, 80)]
    assert errs[0] > errs[1] > errs[2]
    assert errs[0] > 0.05  # five nodes cannot resolve the CDF
    full = spectra.lanczos_law(lambda v: a @ v, n, steps=n, probes=4, rng=2)
    assert np.max(np.abs(np.sort(full.locations)[[0, -1]] - exact[[0, -1]])) < 1e-9
    assert spectra.discrete_cdf_distance(full, exact) <= 5 / np.sqrt(2 * (n + 2) * 4)


def test_lanczos_reorthogonalisation_keeps_ghosts_away():
    """Without reorthogonalisation Lanczos produces copies of converged extreme Ritz values."""
    a = np.diag(np.concatenate([np.linspace(0.0, 1.0, 199), [10.0]]))
    law = spectra.lanczos_law(lambda v: a @ v, 200, steps=120, probes=1, rng=0)
    assert np.sum(law.locations > 5) == 1


def test_lanczos_validation():
    with pytest.raises(ValueError, match="steps"):
        spectra.lanczos_law(lambda v: v, 5, steps=0, probes=1, rng=0)
    with pytest.raises(ValueError, match="probes"):
        spectra.lanczos_law(lambda v: v, 5, steps=2, probes=0, rng=0)
    with pytest.raises(TypeError, match="matvec"):
        spectra.lanczos_law(None, 5, steps=2, probes=1, rng=0)
    with pytest.raises(ValueError, match="dim"):
        spectra.lanczos_law(lambda v: np.ones(3), 5, steps=2, probes=1, rng=0)
