"""Free convolutions against closed forms, an independent solver, exact atoms and property tests."""

import mpmath
import numpy as np
import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from rmtlib import free, laws


def _bulk(law, n=1500, margin=0.02):
    """Points in the support of the continuous part, away from edges."""
    pts = []
    for a, b in law.support:
        w = b - a
        pts.append(np.linspace(a + margin * w, b - margin * w, n))
    return np.concatenate(pts)


def _total_mass(law):
    return sum(t.mass for t in law._tables) + sum(m for _, m in law.atoms)


def test_semicircle_plus_semicircle_is_semicircle():
    law = free.add(laws.Semicircle(variance=1.0), laws.Semicircle(variance=0.5))
    ref = laws.Semicircle(variance=1.5)
    x = _bulk(ref)
    assert_allclose(law.density(x), ref.density(x), rtol=1e-8)
    assert_allclose(law.edges, ref.edges, atol=1e-9)
    assert abs(_total_mass(law) - 1) < 1e-6


def test_free_poisson_rates_add():
    """MP(c, s) is free Poisson with rate 1/c and jump s c: rates add for equal jumps."""
    law = free.add(laws.MarchenkoPastur(0.5, variance=2.0), laws.MarchenkoPastur(0.25, variance=4.0))
    ref = laws.MarchenkoPastur(1.0 / 6.0, variance=6.0)
    x = _bulk(ref)
    assert_allclose(law.density(x), ref.density(x), rtol=1e-8)
    assert_allclose(law.edges, ref.edges, rtol=1e-9)


def _cubic_density(x, a):
    """Semicircle(1) [+] (delta_-a + delta_a)/2: G^3 - 2 z G^2 + (z^2 - a^2 + 1) G - z = 0."""
    out = []
    for z in x:
        roots = np.roots([1.0, -2.0 * z, z * z - a * a + 1.0, -z])
        out.append(max(0.0, float(np.max(-roots.imag)) / np.pi))
    return np.array(out)


@pytest.mark.parametrize("a", [0.5, 1.5, 3.0])
def test_semicircle_plus_two_points_solves_a_cubic(a):
    law = free.add(laws.Semicircle(), laws.PointMasses([-a, a]))
    x = _bulk(law, 400)
    assert_allclose(law.density(x), _cubic_density(x, a), rtol=1e-8)
    assert len(law.support) == (2 if a > 1.0 else 1)
    assert abs(_total_mass(law) - 1) < 1e-6


def test_mpmath_reference_for_the_cubic():
    a = 1.5
    law = free.add(laws.Semicircle(), laws.PointMasses([-a, a]))
    for x in (-2.0, -1.2, 0.9, 2.5):
        with mpmath.workdps(40):
            z = mpmath.mpf(x)
            roots = mpmath.polyroots([-z, z * z - a * a + 1, -2 * z, 1], maxsteps=200, extraprec=200, asc=True)
            ref = max(float(-mpmath.im(r)) for r in roots) / float(mpmath.pi)
        assert law.density(np.array([x]))[0] == pytest.approx(ref, rel=1e-9)


def test_fuss_catalan_moments_and_edge():
    fc2 = free.multiply(laws.MarchenkoPastur(1.0), laws.MarchenkoPastur(1.0))
    assert [fc2.moment(k) for k in range(1, 5)] == pytest.approx([1, 3, 12, 55])
    by_density = [sum(t.integrate(lambda u, k=k: u**k) for t in fc2._tables) for k in range(1, 5)]
    assert by_density == pytest.approx([1, 3, 12, 55], rel=1e-9)
    assert fc2.edges[-1] == pytest.approx(27.0 / 4.0, rel=1e-9)
    fc3 = free.multiply(*[laws.MarchenkoPastur(1.0)] * 3)
    assert [fc3.moment(k) for k in range(1, 4)] == pytest.approx([1, 4, 22])
    assert fc3.edges[-1] == pytest.approx(256.0 / 27.0, rel=1e-9)
    assert abs(_total_mass(fc3) - 1) < 1e-6


