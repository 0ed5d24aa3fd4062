"""Tests of rmtlib.models.spinglass against root finding and closed forms (book/derivations.md)."""

import itertools

import numpy as np
import pytest

from rmtlib import laws
from rmtlib.experiments import products as products_mc
from rmtlib.models import spinglass


def test_layer_thresholds():
    table = {3: [1.65700, 1.65287, 1.65025, 1.64840, 1.64700], 4: [1.79409, 1.78330, 1.77648, 1.77166, 1.76803]}
    for p, values in table.items():
        got = [spinglass.layer_threshold(k, p) for k in range(5)]
        np.testing.assert_allclose(got, values, atol=6e-6)
        assert all(a > b for a, b in itertools.pairwise(got)) and got[-1] > spinglass.e_inf(p)
    assert spinglass.e_inf(3) == pytest.approx(1.63299, abs=1e-5)


def test_i1_is_the_semicircle_log_potential():
    u = np.array([-1.7, -1.9, -2.5])
    np.testing.assert_allclose(spinglass.i1(u, 3), [0.015769, 0.127684, 0.785068], atol=1e-6)
    t = 2 * u / spinglass.e_inf(3)
    np.testing.assert_allclose(t**2 / 4 - 0.5 - spinglass.log_potential_semicircle(t), spinglass.i1(u, 3), atol=1e-12)
    np.testing.assert_allclose(spinglass.log_potential(t, laws.Semicircle()), spinglass.log_potential_semicircle(t),
                               atol=1e-8)


def test_constants_and_mutation():
    assert spinglass.theta_k(np.array([0.5]), 0, 3)[0] == pytest.approx(0.5 * np.log(2) - 1 / 3)
    assert spinglass.theta_total(np.array([1.0]), 3)[0] == pytest.approx(0.5 * np.log(2))
    # mutation: (k + 1) -> k drops the I_1 term for k = 0; E_0 would become sqrt(4 log 2) = 1.6651
    assert abs(np.sqrt(4 * np.log(2)) - spinglass.layer_threshold(0, 3)) > 5e-3
    with pytest.raises(ValueError, match="E_inf"):
        spinglass.i1(np.array([0.0]), 3)


def test_spin_glass_experiment_thresholds():
    out = products_mc.spin_glass({"perc_n": 60}, 0)
    assert out["i1_log_potential_err"] < 1e-6
    assert out["layers"][3][0] == pytest.approx(1.65700, abs=1e-5)
    # the minima-only threshold moves out from E_inf to E_inf |left edge| / 2 of the sandwich law
    assert out["sandwich_threshold"] > out["e_inf"][3]
    assert set(out["index"]["alpha"]) >= {"semicircle", "sandwich c=2"}
