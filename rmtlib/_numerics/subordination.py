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

`factor_g` returns G and G' of one factor. `solve_add` and `solve_multiply`
evaluate the Cauchy transform of the free additive / multiplicative
convolution of all factors at points x + i y by Newton's method on the
subordination equations, continued from far above the real axis
(y = y_start) down to the requested y, halving the step whenever Newton fails
or leaves the Herglotz half-plane.
"""

import cmath

import numba as nb
import numpy as np

DISCRETE, SEMICIRCLE, MARCHENKO, UNIFORM = 0, 1, 2, 3


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
        for i in range(n):
            g, dg, _ = factor_g(i, kinds, params, locs, wts, offs, om[i])
            f_i[i] = _inv(g)
            inv_i[i] = -(g * g) * _inv(dg)  # 1 / F_i'
            sum_inv += inv_i[i]
            sum_corr += (F - f_i[i]) * inv_i[i]
            sum_om += om[i]
        dF = (z + (n - 1) * F - sum_om - sum_corr) * _inv(sum_inv - (n - 1))
        step = abs(dF)
        scale = abs(F) + abs(z) + 1.0
        for i in range(n):
            d = (F + dF - f_i[i]) * inv_i[i]
            om[i] += d
            step = max(step, abs(d))
            scale = max(scale, abs(om[i]))
        F += dF
        if not np.isfinite(step):
            return -1
        if step <= 1e-13 * scale or (step <= 1e-10 * scale and step >= 0.5 * prev):
            state[0] = F
            if z.imag > 0.0:
                if F.imag < -1e-12 * scale:
                    return -1
                for i in range(n):
                    if om[i].imag < -1e-12 * scale:
                        return -1
            return it + 1
        prev = step
    return -1


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
        for i in range(n):
            g, dg, h = factor_g(i, kinds, params, locs, wts, offs, om[i])
            wg = om[i] * g  # direct product: accurate where w G -> 0; h accurate where w G -> 1
            e_i[i] = h * _inv(wg)
            de = (g + om[i] * dg) * _inv(wg * wg)
            q_i[i] = _inv(de * om[i])
            sum_q += q_i[i]
            sum_corr += (eta - e_i[i]) * q_i[i]
            prod *= om[i]
        resid = cmath.log(prod)
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
            state[0] = eta
            if z.imag > 0.0:
                g_total = _inv(z * (1.0 - eta))
                if g_total.imag > 1e-12 * abs(g_total):
                    return -1
                for i in range(n):
                    if om[i].imag < -1e-12 * abs(om[i]):
                        return -1
            return it + 1
        prev = step
    return -1


@nb.njit(cache=True, error_model="numpy")
def _continue_point(x, y_target, y_start, multiplicative, om, state, kinds, params, locs, wts, offs):
    """Follow the solution from x + i y_start down to x + i y_target. Returns 0 (ok), 1 (approximate), 2 (failed)."""
    y = y_start
    z = complex(x, y)
    if multiplicative:
        ok = _mul_newton(z, om, state, kinds, params, locs, wts, offs, 200)
    else:
        ok = _add_newton(z, om, state, kinds, params, locs, wts, offs, 200)
    if ok < 0:
        return 2
    n = kinds.size
    saved = om.copy()
    # near z = 0 the multiplicative equations need y << |x|; elsewhere 1e-13 y_start is the noise floor
    y_floor = max(y_target, 1e-13 * (min(y_start, abs(x)) if multiplicative else y_start))
    ratio = 0.1
    while y > y_floor:
        y_new = max(y * ratio, y_floor)
        saved[:] = om
        saved_state = state[0]
        z_old = complex(x, y)
        z = complex(x, y_new)
        # predictor: far from the spectrum omega_i ~ z (additive) and omega_i ~ z, eta ~ 1/z (multiplicative)
        if y < 1e-2 * y_start:
            pass  # near the spectrum the homogeneous predictor is wrong: plain continuation
        elif multiplicative:
            scale = z / z_old
            for i in range(n):
                om[i] *= scale
            state[0] /= scale
        else:
            for i in range(n):
                om[i] += z - z_old
            state[0] += z - z_old
        if multiplicative:
            ok = _mul_newton(z, om, state, kinds, params, locs, wts, offs, 16)
        else:
            ok = _add_newton(z, om, state, kinds, params, locs, wts, offs, 16)
        if ok > 0:
            y = y_new
            if ok <= 4:
                ratio = max(ratio * ratio, 1e-4)
            elif ok > 8:
                ratio = np.sqrt(ratio)
        else:
            om[:] = saved
            state[0] = saved_state
            ratio = np.sqrt(ratio)
            if ratio > 0.999:
                return 2
    state[1] = y
    if y_target >= y_floor:
        return 0
    saved[:] = om
    saved_state = state[0]
    z = complex(x, y_target)
    if multiplicative:
        ok = _mul_newton(z, om, state, kinds, params, locs, wts, offs, 60)
    else:
        ok = _add_newton(z, om, state, kinds, params, locs, wts, offs, 60)
    if ok > 0:
        # on the real axis the conjugate solution solves the same equations: keep the Herglotz one
        if multiplicative:
            g_total = _inv(z * (1.0 - state[0]))
            flip = g_total.imag > 0.0
        else:
            flip = state[0].imag < 0.0
        if flip:
            state[0] = np.conj(state[0])
            for i in range(n):
                om[i] = np.conj(om[i])
        state[1] = y_target
        return 0
    om[:] = saved
    state[0] = saved_state
    for i in range(n):
        if not np.isfinite(om[i]):
            return 2
    return 1


@nb.njit(cache=True, error_model="numpy")
def _herglotz_on_axis(multiplicative, z, om, state):
    """True when a real-axis solution lies strictly inside the support on the Herglotz branch."""
    n = om.size
    for i in range(n):
        if om[i].imag < -1e-12 * abs(om[i]):
            return False
    if multiplicative:
        g_total = _inv(z * (1.0 - state[0]))
        return g_total.imag < -1e-9 * abs(g_total)
    return state[0].imag > 1e-9 * abs(state[0])


@nb.njit(cache=True, error_model="numpy")
def solve(xs, ys, y_start, multiplicative, means, kinds, params, locs, wts, offs):
    """Cauchy transform of the free convolution at x + i y (y >= 0), with a status per point.

    Points on the real axis inside the support are continued along x from the previous point
    (a few Newton steps, accepted only when they converge fast onto the Herglotz branch); every
    other point is continued down from x + i y_start.

    Parameters
    ----------
    xs, ys : 1-D float arrays
        Real and (non-negative) imaginary parts of the points (sorted by x for speed).
    y_start : float
        Height where the continuation starts (far above the spectrum).
    multiplicative : bool
        Free multiplicative (True) or additive (False) convolution.
    means : 1-D float array
        Means of the factors (for the initial guess at y_start).

    Returns
    -------
    G : complex array
    status : int array (0 converged; 1 approximate: G at the lowest height reached, 1e-13 |x| or
        1e-13 y_start above the axis; 2 failed)
    """
    n = kinds.size
    out = np.empty(xs.size, dtype=np.complex128)
    status = np.empty(xs.size, dtype=np.int64)
    om = np.empty(n, dtype=np.complex128)
    state = np.zeros(2, dtype=np.complex128)
    prev_om = np.empty(n, dtype=np.complex128)
    prev_state = 0j
    prev_inside = False
    total = 0.0
    prod = 1.0
    for i in range(n):
        total += means[i]
        prod *= means[i]
    for p in range(xs.size):
        if multiplicative and xs[p] == 0.0 and ys[p] == 0.0:
            status[p] = 2
            out[p] = complex(np.nan, np.nan)
            prev_inside = False
            continue
        z = complex(xs[p], 0.0)
        done = False
        if prev_inside and ys[p] == 0.0:
            om[:] = prev_om
            state[0] = prev_state
            if multiplicative:
                it = _mul_newton(z, om, state, kinds, params, locs, wts, offs, 8)
            else:
                it = _add_newton(z, om, state, kinds, params, locs, wts, offs, 8)
            if it > 0 and it <= 6 and _herglotz_on_axis(multiplicative, z, om, state):
                state[1] = 0.0
                status[p] = 0
                done = True
        if not done:
            z0 = complex(xs[p], y_start)
            if multiplicative:
                for i in range(n):
                    om[i] = means[i] * z0 / prod
                state[0] = prod / z0
            else:
                for i in range(n):
                    om[i] = z0 - (total - means[i])
                state[0] = z0 - total
            status[p] = _continue_point(xs[p], ys[p], y_start, multiplicative, om, state, kinds, params, locs, wts, offs)
        z = complex(xs[p], state[1].real)  # the height actually reached
        if status[p] == 2:
            out[p] = complex(np.nan, np.nan)
        elif multiplicative:
            out[p] = _inv(z * (1.0 - state[0]))
        else:
            out[p] = _inv(state[0])
        prev_inside = status[p] == 0 and ys[p] == 0.0 and _herglotz_on_axis(multiplicative, z, om, state)
        if prev_inside:
            prev_om[:] = om
            prev_state = state[0]
    return out, status