def _silverstein_density(x, c, locs, wts):
    """Density of T^(1/2) (X X^T/n) T^(1/2): G = sum_j w_j / (z - t_j (1 - c + c z G)), independent solver."""
    out = []
    for xv in x:
        g = 1.0 / complex(xv, 50.0)
        for y in np.geomspace(50.0, 1e-13, 80):
            z = complex(xv, y)
            for _ in range(100):
                d = z - locs * (1 - c + c * z * g)
                f = g - np.sum(wts / d)
                df = 1 - np.sum(wts * locs * c * z / d**2)
                g_new = g - f / df
                if abs(g_new - g) < 1e-15 * abs(g):
                    g = g_new
                    break
                g = g_new
        out.append(-g.imag / np.pi)
    return np.array(out)


@pytest.mark.parametrize("c", [0.5, 2.0])
def test_marchenko_pastur_times_point_masses_matches_silverstein(c):
    locs, wts = np.array([1.0, 4.0]), np.array([0.5, 0.5])
    law = free.multiply(laws.MarchenkoPastur(c), laws.PointMasses(locs, wts))
    x = _bulk(law, 60)
    assert_allclose(law.density(x), _silverstein_density(x, c, locs, wts), rtol=1e-8)
    assert law.atom_mass(0.0) == pytest.approx(max(0.0, 1 - 1 / c))
    assert abs(_total_mass(law) - 1) < 1e-6


def test_product_atoms_are_exact():
    law = free.multiply(laws.MarchenkoPastur(2.0), laws.MarchenkoPastur(3.0))
    assert law.atom_mass(0.0) == pytest.approx(2.0 / 3.0, abs=1e-15)
    assert abs(_total_mass(law) - 1) < 1e-6
    pm = free.multiply(laws.PointMasses([1.0, 2.0], [0.8, 0.2]), laws.PointMasses([3.0, 5.0], [0.7, 0.3]))
    # (1, 3): 0.8 + 0.7 - 1 = 0.5 and (1, 5): 0.8 + 0.3 - 1 = 0.1
    assert [a for a, _ in pm.atoms] == [3.0, 5.0]
    assert [m for _, m in pm.atoms] == pytest.approx([0.5, 0.1])
    assert abs(_total_mass(pm) - 1) < 1e-6
    assert free.multiply(laws.PointMasses([0.0]), laws.MarchenkoPastur(0.5)).atoms == ((0.0, 1.0),)


def test_sum_atoms_are_exact():
    law = free.add(laws.PointMasses([0.0, 1.0], [0.7, 0.3]), laws.PointMasses([0.0, 5.0], [0.6, 0.4]))
    # (0, 0): 0.7 + 0.6 - 1 = 0.3 and (0, 5): 0.7 + 0.4 - 1 = 0.1
    assert [a for a, _ in law.atoms] == [0.0, 5.0]
    assert [m for _, m in law.atoms] == pytest.approx([0.3, 0.1])
    assert abs(_total_mass(law) - 1) < 1e-6
    assert law.mean == pytest.approx(0.3 + 2.0)


def test_depth_six_product_is_fast_and_right():
    factors = [laws.MarchenkoPastur(r) for r in (0.3, 0.7, 1.0, 1.5, 0.5, 2.0)]
    law = free.multiply(*factors)
    assert len(law.factors) == 6
    nested = free.multiply(free.multiply(free.multiply(factors[0], factors[1]), factors[2]), *factors[3:])
    assert len(nested.factors) == 6
    assert law.mean == pytest.approx(1.0)
    assert abs(_total_mass(law) - 1) < 1e-6
    assert law.atom_mass(0.0) == pytest.approx(0.5)


def test_herglotz_branch_on_the_upper_half_plane():
    law = free.multiply(laws.MarchenkoPastur(0.5), laws.PointMasses([0.5, 2.0]), laws.MarchenkoPastur(1.5))
    xs, ys = np.meshgrid(np.linspace(-2, 12, 40), np.geomspace(1e-6, 10, 12))
    g = law.stieltjes(xs.ravel() + 1j * ys.ravel())
    assert np.all(np.isfinite(g))
    assert np.all(g.imag < 0)


def test_multiply_refuses_negative_support():
    with pytest.raises(ValueError, match="mu must be supported on"):
        free.multiply(laws.Semicircle(), laws.MarchenkoPastur(0.5))
    with pytest.raises(TypeError, match="nu must be a SpectralLaw"):
        free.add(laws.Semicircle(), 3.0)


