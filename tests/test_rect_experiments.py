"""The experiments of eq. (1.1) with a full-rank S and the fair pruning study (small settings)."""

import numpy as np
import pytest

from rmtlib import laws
from rmtlib.experiments import rect_fullrank as rf, rect_pruning as rp
from rmtlib.experiments.digits import load_digits_split
from rmtlib.models import deformed
from rmtlib.models.networks import MLP, sgd_epoch


def test_polynomial_route_matches_the_law_off_the_axis():
    law = deformed.rect_fullrank_law(laws.PointMasses([0.5, 3.0], [0.5, 0.5]), ratio=0.5)
    for z in (0.7 + 0.2j, 2.0 + 0.01j, 5.0 + 1.0j):
        assert abs(rf.polynomial_stieltjes(z, [0.5, 3.0], [0.5, 0.5], ratio=0.5) - law.stieltjes(z)) < 1e-10


def test_method_agreement_is_tight():
    agree = rf.method_agreement(points=12)
    assert agree["polynomial"] < 1e-8 and agree["square"] < 1e-7 and agree["square_edges"] < 1e-6


def test_outlier_experiment_shapes_and_finite_rank_limit():
    out = rf.outlier_experiment(300, [9.0, 6.0], draws=2, seed=1)
    assert out["positions"].shape == (2, 2) and out["overlaps"].shape == (2, 2)
    assert np.all(out["positions"] > out["edge"]) and np.all((out["overlaps"] > 0) & (out["overlaps"] < 1))
    # the full-rank bulk pushes the outlier above the finite-rank prediction and lowers the overlap
    assert np.all(out["theory_positions"] > out["finite_rank_positions"])
    assert np.all(out["theory_overlaps"] < out["finite_rank_overlaps"])


def test_threshold_experiment_ranks():
    out = rf.threshold_experiment(400, [6.0, 9.0, 12.0], draws=2, seed=3)
    m = out["methods"]
    assert out["outliers"] == 3
    assert np.all(m["mp_known"]["rank"] > 3)  # the MP edge with the true sigma^2 keeps bulk singular values of S
    assert np.all(m["ipn"]["threshold"] > m["mp_known"]["threshold"])


def test_penalised_epoch_without_penalty_is_plain_sgd():
    x_tr, _, y_tr, _ = load_digits_split()
    net = MLP([64, 16, 10], "relu")
    a = net.init(rng=0)
    b = a.copy()
    sgd_epoch(net, a, x_tr, y_tr, lr=0.05, batch=64, rng=np.random.default_rng(7))
    rp.penalised_epoch(net, b, x_tr, y_tr, lr=0.05, batch=64, rng=np.random.default_rng(7))
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-14)


def test_penalties_shrink_weights_not_biases():
    x, y = np.zeros((4, 64)), np.array([0, 1, 2, 3])  # zero inputs: the loss gradient of the weights vanishes
    net = MLP([64, 8, 10], "relu")
    theta = net.init(rng=1)
    before = [w.copy() for w, _ in net.layers(theta)]
    rp.penalised_epoch(net, theta, x, y, lr=0.1, batch=4, rng=np.random.default_rng(0), l1=0.0, l2=0.5)
    w0_after = net.layers(theta)[0][0]
    np.testing.assert_allclose(w0_after, before[0] * (1 - 0.1 * 2 * 0.5), rtol=1e-12)
    with pytest.raises(ValueError, match="l1"):
        rp.penalised_epoch(net, theta, x, y, lr=0.1, batch=4, rng=np.random.default_rng(0), l1=-1.0)


def test_pitman_morgan():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(400)
    t_equal, dof = rp.pitman_morgan(x + 0.3 * rng.standard_normal(400), x + 0.3 * rng.standard_normal(400))
    t_unequal, _ = rp.pitman_morgan(3 * x, x + 0.1 * rng.standard_normal(400))
    assert dof == 398 and abs(t_equal) < 4 and t_unequal > 20


def test_pruning_run_arms_share_the_branch_point():
    out = rp.pruning_run(3, [64, 24, 24, 10], 3, 0, 0)  # no extra epochs: control is the dense network
    assert out["accuracy"]["control"] == out["accuracy"]["dense"] == out["accuracy"]["gradual"]
    out = rp.pruning_run(3, [64, 24, 24, 10], 3, 2, 1)
    assert len(out["ranks"]) == 2 and all(r <= f for r, f in zip(out["ranks"], out["full_ranks"]))
    assert out["params"]["gradual"] <= out["params"]["control"]
