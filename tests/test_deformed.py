"""Tests of rmtlib.models.deformed and rmtlib.experiments.deformed: outlier theory against closed forms,
samplers, seeded Monte Carlo, the chapter's experiments and figures."""

import math

import numpy as np
import pytest

from rmtlib.models import deformed as d
from rmtlib.experiments import deformed as xd, deformed_growing as xg, deformed_universality as xu, pruning as xp
from rmtlib.experiments import theory
from rmtlib.experiments.slopes import fit_loglog_slope
from rmtlib import laws


def uniform_density_biane(x, a, variance):
    """Independent reference: density of SC ⊞ U[-a, a] by Biane's real parametrisation, at x."""
    from scipy import optimize

    def x_of_u(u):
        # v(u) >= 0 solves ∫ dnu / ((u-s)^2 + v^2) = 1/variance; then x = u + variance ∫ (u-s)/(...)
        f = lambda v: math.atan2(2 * a * v, v * v + u * u - a * a) / (2 * a * v) - 1 / variance
        v = optimize.brentq(f, 1e-12, 10.0)
        re = math.log(((u + a) ** 2 + v**2) / ((u - a) ** 2 + v**2)) / (4 * a)
        return u + variance * re, v / (math.pi * variance)

    w = math.sqrt(a * a + variance) * (1 - 1e-9)  # v(u) > 0 exactly for |u| < sqrt(a^2 + variance)
    u = optimize.brentq(lambda u: x_of_u(u)[0] - x, -w, w)
    return x_of_u(u)[1]


# ------------------------------------------------------------------ theory: closed forms
@pytest.mark.parametrize(
    "a, theta, pos, ov",
    [(1.0, 2.0, 2.5493061, 2 / 3), (1.0, 3.0, 3.3465736, 0.875), (2.5, 3.0, 3.4795790, 7 / 11),
     (2.5, 6.0, 6.1774606, 1 - 1 / 29.75), (1.0, -2.0, -2.5493061, 2 / 3)],
)
def test_outliers_uniform_closed_form(a, theta, pos, ov):
    p, o = d.outliers([theta], laws.Uniform(-a, a), variance=1.0)
    assert p[0] == pytest.approx(pos, abs=1e-6)
    assert o[0] == pytest.approx(ov, rel=1e-12)


def test_outliers_threshold_and_nan():
    p, o = d.outliers([1.2, math.sqrt(2) - 1e-9, math.sqrt(2) + 1e-6, 0.5], laws.Uniform(-1, 1), variance=1.0)
    assert np.isnan(p[[0, 1, 3]]).all() and np.isnan(o[[0, 1, 3]]).all()
    assert o[2] > 0 and np.isfinite(p[2])


def test_finite_rank_special_case():
    p, o = d.outliers([3.0, -2.0, 0.8, 1.0], laws.PointMasses([0.0]), variance=1.0)
    np.testing.assert_allclose(p[:2], [3 + 1 / 3, -2.5], rtol=1e-14)
    np.testing.assert_allclose(o[:2], [8 / 9, 0.75], rtol=1e-14)
    assert np.isnan(p[2:]).all()
    # variance scales: theta + s2/theta
    p, o = d.outliers([3.0], laws.PointMasses([0.0]), variance=2.0)
    assert p[0] == pytest.approx(3 + 2 / 3) and o[0] == pytest.approx(1 - 2 / 9)


def test_gap_outlier_of_two_point_law():
    # nu = (delta_-1 + delta_1)/2, theta = 0 in the gap: H'(0) = 1 - s2, H(0) = 0
    p, o = d.outliers([0.0], laws.PointMasses([-1.0, 1.0]), variance=0.2)
    assert p[0] == pytest.approx(0.0, abs=1e-15) and o[0] == pytest.approx(0.8)


