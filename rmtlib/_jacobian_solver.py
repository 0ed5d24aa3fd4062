"""Numerical core of `rmtlib.jacobian`: the limiting law of J J^T by one fixed-point solve per point (private).

The law of M_L = J_L J_L^T is the free multiplicative convolution of the layers'
Marchenko-Pastur laws with the laws of phi'(h_l)^2 (Pennington, Schoenholz & Ganguli
2018). Its transform psi(z) = z G(z) - 1 solves the log-form system derived in
shared/papers/pastur_slavin.md (section 3, DERIVED), solved here by Newton's method in
numba with continuation from z = infinity; `JacobianLaw` wraps it as a `SpectralLaw`.
"""

import numba
import numpy as np
from scipy import optimize

from .laws import SpectralLaw


@numba.njit(cache=True)
def _newton(z, psi, y, T, Wt, counts, c, s2L, maxit):
    """Solve the log-form system at one z from the start (psi, y); y is updated in place."""
    L = y.size
    dpsi = np.empty(L, dtype=np.complex128)
    F = np.empty(L, dtype=np.complex128)
    prev = np.inf
    for _ in range(maxit):
        ratio = z / s2L / (c[0] + psi)
        for l in range(L):
            ratio *= c[l] * y[l]
            if l < L - 1:
                ratio /= psi
        F0 = np.log(ratio)
        B = -((L - 1) / psi + 1.0 / (c[0] + psi))
        R = -F0
        for l in range(L):
            s = 0j
            d = 0j
            for k in range(counts[l]):
                u = 1.0 - y[l] * T[l, k]
                s += Wt[l, k] * T[l, k] / u
                d += Wt[l, k] * T[l, k] / (u * u)
            F[l] = y[l] * s - psi / c[l + 1]
            dpsi[l] = d
            B += 1.0 / (c[l + 1] * d * y[l])
            R += F[l] / (d * y[l])
        tiny = abs(F0) <= 1e-14
        for l in range(L):
            tiny = tiny and abs(F[l]) <= 1e-14 * abs(psi) / c[l + 1]
        step = R / B
        damp = 1.0
        if abs(step) > 0.3 * abs(psi):
            damp = 0.3 * abs(psi) / abs(step)
        small = abs(step) <= 1e-14 * abs(psi)
        for l in range(L):
            dy = (step / c[l + 1] - F[l]) / dpsi[l]
            if abs(dy) > 0.3 * abs(y[l]):
                damp = min(damp, 0.3 * abs(y[l]) / abs(dy))
            small = small and abs(dy) <= 1e-14 * abs(y[l])
        for l in range(L):
            y[l] += damp * (step / c[l + 1] - F[l]) / dpsi[l]
        psi += damp * step
        if damp == 1.0 and (small or tiny):
            return psi, True
        # stagnation at the rounding level (e.g. c_0 + psi -> 0 as z -> 0): accept
        if damp == 1.0 and abs(step) <= 1e-9 * abs(psi) and abs(step) >= 0.5 * prev:
            return psi, True
        prev = abs(step)
    return psi, False


@numba.njit(cache=True)
def _solve_one(zt, y, T, Wt, counts, c, s2L, m1, ex):
    """psi at one z (Im z >= 0) by continuation in Im z from 10 max(1, |Re z|); fills y."""
    L = counts.size
    x = zt.real
    eta = 10.0 * max(1.0, abs(x))
    stop = max(zt.imag, 1e-6 * abs(x))
    eta = max(zt.imag, eta)
    z = complex(x, eta)
    psi = m1 / z
    for l in range(L):
        y[l] = psi / (c[l + 1] * ex[l])
    while True:
        psi, good = _newton(z, psi, y, T, Wt, counts, c, s2L, 200)
        if eta <= stop:
            break
        eta = max(eta * 10.0 ** (-1.0 / 3.0), stop)
        z = complex(x, eta)
    if zt.imag < stop:
        psi, good = _newton(zt, psi, y, T, Wt, counts, c, s2L, 200)
    return psi, good


