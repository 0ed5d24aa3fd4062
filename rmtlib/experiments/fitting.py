"""Fit spectral families to an observed spectrum by one protocol: minimum KS over a grid.

Protocol (a construction of this book, not Granziol's procedure, which was not read; see
book/derivations.md, eq. (prod-min-ks)): drop the top outliers, snap ``|lambda| < rtol lambda_max`` to 0, then for
each family minimise the Kolmogorov-Smirnov distance between the empirical CDF and the family's
CDF **with its atom included** over a parameter grid. Including the atom is deliberate here: the
question is which family describes the whole spectrum, atom at 0 and all, and the KS distance is
invariant under monotone reparametrisation of the axis. Families and free parameters:
semicircle 2 (centre, radius), Marchenko-Pastur 2 (ratio, scale), Wishart chain 3 (``c_1, c_2``,
scale), percolated Wishart 3 (``N/M``, row degree, scale; its law is one Monte Carlo draw).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rmtlib._numerics import validate as _validate
from rmtlib.models import percolation as _perc
from rmtlib.models import products as _prod

__all__ = [
    "FitResult",
    "TabulatedCDF",
    "chain_table",
    "empirical_table",
    "family_tables",
    "fit_all",
    "fit_scaled_family",
    "fit_semicircle",
    "ks_full",
    "percolated_wishart_tables",
    "prepare_spectrum",
]


@dataclass(frozen=True)
class FitResult:
    """Best fit of one family: ``ks`` (minimum KS), ``params`` (dict), ``n_params``."""

    family: str
    ks: float
    params: dict
    n_params: int


def prepare_spectrum(eigenvalues, *, n_outliers=10, rtol=1e-9):
    """Sort, drop the ``n_outliers`` largest eigenvalues, snap ``|lambda| < rtol max|lambda|`` to 0."""
    ev = np.sort(_validate.real_array("eigenvalues", eigenvalues))
    n_outliers = _validate.integer("n_outliers", n_outliers, low=0, high=ev.size - 2)
    scale = np.max(np.abs(ev))
    ev = np.where(np.abs(ev) < rtol * scale, 0.0, ev)
    return ev[: ev.size - n_outliers]


def ks_full(data, cdf, *, atom_at_zero=0.0):
    """KS distance between sorted ``data`` (ties allowed) and a CDF with an optional atom at 0.

    Parameters
    ----------
    data : ndarray
        Sorted sample.
    cdf : callable
        Right-continuous CDF, vectorized.
    atom_at_zero : float
        Mass of the law's atom at 0 (to form the left limit ``F(0-)``).

    Returns
    -------
    float
        ``sup_x |F_n(x) - F(x)|`` over both one-sided limits at every data point.

    Notes
    -----
    The atom is part of the law here (book/derivations.md, eq. (prod-min-ks)): both the upper limits
    ``F_n(x)`` against ``F(x)`` and the lower limits ``F_n(x-)`` against ``F(x-)`` are compared.
    """
    n = data.size
    f = cdf(data)
    f_left = f - atom_at_zero * (data == 0)
    upper = np.searchsorted(data, data, side="right") / n
    lower = np.searchsorted(data, data, side="left") / n
    return float(max(np.max(np.abs(upper - f)), np.max(np.abs(lower - f_left))))


@dataclass(frozen=True)
class TabulatedCDF:
    """A law on ``[0, inf)`` given by an atom at 0 and a tabulated continuous CDF."""

    x: np.ndarray
    f: np.ndarray      # continuous part, renormalised to 1
    atom: float

    def cdf(self, x, scale=1.0):
        """CDF of the law scaled by ``scale`` (atoms included, right-continuous)."""
        x = np.asarray(x, dtype=float) / scale
        return self.atom * (x >= 0) + (1 - self.atom) * np.interp(x, self.x, self.f, left=0.0, right=1.0)


def chain_table(ratios, *, n=600, steps=160):
    """Tabulate the Wishart-chain law (``MP`` for one ratio) from the polynomial oracle."""
    lo, hi = _prod.chain_edges(ratios)
    u = np.linspace(0.0, np.pi, n)
    x = lo + (hi - lo) * (1 - np.cos(u)) / 2
    if lo == 0.0:
        x = np.union1d(x, np.geomspace(1e-12 * hi, 0.05 * hi, n // 2))
    x = x[(x > 0) & (x < hi)]
    rho = np.maximum(-np.imag(_prod.chain_stieltjes(x, ratios, steps=steps)) / np.pi, 0.0)
    xs = np.concatenate([[lo], x, [hi]])
    rs = np.concatenate([[0.0], rho, [0.0]])
    f = np.concatenate([[0.0], np.cumsum(0.5 * (rs[1:] + rs[:-1]) * np.diff(xs))])
    atom = 1.0 - min(1.0, float(np.min(1.0 / np.asarray(ratios, dtype=float))))
    return TabulatedCDF(xs, f / f[-1], atom)


def empirical_table(eigenvalues, *, rtol=1e-9):
    """A :class:`TabulatedCDF` from one Monte Carlo spectrum (exact zeros form the atom)."""
    ev = np.sort(np.asarray(eigenvalues, dtype=float))
    zero = np.abs(ev) < rtol * np.max(np.abs(ev))
    pos = ev[~zero]
    return TabulatedCDF(pos, np.arange(1, pos.size + 1) / pos.size, float(zero.mean()))


def _sc_cdf(x, centre, radius):
    t = np.clip((x - centre) / radius, -1.0, 1.0)
    return 0.5 + (t * np.sqrt(1 - t * t) + np.arcsin(t)) / np.pi


def fit_semicircle(data, *, n_centre=41, n_radius=45):
    """Minimum-KS semicircle: centre in mean +- sd, radius in ``sd * [10^-1.5, 10^0.7]``."""
    mu, sd = float(np.mean(data)), float(np.std(data))
    best = (np.inf, None)
    for c in np.linspace(mu - sd, mu + sd, n_centre):
        for r in sd * np.logspace(-1.5, 0.7, n_radius):
            ks = ks_full(data, lambda x, c=c, r=r: _sc_cdf(x, c, r))
            if ks < best[0]:
                best = (ks, {"centre": float(c), "radius": float(r)})
    return FitResult("semicircle", best[0], best[1], 2)


def fit_scaled_family(data, tables, *, family, n_scales=61):
    """Minimum-KS fit over ``tables`` (dict: shape parameters -> TabulatedCDF) times a scale grid.

    The scale grid is the median of the positive eigenvalues times ``10^[-1.5, 1.5]``.
    """
    pos = data[data > 0]
    scales = np.median(pos) * np.logspace(-1.5, 1.5, n_scales)
    best = (np.inf, None)
    for key, tab in tables.items():
        for s in scales:
            ks = ks_full(data, lambda x, tab=tab, s=s: tab.cdf(x, s), atom_at_zero=tab.atom)
            if ks < best[0]:
                best = (ks, {"shape": key, "scale": float(s)})
    return FitResult(family, best[0], best[1], len(next(iter(tables))) + 1)


def percolated_wishart_tables(n_params, ratios, degrees, *, rng):
    """Monte Carlo laws of the percolated Wishart family, one draw each (``N = n_params``)."""
    seeds = np.random.SeedSequence(_validate.as_generator(rng).integers(2**31)).spawn(
        len(ratios) * len(degrees))
    out, k = {}, 0
    for r in ratios:
        for deg in degrees:
            m = max(2, round(n_params / r))
            ev = _perc.sample_sparse_wishart(n_params, m, min(1.0, deg / m), rng=np.random.default_rng(seeds[k]))
            out[(float(r), float(deg))] = empirical_table(ev)
            k += 1
    return out


CHAIN_C1 = (0.25, 0.5, 1.0, 1.1, 1.25, 1.5, 2.0, 3.0)
CHAIN_C2 = (0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0)
PERC_RATIOS = (0.5, 1.0, 2.0)
PERC_DEGREES = (1.0, 2.0, 3.0, 5.0, 8.0)


def family_tables(*, perc_size, rng, mp_ratios=None, chain_c1=CHAIN_C1, chain_c2=CHAIN_C2,
                  perc_ratios=PERC_RATIOS, perc_degrees=PERC_DEGREES):
    """CDF tables of the positive families on their shape grids (the grids of book/derivations.md, eq. (prod-min-ks)).

    Returns
    -------
    dict
        ``{"marchenko_pastur": {...}, "wishart_chain": {...}, "percolated_wishart": {...}}``, each
        mapping a shape tuple to a :class:`TabulatedCDF`.
    """
    if mp_ratios is None:
        mp_ratios = np.logspace(-1, np.log10(20), 24)
    return {
        "marchenko_pastur": {(float(c),): chain_table([c]) for c in mp_ratios},
        "wishart_chain": {(float(a), float(b)): chain_table([a, b]) for a in chain_c1 for b in chain_c2},
        "percolated_wishart": percolated_wishart_tables(perc_size, perc_ratios, perc_degrees, rng=rng),
    }


def fit_all(data, tables):
    """Fit the semicircle and every family of ``tables`` to ``data`` (from :func:`prepare_spectrum`)."""
    return [fit_semicircle(data)] + [fit_scaled_family(data, t, family=name) for name, t in tables.items()]


