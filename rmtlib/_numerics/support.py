"""Support of a law known through its Stieltjes transform: a grid scan and a scale-aware search for
narrow components (private; used by `rmtlib.free`).

`scan` finds the intervals where the density is positive on a grid and refines their edges by
bisection. A component narrower than the grid step falls between the grid points; `find_missing`
finds it from the mass that the tables of the found intervals lack. The Poisson-smoothed density
-Im G(x + i y) / pi at a height y of the grid step is compared with the same smoothing of what is
known (the atoms, and the found intervals through their quadrature nodes): a missing component of
mass m shows up as an excess ~ m / (pi y) at its location whatever its width. Each excess is then
followed down in scale, y divided by 32 at a time on a window of a few y around the peak, until the
density on the real axis is positive on the window's grid, where `scan` finds the component and its
edges. Widths down to 1e-14 of the spread are reached in at most 10 levels of 257 points each.
"""

import numpy as np

WINDOW_POINTS = 257
ZOOM = 32.0
MAX_LEVELS = 10
MAX_ROUNDS = 6
MAX_PEAKS = 8
_EPS = np.finfo(float).eps


def scan(probe, lo, hi, points, *, clamp_lo=True, clamp_hi=True, avoid=(), floor=None):
    """Intervals where the density is positive, from a grid on [lo, hi] refined by bisection.

    Parameters
    ----------
    probe : callable
        x -> (density, failed): the density on the real axis and where the solver failed.
    lo, hi : float
        The grid's range.
    points : int
        Grid points.
    clamp_lo, clamp_hi : bool
        An interval that reaches the first (last) grid point ends at lo (hi), a bound of the support;
        otherwise at that grid point (callers widen the grid).
    avoid : sequence of float
        Atom locations: grid points are moved off them.
    floor : float, optional
        Smallest x (products: 0 is a singular point of the equations, the grid starts above it).

    Returns
    -------
    list of (low, high)
    """
    width = hi - lo
    xs = np.linspace(lo, hi, points)
    if floor is not None:
        xs[0] = max(xs[0], floor)
    atoms = np.asarray(avoid, dtype=float)
    if atoms.size:  # keep grid points off the atoms
        near = np.min(np.abs(xs[:, None] - atoms[None, :]), axis=1) < 1e-9 * width
        xs = np.where(near, xs + 1e-7 * width, xs)
    d, failed = probe(xs)
    # above the solver's rounding noise, relative to the density's own size
    positive = d[(d > 0) & ~failed]
    typical = float(np.median(positive)) if positive.size else 0.0
    threshold = max(1e-10 / width, 1e-11 * typical)
    inside = (d > threshold) & ~failed
    inside = _bridge(inside, failed)
    if not inside.any():
        return []
    starts = np.flatnonzero(inside & ~np.r_[False, inside[:-1]])
    ends = np.flatnonzero(inside & ~np.r_[inside[1:], False])
    left = _refine(probe, xs[np.maximum(starts - 1, 0)], xs[starts], threshold)
    right = _refine(probe, xs[np.minimum(ends + 1, xs.size - 1)], xs[ends], threshold)
    left = np.where(starts == 0, lo if clamp_lo else xs[0], left)
    right = np.where(ends == xs.size - 1, hi if clamp_hi else xs[-1], right)
    # an interval of a few rounding units cannot be resolved (solver noise at a far edge): dropped
    return [(float(a), float(b)) for a, b in zip(left, right) if b - a > 64 * _EPS * max(abs(a), abs(b))]


def _bridge(inside, failed):
    """Count a run of failed points as inside when its nearest good neighbours on both sides are.

    The solver fails where G is degenerate, e.g. at a cusp of the density inside the support; an
    isolated failure between points outside stays outside.
    """
    if not failed.any():
        return inside
    idx = np.arange(inside.size)
    good = ~failed
    last = np.maximum.accumulate(np.where(good, idx, -1))
    nxt = np.minimum.accumulate(np.where(good, idx, inside.size)[::-1])[::-1]
    left_in = np.where(last >= 0, inside[np.clip(last, 0, None)], False)
    right_in = np.where(nxt < inside.size, inside[np.clip(nxt, None, inside.size - 1)], False)
    return inside | (failed & left_in & right_in)


def _refine(probe, outside, inside, threshold):
    """Bisection for the edge between an outside and an inside grid point."""
    outside, inside = outside.copy(), inside.copy()
    for _ in range(60):
        mid = 0.5 * (outside + inside)
        d, failed = probe(mid)
        is_in = (d > threshold) & ~failed
        inside = np.where(is_in, mid, inside)
        outside = np.where(is_in, outside, mid)
    return 0.5 * (outside + inside)


