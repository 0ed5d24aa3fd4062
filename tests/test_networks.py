"""Tests of rmtlib.models.networks: the MLP's gradient, Hessian- and Gauss-Newton-vector products,
full Hessian and Gauss-Newton matrix against central differences of the analytic gradient, and
its training loops."""

import numpy as np
import pytest

from rmtlib.experiments import digits, network_spectra
from rmtlib.models import networks as nets

DIGITS = nets.MLP((64, 12, 10), "tanh")   # h >= C: needed for the generic rank n(C-1)
SMALL = [(act, widths) for act in nets.ACTIVATIONS for widths in ((5, 7, 3), (5, 7, 6, 3))]


def fd_columns(net, theta, x, y, directions, eps=1e-5):
    """Central differences of the analytic gradient along each column of ``directions``."""
    return np.array([(net.loss_and_grad(theta + eps * v, x, y)[1]
                      - net.loss_and_grad(theta - eps * v, x, y)[1]) / (2 * eps) for v in directions.T]).T


def soft_target_gradient(net, theta, x, t):
    """Gradient of the cross-entropy against fixed soft targets ``t``: its Hessian at ``p = t`` is the GGN."""
    hs, _, p = net.forward(theta, x)
    return net._backward(theta, hs, (p - t) / x.shape[0])


@pytest.fixture(scope="module")
def problem():
    x, y = digits.load_digits_data(40, rng=0)
    theta = DIGITS.init(rng=1) + 0.2 * np.random.default_rng(2).standard_normal(DIGITS.n_params)
    return x, y, theta


def small_problem(activation, widths, seed=3):
    net = nets.MLP(widths, activation)
    rng = np.random.default_rng(seed)
    theta = net.init(rng=rng) + 0.3 * rng.standard_normal(net.n_params)   # biases away from 0
    x, y = rng.standard_normal((6, widths[0])), rng.integers(0, widths[-1], 6)
    return net, theta, x, y


def test_layout_and_validation():
    net = nets.MLP((4, 3, 2), "relu")
    assert net.n_params == 3 * 5 + 2 * 4 and net.classes == 2
    theta = np.arange(net.n_params, dtype=float)
    (w1, b1), (w2, b2) = net.layers(theta)
    assert w1.shape == (3, 4) and b1.tolist() == [4.0, 9.0, 14.0] and w2[1, 0] == 19.0
    w1 += 100.0                                    # views: training may update them in place
    assert theta[0] == 100.0 and theta[4] == 4.0
    with pytest.raises(ValueError, match="activation"):
        nets.MLP((4, 2), "sigmoid")
    with pytest.raises(ValueError, match="widths"):
        nets.MLP((4,))


def test_gradient_against_finite_differences(problem):
    x, y, theta = problem
    _, g = DIGITS.loss_and_grad(theta, x, y)
    eps = 1e-6
    for q in [0, 7, 64, 200, DIGITS.n_params - 1]:
        e = np.zeros_like(theta)
        e[q] = eps
        fd = (DIGITS.loss_and_grad(theta + e, x, y)[0] - DIGITS.loss_and_grad(theta - e, x, y)[0]) / (2 * eps)
        assert fd == pytest.approx(g[q], abs=1e-8)


def test_mlp_gradients_finite_differences():
    rng = np.random.default_rng(0)
    net = nets.MLP((5, 7, 6, 3), "relu")
    theta = net.init(rng=rng)
    x, y = rng.standard_normal((4, 5)), np.array([0, 2, 1, 2])
    grads = net.layers(net.loss_and_grad(theta, x, y)[1])
    eps = 1e-6
    for layer in range(3):
        for arr, g in zip(net.layers(theta)[layer], grads[layer]):
            idx = tuple(rng.integers(0, s) for s in arr.shape)
            arr[idx] += eps
            lp = net.loss_and_grad(theta, x, y)[0]
            arr[idx] -= 2 * eps
            lm = net.loss_and_grad(theta, x, y)[0]
            arr[idx] += eps
            assert (lp - lm) / (2 * eps) == pytest.approx(g[idx], abs=1e-7)


@pytest.mark.parametrize("activation,widths", SMALL)
def test_small_gradient_hvp_and_hessian(activation, widths):
    net, theta, x, y = small_problem(activation, widths)
    eye = np.eye(net.n_params)
    loss = lambda t: net.loss_and_grad(t, x, y)[0]
    fd_grad = [(loss(theta + 1e-6 * e) - loss(theta - 1e-6 * e)) / 2e-6 for e in eye]
    np.testing.assert_allclose(net.loss_and_grad(theta, x, y)[1], fd_grad, atol=1e-8)
    h = net.hessian(theta, x, y)
    fd = fd_columns(net, theta, x, y, eye)
    np.testing.assert_allclose(h, fd, atol=1e-8)
    assert np.max(np.abs(h - h.T)) < 1e-14
    v = np.random.default_rng(4).standard_normal(net.n_params)
    np.testing.assert_allclose(net.hvp(theta, x, y, v), fd_columns(net, theta, x, y, v[:, None])[:, 0], atol=1e-8)
    np.testing.assert_allclose(net.hvp(theta, x, y, v), h @ v, atol=1e-13)


