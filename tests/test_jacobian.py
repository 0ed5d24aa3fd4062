"""Tests of rmtlib.models.jacobian and the chapter's experiments and figures.

Oracles: closed forms (Fuss-Catalan / Penson-Zyczkowski for linear phi, the ReLU polynomial of
book/derivations.md, eq. (jac-relu), Marchenko-Pastur for L = 1), mpmath for the hard-tanh fixed
point, a reference table computed with two quadratures, an independent solver (`free_chain`, built
on rmtlib.free.multiply) and seeded Monte Carlo with tolerances from its statistical error.
"""

import math

import mpmath
import numpy as np
import pytest
from scipy.special import comb

from rmtlib import spectra
from rmtlib.compendium.calibration import Calibration
from rmtlib.compendium.figures import jacobian as figures
from rmtlib.experiments import jacobian as S, jacobian_moments as M, jacobian_sections as sections
from rmtlib.laws import MarchenkoPastur
from rmtlib.models import jacobian as J
from rmtlib.models import mean_field
from rmtlib.models.products import fuss_catalan_k2_density
from rmtlib.spectral_law import SpectralLaw

SQRT2 = math.sqrt(2.0)


def fuss_catalan_error(law, depth):
    """Largest relative error of the moments k = 1..4 against Fuss-Catalan (linear phi, sigma_w = 1)."""
    exact = [comb((depth + 1) * k, k, exact=True) / (depth * k + 1) for k in range(1, 5)]
    return max(abs(law.moment(k) / e - 1.0) for k, e in zip(range(1, 5), exact))


# ---------------------------------------------------------------- mean field
def test_fixed_point_reference_values():
    assert J.fixed_point("tanh", sigma_w=1.5, sigma_b=0.2) == pytest.approx(0.8708988958, abs=1e-9)
    assert J.fixed_point("tanh", sigma_w=2.5, sigma_b=0.3) == pytest.approx(4.0791238753, abs=1e-9)
    assert J.fixed_point("tanh", sigma_w=0.8, sigma_b=0.1) == pytest.approx(0.0256020903, abs=1e-9)
    assert mean_field.chi("tanh", sigma_w=1.5, sigma_b=0.2) == pytest.approx(1.1009414097, abs=1e-9)
    assert mean_field.critical_sigma_w("tanh", sigma_b=0.05) == pytest.approx(1.1225390048, abs=1e-9)
    assert mean_field.critical_sigma_w("tanh", sigma_b=0.3) == pytest.approx(1.3955839752, abs=1e-9)


def test_fixed_point_hard_tanh_against_mpmath():
    mpmath.mp.dps = 30
    sw, sb = mpmath.mpf("1.1"), mpmath.mpf("0.05")

    def length(q):
        a = 1 / mpmath.sqrt(q)
        return sw**2 * (q * mpmath.quad(lambda g: g**2 * mpmath.npdf(g), [-a, a]) + 2 * mpmath.ncdf(-a)) + sb**2

    ref = float(mpmath.findroot(lambda q: length(q) - q, 0.38))
    q = J.fixed_point("hard_tanh", sigma_w=1.1, sigma_b=0.05)
    assert q == pytest.approx(ref, rel=1e-12)
    law = J.jacobian_law("hard_tanh", depth=2, sigma_w=1.1, sigma_b=0.05)
    assert law.atom_mass(0.0) == pytest.approx(1.0 - math.erf(1.0 / math.sqrt(2.0 * ref)), abs=1e-12)


def test_fixed_point_special_cases():
    assert J.fixed_point("relu", sigma_w=SQRT2, sigma_b=0.0, q0=3.7) == 3.7  # every q is fixed
    assert J.fixed_point("linear", sigma_w=0.5, sigma_b=0.3) == pytest.approx(0.09 / 0.75, rel=1e-13)
    assert J.fixed_point("tanh", sigma_w=0.9, sigma_b=0.0) == 0.0
    with pytest.raises(ValueError, match="diverges"):
        J.fixed_point("relu", sigma_w=1.5, sigma_b=0.0)


