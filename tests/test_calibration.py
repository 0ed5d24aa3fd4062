"""rmtlib.compendium.calibration: one schema, the map over seeds, the size rule, loading and overrides."""

from __future__ import annotations

import json
import math

import pytest

from rmtlib.compendium import calibration
from rmtlib.compendium.calibration import Calibration


def _stats(settings, seed):
    return {"a": settings["scale"] * seed, "b": 1.0 / seed}


def _document(tmp_path, monkeypatch):
    monkeypatch.setenv("RMTLIB_DATA_DIR", str(tmp_path))
    entries = calibration.calibrate(_stats, {"scale": 2.0}, range(1, 11), profile="quick")
    entries += calibration.calibrate(lambda s, seed: {"ks": 0.1 + seed / 1000}, {}, range(1, 11), n=400)
    entries += calibration.calibrate(lambda s, seed: {"ks": 0.05 + seed / 1000}, {}, range(1, 11), n=1600)
    calibration.write("demo", entries, description="test", profiles={"quick": {"settings": {"scale": 2.0}}})
    return Calibration.load("demo", "quick")


def test_calibrate_maps_statistics_over_seeds_into_one_schema(tmp_path, monkeypatch):
    cal = _document(tmp_path, monkeypatch)
    doc = json.loads(calibration.data_path("demo").read_text())
    assert doc["schema"] == calibration.SCHEMA and doc["notebook"] == "demo"
    assert cal.bound("a") == 1.5 * 20.0
    assert cal.lower_bound("b") == pytest.approx(0.1 / 1.5)
    assert cal.seed_count == 10
    assert cal.bounds() == {"a": 30.0, "b": 1.5}


def test_size_rule_uses_the_closest_calibrated_size_scaled_by_sqrt(tmp_path, monkeypatch):
    cal = _document(tmp_path, monkeypatch)
    assert cal.bound("ks", 400) == pytest.approx(1.5 * 0.11)
    assert cal.bound("ks", 1600) == pytest.approx(1.5 * 0.06)
    assert cal.bound("ks", 1000) == pytest.approx(1.5 * 0.06 * math.sqrt(1600 / 1000))
    assert cal.bound("ks", 100) == pytest.approx(1.5 * 0.11 * 2.0)
    with pytest.raises(ValueError, match="several sizes"):
        cal.bound("ks")
    with pytest.raises(ValueError, match="n must be"):
        cal.bound("ks", 0)


def test_settings_mismatch_names_the_parameter(tmp_path, monkeypatch):
    cal = _document(tmp_path, monkeypatch)
    cal.check_settings({"scale": 2.0, "other": 1})
    with pytest.raises(ValueError, match="parameter scale = 3.0"):
        cal.check_settings({"scale": 3.0})


def test_unknown_statistic_profile_and_file_are_refused(tmp_path, monkeypatch):
    cal = _document(tmp_path, monkeypatch)
    with pytest.raises(KeyError, match="no calibration for 'zzz'"):
        cal.bound("zzz")
    with pytest.raises(ValueError, match="profile 'paper' is not calibrated"):
        Calibration.load("demo", "paper")
    with pytest.raises(FileNotFoundError, match="no calibration for notebook 'missing'"):
        Calibration.load("missing")
    with pytest.raises(ValueError, match="at least 10 seeds"):
        calibration.calibrate(_stats, {"scale": 1.0}, [1, 2])
    with pytest.raises(ValueError, match="safety"):
        calibration.calibrate(_stats, {"scale": 1.0}, range(10), safety=2.0)


@pytest.mark.parametrize("stem", ["toolkit", "jacobian", "products", "deformed", "nonlinear"])
def test_shipped_calibrations_use_the_schema(stem, monkeypatch):
    monkeypatch.delenv("RMTLIB_DATA_DIR", raising=False)
    cal = Calibration.load(stem)
    assert cal.document["schema"] == calibration.SCHEMA
    for entry in cal.document["entries"]:
        assert len(entry["values"]) >= 10 or entry["seeds"]["spawned"] >= 10
        assert 1.0 <= entry["safety"] <= 1.5
