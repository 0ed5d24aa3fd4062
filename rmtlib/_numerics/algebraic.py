"""One root tracker for algebraic Stieltjes transforms.

Many limiting spectral laws have a Stieltjes transform that is a root of a polynomial

    P(t, w) = sum_k f_k c_k(w) t^k,    c_k(w) = sum_j C[k, j] w^j,    w = lam z + mu,

whose coefficients depend on the spectral variable ``z`` (``t`` is ``G`` or an algebraic function
of it; the affine variable ``w`` lets each law write its polynomial in its own variable, e.g.
``s = psi z``).  Of its roots exactly one is the physical branch; it is fixed by its behaviour at
infinity, ``t ~ alpha + beta / z`` (so that ``G ~ 1/z``), and followed from far above the spectrum
down to the target point, never chosen by a per-point rule (which picks spurious roots on part of
the axis for chains of three or more factors).  See book/derivations.md, eq. (alg-tracker).

Three ways to follow the branch, on the same :class:`AlgebraicBranch`:

* ``"newton"`` (fast path, numba): Newton steps from the previous rung of a geometric ladder
  ``z + i h``, ``h`` from ``1e4 max(1, |z|)`` down to ``1e-16 min(1, |z|)`` in ``steps`` rungs,
  then ``h = 0``.  A point whose result is not finite is recomputed by ``"eig"``.
* ``"guarded"`` (numba): every rung recomputes *all* roots (companion-matrix eigenvalues at the
  top, then warm-started Aberth-Ehrlich iterations) and keeps the one nearest the previous value;
  a rung is split until that choice is unambiguous (the second-nearest root at least
  ``_MIN_RATIO`` times farther).  For polynomials whose roots cluster, as the Pennington-Worah
  quartic does near ``z = 0``.  Returns the smallest ratio met along each path as a diagnostic.
* ``"eig"`` (slow reference, numpy): the ladder of ``"newton"`` with all roots from
  :func:`numpy.roots` (companion-matrix eigenvalues) at every rung; for the tests and as fallback.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

__all__ = ["AlgebraicBranch", "critical_points", "follow", "lagrange_moments", "vanishes_below"]

_STEPS_PER_DECADE = 10
_MIN_RATIO = 4.0
_MAX_SPLITS = 40


@dataclass(frozen=True)
class AlgebraicBranch:
    """A polynomial ``P(t, w)``, ``w = lam z + mu``, and its branch ``t ~ alpha + beta/z`` at infinity.

    Parameters
    ----------
    table : ndarray, shape (deg + 1, J + 1)
        ``table[k, j]`` is the coefficient of ``t^k w^j`` (before the factor ``factors[k]``).
    factors : ndarray, shape (deg + 1,)
        A constant multiplying each coefficient polynomial (ones unless a law factors one out).
    lam, mu : float
        The affine variable ``w = lam z + mu`` (``lam > 0`` keeps ``Im w`` of the sign of ``Im z``).
    alpha, beta : float
        The physical root behaves as ``alpha + beta / z`` when ``|z| -> infinity``.
    axis_sign : float
        On the real axis the guarded path takes, of a conjugate pair, the root with
        ``axis_sign * Im(t) * Re(z) <= 0`` (the Herglotz sign of ``G``); 0 keeps the tracked root.
    """

    table: np.ndarray
    factors: np.ndarray
    lam: float = 1.0
    mu: float = 0.0
    alpha: float = 0.0
    beta: float = 1.0
    axis_sign: float = 0.0

    @classmethod
    def linear_in_z(cls, a_poly, b_poly, *, alpha, beta):
        """The polynomial ``A(t) - z B(t)`` from coefficient lists (highest degree first)."""
        a = np.asarray(a_poly, dtype=float)[::-1]
        b = np.zeros(a.size)
        b[:len(b_poly)] = np.asarray(b_poly, dtype=float)[::-1]
        return cls(np.ascontiguousarray(np.stack([a, -b], axis=1)), np.ones(a.size), alpha=alpha, beta=beta)

    @property
    def degree(self):
        """Degree of ``P`` in ``t``."""
        return self.table.shape[0] - 1

    def coefficients(self, z):
        """Coefficients of ``P(., w(z))``, shape ``z.shape + (deg + 1,)``, lowest degree first."""
        w = self.lam * np.asarray(z, dtype=complex)[..., None] + self.mu
        powers = w ** np.arange(self.table.shape[1])
        return self.factors * np.sum(self.table * powers[..., None, :], axis=-1)

    def residual(self, t, z):
        """``P(t, w(z))`` (0 on every root; for the tests)."""
        c = self.coefficients(z)
        return np.sum(c * np.asarray(t, dtype=complex)[..., None] ** np.arange(c.shape[-1]), axis=-1)

    def roots(self, z):
        """All roots ``t`` at one point ``z`` (companion-matrix eigenvalues, :func:`numpy.roots`)."""
        return np.roots(self.coefficients(complex(z))[::-1])

    def at_infinity(self, z):
        """The leading behaviour ``alpha + beta / z`` of the physical root."""
        return self.alpha + self.beta / np.asarray(z, dtype=complex)


# ----------------------------------------------------------------------------- numba kernels
@numba.njit(cache=True)
def _coefficients(table, factors, w, out):
    """Fill ``out[k] = factors[k] * sum_j table[k, j] w^j``; return the degree."""
    deg = table.shape[0] - 1
    for k in range(deg + 1):
        acc = table[k, 0] + 0j
        p = w
        for j in range(1, table.shape[1]):
            acc = acc + table[k, j] * p
            p = p * w
        out[k] = factors[k] * acc
    return deg


@numba.njit(cache=True)
def _newton_path(table, factors, lam, mu, zs, steps, t0):
    """Newton continuation of one root along ``z + i h`` (the fast path; see the module notes)."""
    deg = table.shape[0] - 1
    c = np.empty(deg + 1, dtype=np.complex128)
    out = np.empty(zs.size, dtype=np.complex128)
    for i in range(zs.size):
        t = t0[i]
        size = abs(zs[i])
        top = 1e4 * max(1.0, size)
        ratio = (1e-16 * min(1.0, size) / top) ** (1.0 / (steps - 1))
        h = top
        for rung in range(steps + 1):
            z = zs[i] + 1j * (h if rung < steps else 0.0)
            h *= ratio
            _coefficients(table, factors, lam * z + mu, c)
            for _ in range(30):
                f = c[deg]
                fp = 0j
                for k in range(deg - 1, -1, -1):
                    fp = fp * t + f
                    f = f * t + c[k]
                if fp == 0:
                    break
                step = f / fp
                t -= step
                if abs(step) <= 1e-15 * (1.0 + abs(t)):
                    break
        out[i] = t
    return out


@numba.njit(cache=True)
def _aberth(c, deg, roots, maxiter):
    """Polish all ``deg`` roots of ``sum c[k] t^k`` in place; True when converged."""
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
            worst = max(worst, abs(w) / (1.0 + abs(r)))
        if worst < 1e-14 or (worst < 1e-9 and worst >= 0.5 * prev):
            return True  # converged, or stalled at rounding level (clustered roots)
        prev = worst
    return False


@numba.njit(cache=True)
def _companion_roots(c, deg, roots):
    """All roots from the companion-matrix eigenvalues, polished by Aberth."""
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
def _pick(roots, deg, target, on_axis):
    """Index of the root nearest ``target`` and the ratio second-nearest / nearest distance.

    On the real axis (``on_axis``) a non-real root and its conjugate count as one candidate.
    """
    best = 0
    d1 = np.inf
    for j in range(deg):
        d = abs(roots[j] - target)
        if on_axis:
            d = min(d, abs(np.conj(roots[j]) - target))
        if d < d1:
            d1 = d
            best = j
    rb = roots[best]
    d2 = np.inf
    for j in range(deg):
        if j == best or (on_axis and abs(roots[j] - np.conj(rb)) <= 1e-7 * (1.0 + abs(rb))):
            continue
        d = abs(roots[j] - target)
        if on_axis:
            d = min(d, abs(np.conj(roots[j]) - target))
        d2 = min(d2, d)
    return best, (np.inf if d1 == 0.0 else d2 / d1)


@numba.njit(cache=True)
def _guarded_one(table, factors, lam, mu, axis_sign, x, y, y0, start):
    """Guarded continuation at ``z = x + i y`` (``y >= 0``) from height ``max(y0, y)``."""
    deg = table.shape[0] - 1
    c = np.zeros(deg + 1, dtype=np.complex128)
    roots = np.zeros(deg, dtype=np.complex128)
    trial = np.zeros(deg, dtype=np.complex128)
    ystart = max(y0, y)
    _coefficients(table, factors, lam * complex(x, ystart) + mu, c)
    _companion_roots(c, deg, roots)
    k, minratio = _pick(roots, deg, start, False)
    t = roots[k]
    if ystart == y:
        return t, minratio
    # ladder: geometric down to y_floor, then (if y < y_floor) one more stop at y
    y_floor = max(y, 1e-10 * y0)
    nsteps = int(np.ceil(_STEPS_PER_DECADE * np.log10(ystart / y_floor)))
    fac = (y_floor / ystart) ** (1.0 / max(nsteps, 1))
    ycur = ystart
    for step in range(nsteps + 1):
        ystop = ystart * fac ** (step + 1) if step < nsteps - 1 else (y_floor if step == nsteps - 1 else y)
        while ycur > ystop:
            ynext = ystop
            for _ in range(_MAX_SPLITS):
                _coefficients(table, factors, lam * complex(x, ynext) + mu, c)
                trial[:] = roots
                _aberth(c, deg, trial, 60)
                kk, ratio = _pick(trial, deg, t, ynext == 0.0)
                if ratio >= _MIN_RATIO or ycur - ynext < 1e-14 * y0:
                    break  # unambiguous, or cannot split further (the ratio records it)
                ynext = np.sqrt(ycur * ynext) if ynext > 0.0 else 0.5 * ycur
            roots[:] = trial
            t = trial[kk]
            minratio = min(minratio, ratio)
            ycur = ynext
    if y == 0.0 and axis_sign * t.imag * x > 0.0:
        t = np.conj(t)  # Herglotz sign within the conjugate pair
    return t, minratio


@numba.njit(cache=True)
def _guarded_path(table, factors, lam, mu, axis_sign, xs, ys, y0, starts):
    n = xs.shape[0]
    ts = np.empty(n, dtype=np.complex128)
    ratios = np.empty(n)
    for i in range(n):
        ts[i], ratios[i] = _guarded_one(table, factors, lam, mu, axis_sign, xs[i], ys[i], y0, starts[i])
    return ts, ratios


# ----------------------------------------------------------------------------- front end
def _eig_path(branch, zf, t, steps):
    """Reference continuation: all roots at every rung of the Newton ladder, nearest kept."""
    top = 1e4 * np.maximum(1.0, np.abs(zf))
    bottom = 1e-16 * np.minimum(1.0, np.abs(zf))
    rungs = np.linspace(0.0, 1.0, steps)[:, None]
    for h in np.vstack([top * (bottom / top) ** rungs, np.zeros((1, zf.size))]):
        roots = np.array([branch.roots(p) for p in zf + 1j * h])
        t = roots[np.arange(zf.size), np.argmin(np.abs(roots - t[:, None]), axis=1)]
    return t


def follow(branch, z, *, method="newton", steps=300, y0=None):
    """The physical root ``t(z)`` of an :class:`AlgebraicBranch`, by continuation from infinity.

    Parameters
    ----------
    branch : AlgebraicBranch
        The polynomial and its branch at infinity.
    z : array_like of complex
        Points; ``"newton"`` and ``"eig"`` need ``Im z >= 0`` (on the axis the limit ``x + i0``),
        ``"guarded"`` accepts any ``z`` (conjugate symmetry below the axis).
    method : {"newton", "guarded", "eig"}
        Fast path, all-roots guarded path, or companion-matrix reference (module notes).
    steps : int
        Rungs of the ladder of ``"newton"`` and ``"eig"``.
    y0 : float
        Starting height of ``"guarded"`` (well above the spectrum; required there).

    Returns
    -------
    ndarray of complex
        ``t(z)``, shape of ``z``; for ``"guarded"`` a pair ``(t, min_ratio)``.

    Notes
    -----
    The branch is the root with ``t ~ alpha + beta / z`` at infinity; it is analytic in the upper
    half plane, so continuation in ``Im z`` never leaves it (book/derivations.md, eq. (alg-tracker)).
    """
    z = np.asarray(z, dtype=complex)
    shape, zf = z.shape, z.ravel()
    if method == "guarded":
        if y0 is None:
            raise ValueError("the guarded path needs its starting height y0")
        lower = zf.imag < 0
        w = np.where(lower, zf.conj(), zf)
        starts = branch.at_infinity(w.real + 1j * np.maximum(y0, w.imag))
        t, ratios = _guarded_path(branch.table, branch.factors, branch.lam, branch.mu, branch.axis_sign,
                                  np.ascontiguousarray(w.real), np.ascontiguousarray(w.imag), float(y0),
                                  np.ascontiguousarray(starts))
        return np.where(lower, t.conj(), t).reshape(shape), ratios.reshape(shape)
    t = branch.at_infinity(zf + 1j * 1e4 * np.maximum(1.0, np.abs(zf)))
    if method == "eig":
        return _eig_path(branch, zf, t, steps).reshape(shape)
    if method != "newton":
        raise ValueError(f"method must be 'newton', 'guarded' or 'eig', got {method!r}")
    out = _newton_path(branch.table, branch.factors, branch.lam, branch.mu, zf, int(steps), t)
    bad = ~np.isfinite(out)
    if np.any(bad):
        out[bad] = _eig_path(branch, zf[bad], t[bad], steps)
    return out.reshape(shape)


# ----------------------------------------------------------------------------- edges and moments
def critical_points(a_poly, b_poly):
    """Real critical points ``t`` of ``z(t) = A(t)/B(t)`` and their values ``z`` (sorted by ``t``).

    Parameters
    ----------
    a_poly, b_poly : sequence of float
        Coefficients, highest degree first.

    Returns
    -------
    t, z : ndarray
        The real roots of ``A' B - A B'`` and ``A(t)/B(t)`` there.

    Notes
    -----
    Where ``P(t, z) = A(t) - z B(t)`` has a double root the branch meets another one: the edges
    of the spectrum are among these values (book/derivations.md, eq. (alg-edges)).
    """
    a, b = np.asarray(a_poly, dtype=float), np.asarray(b_poly, dtype=float)
    q = np.polysub(np.polymul(np.polyder(a), b), np.polymul(a, np.polyder(b)))
    r = np.roots(q)
    r = np.sort(r[np.abs(r.imag) < 1e-9 * (1 + np.abs(r.real))].real)
    return r, np.polyval(a, r) / np.polyval(b, r)


def vanishes_below(stieltjes, low, upper):
    """True if the density ``-Im G / pi`` is 0 just below ``low`` and positive just above it."""
    x = np.array([0.5 * low, low + 1e-3 * (upper - low)], dtype=complex)
    rho = -np.imag(stieltjes(x)) / np.pi
    return bool(rho[0] < 1e-9 and rho[1] > 1e-9)


def lagrange_moments(p_poly, kmax):
    """Moments ``m_1..m_kmax`` of the law whose ``psi = zG - 1`` solves ``z psi = P(psi)``.

    Parameters
    ----------
    p_poly : sequence of float
        ``P``, highest degree first, ``P(0) = 1``.
    kmax : int

    Returns
    -------
    ndarray

    Notes
    -----
    With ``w = 1/z``, ``psi = w P(psi)``, and Lagrange inversion gives
    ``m_n = [t^{n-1}] P(t)^n / n`` (book/derivations.md, eq. (alg-lagrange)).
    """
    p = np.asarray(p_poly, dtype=float)[::-1]
    out, power = [], np.array([1.0])
    for n in range(1, int(kmax) + 1):
        power = np.convolve(power, p)
        out.append(power[n - 1] / n)
    return np.array(out)
