"""Tests of rmtlib.experiments.fitting (the min-KS fits of the products chapter).

The network tests that lived here are in tests/test_networks.py; this module keeps the fitting test
until it gets its own home (tests/test_fitting.py).
"""

import numpy as np
import pytest
import scipy.stats

from rmtlib.experiments import fitting, products as products_mc
from rmtlib.models import percolation


def test_ks_full_and_min_ks_fit_recover_a_known_law():
    rng = np.random.default_rng(5)
    sample = np.sort(rng.standard_normal(400))
    ks = fitting.ks_full(sample, scipy.stats.norm.cdf)
    assert ks == pytest.approx(scipy.stats.kstest(sample, "norm").statistic, abs=1e-12)
    # an MP(2) spectrum (atom 1/2), fitted over a grid containing the truth, scaled by 3
    ev = 3.0 * percolation.sample_sparse_wishart(400, 200, 1.0, rng=1)
    data = fitting.prepare_spectrum(ev, n_outliers=0)
    tables = {(c,): fitting.chain_table([c]) for c in (0.5, 1.0, 2.0, 4.0)}
    fit = fitting.fit_scaled_family(data, tables, family="mp", n_scales=121)
    assert fit.params["shape"] == (2.0,) and fit.n_params == 2
    assert fit.ks < 0.05 and fit.params["scale"] == pytest.approx(3.0, rel=0.05)
    sc = fitting.fit_semicircle(data)
    assert sc.ks > fit.ks + 0.2
    assert products_mc.chain_dims(100, [0.5, 2.0]) == (100, 50, 200)
