"""Numba kernel of the information-plus-noise (Dozier-Silverstein) law (private).

The law of ``W^T W`` with ``W = R/sqrt(N) + S`` (``N x M``, ``c = M/N``, entries of ``R`` of variance
``s2``) has a Cauchy transform ``G`` that solves, with ``a = s2 c``, ``b = s2 (1 - c)``,

    alpha = 1 - a G,   omega = alpha^2 z - b alpha,   G = alpha G_H(omega),

``G_H`` the Cauchy transform of the law ``H`` of the eigenvalues of ``S^T S`` (Dozier & Silverstein
2007, rewritten in the ``G`` convention; book/derivations.md, eq. (rect-subordination)). `solve`
applies Newton's method to the scalar equation ``F(G) = G - alpha G_H(omega) = 0`` at each point,
continued from far above the real axis down to the requested height, as
`rmtlib._numerics.subordination.solve` does for the free convolutions; ``G_H`` comes from that
module's `factor_g` (discrete measures or closed-form kinds).
"""

import numba as nb
import numpy as np

from rmtlib._numerics.continuation import next_ratio
from rmtlib._numerics.subordination import _inv, factor_g


@nb.njit(cache=True, error_model="numpy")
def _newton(z, state, a, b, kinds, params, locs, wts, offs, maxit):
    """Newton on F(G) = G - alpha G_H(omega); state[0] = G. Iterations used, or -1 on failure."""
    g = state[0]
    prev = np.inf
    for it in range(maxit):
        alpha = 1.0 - a * g
        om = alpha * alpha * z - b * alpha
        gh, dgh, _ = factor_g(0, kinds, params, locs, wts, offs, om)
        resid = g - alpha * gh
        slope = 1.0 + a * gh + a * alpha * (2.0 * alpha * z - b) * dgh
        step = resid * _inv(slope)
        g -= step
        size = abs(step)
        if not np.isfinite(size):
            return -1
        scale = abs(g) + 1e-300
        if size <= 1e-14 * scale or (size <= 1e-10 * scale and size >= 0.5 * prev):
            if z.imag > 0.0:
                alpha = 1.0 - a * g
                om = alpha * alpha * z - b * alpha
                if g.imag > 1e-12 * scale or om.imag < -1e-12 * abs(om):
                    return -1
            state[0] = g
            return it + 1
        prev = size
    return -1


@nb.njit(cache=True, error_model="numpy")
def _continue_point(x, y_target, y_start, state, a, b, kinds, params, locs, wts, offs):
    """Follow G from x + i y_start down to x + i y_target: 0 ok, 1 approximate, 2 failed."""
    y = y_start
    state[0] = _inv(complex(x, y))
    if _newton(complex(x, y), state, a, b, kinds, params, locs, wts, offs, 200) < 0:
        return 2
    y_floor = max(y_target, 1e-13 * y_start)
    ratio = 0.1
    while y > y_floor:
        y_new = max(y * ratio, y_floor)
        saved = state[0]
        it = _newton(complex(x, y_new), state, a, b, kinds, params, locs, wts, offs, 16)
        ratio = next_ratio(ratio, it)
        if it > 0:
            y = y_new
        else:
            state[0] = saved
            if ratio > 0.999:
                return 2
    state[1] = y
    if y_target >= y_floor:
        return 0
    saved = state[0]
    if _newton(complex(x, y_target), state, a, b, kinds, params, locs, wts, offs, 60) > 0:
        if state[0].imag > 0.0:  # on the axis the conjugate also solves: keep the Herglotz branch
            state[0] = np.conj(state[0])
        state[1] = y_target
        return 0
    state[0] = saved
    return 1 if np.isfinite(saved) else 2


@nb.njit(cache=True, error_model="numpy")
def solve(xs, ys, y_start, a, b, kinds, params, locs, wts, offs):
    """Cauchy transform of the information-plus-noise law at x + i y (y >= 0), with a status per point.

    Parameters
    ----------
    xs, ys : 1-D float arrays
        Real and (non-negative) imaginary parts of the points.
    y_start : float
        Height where the continuation starts (far above the spectrum, G ~ 1/z).
    a, b : float
        ``s2 c`` and ``s2 (1 - c)``.
    kinds, params, locs, wts, offs
        The law H of the eigenvalues of ``S^T S`` as one factor (`rmtlib.free._kernel_arrays`).

    Returns
    -------
    G : complex array
    status : int array (0 converged; 1 approximate: G 1e-13 y_start above the axis; 2 failed)
    """
    out = np.empty(xs.size, dtype=np.complex128)
    status = np.empty(xs.size, dtype=np.int64)
    state = np.zeros(2, dtype=np.complex128)
    for p in range(xs.size):
        status[p] = _continue_point(xs[p], ys[p], y_start, state, a, b, kinds, params, locs, wts, offs)
        out[p] = complex(np.nan, np.nan) if status[p] == 2 else state[0]
    return out, status