def _atomic(max_atoms, low, high):
    return st.integers(min_value=1, max_value=max_atoms).flatmap(
        lambda n: st.tuples(
            st.lists(st.floats(low, high, allow_nan=False), min_size=n, max_size=n),
            st.lists(st.floats(0.01, 1.0), min_size=n, max_size=n),
        )
    )


FAST = settings(max_examples=6, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate])


@FAST
@given(_atomic(256, -5, 5), st.floats(0.05, 3.0))
def test_property_density_of_semicircle_plus_up_to_256_atoms(measure, variance):
    """No NaN, no negative density, exact moments (means and variances add) with up to 256 atoms."""
    nu = laws.PointMasses(*measure)
    law = free.add(laws.Semicircle(variance=variance), nu)
    lo = nu.locations.min() - 2.5 * np.sqrt(variance)
    hi = nu.locations.max() + 2.5 * np.sqrt(variance)
    d = law.density(np.linspace(lo, hi, 1000))
    assert np.all(np.isfinite(d)) and np.all(d >= 0)
    assert law.mean == pytest.approx(nu.mean, abs=1e-9)
    assert law.var == pytest.approx(nu.var + variance, rel=1e-9, abs=1e-9)
    # the density integrates to one: trapezoid rule on a fine grid over the whole spectrum
    x = np.linspace(lo - 1.0, hi + 1.0, 40001)
    assert abs(np.trapezoid(law.density(x), x) - 1) < 2e-3


@FAST
@given(_atomic(48, -3, 3), st.floats(0.3, 3.0))
def test_property_mass_and_mean_of_semicircle_plus_random_atoms(measure, variance):
    """The CDF tables conserve mass to 1e-6 and integrate the mean right."""
    nu = laws.PointMasses(*measure)
    law = free.add(laws.Semicircle(variance=variance), nu)
    assert abs(_total_mass(law) - 1) < 1e-6
    quad_mean = sum(t.integrate(lambda u: u) for t in law._tables)
    assert quad_mean == pytest.approx(nu.mean, abs=1e-6)
    assert law.cdf(law.edges[-1] + 1.0) == pytest.approx(1.0, abs=1e-12)


@FAST
@given(_atomic(32, 0.05, 5), st.floats(0.1, 3.0))
def test_property_marchenko_pastur_times_random_atoms(measure, ratio):
    nu = laws.PointMasses(*measure)
    law = free.multiply(laws.MarchenkoPastur(ratio), nu)
    x = np.linspace(1e-6, law.edges[-1] * 1.1, 400)
    d = law.density(x)
    assert np.all(np.isfinite(d)) and np.all(d >= 0)
    assert abs(_total_mass(law) - 1) < 1e-6
    assert law.mean == pytest.approx(nu.mean, rel=1e-9)
    quad_mean = sum(t.integrate(lambda u: u) for t in law._tables)
    assert quad_mean == pytest.approx(nu.mean, rel=1e-6)


@pytest.mark.parametrize("alpha, beta", [(0.4, 0.2), (0.7, 0.6), (0.5, 0.5)])
def test_product_of_free_projections_has_the_known_atoms_and_edges(alpha, beta):
    """PQP for free projections of traces alpha, beta: atom 1 - min at 0, max(alpha + beta - 1, 0)
    at 1, and a continuous part on alpha + beta - 2 alpha beta -+ sqrt(4 alpha beta (1 - alpha)(1 - beta))."""
    law = free.multiply(laws.PointMasses([0, 1], [1 - alpha, alpha]), laws.PointMasses([0, 1], [1 - beta, beta]))
    atoms = dict(law.atoms)
    assert atoms[0.0] == pytest.approx(1 - min(alpha, beta), abs=1e-12)
    assert atoms.get(1.0, 0.0) == pytest.approx(max(alpha + beta - 1, 0.0), abs=1e-12)
    assert sum(atoms.values()) <= 1.0 + 1e-12
    centre = alpha + beta - 2 * alpha * beta
    half = np.sqrt(4 * alpha * beta * (1 - alpha) * (1 - beta))
    (low, high), = law.support
    assert (low, high) == pytest.approx((centre - half, centre + half), abs=1e-8)
    assert law.cdf(high + 1e-6) == pytest.approx(1.0 - atoms.get(1.0, 0.0), abs=1e-6)