def test_discrete_quantile_bulk_converges_to_uniform():
    exact = d.outliers([3.0], laws.Uniform(-2.5, 2.5), variance=1.0)
    grid = d.bulk_points(laws.Uniform(-2.5, 2.5), 400)
    approx = d.outliers([3.0], laws.PointMasses(grid), variance=1.0)
    np.testing.assert_allclose(approx, exact, atol=2e-3)


def test_real_transforms_quadrature_path():
    # a non-Uniform continuous law goes through quadrature: semicircle, G(x) = (x - sqrt(x^2-4))/2
    sc = laws.Semicircle(variance=1.0)
    x = np.array([2.5, 3.0, -4.0])
    g, g2 = d.real_transforms(sc, x)
    r = np.sign(x) * np.sqrt(x**2 - 4)
    np.testing.assert_allclose(g, (x - r) / 2, rtol=1e-8)
    np.testing.assert_allclose(g2, -(1 - x / r) / 2, rtol=1e-8)


def test_real_transforms_rejects_support():
    with pytest.raises(ValueError, match="outside the support"):
        d.real_transforms(laws.Uniform(-1, 1), [0.3])


@pytest.mark.parametrize("a, edge", [(1.0, 2.29559), (2.5, 3.35147)])
def test_bulk_edges(a, edge):
    left, right = d.bulk_edges(laws.Uniform(-a, a), variance=1.0)
    assert right == pytest.approx(edge, abs=1e-5) and left == pytest.approx(-edge, abs=1e-5)


def test_bulk_edges_two_point():
    # SC(1) ⊞ (delta_-1 + delta_1)/2 has outer edges at ±(3 sqrt(3)/2)
    _, right = d.bulk_edges(laws.PointMasses([-1.0, 1.0]), variance=1.0)
    assert right == pytest.approx(1.5 * math.sqrt(3), abs=1e-10)


def test_random_direction_outlier():
    assert d.random_direction_outlier(3.0, laws.Uniform(-2.5, 2.5), variance=1.0) == pytest.approx(3.9976, abs=1e-4)


def test_fluctuation_and_cluster_predictions():
    nu0 = laws.PointMasses([0.0])
    assert math.sqrt(d.outlier_fluctuation_variance(3.0, nu0, variance=1.0)) == pytest.approx(4 / 3)
    h = 8 / 9
    assert d.outlier_fluctuation_variance(3.0, nu0, variance=1.0, fourth_cumulant=-2.0) == pytest.approx(
        2 * h - 2 * h**2 * (1 - h))
    assert d.cluster_sd_prediction(3.0, 60, 3600, laws.Uniform(-1, 1), variance=1.0) == pytest.approx(0.1217, abs=1e-3)


def test_uniform_bulk_density_reference():
    # the independent Biane reference reproduces the published values rho(0), rho(-1.99) for a = sigma = 1
    assert uniform_density_biane(0.0, 1.0, 1.0) == pytest.approx(0.27385, abs=1e-5)
    assert uniform_density_biane(-1.99, 1.0, 1.0) == pytest.approx(0.14153, abs=1e-5)


def test_deformed_wigner_law_against_biane():
    pytest.importorskip("rmtlib.free")
    law = d.deformed_wigner_law(laws.Uniform(-1, 1), variance=1.0)
    for x in (0.0, -1.99, 1.0, 2.2):
        assert float(law.density(x)) == pytest.approx(uniform_density_biane(x, 1.0, 1.0), rel=1e-6)
    assert law.support[-1][1] == pytest.approx(2.29559, abs=1e-5)


# ------------------------------------------------------------------ samplers
def test_bulk_points():
    np.testing.assert_allclose(d.bulk_points(laws.Uniform(-1, 1), 4), [-0.75, -0.25, 0.25, 0.75])
    pts = d.bulk_points(laws.PointMasses([-1.0, 2.0], [0.25, 0.75]), 8)
    np.testing.assert_array_equal(pts, [-1, -1, 2, 2, 2, 2, 2, 2])
    iid = d.bulk_points(laws.Uniform(0, 1), 1000, grid="iid", rng=3)
    assert np.all(np.diff(iid) >= 0) and abs(iid.mean() - 0.5) < 0.05
    np.testing.assert_array_equal(iid, d.bulk_points(laws.Uniform(0, 1), 1000, grid="iid", rng=3))
    with pytest.raises(ValueError, match="grid"):
        d.bulk_points(laws.Uniform(0, 1), 3, grid="random")


