"""Tests of the one algebraic root tracker (rmtlib._numerics.algebraic) on its three laws.

The Newton fast path and the guarded path are compared with the companion-matrix reference
(all roots by numpy.roots at every rung) on the Wishart-chain polynomial, the sandwich quartic and
the Pennington-Worah quartic (with its quadratic and cubic reductions), at many points including
points next to the edges; then the branch at infinity and the Herglotz sign.
"""

import numpy as np
import pytest

from rmtlib._numerics import algebraic as alg
from rmtlib.models import pennington_worah as pw, products

CHAINS = [(2.0, 0.5), (0.5, 1.5), (1.0, 1.0), (0.3, 1.7, 2.5), (1.1, 0.1, 3.0, 0.7)]
SANDWICHES = [(0.5, 1.0), (2.0, 1.0), (1.0, 2.5)]
PW = [(0.39429449039784, 0.36687916436241, 0.5, 1.0),   # tanh: quartic
      (0.34084505690810, 0.25, 1.0, 0.5),               # centred ReLU: quartic with an atom
      (1.0 - 2.0 / np.pi, 0.0, 0.5, 1.0),               # zeta = 0: quadratic
      (1.0, 1.0, 0.5, 0.5)]                             # linear f: cubic


def _near_edges(edges, n=25):
    """Points inside the support, on both sides of every edge (1e-6 relative) and outside it."""
    pts = [np.linspace(lo, hi, n)[1:-1] for lo, hi in edges]
    for lo, hi in edges:
        for e in (lo, hi):
            if e != 0.0:
                pts.append(e * (1.0 + np.array([-1e-6, 1e-6, -1e-3, 1e-3])))
    pts.append([1.5 * max(hi for _, hi in edges), -0.5])
    x = np.concatenate(pts)
    return x[x != 0.0]  # z = 0 is a singular point of every G = f(t)/z


def _branches():
    out = []
    for r in CHAINS:
        out.append((f"chain{r}", products.chain_branch(r), [products.chain_edges(r)]))
    for c, v in SANDWICHES:
        edges = products.sandwich_law(c, variance=v).support
        out.append((f"sandwich({c},{v})", products.sandwich_branch(c, v), edges))
    for eta, zeta, phi, psi in PW:
        law = pw.PenningtonWorahLaw(eta=eta, zeta=zeta, phi=phi, psi=psi)
        edges = [(max(lo, 0.02), hi) for lo, hi in law.support]  # the roots of Q cluster at z = 0
        out.append((f"pw{(eta, zeta, phi, psi)}", pw.quartic_branch(eta, zeta, phi, psi), edges))
    return out


BRANCHES = _branches()
IDS = [name for name, _, _ in BRANCHES]


@pytest.mark.parametrize("name, branch, edges", BRANCHES, ids=IDS)
def test_newton_matches_companion_reference(name, branch, edges):
    x = _near_edges(edges)
    z = np.concatenate([x, x + 0.2j, x + 1e-3j])
    fast = alg.follow(branch, z)
    ref = alg.follow(branch, z, method="eig", steps=120)
    np.testing.assert_allclose(fast, ref, rtol=1e-8, atol=1e-10)
    scale = np.max(np.abs(branch.coefficients(z)), axis=-1)
    assert np.max(np.abs(branch.residual(fast, z)) / scale) < 1e-10


@pytest.mark.parametrize("name, branch, edges", BRANCHES, ids=IDS)
def test_guarded_path_matches_reference(name, branch, edges):
    x = _near_edges(edges, n=12)
    z = np.concatenate([x + 1e-9j, x + 0.05j])
    t, ratio = alg.follow(branch, z, method="guarded", y0=1e3)
    np.testing.assert_allclose(t, alg.follow(branch, z, method="eig", steps=120), rtol=1e-7, atol=1e-9)
    assert np.all(ratio > 1.0)
    lower, _ = alg.follow(branch, z.conj(), method="guarded", y0=1e3)
    np.testing.assert_array_equal(lower, t.conj())


def _stieltjes(name, branch, z):
    """G(z) from the tracked root t for each law's change of variable."""
    t = alg.follow(branch, z)
    if name.startswith("chain"):
        return t / z
    if name.startswith("sandwich"):
        return (1.0 + t * t) / z
    return (1.0 + branch.lam * t) / z  # pw: lam = psi


@pytest.mark.parametrize("name, branch, edges", BRANCHES, ids=IDS)
def test_branch_at_infinity(name, branch, edges):
    z = np.array([1e3 + 1e3j, -2e4 + 5.0j, 3e5j, 1e4 + 1e-3j])
    t = alg.follow(branch, z)
    lead = branch.at_infinity(z)
    assert np.all(np.abs(t - lead) < 1e-2 * np.abs(lead - branch.alpha) + 1e-12)
    assert np.all(np.abs(z * _stieltjes(name, branch, z) - 1.0) < 50.0 / np.abs(z))


@pytest.mark.parametrize("name, branch, edges", BRANCHES, ids=IDS)
def test_herglotz_sign(name, branch, edges):
    rng = np.random.default_rng(1)
    hi = max(h for _, h in edges)
    z = rng.uniform(-0.5 * hi, 1.5 * hi, 300) + 1j * 10 ** rng.uniform(-6, 1, 300)
    assert np.all(_stieltjes(name, branch, z).imag < 0)
    x = _near_edges(edges)
    assert np.all(_stieltjes(name, branch, x + 0j).imag <= 1e-9)


def test_per_point_rule_differs_where_continuation_does_not():
    """The chain (0.3, 1.7, 2.5): the per-point rule picks a spurious root; continuation agrees with eig."""
    ratios = (0.3, 1.7, 2.5)
    x = np.linspace(0.05, 1.2 * products.chain_edges(ratios)[1], 200)
    good = products.chain_stieltjes(x, ratios)
    np.testing.assert_allclose(good, products.chain_stieltjes(x, ratios, method="eig", steps=120), rtol=1e-8)
    assert np.max(np.abs(good - products.chain_stieltjes_per_point(x, ratios))) > 0.01


def test_edges_and_moments_of_marchenko_pastur():
    """One factor of ratio c: critical values (1 +- sqrt c)^2 and moments 1, 1 + c, 1 + 3c + c^2."""
    c = 0.3
    t, z = alg.critical_points(products.chain_polynomial([c]), [1.0, 0.0])
    np.testing.assert_allclose(np.sort(z), [(1 - np.sqrt(c)) ** 2, (1 + np.sqrt(c)) ** 2], rtol=1e-12)
    moments = alg.lagrange_moments(products.chain_polynomial([c]), 3)
    np.testing.assert_allclose(moments, [1, 1 + c, 1 + 3 * c + c * c])
    assert alg.vanishes_below(lambda w: products.chain_stieltjes(w, [c]), (1 - np.sqrt(c)) ** 2, 3.0)


def test_method_is_checked():
    with pytest.raises(ValueError, match="method"):
        alg.follow(products.chain_branch([1.0]), [1.0 + 1j], method="bisection")
