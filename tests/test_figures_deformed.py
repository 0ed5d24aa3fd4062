"""Tests of the deformed chapter's figures: at most two panels per row at book width, every text at
least ``layout.MIN_FONT`` points, and no legend over the data area of a panel."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from rmtlib import laws  # noqa: E402
from rmtlib.compendium.figures import deformed as figures, deformed_rect as rect_figures, layout  # noqa: E402
from rmtlib.experiments import deformed as xd, deformed_growing as xg, deformed_universality as xu  # noqa: E402
from rmtlib.experiments import pruning as xp, rect_fullrank  # noqa: E402


def _layers():
    """Two fake trained layers: one MP sample each, fitted by the same law."""
    rng = np.random.default_rng(0)
    law = laws.MarchenkoPastur(0.5, variance=1.0)
    out = []
    for j in range(2):
        x = rng.standard_normal((120, 60)) / np.sqrt(120)
        out.append({"eigenvalues": np.linalg.eigvalsh(x.T @ x), "mp": law, "ipn": law, "mp_variance": 1.0,
                    "init_variance": 1.0, "name": f"hidden layer {j + 1}"})
    return {"layers": out}


FIGURES = {
    "bulk": lambda: figures.bulk(xd.bulk_sweep(100, seed=0)),
    "outliers": lambda: figures.outliers(xd.outlier_experiment([3.0, 5.0], laws.Uniform(-2.5, 2.5), 100, draws=2,
                                                               seed=0)),
    "growing": lambda: figures.growing(xg.growing_sweep([40, 60, 80], alphas=[0.5], draws=1, seed=0)),
    "universality": lambda: figures.universality(xu.universality_sweep(60, groups=2, rows=8, seed=0)),
    "rectangular": lambda: figures.rectangular(xp.rect_experiment(80, 40, [2.0, 3.0], draws=1, seed=0)),
    "rect_density": lambda: rect_figures.density(rect_fullrank.density_sweep([100, 200], draws=1, seed=0)),
    "rect_outliers": lambda: rect_figures.outliers(rect_fullrank.outlier_experiment(200, [6.0, 9.0], draws=2,
                                                                                    seed=0)),
    "layer_spectra": lambda: rect_figures.layer_spectra(_layers()),
}


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_figure_fits_the_book(name):
    from matplotlib.text import Text

    fig = FIGURES[name]()
    try:
        fig.canvas.draw()
        assert fig.get_figwidth() <= layout.WIDTH + 1e-9
        panels = [ax for ax in fig.axes if ax.has_data()]
        assert panels and len(panels) == len(fig.axes)
        assert len({round(ax.get_position().x0, 3) for ax in panels}) <= 2, "more than two panels per row"
        small = [t.get_text() for t in fig.findobj(Text) if t.get_visible() and t.get_text()
                 and t.get_fontsize() < layout.MIN_FONT]
        assert not small, f"texts below {layout.MIN_FONT} pt: {small[:5]}"
        renderer = fig.canvas.get_renderer()
        legends = list(fig.legends) + [ax.get_legend() for ax in panels if ax.get_legend() is not None]
        assert legends
        for legend in legends:
            box = legend.get_window_extent(renderer)
            for ax in panels:
                assert not box.overlaps(ax.get_window_extent(renderer)), f"a legend covers a panel of {name}"
    finally:
        plt.close(fig)
