"""Closed-form laws: Stieltjes transforms against direct integration, CDFs, moments, validation."""

import mpmath
import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import integrate

from rmtlib import laws


def _stieltjes_by_quadrature(law, z):
    """G(z) by mpmath quadrature of the density plus the atoms (an independent route)."""
    total = sum(m / (z - a) for a, m in law.atoms)
    for a, b in law.support:
        f_re = lambda t: float(law.density(np.array([float(t)]))[0]) * (1 / (z - float(t))).real  # noqa: E731
        f_im = lambda t: float(law.density(np.array([float(t)]))[0]) * (1 / (z - float(t))).imag  # noqa: E731
        total += complex(mpmath.quad(f_re, [a, (a + b) / 2, b]), mpmath.quad(f_im, [a, (a + b) / 2, b]))
    return total


CLOSED_FORM = [
    laws.Semicircle(variance=1.0),
    laws.Semicircle(variance=0.3),
    laws.MarchenkoPastur(0.5),
    laws.MarchenkoPastur(2.0, variance=1.5),
    laws.Uniform(-1.0, 2.0),
]


@pytest.mark.parametrize("law", CLOSED_FORM, ids=repr)
def test_stieltjes_matches_integral_of_density(law):
    for z in (0.3 + 0.7j, -2.0 + 0.1j, 5.0 + 2.0j):
        assert abs(law.stieltjes(z) - _stieltjes_by_quadrature(law, z)) < 1e-8


@pytest.mark.parametrize("law", CLOSED_FORM, ids=repr)
def test_herglotz_and_asymptotics(law):
    z = np.array([0.1 + 1e-3j, 1.0 + 1j, -3.0 + 0.5j, 2.0 + 1e-8j])
    assert np.all(law.stieltjes(z).imag < 0)
    assert np.all(law.stieltjes(np.conj(z)).imag > 0)
    big = 1e8j
    assert abs(law.stieltjes(big) * big - 1) < 1e-7


@pytest.mark.parametrize("law", CLOSED_FORM, ids=repr)
def test_mass_cdf_and_moments(law):
    lo, hi = law.support[0]
    mass = integrate.quad(law.density, lo, hi, limit=200)[0]
    assert abs(mass + sum(m for _, m in law.atoms) - 1) < 1e-7
    assert law.cdf(hi + 1.0) == pytest.approx(1.0, abs=1e-12)
    assert law.cdf(lo - 1.0) == pytest.approx(sum(m for a, m in law.atoms if a < lo - 1.0), abs=1e-12)
    mid = 0.5 * (lo + hi)
    expected = integrate.quad(law.density, lo, mid, limit=200)[0] + sum(m for a, m in law.atoms if a <= mid)
    assert law.cdf(mid) == pytest.approx(expected, abs=1e-9)
    for k in range(1, 5):
        by_density = integrate.quad(lambda t: t**k * law.density(t), lo, hi, limit=200)[0]
        by_density += sum(m * a**k for a, m in law.atoms)
        assert law.moment(k) == pytest.approx(by_density, rel=1e-7, abs=1e-9)


def test_marchenko_pastur_atom_and_moments():
    mp = laws.MarchenkoPastur(4.0)
    assert mp.atoms == ((0.0, 0.75),)
    assert mp.continuous_mass == pytest.approx(0.25)
    # Narayana: m_2 = s^2 (1 + c), m_3 = s^3 (1 + 3c + c^2)
    assert mp.moment(2) == pytest.approx(5.0)
    assert mp.moment(3) == pytest.approx(1 + 12 + 16)
    assert laws.MarchenkoPastur(0.5).atoms == ()


def test_semicircle_catalan_moments_and_closed_cdf():
    s = laws.Semicircle(variance=2.0)
    assert [s.moment(k) for k in range(7)] == pytest.approx([1, 0, 2, 0, 8, 0, 40])
    x = np.linspace(-3, 3, 11)
    table = sum(t.cumulative(x) for t in s._tables)
    assert_allclose(s.cdf(x), table, atol=1e-12)


