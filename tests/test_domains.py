"""Declared parameter domains: bad values refused before any kernel starts, naming the parameter."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import TINY_BODY, make_notebook
from rmtlib.compendium import domains, execution
from rmtlib.compendium.cli import main

ROOT = Path(__file__).resolve().parent.parent

TINY_DOMAINS = {
    "parameters": {
        "n": {"description": "matrix size", "unit": "rows", "int": [1, 5000], "size": True},
        "scale": {"description": "a factor", "float": [0.0, 10.0]},
        "bound": {"description": "the bound", "float": [0.0, 100.0]},
        "label": {"description": "a label", "choices": ["x", "y"]},
        "flag": {"description": "a switch", "bool": True},
    },
    "estimate": {"bytes_per_size2": 8e6, "paper_seconds": 2.0},
}


@pytest.fixture
def declared(tiny):
    (tiny.parent.parent / "profiles" / "tiny.domains.json").write_text(json.dumps(TINY_DOMAINS))
    return tiny


def _run(path, *args):
    return main(["--notebook-dir", str(path.parent), "run", "tiny", "--no-progress",
                 "--runs-dir", str(path.parent.parent / "runs"), *args])


@pytest.mark.parametrize("name, value, words", [
    ("n", "0", "n = 0"), ("n", "-4", "n = -4"), ("n", "1000000000", "integers in [1, 5000]"),
    ("scale", "nan", "scale"), ("label", "z", "one of 'x', 'y'"),
])
def test_out_of_domain_values_are_refused_before_anything_runs(declared, capsys, name, value, words):
    assert _run(declared, "-p", name, value) == 2
    err = capsys.readouterr().err
    assert words in err and name in err
    assert not (declared.parent.parent / "runs").exists()


def test_a_run_larger_than_memory_is_refused_with_the_estimate(declared, capsys):
    assert _run(declared, "-p", "n", "5000") == 2  # 8e6 * 5000^2 bytes
    err = capsys.readouterr().err
    assert "GiB of memory" in err and "n = 5000" in err
    assert not (declared.parent.parent / "runs").exists()


def test_list_describes_every_parameter_and_the_estimate(declared, capsys):
    assert main(["--notebook-dir", str(declared.parent), "list"]) == 0
    out = capsys.readouterr().out
    assert "matrix size [rows]; integers in [1, 5000]" in out and "estimate (quick)" in out


def test_a_notebook_profile_parameter_follows_the_profile(tmp_path, monkeypatch):
    path = make_notebook(tmp_path, "prof", params="profile = 'paper'\nn = 3\nscale = 0.5\nbound = 10.0",
                         body=TINY_BODY[:2] + TINY_BODY[3:], profiles={"quick": {"n": 2}, "paper": {}})
    monkeypatch.setenv("RMTLIB_PROFILE_DIR", str(tmp_path / "profiles"))
    nb = execution.Notebook.load(path)
    assert nb.resolve(profile="quick")["profile"] == "quick"
    with pytest.raises(ValueError, match="set by --profile"):
        nb.resolve(profile="quick", overrides={"profile": "paper"})


def test_domain_files_need_a_description_and_one_kind():
    with pytest.raises(ValueError, match="description"):
        domains.Domains("x", {"parameters": {"n": {"int": [1, 2]}}})
    with pytest.raises(ValueError, match="exactly one"):
        domains.Domains("x", {"parameters": {"n": {"description": "n", "int": [1, 2], "bool": True}}})


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.stem)
def test_every_chapter_parameter_has_a_domain_and_every_profile_fits_it(path):
    nb = execution.Notebook.load(path)
    assert nb.domains is not None, f"{nb.stem}: no {nb.stem}.domains.json beside its profiles"
    assert set(nb.domains.parameters) == set(nb.defaults)
    for profile in nb.profiles:
        params = nb.resolve(profile=profile)  # raises when a profile leaves the declared domains
        assert nb.domains.memory(params) > 0 and nb.domains.seconds(params, nb.defaults) > 0
