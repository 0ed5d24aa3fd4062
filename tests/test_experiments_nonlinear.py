"""Tests for the nonlinear chapter's experiments (nonlinear, nonlinear_sweeps, nonlinear_ridge) and figures."""

import numpy as np
import pytest

from rmtlib.compendium import nulls
from rmtlib.compendium.figures import nonlinear as figures
from rmtlib.experiments import nonlinear as exp, nonlinear_ridge as ridge, nonlinear_sweeps as sweeps, theory
from rmtlib.models import nonlinear as nl

SMALL = {"n0": 40, "activations": ["tanh", "abs_centered"], "shapes": [[0.5, 1.0]], "layer_n": 30,
         "layer_alphas": [1.0, 0.0], "depth": 2, "moment_sizes": [20, 30, 40], "seeds": 3, "mem_seeds": 3, "width_seeds": 3,
         "layer_widths": [20, 30, 40], "mem_cases": [["tanh", 0.5, 0.5]], "gammas": [0.1, 1.0],
         "mem_sizes": [20, 30, 40], "mem_targets": 1, "order_alphas": [-1.0, 1.0]}


@pytest.fixture(scope="module")
def stats():
    return exp.statistics(SMALL, 7)


def test_statistics_is_a_pure_map_of_settings_and_seed(stats):
    assert stats == exp.statistics(SMALL, 7)
    assert stats != exp.statistics(SMALL, 8)
    want = {exp.key(*case) for case in exp.density_cases(SMALL)}
    want |= {exp.layer_key(a, ell, r) for a in (1.0, 0.0) for ell in range(3) for r in ("own", "first")}
    assert set(stats) == want
    assert all(isinstance(v, float) and 0 <= v < 1 for v in stats.values())


def test_section_results_match_the_statistics(stats):
    panels = exp.density_panels(SMALL, 7)
    assert list(panels) == exp.density_cases(SMALL)
    assert {exp.key(*case): p.ks.statistic for case, p in panels.items()} == {
        k: v for k, v in stats.items() if k.startswith("ks_")}
    layers = exp.layer_study(SMALL, 7)
    for alpha in SMALL["layer_alphas"]:
        for ell in range(3):
            assert layers["own"][alpha][ell].ks.statistic == stats[exp.layer_key(alpha, ell, "own")]
            assert layers["first"][alpha][ell].statistic == stats[exp.layer_key(alpha, ell, "first")]
    assert layers["zeta"][1.0] == 0.0 and layers["zeta"][0.0] > 0.5


def test_gram_moments_equal_the_eigenvalue_moments():
    rng = np.random.default_rng(3)
    for shape in [(7, 11), (11, 7)]:
        Y = rng.standard_normal(shape)
        ev = np.linalg.eigvalsh(Y @ Y.T / shape[1])
        assert np.allclose(sweeps.gram_moments(Y), [ev.mean(), np.mean(ev**2)], rtol=1e-12)


def test_ridge_losses_equal_a_direct_solve_and_average_to_the_trace():
    rng = np.random.default_rng(4)
    F, T, gammas = rng.standard_normal((30, 20)), rng.standard_normal((5, 20)), [0.01, 0.3, 2.0]
    direct = [np.mean((T - np.linalg.solve(F @ F.T / 20 + g * np.eye(30), F @ T.T / 20).T @ F) ** 2) for g in gammas]
    assert np.allclose(ridge.ridge_losses(F, T, gammas), direct, rtol=1e-10)
    # many targets: the loss tends to its target average (gamma^2 / m) tr (K + gamma)^-2
    many = rng.standard_normal((20000, 20))
    ev = np.linalg.eigvalsh(F.T @ F / 20)
    trace = [np.mean(g**2 / (ev + g) ** 2) for g in gammas]
    assert np.allclose(ridge.ridge_losses(F, many, gammas), trace, rtol=0.03)


def test_loss_from_law_matches_implicit_differentiation():
    law = nl.gram_law("tanh", phi=0.5, psi=1.0)
    eta, zeta = nl.eta_zeta("tanh")
    g = [0.01, 0.1, 1.0]
    assert np.allclose(ridge.loss_from_law(law, g, 0.5), nl.training_loss(g, eta=eta, zeta=zeta, phi=0.5, psi=1.0),
                       atol=1e-7)


