"""rmtlib.experiments.toolkit and its figures: samplers, simulations, calibrated statistics."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib
import numpy as np
import pytest

from rmtlib import spectra
from rmtlib.compendium.calibration import Calibration
from rmtlib.compendium.figures import toolkit as figures
from rmtlib.experiments import toolkit

PROFILES = Path(toolkit.__file__).resolve().parent.parent / "compendium" / "profiles" / "toolkit.json"


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


def test_deformed_sampler_has_the_right_second_moment():
    ev = toolkit.sample_case("deformed", 400, rng=2)
    # E tr(H^2)/n = 1 + a^2 for GOE(1) + diag(+-a); fluctuation O(1/n)
    assert np.mean(ev**2) == pytest.approx(1 + toolkit.DEFORMATION**2, abs=0.05)


def test_invalid_arguments():
    with pytest.raises(ValueError, match="case must be one of"):
        toolkit.sample_case("nope", 10, rng=0)
    with pytest.raises(ValueError, match="even integer"):
        toolkit.sample_case("semicircle", 11, rng=0)


def test_run_gives_each_case_its_own_stream_of_the_seed():
    both = toolkit.run({"n": 40, "cases": ["mp_two", "semicircle"]}, 5)
    alone = toolkit.run({"n": 40, "cases": ["semicircle"]}, 5)
    assert list(both) == ["mp_two", "semicircle"]
    stream = np.random.SeedSequence(5).spawn(len(toolkit.CASES))[toolkit.CASES.index("semicircle")]
    expected = toolkit.sample_case("semicircle", 40, rng=np.random.default_rng(stream))
    assert np.array_equal(both["semicircle"]["eigenvalues"], expected)
    assert np.array_equal(alone["semicircle"]["eigenvalues"], expected)
    with pytest.raises(ValueError, match="case must be one of"):
        toolkit.run({"n": 40, "cases": ["nope"]}, 5)


def test_simulate_reports_the_atom_and_the_exact_properties_of_the_law():
    product = toolkit.simulate("wishart_prod", 40, 3)
    (location, fraction, mass, sd), = product["atoms"]
    assert location == 0.0 and fraction == 0.5 and mass == pytest.approx(0.5, abs=1e-12)
    assert sd == pytest.approx(np.sqrt(0.25 / 40))
    assert product["atom_at_zero"] == pytest.approx(0.5, abs=1e-12)
    assert product["mean"] == pytest.approx(1.0, abs=1e-6) and 0 < product["ks"] < 1
    deformed = toolkit.simulate("deformed", 40, 3)
    assert deformed["atoms"] == [] and deformed["var"] == pytest.approx(1 + toolkit.DEFORMATION**2, abs=1e-6)
    assert toolkit.simulate("mp_two_point", 40, 3)["support_intervals"] >= 1


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
    profiles = json.loads(PROFILES.read_text())
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

    results = toolkit.run({"n": 40, "cases": ["semicircle", "mp_two"]}, 1)
    fig = figures.spectra(results.values(), bins=10)
    assert [ax.get_title() for ax in fig.axes] == ["GOE: semicircle", "MP, ratio 2 (atom at 0)"]
    assert all(ax.lines for ax in fig.axes)
    single = figures.spectra([toolkit.simulate("deformed", 40, 1)], bins=10)
    assert "semicircle ⊞ two-point" in single.axes[0].get_legend_handles_labels()[1][1]
    plt.close("all")