def smoothed_known(x, y, atoms, nodes, weights):
    """The Poisson smoothing at height y of the atoms and of the known density (its quadrature nodes)."""
    x = np.asarray(x, dtype=float)
    out = np.zeros_like(x)
    for locs, masses in ((np.array([a for a, _ in atoms]), np.array([m for _, m in atoms])), (nodes, weights)):
        if np.size(locs) == 0:
            continue
        for start in range(0, x.size, 128):
            chunk = x[start:start + 128]
            out[start:start + 128] += (masses[None, :] * (y / np.pi)
                                       / ((chunk[:, None] - locs[None, :]) ** 2 + y * y)).sum(axis=1)
    return out


def _outside(x, intervals):
    out = np.ones(np.shape(x), dtype=bool)
    for a, b in intervals:
        out &= (x < a) | (x > b)
    return out


def _gap(x, intervals, lo, hi):
    """The largest interval around x (within [lo, hi]) that meets no known interval."""
    left, right = lo, hi
    for a, b in intervals:
        if b < x:
            left = max(left, b)
        elif a > x:
            right = min(right, a)
    return left, right


def find_missing(probe, smoothed, known, atoms, nodes, weights, lo, hi, points, deficit):
    """Components that the grid scan missed: one round of the scale-aware search.

    Parameters
    ----------
    probe : callable
        x -> (density, failed) on the real axis.
    smoothed : callable
        (x, y) -> -Im G(x + i y) / pi (NaN where the solver failed).
    known : list of (low, high)
        Intervals found so far.
    atoms : sequence of (location, mass)
    nodes, weights : arrays
        Quadrature discretization of the known intervals' density.
    lo, hi, points : the grid of the scan.
    deficit : float
        The mass the known intervals lack.

    Returns
    -------
    list of (low, high)
        New intervals (disjoint from ``known``), empty when nothing was found.
    """
    step = (hi - lo) / (points - 1)
    y = 2.0 * step
    xs = np.linspace(lo, hi, points)
    excess = smoothed(xs, y) - smoothed_known(xs, y, atoms, nodes, weights)
    level = max(0.05 * deficit / (np.pi * y), 1e-300)
    cand = np.isfinite(excess) & (excess > level) & _outside(xs, known)
    if not cand.any():
        return []
    starts = np.flatnonzero(cand & ~np.r_[False, cand[:-1]])
    ends = np.flatnonzero(cand & ~np.r_[cand[1:], False])
    peaks = [s + int(np.argmax(excess[s:e + 1])) for s, e in zip(starts, ends)]
    peaks = sorted(peaks, key=lambda j: -excess[j])[:MAX_PEAKS]
    found = []
    spread = hi - lo
    for j in peaks:
        if not _outside(np.array([xs[j]]), found)[0]:
            continue
        found.extend(_zoom(probe, smoothed, known + found, atoms, nodes, weights, xs[j], y, lo, hi, spread))
    return sorted(found)


def _zoom(probe, smoothed, known, atoms, nodes, weights, xc, y, lo, hi, spread):
    """Follow one excess of the smoothed density down in scale until the real axis shows it."""
    gap_lo, gap_hi = _gap(xc, known, lo, hi)
    for _ in range(MAX_LEVELS):
        a, b = max(gap_lo, xc - 4.0 * y), min(gap_hi, xc + 4.0 * y)
        if not b > a:
            return []
        for _widen in range(4):
            found = scan(probe, a, b, WINDOW_POINTS, clamp_lo=a == gap_lo, clamp_hi=b == gap_hi)
            grow_lo = bool(found) and found[0][0] <= a and a > gap_lo
            grow_hi = bool(found) and found[-1][1] >= b and b < gap_hi
            if not (grow_lo or grow_hi):
                break
            w = b - a
            a, b = (max(gap_lo, a - 2.0 * w) if grow_lo else a), (min(gap_hi, b + 2.0 * w) if grow_hi else b)
        found = [iv for iv in found if _outside(np.array([0.5 * (iv[0] + iv[1])]), known)[0]]
        if found:
            return found
        y /= ZOOM
        if y < 1e-14 * spread:
            return []
        xs = np.linspace(a, b, WINDOW_POINTS)
        excess = smoothed(xs, y) - smoothed_known(xs, y, atoms, nodes, weights)
        if not np.isfinite(excess).any():
            return []
        xc = float(xs[np.nanargmax(excess)])
    return []
