"""Continuation of the free-convolution subordination equations down to the real axis (private).

`solve` evaluates the Cauchy transform of a free additive or multiplicative convolution at points
x + i y by the Newton kernels of `rmtlib._numerics.subordination`, each point continued from far
above the spectrum (y = y_start, where G ~ 1/z) down to the requested height, with a step in y that
adapts to how many Newton iterations the last step needed; points on the real axis inside the
support also continue along x from their neighbour. A continuation that crawls (more than
`MAX_STEPS` steps, or a step that cannot shrink further) fails instead of stalling: it happens where
G is degenerate, at a cusp or at a zero of G outside the support, and the support search treats
such points by their neighbours. On the axis the real solution is preferred where the equations
hold as well there (just outside a square-root edge), else the Herglotz one of a conjugate pair.
"""

import numba as nb
import numpy as np

from rmtlib._numerics.subordination import RESIDUAL_TOL, _add_newton, _inv, _mul_newton, _residual

#: Most height steps of one continuation from far above the spectrum down to the axis
MAX_STEPS = 200


@nb.njit(cache=True, error_model="numpy")
def next_ratio(ratio, iterations):
    """The next step ratio ``y_new / y`` of a descent towards the real axis.

    ``iterations`` is what Newton's method took at the last step (<= 0: it failed, and the caller
    restores the previous solution). A step that converged in at most 4 iterations squares the ratio
    (longer steps, floor 1e-4); one that needed more than 8, or failed, takes its square root.
    """
    if iterations <= 0 or iterations > 8:
        return np.sqrt(ratio)
    if iterations <= 4:
        return max(ratio * ratio, 1e-4)
    return ratio


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
    steps = 0
    while y > y_floor:
        steps += 1
        if steps > MAX_STEPS:  # crawling where G is degenerate (a cusp, a zero of G): fail, do not stall
            return 2
        y_new = max(y * ratio, y_floor)
        saved[:] = om
        saved_state = state[0]
        z_old = complex(x, y)
        z = complex(x, y_new)
        # predictor: far from the spectrum omega_i ~ z (additive) and omega_i ~ z, eta ~ 1/z (multiplicative)
        if y < 1e-2 * y_start:
            pass  # near the spectrum the homogeneous predictor is wrong: plain continuation
        elif multiplicative:
            factor = z / z_old
            for i in range(n):
                om[i] *= factor
            state[0] /= factor
        else:
            for i in range(n):
                om[i] += z - z_old
            state[0] += z - z_old
        if multiplicative:
            ok = _mul_newton(z, om, state, kinds, params, locs, wts, offs, 16)
        else:
            ok = _add_newton(z, om, state, kinds, params, locs, wts, offs, 16)
        ratio = next_ratio(ratio, ok)
        if ok > 0:
            y = y_new
        else:
            om[:] = saved
            state[0] = saved_state
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
        _settle_on_axis(z, multiplicative, om, state, kinds, params, locs, wts, offs)
        state[1] = y_target
        return 0
    om[:] = saved
    state[0] = saved_state
    for i in range(n):
        if not np.isfinite(om[i]):
            return 2
    return 1


@nb.njit(cache=True, error_model="numpy")
def _settle_on_axis(z, multiplicative, om, state, kinds, params, locs, wts, offs):
    """Put a converged real-axis solution on the right branch.

    Just outside a square-root edge the equations have two nearby real solutions, and Newton
    stopped at a residual of rounding size can sit between them with a small spurious imaginary
    part (a density of 1e-10 where it is 0): a real solution close by is then preferred. Otherwise
    the conjugate solution solves the same equations and the Herglotz one is kept.
    """
    n = om.size
    big = 0.0
    small = 0.0
    for i in range(n):
        big = max(big, abs(om[i]))
        small = max(small, abs(om[i].imag))
    if 0.0 < small <= 1e-5 * big:
        saved = om.copy()
        saved_state = state[0]
        floor = max(RESIDUAL_TOL, 4.0 * _residual(z, multiplicative, om, state[0], kinds, params, locs, wts, offs))
        for i in range(n):
            om[i] = om[i].real
        state[0] = state[0].real
        if multiplicative:
            ok = _mul_newton(z, om, state, kinds, params, locs, wts, offs, 30)
        else:
            ok = _add_newton(z, om, state, kinds, params, locs, wts, offs, 30)
        # a real solution counts only where the equations hold as well as at the complex one (Newton's
        # stall test alone can stop on a real point next to a complex pair), and close to it
        near = ok > 0 and _residual(z, multiplicative, om, state[0], kinds, params, locs, wts, offs) <= floor
        for i in range(n):
            if abs(om[i].imag) > 1e-14 * big or abs(om[i] - saved[i]) > 100.0 * small + 1e-12 * big:
                near = False
        if near:
            for i in range(n):
                om[i] = om[i].real
            state[0] = state[0].real
            return
        om[:] = saved
        state[0] = saved_state
    if multiplicative:
        flip = _inv(z * (1.0 - state[0])).imag > 0.0
    else:
        flip = state[0].imag < 0.0
    if flip:
        state[0] = np.conj(state[0])
        for i in range(n):
            om[i] = np.conj(om[i])


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
            if it > 0 and it <= 6:
                _settle_on_axis(z, multiplicative, om, state, kinds, params, locs, wts, offs)
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
