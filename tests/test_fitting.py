"""rmtlib.experiments.fitting and the products chapter's experiments and figures (small sizes)."""

import numpy as np
import pytest
import scipy.stats

from rmtlib.compendium.figures import products as figures
from rmtlib.compendium import nulls
from rmtlib.experiments import fitting, network_fits, products as products_mc, products_network, products_nulls, products_sim
from rmtlib.models import percolation

SMALL = {"chain_n0": 60, "curve_n0": 40, "sandwich_n": 60, "perc_n": 60, "perc_draws": 2, "wishart_scale": 0.03,
         "wishart_draws": 2, "cavity_pool": 300, "cavity_sweeps": 6, "cavity_bins": 12, "sweep_n0": [30, 40, 60],
         "sweep_seeds": [3, 3, 2], "zero_n": 60, "zero_draws": 3, "zero_small_n": [20, 40], "wishart_stat_draws": 3, "cavity_replicas": 3}


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


def test_sections_are_the_parts_of_run_and_statistics_is_pure():
    stats = products_mc.statistics(SMALL, 7)
    parts = [products_mc.wishart_chains(SMALL, 7), products_mc.sandwiches(SMALL, 7), products_mc.percolated(SMALL, 7)]
    assert stats == {k: float(v) for part in parts for k, v in part["stats"].items()}
    assert stats == products_mc.statistics(SMALL, 7) and stats != products_mc.statistics(SMALL, 8)
    chains = parts[0]
    assert chains["atoms"] == [0.0, 0.5, pytest.approx(1 / 3)]
    assert chains["stats"]["curve_atom_err"] < 0.5 / 40
    assert chains["root_rule"]["deviation"] > 0.01
    rows = parts[2]["perc"]["rows"]
    assert [r[0] for r in rows] == products_mc.DEFAULTS["perc_degrees"]
    assert rows[1][1] == pytest.approx(0.45594, abs=1e-5)


def test_every_figure_draws_on_agg():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    chains, sandwich = products_mc.wishart_chains(SMALL, 1), products_mc.sandwiches(SMALL, 1)
    percolated = products_mc.percolated(SMALL, 1)
    glass = products_mc.spin_glass(SMALL, 1)
    figs = [figures.chains(chains, bins=10), figures.atom_curve(chains["curve"]), figures.root_rule(chains, bins=10),
            figures.sandwiches(sandwich, bins=10), figures.percolation_atoms(percolated), figures.spin_glass(glass)]
    assert [len(f.axes) for f in figs] == [3, 1, 1, 2, 2, 2]
    for table in (figures.percolation_table(percolated), figures.wishart_table(percolated),
                  figures.layers_table(glass)):
        header, rows = table
        assert rows and all(len(r) == len(header) for r in rows)
    plt.close("all")


def _settings():
    return {**products_mc.DEFAULTS, **SMALL}


def test_product_sweep_comparisons_pass_and_a_wrong_scale_fails(monkeypatch):
    # 8 seeds per size: with 2 or 3 the intercept's Welch-Satterthwaite degrees of freedom are near 1 and
    # the Student quantile at ALPHA (about 170) leaves no power even against a factor-2 scale error
    sweep = products_sim.product_sweep({**_settings(), "sweep_seeds": [8, 8, 8]}, 3)
    assert sweep["sizes"] == [30, 40, 60] and [v.size for v in sweep["stats"]["chain1"]["g"]] == [8, 8, 8]
    comps = products_nulls.product_comparisons(sweep)
    ids = {c["id"] for c in comps}
    assert {"chain1_g", "chain1_m2", "chain1_upper_edge", "chain1_lower_edge", "sandwich2_m4", "free_product_g"} <= ids
    exact = {c["id"]: c["theory"] for c in comps}
    assert exact["chain1_m2"] == pytest.approx(3.5) and exact["sandwich2_m4"] == pytest.approx(6.0)
    monkeypatch.setenv("RMTLIB_PERTURB", "scale=2")
    wrong = {c["id"]: c for c in products_nulls.product_comparisons(sweep)}
    assert wrong["chain1_m2"]["theory"] == pytest.approx(3.5 * 4)
    t = nulls.extrapolated(*wrong["chain1_m2"]["args"], **wrong["chain1_m2"]["kwargs"])
    assert not t.passed


