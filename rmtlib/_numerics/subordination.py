"""Numba kernels of the free convolutions (private).

Each factor law is passed to the kernels as a *kind* code with two real
parameters, or as a discrete measure (locations, weights) stored in flat arrays
with per-factor offsets:

===========  ===========================  =============================
kind         law                          parameters
===========  ===========================  =============================
DISCRETE     sum_j w_j delta_{t_j}        locs[offs[k]:offs[k+1]], wts
SEMICIRCLE   semicircle of variance s     (s, unused)
MARCHENKO    Marchenko-Pastur(c, s)       (c, s)
UNIFORM      uniform on [a, b]            (a, b)
===========  ===========================  =============================

`factor_g` returns G and G' of one factor. `_add_newton` and `_mul_newton`
solve the subordination equations of the free additive / multiplicative
convolution of all factors at one point by Newton's method; they stop when the
steps are below 1e-13 of the solution, or stall at the rounding floor, or when
every equation holds to `RESIDUAL_TOL` (near an edge or a cusp the Jacobian is
singular and the steps stall far above rounding while the residual is at its
floor). `rmtlib._numerics.continuation.solve` continues them from far above the
real axis down to the requested points.
"""

import cmath

import numba as nb
import numpy as np

DISCRETE, SEMICIRCLE, MARCHENKO, UNIFORM = 0, 1, 2, 3
#: Newton stops once every equation holds to this relative residual (a few rounding errors)
RESIDUAL_TOL = 4e-15


@nb.njit(cache=True, error_model="numpy")
def _inv(b):
    """1 / b, or NaN where b == 0 (numba raises on complex division by zero)."""
    if b == 0:
        return complex(np.nan, np.nan)
    return 1.0 / b


@nb.njit(cache=True, error_model="numpy")
def factor_g(k, kinds, params, locs, wts, offs, w):
    """G(w), G'(w) and h(w) = w G(w) - 1 (computed without cancellation) of factor k."""
    kind = kinds[k]
    if kind == DISCRETE:
        g = 0j
        dg = 0j
        h = 0j
        for j in range(offs[k], offs[k + 1]):
            d = _inv(w - locs[j])
            g += wts[j] * d
            dg -= wts[j] * d * d
            h += wts[j] * locs[j] * d
        return g, dg, h
    if kind == SEMICIRCLE:
        s = params[k, 0]
        r = 2.0 * np.sqrt(s)
        root = cmath.sqrt(w - r) * cmath.sqrt(w + r)
        inv = _inv(w + root)
        g = 2.0 * inv  # = (w - root) / (2 s) without cancellation at large |w|
        return g, -g * _inv(root), 4.0 * s * inv * inv
    if kind == MARCHENKO:
        c = params[k, 0]
        s = params[k, 1]
        lo = s * (1.0 - np.sqrt(c)) ** 2
        hi = s * (1.0 + np.sqrt(c)) ** 2
        root = cmath.sqrt(w - lo) * cmath.sqrt(w - hi)
        inv = _inv(w - s * (1.0 - c) + root)
        g = 2.0 * inv  # rationalised: no cancellation at large |w|
        h = 4.0 * s * w * inv * _inv(w + s * (1.0 - c) + root)
        return g, -(g - c * s * g * g) * _inv(root), h
    a = params[k, 0]
    b = params[k, 1]
    u = (b - a) * _inv(w - b)
    g = 2.0 * cmath.atanh(u * _inv(2.0 + u)) / (b - a)  # log(1 + u) without cancellation
    dg = (_inv(w - a) - _inv(w - b)) / (b - a)
    big = max(abs(a), abs(b))
    if abs(w) > 4.0 * big:
        # w G - 1 = sum_k m_(k+1) / w^(k+1), m_k = (b^(k+1) - a^(k+1)) / ((k+1)(b-a))
        h = 0j
        x = _inv(w)
        power = x
        for kk in range(1, 60):
            h += (b ** (kk + 1) - a ** (kk + 1)) / ((kk + 1) * (b - a)) * power
            power *= x
            if abs(power) * big ** (kk + 1) < 1e-18:
                break
    else:
        h = w * g - 1.0
    return g, dg, h


@nb.njit(cache=True, error_model="numpy")
def _add_newton(z, om, state, kinds, params, locs, wts, offs, maxit):
    """Newton on F_i(om_i) = F, sum(om) - (n-1) F = z; state[0] = F. Returns the iterations used, -1 on failure."""
    n = kinds.size
    f_i = np.empty(n, dtype=np.complex128)
    inv_i = np.empty(n, dtype=np.complex128)
    F = state[0]
    prev = np.inf
    for it in range(maxit):
        sum_inv = 0j
        sum_corr = 0j
        sum_om = 0j
        resid = 0.0
        size = abs(z) + (n - 1) * abs(F)
        for i in range(n):
            g, dg, _ = factor_g(i, kinds, params, locs, wts, offs, om[i])
            f_i[i] = _inv(g)
            inv_i[i] = -(g * g) * _inv(dg)  # 1 / F_i'
            sum_inv += inv_i[i]
            sum_corr += (F - f_i[i]) * inv_i[i]
            sum_om += om[i]
            resid = max(resid, abs(F - f_i[i]) / (abs(F) + abs(f_i[i]) + 1e-300))
            size += abs(om[i])
        resid = max(resid, abs(z + (n - 1) * F - sum_om) / (size + 1e-300))
        if it > 0 and resid <= RESIDUAL_TOL:
            # the equations hold to rounding: near an edge or a cusp (singular Jacobian) the steps
            # stall far above rounding while the residual is already at its floor
            return _accept_add(z, om, state, F, n, it)
        dF = (z + (n - 1) * F - sum_om - sum_corr) * _inv(sum_inv - (n - 1))
        step = abs(dF)
        scale = abs(F) + abs(z) + 1e-300
        for i in range(n):
            d = (F + dF - f_i[i]) * inv_i[i]
            om[i] += d
            step = max(step, abs(d))
            scale = max(scale, abs(om[i]))
        F += dF
        if not np.isfinite(step):
            return -1
        if step <= 1e-13 * scale or (step <= 1e-10 * scale and step >= 0.5 * prev):
            return _accept_add(z, om, state, F, n, it + 1)
        prev = step
    return -1


