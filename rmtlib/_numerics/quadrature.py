"""Adaptive quadrature tables for a density on an interval (private).

A density p on [a, b] may vanish like a square root at an edge, blow up like
(t - a)^-1/2 (arcsine laws, free products of projections) or (t - a)^-beta (hard
edges at 0 of free products) and have sharp interior features (cusps, necks between
nearly separated bulk components). The table splits [a, b] into an end panel at each
edge and a middle part. In the end panels the variable is t = a + h s^2 (s in [0, 1]),
which turns (t - a)^(+-1/2) into a polynomial in s, so square-root and inverse
square-root edges cost a few panels and the density is never needed closer to the
edge than the nodes; an end panel at an edge at 0 is further graded geometrically
in s (down to t = 1e-40 of the width) for the other powers. Every panel is bisected
while the Chebyshev coefficients of its integrand have not decayed. On each panel the
integrand is interpolated at 16 first-kind Chebyshev nodes; the interpolant's
antiderivative gives the CDF at any x, its Fejér weights the integrals of g(t) p(t)
(moments), and the nodes with their weights a discrete approximation of the measure.

A table that does not converge within `MAX_PANELS` panels raises `QuadratureError`:
an answer that would silently miss the accuracy contract is refused.
"""

import numpy as np
from numpy.polynomial import chebyshev as cheb
from scipy import fft

NODES = 16
GRADING = 0.15
MAX_PANELS = 4000
REL_TOL = 1e-12
_LEFT, _MIDDLE, _RIGHT = 0, 1, 2


class QuadratureError(ArithmeticError):
    """A quadrature table did not reach its accuracy within its panel budget."""


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


