"""rmtlib.toolkit: samplers of the toolkit chapter and the threshold calibration rule."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rmtlib import spectra
from rmtlib.experiments import toolkit

DATA = Path(__file__).resolve().parent.parent / "rmtlib" / "compendium" / "data" / "toolkit_calibration.json"


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


def test_calibrated_threshold_rule():
    rows = [{"n": 400, "threshold": 0.02}, {"n": 1000, "threshold": 0.01}]
    assert toolkit.calibrated_threshold(rows, 400) == 0.02
    assert toolkit.calibrated_threshold(rows, 1000) == 0.01
    assert toolkit.calibrated_threshold(rows, 4000) == pytest.approx(0.005)
    assert toolkit.calibrated_threshold(rows, 200) == pytest.approx(0.04)
    assert toolkit.calibrated_threshold(rows, 700) == pytest.approx(0.02 * np.sqrt(400 / 700))


def test_calibration_file_covers_every_case_and_profile_size():
    data = json.loads(DATA.read_text())
    profiles = json.loads((Path(toolkit.__file__).parent.parent / "compendium" / "profiles" / "toolkit.json").read_text())
    sizes = {profiles["quick"]["n"], 1000}
    for case in toolkit.CASES:
        rows = data["ks"][case]
        assert {r["n"] for r in rows} >= sizes
        for r in rows:
            assert r["repeats"] >= 10 and len(r["values"]) == r["repeats"]
            assert r["threshold"] <= 1.5 * max(r["values"]) + 1e-6
