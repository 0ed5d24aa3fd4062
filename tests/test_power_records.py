"""rmtlib.compendium.power_records: a chapter says which of its checks meet the power targets."""

from __future__ import annotations

import json

import nbformat

from rmtlib.compendium import claims_box, power_records, reportpage
from rmtlib.compendium.checks import Check


def _check(check_id, kind="statistical"):
    return Check(notebook="demo", id=check_id, claim="c", value=0.0, threshold=1.0, op="<=", passed=True,
                 kind=kind)


def test_reach_names_the_checks_that_miss_the_targets(tmp_path, monkeypatch):
    monkeypatch.setenv("RMTLIB_DATA_DIR", str(tmp_path))
    detects = {"m2": 0.01, "edge": 0.1, "outlier_position_3": 0.02, "etrain_a": 0.005, "atom": None, "ks": 0.5}
    (tmp_path / "demo_power.json").write_text(json.dumps({"profiles": {"paper": {
        "date": "2026-12-04", "deltas": [0.005, 0.01, 0.02, 0.05, 0.1, 0.2], "detects": detects}}}))
    checks = [_check(i) for i in ("m2", "edge", "outlier_position_3", "etrain_a", "atom")] + [_check("ks", "regression")]
    text = power_records.reach_markdown("demo", checks)
    assert "Of the 5 statistical checks, 2 meet it" in text  # m2 (1 % <= 2 %) and etrain_a (0.5 % <= 1 %)
    assert "2 need a larger error: `edge` (10 %), `outlier_position_3` (2 %)" in text  # a position: 1 % target
    assert "1 passes at every scale error up to 20 %" in text and "`ks`" not in text  # regression checks left out
    assert "recorded 2026-12-04" in text
    assert power_records.reach_markdown("demo", checks, profile="large") is None
    assert power_records.reach_markdown("other", checks) is None


def test_every_chapter_record_covers_its_statistical_checks():
    for stem in ("toolkit", "jacobian", "nonlinear", "products", "deformed"):
        record = power_records.recorded(stem)["paper"]
        checks = [_check(i) for i in record["detects"]]
        assert f"Of the {len(checks)} statistical checks" in power_records.reach_markdown(stem, checks)


def test_the_claims_box_ends_with_the_reach_of_its_checks(tmp_path, monkeypatch):
    monkeypatch.setenv("RMTLIB_DATA_DIR", str(tmp_path))
    (tmp_path / "demo_power.json").write_text(json.dumps({"profiles": {"paper": {
        "date": "2026-12-04", "deltas": [0.01, 0.02], "detects": {"m2": 0.01}}}}))
    row = {"notebook": "demo", "id": "m2", "claim": "c", "value": 0.1, "threshold": 1.0, "op": "<=", "passed": True,
           "kind": "statistical"}
    cell = nbformat.v4.new_code_cell("report.check()")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/plain": ""}, metadata={"rmtlib": {"checks": [row]}})]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("## Section"), cell])
    assert "What the checks can detect" in claims_box.claims_markdown(nb, "demo")
    assert "What the checks can detect" not in claims_box.claims_markdown(nb)


def test_the_report_states_the_measured_false_alarms(tmp_path):
    assert reportpage.false_alarm_text(tmp_path) is None
    (tmp_path / "bench").mkdir()
    (tmp_path / "bench" / "false_alarms-paper.json").write_text(json.dumps({
        "profile": "paper", "seeds": 10, "alpha": 1e-4, "check_runs": 2390, "false_alarms": 1, "expected": 0.239,
        "per_chapter": {"toolkit": {"runs": 10, "check_runs": 180, "false_alarms": 0}}}))
    text = reportpage.false_alarm_text(tmp_path)
    assert "1 false alarm in 2,390 check-runs over 10 fresh seeds" in text and "toolkit 0 in 180" in text
