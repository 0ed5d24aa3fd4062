"""Numerical core of `rmtlib.models.jacobian`: the limiting law of J J^T by one fixed-point solve per point (private).

The law of M_L = J_L J_L^T is the free multiplicative convolution of the layers'
Marchenko-Pastur laws with the laws of phi'(h_l)^2 (Pennington, Schoenholz & Ganguli
2018). Its transform psi(z) = z G(z) - 1 solves the log-form system of book/derivations.md,
eq. (jac-psi-system), solved here by Newton's method in numba with continuation from
z = infinity; the upper edge is the zero of d log z / d psi on the real branch (eq. (jac-edge)).
`JacobianLaw` wraps it as a `SpectralLaw`.
"""

import numba
import numpy as np
from scipy import optimize


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
