"""Free additive and multiplicative convolution by subordination.

`add(mu, nu, ...)` is the law of A + B and `multiply(mu, nu, ...)` the law of
A^(1/2) B A^(1/2) for large asymptotically free matrices A, B with spectral
laws mu, nu (for `multiply`, laws on [0, inf)). Nested calls are flattened, so
the law of a depth-L product costs one solve of L + 1 equations per point.

Method. Additive (Belinschi & Bercovici 2007; Voiculescu): with
F = 1/G, there are subordination functions omega_i with
F(z) = F_i(omega_i(z)) for every factor i and sum_i omega_i = z + (n - 1) F(z).
Multiplicative (Biane 1998; Belinschi & Bercovici 2007): with
eta(z) = 1 - 1/(z G(z)), eta(z) = eta_i(omega_i(z)) and
prod_i omega_i = z eta(z)^(1 - n). The n + 1 equations are solved by Newton's
method at each point, continued in Im z from far above the spectrum down to the
real axis (`rmtlib._numerics.continuation`). Atoms are exact: (mu box-plus nu) has an atom at
a + b iff mu({a}) + nu({b}) > 1, of mass mu({a}) + nu({b}) - 1; (mu box-times nu)
has mass max(mu({0}), nu({0})) at 0 and an atom at ab != 0 iff
mu({a}) + nu({b}) > 1 (Bercovici & Voiculescu; Belinschi). Moments are exact
from the factors' moments (free cumulants add; S-transforms multiply).
"""

from functools import cached_property

import numpy as np

from rmtlib._numerics import continuation as _continuation, series as _series, subordination as _kernels
from rmtlib._numerics import support as _support_search
from rmtlib._numerics.quadrature import adaptive_table
from rmtlib.laws import PointMasses, SpectralLaw

GRID_POINTS = 2049
_ATOM_TOL = 1e-12
#: Mass that the tables may lack before the search for missing components starts
MASS_TOL = 1e-9


def _kernel_arrays(factors):
    kinds, params, locs, wts, offs = [], [], [], [], [0]
    for law in factors:
        spec = law._kernel_spec()
        if spec is None:
            loc, wt = law.discretize()
            spec = (_kernels.DISCRETE, 0.0, 0.0, loc, wt)
        kind, p0, p1, loc, wt = spec
        kinds.append(kind)
        params.append((p0, p1))
        locs.append(np.asarray(loc, dtype=float))
        wts.append(np.asarray(wt, dtype=float))
        offs.append(offs[-1] + len(loc))
    return (
        np.array(kinds, dtype=np.int64),
        np.array(params, dtype=float).reshape(len(factors), 2),
        np.concatenate(locs) if locs else np.zeros(0),
        np.concatenate(wts) if wts else np.zeros(0),
        np.array(offs, dtype=np.int64),
    )


def _extent(law):
    """Smallest interval holding the support and the atoms of a law."""
    points = [e for interval in law.support for e in interval] + [a for a, _ in law.atoms]
    return min(points), max(points)


def _combined_atoms(lists, combine):
    """Atoms at combine(a_1..a_n) where sum_i mu_i({a_i}) - (n - 1) > 0, with that mass.

    ``lists`` holds, for each factor, its atoms as (location, mass) pairs with their own masses
    (never renormalised: the rule needs the masses in the factor's law).
    """
    n = len(lists)
    best = [max((m for _, m in atoms), default=0.0) for atoms in lists]
    found = {}

    def walk(i, chosen, mass):
        if i == n:
            excess = mass - (n - 1)
            if excess > _ATOM_TOL:
                loc = combine(chosen)
                found[loc] = found.get(loc, 0.0) + excess
            return
        rest = sum(best[i + 1 :])
        for a, m in lists[i]:
            if mass + m + rest - (n - 1) > _ATOM_TOL:
                walk(i + 1, chosen + [a], mass + m)

    walk(0, [], 0.0)
    return found


