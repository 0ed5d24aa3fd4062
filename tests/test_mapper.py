"""rmtlib.experiments.mapper: the same results, in order, serially and on worker processes."""

from __future__ import annotations

import argparse
import json
import math
import os
import sys

import numpy as np
import pytest

from rmtlib.compendium import calibration, checks, cli, execution, kernel_environment
from rmtlib.experiments import mapper as mp
from rmtlib.experiments.mapper import Mapper, map_tasks


def _draw(seed):
    return float(np.random.default_rng(seed).standard_normal(50).sum())


def _dies_once(task):
    """Kill this worker process the first time task 3 runs (a marker file remembers it)."""
    seed, marker = task
    if seed == 3 and marker is not None and not os.path.exists(marker):
        open(marker, "w").close()
        os._exit(1)
    return _draw(seed)


@pytest.fixture
def no_backend(monkeypatch):
    for name in mp.ENVIRONMENT.values():  # set, then deleted: restored (unset) after the test
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    yield
    mp.close_shared()


def test_processes_give_the_serial_numbers_in_order(no_backend):
    tasks = list(np.random.SeedSequence(3).spawn(6))
    with Mapper(workers=1) as serial:
        expected = list(serial(_draw, tasks))
    assert serial.kind == "serial"
    with Mapper(workers=2) as pool:
        assert pool.kind == "processes"
        assert pool(_draw, tasks) == expected


def test_a_broken_pool_is_replaced_and_its_unfinished_tasks_rerun(no_backend, tmp_path):
    expected = [_draw(s) for s in range(8)]
    with Mapper(workers=2, retries=1) as pool:
        assert pool(_dies_once, [(s, str(tmp_path / "died")) for s in range(8)]) == expected
    assert (tmp_path / "died").exists()
    with Mapper(workers=2, retries=0) as pool, pytest.raises(Exception, match="terminated abruptly"):
        (tmp_path / "again").unlink(missing_ok=True)
        pool(_dies_once, [(s, str(tmp_path / "again")) for s in range(8)])


def test_map_tasks_takes_the_backend_from_the_environment(no_backend, monkeypatch):
    tasks = list(range(5))
    assert map_tasks(_draw, tasks) == [_draw(s) for s in tasks]
    monkeypatch.setenv("RMTLIB_WORKERS", "2")
    assert Mapper().kind == "processes" and Mapper().workers == 2
    assert map_tasks(_draw, tasks) == [_draw(s) for s in tasks]
    assert Mapper(workers=1).kind == "serial"  # an explicit argument wins over the command line
    monkeypatch.setenv("RMTLIB_WORKERS", "zero")
    with pytest.raises(ValueError, match="RMTLIB_WORKERS must be an integer >= 1"):
        Mapper()


def test_workers_and_schedulers_are_validated():
    with pytest.raises(ValueError, match="workers"):
        Mapper(workers=0)
    with pytest.raises(TypeError, match="blas_threads"):
        Mapper(blas_threads=1.5)
    for good in ("local", "tcp://10.0.0.5:8786", "scheduler.cluster:8786", "127.0.0.1:8786"):
        assert mp.validate_scheduler(good) == good
    for bad in ("", "http://host:8786", "host", "tcp://host:99999", 8786):
        with pytest.raises(ValueError, match="scheduler must be 'local' or a Dask scheduler address"):
            mp.validate_scheduler(bad)
    for bad in ("0", "-1", "two", 1.5, True):
        with pytest.raises(ValueError, match="workers must be an integer >= 1"):
            mp.validate_workers(bad)


def _args(**fields):
    base = dict(command="run", workers=None, scheduler=None, no_progress=True)
    return argparse.Namespace(**{**base, **fields})


def test_the_command_line_exports_the_backend_to_the_kernel(no_backend):
    kernel_environment.export_backend(_args(workers="3", scheduler="local"))
    assert os.environ["RMTLIB_WORKERS"] == "3" and os.environ["RMTLIB_SCHEDULER"] == "local"
    with pytest.raises(ValueError, match="--workers must be an integer >= 1, got '0'"):
        kernel_environment.export_backend(_args(workers="0"))
    with pytest.raises(ValueError, match="--scheduler must be 'local' or"):
        kernel_environment.export_backend(_args(scheduler="nowhere"))