def test_ratio_and_degree_perturbations_move_the_atoms(monkeypatch):
    dims = (100, 50, 200)
    assert products_mc.theory_zero_atom(dims) == pytest.approx(0.5)
    w = products_mc.theory_wishart_atom(400, 200, 1.0)
    assert w == pytest.approx(percolation.percolated_wishart_atom(400, 200, 1.0 / 200))
    w_wigner = products_mc.theory_wigner_atom(2.0)
    monkeypatch.setenv("RMTLIB_PERTURB", "ratio=1.02,degree=1.02")
    assert products_mc.theory_zero_atom(dims) == pytest.approx(1 - 1 / 2.04)
    assert products_mc.theory_sandwich_law(2.0).atom_mass(0.0) == pytest.approx(1 - 1 / 2.04)
    assert products_mc.theory_wigner_atom(2.0) == pytest.approx(percolation.percolated_wigner_atom(2.04))
    assert products_mc.theory_wishart_atom(400, 200, 1.0) == pytest.approx(
        percolation.percolated_wishart_atom(408, 200, 1.02 / 200), abs=1e-5)
    assert products_mc.theory_wishart_atom(400, 200, 1.0) != pytest.approx(w, abs=1e-3)
    assert products_mc.theory_wigner_atom(2.0) < w_wigner - 0.005


def test_percolated_sweep_comparisons():
    s = _settings()
    sweep = products_sim.percolated_sweep(s, 4)
    assert sweep["zero"].shape == (len(s["perc_degrees"]), 3) and sweep["wishart"].shape == (3, 3)
    np.testing.assert_allclose(sweep["m2"].mean(), 1.0, atol=0.2)
    replicas = products_nulls.cavity_replicas(s, 4)
    assert replicas.shape == (3,) and np.all(replicas > 0)
    small = products_sim.percolated_sizes(s, 4)
    assert [z.shape for z in small["zero"]] == [(len(s["perc_degrees"]), 3)] * 2
    comps = products_nulls.percolated_comparisons(sweep, replicas, small)
    ids = [c["id"] for c in comps]
    assert ids[0] == "perc_atom_pooled" and comps[0]["null"] == "extrapolated" and comps[0]["args"][0] == [20, 40, 60]
    assert ids[0] == "perc_atom_pooled" and "perc_atom_c1p00" in ids and "perc_atom_c6p00" not in ids
    assert {"perc_m2", "perc_m4", "cavity_poisson", "wishart_atom_pooled"} <= set(ids)
    for c in comps:
        t = getattr(nulls, c["null"])(*c["args"], **c["kwargs"])
        assert np.isfinite(t.value) and np.isfinite(t.threshold)


# --------------------------------------------------------------------------- the held-out comparison
def test_heldout_comparison_prefers_the_true_family_and_separates_the_atom():
    """MP(2) spectra (atom 1/2) from independent seeds: MP + atom and MP fit, the semicircle does not."""
    rng = np.random.default_rng(11)
    spectra_by_seed = []
    for _ in range(4):
        x = rng.standard_normal((200, 100))
        spectra_by_seed.append(2.0 * np.linalg.eigvalsh(x @ x.T / 100))
    tables = network_fits.family_tables(perc_size=100, rng=0)
    out = network_fits.heldout_comparison(spectra_by_seed, tables, n_outliers=0)
    held = out["heldout"]
    assert np.all(out["zero"] == 0.5)
    # the MP grid has no ratio 2, so its atom is off by 0.08; the free atom repairs it
    assert held["mp_atom"]["full"].mean() < 0.06 and held["mp_atom"]["atom_err"].max() <= 0.05
    assert held["marchenko_pastur"]["full"].mean() < 0.1 and held["mp_atom"]["continuous"].mean() < 0.06
    assert held["semicircle"]["full"].mean() > 2 * held["marchenko_pastur"]["full"].mean()
    assert held["semicircle"]["atom_err"].max() == pytest.approx(0.5)   # no atom: the whole zero mass is missed
    assert np.all(out["pool"] < 0.1)
    assert [f["shape"] for f in out["fits"]["marchenko_pastur"]] and len(out["fits"]["sandwich"]) == 2


def test_network_claims_are_paired_differences():
    res = {"heldout": {f: {"full": np.arange(4.0) + i} for i, f in enumerate(network_fits.FAMILIES)},
           "pool": np.zeros(4)}
    out = products_network.claims({"hessian_end": res}, keys=("hessian_end",))
    assert all(c["id"].startswith("network_") for c in out)
    first = next(c for c in out if c["id"] == "network_sc_mismatch_hessian_end")
    np.testing.assert_allclose(first["values"], np.arange(4.0))
    assert {c["test"] for c in out} == {"greater", "advantage", "equivalent"}
