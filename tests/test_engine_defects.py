"""Engine answers checked against independent references (closed forms, complex-step derivatives)."""

from __future__ import annotations

import numpy as np
import pytest

from rmtlib import free
from rmtlib.laws import MarchenkoPastur, PointMasses, Semicircle, Uniform
from rmtlib.models import deformed


@pytest.mark.parametrize("law", [Semicircle(variance=0.5), MarchenkoPastur(0.5), Uniform(-1.0, 2.0)])
@pytest.mark.parametrize("offset", [1e-6, 1e-3, 0.7])
def test_real_transforms_match_the_complex_step_derivative(law, offset):
    """g2 = -G'(u) off the support, near a square-root edge too (plain quad returned -0.98 for 839.9)."""
    low, high = law.support[0]
    for u in (high + offset, low - offset):
        g, g2 = deformed.real_transforms(law, [u])
        h = 1e-30
        assert g[0] == pytest.approx(law.stieltjes(u + 0j).real, rel=1e-8)
        assert g2[0] == pytest.approx(-law.stieltjes(u + 1j * h).imag / h, rel=1e-7)


@pytest.mark.parametrize("nu", [Semicircle(variance=0.5), MarchenkoPastur(0.5), Uniform(-1.0, 1.0),
                                PointMasses([-1.0, 1.0])])
def test_bulk_edges_agree_with_the_support_of_the_free_sum(nu):
    """Biane's edge equation against the support that free.add finds on its own."""
    edges = deformed.bulk_edges(nu, variance=1.0)
    support = free.add(Semicircle(variance=1.0), nu).support
    assert edges == pytest.approx((support[0][0], support[-1][1]), abs=1e-8)
