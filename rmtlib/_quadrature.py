"""Quadrature tables for densities on an interval with arbitrary algebraic edges (private).

A density p on [a, b] may vanish like a square root or blow up like
(t - a)^-beta at an edge (hard edges of free products). The double-exponential
map t(v) = a + (b - a) expit(pi sinh v), v in [-V, V], turns
p(t(v)) t'(v) into a smooth function that decays doubly exponentially at both
ends, whatever the edge exponents; a Chebyshev series of it on the first-kind
nodes (obtained by a DCT) gives the mass, the cumulative integral at any x and
weighted integrals (moments) to near machine precision.
"""

import numpy as np
from numpy.polynomial import chebyshev as cheb
from scipy import fft, special

V_MAX = 4.0
N_NODES = 512
MAX_NODES = 4096
MASS_TOL = 1e-10


def _fejer_weights(n):
    """Weights w_j with sum_j w_j f(u_j) = integral of f over [-1, 1] (first-kind Chebyshev nodes)."""
    k = np.arange(n)
    moments = np.where(k % 2 == 0, 2.0 / (1.0 - k.astype(float) ** 2 + (k % 2 == 1)), 0.0)
    # integral of T_k is 2/(1-k^2) for even k, 0 for odd k; coefficients c = DCT(f)/n, c_0 / 2
    u = np.cos((k + 0.5) * np.pi / n)
    vander = cheb.chebvander(u, n - 1)
    return np.linalg.solve(vander.T, moments)


_WEIGHTS = {}


def weights(n=N_NODES):
    """Cached Fejér weights on `n` first-kind Chebyshev nodes."""
    if n not in _WEIGHTS:
        _WEIGHTS[n] = _fejer_weights(n)
    return _WEIGHTS[n]


class IntervalTable:
    """Chebyshev representation of a density on [a, b] in the double-exponential variable.

    Parameters
    ----------
    a, b : float
        Edges of the interval (a < b).
    density : callable
        Vectorized density of the absolutely continuous part on [a, b].
    n : int
        Number of nodes.
    """

    def __init__(self, a, b, density, n=N_NODES):
        self.a, self.b, self.n = float(a), float(b), int(n)
        k = np.arange(self.n)
        self.u = np.cos((k + 0.5) * np.pi / self.n)
        v = V_MAX * self.u
        inner = 0.5 * np.pi * np.sinh(v)
        width = self.b - self.a
        # t = a + width * expit(2 inner), computed from the nearer edge to keep relative precision
        self.t = np.where(
            inner < 0.0, self.a + width * special.expit(2.0 * inner), self.b - width * special.expit(-2.0 * inner)
        )
        dt_dv = width * 0.25 * np.pi * np.cosh(v) / np.cosh(inner) ** 2
        values = np.asarray(density(self.t), dtype=float)
        values = np.where(np.isfinite(values), values, 0.0)
        self.f = values * dt_dv * V_MAX  # integrand in u, on [-1, 1]
        coeffs = fft.dct(self.f, type=2) / self.n
        coeffs[0] /= 2.0
        self._antideriv = cheb.chebint(coeffs, lbnd=-1.0)
        self.mass = float(cheb.chebval(1.0, self._antideriv))

    def to_u(self, x):
        """Map points of [a, b] to the Chebyshev variable u in [-1, 1]."""
        x = np.asarray(x, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            logit = np.log(x - self.a) - np.log(self.b - x)
        logit = np.nan_to_num(logit, nan=0.0, posinf=1e300, neginf=-1e300)
        v = np.arcsinh(np.clip(logit / np.pi, -1e300, 1e300))
        return np.clip(v / V_MAX, -1.0, 1.0)

    def cumulative(self, x):
        """Integral of the density from a to x (0 below a, the mass above b)."""
        x = np.asarray(x, dtype=float)
        inside = cheb.chebval(self.to_u(x), self._antideriv)
        out = np.where(x <= self.a, 0.0, np.where(x >= self.b, self.mass, inside))
        return np.clip(out, 0.0, self.mass)

    def integrate(self, g):
        """Integral of g(t) p(t) dt over [a, b] for a vectorized g."""
        return float(np.dot(weights(self.n), np.asarray(g(self.t)) * self.f))

    def discretize(self):
        """Return (nodes, masses): a quadrature discretization of the density on [a, b]."""
        return self.t.copy(), weights(self.n) * self.f


def adaptive_table(a, b, density, tol=MASS_TOL):
    """An `IntervalTable` whose node count doubles (512 ... 4096) until the mass changes by < tol."""
    table = IntervalTable(a, b, density, N_NODES)
    n = N_NODES
    while n < MAX_NODES:
        n *= 2
        finer = IntervalTable(a, b, density, n)
        converged = abs(finer.mass - table.mass) < tol
        table = finer
        if converged:
            break
    return table