class _FreeConvolution(SpectralLaw):
    """Common machinery of the two free convolutions (not public)."""

    multiplicative = False

    def __init__(self, factors):
        self.factors = tuple(factors)
        self._arrays = _kernel_arrays(self.factors)
        self._means = np.array([law.mean for law in self.factors])
        self._lo, self._hi = self._box()
        self._y_start = 10.0 * max(self._hi - self._lo, abs(self._hi), abs(self._lo), 1e-3)

    def solve(self, x, y):
        """Cauchy transform at x + i y (y >= 0) and the solver status (0 ok, 1 approximate, 2 failed)."""
        x = np.ascontiguousarray(np.ravel(x), dtype=float)
        y = np.ascontiguousarray(np.broadcast_to(np.ravel(y), x.shape), dtype=float)
        order = np.lexsort((x, y))  # neighbours in x (at equal height) continue from each other
        # the continuation starts above the highest point asked for, where G ~ 1/z is accurate
        start = max(self._y_start, 2.0 * float(np.max(y, initial=0.0)))
        g, status = _continuation.solve(x[order], y[order], start, self.multiplicative, self._means, *self._arrays)
        g_out = np.empty_like(g)
        s_out = np.empty_like(status)
        g_out[order] = g
        s_out[order] = status
        return g_out, s_out

    def _stieltjes(self, z):
        z = np.asarray(z, dtype=complex)
        g, status = self.solve(z.real, np.abs(z.imag))
        g = np.where(np.ravel(z.imag) < 0, np.conj(g), g)
        g = np.where(status == 2, np.nan + 0j, g)
        return g.reshape(z.shape)

    def _density(self, x):
        g, status = self.solve(x, np.zeros(np.size(x)))
        d = -g.imag / np.pi
        return np.where(status == 2, np.nan, d).reshape(np.shape(x))

    def _probe(self, x):
        """Density on the real axis and where the solver failed (for the support search)."""
        g, status = self.solve(x, np.zeros(np.size(x)))
        failed = status == 2
        return np.where(failed, 0.0, np.maximum(-g.imag / np.pi, 0.0)), failed

    def _smoothed(self, x, y):
        """-Im G(x + i y) / pi, the density smoothed by the Poisson kernel of width y (NaN: failed)."""
        g, status = self.solve(x, np.full(np.size(x), y))
        return np.where(status == 2, np.nan, -g.imag / np.pi)

    @cached_property
    def _components(self):
        """Support intervals and their quadrature tables, found together.

        A support interval narrower than the grid step can be missed: the mass of the tables is
        checked against the exact continuous mass, and while mass is missing the scale-aware search
        of `rmtlib._numerics.support.find_missing` looks for it (so that ``support``, ``cdf`` and
        the moments agree whatever is asked first, for components of any width).
        """
        intervals, lo, hi = self._support()
        tables = [adaptive_table(a, b, self.density) for a, b in intervals]
        for _ in range(_support_search.MAX_ROUNDS):
            deficit = self.continuous_mass - sum(t.mass for t in tables)
            if deficit <= MASS_TOL:
                break
            nodes = [t.discretize() for t in tables]
            new = _support_search.find_missing(
                self._probe, self._smoothed, intervals, self.atoms,
                np.concatenate([n[0] for n in nodes]) if nodes else np.zeros(0),
                np.concatenate([n[1] for n in nodes]) if nodes else np.zeros(0),
                lo, hi, GRID_POINTS, deficit)
            if not new:
                break
            intervals = sorted(intervals + new)
            tables = [adaptive_table(a, b, self.density) for a, b in intervals]
        return intervals, tables

    @property
    def support(self):
        """Support of the absolutely continuous part, as a list of (low, high) intervals."""
        return list(self._components[0])

    @property
    def _tables(self):
        return self._components[1]

    def _support(self):
        """Intervals found by the grid scan, and the range [lo, hi] of the grid that found them."""
        lo, hi = self._lo, self._hi
        intervals = self._scan(lo, hi)
        if intervals:
            # the a-priori box can be far too wide (products of upper edges): scan again around
            # what was found, so that the grid resolves the support and its gaps
            step = (hi - lo) / (GRID_POINTS - 1)
            lo2 = max(lo, intervals[0][0] - 2 * step)
            hi2 = min(hi, intervals[-1][1] + 2 * step)
            if hi2 - lo2 < 0.5 * (hi - lo):
                intervals = self._scan(lo2, hi2, clamp=(lo2 == lo, hi2 == hi))
                lo, hi = lo2, hi2
        return intervals, lo, hi

    def _scan(self, lo, hi, clamp=(True, True)):
        floor = 1e-12 * (hi - lo) if self.multiplicative and lo == 0.0 else None  # z = 0 is singular
        return _support_search.scan(self._probe, lo, hi, GRID_POINTS, clamp_lo=clamp[0], clamp_hi=clamp[1],
                                    avoid=[a for a, _ in self.atoms], floor=floor)

    def __repr__(self):
        symbol = " [x] " if self.multiplicative else " [+] "
        return "(" + symbol.join(repr(f) for f in self.factors) + ")"


class FreeAdditiveConvolution(_FreeConvolution):
    """The free additive convolution mu_1 [+] ... [+] mu_n (build it with `add`)."""

    multiplicative = False

    def _box(self):
        ext = np.array([_extent(law) for law in self.factors])
        return float(ext[:, 0].sum()), float(ext[:, 1].sum())

    def _atoms(self):
        lists = [list(law.atoms) for law in self.factors]
        return tuple(_combined_atoms(lists, lambda locs: float(np.sum(locs))).items())

    def _moment(self, k):
        order = max(k, 1) + 1
        total = np.zeros(order)
        for law in self.factors:
            total += _series.free_cumulants([law.moment(j) for j in range(order)])
        return float(_series.moments_from_free_cumulants(total)[k])


