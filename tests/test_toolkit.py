"""rmtlib.experiments.toolkit, its closed forms and its figures: samplers, moments, ensembles, theory."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib
import numpy as np
import pytest

from rmtlib import spectra
from rmtlib.compendium.calibration import Calibration
from rmtlib.compendium.figures import toolkit as figures
from rmtlib.experiments import theory, toolkit
from rmtlib.experiments import toolkit_moments as moments

PROFILES = Path(toolkit.__file__).resolve().parent.parent / "compendium" / "profiles"


@pytest.fixture(autouse=True)
def _unperturbed(monkeypatch):
    monkeypatch.delenv(theory.ENVIRONMENT, raising=False)


@pytest.mark.parametrize("case", toolkit.CASES)
def test_samplers_are_seeded_and_sized(case):
    a = toolkit.sample_case(case, 40, rng=3)
    b = toolkit.sample_case(case, 40, rng=np.random.default_rng(3))
    assert a.shape == (40,) and np.array_equal(a, b)
    assert np.all(np.diff(a) >= 0)


@pytest.mark.parametrize("case, zeros", [("mp_two", 20), ("wishart_prod", 20), ("mp_half", 0)])
def test_rank_deficiency_gives_exact_zero_counts(case, zeros):
    ev = toolkit.sample_case(case, 40, rng=1)
    assert np.sum(np.abs(ev) <= spectra.default_tol(ev)) == zeros


def test_invalid_arguments():
    with pytest.raises(ValueError, match="case must be one of"):
        toolkit.sample_case("nope", 10, rng=0)
    with pytest.raises(ValueError, match="even integer"):
        toolkit.sample_case("semicircle", 11, rng=0)
    with pytest.raises(ValueError, match=">= 16"):
        toolkit.sizes(8)
    with pytest.raises(ValueError, match="unknown kind"):
        moments.limit_moments("nope")
    assert toolkit.sizes(1000) == [250, 500, 1000] and toolkit.sizes(400) == [100, 200, 400]
    assert all(m % 2 == 0 for m in toolkit.sizes(36))


@pytest.mark.parametrize("case", toolkit.CASES)
def test_finite_size_moments_match_a_seeded_monte_carlo(case):
    """E tr(M)/n and E tr(M²)/n at n = 12 (Wick), within 5 standard errors of 3000 matrices."""
    n, reps = 12, 3000
    rng = np.random.default_rng(11)
    values = np.array([[np.mean(ev), np.mean(ev**2)] for ev in (toolkit.sample_case(case, n, rng=rng)
                                                                for _ in range(reps))])
    mean, se = values.mean(axis=0), values.std(axis=0, ddof=1) / np.sqrt(reps)
    expected = np.array(toolkit.finite_moments(case, n))
    assert np.all(np.abs(mean - expected) <= 5 * se + 1e-12)
    # the finite-size bias is resolved: the limit alone would be rejected
    assert abs(mean[1] - toolkit.closed_forms(case)[2]) > 5 * se[1]
    assert toolkit.finite_moments(case, 10**8)[1] == pytest.approx(toolkit.closed_forms(case)[2], abs=1e-6)


@pytest.mark.parametrize("case", toolkit.CASES)
def test_closed_forms_agree_with_the_laws_series_and_quadrature(case):
    law = toolkit.case_law(case)
    atom, m1, m2 = toolkit.closed_forms(case)
    assert law.atom_mass(0.0) == pytest.approx(atom, abs=1e-12)
    assert (law.moment(1), law.moment(2)) == pytest.approx((m1, m2), abs=1e-10)
    e = toolkit.exact(case)
    # at a = 1 the deformed density vanishes like |x|^(1/3) at 0: the solver may lose ~1e-7 of mass there
    tol = 1e-6 if case == "deformed" else 1e-9
    assert e["continuous_closed"] == pytest.approx(1.0 - atom)
    assert e["continuous"] == pytest.approx(e["continuous_closed"], abs=tol)
    assert e["moments"] == pytest.approx(e["moments_closed"], abs=1e-9)


def test_quadrature_moments_do_not_call_the_series(monkeypatch):
    law = toolkit.case_law("wishart_prod")
    monkeypatch.setattr(type(law), "moment", lambda self, k: pytest.fail("moment() was called"))
    continuous, m1, m2 = moments.quadrature_moments(law)
    assert (continuous, m1, m2) == pytest.approx((0.5, 1.0, 3.5), abs=1e-9)


def test_free_product_moments_of_point_masses_are_products_of_independent_variables():
    # μ ⊠ δ_c is the law of c X: (c m1, c² m2)
    assert moments.free_product_moments((2.0, 5.0), (3.0, 9.0)) == pytest.approx((6.0, 45.0))
    assert moments.sandwich_m2(4.0, 4.0, 4, 10**12) == pytest.approx(1.0)  # A = I, W -> I


def test_ensemble_draws_independent_streams_of_the_seed():
    settings = {"sizes": [16, 32], "seeds": 3}
    sim = toolkit.ensemble.uncached("mp_two", settings, 5)
    assert sim["sizes"] == [16, 32] and [e.shape for e in sim["eigenvalues"]] == [(3, 16), (3, 32)]
    stream = np.random.SeedSequence(5, spawn_key=(toolkit.CASES.index("mp_two"), 1, 2))
    assert np.array_equal(sim["eigenvalues"][1][2], toolkit.sample_case("mp_two", 32, rng=stream))
    assert len({tuple(row[:3]) for row in sim["eigenvalues"][1]}) == 3
    other = toolkit.ensemble.uncached("mp_two", settings, 6)
    assert not np.array_equal(sim["eigenvalues"][0], other["eigenvalues"][0])


def test_judge_reads_the_theory_through_the_perturbation(monkeypatch):
    sim = toolkit.ensemble.uncached("mp_two", {"sizes": [16, 32, 64], "seeds": 3}, 2)
    plain = toolkit.judge(sim)
    assert plain["n"] == 64 and plain["moments"][2].shape == (3,)
    assert plain["theory_moments"] == pytest.approx({1: 1.0, 2: 3.0})
    assert plain["allowance"][2] == pytest.approx(2.0 / 64)
    assert plain["zeros"] == 3 * 32 and plain["trials"] == 3 * 64 and plain["atom"] == pytest.approx(0.5)
    g = toolkit.case_law("mp_two").stieltjes(1 + 0.5j).imag
    assert plain["theory_stieltjes"] == pytest.approx(g)
    monkeypatch.setenv(theory.ENVIRONMENT, "scale=1.1")
    scaled = toolkit.judge(sim)
    assert scaled["theory_moments"] == pytest.approx({1: 1.1, 2: 3.0 * 1.1**2})
    assert scaled["atom"] == pytest.approx(0.5) and scaled["theory_stieltjes"] != pytest.approx(g)
    assert np.array_equal(scaled["moments"][2], plain["moments"][2])  # the simulation is not perturbed
    monkeypatch.setenv(theory.ENVIRONMENT, "mp_ratio=1.1")
    assert toolkit.judge(sim)["theory_moments"][2] == pytest.approx(1.0 + 2.2)


def test_every_declared_theory_parameter_moves_the_theory(monkeypatch):
    declared = json.loads((PROFILES / "toolkit.theory.json").read_text())
    assert set(declared) == {"deform_a", "mp_ratio"}
    sim = toolkit.ensemble.uncached("deformed", {"sizes": [16, 32, 64], "seeds": 2}, 1)
    monkeypatch.setenv(theory.ENVIRONMENT, "deform_a=1.2")
    assert toolkit.judge(sim)["theory_moments"][2] == pytest.approx(1.0 + 1.2**2, abs=1e-9)
    monkeypatch.setenv(theory.ENVIRONMENT, "mp_ratio=1.2")
    assert toolkit.theory_law("wishart_prod").atom_mass(0.0) == pytest.approx(1.0 - 1.0 / 2.4)


def test_run_judges_the_cases_of_a_section():
    results = toolkit.run({"n": 32, "seeds": 2, "cases": ["semicircle", "mp_half"]}, 3)
    assert list(results) == ["semicircle", "mp_half"]
    assert results["semicircle"]["sizes"] == [8, 16, 32] and 0 < results["semicircle"]["ks"] < 1
    with pytest.raises(ValueError, match="case must be one of"):
        toolkit.run({"n": 32, "seeds": 2, "cases": ["nope"]}, 5)


def test_statistics_reproduce_the_shipped_calibration(monkeypatch):
    """The stored values are the statistics of the children of SeedSequence(7) (6 digits, max exact)."""
    monkeypatch.delenv("RMTLIB_DATA_DIR", raising=False)
    calibration = Calibration.load("toolkit")
    seeds = np.random.SeedSequence(7).spawn(20)
    for case in ("semicircle", "wishart_prod"):
        (entry,) = [e for e in calibration.entries if e["statistic"] == f"ks_{case}" and e["n"] == 400]
        assert entry["seeds"] == {"root": 7, "spawned": 20}
        for k in (0, 1):
            value = toolkit.statistics({"n": 400, "cases": [case]}, seeds[k])[f"ks_{case}"]
            assert value == pytest.approx(entry["values"][k], abs=1e-6)
    assert list(toolkit.statistics({"n": 20}, 1)) == [f"ks_{case}" for case in toolkit.CASES]


def test_calibration_file_covers_every_case_and_profile_size(monkeypatch):
    monkeypatch.delenv("RMTLIB_DATA_DIR", raising=False)
    calibration = Calibration.load("toolkit")
    profiles = json.loads((PROFILES / "toolkit.json").read_text())
    sizes = {profiles["quick"]["n"], 1000}
    assert calibration.statistics() == [f"ks_{case}" for case in toolkit.CASES]
    for case in toolkit.CASES:
        entries = [e for e in calibration.entries if e["statistic"] == f"ks_{case}"]
        assert {e["n"] for e in entries} >= sizes
        for e in entries:
            assert e["profile"] is None and e["seeds"]["spawned"] >= 10
            assert len(e["values"]) == e["seeds"]["spawned"] and e["safety"] <= 1.5
            assert calibration.bound(f"ks_{case}", e["n"]) == pytest.approx(e["safety"] * max(e["values"]))


def test_spectra_figure_draws_one_panel_per_case():
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    results = toolkit.run({"n": 40, "seeds": 2, "cases": ["semicircle", "mp_two"]}, 1)
    fig = figures.spectra(results.values(), bins=10)
    assert [ax.get_title() for ax in fig.axes] == ["GOE: semicircle", "MP, ratio 2 (atom at 0)"]
    assert all(ax.lines for ax in fig.axes)
    single = figures.spectra(toolkit.run({"n": 40, "seeds": 2, "cases": ["deformed"]}, 1).values(), bins=10)
    assert "semicircle ⊞ two-point" in single.axes[0].get_legend_handles_labels()[1][1]
    plt.close("all")
