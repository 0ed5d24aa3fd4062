"""The products chapter's figures: book width, at most two panels per row, legible text, legends off the data."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from rmtlib.compendium import plotting  # noqa: E402
from rmtlib.compendium.figures import layout, network as figures_net, products as figures  # noqa: E402
from rmtlib.experiments import network_fits, network_spectra, products as products_mc  # noqa: E402

TINY = {"chain_n0": 40, "curve_n0": 20, "curve_ratios": [0.5, 1.5], "sandwich_n": 40, "perc_n": 40,
        "perc_degrees": [1.0, 4.0], "perc_draws": 2, "fixed_ps": [0.2], "wishart_cells": [[40, 20, 1.0]],
        "wishart_draws": 2, "cavity_pool": 200, "cavity_sweeps": 3}


@pytest.fixture(scope="module")
def chains():
    plotting.house_style()
    return products_mc.wishart_chains(TINY, 1)


def _network_results(seeds=4):
    """Synthetic results of the trained-network section, shaped like ``products_network``'s."""
    rng = np.random.default_rng(0)
    spectra = lambda: {st: {m: np.concatenate([np.zeros(5), rng.gamma(0.5, 1e-3, 60)])  # noqa: E731
                            for m in ("hessian", "ggn")} for st in network_spectra.STAGES}
    runs = [{"nets": [{"spectra": spectra()}]} for _ in range(seeds)]
    summary = [{st: {m: [{"zero": 5 / 65}] * seeds for m in ("hessian", "ggn")} for st in network_spectra.STAGES}]
    tables = network_fits.family_tables(perc_size=50, rng=0)
    fit = {f: [{"shape": next(iter(tables[f])), "scale": 1e-3, "shift": 0.0, "atom": 0.1}]
           for f in figures_net.SHOWN}
    heldout = {f: {"full": np.full(seeds, 0.2)} for f in figures_net.SHOWN}
    compared = {key: {"fits": fit, "heldout": heldout} for key in ("hessian_end", "ggn_end")}
    return {"runs": runs, "summary": summary}, compared


def _figures(chains):
    net, compared = _network_results()
    return {
        "chains": figures.chains(chains, bins=10),
        "atom_curve": figures.atom_curve(chains["curve"]),
        "root_rule": figures.root_rule(chains, bins=10),
        "sandwiches": figures.sandwiches(products_mc.sandwiches(TINY, 2), bins=10),
        "percolation": figures.percolation_atoms(products_mc.percolated(TINY, 3)),
        "spin_glass": figures.spin_glass(products_mc.spin_glass(TINY, 4)),
        "stage_histograms": figures_net.stage_histograms(net),
        "overlays": figures_net.overlays(net, compared),
    }


def _overlaps(a, b):
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def test_every_figure_meets_the_book_layout(chains):
    for name, fig in _figures(chains).items():
        assert fig.get_figwidth() == pytest.approx(layout.WIDTH), name
        fig.canvas.draw()
        rows = {}
        for ax in fig.axes:
            rows.setdefault(round(ax.get_position().y0, 3), []).append(ax)
        assert max(len(r) for r in rows.values()) <= 2, f"{name}: more than two panels in a row"
        sizes = [t.get_fontsize() for t in fig.findobj(Text) if t.get_text()]
        assert min(sizes) >= layout.MIN_FONT, f"{name}: text below {layout.MIN_FONT} pt"
        legends = fig.legends + [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None]
        assert legends or name == "stage_histograms", f"{name}: no legend"
        renderer = fig.canvas.get_renderer()
        for legend in legends:
            box = legend.get_window_extent(renderer)
            assert not any(_overlaps(box, ax.get_window_extent(renderer)) for ax in fig.axes), \
                f"{name}: a legend covers a panel"
        plt.close(fig)


def test_panel_titles_name_the_cases(chains):
    fig = figures.chains(chains, bins=10)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[0].startswith("dims (40, 40, 40)") and len(titles) == len(chains["chains"])
    plt.close(fig)
