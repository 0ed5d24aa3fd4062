"""The law of g(Z) for Z standard normal, by quadrature split at the kinks of g.

Used for the law of phi'(h)^2, h ~ N(0, q), in the Jacobian of a network
(Pennington, Schoenholz & Ganguli 2017). Plain Gauss-Hermite quadrature loses
accuracy at the kinks of ReLU-like functions, so the real line is cut at the
kinks; on a piece where g is constant the law has an atom of mass
Phi(right) - Phi(left), and on the other pieces composite Gauss-Legendre
quadrature (panels of width `panel_width`, truncated at |z| = `z_max`, where the
Gaussian tail is below 1e-17) gives the moments and the discrete measure that
`rmtlib.free` convolves.
"""

import numpy as np
from scipy import special

from rmtlib._numerics import gauss as _gauss, subordination as _kernels, validate as _validate
from rmtlib.spectral_law import SpectralLaw

_GRID_PER_SEGMENT = 4096


def _phi_cdf(z):
    return special.ndtr(z)


class GaussianPushforward(SpectralLaw):
    """The law of g(Z), Z ~ N(0, 1), with atoms where g is constant on an interval.

    Parameters
    ----------
    g : callable
        Vectorized real function.
    kinks : sequence of float
        Points where g is not smooth (the quadrature is split there).
    z_max : float
        Truncation of the Gaussian integral, in [5, 40] (tail mass 2 (1 - Phi(z_max)) < 1e-6).
    panel_width : float
        Width of the Gauss-Legendre panels.
    nodes_per_panel : int
        Gauss-Legendre nodes per panel.

    Notes
    -----
    E f(g(Z)) = sum over pieces [k_i, k_{i+1}] of integral f(g(z)) phi(z) dz, each
    by composite Gauss-Legendre; pieces where g is constant are atoms. The
    Stieltjes transform is that of the resulting discrete measure, accurate off
    the real axis; the density and CDF are computed from the level sets
    {z : g(z) = x} (density sum phi(z) / |g'(z)|, g' by central differences).
    """

    def __init__(self, g, *, kinks=(), z_max=8.5, panel_width=0.5, nodes_per_panel=16):
        if not callable(g):
            raise TypeError("g must be a vectorized callable")
        self.g = g
        self.z_max = _validate.real("z_max", z_max, low=5.0, high=40.0)  # tail mass 2 (1 - Phi(5)) < 1e-6
        panel_width = _validate.positive("panel_width", panel_width)
        nodes_per_panel = _validate.integer("nodes_per_panel", nodes_per_panel, low=2, high=200)
        kinks = sorted(float(k) for k in _validate.real_array("kinks", kinks, ndim=None).ravel())
        self.kinks = tuple(kinks)
        inner = [k for k in kinks if -self.z_max < k < self.z_max]
        bounds = [-np.inf] + inner + [np.inf]
        atom_values, atom_masses, nodes, weights, grids = [], [], [], [], []
        for left, right in zip(bounds[:-1], bounds[1:]):
            lo, hi = max(left, -self.z_max), min(right, self.z_max)
            if hi <= lo:
                continue
            probe = np.asarray(g(np.linspace(lo, hi, 67)[1:-1]), dtype=float)
            if not np.all(np.isfinite(probe)):
                raise ValueError("g must be finite on the real line")
            if np.ptp(probe) <= 1e-12 * max(1.0, np.max(np.abs(probe))):
                atom_values.append(float(np.mean(probe)))
                atom_masses.append(float(_phi_cdf(right) - _phi_cdf(left)))
                continue
            n_panels = max(1, int(np.ceil((hi - lo) / panel_width)))
            z, w = _gauss.panel_nodes(np.linspace(lo, hi, n_panels + 1), nodes_per_panel)
            nodes.append(z)
            weights.append(w)
            grids.append(np.linspace(lo, hi, _GRID_PER_SEGMENT + 1))
        self._atom_list = self._merge(atom_values, atom_masses)
        z = np.concatenate(nodes) if nodes else np.zeros(0)
        w = np.concatenate(weights) if weights else np.zeros(0)
        total = w.sum() + sum(m for _, m in self._atom_list)
        self._node_values = np.asarray(g(z), dtype=float) if z.size else np.zeros(0)
        self._node_weights = w / total
        self._grids = grids
        self._grid_values = [np.asarray(g(grid), dtype=float) for grid in grids]

    @staticmethod
    def _merge(values, masses):
        merged = {}
        for v, m in zip(values, masses):
            key = round(v, 12)
            merged[key] = merged.get(key, 0.0) + m
        return tuple(sorted(merged.items()))

    def _atoms(self):
        return self._atom_list

    def _support(self):
        intervals = sorted((float(v.min()), float(v.max())) for v in self._grid_values)
        merged = []
        for a, b in intervals:
            if merged and a <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
            else:
                merged.append((a, b))
        return merged

    def _discrete(self):
        locs = np.concatenate([[a for a, _ in self._atom_list], self._node_values])
        wts = np.concatenate([[m for _, m in self._atom_list], self._node_weights])
        return locs, wts

    def _stieltjes(self, z):
        locs, wts = self._discrete()
        z = np.asarray(z, dtype=complex)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.sum(wts / (z[..., None] - locs), axis=-1)

    def _moment(self, k):
        locs, wts = self._discrete()
        return float(np.sum(wts * locs**k))

    def _kernel_spec(self):
        locs, wts = self._discrete()
        return (_kernels.DISCRETE, 0.0, 0.0, locs, wts)

    def _crossings(self, x, grid, values):
        """Cells of `grid` where g - x changes sign, with the crossing point refined by bisection."""
        below = values[None, :] <= x[:, None]
        change = below[:, 1:] != below[:, :-1]
        rows, cells = np.nonzero(change)
        lo, hi = grid[cells].copy(), grid[cells + 1].copy()
        target = x[rows]
        left_below = below[rows, cells]
        for _ in range(52):
            mid = 0.5 * (lo + hi)
            mid_below = np.asarray(self.g(mid), dtype=float) <= target
            move_lo = mid_below == left_below
            lo = np.where(move_lo, mid, lo)
            hi = np.where(move_lo, hi, mid)
        return rows, cells, 0.5 * (lo + hi), below

    def _density(self, x):
        x = np.asarray(x, dtype=float)
        out = np.zeros(x.size)
        for start in range(0, x.size, 256):
            block = x[start : start + 256]
            for grid, values in zip(self._grids, self._grid_values):
                rows, _, roots, _ = self._crossings(block, grid, values)
                h = 1e-6 * np.maximum(1.0, np.abs(roots))
                slope = (np.asarray(self.g(roots + h), dtype=float) - np.asarray(self.g(roots - h), dtype=float)) / (2 * h)
                with np.errstate(divide="ignore"):
                    contrib = np.exp(-0.5 * roots**2) / np.sqrt(2.0 * np.pi) / np.abs(slope)
                np.add.at(out[start : start + 256], rows, np.where(np.isfinite(contrib), contrib, 0.0))
        return out

    def _continuous_cumulative(self, x):
        x = np.asarray(x, dtype=float)
        flat = np.atleast_1d(x).ravel()
        out = np.zeros(flat.size)
        for start in range(0, flat.size, 256):
            block = flat[start : start + 256]
            acc = np.zeros(block.size)
            for grid, values in zip(self._grids, self._grid_values):
                cdf = _phi_cdf(grid)
                rows, cells, roots, below = self._crossings(block, grid, values)
                both = below[:, 1:] & below[:, :-1]
                acc += both @ np.diff(cdf)
                left = below[rows, cells]
                part = np.where(left, _phi_cdf(roots) - cdf[cells], cdf[cells + 1] - _phi_cdf(roots))
                np.add.at(acc, rows, part)
            out[start : start + 256] = acc
        return out.reshape(np.shape(x))

    def __repr__(self):
        return f"GaussianPushforward({getattr(self.g, '__name__', 'g')}, atoms={len(self._atom_list)})"
