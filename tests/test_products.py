"""Tests of rmtlib.models.products: polynomial oracle, free.multiply cross-check, atoms, samplers.

The root tracker itself (Newton path against the companion-matrix reference) is tested in
tests/test_algebraic.py.
"""

import numpy as np
import pytest

from rmtlib import free, laws, spectra
from rmtlib.models import products

RATIOS = [(2.0, 0.5), (0.5, 1.5), (1.0, 1.0), (0.3, 1.7, 2.5), (1.1, 0.1, 3.0, 0.7)]


def test_fuss_catalan_closed_form_and_moments():
    x = np.array([0.01, 0.5, 1.0, 3.0, 6.0])
    expected = [5.511717, 0.3183099, 0.1789791, 0.0599734, 0.0150458]
    np.testing.assert_allclose(products.fuss_catalan_k2_density(x), expected, rtol=1e-6, atol=5e-8)
    rho = -products.chain_stieltjes(x, [1, 1]).imag / np.pi
    np.testing.assert_allclose(rho, products.fuss_catalan_k2_density(x), rtol=1e-10)
    np.testing.assert_allclose(products.chain_moments([1, 1], 4), [1, 3, 12, 55])
    np.testing.assert_allclose(products.chain_moments([1, 1, 1], 3), [1, 4, 22])
    np.testing.assert_allclose(products.chain_moments([2, 0.5], 3), [1, 3.5, 15.75])


def test_edges_match_reference_values():
    lo, hi = products.chain_edges([2, 0.5])
    assert abs(hi - 7.4934) < 1e-4 and abs(lo - 0.11187) < 1e-5
    lo, hi = products.chain_edges([0.5, 1.5])
    assert abs(hi - 6.5550) < 1e-4 and abs(lo - 0.03003) < 1e-5
    assert products.chain_edges([1, 1]) == pytest.approx((0.0, 6.75))


@pytest.mark.parametrize("ratios", RATIOS)
def test_free_multiply_matches_polynomial_oracle(ratios):
    law = free.multiply(*[laws.MarchenkoPastur(c) for c in ratios])
    oracle = products.ChainLaw(ratios)
    lo, hi = products.chain_edges(ratios)
    x = np.linspace(lo, hi, 200)[1:-1]
    np.testing.assert_allclose(law.density(x), oracle.density(x), rtol=1e-7, atol=1e-9)
    assert law.atom_mass(0.0) == pytest.approx(oracle.atom_mass(0.0), abs=1e-12)
    np.testing.assert_allclose(law.support[0], (lo, hi), rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose([law.moment(k) for k in (1, 2, 3)], products.chain_moments(ratios, 3), rtol=1e-9)
    assert law.continuous_mass + law.atom_mass(0.0) == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(law.cdf(np.array([0.5 * hi])), oracle.cdf(np.array([0.5 * hi])), atol=2e-6)


def test_per_point_rule_fails_for_three_factors():
    ratios = (0.3, 1.7, 2.5)
    hi = products.chain_edges(ratios)[1]
    x = np.linspace(0.05, 1.2 * hi, 300)
    good = -products.chain_stieltjes(x, ratios).imag / np.pi
    bad = -products.chain_stieltjes_per_point(x, ratios).imag / np.pi
    assert np.max(np.abs(good - bad)) > 0.01          # the wrong root is visibly wrong
    assert np.all(good[x > hi * 1.001] < 1e-8)       # while continuation vanishes beyond the edge
    two = (2.0, 0.5)
    y = np.linspace(0.2, 7.0, 50)
    np.testing.assert_allclose(-products.chain_stieltjes_per_point(y, two).imag, -products.chain_stieltjes(y, two).imag, atol=1e-6)


def test_zero_atom_formula_and_wishart_chain_law():
    assert products.zero_atom((1500, 750, 3000)) == pytest.approx(0.5)
    assert products.zero_atom((1500, 3000, 1000)) == pytest.approx(1 / 3)
    assert products.zero_atom((10, 20, 30)) == 0.0
    law = products.wishart_chain_law((1500, 750, 3000))
    assert law.atom_mass(0.0) == pytest.approx(0.5, abs=1e-12)
    assert isinstance(products.wishart_chain_law((10, 20)), laws.MarchenkoPastur)
    with pytest.raises(ValueError, match="dims"):
        products.zero_atom((10,))
    with pytest.raises(ValueError, match="dims"):
        products.wishart_chain_law((10, 0))


def test_mutation_of_atom_formula_is_detected():
    """Perturbing the atom formula (min -> max) makes the Monte Carlo comparison fail."""
    dims = (120, 60, 200)
    ev = products.sample_wishart_chain(dims, rng=0)
    frac = spectra.atom_fraction(ev, 0.0, tol=1e-12 * ev.max())
    assert abs(frac - products.zero_atom(dims)) < 0.5 / dims[0]
    mutated = 1.0 - min(1.0, max(dims[1:]) / dims[0])
    assert abs(frac - mutated) > 0.1


def test_chain_sampler_against_law():
    dims = (300, 150, 600)
    ev = products.sample_wishart_chain(dims, rng=1)
    np.testing.assert_array_equal(ev, products.sample_wishart_chain(dims, rng=1))
    res = spectra.ks_distance(ev, products.wishart_chain_law(dims), tol=1e-12 * ev.max())
    assert res.statistic < 0.06
    assert res.atoms[0][1] == pytest.approx(0.5)
    assert np.mean(ev) == pytest.approx(1.0, rel=0.05)


def test_sandwich_law_and_sampler():
    values = {0.5: [0.07617, 0.30563, 0.40133, 0.18500, 0.03150],
              2.0: [0.04611, 0.13100, 0.16403, 0.08602, 0.03394]}
    x = np.array([-2.0, -0.5, 0.3, 1.0, 2.5])
    for c, rho in values.items():
        law = products.sandwich_law(c)
        np.testing.assert_allclose(law.density(x), rho, atol=2e-5)
        assert law.continuous_mass + law.atom_mass(0.0) == pytest.approx(1.0)
        assert law.cdf(np.array([50.0]))[0] == pytest.approx(1.0, abs=1e-6)
        np.testing.assert_allclose(law.moment(4), 2 * (1 + c))
    assert products.sandwich_law(2.0).atom_mass(0.0) == pytest.approx(0.5)
    ev = products.sample_sandwich(200, 100, rng=3)
    assert spectra.atom_fraction(ev, 0.0, tol=1e-12) == pytest.approx(0.5)
    ev = products.sample_sandwich(300, 600, rng=3)
    assert spectra.ks_distance(ev, products.sandwich_law(0.5)).statistic < 0.07
    with pytest.raises(ValueError, match="ratio"):
        products.sandwich_law(-1.0)


def test_free_wishart_product_sampler():
    ev = products.sample_free_wishart_product(200, 100, 400, rng=2)
    assert ev.size == 200 and spectra.atom_fraction(ev, 0.0, tol=1e-12 * ev.max()) == pytest.approx(0.5)
