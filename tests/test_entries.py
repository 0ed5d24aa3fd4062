"""Entry laws: unit variance, fourth moments, reproducibility and validation."""

import numpy as np
import pytest

from rmtlib import entries

PARAMS = {"student_t": {"nu": 7.0}, "sparse": {"p": 0.2}, "pareto_symmetric": {"alpha": 9.0}}


@pytest.mark.parametrize("name", entries.NAMES)
def test_zero_mean_unit_variance_and_fourth_moment(name):
    params = PARAMS.get(name, {})
    n = 400_000
    x = entries.sample(name, n, rng=12, **params)
    m4 = entries.fourth_moment(name, **params)
    # tolerances: 6 standard errors of the sample mean / variance (Var x^2 = m4 - 1)
    assert abs(x.mean()) < 6 / np.sqrt(n)
    assert abs((x**2).mean() - 1) <= 6 * np.sqrt(m4 - 1) / np.sqrt(n) + 1e-12
    assert entries.has_unit_variance(name, **params)


def test_fourth_moments_closed_forms():
    assert entries.fourth_moment("gaussian") == 3.0
    assert entries.fourth_moment("rademacher") == 1.0
    assert entries.fourth_moment("uniform") == pytest.approx(1.8)
    assert entries.fourth_moment("student_t", nu=5.0) == pytest.approx(9.0)
    assert entries.fourth_moment("student_t", nu=3.0) == np.inf
    assert entries.fourth_moment("sparse", p=0.1) == pytest.approx(30.0)
    assert entries.fourth_moment("pareto_symmetric", alpha=3.0) == np.inf
    assert not entries.has_unit_variance("pareto_symmetric", alpha=1.5)


def test_same_seed_same_matrix():
    a = entries.sample("student_t", (20, 30), rng=5, nu=5.0)
    b = entries.sample("student_t", (20, 30), rng=np.random.default_rng(5), nu=5.0)
    assert a.shape == (20, 30)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, entries.sample("student_t", (20, 30), rng=6, nu=5.0))


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: entries.sample("cauchy", 3, rng=0), "name must be one of"),
        (lambda: entries.sample("student_t", 3, rng=0, nu=2.0), r"nu must be in \(2.0"),
        (lambda: entries.sample("sparse", 3, rng=0, p=1.5), "p must be in"),
        (lambda: entries.sample("sparse", 3, rng=0), "takes parameters"),
        (lambda: entries.sample("gaussian", (2, -1), rng=0), r"shape\[1\]"),
        (lambda: entries.sample("gaussian", 3, rng=-1), "rng must be"),
        (lambda: entries.fourth_moment("pareto_symmetric", alpha=0.0), "alpha"),
        (lambda: entries.sample("gaussian", 10**12, rng=0), r"shape\[0\]"),  # refused, not allocated
        (lambda: entries.sample("gaussian", "34", rng=0), "shape"),
        (lambda: entries.sample(["gaussian"], 3, rng=0), "name must be one of"),
        (lambda: entries.resolve(("sparse", {"p": -1.0}), name="w_entries"), "w_entries: p must be in"),
    ],
)
def test_bad_input_names_the_parameter(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()