def test_sample_wigner_variance_and_seed():
    w = d.sample_wigner(300, variance=2.0, rng=5)
    assert np.allclose(w, w.T)
    off = w[np.triu_indices(300, 1)] * math.sqrt(300)
    assert off.var() == pytest.approx(2.0, rel=0.03)
    assert (np.diag(w) * math.sqrt(300)).var() == pytest.approx(4.0, rel=0.2)
    np.testing.assert_array_equal(w, d.sample_wigner(300, variance=2.0, rng=5))
    r = d.sample_wigner(50, entries="rademacher", rng=1) * math.sqrt(50)
    assert set(np.round(np.abs(r[np.triu_indices(50, 1)]), 12)) == {1.0}


def test_validation():
    with pytest.raises(ValueError, match="variance"):
        d.outliers([3.0], laws.Uniform(-1, 1), variance=-1.0)
    with pytest.raises(ValueError, match="alpha"):
        xg.growing_outliers(100, alpha=1.5, arrangement="separated", seed=0)
    with pytest.raises(ValueError, match="arrangement"):
        xg.growing_outliers(100, alpha=0.5, arrangement="mixed", seed=0)


# ------------------------------------------------------------------ Monte Carlo
def _discriminating_mc(draws=3, n=1000):
    nu = laws.Uniform(-2.5, 2.5)
    bulk = d.bulk_points(nu, n - 1)
    seeds = np.random.SeedSequence(7).spawn(draws)
    res = [d.measure_outliers([3.0], bulk, variance=1.0, rng=np.random.default_rng(s)) for s in seeds]
    return np.mean([r["positions"][0] for r in res]), np.mean([r["overlaps"][0] for r in res])


def test_full_rank_outlier_mc_and_mutation(monkeypatch):
    """MC position/overlap match H(theta), H'(theta); the finite-rank formula (a mutation) fails."""
    nu = laws.Uniform(-2.5, 2.5)
    pos, ov = _discriminating_mc()
    # sd of one outlier: sqrt(2 H'/N) = 0.036 -> mean of 3: 0.021; overlap sd ~ 0.02
    tol_pos, tol_ov = 0.085, 0.06
    p, o = d.outliers([3.0], nu, variance=1.0)
    assert abs(pos - p[0]) < tol_pos and abs(ov - o[0]) < tol_ov
    # mutation: replace G_nu, ∫dnu/(theta-s)^2 by their delta_0 values -> the same checks fail
    monkeypatch.setattr(d, "real_transforms", lambda nu, u: (1 / np.asarray(u), 1 / np.asarray(u) ** 2))
    p, o = d.outliers([3.0], nu, variance=1.0)
    assert abs(pos - p[0]) > tol_pos and abs(ov - o[0]) > tol_ov


def test_no_outlier_below_threshold():
    bulk = d.bulk_points(laws.PointMasses([0.0]), 499)
    r = d.measure_outliers([0.8], bulk, variance=1.0, rng=11, vectors=False)
    assert r["positions"][0] < 2.0 + 0.1


def test_growing_outliers_and_slope():
    sep = xg.growing_outliers(400, alpha=0.5, arrangement="separated", seed=2)
    assert sep["k"] == 20 and sep["mean_error"] < 0.15
    coin = xg.growing_outliers(400, alpha=0.5, arrangement="coincident", seed=2)
    pred = d.cluster_sd_prediction(3.0, 20, 400, laws.Uniform(-1, 1), variance=1.0)
    assert 0.6 < coin["cluster_sd"] / pred < 1.4
    x = np.array([100, 200, 400, 800] * 2, float)
    fit = fit_loglog_slope(x, 3 * x**-0.5 * np.exp(np.r_[0.01, -0.01, 0.02, 0.0, -0.01, 0.01, -0.02, 0.0]))
    assert fit["low"] < -0.5 < fit["high"] and abs(fit["slope"] + 0.5) < 0.03


