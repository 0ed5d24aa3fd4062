"""The house figure style: empirical spectrum against its limiting law.

:func:`compare` draws, on one axes, the histogram of the non-atomic eigenvalues scaled so that its
area is the empirical fraction of non-atomic eigenvalues, the theoretical density of the absolutely
continuous part over the plotting range, and every atom as a stem whose height is its mass (theory:
solid marker, simulation: open marker).
"""

from __future__ import annotations

import numpy as np

from rmtlib import spectra
from rmtlib._numerics import validate as _validate

__all__ = ["house_style", "compare", "THEORY_COLOR", "SAMPLE_COLOR"]

THEORY_COLOR = "#c0392b"
SAMPLE_COLOR = "#5d8aa8"


def house_style() -> None:
    """Set matplotlib defaults for every figure of the book (size, fonts, grid, PNG resolution)."""
    import matplotlib as mpl

    mpl.rcParams.update({
        "figure.figsize": (6.4, 3.8),
        "figure.dpi": 110,
        "savefig.dpi": 110,
        "figure.constrained_layout.use": True,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "font.size": 10,
        "legend.fontsize": 9,
        "legend.frameon": False,
    })


def compare(ax, eigenvalues, law, *, bins=80, label=None, ks=None, tol=None):
    """Draw simulated eigenvalues against a limiting spectral law.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    eigenvalues : array_like
        The simulated eigenvalues (any shape; flattened, finite).
    law : rmtlib.laws.SpectralLaw
        The limiting law; its ``density``, ``atoms`` and ``support`` are used.
    bins : int, default 80
        Number of histogram bins over the non-atomic eigenvalues.
    label : str, optional
        Legend label of the theory curve (default ``"theory"``).
    ks : float or rmtlib.spectra.SplitKS, optional
        A Kolmogorov-Smirnov distance to show in the legend (its ``statistic`` if a SplitKS).
    tol : float, optional
        Eigenvalues within ``tol`` of an atom of ``law`` count as that atom (default
        ``1e-8 * max(1, max |eigenvalue|)``).

    Returns
    -------
    dict
        ``{"continuous_fraction": float, "atoms": [(location, empirical_fraction, mass), ...]}``.

    Notes
    -----
    The histogram has total area equal to the fraction of eigenvalues that belong to no atom, and
    the theory curve is ``law.density`` (whose integral is ``1 -`` the atom masses), so both are on
    the same scale and agree as the matrix size grows.
    """
    values = np.asarray(eigenvalues, dtype=float).ravel()
    if values.size == 0 or not np.all(np.isfinite(values)):
        raise ValueError("eigenvalues must be a non-empty array of finite numbers")
    if not (isinstance(bins, (int, np.integer)) and bins >= 1):
        raise ValueError(f"bins must be a positive integer, got {bins!r}")
    tol = spectra.default_tol(values) if tol is None else _validate.real("tol", tol, low=0.0)
    atoms = [(float(loc), float(mass)) for loc, mass in law.atoms]
    in_atom = np.zeros(values.size, dtype=bool)
    atom_rows = []
    for loc, mass in atoms:
        hit = np.abs(values - loc) <= tol
        in_atom |= hit
        atom_rows.append((loc, float(hit.mean()), mass))
    rest = values[~in_atom]
    fraction = rest.size / values.size

    intervals = [(float(a), float(b)) for a, b in law.support]
    lo = min([a for a, _ in intervals] + ([rest.min()] if rest.size else []) + [loc for loc, _ in atoms])
    hi = max([b for _, b in intervals] + ([rest.max()] if rest.size else []) + [loc for loc, _ in atoms])
    pad = 0.04 * (hi - lo if hi > lo else 1.0)
    lo, hi = lo - pad, hi + pad

    if rest.size:
        heights, edges = np.histogram(rest, bins=bins, range=(lo, hi), density=True)
        ax.stairs(heights * fraction, edges, fill=True, color=SAMPLE_COLOR, alpha=0.55,
                  label=f"simulation (n = {values.size})")
    x = np.linspace(lo, hi, 1200)
    for a, b in intervals:  # resolve the edges, where square-root densities turn steeply
        x = np.union1d(x, np.linspace(max(a, lo), min(b, hi), 400))
    curve = f"{label or 'theory'}"
    if ks is not None:
        statistic = float(getattr(ks, "statistic", ks))
        curve += f" (KS = {statistic:.3g})"
    ax.plot(x, law.density(x), color=THEORY_COLOR, lw=1.6, label=curve)

    if atom_rows:
        top = max(max(m for _, _, m in atom_rows), max(f for _, f, _ in atom_rows))
        ax.vlines([r[0] for r in atom_rows], 0, [r[2] for r in atom_rows], color=THEORY_COLOR, lw=2.5)
        ax.plot([r[0] for r in atom_rows], [r[2] for r in atom_rows], "o", color=THEORY_COLOR,
                label="atom mass (theory)")
        ax.plot([r[0] for r in atom_rows], [r[1] for r in atom_rows], "o", mfc="none", mew=1.5,
                ms=9, color="black", label="atom fraction (simulation)")
        ax.set_ylim(top=max(ax.get_ylim()[1], 1.1 * top))
    ax.set_xlim(lo, hi)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("eigenvalue")
    ax.set_ylabel("density")
    ax.legend(loc="best")
    return {"continuous_fraction": fraction, "atoms": atom_rows}
