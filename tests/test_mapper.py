"""rmtlib.experiments.mapper: the same results, in order, serially and on worker processes."""

from __future__ import annotations

import numpy as np
import pytest

from rmtlib.experiments.mapper import Mapper


def _draw(seed):
    return float(np.random.default_rng(seed).standard_normal(50).sum())


def test_processes_give_the_serial_numbers_in_order():
    tasks = list(np.random.SeedSequence(3).spawn(6))
    with Mapper(workers=1) as serial:
        expected = list(serial(_draw, tasks))
    with Mapper(workers=2) as pool:
        assert list(pool(_draw, tasks)) == expected


def test_workers_are_validated():
    with pytest.raises(ValueError, match="workers"):
        Mapper(workers=0)
    with pytest.raises(TypeError, match="blas_threads"):
        Mapper(blas_threads=1.5)