@nb.njit(cache=True, error_model="numpy")
def _accept_add(z, om, state, F, n, its):
    """Store F; refuse (-1) a solution off the Herglotz half-plane above the axis, else the iterations."""
    state[0] = F
    if z.imag > 0.0:
        scale = abs(F) + abs(z) + 1e-300
        for i in range(n):
            scale = max(scale, abs(om[i]))
        if F.imag < -1e-12 * scale:
            return -1
        for i in range(n):
            if om[i].imag < -1e-12 * scale:
                return -1
    return max(its, 1)


@nb.njit(cache=True, error_model="numpy")
def _mul_newton(z, om, state, kinds, params, locs, wts, offs, maxit):
    """Newton on e_i(om_i) = eta, prod(om) eta^(n-1) = z, e(w) = 1 - 1/(w G(w)); state[0] = eta. Iterations or -1."""
    n = kinds.size
    e_i = np.empty(n, dtype=np.complex128)
    q_i = np.empty(n, dtype=np.complex128)
    eta = state[0]
    prev = np.inf
    for it in range(maxit):
        sum_q = 0j
        sum_corr = 0j
        prod = eta ** (n - 1) * _inv(z)
        worst = 0.0
        for i in range(n):
            g, dg, h = factor_g(i, kinds, params, locs, wts, offs, om[i])
            wg = om[i] * g  # direct product: accurate where w G -> 0; h accurate where w G -> 1
            e_i[i] = h * _inv(wg)
            de = (g + om[i] * dg) * _inv(wg * wg)
            q_i[i] = _inv(de * om[i])
            sum_q += q_i[i]
            sum_corr += (eta - e_i[i]) * q_i[i]
            prod *= om[i]
            worst = max(worst, abs(eta - e_i[i]) / (abs(eta) + abs(e_i[i]) + 1e-300))
        resid = cmath.log(prod)
        if it > 0 and max(worst, abs(resid) / (n + 1.0)) <= RESIDUAL_TOL:
            return _accept_mul(z, om, state, eta, n, it)
        d_eta = -(resid + sum_corr) * _inv(sum_q + (n - 1) * _inv(eta))
        step = abs(d_eta) / (abs(eta) + 1e-300)
        for i in range(n):
            d = (eta + d_eta - e_i[i]) * q_i[i] * om[i]
            om[i] += d
            step = max(step, abs(d) / (abs(om[i]) + 1e-300))
        eta += d_eta
        if not np.isfinite(step):
            return -1
        if step <= 1e-13 or (step <= 1e-10 and step >= 0.5 * prev):
            return _accept_mul(z, om, state, eta, n, it + 1)
        prev = step
    return -1


@nb.njit(cache=True, error_model="numpy")
def _accept_mul(z, om, state, eta, n, its):
    """Store eta; refuse (-1) a solution off the Herglotz half-plane above the axis, else the iterations."""
    state[0] = eta
    if z.imag > 0.0:
        g_total = _inv(z * (1.0 - eta))
        if g_total.imag > 1e-12 * abs(g_total):
            return -1
        for i in range(n):
            if om[i].imag < -1e-12 * abs(om[i]):
                return -1
    return max(its, 1)


@nb.njit(cache=True, error_model="numpy")
def _residual(z, multiplicative, om, value, kinds, params, locs, wts, offs):
    """Largest relative residual of the subordination equations at (om, F or eta)."""
    n = om.size
    worst = 0.0
    if multiplicative:
        prod = value ** (n - 1) * _inv(z)
        for i in range(n):
            g, _, h = factor_g(i, kinds, params, locs, wts, offs, om[i])
            e = h * _inv(om[i] * g)
            worst = max(worst, abs(value - e) / (abs(value) + abs(e) + 1e-300))
            prod *= om[i]
        return max(worst, abs(cmath.log(prod)) / (n + 1.0))
    total = z + (n - 1) * value
    size = abs(z) + (n - 1) * abs(value)
    for i in range(n):
        g, _, _ = factor_g(i, kinds, params, locs, wts, offs, om[i])
        f = _inv(g)
        worst = max(worst, abs(value - f) / (abs(value) + abs(f) + 1e-300))
        total -= om[i]
        size += abs(om[i])
    return max(worst, abs(total) / (size + 1e-300))