class FreeMultiplicativeConvolution(_FreeConvolution):
    """The free multiplicative convolution mu_1 [x] ... [x] mu_n of laws on [0, inf) (build it with `multiply`)."""

    multiplicative = True

    def _box(self):
        highs = [_extent(law)[1] for law in self.factors]
        return 0.0, float(np.prod(highs))

    def _atoms(self):
        # Belinschi's rule for atoms away from 0: mu{a} + nu{b} - 1 > 0 gives mass at ab, with the
        # masses the atoms have in their own factor; the atom at 0 has mass max(mu{0}, nu{0}).
        lists = [[(a, m) for a, m in law.atoms if a != 0.0] for law in self.factors]
        atoms = _combined_atoms(lists, lambda locs: float(np.prod(locs)))
        atoms.pop(0.0, None)
        zero = max(law.atom_mass(0.0) for law in self.factors)
        if zero > 0.0:
            atoms[0.0] = zero
        return tuple(atoms.items())

    def _moment(self, k):
        order = max(k, 1) + 1
        product = np.zeros(order)
        product[0] = 1.0
        for law in self.factors:
            product = _series.mul(product, _series.s_transform([law.moment(j) for j in range(order)]))
        return float(_series.moments_from_s_transform(product)[k])


def _check_laws(laws, names):
    for law, name in zip(laws, names):
        if not isinstance(law, SpectralLaw):
            raise TypeError(f"{name} must be a SpectralLaw, got {type(law).__name__}")


def _dirac(law):
    """The location of a law that is a single point mass, else None."""
    atoms = law.atoms
    if len(atoms) == 1 and atoms[0][1] >= 1.0 - 1e-15 and not law.support:
        return atoms[0][0]
    return None


def _flatten(laws, cls):
    out = []
    for law in laws:
        out.extend(law.factors if isinstance(law, cls) else [law])
    return out


def _names(n):
    return ["mu", "nu"] + [f"more[{i}]" for i in range(n - 2)]


def add(mu, nu, *more):
    """Free additive convolution mu [+] nu [+] ... (the law of a sum of free matrices).

    Parameters
    ----------
    mu, nu, *more : SpectralLaw

    Returns
    -------
    SpectralLaw
        A `FreeAdditiveConvolution` (nested ones are flattened), or the point mass at the sum
        when every factor is a point mass.

    Notes
    -----
    Solves F(z) = F_i(omega_i(z)), sum_i omega_i(z) = z + (n - 1) F(z)
    (Belinschi & Bercovici 2007, subordination); atoms by Bercovici & Voiculescu.
    """
    laws = (mu, nu) + more
    _check_laws(laws, _names(len(laws)))
    factors = _flatten(laws, FreeAdditiveConvolution)
    diracs = [_dirac(law) for law in factors]
    if all(d is not None for d in diracs):  # a sum of point masses is the point mass at the sum
        return PointMasses([float(np.sum(diracs))])
    return FreeAdditiveConvolution(factors)


def multiply(mu, nu, *more):
    """Free multiplicative convolution mu [x] nu [x] ... of laws on [0, inf).

    Parameters
    ----------
    mu, nu, *more : SpectralLaw
        Laws supported on [0, inf).

    Returns
    -------
    SpectralLaw
        A `FreeMultiplicativeConvolution` (nested ones are flattened), or the
        point mass at 0 when a factor is that point mass, or the point mass at the product when
        every factor is a point mass.

    Notes
    -----
    Solves eta(z) = eta_i(omega_i(z)), prod_i omega_i(z) = z eta(z)^(1 - n) with
    eta(z) = 1 - 1/(z G(z)) (Biane 1998; Belinschi & Bercovici 2007).
    """
    laws = (mu, nu) + more
    names = _names(len(laws))
    _check_laws(laws, names)
    for law, name in zip(laws, names):
        low = _extent(law)[0]
        if low < -1e-12 * max(1.0, abs(_extent(law)[1])):
            raise ValueError(f"{name} must be supported on [0, inf) for free.multiply; its support starts at {low:g}")
    factors = _flatten(laws, FreeMultiplicativeConvolution)
    if any(law.atom_mass(0.0) >= 1.0 - 1e-15 for law in factors):
        return PointMasses([0.0])
    diracs = [_dirac(law) for law in factors]
    if all(d is not None for d in diracs):  # a product of point masses is the point mass at the product
        return PointMasses([float(np.prod(diracs))])
    return FreeMultiplicativeConvolution(factors)
