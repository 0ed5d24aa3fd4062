"""Tests for rmtlib.models.nonlinear and pennington_worah against closed forms, free.multiply and MC."""

import mpmath
import numpy as np
import pytest

from rmtlib import free, laws, spectra
from rmtlib.models import nonlinear as nl

TANH = (0.39429449039784, 0.36687916436241)  # 30-digit mpmath quadrature


@pytest.fixture(scope="module")
def tanh_law():
    return nl.gram_law("tanh", phi=0.5, psi=1.0)


# ------------------------------------------------------------------ eta, zeta
@pytest.mark.parametrize(
    "name, eta, zeta",
    [
        ("relu_centered", 0.5 - 0.5 / np.pi, 0.25),
        ("abs_centered", 1.0 - 2.0 / np.pi, 0.0),
        ("erf", 2.0 / np.pi * np.arcsin(2.0 / 3.0), 4.0 / (3.0 * np.pi)),
        ("hard_tanh", None, None),
        ("sign", 1.0, 2.0 / np.pi),
        ("linear", 1.0, 1.0),
    ],
)
def test_eta_zeta_closed_forms(name, eta, zeta):
    if name == "hard_tanh":
        from scipy import special

        pdf1 = np.exp(-0.5) / np.sqrt(2 * np.pi)
        # E clip(xi)^2 = P(|xi|<1) - 2 pdf(1) + P(|xi|>1);  zeta = P(|xi| < 1)^2
        p_in = special.erf(1 / np.sqrt(2))
        eta, zeta = p_in - 2 * pdf1 + (1 - p_in), p_in**2
    got = nl.eta_zeta(name)
    assert got == pytest.approx((eta, zeta), abs=1e-12)


def test_eta_zeta_tanh_independent_mpmath():
    mpmath.mp.dps = 20
    w = lambda x: mpmath.exp(-x * x / 2) / mpmath.sqrt(2 * mpmath.pi)
    sigma = 2.0
    eta = mpmath.quad(lambda x: mpmath.tanh(sigma * x) ** 2 * w(x), [-mpmath.inf, 0, mpmath.inf])
    first = mpmath.quad(lambda x: x * mpmath.tanh(sigma * x) * w(x), [-mpmath.inf, 0, mpmath.inf])
    got = nl.eta_zeta("tanh", sigma_w=1.0, sigma_x=sigma)
    assert got == pytest.approx((float(eta), float(first) ** 2), abs=1e-10)
    assert nl.eta_zeta("tanh") == pytest.approx(TANH, abs=1e-13)


def test_uncentred_refused_with_name_and_center_option():
    with pytest.raises(ValueError, match="relu_centered"):
        nl.eta_zeta("relu")
    assert nl.eta_zeta("relu", center=True) == pytest.approx(nl.eta_zeta("relu_centered"), abs=1e-13)
    with pytest.raises(ValueError, match="sigma_w"):
        nl.eta_zeta("tanh", sigma_w=0.0)


# ------------------------------------------------------------------ the law
def test_branch_example_and_table(tanh_law):
    z = np.array([-0.5 + 0.01j, 1 + 1j, 0.5 + 0.2j, 2 + 0.1j])
    want = np.array([-1.35075 - 0.02064j, 0.35022 - 0.66841j, 0.93851 - 1.56045j, 0.73769 - 0.14524j])
    np.testing.assert_allclose(tanh_law.stieltjes(z), want, atol=1e-5)
    np.testing.assert_allclose(tanh_law.stieltjes(z.conj()), want.conj(), atol=1e-5)


def test_herglotz_and_unambiguous_paths(tanh_law):
    rng = np.random.default_rng(0)
    z = rng.uniform(-1, 3, 200) + 1j * 10 ** rng.uniform(-6, 1, 200)
    assert np.all(tanh_law.stieltjes(z).imag < 0)
    x = np.linspace(0.05, 2.0, 100)  # inside the support, away from the edges
    _, ratio = tanh_law.root(x + 0j)
    assert ratio.min() > 4.0


def test_zeta_zero_is_marchenko_pastur():
    eta = 1 - 2 / np.pi
    for phi, psi in [(0.5, 1.0), (1.0, 0.5)]:
        law = nl.gram_law(eta=eta, zeta=0.0, phi=phi, psi=psi)
        mp = laws.MarchenkoPastur(phi / psi, variance=eta)
        x = np.linspace(0.01, 2.5, 300)
        np.testing.assert_allclose(law.density(x), mp.density(x), atol=1e-8)
        np.testing.assert_allclose(law.support, mp.support, rtol=1e-12)
        assert law.atom_mass(0.0) == pytest.approx(mp.atom_mass(0.0), abs=1e-12)


@pytest.mark.parametrize("phi, psi", [(0.5, 0.5), (1.0, 2.0)])
def test_linear_is_product_of_wisharts(phi, psi):
    """zeta = eta: M = zeta (WX)(WX)^T / m; G_M = psi G_nu + (1 - psi)/z, nu = MP(psi, zeta/psi) x MP(phi)."""
    law = nl.gram_law("linear", phi=phi, psi=psi)
    nu = free.multiply(laws.MarchenkoPastur(psi, variance=1.0 / psi), laws.MarchenkoPastur(phi))
    x = np.linspace(0.06, 0.99 * law.support[-1][1], 200)
    np.testing.assert_allclose(law.density(x), psi * nu.density(x), atol=1e-7)
    z = np.array([1 + 1j, -0.3 + 0.01j, 2 + 1e-3j])
    np.testing.assert_allclose(law.stieltjes(z), psi * nu.stieltjes(z) + (1 - psi) / z, atol=1e-7)
    assert law.support[0][0] == pytest.approx(nu.support[0][0], rel=1e-8)