@pytest.mark.parametrize("activation,widths", SMALL)
def test_small_gvp_and_gauss_newton(activation, widths):
    net, theta, x, _ = small_problem(activation, widths)
    g = net.gauss_newton(theta, x)
    t = net.forward(theta, x)[2]
    eps = 1e-5
    fd = np.array([(soft_target_gradient(net, theta + eps * e, x, t) - soft_target_gradient(net, theta - eps * e, x, t))
                   / (2 * eps) for e in np.eye(net.n_params)]).T
    np.testing.assert_allclose(g, fd, atol=1e-8)
    v = np.random.default_rng(5).standard_normal(net.n_params)
    np.testing.assert_allclose(net.gvp(theta, x, v), g @ v, atol=1e-13)
    assert np.linalg.eigvalsh(g).min() > -1e-14


def test_hessian_against_central_differences_of_gradient(problem):
    x, y, theta = problem
    h = DIGITS.hessian(theta, x, y)
    cols = [0, 3, 64, 65, 300, DIGITS.n_params - 70, DIGITS.n_params - 1]
    fd = fd_columns(DIGITS, theta, x, y, np.eye(DIGITS.n_params)[:, cols])
    np.testing.assert_allclose(h[:, cols], fd, atol=1e-8 * max(1.0, np.abs(h).max()))
    assert np.max(np.abs(h - h.T)) < 1e-14


def test_gauss_newton_structure(problem):
    x, _, theta = problem
    g = DIGITS.gauss_newton(theta, x)
    ev = np.linalg.eigvalsh(g)
    assert ev.min() > -1e-12 * ev.max()
    # GGN = Hessian of the loss linearised in the logits: compare to J^T H J built naively
    jac, p = DIGITS.logit_jacobians(theta, x)
    naive = sum(j.T @ (np.diag(pi) - np.outer(pi, pi)) @ j for j, pi in zip(jac, p)) / x.shape[0]
    np.testing.assert_allclose(g, naive, atol=1e-13)
    zero = np.mean(ev < 1e-9 * ev.max())
    # n (C - 1) = 360 < P = 910: the bound holds with equality (generic weights)
    assert zero == pytest.approx(nets.ggn_rank_bound(40, 10, DIGITS.n_params), abs=0.5 / DIGITS.n_params)


def test_mutated_hessian_fails_finite_difference_check(problem):
    """Mutation: dropping the residual (second-derivative) term is detected by the FD test."""
    x, y, theta = problem
    fd = fd_columns(DIGITS, theta, x, y, np.eye(DIGITS.n_params)[:, [20]])
    assert np.max(np.abs(DIGITS.gauss_newton(theta, x)[:, [20]] - fd)) > 1e-4


def test_training_reduces_loss():
    x, y = digits.load_digits_data(60, rng=0)
    out = nets.train_adam(DIGITS, x, y, steps=200, rng=0)
    assert out["loss"] < 0.5 * out["history"][0] and out["accuracy"] > 0.9
    assert nets.ggn_rank_bound(100, 10, 1210) == pytest.approx(1 - 900 / 1210)


def test_sgd_epoch_updates_in_place_and_learns():
    x, _, y, _ = digits.load_digits_split()
    net = nets.MLP((64, 32, 10), "relu")
    rng = np.random.default_rng(0)
    theta = net.init(rng=rng)
    w = net.layers(theta)[0][0]
    before = w.copy()
    losses = [nets.sgd_epoch(net, theta, x, y, lr=0.05, batch=64, rng=rng) for _ in range(10)]
    assert not np.array_equal(w, before) and losses[-1] < 0.5 * losses[0]
    assert net.accuracy(theta, x, y) > 0.85


def test_drop_constant_removes_exactly_the_dead_pixels():
    x, _ = digits.load_digits_data(60, rng=0)
    xd, _ = digits.load_digits_data(60, rng=0, drop_constant=True)
    dead = np.all(x == 0.0, axis=0)
    assert dead.sum() > 0 and xd.shape == (60, 64 - dead.sum())
    np.testing.assert_array_equal(xd, x[:, ~dead])


def test_network_seed_spectra_dead_rows_and_rank():
    """One training seed at tiny sizes: exact and SLQ spectra, the dead-pixel null rows, the GGN rank."""
    s = {**network_spectra.NETWORK_DEFAULTS, "net_n": 30, "net_hidden": [10, 40], "net_steps": 30, "net_mid": 10,
         "net_exact_max": 800, "slq_steps": 20, "slq_probes": 2}
    res = network_spectra.network_seed((s, np.random.SeedSequence(1)))
    small, big = res["nets"]
    assert small["exact"] and not big["exact"] and set(small["spectra"]) == set(network_spectra.STAGES)
    assert small["spectra"]["end"]["hessian"].size == small["P"] and "slq_end" in small
    assert abs(np.sum(big["spectra"]["end"]["ggn"]["weights"]) - 1.0) < 1e-12
    zero = network_spectra.summary(small["spectra"]["end"]["ggn"])["zero"]
    assert abs(zero - small["bound"]) * small["P"] < 0.5           # rank n(C-1) attained
    dead = res["dead"]
    assert res["constant"] > 0 and dead["dead_rows"] == res["constant"] * 10
    assert network_spectra.summary(dead["hessian"])["zero"] * dead["P"] >= dead["dead_rows"]