def test_a_missing_dask_names_the_extra(no_backend, monkeypatch):
    monkeypatch.setitem(sys.modules, "dask.distributed", None)
    with pytest.raises(ValueError, match=r"pip install 'rmtlib\[cluster\]'"):
        kernel_environment.export_backend(_args(scheduler="local"))
    with pytest.raises(ImportError, match=r"rmtlib\[cluster\]"):
        Mapper(scheduler="tcp://127.0.0.1:8786")


def test_cli_usage_errors_exit_2(capsys):
    assert cli.main(["run", "toolkit", "--workers", "0"]) == 2
    assert "--workers must be an integer >= 1" in capsys.readouterr().err
    assert cli.main(["reproduce", "--scheduler", "http://x:1"]) == 2
    assert "--scheduler must be 'local'" in capsys.readouterr().err


def test_large_profiles_pass_the_preflight_and_are_estimated(capsys):
    """Every chapter has a ``large`` profile (n >= 4000, >= 20 seeds) that the preflight accepts."""
    for nb in execution.notebooks():
        assert "large" in nb.profiles, f"{nb.stem} has no large profile"
        params = nb.resolve(profile="large")
        cli._preflight(nb, params, "large")
        assert nb.domains.largest_size(params) >= 4000
        assert nb.domains.seconds(params, nb.defaults, workers=8) < nb.domains.seconds(params, nb.defaults)
    assert cli.main(["list"]) == 0
    assert "estimate (large)" in capsys.readouterr().out


def test_regression_checks_without_calibration_are_reported_apart(tmp_path):
    """Beyond SIZE_REACH x the calibrated sizes, or in the large profile, a regression bound is NaN:
    the check is listed as not calibrated, neither passed nor failed; other kinds still need a bound."""
    entries = [{"statistic": "ks", "profile": None, "n": 1000, "seeds": list(range(10)), "safety": 1.5,
                "values": [0.02] * 10},
               {"statistic": "drift", "profile": "paper", "n": None, "seeds": list(range(10)), "safety": 1.5,
                "values": [0.3] * 10}]
    doc = {"schema": calibration.SCHEMA, "notebook": "demo", "description": "", "profiles": {"paper": {}},
           "entries": entries}
    by_size = calibration.Calibration(doc)
    assert by_size.bound("ks", 2000) == pytest.approx(0.03 * math.sqrt(0.5))
    assert math.isnan(by_size.bound("ks", 4000))
    large = calibration.Calibration(doc, "large")
    assert math.isnan(large.bound("drift")) and math.isnan(large.lower_bound("drift"))
    with pytest.raises(ValueError, match="profile 'quick' is not calibrated"):
        calibration.Calibration(doc, "quick")
    report = checks.Report("demo")
    report.check("ks_big", "KS within its calibrated level.", 0.01, by_size.bound("ks", 4000), kind="regression")
    report.check("exact_one", "A closed form.", 0.0, 1e-9, kind="exact")
    with pytest.raises(ValueError, match="must be finite"):
        report.check("stat", "A null.", 0.1, math.nan, kind="statistical")
    report.finish(tmp_path)
    written = json.loads((tmp_path / "checks.json").read_text())
    assert [c["id"] for c in written["checks"]] == ["exact_one"]
    assert written["not_calibrated"] == [{"id": "ks_big", "claim": "KS within its calibrated level.", "value": 0.01,
                                          "op": "<=", "note": "not calibrated at this profile"}]


def _nested(seed):
    """A task that maps a sweep of its own: it runs serially on the worker."""
    return sum(map_tasks(_draw, [seed, seed + 1]))


def test_a_sweep_inside_a_task_runs_serially_on_its_worker(no_backend, monkeypatch):
    monkeypatch.setenv("RMTLIB_WORKERS", "2")
    assert map_tasks(_nested, range(4)) == [_draw(s) + _draw(s + 1) for s in range(4)]
