"""The Dask backend: a LocalCluster gives the serial numbers, also when a worker dies mid-sweep."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("dask.distributed", reason="the cluster extra: pip install 'rmtlib[cluster]'")

from rmtlib.compendium import cli  # noqa: E402
from rmtlib.experiments import mapper as mp  # noqa: E402
from rmtlib.experiments.mapper import Mapper  # noqa: E402

from test_mapper import _dies_once, _draw  # noqa: E402

pytestmark = pytest.mark.cluster


@pytest.fixture
def no_backend(monkeypatch):
    for name in mp.ENVIRONMENT.values():  # set, then deleted: restored (unset) after the test
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    yield monkeypatch
    mp.close_shared()


def test_a_killed_worker_is_replaced_and_its_task_rerun(no_backend, tmp_path):
    expected = [_draw(s) for s in range(8)]
    with Mapper(scheduler="local", workers=2) as cluster:
        assert cluster.kind == "dask"
        assert cluster(_draw, range(8)) == expected
        assert cluster(_dies_once, [(s, str(tmp_path / "died")) for s in range(8)]) == expected
    assert (tmp_path / "died").exists()


def _checks(runs_dir):
    (folder,) = (runs_dir / "toolkit").iterdir()
    return [(c["id"], c["value"], c["threshold"], c["passed"])
            for c in json.loads((folder / "checks.json").read_text())["checks"]]


@pytest.mark.notebook
def test_a_chapter_on_a_local_cluster_gives_the_serial_checks(no_backend, tmp_path):
    """toolkit (quick) serially, then on a LocalCluster of 2 processes: checks.json value for value.

    The serial run uses the session's simulation cache (and fills it for test_notebooks); the
    cluster run gets an empty one, so that every matrix is drawn again on the workers.
    """
    common = ["run", "toolkit", "--profile", "quick", "--no-progress"]
    assert cli.main([*common, "--runs-dir", str(tmp_path / "serial")]) == 0
    no_backend.setenv("RMTLIB_SIMULATION_CACHE", str(tmp_path / "fresh-cache"))
    assert cli.main([*common, "--runs-dir", str(tmp_path / "cluster"), "--scheduler", "local",
                     "--workers", "2"]) == 0
    serial, cluster = _checks(tmp_path / "serial"), _checks(tmp_path / "cluster")
    assert len(serial) > 30 and cluster == serial
    assert not np.isnan([value for _, value, _, _ in serial]).any()
