"""Engine answers checked against independent references (closed forms, complex-step derivatives)."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
from numpy.testing import assert_allclose

from rmtlib import entries, free, spectra
from rmtlib._numerics.quadrature import IntervalTable, QuadratureError
from rmtlib.compendium.cli import main
from rmtlib.laws import Empirical, MarchenkoPastur, PointMasses, Semicircle, Uniform
from rmtlib.models import deformed, layers
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


# ----------------------------------------------------------------- issue 13, defect 6 and Required 3


def test_narrow_components_are_found_whatever_is_asked_first():
    """Two bumps of width 3e-6 of the spread around 0 and 1 (the grid step is 5e-4): the scale-aware
    search finds both from the missing mass; before, the support was [] and cdf(0.5) was 1."""
    law = free.add(Semicircle(variance=1e-12), PointMasses([0.0, 1.0]))
    assert law.cdf(0.5) == pytest.approx(0.5, abs=1e-9)  # cdf first
    support = law.support
    assert len(support) == 2
    # each bump is a semicircle of variance 1e-12 / 2 to first order in the variance
    for (a, b), centre in zip(support, (0.0, 1.0)):
        assert (a - centre, b - centre) == pytest.approx((-np.sqrt(2e-12), np.sqrt(2e-12)), rel=1e-5)
    assert [t.mass for t in law._tables] == pytest.approx([0.5, 0.5], abs=1e-9)
    fresh = free.add(Semicircle(variance=1e-12), PointMasses([0.0, 1.0]))
    assert fresh.support == support  # support first: the same answer


def test_components_of_width_1e_12_of_the_spread_are_found():
    """Variance 1e-24: bumps of width 2.8e-12 (the spread is 1). The bump at 0 is exact to rounding;
    the one at 1 is resolved only to float64's spacing there (2.2e-16, 8e-5 of its width), so its mass
    is known to about that relative accuracy near its edges."""
    law = free.add(Semicircle(variance=1e-24), PointMasses([0.0, 1.0]))
    (a0, b0), (a1, b1) = law.support[:2]
    assert a0 < 0.0 < b0 < 1e-11 and a1 < 1.0 < b1 < 1.0 + 1e-11
    assert law._tables[0].mass == pytest.approx(0.5, abs=1e-9)
    assert law._tables[1].mass == pytest.approx(0.5, abs=1e-3)
    assert law.cdf(0.5) == pytest.approx(0.5, abs=1e-3)


def test_narrow_components_with_unequal_masses():
    law = free.add(Semicircle(variance=1e-12), PointMasses([0.0, 1.0, 3.0], [0.2, 0.5, 0.3]))
    assert len(law.support) == 3
    assert law.cdf([0.5, 2.0, 4.0]) == pytest.approx([0.2, 0.7, 1.0], abs=1e-9)


def test_arcsine_edges_keep_their_mass():
    """Bernoulli [+] Bernoulli is the arcsine law on [-2, 2]: inverse square-root edges (end panels
    in t = a + h s^2). Before: mass 1 - 1.8e-8, relative cdf error 8.8e-6 at -1.99999."""
    law = free.add(PointMasses([-1.0, 1.0]), PointMasses([-1.0, 1.0]))
    assert law.support == [(-2.0, 2.0)]
    assert sum(t.mass for t in law._tables) == pytest.approx(1.0, abs=1e-10)
    x = np.array([-1.99999, -1.9, -1.0, 0.3, 1.5, 1.99999])
    exact = 0.5 + np.arcsin(x / 2.0) / np.pi
    assert_allclose(law.cdf(x), exact, rtol=1e-9)


def test_a_table_that_does_not_converge_raises():
    """The quadrature never gives up silently: a density it cannot resolve is an error."""
    rng = np.random.default_rng(0)
    with pytest.raises(QuadratureError, match="did not converge"):
        IntervalTable(0.0, 1.0, lambda t: 1.0 + 1e-3 * rng.random(np.shape(t)))


def test_cusp_is_not_a_gap():
    """Semicircle [+] (delta_-1 + delta_1)/2 has a cusp at 0 (density ~ |x|^(1/3), G(0) = 0): one
    support interval, edges +-sqrt(27/4). Before: a spurious gap of +-2.2e-5, mass 1 - 2.5e-7."""
    law = free.add(Semicircle(), PointMasses([-1.0, 1.0]))
    assert law.support == [pytest.approx((-np.sqrt(6.75), np.sqrt(6.75)), abs=1e-12)]
    assert sum(t.mass for t in law._tables) == pytest.approx(1.0, abs=1e-8)
    assert law.cdf(0.0) == pytest.approx(0.5, abs=1e-8)


def _gap_edges_reference():
    """Edges of Semicircle(1) [+] nu, nu = 0.5 d_-2 + 0.25 d_-1 + 0.25 d_1, at 40 digits: x = w + G_nu(w)
    where G_nu'(w) = -1 (Biane), with w in (-1, 1)."""
    mpmath.mp.dps = 40
    locs, wts = (-2, -1, 1), (mpmath.mpf("0.5"), mpmath.mpf("0.25"), mpmath.mpf("0.25"))
    slope = lambda w: sum(p / (w - s) ** 2 for p, s in zip(wts, locs)) - 1  # noqa: E731
    edge = lambda w: w + sum(p / (w - s) for p, s in zip(wts, locs))  # noqa: E731
    roots = [mpmath.findroot(slope, w0) for w0 in (-0.9, 0.4)]
    return sorted(float(edge(w)) for w in roots)


def test_interior_gap_edges_to_1e_10():
    """Before: the right edge of the gap was 0.3721011639 (true 0.3721011530), density 0 on the sliver."""
    law = free.add(Semicircle(), PointMasses([-2.0, -1.0, 1.0], [0.5, 0.25, 0.25]))
    (_, gap_lo), (gap_hi, _) = law.support
    assert (gap_lo, gap_hi) == pytest.approx(_gap_edges_reference(), abs=1e-10)
    assert law.density(gap_hi + 1e-9) > 0.0


def test_product_of_two_marchenko_pastur_laws_with_atoms():
    """MP(1.02) [x] MP(1.02): equal atoms at 0, an inverse square-root density at the hard edge 0.
    Before: stalled for more than 10 minutes."""
    law = free.multiply(MarchenkoPastur(1.02), MarchenkoPastur(1.02))
    assert law.atoms == ((0.0, pytest.approx(1.0 - 1.0 / 1.02, abs=1e-15)),)
    tables = law._tables
    assert sum(t.mass for t in tables) + law.atoms[0][1] == pytest.approx(1.0, abs=1e-6)
    assert sum(t.integrate(lambda t: t) for t in tables) == pytest.approx(1.0, abs=1e-6)  # mean 1 * 1


def test_layer_law_of_a_linear_network_is_quick():
    """layer_laws('linear') is MP(2) [x] (discretized MP(2)) in the kernel frame: upper kernel edge
    (11 + 5 sqrt 5) / 2 (free product of two Marchenko-Pastur laws of ratio 2). Before: about 40 s."""
    law = layers.layer_laws("linear", phi=0.5, depth=1)[1]
    assert law.support == [(0.0, pytest.approx((11.0 + 5.0 * np.sqrt(5.0)) / 4.0, rel=1e-9))]
    assert law.atoms == ()
    assert sum(t.mass for t in law._tables) == pytest.approx(1.0, abs=1e-6)