def _end_breaks(at_zero, h, width):
    """Panel edges in s of an end panel; graded towards s = 0 (t = 1e-40 width) at an edge at 0."""
    breaks = [0.0, 0.5, 1.0]
    if at_zero:
        floor = np.sqrt(1e-40 * width / h)
        s = 0.5 * GRADING
        while s > floor:
            breaks.append(s)
            s *= GRADING
    return np.unique(breaks)


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

    Raises
    ------
    QuadratureError
        When the panels do not converge within `MAX_PANELS`.
    """

    def __init__(self, a, b, density, rel_tol=REL_TOL):
        self.a, self.b = float(a), float(b)
        width = self.b - self.a
        self.h = width / 8.0  # length of each end panel, in t
        ends = [_end_breaks(self.a == 0.0, self.h, width), _end_breaks(self.b == 0.0, self.h, width)]
        middle = np.linspace(self.a + self.h, self.b - self.h, 7)
        kinds = np.concatenate([np.full(ends[0].size - 1, _LEFT), np.full(6, _MIDDLE),
                                np.full(ends[1].size - 1, _RIGHT)])
        lefts = np.concatenate([ends[0][:-1], middle[:-1], ends[1][:-1]])
        rights = np.concatenate([ends[0][1:], middle[1:], ends[1][1:]])
        tiny_t = 1e-15 * max(abs(self.a), abs(self.b), width)
        # the density is known to rounding of x relative to the interval's width at best (narrow
        # components far from 0), and to 1e-11 of its size elsewhere
        rel_noise = max(1e-11, 100.0 * np.finfo(float).eps * max(abs(self.a), abs(self.b)) / width)
        done = []
        scale = None
        while lefts.size:
            mids, halves = 0.5 * (lefts + rights), 0.5 * (rights - lefts)
            u = mids[:, None] + halves[:, None] * _U[None, :]
            t, jac = self._map(kinds[:, None], u)
            f = np.asarray(density(t.ravel()), dtype=float).reshape(t.shape)
            f = np.where(np.isfinite(f), np.maximum(f, 0.0), 0.0) * jac * halves[:, None]
            coeffs = fft.dct(f, type=2, axis=1) / NODES
            if scale is None:
                scale = max((f @ _W).sum(), 1e-300)
            tail = np.abs(coeffs[:, -3:]).sum(axis=1)
            noise = rel_noise * np.max(np.abs(f), axis=1)  # the density's own rounding noise
            t_l, _ = self._map(kinds, lefts)
            t_r, _ = self._map(kinds, rights)
            ok = (tail <= rel_tol * scale) | (tail <= noise) | (np.abs(t_r - t_l) <= tiny_t)
            done.append((kinds[ok], lefts[ok], rights[ok], f[ok]))
            if sum(d[0].size for d in done) + 2 * np.count_nonzero(~ok) > MAX_PANELS:
                raise QuadratureError(f"the quadrature table of the density on [{self.a:.17g}, {self.b:.17g}] did "
                                      f"not converge in {MAX_PANELS} panels (a singular or unresolved density)")
            split = ~ok
            kinds = np.concatenate([kinds[split], kinds[split]])
            lefts, rights = np.concatenate([lefts[split], mids[split]]), np.concatenate([mids[split], rights[split]])
        kinds, lefts, rights, f = (np.concatenate([d[i] for d in done]) for i in range(4))
        self.n = f.shape[0]
        # mass order along t: left end panel (s up), middle (t up), right end panel (s down)
        order = np.lexsort((np.where(kinds == _RIGHT, -lefts, lefts), kinds))
        self.kinds, self.lefts, self.rights, self.f = kinds[order], lefts[order], rights[order], f[order]
        coeffs = fft.dct(self.f, type=2, axis=1) / NODES
        coeffs[:, 0] /= 2.0
        self._antideriv = np.array([cheb.chebint(c, lbnd=-1.0) for c in coeffs])
        panel_mass = self.f @ _W
        self._before = np.concatenate([[0.0], np.cumsum(panel_mass)])
        self.mass = float(self._before[-1])
        halves = 0.5 * (self.rights - self.lefts)
        u = (0.5 * (self.lefts + self.rights))[:, None] + halves[:, None] * _U[None, :]
        self.t, _ = self._map(self.kinds[:, None], u)

    def _map(self, kind, u):
        """t(u) and dt/du (its absolute value) for panels of the given kinds."""
        u = np.asarray(u, dtype=float)
        t = np.where(kind == _LEFT, self.a + self.h * u * u, np.where(kind == _RIGHT, self.b - self.h * u * u, u))
        jac = np.where(kind == _MIDDLE, 1.0, 2.0 * self.h * u)
        return t, jac

    def cumulative(self, x):
        """Integral of the density from a to x (0 below a, the mass above b)."""
        x = np.asarray(x, dtype=float)
        flat = np.clip(np.ravel(x), self.a, self.b)
        kind = np.where(flat < self.a + self.h, _LEFT, np.where(flat > self.b - self.h, _RIGHT, _MIDDLE))
        u = np.where(kind == _LEFT, np.sqrt(np.maximum(flat - self.a, 0.0) / self.h),
                     np.where(kind == _RIGHT, np.sqrt(np.maximum(self.b - flat, 0.0) / self.h), flat))
        out = np.empty_like(flat)
        for k in (_LEFT, _MIDDLE, _RIGHT):
            sel = kind == k
            if not sel.any():
                continue
            idx = np.flatnonzero(self.kinds == k)
            lefts = self.lefts[idx] if k != _RIGHT else self.lefts[idx][::-1]
            j = np.clip(np.searchsorted(lefts, u[sel], side="right") - 1, 0, idx.size - 1)
            p = idx[j] if k != _RIGHT else idx[::-1][j]
            span = np.where(self.rights[p] > self.lefts[p], self.rights[p] - self.lefts[p], 1.0)
            v = np.clip((2.0 * u[sel] - self.lefts[p] - self.rights[p]) / span, -1.0, 1.0)
            part = np.sum(cheb.chebvander(v, NODES) * self._antideriv[p], axis=1)
            panel = self._before[p + 1] - self._before[p]
            out[sel] = self._before[p] + (panel - part if k == _RIGHT else part)
        return np.clip(out, 0.0, self.mass).reshape(x.shape)

    def integrate(self, g):
        """Integral of g(t) p(t) dt over [a, b] for a vectorized g."""
        return float(np.sum((np.asarray(g(self.t)) * self.f) @ _W))

    def discretize(self):
        """Return (nodes, masses): a quadrature discretization of the density on [a, b], sorted by node."""
        t, w = self.t.ravel(), (self.f * _W[None, :]).ravel()
        order = np.argsort(t, kind="stable")
        return t[order], w[order]


def adaptive_table(a, b, density):
    """Build the `IntervalTable` of `density` on [a, b]."""
    return IntervalTable(a, b, density)
