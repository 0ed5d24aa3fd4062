"""Adaptive quadrature tables for a density on an interval (private).

A density p on [a, b] may vanish like a square root at an edge, blow up like
(t - a)^-beta at a hard edge (free products at 0), and have sharp interior
features (necks between nearly separated bulk components). The table covers
[a, b] with panels: geometrically graded towards both edges (down to 1e-40 of
the width at an edge at 0, to the floating-point resolution elsewhere) and
bisected wherever the Chebyshev coefficients of p on a panel have not decayed.
On each panel p is interpolated at 16 first-kind Chebyshev nodes; the
interpolant's antiderivative gives the CDF at any x, its Fejér weights the
integrals of g(t) p(t) (moments), and the nodes with their weights a discrete
approximation of the measure.
"""

import numpy as np
from numpy.polynomial import chebyshev as cheb
from scipy import fft

NODES = 16
GRADING = 0.15
MAX_PANELS = 1500
REL_TOL = 1e-12


def _fejer_weights(n):
    """Weights w_j with sum_j w_j f(u_j) = integral of f over [-1, 1] on first-kind Chebyshev nodes."""
    k = np.arange(n)
    integrals = np.zeros(n)
    even = k % 2 == 0
    integrals[even] = 2.0 / (1.0 - k[even].astype(float) ** 2)
    u = np.cos((k + 0.5) * np.pi / n)
    return np.linalg.solve(cheb.chebvander(u, n - 1).T, integrals)


_U = np.cos((np.arange(NODES) + 0.5) * np.pi / NODES)
_W = _fejer_weights(NODES)


def _initial_breaks(a, b):
    """Panel edges: 8 uniform panels, each end panel graded geometrically towards its edge."""
    width = b - a
    uniform = np.linspace(a, b, 9)
    grades = []
    for edge, sign in ((a, 1.0), (b, -1.0)):
        floor = 1e-40 * width if edge == 0.0 else 1e-10 * width
        h = width / 8.0 * GRADING
        while h > floor:
            grades.append(edge + sign * h)
            h *= GRADING
    return np.unique(np.concatenate([uniform, grades]))


class IntervalTable:
    """Piecewise Chebyshev representation of a density on [a, b].

    Parameters
    ----------
    a, b : float
        Edges of the interval (a < b).
    density : callable
        Vectorized density of the absolutely continuous part.
    rel_tol : float
        Target accuracy of each panel's integral, relative to the interval's mass.
    """

    def __init__(self, a, b, density, rel_tol=REL_TOL):
        self.a, self.b = float(a), float(b)
        breaks = _initial_breaks(self.a, self.b)
        lefts, rights = breaks[:-1], breaks[1:]
        done_l, done_r, done_f = [], [], []
        scale = None
        while lefts.size:
            mids, halves = 0.5 * (lefts + rights), 0.5 * (rights - lefts)
            t = mids[:, None] + halves[:, None] * _U[None, :]
            f = np.asarray(density(t.ravel()), dtype=float).reshape(t.shape)
            f = np.where(np.isfinite(f), np.maximum(f, 0.0), 0.0) * halves[:, None]  # integrand in u
            coeffs = fft.dct(f, type=2, axis=1) / NODES
            panel_mass = f @ _W
            if scale is None:
                scale = max(panel_mass.sum(), 1e-300)
            tail = np.abs(coeffs[:, -3:]).sum(axis=1)
            noise = 1e-11 * np.max(np.abs(f), axis=1)  # the density's own rounding noise
            tiny = halves <= 1e-15 * max(abs(self.a), abs(self.b), self.b - self.a)
            ok = (tail <= rel_tol * scale) | (tail <= noise) | tiny
            if len(done_l) + lefts.size >= MAX_PANELS:
                ok[:] = True
            done_l.append(lefts[ok])
            done_r.append(rights[ok])
            done_f.append(f[ok])
            split = ~ok
            lefts = np.concatenate([lefts[split], mids[split]])
            rights = np.concatenate([mids[split], rights[split]])
        order = np.argsort(np.concatenate(done_l))
        self.lefts = np.concatenate(done_l)[order]
        self.rights = np.concatenate(done_r)[order]
        self.f = np.concatenate(done_f)[order]
        self.n = self.f.size
        coeffs = fft.dct(self.f, type=2, axis=1) / NODES
        coeffs[:, 0] /= 2.0
        self._antideriv = np.array([cheb.chebint(c, lbnd=-1.0) for c in coeffs])
        panel_mass = self.f @ _W
        self._before = np.concatenate([[0.0], np.cumsum(panel_mass)])
        self.mass = float(self._before[-1])
        halves = 0.5 * (self.rights - self.lefts)
        self.t = (0.5 * (self.lefts + self.rights))[:, None] + halves[:, None] * _U[None, :]

    def cumulative(self, x):
        """Integral of the density from a to x (0 below a, the mass above b)."""
        x = np.asarray(x, dtype=float)
        flat = np.clip(np.ravel(x), self.a, self.b)
        k = np.clip(np.searchsorted(self.lefts, flat, side="right") - 1, 0, self.lefts.size - 1)
        u = np.clip((2.0 * flat - self.lefts[k] - self.rights[k]) / (self.rights[k] - self.lefts[k]), -1.0, 1.0)
        inside = np.sum(cheb.chebvander(u, NODES) * self._antideriv[k], axis=1)
        out = self._before[k] + inside
        return np.clip(out, 0.0, self.mass).reshape(x.shape)

    def integrate(self, g):
        """Integral of g(t) p(t) dt over [a, b] for a vectorized g."""
        return float(np.sum((np.asarray(g(self.t)) * self.f) @ _W))

    def discretize(self):
        """Return (nodes, masses): a quadrature discretization of the density on [a, b]."""
        return self.t.ravel().copy(), (self.f * _W[None, :]).ravel()


def adaptive_table(a, b, density):
    """Build the `IntervalTable` of `density` on [a, b]."""
    return IntervalTable(a, b, density)
