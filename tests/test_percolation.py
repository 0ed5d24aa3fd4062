"""Tests of rmtlib.models.percolation: Bauer-Golinelli atom, bipartite atom, samplers, cavity density."""

import math

import numpy as np
import pytest
import scipy.special

from rmtlib.models import percolation


def test_bauer_golinelli_values():
    table = {0.5: 0.65437, 1.0: 0.45594, 2.0: 0.21607, math.e: 0.10364, 3.0: 0.07231, 4.0: 0.02216, 8.0: 0.00034}
    for c, w0 in table.items():
        assert percolation.percolated_wigner_atom(c) == pytest.approx(w0, abs=6e-6)
    c = 1.7
    w = float(scipy.special.lambertw(c).real)
    assert percolation.percolated_wigner_atom(c) == pytest.approx((2 * w + w * w) / c - 1, abs=1e-13)


def test_middle_root_would_be_wrong_above_e():
    """Mutation: the symmetric (middle) root gives a different, wrong, atom for c > e."""
    c = 4.0
    roots = percolation._fixed_point_roots(lambda t: t - np.exp(-c * np.exp(-c * t)))
    assert len(roots) == 3
    a = roots[1]
    b = math.exp(-c * a)
    assert abs((a + b + c * a * b - 1) - percolation.percolated_wigner_atom(c)) > 0.01


def test_wishart_atom_values():
    table = [((2000, 1000, 1.0), 0.5797), ((2000, 4000, 1.5), 0.2582), ((1500, 1500, 3.0), 0.0723)]
    for (n, m, a), w0 in table:
        assert percolation.percolated_wishart_atom(n, m, a / m) == pytest.approx(w0, abs=1e-4)
        assert percolation.percolated_wishart_atom(n, m, a / m) >= max(1 - m / n, math.exp(-a)) - 1e-12


def test_sparse_wigner_atom_monte_carlo():
    c, n, draws = 2.0, 800, 4
    fr = [percolation.zero_fraction(percolation.sample_sparse_wigner(n, c, rng=s)) for s in range(draws)]
    se = np.std(fr, ddof=1) / math.sqrt(draws)
    assert abs(np.mean(fr) - percolation.percolated_wigner_atom(c)) < 3 * se + 0.01


def test_fixed_p_has_no_atom_and_sampler_properties():
    h = percolation.sample_sparse_wigner(600, 0.2 * 600, rng=1)
    assert np.allclose(h, h.T) and np.all(np.diag(h) == 0)
    assert percolation.zero_fraction(h) < 1 / 600
    np.testing.assert_array_equal(h, percolation.sample_sparse_wigner(600, 120.0, rng=1))
    with pytest.raises(ValueError, match="degree"):
        percolation.sample_sparse_wigner(10, 20.0, rng=0)


def test_sparse_wishart_atom_monte_carlo():
    n, m, a = 600, 300, 1.0
    fr = [np.mean(ev < 1e-9 * ev.max()) for ev in
          (percolation.sample_sparse_wishart(n, m, a / m, rng=s) for s in range(3))]
    assert abs(np.mean(fr) - percolation.percolated_wishart_atom(n, m, a / m)) < 0.02


def test_population_dynamics_large_degree_is_semicircle():
    x = np.array([-1.0, 0.0, 1.0])
    rho = percolation.sparse_wigner_density(x, 60.0, pool=3000, sweeps=20, eta=1e-2, rng=0)
    np.testing.assert_allclose(rho, np.sqrt(4 - x**2) / (2 * np.pi), atol=0.02)
    again = percolation.sparse_wigner_density(x, 60.0, pool=3000, sweeps=20, eta=1e-2, rng=0)
    np.testing.assert_array_equal(rho, again)