@numba.njit(cache=True)
def _solve_psi(zs, T, Wt, counts, c, s2L, m1, ex):
    """psi = z G(z) - 1 at every z (Im z >= 0), each by its own continuation from infinity."""
    out = np.empty(zs.size, dtype=np.complex128)
    ok = np.empty(zs.size, dtype=np.bool_)
    y = np.empty(counts.size, dtype=np.complex128)
    for i in range(zs.size):
        out[i], ok[i] = _solve_one(zs[i], y, T, Wt, counts, c, s2L, m1, ex)
    return out, ok


@numba.njit(cache=True)
def _solve_psi_march(xs, T, Wt, counts, c, s2L, m1, ex):
    """psi(x + i0) on sorted real xs, each point started from its neighbour's solution.

    A point falls back to the full continuation of `_solve_one` when Newton does not converge
    from the neighbour or lands in the wrong half-plane (Im psi > 0); the first point always does.
    """
    L = counts.size
    out = np.empty(xs.size, dtype=np.complex128)
    ok = np.empty(xs.size, dtype=np.bool_)
    y = np.empty(L, dtype=np.complex128)
    y_prev = np.empty(L, dtype=np.complex128)
    psi = 0j
    good = False
    for i in range(xs.size):
        z = complex(xs[i], 0.0)
        if good:
            for l in range(L):
                y_prev[l] = y[l]
            psi, good = _newton(z, psi, y, T, Wt, counts, c, s2L, 60)
            good = good and psi.imag <= 1e-14 * abs(psi)
            if not good:
                for l in range(L):
                    y[l] = y_prev[l]
        if not good:
            psi, good = _solve_one(z, y, T, Wt, counts, c, s2L, m1, ex)
        out[i] = psi
        ok[i] = good
    return out, ok

def _pad_nodes(node_list):
    """Stack per-layer (values, weights) into padded 2-D arrays for the numba kernel."""
    counts = np.array([v.size for v, _ in node_list], dtype=np.int64)
    T = np.zeros((len(node_list), counts.max()))
    Wt = np.zeros_like(T)
    for l, (v, w) in enumerate(node_list):
        T[l, : v.size] = v
        Wt[l, : w.size] = w
    return T, Wt, counts


class _Chain:
    """The data of the fixed-point equation: per-layer nodes, width ratios and sigma_w^(2L)."""

    def __init__(self, node_list, c, sigma_w):
        self.nodes = node_list
        self.c = np.asarray(c, dtype=float)
        self.L = len(node_list)
        self.s2L = sigma_w ** (2 * self.L)
        self.sigma_w = sigma_w
        self.T, self.Wt, self.counts = _pad_nodes(node_list)
        self.ex = np.array([np.dot(v, w) for v, w in node_list])
        self.ex2 = np.array([np.dot(v * v, w) for v, w in node_list])
        self.p = np.array([w.sum() for _, w in node_list])
        self.tmax = np.array([v.max() for v, _ in node_list])
        self.m1 = float(np.prod(sigma_w**2 * self.ex))

    def psi(self, z):
        z = np.atleast_1d(np.asarray(z, dtype=complex))
        flip = z.imag < 0
        zz = np.where(flip, np.conj(z), z)
        out, ok = _solve_psi(zz.ravel(), self.T, self.Wt, self.counts, self.c, self.s2L, self.m1, self.ex)
        out = np.where(flip.ravel(), np.conj(out), out)
        return out.reshape(z.shape), ok.reshape(z.shape)

    def psi_real(self, x):
        """psi(x + i0) on real x by marching over the sorted points (see `_solve_psi_march`)."""
        x = np.asarray(x, dtype=float)
        order = np.argsort(x, axis=None)
        flat = x.ravel()[order]
        res, ok = _solve_psi_march(flat, self.T, self.Wt, self.counts, self.c, self.s2L, self.m1, self.ex)
        out = np.empty(flat.size, dtype=complex)
        out[order] = res
        good = np.empty(flat.size, dtype=bool)
        good[order] = ok
        return out.reshape(x.shape), good.reshape(x.shape)

    def _y_real(self, l, psi):
        """Real solution y in (0, 1/max X_l) of psi_nu_l(y) = psi / c_l (psi > 0)."""
        v, w = self.nodes[l]
        target = psi / self.c[l + 1]
        top = (1.0 / self.tmax[l]) * (1.0 - 1e-15)

        def f(y):
            return float(np.dot(w, y * v / (1.0 - y * v))) - target

        return optimize.brentq(f, 0.0, top, xtol=1e-300, rtol=1e-15, maxiter=500)

    def _log_z_slope(self, psi):
        """d log z / d psi along the real branch (its zero is the upper edge)."""
        out = (self.L - 1) / psi + 1.0 / (self.c[0] + psi)
        for l, (v, w) in enumerate(self.nodes):
            y = self._y_real(l, psi)
            d = float(np.dot(w, v / (1.0 - y * v) ** 2))
            out -= 1.0 / (self.c[l + 1] * d * y)
        return out

    def z_real(self, psi):
        ys = [self._y_real(l, psi) for l in range(self.L)]
        prod = np.prod([self.c[l] * ys[l] for l in range(self.L)])
        return self.s2L * psi ** (self.L - 1) * (self.c[0] + psi) / prod

    def upper_edge(self):
        grid = np.geomspace(1e-8, 1e8, 97)
        vals = np.array([self._log_z_slope(s) for s in grid])
        k = int(np.argmax(vals > 0))
        if vals[k] <= 0 or k == 0:
            raise RuntimeError("upper edge not bracketed on the real branch")
        psi_c = optimize.brentq(self._log_z_slope, grid[k - 1], grid[k], xtol=1e-300, rtol=1e-15)
        return float(self.z_real(psi_c))