def test_q_recursion_off_the_fixed_point():
    q = mean_field.q_recursion("tanh", depth=3, sigma_w=1.5, sigma_b=0.2, q0=4.0)
    np.testing.assert_allclose(q, [9.04, 1.7177934, 1.1488430], atol=5e-8)
    law = J.jacobian_law("tanh", depth=3, sigma_w=1.5, sigma_b=0.2, q0=4.0)
    np.testing.assert_allclose(law.q, q, rtol=1e-14)


def test_derivative_nodes_discrete_laws_are_exact():
    v, w = mean_field.derivative_nodes("relu", 2.3)
    assert v.tolist() == [1.0] and w.sum() == pytest.approx(0.5, abs=1e-14)
    v, w = mean_field.derivative_nodes("hard_tanh", 0.5)
    assert v.tolist() == [1.0] and w.sum() == pytest.approx(math.erf(1.0), abs=1e-14)


# ---------------------------------------------------------------- closed forms
def test_linear_depth2_penson_zyczkowski():
    law = J.jacobian_law("linear", depth=2, sigma_w=1.0, sigma_b=0.0)
    x = np.array([0.1, 1.0, 3.0, 6.0, 6.74])
    np.testing.assert_allclose(law.density(x), fuss_catalan_k2_density(x), rtol=1e-8)
    np.testing.assert_allclose(law.density(x), [1.07972056, 0.17897913, 0.05997339, 0.01504577, 0.00157389],
                               atol=6e-9)
    assert law.atoms == ()


@pytest.mark.parametrize("depth", [1, 2, 3])
def test_linear_fuss_catalan_edges_and_moments(depth):
    law = J.jacobian_law("linear", depth=depth, sigma_w=1.0, sigma_b=0.0)
    assert law.upper_edge == pytest.approx((depth + 1) ** (depth + 1) / depth**depth, rel=1e-10)
    assert fuss_catalan_error(law, depth) < 1e-8


def test_depth1_is_marchenko_pastur_density_and_cdf():
    law = J.jacobian_law("linear", depth=1, sigma_w=1.0, sigma_b=0.0)
    mp = MarchenkoPastur(1.0)
    x = np.linspace(0.01, 3.99, 41)
    np.testing.assert_allclose(law.density(x), mp.density(x), rtol=1e-8)
    np.testing.assert_allclose(law.cdf(x), mp.cdf(x), atol=1e-7)


