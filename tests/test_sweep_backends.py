"""The products and deformed sweeps give the same numbers serially and on two worker processes.

Every sweep goes through rmtlib.experiments.mapper.map_tasks, whose backend comes from the
environment (RMTLIB_WORKERS): the serial run and the two-process run must agree value for value.
"""

from __future__ import annotations

import numpy as np
import pytest

from rmtlib import laws
from rmtlib.models.deformed import bulk_points
from rmtlib.experiments import cache, deformed, deformed_growing, deformed_universality, products_sim
from rmtlib.experiments import mapper as mp

PRODUCTS = {"chain_n0": 60, "chain_shapes": [[1.0, 1.0], [0.5, 2.0]], "chain3_shape": [2.0, 0.5, 0.4],
            "curve_n0": 40, "curve_ratios": [0.5, 1.0, 1.5], "sandwich_n": 60, "sandwich_ratios": [0.5, 2.0],
            "perc_n": 80, "perc_degrees": [1.0, 4.0], "perc_draws": 2, "cavity_degree": 4.0, "fixed_ps": [0.05],
            "wishart_cells": [[100, 50, 1.0], [60, 60, 3.0]], "wishart_scale": 1.0, "wishart_draws": 2,
            "sweep_n0": [40, 60, 80], "sweep_seeds": [3, 2, 2], "zero_n": 60, "zero_draws": 3,
            "zero_small_n": [30, 40], "wishart_stat_draws": 2}

SWEEPS = {
    "products chains": lambda: products_sim.draw_chains(PRODUCTS, 5),
    "products sandwiches": lambda: products_sim.draw_sandwiches(PRODUCTS, 5),
    "products percolation": lambda: products_sim.draw_percolated(PRODUCTS, 5),
    "products size sweep": lambda: products_sim.product_sweep(PRODUCTS, 5),
    "products percolated sweep": lambda: products_sim.percolated_sweep(PRODUCTS, 5),
    "products percolated sizes": lambda: products_sim.percolated_sizes(PRODUCTS, 5),
    "deformed bulks": lambda: {k: (v["eigenvalues"], v["moments"])
                               for k, v in deformed.bulk_sweep(80, seed=7, moment_n=60, moment_draws=3).items()},
    "deformed outliers": lambda: deformed.outlier_draws(np.array([3.0, 4.0]), bulk_points(
        laws.Uniform(-1, 1), 78), variance=1.0, draws=3, seed=np.random.SeedSequence(11)),
    "deformed growing": lambda: [(g["n"], g["error"]) for g in deformed_growing.growing_sweep(
        [100, 150, 200], alphas=[0.25], draws=2, seed=5).values()],
    "deformed universality": lambda: deformed_universality.universality_draws(
        60, "rademacher", {}, groups=3, rows=4, theta=3.2, half_width=2.5, seed=3),
}


def _flat(value):
    """Every number of a nested result, in order (names such as a spectrum's kind are left out)."""
    if isinstance(value, str):
        return []
    if isinstance(value, dict):
        return [x for key in value for x in _flat(value[key])]
    if isinstance(value, (list, tuple)):
        return [x for item in value for x in _flat(item)]
    return list(np.ravel(np.asarray(value, dtype=float)))


@pytest.fixture
def uncached(monkeypatch):
    monkeypatch.delenv(cache.ENVIRONMENT, raising=False)
    for name in mp.ENVIRONMENT.values():
        monkeypatch.delenv(name, raising=False)
    yield monkeypatch
    mp.close_shared()


@pytest.mark.parametrize("name", list(SWEEPS))
def test_two_workers_give_the_serial_numbers(uncached, name):
    serial = _flat(SWEEPS[name]())
    uncached.setenv("RMTLIB_WORKERS", "2")
    assert np.array_equal(_flat(SWEEPS[name]()), serial, equal_nan=True)
    assert len(serial) > 0
