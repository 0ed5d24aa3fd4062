"""Checks that can fail: the perturbed theory, the simulation cache, the nulls and `rmtlib power`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import make_notebook
from rmtlib.compendium import nulls, power
from rmtlib.compendium.checks import read_checks
from rmtlib.compendium.cli import main
from rmtlib.experiments import cache, theory
from rmtlib.laws import MarchenkoPastur, Semicircle
from rmtlib.spectral_law import Scaled

ROOT = Path(__file__).resolve().parent.parent

# --------------------------------------------------------------------------- the perturbed theory


def test_parse_accepts_factors_and_refuses_bad_items():
    assert theory.parse("scale=1.02, zeta=0.5") == {"scale": 1.02, "zeta": 0.5}
    assert theory.parse("") == {}
    for bad, match in [("scale", "NAME=VALUE"), ("scale=x", "not a number"), ("scale=-1", "> 0"),
                       ("scale=nan", "> 0"), ("1a=2", "NAME=VALUE")]:
        with pytest.raises(ValueError, match=match):
            theory.parse(bad)


def test_unperturbed_theory_is_the_identity(monkeypatch):
    monkeypatch.delenv(theory.ENVIRONMENT, raising=False)
    law = Semicircle()
    assert theory.law(law) is law and theory.position(2.0) == 2.0 and theory.moment(3.0, 2) == 3.0
    assert theory.parameter("zeta", 0.7) == 0.7


def test_scale_pushes_laws_forward(monkeypatch):
    monkeypatch.setenv(theory.ENVIRONMENT, "scale=1.5,zeta=2")
    assert theory.position(2.0) == 3.0 and theory.moment(1.0, 2) == 2.25
    assert theory.parameter("zeta", 0.5) == 1.0 and theory.parameter("eta", 0.5) == 0.5
    law = theory.law(MarchenkoPastur(2.0))
    base = MarchenkoPastur(2.0)
    assert law.atoms == ((0.0, 0.5),)
    assert law.support == [(1.5 * a, 1.5 * b) for a, b in base.support]
    assert law.moment(2) == pytest.approx(2.25 * base.moment(2), rel=1e-12)
    x = np.linspace(0.1, 8.0, 7)
    assert np.allclose(law.cdf(1.5 * x), base.cdf(x), atol=1e-12)
    assert np.allclose(law.density(1.5 * x), base.density(x) / 1.5)
    z = np.array([1 + 1j, -2 + 0.5j])
    assert np.allclose(law.stieltjes(1.5 * z), base.stieltjes(z) / 1.5)


def test_scaled_refuses_bad_factors():
    with pytest.raises(ValueError, match="factor"):
        Semicircle().scaled(0.0)
    with pytest.raises(TypeError, match="SpectralLaw"):
        Scaled(3.0, 1.0)

# --------------------------------------------------------------------------- the simulation cache


CALLS = []


@cache.simulation
def _draw(settings, seed):
    CALLS.append(seed)
    return np.random.default_rng(seed).standard_normal(settings["n"])


def test_simulations_are_cached_by_arguments(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.ENVIRONMENT, str(tmp_path))
    CALLS.clear()
    first = _draw({"n": 5}, 1)
    again = _draw({"n": 5}, 1)
    other = _draw({"n": 5}, 2)
    spawned = np.random.SeedSequence(7).spawn(2)
    _draw({"n": 5}, spawned[0])
    _draw({"n": 5}, np.random.SeedSequence(7).spawn(2)[0])
    assert np.array_equal(first, again) and not np.array_equal(first, other)
    assert CALLS == [1, 2, spawned[0]]
    _draw({"n": 5}, np.random.default_rng(0))  # a Generator is not a key: runs every time
    _draw({"n": 5}, np.random.default_rng(0))
    assert len(CALLS) == 5


def test_without_the_variable_nothing_is_cached(monkeypatch):
    monkeypatch.delenv(cache.ENVIRONMENT, raising=False)
    CALLS.clear()
    _draw({"n": 3}, 1)
    _draw({"n": 3}, 1)
    assert CALLS == [1, 1]

# --------------------------------------------------------------------------- the nulls


def test_seed_mean_false_alarm_rate_and_power():
    rng = np.random.default_rng(0)
    samples = rng.standard_normal((20000, 10))
    alarms = sum(not nulls.seed_mean(row, 0.0).passed for row in samples)
    assert alarms <= 12  # expected 2 at ALPHA = 1e-4
    shifted = sum(nulls.seed_mean(row + 3.0, 0.0).passed for row in samples[:2000])
    assert shifted < 100  # a 9.5 standard-error shift is nearly always caught


def test_two_sample_binomial_and_extrapolation():
    rng = np.random.default_rng(1)
    a, b = rng.normal(0, 1, 30), rng.normal(0, 1, 30)
    assert nulls.two_sample(a, b).passed and not nulls.two_sample(a, b + 2.0).passed
    assert nulls.binomial(500, 1000, 0.5).passed and not nulls.binomial(600, 1000, 0.5).passed
    sizes = [100, 200, 400, 800]
    per_size = [1.0 + 3.0 / n + rng.normal(0, 1e-3, 8) for n in sizes]
    assert nulls.extrapolated(sizes, per_size, 1.0).passed
    assert not nulls.extrapolated(sizes, per_size, 1.02).passed
    decaying = [0.5 / np.sqrt(n) + rng.normal(0, 1e-4, 8) for n in sizes]
    assert nulls.upper_floor(sizes, decaying).passed
    assert not nulls.upper_floor(sizes, [d + 0.01 for d in decaying]).passed
    with pytest.raises(ValueError, match="3 sizes"):
        nulls.extrapolated(sizes[:2], per_size[:2], 1.0)


def test_extrapolated_keeps_its_level_with_few_seeds_at_the_largest_size():
    """24, 12 and 8 seeds at n = 250, 500, 1000 and noise ~ 1/n: the rate of false alarms is alpha.

    With the seeds' degrees of freedom pooled (41) the rate was about 10 alpha; the Welch-Satterthwaite
    degrees of freedom of the intercept's variance (about 15 here) bring it to alpha or below.
    """
    rng = np.random.default_rng(5)
    sizes, seeds, alpha, trials = [250, 500, 1000], [24, 12, 8], 0.01, 4000
    alarms = sum(not nulls.extrapolated(sizes, [rng.standard_normal(m) / n for n, m in zip(sizes, seeds)], 0.0,
                                        alpha=alpha).passed for _ in range(trials))
    assert alarms <= 1.3 * alpha * trials  # 40 expected; the pooled degrees of freedom gave about 75


def test_pooled_extrapolation_keeps_its_level_and_resolves_more():
    """The same sweep with the noise law sd ~ 1/n known (``noise_order=1``): the seeds' variances are pooled.

    The Student quantile is then exact (41 degrees of freedom), so the rate is alpha; the threshold no
    longer depends on the 8 seeds of the largest size alone: it is smaller on average and far steadier.
    """
    rng = np.random.default_rng(6)
    sizes, seeds, alpha, trials = [250, 500, 1000], [24, 12, 8], 0.01, 4000
    own, pooled = [], []
    for _ in range(trials):
        per_size = [rng.standard_normal(m) / n for n, m in zip(sizes, seeds)]
        own.append(nulls.extrapolated(sizes, per_size, 0.0, alpha=alpha))
        pooled.append(nulls.extrapolated(sizes, per_size, 0.0, noise_order=1.0, alpha=alpha))
    alarms = sum(not t.passed for t in pooled)
    assert 0.6 * alpha * trials <= alarms <= 1.3 * alpha * trials  # 40 expected
    spread = {name: np.array([t.threshold for t in tests]) for name, tests in (("own", own), ("pooled", pooled))}
    assert spread["pooled"].mean() < spread["own"].mean()
    assert spread["pooled"].std() < 0.6 * spread["own"].std()  # measured: 0.54
    assert all(t.k == pytest.approx(nulls.k_factor(41, alpha)) for t in pooled[:5])


def test_two_sample_extrapolated_ignores_finite_size_differences():
    """Two laws that differ by c/n at every n but share the limit pass; a shifted limit fails."""
    rng = np.random.default_rng(2)
    sizes = [100, 200, 400]
    alarms = 0
    for _ in range(2000):
        first = [2.0 + 7.0 / n + rng.normal(0, 1e-3, 10) for n in sizes]
        second = [2.0 + 1.0 / n + rng.normal(0, 1e-3, 10) for n in sizes]
        alarms += not nulls.two_sample_extrapolated(sizes, first, second).passed
    assert alarms <= 3  # ALPHA = 1e-4: 0.2 expected
    assert not nulls.two_sample(first[-1], second[-1]).passed  # at one n the 1/n term is resolved
    shifted = [s + 0.01 for s in second]
    assert not nulls.two_sample_extrapolated(sizes, first, shifted).passed

# --------------------------------------------------------------------------- rmtlib power

POWER_BODY = [
    "import numpy as np\nfrom rmtlib.compendium import checks, nulls\nfrom rmtlib.experiments import theory",
    "values = [np.mean(np.random.default_rng([seed, k]).standard_normal(n) ** 2) for k in range(10)]\n"
    "test = nulls.seed_mean(values, theory.moment(theory.parameter('variance', 1.0), 2))\n"
    "report = checks.Report('tinypower')\n"
    "report.check('m2', 'The second moment is the variance.', test.value, test.threshold, kind='statistical')\n"
    "report.check('kept', 'A regression bound.', 0.1, 1.0, kind='regression')",
    "report.finish()",
]


@pytest.fixture
def tinypower(tmp_path, monkeypatch):
    path = make_notebook(tmp_path, "tinypower", params="n = 2000\nseed = 3", body=POWER_BODY)
    (tmp_path / "profiles" / "tinypower.theory.json").write_text(
        json.dumps({"variance": "the variance of the entries"}))
    monkeypatch.setenv("RMTLIB_PROFILE_DIR", str(tmp_path / "profiles"))
    monkeypatch.setenv("RMTLIB_CACHE_DIR", str(tmp_path / "cache"))
    return path


def _power(path, *args):
    return main(["--notebook-dir", str(path.parent), "power", "tinypower", "--no-progress",
                 "--runs-dir", str(path.parent.parent / "runs"), *args])


def test_power_exit_codes(tinypower, capsys):
    assert _power(tinypower, "--perturb", "scale=1.0") == 0
    assert "0 failed" in capsys.readouterr().out
    assert _power(tinypower, "--perturb", "scale=1.2") == 1
    out = capsys.readouterr().out
    assert "m2 [statistical]: The second moment is the variance." in out and "kept" not in out
    assert _power(tinypower, "--perturb", "variance=1.2") == 1
    for bad in (["--perturb", "zeta=1.1"], ["--perturb", "scale=0"], []):
        assert _power(tinypower, *bad) == 2
        assert "rmtlib: error:" in capsys.readouterr().err


def test_power_sweep_records_detects(tinypower, capsys):
    assert _power(tinypower, "--sweep") == 0
    (path,) = (tinypower.parent.parent / "runs" / "power" / "tinypower").glob("*/checks.json")
    found = {c.id: c.detects for c in read_checks(path)}
    assert found == {"m2": 0.05, "kept": None}
    assert json.loads(path.read_text())["power"]["deltas"] == [0.005, 0.01, 0.02, 0.05]
    assert "m2" in capsys.readouterr().out


def test_list_shows_theory_parameters(tinypower, capsys):
    assert main(["--notebook-dir", str(tinypower.parent), "list"]) == 0
    out = capsys.readouterr().out
    assert "variance: the variance of the entries" in out and "scale:" in out

# --------------------------------------------------------------------------- every chapter


CHAPTERS = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))


def _chapter_power(stem, perturbation, tmp_path):
    return subprocess.run([sys.executable, "-m", "rmtlib.compendium.cli", "power", stem, "--profile", "quick",
                           "--perturb", perturbation, "--no-progress", "--runs-dir", str(tmp_path)],
                          capture_output=True, text=True, cwd=ROOT, timeout=900)


@pytest.mark.notebook
@pytest.mark.parametrize("stem", CHAPTERS)
def test_every_chapter_catches_a_scale_error(stem, tmp_path):
    done = _chapter_power(stem, "scale=1.1", tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "[statistical]" in done.stdout


@pytest.mark.notebook
def test_an_unperturbed_chapter_passes(tmp_path):
    done = _chapter_power("toolkit", "scale=1", tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