def test_moments_mass_and_atom():
    law = nl.gram_law("relu_centered", phi=1.0, psi=0.5)
    assert law.atoms == ((0.0, 0.5),)
    continuous = [sum(t.integrate(lambda x, k=k: x**k) for t in law._tables) for k in range(4)]
    assert continuous[0] + 0.5 == pytest.approx(1.0, abs=1e-8)
    for k in (1, 2, 3):
        assert continuous[k] == pytest.approx(law.moment(k), rel=1e-8)
    assert law.moment(2) == pytest.approx(0.4735261, abs=1e-7)
    # the atom seen from the quartic: z G(z) -> 0.5 as z -> 0
    z = 1e-7j
    assert (z * law.stieltjes(np.array([z]))[0]).real == pytest.approx(0.5, abs=1e-6)


def test_hard_edge_mass():
    law = nl.gram_law("tanh", phi=0.5, psi=0.5)  # c = 1: rho ~ x^(-1/2) at 0
    assert law.support[0][0] == 0.0
    assert float(law.cdf(np.array([10.0]))[0]) == pytest.approx(1.0, abs=1e-6)
    assert law.moment(1) == pytest.approx(sum(t.integrate(lambda x: x) for t in law._tables), rel=1e-6)


# ------------------------------------------------------------------ memorization
def test_training_loss_table_and_integral():
    for (phi, psi), gamma, want in [((0.5, 0.5), 1e-2, 0.203493), ((0.5, 0.5), 1.0, 0.719388)]:
        assert nl.training_loss(gamma, eta=TANH[0], zeta=TANH[1], phi=phi, psi=psi) == pytest.approx(want, abs=2e-6)
    eta, zeta = nl.eta_zeta("relu_centered")
    law = nl.gram_law(eta=eta, zeta=zeta, phi=1.0, psi=0.5)
    gamma, c = 0.1, 2.0
    integral = 0.5 / gamma**2 + sum(t.integrate(lambda x: 1 / (x + gamma) ** 2) for t in law._tables)
    direct = (1 - c) + c * gamma**2 * integral
    assert nl.training_loss(gamma, eta=eta, zeta=zeta, phi=1.0, psi=0.5) == pytest.approx(direct, abs=1e-9)
    assert direct == pytest.approx(0.104403, abs=2e-6)
    with pytest.raises(ValueError, match="gamma"):
        nl.training_loss(-1.0, eta=eta, zeta=zeta, phi=1.0, psi=0.5)


def test_training_loss_monte_carlo():
    gammas = np.array([0.1, 1.0])
    theory = nl.training_loss(gammas, eta=TANH[0], zeta=TANH[1], phi=0.5, psi=0.5)
    mc = np.mean([nl.training_loss_mc("tanh", gammas, n0=200, n1=400, m=400, rng=s) for s in range(2)], axis=0)
    np.testing.assert_allclose(mc, theory, rtol=0.01)
    ridge = nl.ridge_training_loss("tanh", 1.0, n0=100, n1=200, m=200, n2=10, rng=0)
    assert ridge == pytest.approx(theory[1], rel=0.03)


# ------------------------------------------------------------------ simulation, equivalence, mutation
def test_samplers_seeded_and_ks(tanh_law):
    a = nl.sample_gram("tanh", n0=150, n1=150, m=300, rng=3)
    b = nl.sample_gram("tanh", n0=150, n1=150, m=300, rng=3)
    np.testing.assert_array_equal(a, b)
    ev = np.concatenate([nl.sample_gram("tanh", n0=300, n1=300, m=600, rng=s, w_entries="rademacher")
                         for s in range(2)])
    assert spectra.ks_distance(ev, tanh_law).statistic < 0.02
    eq = nl.sample_gram_equivalent(eta=TANH[0], zeta=TANH[1], n0=300, n1=300, m=600, rng=0)
    assert spectra.ks_distance(eq, tanh_law).statistic < 0.025


def test_mutation_perturbed_zeta_fails_ks():
    ev = np.concatenate([nl.sample_gram("linear", n0=300, n1=600, m=600, rng=s) for s in range(2)])
    right = nl.gram_law(eta=1.0, zeta=1.0, phi=0.5, psi=0.5)
    wrong = nl.gram_law(eta=1.0, zeta=0.9, phi=0.5, psi=0.5)
    assert spectra.ks_distance(ev, right).statistic < 0.02
    assert spectra.ks_distance(ev, wrong).statistic > 0.05


def test_training_loss_monte_carlo_more_features_than_points():
    eta, zeta = nl.eta_zeta("relu_centered")
    theory = nl.training_loss(0.1, eta=eta, zeta=zeta, phi=1.0, psi=0.5)
    mc = nl.training_loss_mc("relu_centered", 0.1, n0=300, n1=600, m=300, rng=0)[0]
    assert mc == pytest.approx(theory, rel=0.03)  # finite-size bias ~ +1% at this size
