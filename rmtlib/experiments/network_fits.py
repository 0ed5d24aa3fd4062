"""A held-out comparison of spectral families with the curvature spectra of trained networks.

Protocol (a construction of this book, not Granziol's, whose fitting procedure was not read; see
book/derivations.md, eq. (net-heldout)): the training seeds are split in two folds; each family is
fitted to the pooled spectra of one fold by minimum Kolmogorov-Smirnov distance (atom included)
over a parameter grid, and evaluated on every spectrum of the other fold, so that every seed is
held out once. On a held-out spectrum three numbers are reported: the full KS distance, the
atom error ``|zero fraction - family atom at 0|`` and the KS distance of the non-zero eigenvalues
to the family's continuous part (the split form). The reference "law" is the empirical spectrum of
the other fold (pooled): a family is judged against what any law fitted to these networks could
reach. Families and free parameters (matched in pairs): semicircle 2 (centre, radius) and
semicircle + atom 3; Marchenko-Pastur 2 (ratio, scale) and MP + free atom 3; Wishart chain 3
(``c_1, c_2``, scale); shifted MP 3 (ratio, scale, shift: two-sided); Wigner x Wishart sandwich 3
(ratio, scale, centre) and percolated Wigner 3 (mean degree, scale, centre; its law is one Monte
Carlo draw), matched with the semicircle + atom. A shift or centre moves the continuous part only;
the atom stays at 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rmtlib import spectra
from rmtlib._numerics import validate as _validate
from rmtlib.experiments import fitting
from rmtlib.laws import PointMasses
from rmtlib.models import percolation as perc
from rmtlib.models import products as prod

__all__ = ["FAMILIES", "Table", "family_tables", "fit_family", "heldout_comparison"]

FAMILIES = {"semicircle": 2, "semicircle_atom": 3, "marchenko_pastur": 2, "mp_atom": 3, "wishart_chain": 3,
            "shifted_mp": 3, "sandwich": 3, "percolated_wigner": 3}
"""Family -> number of free parameters."""

_ATOMS = np.linspace(0.0, 0.9, 19)        # grid of a free atom weight
_MP_C = np.logspace(-1, np.log10(20), 16)
_SANDWICH_C = (0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0)
_DEGREES = (0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0)


@dataclass(frozen=True)
class Table:
    """A law ``atom delta_0 + (1 - atom) nu``, ``nu`` tabulated by its CDF ``f`` on ``x`` (ascending)."""

    x: np.ndarray
    f: np.ndarray
    atom: float

    def continuous(self, data, scale, shift=0.0):
        """CDF of ``nu`` pushed forward by ``t -> scale t + shift``, at ``data``."""
        return np.interp((np.asarray(data, float) - shift) / scale, self.x, self.f, left=0.0, right=1.0)

    def density(self, grid, scale, shift=0.0):
        """Density of ``nu`` pushed forward (numerical derivative of the table), at ``grid``."""
        xs = (np.asarray(grid, float) - shift) / scale
        x, last = np.unique(self.x[::-1], return_index=True)  # tied nodes (a sample's table): keep the top of each step
        if x.size < 2:
            return np.zeros_like(xs)
        f = self.f[::-1][last]
        return np.interp(xs, x, np.gradient(f, x), left=0.0, right=0.0) / scale


def _from_law(law, lo, hi, n=800):
    x = np.linspace(lo, hi, n)
    f = np.asarray(law.continuous_cdf(x), float)
    return Table(x, (f - f[0]) / (f[-1] - f[0]), float(law.atom_mass(0.0)))


def _chain(*ratios):
    tab = fitting.chain_table(list(ratios))
    return Table(tab.x, tab.f, tab.atom)


def _from_sample(ev, rtol=1e-9):
    ev = np.sort(ev)
    zero = np.abs(ev) < rtol * np.max(np.abs(ev))
    rest = ev[~zero]
    return Table(rest, np.arange(1, rest.size + 1) / rest.size, float(zero.mean()))


def family_tables(*, perc_size, rng):
    """The shape tables of every family (:data:`rmtlib.experiments.network_fits.FAMILIES`), on their grids (book/derivations.md, eq. (net-heldout))."""
    gen = _validate.as_generator(rng)
    t = np.linspace(-1.0, 1.0, 801)
    semicircle = Table(t, 0.5 + (t * np.sqrt(1 - t * t) + np.arcsin(t)) / np.pi, 0.0)
    mp = {(float(c),): _chain(c) for c in _MP_C}
    chain = {(a, b): _chain(a, b) for a in fitting.CHAIN_C1 for b in fitting.CHAIN_C2}
    sandwich = {}
    for c in _SANDWICH_C:
        law = prod.sandwich_law(c)
        lo, hi = law.support[0]
        sandwich[(c,)] = _from_law(law, lo, hi)
    perc_w = {(c,): _from_sample(np.linalg.eigvalsh(perc.sample_sparse_wigner(int(perc_size), c, rng=gen)))
              for c in _DEGREES}
    return {"semicircle": {(): semicircle}, "semicircle_atom": {(): semicircle}, "marchenko_pastur": mp,
            "mp_atom": mp, "wishart_chain": chain, "shifted_mp": {k: v for k, v in mp.items() if k[0] <= 1.0},
            "sandwich": sandwich, "percolated_wigner": perc_w}


def _grids(family, data):
    """Scale and shift grids of a family for ``data`` (its spread and centre)."""
    mu, sd = float(np.mean(data)), float(np.std(data))
    if family.startswith("semicircle") or family in ("sandwich", "percolated_wigner"):
        return sd * np.logspace(-1.5, 0.7, 30), np.linspace(mu - sd, mu + sd, 21)
    pos = np.abs(data[data != 0])
    scales = np.median(pos) * np.logspace(-1.5, 1.5, 40)
    if family == "shifted_mp":
        return np.median(pos) * np.logspace(-1.5, 1.5, 25), -np.quantile(pos, [0.0, 0.5]).mean() * np.linspace(0, 2, 11)
    return scales, np.zeros(1)


def _ks(data, upper, lower, cont, atoms):
    """Full KS of sorted ``data`` against ``w delta_0 + (1 - w) cont`` for every ``w`` in ``atoms``: an array."""
    w = np.asarray(atoms, float)[:, None]
    f = w * (data >= 0) + (1 - w) * cont
    f_left = f - w * (data == 0)
    return np.maximum(np.max(np.abs(upper - f), axis=1), np.max(np.abs(lower - f_left), axis=1))


def fit_family(family, data, tables):
    """Minimum full KS of one family on a prepared (sorted, zeros snapped) pooled spectrum.

    Returns
    -------
    dict
        ``shape`` (table key), ``scale``, ``shift``, ``atom`` (mass at 0) and ``ks`` (the minimum).
    """
    data = np.sort(np.asarray(data, float))
    n = data.size
    upper, lower = np.searchsorted(data, data, "right") / n, np.searchsorted(data, data, "left") / n
    scales, shifts = _grids(family, data)
    best = {"ks": np.inf}
    for key, tab in tables[family].items():
        atoms = _ATOMS if family.endswith("atom") else [0.0 if family == "shifted_mp" else tab.atom]
        for s in scales:
            for m in shifts:
                ks = _ks(data, upper, lower, tab.continuous(data, s, m), atoms)
                j = int(np.argmin(ks))
                if ks[j] < best["ks"]:
                    best = {"ks": float(ks[j]), "shape": key, "scale": float(s), "shift": float(m),
                            "atom": float(atoms[j])}
    return best


def _evaluate(fit, tab, data):
    """Held-out full KS, atom error and continuous (split) KS of a fitted family on one prepared spectrum."""
    data = np.sort(data)
    n = data.size
    upper, lower = np.searchsorted(data, data, "right") / n, np.searchsorted(data, data, "left") / n
    full = float(_ks(data, upper, lower, tab.continuous(data, fit["scale"], fit["shift"]), [fit["atom"]])[0])
    rest = data[data != 0]
    cont = spectra.ks_statistic(rest, tab.continuous(rest, fit["scale"], fit["shift"]))
    return full, abs(float(np.mean(data == 0)) - fit["atom"]), cont


def heldout_comparison(spectra_by_seed, tables, *, n_outliers):
    """Two-fold held-out comparison of every family with the spectra of independent training seeds.

    Parameters
    ----------
    spectra_by_seed : list of ndarray
        One exact spectrum per training seed (at least 4).
    tables : dict
        From :func:`rmtlib.experiments.network_fits.family_tables`.
    n_outliers : int
        Largest eigenvalues dropped from each spectrum (:func:`rmtlib.experiments.fitting.prepare_spectrum`).

    Returns
    -------
    dict
        ``heldout[family]``: arrays over seeds of ``full``, ``atom_err`` and ``continuous`` KS;
        ``pool``: the full KS of each held-out spectrum against the other fold's pooled spectrum;
        ``fits[family]``: the two folds' fitted parameters; ``zero``: zero fraction per seed.
    """
    prepared = [fitting.prepare_spectrum(ev, n_outliers=n_outliers) for ev in spectra_by_seed]
    m = _validate.integer("number of seeds", len(prepared), low=4)
    folds = [np.arange(0, m, 2), np.arange(1, m, 2)]
    out = {"heldout": {f: {k: np.zeros(m) for k in ("full", "atom_err", "continuous")} for f in FAMILIES},
           "pool": np.zeros(m), "fits": {f: [] for f in FAMILIES},
           "zero": np.array([float(np.mean(p == 0)) for p in prepared])}
    for train, test in (folds, folds[::-1]):
        pool = np.sort(np.concatenate([prepared[i] for i in train]))
        for family in FAMILIES:
            fit = fit_family(family, pool, tables)
            out["fits"][family].append(fit)
            for i in test:
                row = _evaluate(fit, tables[family][fit["shape"]], prepared[i])
                for k, v in zip(("full", "atom_err", "continuous"), row):
                    out["heldout"][family][k][i] = v
        for i in test:
            out["pool"][i] = spectra.discrete_cdf_distance(PointMasses(pool), prepared[i])
    return out
