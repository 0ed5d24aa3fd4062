"""Tests for rmtlib.models.layers: the activations f_alpha, spectra through layers and their laws."""

import numpy as np
import pytest

from rmtlib import laws, spectra
from rmtlib.models import layers
from rmtlib.models import nonlinear as nl


def test_alpha_family_normalised():
    for alpha, zeta in [(-1.0, 1.0), (0.0, 0.73347110346213), (0.5, 0.23416889211368), (1.0, 0.0)]:
        assert nl.eta_zeta(layers.alpha_family(alpha)) == pytest.approx((1.0, zeta), abs=1e-11)


def test_alpha_family_closed_form_zeta():
    for alpha in (-0.5, 0.25, 0.75):
        v = (1 + alpha**2) / 2 - (1 + alpha) ** 2 / (2 * np.pi)
        assert nl.eta_zeta(layers.alpha_family(alpha))[1] == pytest.approx((1 - alpha) ** 2 / 4 / v, abs=1e-12)
    with pytest.raises(ValueError, match="alpha"):
        layers.alpha_family(1.5)


def test_layers_zeta_zero_and_first_layer():
    lay = layers.layer_laws(layers.alpha_family(1.0), phi=0.5, depth=2)
    assert all(isinstance(law, laws.MarchenkoPastur) and law.ratio == 0.5 for law in lay)
    spectra_ = layers.sample_layers(layers.alpha_family(1.0), n=200, m=400, depth=2, rng=0)
    assert len(spectra_) == 3
    assert spectra.ks_distance(spectra_[2], lay[2]).statistic < 0.04


def test_sample_layers_seeded_and_input_layer():
    a = layers.sample_layers(layers.alpha_family(0.0), n=60, m=120, depth=2, rng=5)
    b = layers.sample_layers(layers.alpha_family(0.0), n=60, m=120, depth=2, rng=5)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    X = np.random.default_rng(5).standard_normal((60, 120))
    np.testing.assert_allclose(a[0], np.linalg.eigvalsh(X @ X.T / 120), rtol=1e-12)
    with pytest.raises(ValueError, match="relu_centered"):
        layers.sample_layers("relu", n=10, m=20, depth=1, rng=0)


def test_gram_from_kernel_of_marchenko_pastur():
    """K = Y^T Y / n ~ MP(m/n) gives M = Y Y^T / m ~ MP(n/m) (book/derivations.md, eq. (pw-layers-gram-kernel))."""
    for lam in (2.0, 0.5):
        got = layers.GramFromKernel(laws.MarchenkoPastur(lam), lam=lam)
        want = laws.MarchenkoPastur(1 / lam)
        x = np.linspace(0.05, 0.95 * want.high, 50)
        np.testing.assert_allclose(got.density(x), want.density(x), rtol=1e-10)
        np.testing.assert_allclose(got.support, want.support, rtol=1e-12)
        assert got.atom_mass(0.0) == pytest.approx(want.atom_mass(0.0), abs=1e-12)
        z = np.array([1 + 1j, -0.5 + 0.1j])
        np.testing.assert_allclose(got.stieltjes(z), want.stieltjes(z), rtol=1e-10)


def test_first_layer_law_is_pennington_worah():
    alpha = 0.0
    eta, zeta = nl.eta_zeta(layers.alpha_family(alpha))
    first = layers.layer_laws(layers.alpha_family(alpha), phi=0.5, depth=1)[1]
    pw = nl.gram_law(eta=eta, zeta=zeta, phi=0.5, psi=1.0)
    x = np.linspace(0.1, 0.9 * pw.support[-1][1], 40)
    np.testing.assert_allclose(first.density(x), pw.density(x), atol=1e-3)


def test_layer_laws_refuse_unnormalised():
    with pytest.raises(ValueError, match="eta = 1"):
        layers.layer_laws("tanh", phi=0.5, depth=1)
