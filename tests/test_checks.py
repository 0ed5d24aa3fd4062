"""rmtlib.checks: recording, validation, checks.json, and a failing check stopping a notebook."""

from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import make_notebook
from rmtlib.compendium import checks, execution


def test_ops_and_verdicts(capsys):
    report = checks.Report("demo")
    assert report.check("a", "Small.", 0.1, 0.2, kind="regression") is None
    report.check("b", "Large.", 0.3, 0.2, kind="regression")
    report.check("c", "At least.", 2, 1.5, op=">=", kind="regression")
    report.check("d", "Inside.", np.float32(0.5), (0.0, 1.0), op="within", kind="regression")
    report.check("e", "Outside.", 1.5, [0.0, 1.0], op="within", kind="regression")
    report.check("f", "Equal bound passes.", 0.2, 0.2, kind="regression")
    assert [c.passed for c in report.checks] == [True, False, True, True, False, True]
    assert [c.id for c in report.failed] == ["b", "e"]
    out = capsys.readouterr().out
    assert "[FAIL] b: Large. (0.3 <= 0.2)" in out and "[PASS] a" in out


@pytest.mark.parametrize("args, kwargs, match", [
    (("bad id", "c.", 1.0, 2.0), {}, "identifier"),
    (("x", "", 1.0, 2.0), {}, "non-empty"),
    (("x", "c.", float("nan"), 2.0), {}, "finite"),
    (("x", "c.", 1.0, float("inf")), {}, "finite"),
    (("x", "c.", "1.0", 2.0), {}, "real number"),
    (("x", "c.", True, 2.0), {}, "real number"),
    (("x", "c.", 1.0, 2.0), {"op": "<"}, "op must be one of"),
    (("x", "c.", 1.0, 2.0), {"op": "within"}, "pair"),
    (("x", "c.", 1.0, (3.0, 2.0)), {"op": "within"}, "exceeds"),
])
def test_invalid_inputs_are_refused(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        checks.Report("demo").check(*args, **{"kind": "regression", **kwargs})


def test_duplicate_ids_are_refused():
    report = checks.Report("demo")
    report.check("a", "First.", 1.0, 2.0, kind="regression")
    with pytest.raises(ValueError, match="already used"):
        report.check("a", "Again.", 1.0, 2.0, kind="regression")


def test_finish_writes_json_and_returns_path(tmp_path, monkeypatch):
    monkeypatch.setenv("RMTLIB_OUTPUT_DIR", str(tmp_path / "out"))
    report = checks.Report("demo")
    report.check("a", "Small.", 0.1, 0.2, kind="regression")
    report.check("w", "Inside.", 0.5, (0, 1), op="within", kind="regression")
    assert report.finish() is None
    path = report.path
    assert path == tmp_path / "out" / "checks.json"
    data = json.loads(path.read_text())
    assert data["notebook"] == "demo"
    assert data["checks"][0] == {"notebook": "demo", "id": "a", "claim": "Small.", "value": 0.1,
                                 "threshold": 0.2, "op": "<=", "passed": True,
                                 "kind": "regression", "detects": None}
    assert data["checks"][1]["threshold"] == [0.0, 1.0]
    assert [c.id for c in checks.read_checks(path)] == ["a", "w"]


def test_finish_raises_naming_notebook_and_every_failed_claim(tmp_path):
    report = checks.Report("demo")
    report.check("ok", "Fine.", 0.1, 0.2, kind="regression")
    report.check("bad1", "The first claim.", 0.3, 0.2, kind="regression")
    report.check("bad2", "The second claim.", 0.0, 1.0, op=">=", kind="regression")
    with pytest.raises(AssertionError) as info:
        report.finish(tmp_path)
    message = str(info.value)
    assert "'demo'" in message and "2 of 3" in message
    assert "bad1: The first claim." in message and "bad2: The second claim." in message
    assert "- ok:" not in message
    assert len(checks.read_checks(tmp_path / "checks.json")) == 3  # written before raising


def test_finish_without_checks_raises(tmp_path):
    with pytest.raises(AssertionError, match="no checks"):
        checks.Report("empty").finish(tmp_path)


def test_table_formats():
    report = checks.Report("demo")
    report.check("a", "A | pipe.", 0.123456, 1, kind="regression")
    report.check("w", "Inside.", 0.5, (0, 1), op="within", kind="regression")
    md = checks.checks_table(report.checks)
    assert r"A \| pipe." in md and "| demo | w | Inside. | 0.5 | in [0, 1] | pass |" in md
    plain = checks.checks_table(report.checks, markdown=False)
    assert "0.1235" in plain and "<= 1" in plain
    short = checks.checks_table(report.checks, notebook=False)
    assert short.startswith("| check | claim |") and "| w | Inside. | 0.5 | in [0, 1] | pass |" in short


def test_breaking_a_check_fails_execution_naming_notebook_and_claim(tmp_path, monkeypatch):
    """A notebook whose check fails stops papermill with the notebook, the cell and the claim."""
    path = make_notebook(tmp_path, "broken", params="value = 0.5", body=[
        "from rmtlib.compendium import checks\nreport = checks.Report('broken')",
        "report.check('fine', 'This claim holds.', 0.1, 1.0, kind='exact')\n"
        "report.check('ks_law', 'The spectrum follows the law.', value, 0.25, kind='regression')",
        "report.finish()",
    ])
    monkeypatch.setenv("RMTLIB_PROFILE_DIR", str(tmp_path / "profiles"))
    nb = execution.Notebook.load(path)
    with pytest.raises(execution.NotebookError) as info:
        execution.execute_for_book(nb, "quick", results=tmp_path / "results", progress=False)
    message = str(info.value)
    assert "notebook 'broken' failed in cell" in message
    assert "report.finish()" in message and "AssertionError" in message
    assert "ks_law: The spectrum follows the law." in message and "fine" not in message
    assert (tmp_path / "results" / "broken" / "checks.json").is_file()
    assert not execution.is_fresh(nb, "quick", results=tmp_path / "results")


def test_tables_format_numbers_and_refuse_ragged_rows(capsys):
    from rmtlib.compendium import tables

    md = tables.markdown_table(["case", "KS", "n"], [["a|b", 0.0123456, 400]])
    assert md.splitlines() == ["| case | KS | n |", "|---|---|---|", r"| a\|b | 0.01235 | 400 |"]
    assert tables.plain_table(["x", "value"], [["long name", 1.5]]).splitlines()[1] == "long name  1.5"
    tables.show_table(["x"], [[2]])
    assert capsys.readouterr().out.strip().splitlines() == ["x", "2"]
    with pytest.raises(ValueError, match="2 cells for 3 columns"):
        tables.markdown_table(["a", "b", "c"], [[1, 2]])


def test_status_and_passed_over_id_patterns():
    report = checks.Report("demo")
    for i in range(4):
        report.check(f"net_sc_{i}", "Fine.", 0.1, 0.2, kind="statistical")
    report.check("net_mp_0", "Bad.", 0.3, 0.2, kind="statistical")
    report.check("net_mp_1", "Bad too.", 0.3, 0.2, kind="statistical")
    assert report.status("net_sc_*") == "all 4 checks pass" and report.passed("net_sc_*") is True
    assert report.status("net_sc_0") == "1 check passes" and report.status("net_sc_[01]") == "both checks pass"
    assert report.status("net_sc_*", "net_mp_0") == "1 of 5 checks fails"
    assert report.passed("net_sc_*", "net_mp_0") is False  # one failing check among passing ones
    assert report.status("net_mp_*") == "2 of 2 checks fail" and report.status("net_mp_1") == "1 check fails"
    for ask in (report.status, report.passed):  # a typo in a summary must not pass silently
        with pytest.raises(ValueError, match="'net_cs_\\*', 'nope'"):
            ask("net_cs_*", "nope")
        with pytest.raises(ValueError, match="patterns"):
            ask()
    report.check("ks_law", "Not calibrated here.", 0.1, float("nan"), kind="regression")
    assert report.status("ks_*") == "1 check not calibrated at this profile (not judged)"
    assert report.passed("ks_*") is False  # nothing judged is no evidence
    assert report.status("net_sc_*", "ks_*") == "all 4 checks pass; 1 more not calibrated at this profile"
    assert report.passed("net_sc_*", "ks_*") is True
