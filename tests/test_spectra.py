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
