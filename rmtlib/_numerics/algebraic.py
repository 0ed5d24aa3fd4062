"""Root continuation for the Pennington-Worah quartic.

The Stieltjes transform of the limiting spectrum of ``M = f(WX) f(WX)^T / m`` is
``G(z) = (1 + psi u) / z`` where ``u`` is one root of the polynomial (spec section 2.1,
derived form of the paper's equation for ``P = 1 + u``)

    Q(u) = (s u - a A(u)) (s - b A(u)) - b s A(u),   s = psi z,
    A(u) = (1 + phi u)(1 + psi u),  a = eta - zeta,  b = zeta.

``Q`` is a quartic for ``0 < zeta < eta``; after division by ``s`` it is a quadratic when
``zeta = 0`` and a cubic when ``zeta = eta``.  Which of the roots is the physical
(Herglotz) one is decided here, automatically, by *vertical continuation*: at
``z = x + i y0`` with ``y0`` far above the spectrum the physical root is the one closest to
``eta / s`` (so that ``G(z) ~ 1/z``); ``y`` is then lowered geometrically to the target
(0 for a point of the real axis) and at every step all roots are recomputed by a
warm-started Aberth-Ehrlich iteration and the one closest to the previous physical root is
kept.  A step is accepted only when that choice is unambiguous (the second-closest root is
at least ``_MIN_RATIO`` times farther than the closest); otherwise it is split.  The
smallest ratio met along each path is returned as a diagnostic.

Everything here is private to :mod:`rmtlib.nonlinear`.
"""

import numba
import numpy as np

_STEPS_PER_DECADE = 10
_MIN_RATIO = 4.0
_MAX_SPLITS = 40


@numba.njit(cache=True)
def _coefficients(s, a, b, phi, psi, out):
    """Coefficients (low to high) of Q(u) / s^k, reduced when a or b vanish; returns degree."""
    eta = a + b
    if b == 0.0:  # zeta = 0: quadratic after dividing by s
        out[0] = -eta
        out[1] = s - eta * (phi + psi)
        out[2] = -eta * phi * psi
        return 2
    if a == 0.0:  # linear activation: cubic after dividing by s
        out[0] = -eta
        out[1] = s - eta * (phi + psi) - b
        out[2] = -(eta * phi * psi + b * (phi + psi))
        out[3] = -b * phi * psi
        return 3
    out[0] = a * b - s * eta
    out[1] = 2.0 * a * b * (phi + psi) - s * (eta * (phi + psi) + b) + s * s
    out[2] = a * b * (phi * phi + 4.0 * phi * psi + psi * psi) - s * (eta * phi * psi + b * (phi + psi))
    out[3] = b * phi * psi * (2.0 * a * (phi + psi) - s)
    out[4] = a * b * phi * phi * psi * psi
    return 4


@numba.njit(cache=True)
def _aberth(c, deg, roots, maxiter):
    """Polish all ``deg`` roots of sum c[k] u^k in place; True when converged."""
    lead = c[deg]
    prev = np.inf
    for _ in range(maxiter):
        worst = 0.0
        for k in range(deg):
            r = roots[k]
            p = c[deg] / lead
            dp = 0.0 + 0.0j
            for j in range(deg - 1, -1, -1):
                dp = dp * r + p
                p = p * r + c[j] / lead
            if p == 0.0:
                continue
            ratio = p / dp
            acc = 0.0 + 0.0j
            for j in range(deg):
                if j != k:
                    acc += 1.0 / (r - roots[j])
            w = ratio / (1.0 - ratio * acc)
            roots[k] = r - w
            rel = abs(w) / (1.0 + abs(r))
            worst = max(worst, rel)
        if worst < 1e-14 or (worst < 1e-9 and worst >= 0.5 * prev):
            return True  # converged, or stalled at rounding level (clustered roots)
        prev = worst
    return False


@numba.njit(cache=True)
def _initial_roots(c, deg, roots):
    comp = np.zeros((deg, deg), dtype=np.complex128)
    for j in range(deg):
        comp[0, j] = -c[deg - 1 - j] / c[deg]
    for j in range(1, deg):
        comp[j, j - 1] = 1.0
    ev = np.linalg.eigvals(comp)
    for j in range(deg):
        roots[j] = ev[j]
    _aberth(c, deg, roots, 100)


@numba.njit(cache=True)
def _pick(roots, deg, target):
    best = 0
    d1 = np.inf
    d2 = np.inf
    for j in range(deg):
        d = abs(roots[j] - target)
        if d < d1:
            d2 = d1
            d1 = d
            best = j
        elif d < d2:
            d2 = d
    ratio = np.inf if d1 == 0.0 else d2 / d1
    return best, ratio