def test_point_masses_and_empirical():
    pm = laws.PointMasses([0.0, 1.0, 1.0], [1.0, 1.0, 2.0])
    assert pm.atoms == ((0.0, 0.25), (1.0, 0.75))
    assert pm.cdf(0.5) == pytest.approx(0.25)
    assert pm.mean == pytest.approx(0.75)
    emp = laws.Empirical([3.0, 1.0, 2.0, 2.0])
    assert emp.atoms == ((1.0, 0.25), (2.0, 0.5), (3.0, 0.25))
    assert emp.continuous_mass == 0.0
    with pytest.raises(ValueError, match="no absolutely continuous part"):
        emp.continuous_cdf(1.0)


def _relu_step(z):
    return (np.asarray(z) > 0).astype(float)


def test_pushforward_relu_has_exact_atoms():
    law = laws.GaussianPushforward(_relu_step, kinks=[0.0])
    assert law.atoms == ((0.0, 0.5), (1.0, 0.5))
    assert law.continuous_mass == 0.0


def test_pushforward_moments_and_cdf_against_mpmath():
    g = lambda z: np.tanh(z) ** 2  # noqa: E731
    law = laws.GaussianPushforward(g)
    gauss = lambda f: mpmath.quad(lambda z: f(z) * mpmath.npdf(z), [-mpmath.inf, 0, mpmath.inf])  # noqa: E731
    for k in (1, 2, 3):
        assert law.moment(k) == pytest.approx(float(gauss(lambda z: mpmath.tanh(z) ** (2 * k))), rel=1e-10)
    # P(tanh(Z)^2 <= t) = P(|Z| <= atanh(sqrt t))
    t = np.array([0.1, 0.5, 0.9])
    exact = 2 * np.array([float(mpmath.ncdf(mpmath.atanh(mpmath.sqrt(v)))) for v in t]) - 1
    assert_allclose(law.cdf(t), exact, atol=1e-10)
    # density against the derivative of the exact CDF
    h = 1e-5
    numeric = (2 * np.array([float(mpmath.ncdf(mpmath.atanh(mpmath.sqrt(v + h)))) - float(mpmath.ncdf(mpmath.atanh(mpmath.sqrt(v - h)))) for v in t])) / (2 * h)
    assert_allclose(law.density(t), numeric, rtol=1e-6)


def test_pushforward_with_a_constant_piece_and_a_continuous_piece():
    law = laws.GaussianPushforward(lambda z: np.maximum(z, 0.0) ** 2, kinks=[0.0])
    assert law.atoms == ((0.0, 0.5),)
    assert law.moment(1) == pytest.approx(0.5, rel=1e-12)  # E[Z^2; Z > 0]
    assert law.cdf(1.0) == pytest.approx(0.5 + float(mpmath.ncdf(1.0)) - 0.5, abs=1e-10)


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: laws.Semicircle(variance=-1.0), "variance"),
        (lambda: laws.Semicircle(variance=float("nan")), "variance"),
        (lambda: laws.MarchenkoPastur(0.0), "ratio"),
        (lambda: laws.Uniform(1.0, 1.0), "high must be > low"),
        (lambda: laws.PointMasses([]), "locations"),
        (lambda: laws.PointMasses([1.0], [-1.0]), "weights"),
        (lambda: laws.GaussianPushforward(3.0), "callable"),
        (lambda: laws.MarchenkoPastur(1.0).moment(-1), "k"),
        (lambda: laws.PointMasses([[0.0, 1.0], [2.0]]), "locations"),
        (lambda: laws.PointMasses(["0", "1"]), "locations"),
        (lambda: laws.PointMasses([0.0, 1.0], "ab"), "weights"),
        (lambda: laws.Empirical([]), "eigenvalues"),
        (lambda: laws.Empirical([1.0, 2.0 + 1e-3j]), "eigenvalues"),
        (lambda: laws.GaussianPushforward(np.tanh, z_max=4.0), "z_max"),  # tail mass 6e-5 > 1e-6
        (lambda: laws.GaussianPushforward(np.tanh, kinks="ab"), "kinks"),
    ],
)
def test_bad_parameters_are_refused_with_their_name(build, message):
    with pytest.raises((ValueError, TypeError), match=message):
        build()
