"""The information-plus-noise law of eq. (1.1) (rect_fullrank_law) and its outliers."""

import numpy as np
import pytest

from rmtlib import free, laws
from rmtlib._numerics import rectangular as kernel
from rmtlib.compendium import nulls
from rmtlib.models import deformed, spiked
from rmtlib.models import rectangular as rect
from rmtlib.experiments import rect_fullrank


def quantile_grid_law():
    """Spec §4.5: singular values of S on 0.5 + (j - 1/2)/M, M = 1000; c = 1/2, sigma = 1."""
    sv = 0.5 + (np.arange(1, 1001) - 0.5) / 1000
    return deformed.rect_fullrank_law(laws.Empirical(sv**2), ratio=0.5)


def test_public_name_and_marchenko_pastur():
    for c, s2 in ((0.5, 1.0), (0.2, 2.5), (1.0, 0.7)):
        law = deformed.rect_fullrank_law(laws.PointMasses([0.0]), ratio=c, variance=s2)
        mp = laws.MarchenkoPastur(c, variance=s2)
        lo, hi = mp.support[0]
        x = np.linspace(lo, hi, 41)[1:-1]
        np.testing.assert_allclose(law.density(x), mp.density(x), rtol=1e-10)
        np.testing.assert_allclose(law.support[0][1], hi, rtol=1e-9)
        if c < 1:
            np.testing.assert_allclose(law.support[0][0], lo, rtol=1e-7)
        np.testing.assert_allclose([law.moment(k) for k in range(5)], [mp.moment(k) for k in range(5)], rtol=1e-12)
        np.testing.assert_allclose(law.cdf(x), mp.cdf(x), atol=1e-7)


def test_spec_quantile_grid_values():
    law = quantile_grid_law()
    np.testing.assert_allclose(law.density([0.3, 1.0, 2.0, 3.0]), [0.37315, 0.31737, 0.22097, 0.16251], atol=1e-5)
    (lo, hi), = law.support
    assert abs(lo - 0.20394) < 1e-5 and abs(hi - 5.67355) < 1e-5
    assert abs(law.cdf(hi + 1.0) - 1.0) < 1e-6 and law.atoms == ()


@pytest.mark.parametrize("hs", [laws.Uniform(0.25, 2.25), laws.MarchenkoPastur(0.3, variance=2.0),
                                laws.PointMasses([0.0, 1.0, 4.0], [0.3, 0.5, 0.2]),
                                laws.Empirical(np.random.default_rng(3).uniform(0.0, 3.0, 300))])
def test_contract_mass_herglotz_moments(hs):
    law = deformed.rect_fullrank_law(hs, ratio=0.4, variance=0.8)
    assert abs(sum(t.mass for t in law._tables) - 1.0) < 1e-6
    z = np.array([0.5 + 0.1j, 2.0 + 1e-3j, 5.0 + 2j, -1.0 + 0.5j, 1e4 + 1j])
    g = law.stieltjes(z)
    assert np.all(g.imag < 0) and abs(z[-1] * g[-1] - 1.0) < 1e-3
    x = np.linspace(law.edges[0], law.edges[-1], 200)
    d = law.density(x)
    assert np.all(np.isfinite(d)) and np.all(d >= 0)
    exact = [law.moment(k) for k in range(1, 4)]
    quad = [sum(t.integrate(lambda s, k=k: s**k) for t in law._tables) for k in range(1, 4)]
    np.testing.assert_allclose(quad, exact, rtol=1e-8)
    # the first moment needs no theory: E tr(W^T W)/M = E tr(S^T S)/M + sigma^2
    np.testing.assert_allclose(exact[0], hs.mean + 0.8, rtol=1e-12)


def test_square_case_is_free_additive_convolution_of_symmetrised_laws():
    """c = 1: the symmetrised singular-value law is SC(sigma^2) ⊞ sym(sqrt(hs)) (Benaych-Georges 2009)."""
    s = np.sqrt(np.array([0.5, 2.0, 3.0]))
    sym = laws.PointMasses(np.concatenate([-s, s]), np.full(6, 1 / 6))
    reference = free.add(laws.Semicircle(variance=0.7), sym)
    law = deformed.rect_fullrank_law(laws.PointMasses(s**2, np.full(3, 1 / 3)), ratio=1.0, variance=0.7)
    r = np.concatenate([np.linspace(a, b, 30)[2:-2] for a, b in reference.support if b > 0])
    np.testing.assert_allclose(law.density(r**2), reference.density(r) / r, rtol=1e-7)
    edges = np.sort(np.array([e for iv in reference.support for e in iv if e > 1e-6]) ** 2)
    np.testing.assert_allclose(law.edges, edges, rtol=1e-6)  # here SC ⊞ sym has a gap at 0


def polynomial_g(z, ts, ps, c, s2):
    """G(z) for a discrete H from the polynomial form of the Dozier-Silverstein equation (one root kept)."""
    g = rect_fullrank.polynomial_stieltjes(z, ts, ps, ratio=c, variance=s2)
    assert np.isfinite(g), z
    return g