@numba.njit(cache=True)
def _pick_real(roots, deg, target):
    """Pick on the real axis: a non-real root and its conjugate count as one candidate."""
    best = 0
    d1 = np.inf
    for j in range(deg):
        d = min(abs(roots[j] - target), abs(np.conj(roots[j]) - target))
        if d < d1:
            d1 = d
            best = j
    rb = roots[best]
    d2 = np.inf
    for j in range(deg):
        if j == best or abs(roots[j] - np.conj(rb)) <= 1e-7 * (1.0 + abs(rb)):
            continue
        d = min(abs(roots[j] - target), abs(np.conj(roots[j]) - target))
        d2 = min(d2, d)
    ratio = np.inf if d1 == 0.0 else d2 / d1
    return best, ratio


@numba.njit(cache=True)
def _track_one(x, y, a, b, phi, psi, y0):
    """Physical root u at z = x + i y (y >= 0) and the smallest ambiguity ratio met."""
    c = np.zeros(5, dtype=np.complex128)
    roots = np.zeros(4, dtype=np.complex128)
    trial = np.zeros(4, dtype=np.complex128)
    eta = a + b
    ystart = max(y0, y)
    s = psi * complex(x, ystart)
    deg = _coefficients(s, a, b, phi, psi, c)
    _initial_roots(c, deg, roots)
    k, ratio0 = _pick(roots, deg, eta / s)
    u = roots[k]
    minratio = ratio0
    if ystart == y:
        return u, minratio
    # schedule: geometric down to y_floor, then (if y < y_floor) one more stop at y
    y_floor = max(y, 1e-10 * y0)
    nsteps = int(np.ceil(_STEPS_PER_DECADE * np.log10(ystart / y_floor)))
    fac = (y_floor / ystart) ** (1.0 / max(nsteps, 1))
    ycur = ystart
    for step in range(nsteps + 1):
        if step < nsteps - 1:
            ystop = ystart * fac ** (step + 1)
        elif step == nsteps - 1:
            ystop = y_floor
        else:
            ystop = y
        while ycur > ystop:
            ynext = ystop
            for _ in range(_MAX_SPLITS):
                s = psi * complex(x, ynext)
                _coefficients(s, a, b, phi, psi, c)
                for j in range(deg):
                    trial[j] = roots[j]
                _aberth(c, deg, trial, 60)
                if ynext == 0.0:
                    kk, ratio = _pick_real(trial, deg, u)
                else:
                    kk, ratio = _pick(trial, deg, u)
                if ratio >= _MIN_RATIO:
                    break  # unambiguous (near z = 0 the roots cluster and Aberth may stall: still accept)
                if ycur - ynext < 1e-14 * y0:
                    break  # cannot split further: accept, the ratio records it
                ynext = np.sqrt(ycur * ynext) if ynext > 0.0 else 0.5 * ycur
            for j in range(deg):
                roots[j] = trial[j]
            u = trial[kk]
            minratio = min(minratio, ratio)
            ycur = ynext
    if y == 0.0 and u.imag * x > 0.0:
        u = np.conj(u)  # Herglotz sign within the conjugate pair: Im G(x + i0) <= 0
    return u, minratio


@numba.njit(cache=True)
def _track_many(xs, ys, a, b, phi, psi, y0):
    n = xs.shape[0]
    us = np.empty(n, dtype=np.complex128)
    ratios = np.empty(n)
    for i in range(n):
        us[i], ratios[i] = _track_one(xs[i], ys[i], a, b, phi, psi, y0)
    return us, ratios


def spectral_scale(eta, zeta, phi, psi):
    """A scale above the whole spectrum: eta (1 + r)(1 + c) + 1 (spec section 2.2)."""
    return eta * (1.0 + 1.0 / psi) * (1.0 + phi / psi) + 1.0


def physical_root(z, *, eta, zeta, phi, psi):
    """Physical root ``u(z)`` (any complex ``z``, conjugate symmetry below the axis).

    Returns
    -------
    u : ndarray of complex
    min_ratio : ndarray
        Smallest (second-closest / closest) root-distance ratio met along each path.
    """
    z = np.asarray(z, dtype=complex)
    flat = z.ravel()
    lower = flat.imag < 0
    w = np.where(lower, flat.conj(), flat)
    y0 = 50.0 * spectral_scale(eta, zeta, phi, psi)
    us, ratios = _track_many(np.ascontiguousarray(w.real), np.ascontiguousarray(w.imag),
                             float(eta - zeta), float(zeta), float(phi), float(psi), y0)
    us = np.where(lower, us.conj(), us)
    return us.reshape(z.shape), ratios.reshape(z.shape)


def derivative_u(u, s, *, eta, zeta, phi, psi):
    """du/ds on the root branch by implicit differentiation of Q(u, s) = 0."""
    a, b = eta - zeta, zeta
    A = (1 + phi * u) * (1 + psi * u)
    dA = phi * (1 + psi * u) + psi * (1 + phi * u)
    q_u = (s - a * dA) * (s - b * A) - (s * u - a * A) * b * dA - b * s * dA
    q_s = u * (s - b * A) + (s * u - a * A) - b * A
    return -q_s / q_u