def test_real_transforms_agree_with_law_stieltjes_and_subordination():
    pytest.importorskip("rmtlib.free")
    nu = laws.Uniform(-2.5, 2.5)
    th = np.array([3.0, 4.0, -6.0])
    g, _ = d.real_transforms(nu, th)
    np.testing.assert_allclose(g, np.real(nu.stieltjes(th + 0j)), rtol=1e-12)
    # subordination: G_mu(H(theta)) = G_nu(theta) at the outlier location
    pos, _ = d.outliers(th, nu, variance=1.0)
    mu = d.deformed_wigner_law(nu, variance=1.0)
    np.testing.assert_allclose(np.real(mu.stieltjes(pos + 0j)), g, rtol=1e-8)


def test_growing_sweep_and_lanczos_tops():
    g = xg.growing_sweep([100, 200, 400], alphas=[0.5], draws=1, seed=3, arrangements=("coincident",))
    r = g[("coincident", 0.5)]
    assert r["n"].tolist() == [100, 200, 400] and r["k"].tolist() == [10, 14, 20]
    assert abs(r["predicted_slope"] + 0.25) < 0.05 and abs(r["fit"]["slope"] - r["predicted_slope"]) < 0.2
    assert r["fit"]["dof"] == 1 and [v.size for v in r["per_size"]] == [1, 1, 1]
    # few outliers: Lanczos; the same eigenvalues as LAPACK on the same matrix
    from scipy import linalg
    th = xg.growing_thetas(300, 0.25, "separated")
    h = d.sample_deformed_wigner(th, d.bulk_points(xg.BULK, 300 - th.size),
                                 rng=np.random.default_rng(np.random.SeedSequence(5)))
    ref = linalg.eigh(h, eigvals_only=True, subset_by_index=[300 - th.size, 299])
    np.testing.assert_allclose(xg.growing_tops.uncached(300, 0.25, "separated", 5), ref, atol=1e-10)
    g = xg.growing_sweep([100, 200, 300], alphas=[0.25, 0.5], draws=[3, 1], seed=1, arrangements=("separated",))
    assert g[("separated", 0.25)]["n"].size == 9 and g[("separated", 0.5)]["n"].size == 3


# ------------------------------------------------------------------ chapter experiments and figures
def test_bulk_experiment_law_checks_and_seed_streams():
    r = xd.bulk_experiment("uniform_1", 200, seed=1, moment_n=100, moment_draws=3)
    assert r["mass_error"] < 1e-4 and r["edge_error"] < 1e-6 and r["ks"] < 0.1
    assert r["moments"].shape == (3, 2) and np.allclose(r["moment_theory"], [4 / 3, 0.2 + 4 / 3 + 2])
    ss = np.random.SeedSequence(5).spawn(2)[0]
    a = xd.bulk_sweep(100, seed=ss)
    b = xd.bulk_sweep(100, seed=ss)  # a SeedSequence is not advanced: same numbers twice
    assert list(a) == list(xd.BULK_CASES) and set(xd.BULK_TITLES) == set(xd.BULK_CASES)
    assert all(np.array_equal(a[k]["eigenvalues"], b[k]["eigenvalues"]) for k in a)


def test_outlier_experiment_finite_rank_pooling():
    fr = xd.outlier_experiment([3.0, -2.0, 0.8], laws.PointMasses([0.0]), 400, draws=2, seed=3)
    # theta = 0.8 makes no outlier, so the pooled means run over theta = 3, -2 only
    assert fr["pooled_mask"].tolist() == [True, True, False]
    np.testing.assert_allclose(fr["pooled"][:, 0], np.abs(fr["positions"][:, :2]).mean(1))
    np.testing.assert_allclose(fr["pooled_theory"], [(10 / 3 + 2.5) / 2, (8 / 9 + 0.75) / 2])
    assert fr["theory_positions"][0] == pytest.approx(10 / 3) and fr["positions"][:, 2].max() < 2.1
    assert np.all(fr["allowance"][:2] < 0.01)  # the grid of nu = delta_0 is exact; one variance over N


