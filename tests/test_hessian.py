"""Tests of rmtlib.hessian: analytic gradient, exact Hessian and GGN against finite differences."""

import numpy as np
import pytest

from rmtlib.models import networks as hs
from rmtlib.experiments import digits

SHAPE = hs.Shape(64, 12, 10)   # h >= C: needed for the generic rank n(C-1)


@pytest.fixture(scope="module")
def problem():
    x, y = digits.load_digits_data(40, rng=0)
    theta = hs.init_params(SHAPE, rng=1) + 0.2 * np.random.default_rng(2).standard_normal(SHAPE.n_params)
    return x, y, theta


def test_gradient_against_finite_differences(problem):
    x, y, theta = problem
    _, g = hs.loss_and_grad(theta, x, y, SHAPE)
    eps = 1e-6
    for q in [0, 7, 64, 200, SHAPE.n_params - 1]:
        e = np.zeros_like(theta)
        e[q] = eps
        fd = (hs.loss_and_grad(theta + e, x, y, SHAPE)[0] - hs.loss_and_grad(theta - e, x, y, SHAPE)[0]) / (2 * eps)
        assert fd == pytest.approx(g[q], abs=1e-8)


def test_hessian_against_central_differences_of_gradient(problem):
    x, y, theta = problem
    h = hs.hessian(theta, x, y, SHAPE)
    cols = [0, 3, 64, 65, 300, SHAPE.n_params - 70, SHAPE.n_params - 1]
    fd = hs.fd_hessian(theta, x, y, SHAPE, columns=cols)
    np.testing.assert_allclose(h[:, cols], fd, atol=1e-8 * max(1.0, np.abs(h).max()))
    assert np.max(np.abs(h - h.T)) < 1e-14


def test_gauss_newton_structure(problem):
    x, _, theta = problem
    g = hs.gauss_newton(theta, x, SHAPE)
    ev = np.linalg.eigvalsh(g)
    assert ev.min() > -1e-12 * ev.max()
    # GGN = Hessian of the loss linearised in the logits: compare to J^T H J built naively
    jac, p = hs.logit_jacobians(theta, x, SHAPE)
    naive = sum(j.T @ (np.diag(pi) - np.outer(pi, pi)) @ j for j, pi in zip(jac, p)) / x.shape[0]
    np.testing.assert_allclose(g, naive, atol=1e-13)
    zero = np.mean(ev < 1e-9 * ev.max())
    # n (C - 1) = 360 < P = 910: the bound holds with equality (generic weights)
    assert zero == pytest.approx(hs.ggn_rank_bound(40, 10, SHAPE.n_params), abs=0.5 / SHAPE.n_params)


def test_mutated_hessian_fails_finite_difference_check(problem):
    """Mutation: dropping the residual (second-derivative) term is detected by the FD test."""
    x, y, theta = problem
    fd = hs.fd_hessian(theta, x, y, SHAPE, columns=[20])
    assert np.max(np.abs(hs.gauss_newton(theta, x, SHAPE)[:, [20]] - fd)) > 1e-4


def test_training_reduces_loss():
    x, y = digits.load_digits_data(60, rng=0)
    out = hs.train(x, y, SHAPE, steps=200, rng=0)
    assert out["loss"] < 0.5 * out["history"][0] and out["accuracy"] > 0.9
    assert hs.ggn_rank_bound(100, 10, 1210) == pytest.approx(1 - 900 / 1210)


def test_ks_full_and_min_ks_fit_recover_a_known_law():
    import scipy.stats

    from rmtlib.experiments import fitting, products as products_mc
    from rmtlib.models import percolation

    rng = np.random.default_rng(5)
    sample = np.sort(rng.standard_normal(400))
    ks = fitting.ks_full(sample, scipy.stats.norm.cdf)
    assert ks == pytest.approx(scipy.stats.kstest(sample, "norm").statistic, abs=1e-12)
    # an MP(2) spectrum (atom 1/2), fitted over a grid containing the truth, scaled by 3
    ev = 3.0 * percolation.sample_sparse_wishart(400, 200, 1.0, rng=1)
    data = fitting.prepare_spectrum(ev, n_outliers=0)
    tables = {(c,): fitting.chain_table([c]) for c in (0.5, 1.0, 2.0, 4.0)}
    fit = fitting.fit_scaled_family(data, tables, family="mp", n_scales=121)
    assert fit.params["shape"] == (2.0,) and fit.n_params == 2
    assert fit.ks < 0.05 and fit.params["scale"] == pytest.approx(3.0, rel=0.05)
    sc = fitting.fit_semicircle(data)
    assert sc.ks > fit.ks + 0.2
    assert products_mc.chain_dims(100, [0.5, 2.0]) == (100, 50, 200)
