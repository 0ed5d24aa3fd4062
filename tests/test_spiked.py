"""Tests of rmtlib.models.spiked (rectangular spikes, BEMA, thresholds, denoising) and of the pruning
experiment of rmtlib.experiments.pruning."""

import math

import numpy as np
import pytest

from rmtlib.experiments import pruning as xp
from rmtlib.models import networks as nets
from rmtlib.models import spiked as p


def test_rect_spike_values():
    s, ou, ov = p.rect_spike([2.0, 1.0, 0.5], ratio=0.5)
    np.testing.assert_allclose(s[:2], [2.3717082, math.sqrt(3)], atol=1e-7)
    np.testing.assert_allclose(ou[:2], [0.775, 0.25], atol=1e-12)
    np.testing.assert_allclose(ov[:2], [0.8611111, 1 / 3], atol=1e-7)
    assert np.isnan([s[2], ou[2], ov[2]]).all()
    # variance scales theta and s together
    s2, ou2, _ = p.rect_spike(4.0, ratio=0.5, variance=4.0)
    assert s2[0] == pytest.approx(2 * 2.3717082, abs=1e-6) and ou2[0] == pytest.approx(0.775)


def test_rect_debias_inverts_and_mutation():
    th = np.array([1.2, 2.0, 5.0])
    s, _, _ = p.rect_spike(th, ratio=0.5, variance=1.3)
    np.testing.assert_allclose(p.rect_debias(s, ratio=0.5, variance=1.3), th, atol=1e-10)
    # mutation: the inverse map without its factor 1/2 (as in the group's public code) is far off
    r2 = p.rect_spike(2.0, ratio=0.5)[0][0] ** 2
    wrong = math.sqrt(r2 - 1.5 + math.sqrt((r2 - 1.5) ** 2 - 2.0))
    assert wrong == pytest.approx(2.8284, abs=1e-4) and abs(wrong - p.rect_debias(math.sqrt(r2), ratio=0.5)[0]) > 0.5
    assert np.isnan(p.rect_debias([1.5], ratio=0.5)[0])  # inside the bulk (edge 1.7071)


def test_validation():
    with pytest.raises(ValueError, match="ratio"):
        p.rect_spike(1.0, ratio=2.0)
    with pytest.raises(ValueError, match="level"):
        p.mp_threshold(1.0, ratio=0.5, n=100, level=0.5)
    with pytest.raises(ValueError, match="alpha"):
        p.bema(np.ones(10), ratio=0.5, alpha=0.7)


def test_mp_threshold_formula():
    # worked example: sigma^2 = 1.0033 -> lambda_+ = 2.9462 at n = 1000, c = 0.5, TW 95%
    assert p.mp_threshold(1.0033, ratio=0.5, n=1000) ** 2 == pytest.approx(2.9462, abs=2e-4)


def test_synthetic_demo_recovery():
    d = p.sample_rectangular(1000, 500, [3, 2, 1.5, 1, 0.8, 0.5], rng=12345)
    s = np.linalg.svd(d["W"], compute_uv=False)
    s2 = p.bema(s, ratio=0.5)
    assert s2 == pytest.approx(1.0, rel=0.03)
    trunc = p.denoise(d["W"])
    shrunk = p.denoise(d["W"], shrink=True)
    assert trunc["rank"] == 4  # the thetas above c^(1/4) = 0.841
    pred = p.rect_spike([3, 2, 1.5, 1], ratio=0.5)[0]
    assert np.max(np.abs(trunc["singular_values"] - pred)) < 0.05
    errs = [np.linalg.norm(x - d["S"]) for x in (d["W"], trunc["estimate"], shrunk["estimate"])]
    assert errs[0] > errs[1] > errs[2]


def test_rect_overlaps_mc():
    draws = [p.sample_rectangular(800, 400, [2.0], rng=s) for s in range(3)]
    ou, ov = [], []
    for d in draws:
        u, _, vt = np.linalg.svd(d["W"], full_matrices=False)
        ou.append((u[:, 0] @ d["U"][:, 0]) ** 2)
        ov.append((vt[0] @ d["V"][:, 0]) ** 2)
    assert np.mean(ou) == pytest.approx(0.775, abs=0.04) and np.mean(ov) == pytest.approx(0.8611, abs=0.04)


def test_parameter_count_and_truncate():
    net = nets.MLP((10, 20, 3), "relu")
    layers = net.layers(net.init(rng=0))
    assert xp.parameter_count(layers, [None, None]) == 10 * 20 + 20 + 20 * 3 + 3
    assert xp.parameter_count(layers, [2, None]) == 2 * 30 + 20 + 63
    assert np.linalg.matrix_rank(p.truncate(layers[0][0], 2)) == 2


def test_pruning_experiment_small():
    out = xp.pruning_experiment(seed=0, widths=(64, 40, 10), epochs=5, prune_epochs=3, finetune_epochs=1)
    assert 0.5 < out["dense"] <= 1 and out["gradual_params"] < out["dense_params"]
    assert out["one_shot_ranks"][0] <= out["full_ranks"][0]