def test_rectangular_linear_is_marchenko_pastur_ratio_two():
    law = J.jacobian_law("linear", depth=1, sigma_w=1.0, sigma_b=0.0, width_ratios=[0.5, 1.0])
    mp = MarchenkoPastur(2.0)
    assert law.atom_mass(0.0) == pytest.approx(0.5, abs=1e-14)
    assert law.upper_edge == pytest.approx((1 + SQRT2) ** 2, rel=1e-10)
    assert law.lower_edge == pytest.approx((SQRT2 - 1) ** 2, rel=1e-8)
    x = np.linspace(0.2, 5.8, 29)
    np.testing.assert_allclose(law.density(x), mp.density(x), rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(law.cdf(x), mp.cdf(x), atol=1e-7)


@pytest.mark.parametrize("depth,edge", [(1, 5.8284271247), (2, 11.0901699437), (5, 27.2727733953)])
def test_relu_critical_edges_atom_moments(depth, edge):
    law = J.jacobian_law("relu", depth=depth, sigma_w=SQRT2, sigma_b=0.0)
    assert law.upper_edge == pytest.approx(edge, abs=1e-9)
    assert law.atoms == ((0.0, 0.5),)
    assert law.moment(1) == pytest.approx(1.0, rel=1e-12)
    assert law.moment(2) == pytest.approx(1.0 + 2 * depth, rel=1e-12)
    # psi solves the closed-form polynomial z psi = sigma_w^(2L) (1 + psi)(1/2 + psi)^L
    z = np.linspace(0.3, edge - 0.3, 9).astype(complex)
    psi = law.psi(z)
    resid = z * psi - 2.0**depth * (1 + psi) * (0.5 + psi) ** depth
    assert np.max(np.abs(resid)) < 1e-10
    assert law.cdf(np.array([edge])) == pytest.approx(1.0, abs=1e-8)


def test_relu_root_selection_by_continuation():
    """The Herglotz root of the closed-form ReLU polynomial, not the one with the most negative Im psi."""
    law = J.jacobian_law("relu", depth=3, sigma_w=SQRT2, sigma_b=0.0)
    psi = law.psi(np.array([1.2 + 0j]))[0]
    assert psi == pytest.approx(-0.19960549 - 0.23476515j, abs=1e-8)
    assert law.density(np.array([1.186]))[0] == pytest.approx(0.0629, abs=5e-4)


@pytest.mark.parametrize("sw,sb,depth,edge,m1,m2", [
    (1.5, 0.2, 1, 5.7705863954, 1.1009414097, 3.0481034757),
    (1.5, 0.2, 5, 35.1445664602, 1.6174133958, 22.4296441357),
    (2.5, 0.3, 2, 38.2380247099, 2.5129375556, 41.1703433129),
    (0.8, 0.1, 2, 2.5203551972, 0.3719403505, 0.4161740412),
])
def test_tanh_reference_table(sw, sb, depth, edge, m1, m2):
    law = J.jacobian_law("tanh", depth=depth, sigma_w=sw, sigma_b=sb)
    assert law.upper_edge == pytest.approx(edge, abs=1e-8)
    assert law.moment(1) == pytest.approx(m1, abs=1e-9)
    assert law.moment(2) == pytest.approx(m2, abs=1e-8)
    assert law.atoms == ()


def test_second_moment_from_density_matches_formula():
    law = J.jacobian_law("tanh", depth=2, sigma_w=1.5, sigma_b=0.2)
    x, w = law.discretize()
    assert np.dot(w, x**2) == pytest.approx(law.moment(2), rel=1e-8)
    grid = np.geomspace(1e-30, 1.0, 400) * law.upper_edge
    F = law.cdf(grid)
    assert np.all(np.diff(F) >= -1e-12) and F[-1] == 1.0 and 0.0 < F[0] < 1e-8


def _mass_below(law, x):
    """Reference integral of the density from 0 to x: Gauss-Legendre in log t from 1e-60 lambda_+,
    plus the power law ``t^(1/(L+1))`` of the tanh density's singularity below that."""
    u = np.linspace(np.log(1e-60 * law.upper_edge), np.log(x), 301)
    gx, gw = np.polynomial.legendre.leggauss(20)
    t = np.exp(0.5 * (u[1:, None] + u[:-1, None]) + 0.5 * np.diff(u)[:, None] * gx[None, :])
    inner = (0.5 * np.diff(u)[:, None] * gw[None, :] * law.density(t.ravel()).reshape(t.shape) * t).sum()
    floor = 1e-60 * law.upper_edge
    return inner + floor * law.density(np.array([floor]))[0] * (law.depth + 1)


@pytest.mark.parametrize("depth", [3, 5])
def test_shared_cdf_resolves_the_singular_edge(depth):
    """The shared quadrature tables of SpectralLaw integrate the x^(-L/(L+1)) singularity at 0 down
    to 1e-20 lambda_+, where a simulated network of width 1000 and depth 5 still has eigenvalues."""
    law = J.jacobian_law("tanh", depth=depth, sigma_w=1.5, sigma_b=0.2)
    assert type(law)._continuous_cumulative is SpectralLaw._continuous_cumulative
    for e in (1e-20, 1e-16, 1e-12, 1e-4):
        x = e * law.upper_edge
        assert law.cdf(np.array([x]))[0] == pytest.approx(_mass_below(law, x), rel=1e-6, abs=1e-12)


@pytest.mark.parametrize("ratios", [None, [0.5, 1.0, 1.0], [1.0, 0.5, 1.0]])
def test_free_multiply_chain_agrees(ratios):
    kw = {"depth": 2, "sigma_w": 1.5, "sigma_b": 0.2, "width_ratios": ratios}
    direct = J.jacobian_law("tanh", **kw)
    free = J.free_chain("tanh", **kw)
    x = np.linspace(0.05, 0.95, 10) * direct.upper_edge
    x = x[x > direct.lower_edge * 1.01]
    np.testing.assert_allclose(free.density(x), direct.density(x), rtol=1e-8, atol=1e-12)
    assert free.atom_mass(0.0) == pytest.approx(direct.atom_mass(0.0), abs=1e-12)
    assert free.moment(2) == pytest.approx(direct.moment(2), rel=1e-10)


def test_rectangular_atoms():
    law = J.jacobian_law("tanh", depth=2, sigma_w=1.5, sigma_b=0.2, width_ratios=[2 / 3, 4 / 3, 1.0])
    assert law.atom_mass(0.0) == pytest.approx(1 / 3, abs=1e-14)
    assert law.moment(2) == pytest.approx(6.0981318, abs=1e-6)
    assert law.upper_edge == pytest.approx(11.636093, abs=1e-5)
    relu = J.jacobian_law("relu", depth=3, sigma_w=SQRT2, sigma_b=0.0, width_ratios=[1, 2, 1.5, 1])
    assert relu.atom_mass(0.0) == pytest.approx(0.5, abs=1e-14)
    assert relu.moment(2) == pytest.approx(16 / 3, rel=1e-12)


# ---------------------------------------------------------------- validation
@pytest.mark.parametrize("kwargs,match", [
    ({"depth": 0}, "depth"),
    ({"sigma_w": 0.0}, "sigma_w"),
    ({"sigma_b": -1.0}, "sigma_b"),
    ({"width_ratios": [1.0, 1.0]}, "width_ratios"),
    ({"width_ratios": [1.0, 1.0, 2.0]}, "last entry"),
    ({"q0": -1.0}, "q0"),
])
def test_jacobian_law_validates(kwargs, match):
    base = {"depth": 2, "sigma_w": 1.5, "sigma_b": 0.2}
    base.update(kwargs)
    with pytest.raises(ValueError, match=match):
        J.jacobian_law("tanh", **base)


def test_sampler_validates():
    base = {"depth": 2, "widths": 20, "sigma_w": 1.5, "sigma_b": 0.2, "rng": 0}
    with pytest.raises(ValueError, match="widths"):
        J.sample_jacobian_spectrum("tanh", **{**base, "widths": [10, 10]})
    with pytest.raises(ValueError, match="x0"):
        J.sample_jacobian_spectrum("tanh", **base, x0=np.ones(5))
    with pytest.raises(ValueError):
        J.sample_jacobian_spectrum("tanh", **base, entries="cauchy")
    with pytest.raises(ValueError, match="nu"):
        J.sample_jacobian_spectrum("tanh", **base, entries=("student_t", {"nu": 1.0}))
    with pytest.raises(ValueError, match="method"):
        J.sample_jacobian_spectrum("tanh", **base, method="qr")
    with pytest.raises(ValueError, match="activation"):
        J.sample_jacobian_spectrum("nope", **base)
    with pytest.raises(ValueError, match="derivative"):
        J.sample_jacobian_spectrum("sign", **base)


# ---------------------------------------------------------------- sampler
def test_same_seed_same_numbers():
    kw = {"depth": 2, "widths": [30, 40, 25], "sigma_w": 1.5, "sigma_b": 0.2, "entries": ("student_t", {"nu": 5})}
    a = J.sample_jacobian_spectrum("tanh", **kw, rng=7)
    b = J.sample_jacobian_spectrum("tanh", **kw, rng=np.random.default_rng(7))
    c = J.sample_jacobian_spectrum("tanh", **kw, rng=8)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert a.shape == (25,)


def test_sampler_svd_and_eigh_agree_and_match_dense_jacobian():
    kw = {"depth": 3, "widths": [20, 30, 25, 15], "sigma_w": 1.3, "sigma_b": 0.1, "rng": 3}
    s = J.sample_jacobian_spectrum("tanh", **kw)
    e = J.sample_jacobian_spectrum("tanh", **kw, method="eigh")
    np.testing.assert_allclose(s, e, atol=1e-10 * s.max())
    # a slow reference: explicit forward pass with the same random stream
    gen = np.random.default_rng(3)
    ns = [20, 30, 25, 15]
    q_in = J.input_at("tanh", sigma_w=1.3, sigma_b=0.1)
    x = gen.standard_normal(20)
    x *= math.sqrt(q_in * 20) / np.linalg.norm(x)
    jac = np.eye(20)
    for l in range(1, 4):
        W = 1.3 / math.sqrt(ns[l - 1]) * gen.standard_normal((ns[l], ns[l - 1]))
        h = W @ x + 0.1 * gen.standard_normal(ns[l])
        jac = np.diag(1 / np.cosh(h) ** 2) @ W @ jac
        x = np.tanh(h)
    np.testing.assert_allclose(s, np.sort(np.linalg.eigvalsh(jac @ jac.T)), atol=1e-12 * s.max())


def test_narrow_input_gives_exact_zeros():
    ev = J.sample_jacobian_spectrum("tanh", depth=1, widths=[10, 30], sigma_w=1.5, sigma_b=0.2, rng=1)
    assert np.sum(ev == 0.0) == 20


def test_sampler_matches_theory_monte_carlo():
    """KS, atom and moments at n = 400 within bounds derived from the statistical error."""
    n = 400
    law = J.jacobian_law("relu", depth=2, sigma_w=SQRT2, sigma_b=0.0)
    ev = J.sample_jacobian_spectrum("relu", depth=2, widths=n, sigma_w=SQRT2, sigma_b=0.0, rng=11)
    ks = spectra.ks_distance(ev, law)
    assert ks.statistic < 0.06  # ~4x the mean KS of n/2 = 200 i.i.d. points (eigenvalues are more rigid)
    # zero count = n - min(rank D_1, rank D_2): mean 1/2 + O(n^-1/2), std ~ 0.5 / sqrt(n)
    assert abs(ks.atoms[0][1] - 0.5) < 4 * 0.5 / math.sqrt(n) + 1 / (2 * math.sqrt(math.pi * n))
    tanh = J.jacobian_law("tanh", depth=2, sigma_w=1.5, sigma_b=0.2)
    means = [J.sample_jacobian_spectrum("tanh", depth=2, widths=200, sigma_w=1.5, sigma_b=0.2, rng=s).mean()
             for s in range(6)]
    se = np.std(means, ddof=1) / math.sqrt(len(means))
    assert abs(np.mean(means) - tanh.mean) < 4 * se + 0.01 * tanh.mean  # + the O(1/n) bias


# ---------------------------------------------------------------- mutation tests
def test_mutation_of_q_recursion_is_detected(monkeypatch):
    """Perturbing the length map by 1e-6 breaks the off-fixed-point reference values."""
    original = mean_field.length_map

    def mutated(activation, q, *, sigma_w, sigma_b):
        return original(activation, q, sigma_w=sigma_w, sigma_b=sigma_b) * (1 + 1e-6)

    monkeypatch.setattr(mean_field, "length_map", mutated)
    q = mean_field.q_recursion("tanh", depth=3, sigma_w=1.5, sigma_b=0.2, q0=4.0)
    assert np.max(np.abs(q - [9.04, 1.7177934, 1.1488430])) > 5e-8


def test_mutation_of_convolution_is_detected(monkeypatch):
    """Perturbing sigma_w^(2L) in the fixed-point equation by 1e-6 breaks the Fuss-Catalan check."""
    original = J._Chain.__init__

    def mutated(self, node_list, c, sigma_w):
        original(self, node_list, c, sigma_w)
        self.s2L *= 1 + 1e-6

    monkeypatch.setattr(J._Chain, "__init__", mutated)
    law = J.jacobian_law("linear", depth=2, sigma_w=1.0, sigma_b=0.0)
    x = np.array([0.1, 1.0, 3.0])
    assert np.max(np.abs(law.density(x) / fuss_catalan_k2_density(x) - 1)) > 1e-8


def test_limit_moments_match_law():
    kw = {"depth": 3, "sigma_w": 1.5, "sigma_b": 0.2, "width_ratios": [0.8, 1.2, 0.9, 1.0]}
    law = J.jacobian_law("tanh", **kw)
    m1, m2 = J.limit_moments("tanh", **kw)
    assert m1 == pytest.approx(law.moment(1), rel=1e-14) and m2 == pytest.approx(law.moment(2), rel=1e-14)
    # the m2 formula is checked independently by free.multiply's S-transform series
    free = J.free_chain("tanh", depth=2, sigma_w=1.5, sigma_b=0.2, width_ratios=[1.4, 0.7, 1.0])
    assert free.moment(2) == pytest.approx(J.limit_moments("tanh", depth=2, sigma_w=1.5, sigma_b=0.2,
                                                           width_ratios=[1.4, 0.7, 1.0])[1], rel=1e-10)


# ---------------------------------------------------------------- sweeps
def test_parse_entries_and_fit_slope():
    assert S.parse_entries("student_t:5", 100) == ("student_t", {"nu": 5.0}, False)
    assert S.parse_entries("sparse_per_row:5", 500) == ("sparse", {"p": 0.01}, False)
    assert S.parse_entries("pareto_symmetric:1.5", 10)[2] is True  # infinite variance: rescaled
    with pytest.raises(ValueError):
        S.parse_entries("cauchy", 10)
    ns = np.repeat([100, 200, 400, 800], 3)
    vals = 2.0 * ns**-0.5 * np.exp(np.tile([-0.01, 0.0, 0.01], 4))
    fit = S.fit_slope(ns, vals)
    assert fit["slope"] == pytest.approx(-0.5, abs=1e-12) and fit["low"] < -0.5 < fit["high"]


def test_sweep_is_a_pure_function_of_the_seed():
    base = {"activation": "tanh", "depth": 1, "sigma_w": 1.5, "sigma_b": 0.2}
    a = S.sweep(base, entries_list=["rademacher"], ns=[40], seeds=2, seed=5)
    b = S.sweep(base, entries_list=["rademacher"], ns=[40], seeds=2, seed=5)
    assert [r["ks"] for r in a["rademacher"][40]] == [r["ks"] for r in b["rademacher"][40]]
    assert a["rademacher"][40][0]["ks"] != a["rademacher"][40][1]["ks"]


def test_forward_moments_follow_the_sampler_and_the_free_product():
    task = {"activation": "tanh", "sigma_w": 1.5, "sigma_b": 0.2, "depth": 3, "n": 60, "entries": "rademacher", "seed": 11}
    res = M.forward_moments.uncached(task)
    ev = J.sample_jacobian_spectrum("tanh", depth=3, widths=60, sigma_w=1.5, sigma_b=0.2, entries="rademacher", rng=11)
    np.testing.assert_allclose(res["m"], [ev.mean(), np.mean(ev**2)], rtol=1e-10)
    # linear phi: every derivative is 1, the conditional moments are those of the Fuss-Catalan law
    cond = M.conditional_moments(1.0, np.ones((1, 3)), np.ones((1, 3)))
    law = J.jacobian_law("linear", depth=3, sigma_w=1.0, sigma_b=0.0)
    np.testing.assert_allclose(cond[0], [law.moment(1), law.moment(2)], rtol=1e-8)


def test_perturbed_theory_moves_the_judged_law(monkeypatch):
    task = {"activation": "tanh", "sigma_w": 1.5, "sigma_b": 0.2, "depth": 1, "n": 40, "entries": "gaussian", "seed": 3}
    base = S.run_task(task)
    monkeypatch.setenv("RMTLIB_PERTURB", "scale=1.3")
    moved = S.run_task(task)
    assert moved["m1"] == base["m1"] and moved["ks"] != base["ks"]
    assert M.limit_theory({"activation": "tanh", "sigma_w": 1.5, "sigma_b": 0.2}, 2)[1] == pytest.approx(
        1.3**2 * J.limit_moments("tanh", depth=2, sigma_w=1.5, sigma_b=0.2)[1], rel=1e-12)


def test_calibration_bound_scales_like_inverse_sqrt_n():
    cal = Calibration.load("jacobian")
    (entry,) = [e for e in cal.entries if e["statistic"] == "ks_L3_gaussian" and e["n"] == 400]
    assert cal.bound("ks_L3_gaussian", 400) == pytest.approx(1.5 * max(entry["values"]), rel=1e-14)
    assert cal.bound("ks_L3_gaussian", 1600) < cal.bound("ks_L3_gaussian", 1500)
    with pytest.raises(KeyError):
        cal.bound("missing", 400)


def test_statistics_is_the_calibrated_ks():
    settings = {"statistic": "ks_L1_gaussian", "n": 40}
    a = S.statistics(settings, 3)
    task = {**S.calibration_experiments()["ks_L1_gaussian"]["task"], "n": 40, "seed": 3}
    assert a == {"ks_L1_gaussian": S.run_task(task)["ks"]} == S.statistics(settings, 3)


def test_calibration_file_covers_the_chapter():
    cal = Calibration.load("jacobian")
    for key, spec in S.calibration_experiments().items():
        runs = {e["n"]: e for e in cal.entries if e["statistic"] == key}
        assert sorted(runs) == sorted(spec["ns"])
        assert all(len(e["values"]) >= 10 and e["safety"] <= 1.5 for e in runs.values())


@pytest.mark.parametrize("act,sw,sb,depth", [("tanh", 1.5, 0.2, 3), ("relu", SQRT2, 0.0, 3), ("hard_tanh", 1.1, 0.05, 2),
                                             ("tanh", 2.5, 0.3, 2)])
def test_marching_agrees_with_continuation_from_infinity(act, sw, sb, depth):
    law = J.jacobian_law(act, depth=depth, sigma_w=sw, sigma_b=sb)
    x = np.geomspace(1e-6, 0.999, 60) * law.upper_edge
    marched, ok1 = law._chain.psi_real(x)
    single, ok2 = law._chain.psi(x.astype(complex))
    assert ok1.all() and ok2.all()
    np.testing.assert_allclose(marched, single, rtol=1e-9, atol=1e-12)


# ---------------------------------------------------------------- chapter sections and figures
def test_sections_are_pure_and_figures_draw():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    setting = {"activation": "tanh", "sigma_w": 1.5, "sigma_b": 0.2}
    conv = sections.convergence(setting, depth=1, entries_list=["gaussian", "student_t:3"], admissible=["gaussian"],
                                ns=[30, 60], seeds=2, seed=4)
    again = sections.convergence(setting, depth=1, entries_list=["gaussian", "student_t:3"], admissible=["gaussian"],
                                 ns=[30, 60], seeds=2, seed=4)
    assert conv["means"] == again["means"] and conv["ratios"]["gaussian"] == 1.0
    header, rows = figures.convergence_table(conv)
    assert len(header) == len(rows[0]) == 5 and len(rows) == 2
    rect = sections.rectangular(n=30, seed=2)
    assert rect["cases"]["tanh"]["run"]["atom_fraction"] == pytest.approx(rect["cases"]["tanh"]["zero_fraction"])
    assert rect["cases"]["relu"]["band"][0] < 0.5 < rect["cases"]["relu"]["band"][1]
    moments = sections.depth_moments(depths=[1, 2], ns=[20, 30, 40], seeds=3, seed=5)
    assert set(moments["stats"]) == set(sections.criticality_configs()) and moments["glue"]["crit_L"] == 2
    mom = sections.universality_moments(setting, depth=2, entries_list=["gaussian", "rademacher"], ns=[20, 30, 40],
                                        seeds=3, seed=7)
    assert mom["stats"]["rademacher"]["ns"] == [20, 30, 40] and len(mom["stats"]["gaussian"]["ratio"][1][0]) == 3
    samples = sections.density_samples(setting, depths=[1], entries_list=["gaussian"], n=30, seed=6)
    laws = {1: S.cached_law("tanh", 1, 1.5, 0.2)}
    for fig in (figures.convergence(conv, [("all", ["gaussian", "student_t:3"])]), figures.rectangular(rect, bins=10),
                figures.depth_moments(moments), figures.densities(samples, laws, bins=10),
                figures.universality_moments(mom)):
        assert fig.axes and any(ax.has_data() for ax in fig.axes)
        plt.close(fig)


def test_limit_law_section_checks_closed_forms():
    limit = sections.limit_law("tanh", sigma_w=1.5, sigma_b=0.2, depths=[1])
    assert max(limit["errors"].values()) < 1e-8
    assert limit["glue"]["qstar"] == pytest.approx(0.8708988958, abs=1e-9) and 1 in limit["laws"]