def test_perturbed_theory_moves_the_laws_and_not_the_samples(monkeypatch):
    plain_law, plain_draws = exp.law("tanh", 0.5, 1.0), exp.density_draws(SMALL, 1)
    monkeypatch.setenv(theory.ENVIRONMENT, "scale=1.1")
    assert exp.law("tanh", 0.5, 1.0).moment(2) == pytest.approx(1.1**2 * plain_law.moment(2), rel=1e-9)
    assert exp.layer_laws(1.0, 0.5, 2)[-1].support[0][1] == pytest.approx(1.1 * (1 + 0.5**0.5) ** 2)
    draws = exp.density_draws(SMALL, 1)
    assert all(np.array_equal(draws[c], plain_draws[c]) for c in draws)
    monkeypatch.setenv(theory.ENVIRONMENT, "eta=1.05,zeta=0.9")
    eta, zeta = nl.eta_zeta("tanh")
    assert exp.constants("tanh") == pytest.approx((1.05 * eta, 0.9 * zeta))
    monkeypatch.setenv(theory.ENVIRONMENT, "zeta=1.1")
    assert exp.constants("linear")[1] == exp.constants("linear")[0]  # zeta capped at eta


def test_sweeps_and_ridge_results_have_their_shapes():
    moments = sweeps.moment_study(SMALL, 2)
    assert set(moments["cases"]) == set(exp.density_cases(SMALL))
    values, m2 = moments["cases"][("tanh", 0.5, 1.0, "gaussian")][2]
    assert len(values) == 3 and values[0].shape == (3,) and m2 == pytest.approx(exp.law("tanh", 0.5, 1.0).moment(2))
    width = sweeps.width_study(SMALL, 2)
    assert width[1.0]["own"]["m1"] == pytest.approx(1.0, abs=1e-6)
    assert [v.shape for v in width[0.0]["ks"]] == [(3,)] * 3
    mem = ridge.memorization_study(SMALL, 2, curve_points=4)
    assert mem["cases"][("tanh", 0.5, 0.5)]["values"].shape == (3, 3, 2) and mem["exact"] < 1e-7
    assert mem["order"][-1.0][0].mean() > mem["order"][1.0][0].mean()
    assert mem["order"][-1.0][1] > mem["order"][1.0][1]


def test_eta_zeta_table_and_law_properties():
    table = exp.eta_zeta_table(("tanh", "relu_centered", "sign"))
    assert table["closed_deviation"] < 1e-12 and table["mpmath_deviation"] < 1e-10
    assert table["values"]["sign"] == pytest.approx((1.0, 2 / np.pi), abs=1e-12)
    props = exp.law_properties([(0.5, 1.0)], activations=("abs_centered",))
    assert props["zeta0_mp"] < 1e-8 and props["linear_free"] < 1e-7
    assert props["moments"] < 1e-6 and props["mass"] < 2e-6
    assert abs(props["branch"] - (-1.35075 - 0.02064j)) < 1e-5
    assert len(props["rows"]) == len(props["seconds"]) == 1


def test_figures_draw():
    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")
    panels = exp.density_panels(SMALL, 1)
    mem = ridge.memorization_study(SMALL, 1, curve_points=4)
    mem_tests = {(*case, g): nulls.extrapolated(mem["sizes"], list(r["values"][:, :, j]), r["theory"][j])
                 for case, r in mem["cases"].items() for j, g in enumerate(mem["mc_gammas"])}
    width = sweeps.width_study(SMALL, 1)
    width_tests = {(a, name): nulls.extrapolated(width["widths"], width[a]["values"][name], width[a]["own"][name])
                   for a in SMALL["layer_alphas"] for name in sweeps.LAYER_STATISTICS}
    figs = [figures.densities(panels), figures.equivalence(panels), figures.memorization(mem, mem_tests),
            figures.layers(exp.layer_study(SMALL, 1)), figures.layer_widths(width, width_tests)]
    assert [len(f.axes) for f in figs] == [2, 2, 4, 6, 3]
    mpl.pyplot.close("all")