def test_theory_perturbation_moves_theory_not_simulations(monkeypatch):
    args = ([3.0, 5.0], laws.Uniform(-1, 1), 200)
    base = xd.outlier_experiment(*args, draws=2, seed=4)
    monkeypatch.setenv(theory.ENVIRONMENT, "scale=1.02")
    moved = xd.outlier_experiment(*args, draws=2, seed=4)
    np.testing.assert_array_equal(moved["positions"], base["positions"])
    np.testing.assert_allclose(moved["theory_positions"], 1.02 * base["theory_positions"])
    np.testing.assert_allclose(moved["theory_overlaps"], base["theory_overlaps"])
    monkeypatch.setenv(theory.ENVIRONMENT, "theta=1.1")
    np.testing.assert_allclose(xd.theory_outliers([3.0], laws.Uniform(-1, 1), 1.0)[0],
                               d.outliers([3.3], laws.Uniform(-1, 1), variance=1.0)[0])


def test_moment_bias_against_monte_carlo():
    # E tr H^k / n at n = 30 over many draws: the limit plus the derived bias, within 5 standard errors
    n, draws = 30, 1000
    vals = xd.bulk_moment_draws.uncached("two_point", n, draws, 11)
    nu, s2, _ = xd.bulk_case("two_point")
    lim = np.array([1 + s2, 1 + 4 * s2 + 2 * s2**2])
    se = vals.std(axis=0, ddof=1) / math.sqrt(draws)
    assert np.all(np.abs(vals.mean(0) - lim - xd.moment_bias("two_point", n)) < 5 * se)
    assert np.all(np.abs(vals.mean(0) - lim) > 5 * se)  # the bias is resolved at this n


def test_secular_outlier_is_the_top_eigenvalue():
    n = 200
    bulk = d.bulk_points(laws.Uniform(-2.5, 2.5), n - 1)
    for seed in (1, 2):
        h = d.sample_deformed_wigner([3.2], bulk, rng=seed)
        mu, u = np.linalg.eigh(h[1:, 1:])
        lam = xu.secular_outlier(np.array([h[0, 0]]), ((h[1:, 0] @ u) ** 2)[None, :], mu)
        assert lam[0] == pytest.approx(np.linalg.eigvalsh(h)[-1], abs=1e-10)


def test_universality_sweep_groups():
    uni = xu.universality_sweep(200, groups=3, rows=20, seed=0, entry_laws=(("rademacher", {}),))
    u = uni["rademacher"]
    assert u["group_means"].shape == (3,) and u["group_variances"].shape == (3,) and u["scaled"].size == 60
    assert u["kappa4"] == -2 and u["variance_pred"] < u["variance_gauss"] < u["variance_finite_rank"]


def test_growing_sweep_separation_and_ratio():
    g = xg.growing_sweep([100, 200, 400], alphas=[0.5], draws=1, seed=np.random.SeedSequence(1))
    sep, coin = g[("separated", 0.5)], g[("coincident", 0.5)]
    h = d.outliers([3.0], laws.Uniform(-1, 1), variance=1.0)[1][0]
    assert sep["separation"] == pytest.approx(2.0 / 19 / math.sqrt(2 * h / 400))
    assert coin["ratio"] == pytest.approx(np.mean(coin["error"] / coin["prediction"]))


