"""Tests for rmtlib.experiments.nonlinear (the chapter's experiments) and its figures."""

import numpy as np
import pytest

from rmtlib.compendium.figures import nonlinear as figures
from rmtlib.experiments import nonlinear as exp

SMALL = {"n0": 40, "activations": ["tanh", "abs_centered"], "shapes": [[0.5, 1.0]], "mem_n0": 30,
         "mem_cases": [["tanh", 0.5, 0.5]], "gammas": [0.1, 1.0], "mem_draws": 1, "layer_n": 30,
         "layer_alphas": [1.0, 0.0], "depth": 2}


@pytest.fixture(scope="module")
def stats():
    return exp.statistics(SMALL, 7)


def test_statistics_is_a_pure_map_of_settings_and_seed(stats):
    assert stats == exp.statistics(SMALL, 7)
    assert stats != exp.statistics(SMALL, 8)
    want = {exp.key(a, 0.5, 1.0, "gaussian") for a in SMALL["activations"]}
    want |= {exp.key("tanh", 0.5, 1.0, k) for k in ("rademacher", "equivalent")}
    want |= {exp.mem_key("tanh", 0.5, 0.5, g) for g in SMALL["gammas"]} | {"mem_rms"}
    want |= {exp.layer_key(a, ell, r) for a in (1.0, 0.0) for ell in range(3) for r in ("own", "first")}
    assert set(stats) == want
    assert all(isinstance(v, float) and 0 <= v < 1 for v in stats.values())


def test_section_results_match_the_statistics(stats):
    panels = exp.density_panels(SMALL, 7)
    assert {exp.key(*case): p.ks.statistic for case, p in panels.items()} == {
        k: v for k, v in stats.items() if k.startswith("ks_")}
    mem = exp.memorization_study(SMALL, 7, curve_points=5)
    assert mem["rms"] == stats["mem_rms"]
    assert mem["curves"][(0.5, 0.5)][0.0].shape == (5,)
    assert mem["loss_linear"] > mem["loss_zeta0"]
    layers = exp.layer_study(SMALL, 7)
    for alpha in SMALL["layer_alphas"]:
        for ell in range(3):
            assert layers["own"][alpha][ell].ks.statistic == stats[exp.layer_key(alpha, ell, "own")]
            assert layers["first"][alpha][ell].statistic == stats[exp.layer_key(alpha, ell, "first")]
    assert layers["zeta"][1.0] == 0.0 and layers["zeta"][0.0] > 0.5


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
    figs = [figures.densities(panels), figures.equivalence(panels),
            figures.memorization(exp.memorization_study(SMALL, 1, curve_points=4)),
            figures.layers(exp.layer_study(SMALL, 1))]
    assert [len(f.axes) for f in figs] == [2, 2, 4, 6]
    mpl.pyplot.close("all")
