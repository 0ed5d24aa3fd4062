"""Engine answers checked against independent references (closed forms, complex-step derivatives)."""

from __future__ import annotations

import numpy as np
import pytest

from rmtlib import entries, free, spectra
from rmtlib.compendium.cli import main
from rmtlib.laws import Empirical, MarchenkoPastur, PointMasses, Semicircle, Uniform
from rmtlib.models import deformed
from rmtlib.models.products import chain_moments, sample_goe


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


def test_a_free_product_of_projections_keeps_mass_one():
    """Atoms away from 0 use their own masses (Belinschi's rule), not renormalised ones."""
    law = free.multiply(PointMasses([0, 1], [0.6, 0.4]), PointMasses([0, 1], [0.8, 0.2]))
    assert law.atoms == ((0.0, pytest.approx(0.8)),)
    assert law.cdf(1.0) == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize("make, expected", [
    (lambda: free.add(Empirical([1.0]), Empirical([2.0])), 3.0),
    (lambda: free.multiply(Empirical([1.5]), Empirical([2.0])), 3.0),
])
def test_sums_and_products_of_point_masses_are_exact(make, expected):
    law = make()
    assert law.atoms == ((expected, 1.0),) and law.support == []


@pytest.mark.parametrize("law", [Semicircle(), MarchenkoPastur(2.0), Uniform(0.0, 1.0), PointMasses([0.0, 1.0]),
                                 free.add(Semicircle(), PointMasses([-1.0, 1.0]))])
def test_nan_in_gives_nan_out(law):
    assert np.isnan(law.density(np.nan)) and np.isnan(law.cdf(np.nan))
    assert np.isnan(law.stieltjes(complex(np.nan, 1.0)))
    assert np.isfinite(law.density([np.nan, 0.5])[1])


@pytest.mark.parametrize("call, error, name", [
    (lambda: Empirical([1 + 1j, 2.0]), ValueError, "eigenvalues"),
    (lambda: PointMasses(["a"]), TypeError, "locations"),
    (lambda: Semicircle().moment(2000), ValueError, "k = 2000"),
    (lambda: spectra.ks_distance(np.ones(3), "notalaw"), TypeError, "law"),
    (lambda: entries.sample("gaussian", 2.5, rng=0), TypeError, "shape"),
    (lambda: sample_goe(4, variance=-1.0, rng=0), ValueError, "variance"),
    (lambda: sample_goe(4, rng=-1), ValueError, "rng"),
    (lambda: Semicircle().atom_mass(tol=-1.0), ValueError, "tol"),
    (lambda: chain_moments([1.0], -1), ValueError, "kmax"),
])
def test_bad_input_names_the_parameter(call, error, name):
    with pytest.raises(error, match=name):
        call()


def test_runs_dir_that_is_a_file_is_a_usage_error(tmp_path, capsys):
    target = tmp_path / "afile"
    target.write_text("")
    assert main(["run", "toolkit", "--runs-dir", str(target)]) == 2
    assert "--runs-dir" in capsys.readouterr().err