def test_rect_and_denoise_experiments():
    rect = xp.rect_experiment(300, 150, [1.0, 3.0], draws=2, seed=2)
    assert rect["ratio"] == 0.5 and rect["inverse_error"] < 1e-10
    assert rect["pooled_mask"].tolist() == [True, False] and rect["pooled"].shape == (2, 3)
    assert abs(rect["pooled"][:, 0].mean() - rect["pooled_theory"][0]) < 0.1
    assert np.all(np.abs(rect["pooled"][:, 1:].mean(0) - rect["pooled_theory"][1:]) < 0.15)
    demo = xp.denoise_experiment(400, 200, [3.0, 2.0, 0.5], seed=4)
    assert demo["expected_rank"] == 2 and demo["sure_rank"] <= demo["rank"] <= demo["expected_rank"]
    assert demo["errors"]["shrinkage"] < demo["errors"]["truncation"] < demo["errors"]["none"]
    assert abs(demo["variance"] - 1) < 0.05


def test_network_pruning_summary():
    pytest.importorskip("sklearn")
    net = xp.network_pruning([0, 1], widths=[64, 12, 12, 10], epochs=2, prune_epochs=1, finetune_epochs=1)
    acc = np.array([r["gradual"] for r in net["runs"]])
    assert net["accuracy"]["gradual"] == pytest.approx(acc.mean())
    assert net["accuracy_sd"]["gradual"] == pytest.approx(acc.std(ddof=1))
    assert net["gain"] == pytest.approx(net["accuracy"]["gradual"] - net["accuracy"]["dense"])
    assert 0 < net["param_fraction"] <= 1


def test_statistics_is_a_pure_function_of_settings_and_seed():
    a, b = xd.statistics({"bulk_n": 80}, 7), xd.statistics({"bulk_n": 80}, 7)
    assert a == b and set(a) == {f"ks_{k}" for k in xd.BULK_CASES} and all(math.isfinite(v) for v in a.values())


def test_figures_draw():
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from rmtlib.compendium.figures import deformed as figures

    bulk = xd.bulk_sweep(100, seed=0)
    outl = xd.outlier_experiment([3.0, 5.0], laws.Uniform(-2.5, 2.5), 100, draws=2, seed=0)
    grow = xg.growing_sweep([40, 60, 80], alphas=[0.5], draws=1, seed=0)
    uni = xu.universality_sweep(60, groups=2, rows=8, seed=0, entry_laws=(("gaussian", {}),))
    rect = xp.rect_experiment(80, 40, [2.0, 3.0], draws=1, seed=0)
    for fig in (figures.bulk(bulk), figures.outliers(outl), figures.growing(grow), figures.universality(uni),
                figures.rectangular(rect)):
        assert all(ax.has_data() for ax in fig.axes)
        plt.close(fig)
    header, rows = figures.growing_table(grow)
    assert len(rows) == 2 and all(len(r) == len(header) for r in rows)
    header, rows = figures.universality_table(uni)
    assert rows[0][0] == "gaussian" and len(rows[0]) == len(header)
    runs = [{"one_shot_ranks": [1, 2], "gradual_ranks": [3, 4]}] * 2
    net = {"runs": runs, "accuracy": {"dense": 0.9, "one_shot": 0.2, "gradual": 0.9},
           "accuracy_sd": {"dense": 0.01, "one_shot": 0.05, "gradual": 0.01},
           "params": {"dense": 100.0, "one_shot": 10.0, "gradual": 50.0}}
    header, rows = figures.network_table(net)
    assert [r[0] for r in rows] == ["dense", "one_shot", "gradual"] and rows[0][3] == "—"


def test_finite_n_deterministic_equivalent_island_and_quantiles():
    dg = xg
    np.testing.assert_allclose(dg.top_quantiles(laws.Uniform(0.0, 1.0), 10, 3), [0.75, 0.85, 0.95], atol=1e-9)
    law = dg.deterministic_equivalent(400, 0.5, "coincident")
    mass, mean, sd = dg.island_moments(law, 2.35)
    assert abs(mass - 20 / 400) < 1e-6  # k = 20 coincident outliers at theta = 3
    assert abs(mean - 3.3466) < 0.02 and 0.1 < sd < 0.3
