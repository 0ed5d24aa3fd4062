"""Interrupted runs: one line, a marked run folder, and the previous book results kept."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import make_notebook

SLEEPY = ["import time\ntime.sleep(seconds)",
          "from rmtlib.compendium import checks\nreport = checks.Report('sleepy')\n"
          "report.check('x', 'Fine.', 0.0, 1.0, kind='exact')\nreport.finish()"]


@pytest.fixture
def sleepy(tmp_path):
    make_notebook(tmp_path, "sleepy", params="seconds = 0.0", body=SLEEPY,
                  profiles={"quick": {}, "paper": {}, "slow": {"seconds": 60.0}})
    return tmp_path


def _rmtlib(root: Path, *args, stop_after=None, sig=signal.SIGINT):
    env = dict(os.environ, RMTLIB_PROFILE_DIR=str(root / "profiles"))
    cmd = [sys.executable, "-m", "rmtlib.compendium.cli", "--notebook-dir", str(root / "notebooks"), *args]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    if stop_after is not None:
        time.sleep(stop_after)
        proc.send_signal(sig)
    out, err = proc.communicate(timeout=300)
    return proc.returncode, out, err


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_stopped_run_is_marked_and_says_one_line(sleepy, sig):
    code, _, err = _rmtlib(sleepy, "run", "sleepy", "--profile", "slow", "--no-progress",
                           "--runs-dir", str(sleepy / "runs"), stop_after=10, sig=sig)
    assert code == 130
    assert "Traceback" not in err and err.strip().splitlines()[-1].startswith("rmtlib: interrupted")
    (folder,) = (sleepy / "runs" / "sleepy").iterdir()
    status = json.loads((folder / "status.json").read_text())
    assert status["status"] == "interrupted" and status["ended"] and "run" in status["command"]
    assert not (folder / "checks.json").exists()


def test_a_finished_run_says_passed(sleepy):
    code, _, err = _rmtlib(sleepy, "run", "sleepy", "--no-progress", "--runs-dir", str(sleepy / "runs"))
    assert code == 0 and "Kernel is running over TCP" not in err
    (folder,) = (sleepy / "runs" / "sleepy").iterdir()
    status = json.loads((folder / "status.json").read_text())
    assert status["status"] == "passed" and status["failed_checks"] == []
    assert (folder / "kernel.log").is_file()  # the kernel's own stderr goes there


def test_an_interrupted_execute_keeps_the_previous_results(sleepy):
    results = sleepy / "results"
    code, _, _ = _rmtlib(sleepy, "execute", "--profile", "quick", "--results", str(results), "--no-progress")
    assert code == 0
    before = {p.name: p.read_bytes() for p in (results / "sleepy.ipynb", results / "sleepy" / "checks.json")}
    code, _, _ = _rmtlib(sleepy, "execute", "--profile", "slow", "--results", str(results), "--force",
                         "--no-progress", stop_after=10)
    assert code == 130
    after = {p.name: p.read_bytes() for p in (results / "sleepy.ipynb", results / "sleepy" / "checks.json")}
    assert after == before
    assert not list(results.glob(".partial-*"))