class JacobianLaw(SpectralLaw):
    """Limiting eigenvalue law of ``M_L = J_L J_L^T`` (a SpectralLaw; build it with ``rmtlib.jacobian.jacobian_law``).

    The Stieltjes transform comes from the log-form Newton solver with continuation from
    z = infinity (spec §2.3); densities on the real axis march from neighbour to neighbour and fall
    back to that continuation.  The atom at 0, the upper edge and the first two moments are exact
    (spec §2.4).  The CDF of the absolutely continuous part is integrated top-down from the upper
    edge (``F(x) = 1 - int_x^lambda_+ rho / (1 - atom)``, spec §7): in ``log x`` on
    ``[1e-16, 1e-1] lambda_+`` (the density is singular at 0, like ``x^(-L/(L+1))`` for tanh) and
    with ``x = lambda_+ - (lambda_+ - a)(1 - u)^2`` above (square-root edge); below
    ``1e-16 lambda_+`` a power law matching F and rho there.  With a gap ``[0, lambda_-)`` one
    segment ``x = lambda_- + (lambda_+ - lambda_-) sin^2(pi u / 2)`` is used.

    Attributes
    ----------
    q : numpy.ndarray
        Pre-activation variances ``q^1..q^L`` used for the per-layer laws.
    width_ratios : numpy.ndarray
        ``(c_0, ..., c_L)``, ``c_l = n_l / n_L``.
    upper_edge, lower_edge : float
        Edges of the absolutely continuous part (lower edge 0 when it reaches 0).
    mass_error : float
        |integrated density - (1 - atom)| over the tabulated range (the mass below the floor
        included), set when the CDF is first used.
    """

    _PANELS = 80
    _ORDER = 8
    _SPLIT = 1e-1
    _FLOOR = 1e-16

    def __init__(self, chain, q, depth):
        self._chain = chain
        self.q = np.asarray(q, dtype=float)
        self.depth = depth
        self.width_ratios = chain.c.copy()
        c = chain.c
        rank = min(c[0], float(np.min(c[1:] * chain.p)))
        self._atom0 = max(0.0, 1.0 - rank)
        if self._atom0 < 1e-13:
            self._atom0 = 0.0
        self.upper_edge = chain.upper_edge()
        self._grid = None
        self.lower_edge = self._find_lower_edge()
        self.mass_error = np.nan

    # -- hooks of SpectralLaw --------------------------------------------------------------
    def psi(self, z):
        """``psi(z) = z G(z) - 1`` (the moment-generating function at 1/z)."""
        return self._chain.psi(z)[0]

    def _stieltjes(self, z):
        z = np.asarray(z, dtype=complex)
        return (1.0 + self.psi(z)) / z

    def _density(self, x):
        x = np.asarray(x, dtype=float)
        out = np.zeros(x.shape)
        inside = (x > 0) & (x < self.upper_edge) & (x > self.lower_edge)
        if np.any(inside):
            xs = x[inside]
            out[inside] = np.maximum(-self._chain.psi_real(xs)[0].imag / (np.pi * xs), 0.0)
        return out

    def _atoms(self):
        return ((0.0, self._atom0),) if self._atom0 > 0 else ()

    def _support(self):
        return [(self.lower_edge, self.upper_edge)]

    def _moment(self, k):
        ch = self._chain
        if k == 0:
            return 1.0
        if k == 1:
            return ch.m1
        if k == 2:
            ratio = 1.0 / ch.c[0] + float(np.sum(ch.ex2 / (ch.c[1:] * ch.ex**2)))
            return ch.m1**2 * ratio
        x, w = self._nodes_dx()
        return float(np.dot(w, x**k))

    def _continuous_cumulative(self, x):
        return self.continuous_mass * self._continuous_cdf(x)

    @property
    def chi(self):
        """Per-layer order-chaos parameters ``sigma_w^2 E X_l``."""
        return self._chain.sigma_w**2 * self._chain.ex

    # -- CDF -----------------------------------------------------------------------------
    def _segments(self):
        """Integration segments: (kind, a, b); the CDF is integrated top-down from the upper edge."""
        a, b = self.lower_edge, self.upper_edge
        if a > 0:
            return [("both", a, b)]
        split = self._SPLIT * b
        return [("log", self._FLOOR * b, split), ("top", split, b)]

    @staticmethod
    def _seg_map(kind, a, b, u):
        """x(u), dx/du on u in [0, 1] removing the square-root edge(s) (``log``: u is log x)."""
        if kind == "both":
            s = np.sin(0.5 * np.pi * u)
            return a + (b - a) * s**2, (b - a) * np.pi * s * np.cos(0.5 * np.pi * u)
        if kind == "top":
            return b - (b - a) * (1.0 - u) ** 2, 2.0 * (b - a) * (1.0 - u)
        x = np.exp(np.log(a) + (np.log(b) - np.log(a)) * u)
        return x, x * (np.log(b) - np.log(a))

    @staticmethod
    def _seg_unmap(kind, a, b, x):
        if kind == "both":
            return np.arcsin(np.sqrt(np.clip((x - a) / (b - a), 0.0, 1.0))) * 2.0 / np.pi
        if kind == "top":
            return 1.0 - np.sqrt(np.clip((b - x) / (b - a), 0.0, 1.0))
        return np.clip((np.log(np.maximum(x, a)) - np.log(a)) / (np.log(b) - np.log(a)), 0.0, 1.0)

    def _nodes_dx(self):
        """Quadrature nodes x_k and weights rho(x_k) dx_k of the absolutely continuous part."""
        self._build_grid()
        return self._grid["x"], self._grid["w"]

    def _build_grid(self):
        """Tabulate the tail mass T(x) = int_x^lambda_+ rho, segment by segment from the top.

        On each panel the integrand (in the segment's variable u) is the degree-7 Legendre
        interpolant through its 8 Gauss nodes, integrated exactly, so T is accurate inside panels.
        """
        if self._grid is not None:
            return
        gx, gw = np.polynomial.legendre.leggauss(self._ORDER)
        vander = np.polynomial.legendre.legvander(gx, self._ORDER - 1)
        to_coef = (vander * gw[:, None]).T * ((2 * np.arange(self._ORDER) + 1) / 2.0)[:, None]
        xs, ws, pieces = [], [], []
        above = 0.0
        for kind, a, b in reversed(self._segments()):
            edges = np.linspace(0.0, 1.0, self._PANELS + 1)
            half = 0.5 * np.diff(edges)
            u = (0.5 * (edges[1:] + edges[:-1]))[:, None] + half[:, None] * gx[None, :]
            x, dx = self._seg_map(kind, a, b, u)
            f = self.density(x) * dx                                   # integrand at the nodes
            coef = np.polynomial.legendre.legint(to_coef @ f.T, lbnd=-1.0, axis=0) * half[None, :]
            mass = (f * gw[None, :]).sum(axis=1) * half                 # mass of each panel
            start = np.concatenate([[0.0], np.cumsum(mass)])           # bottom-up within the segment
            total = start[-1]
            pieces.insert(0, (kind, a, b, edges, start, coef, above + total))
            xs.append(x.ravel())
            ws.append((f * gw[None, :] * half[:, None]).ravel())
            above += total
        self.mass_error = abs(above - self.continuous_mass)
        floor = (0.0, 1.0)
        if self.lower_edge == 0.0:
            xf = self._FLOOR * self.upper_edge
            F_f = max(0.0, 1.0 - above / self.continuous_mass)
            rho_f = float(self.density(np.array([xf]))[0]) / self.continuous_mass
            floor = (F_f, xf * rho_f / F_f if F_f > 0 else 1.0)
        self._grid = {"x": np.concatenate(xs), "w": np.concatenate(ws), "pieces": pieces, "floor": floor}

    def _continuous_cdf(self, x):
        """CDF of the absolutely continuous part renormalised to mass 1.

        Integrated top-down, ``F(x) = 1 - int_x^lambda_+ rho / (1 - atom)``, so that an error of the
        quadrature near the (singular) lower end cannot shift the CDF elsewhere (spec §7).
        """
        self._build_grid()
        x = np.asarray(x, dtype=float)
        tail = np.zeros(x.shape)
        for i, (kind, a, b, edges, start, coef, top) in enumerate(self._grid["pieces"]):
            sel = (x >= (a if i else -np.inf)) & (x < b)
            if not np.any(sel):
                continue
            u = self._seg_unmap(kind, a, b, x[sel])
            k = np.clip(np.searchsorted(edges, u, side="right") - 1, 0, edges.size - 2)
            t = (u - edges[k]) / (edges[k + 1] - edges[k]) * 2.0 - 1.0
            within = np.polynomial.legendre.legval(t, coef[:, k], tensor=False)
            tail[sel] = top - (start[k] + within)
        val = np.clip(1.0 - tail / self.continuous_mass, 0.0, 1.0)
        if self.lower_edge == 0.0:  # below the floor: power law matching F and rho there
            f = self._FLOOR * self.upper_edge
            F_f, beta = self._grid["floor"]
            val = np.where(x < f, F_f * (np.maximum(x, 0.0) / f) ** beta, val)
        return np.where(x <= self.lower_edge, 0.0, np.where(x >= self.upper_edge, 1.0, val))

    def _find_lower_edge(self):
        """0 when the density reaches 0; else the edge of the gap [0, lambda_-) (bisection)."""
        b = self.upper_edge
        probe = 1e-9 * b

        def in_gap(x):
            return abs(self.psi(np.array([complex(x)]))[0].imag) < 1e-13

        if not in_gap(probe):
            return 0.0
        lo, hi = probe, b
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            if in_gap(mid):
                lo = mid
            else:
                hi = mid
        return lo

    def __repr__(self):
        return (f"JacobianLaw(depth={self.depth}, q={np.round(self.q, 6).tolist()}, "
                f"width_ratios={self.width_ratios.tolist()}, atom={self._atom0:.6g}, "
                f"edges=({self.lower_edge:.6g}, {self.upper_edge:.6g}))")


# --------------------------------------------------------------------------------------------
# public constructors
# --------------------------------------------------------------------------------------------