def test_two_atom_law_against_polynomial_roots():
    ts, ps, c, s2 = [0.5, 3.0], [0.4, 0.6], 0.3, 1.2
    law = deformed.rect_fullrank_law(laws.PointMasses(ts, ps), ratio=c, variance=s2)
    zs = np.concatenate([np.linspace(0.2, 8.0, 25) + 0.01j, [1.0 + 1.0j, 4.0 + 0.3j]])
    ref = np.array([polynomial_g(z, ts, ps, c, s2) for z in zs])
    np.testing.assert_allclose(law.stieltjes(zs), ref, rtol=1e-9)
    x = np.concatenate([np.linspace(a, b, 12)[1:-1] for a, b in law.support])
    ref = np.array([-polynomial_g(complex(v, 1e-14), ts, ps, c, s2).imag / np.pi for v in x])
    np.testing.assert_allclose(law.density(x), ref, rtol=1e-8)


def test_kernel_against_relaxed_fixed_point():
    """The numba Newton kernel against the spec's damped fixed point in plain numpy (off the axis)."""
    t = np.random.default_rng(0).uniform(0.1, 2.0, 200)
    c, s2 = 0.5, 1.0
    zs = np.array([0.3 + 0.2j, 1.0 + 0.05j, 2.5 + 0.1j, 4.0 + 0.5j])
    g = 1.0 / zs
    for _ in range(20000):
        alpha = 1 - s2 * c * g
        g = 0.7 * g + 0.3 * np.mean(1.0 / (alpha[:, None] * zs[:, None] - t / alpha[:, None] - s2 * (1 - c)), axis=1)
    law = deformed.rect_fullrank_law(laws.Empirical(t), ratio=c, variance=s2)
    out, status = kernel.solve(zs.real.copy(), zs.imag.copy(), 100.0, s2 * c, s2 * (1 - c), *law._arrays)
    assert np.all(status == 0)
    np.testing.assert_allclose(out, g, rtol=1e-10)


def test_validation():
    with pytest.raises(ValueError, match="ratio"):
        deformed.rect_fullrank_law(laws.PointMasses([0.0]), ratio=1.5)
    with pytest.raises(ValueError, match="variance"):
        deformed.rect_fullrank_law(laws.PointMasses([0.0]), ratio=0.5, variance=0.0)
    with pytest.raises(ValueError, match="hs"):
        deformed.rect_fullrank_law(laws.Uniform(-1.0, 1.0), ratio=0.5)
    with pytest.raises(TypeError, match="hs"):
        deformed.rect_fullrank_outliers([4.0], [1.0, 2.0], ratio=0.5)
    with pytest.raises(ValueError, match="spikes"):
        deformed.rect_fullrank_outliers([-4.0], laws.PointMasses([0.0]), ratio=0.5)


def test_outliers_reduce_to_benaych_georges_nadakuditi():
    theta = np.array([0.5, 0.9, 1.0, 2.0, 3.0])
    for c, s2 in ((0.5, 1.0), (0.25, 2.0)):
        pos, ov = deformed.rect_fullrank_outliers(theta**2, laws.PointMasses([0.0]), ratio=c, variance=s2)
        s, _, ov_v = spiked.rect_spike(theta, ratio=c, variance=s2)
        np.testing.assert_array_equal(np.isnan(pos), np.isnan(s))
        np.testing.assert_allclose(np.sqrt(pos), s, rtol=1e-12)
        np.testing.assert_allclose(ov, ov_v, rtol=1e-12)


def test_outliers_nan_inside_support_and_position_beyond_edge():
    hs = laws.Uniform(0.25, 2.25)
    pos, ov = deformed.rect_fullrank_outliers([1.0, 2.3, 9.0], hs, ratio=0.5)
    assert np.isnan(pos[0]) and np.isnan(ov[0]) and np.isnan(pos[1])  # 2.3: z'(theta) < 0, no outlier
    assert pos[2] > deformed.rect_fullrank_law(hs, ratio=0.5).edges[-1] and 0 < ov[2] < 1


def test_outliers_monte_carlo():
    """Seed means of the outliers of a full-rank S (N = 1000, M = 500, 10 draws) within k standard errors + 1/N."""
    hs, spikes, n, m = laws.Uniform(0.25, 2.25), np.array([4.5, 9.0]), 1000, 500
    pos, ov = deformed.rect_fullrank_outliers(spikes, hs, ratio=m / n)
    sv = np.concatenate([np.sqrt(spikes), np.sqrt(deformed.bulk_points(hs, m - 2))])
    rng = np.random.default_rng(12345)
    lam, over = [], []
    for _ in range(10):
        w, v = np.linalg.eigh(_gram(n, sv, rng))
        lam.append(w[[-2, -1]])
        over.append([v[0, -2] ** 2, v[1, -1] ** 2])
    lam, over = np.array(lam), np.array(over)
    for j in range(2):
        t = nulls.seed_mean(lam[:, j], pos[j], allowance=pos[j] / n)
        assert t.value <= t.threshold, (j, t)
        t = nulls.seed_mean(over[:, j], ov[j], allowance=1.0 / n)
        assert t.value <= t.threshold, (j, t)
    # and the finite-rank prediction (hs = delta_0) is rejected for the weaker spike
    naive_pos, naive_ov = deformed.rect_fullrank_outliers(spikes, laws.PointMasses([0.0]), ratio=m / n)
    t = nulls.seed_mean(lam[:, 0], naive_pos[0])
    assert t.value > t.threshold
    t = nulls.seed_mean(over[:, 0], naive_ov[0])
    assert t.value > t.threshold


def _gram(n, sv, rng):
    w = rect.sample_information_plus_noise(n, sv, rng=rng)
    return w.T @ w
