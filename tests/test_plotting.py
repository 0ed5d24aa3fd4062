"""rmtlib.plotting.compare: histogram scaled to the continuous fraction, atoms as stems."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from rmtlib.compendium import plotting  # noqa: E402


class HalfUniformHalfAtom:
    """A minimal law: mass 1/2 uniform on [1, 3], atom 1/2 at 0 (duck-typed SpectralLaw)."""

    atoms = ((0.0, 0.5),)
    support = [(1.0, 3.0)]

    @staticmethod
    def density(x):
        x = np.asarray(x, dtype=float)
        return np.where((x >= 1) & (x <= 3), 0.25, 0.0)


@pytest.fixture
def ax():
    plotting.house_style()
    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)


def test_histogram_area_is_the_continuous_fraction(ax):
    rng = np.random.default_rng(0)
    ev = np.concatenate([np.zeros(300), rng.uniform(1, 3, 700)])
    info = plotting.compare(ax, ev, HalfUniformHalfAtom(), bins=40, ks=0.0123, label="theory")
    assert info["continuous_fraction"] == pytest.approx(0.7)
    assert info["atoms"] == [(0.0, pytest.approx(0.3), 0.5)]
    stairs = [p for p in ax.patches if hasattr(p, "get_data")]
    data = stairs[0].get_data()
    values, edges = data.values, data.edges
    assert np.sum(values * np.diff(edges)) == pytest.approx(0.7)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "theory (KS = 0.0123)" in labels and "atom mass (theory)" in labels
    assert ax.get_ylim()[1] >= 0.5


def test_theory_curve_covers_the_support(ax):
    ev = np.linspace(1.01, 2.99, 100)
    plotting.compare(ax, ev, HalfUniformHalfAtom())
    line = next(l for l in ax.get_lines() if l.get_label().startswith("theory"))
    x = line.get_xdata()
    assert x.min() <= 0.0 and x.max() >= 3.0  # includes the atom at 0 and the right edge


@pytest.mark.parametrize("ev, kwargs, match", [
    ([], {}, "non-empty"),
    ([0.0, np.nan], {}, "finite"),
    ([1.0, 2.0], {"bins": 0}, "bins"),
    ([1.0, 2.0], {"tol": -1.0}, "tol"),
])
def test_invalid_inputs(ax, ev, kwargs, match):
    with pytest.raises(ValueError, match=match):
        plotting.compare(ax, ev, HalfUniformHalfAtom(), **kwargs)
