"""The rmtlib command: list, run (run folders, refusals before execution), reproduce."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import papermill
import pytest

from conftest import TINY_BODY, make_notebook
from rmtlib.compendium import cli, execution


def run_cli(tiny, *argv):
    return cli.main(["--notebook-dir", str(tiny.parent), *argv])


def test_list_shows_parameters_defaults_and_profiles(tiny, capsys):
    assert run_cli(tiny, "list") == 0
    out = capsys.readouterr().out
    assert "tiny" in out and "n     = 3 (int)   [quick=2, paper" not in out
    assert re.search(r"n\s+= 3 \(int\)\s+\[quick=2\]", out)
    assert "scale = 0.5 (float)" in out and "profiles: quick, paper" in out


@pytest.mark.parametrize("argv, message", [
    (["run", "nosuch"], "unknown notebook 'nosuch'; valid notebooks: tiny"),
    (["run", "tiny", "-p", "m", "1"], "no parameter 'm'; valid parameters: n, scale, bound, label, flag"),
    (["run", "tiny", "-p", "n", "2.5"], "parameter 'n' of notebook 'tiny' takes a value of type int"),
    (["run", "tiny", "-p", "n", "abc"], "takes a value of type int"),
    (["run", "tiny", "-p", "flag", "maybe"], "takes a value of type bool"),
    (["run", "tiny", "-p", "scale", "[1]"], "takes a value of type float"),
    (["run", "tiny", "--profile", "huge"], "no profile 'huge'; valid profiles: paper, quick"),
])
def test_refusals_happen_before_anything_executes(tiny, tmp_path, capsys, argv, message):
    runs = tmp_path / "runs"
    assert run_cli(tiny, *argv, "--runs-dir", str(runs)) == 2
    assert message in capsys.readouterr().err
    assert not runs.exists()


def test_values_are_parsed_by_the_type_of_the_default(tiny):
    nb = execution.find_notebook("tiny", directory=tiny.parent)
    assert execution.parse_value(nb, "n", "7") == 7
    assert execution.parse_value(nb, "scale", "2") == 2.0 and isinstance(execution.parse_value(nb, "scale", "2"), float)
    assert execution.parse_value(nb, "label", "hello world") == "hello world"
    assert execution.parse_value(nb, "flag", "true") is True
    assert nb.resolve(profile="quick") == {"n": 2, "scale": 0.5, "bound": 10.0, "label": "x", "flag": False}


def test_profile_with_unknown_or_mistyped_parameter_is_refused(tmp_path, monkeypatch):
    path = make_notebook(tmp_path, "bad", params="n = 3", body=[], profiles={"quick": {"n": "3"}})
    monkeypatch.setenv("RMTLIB_PROFILE_DIR", str(tmp_path / "profiles"))
    with pytest.raises(ValueError, match="takes a value of type int"):
        execution.Notebook.load(path)


@pytest.mark.notebook
def test_run_writes_a_new_folder_each_time(tiny, tmp_path, capsys, monkeypatch):
    runs = tmp_path / "runs"
    monkeypatch.setattr(execution.time, "strftime", lambda fmt, t: "20260101T000000Z")
    assert run_cli(tiny, "run", "tiny", "-p", "n", "4", "--runs-dir", str(runs), "--no-progress") == 0
    first = sorted((runs / "tiny").iterdir())
    assert len(first) == 1
    folder = first[0]
    params = {"n": 4, "scale": 0.5, "bound": 10.0, "label": "x", "flag": False}
    assert folder.name == f"20260101T000000Z-{execution.parameter_hash(params)}"
    assert json.loads((folder / "parameters.json").read_text())["parameters"] == params
    checks = json.loads((folder / "checks.json").read_text())["checks"]
    assert checks[0]["value"] == 2.0 and checks[0]["passed"]
    assert list((folder / "figures").glob("*.png"))
    executed = nbformat.read(folder / "tiny.ipynb", as_version=4)
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert injected and "hide-cell" in injected[0].metadata.tags
    assert executed.metadata.rmtlib["parameters"] == params
    stamp = (folder / "checks.json").stat().st_mtime
    out = capsys.readouterr()
    assert re.search(r"tiny\s+scaled .* pass .*n times scale stays below the bound\.", out.out)
    assert "1 checks, 0 failed" in out.out and "IPKernelApp" not in out.out + out.err
    page = folder / "page" / "_build" / "html" / "tiny.html"
    assert f"HTML page of the run: {page}" in out.out
    assert page.is_file() and "_static/mathjax/tex-chtml.js" in page.read_text()
    assert executed.cells[-1].source.startswith("::::{admonition} Rerun this chapter")
    assert "rmtlib run tiny -p n 4" in executed.cells[-1].source

    assert run_cli(tiny, "run", "tiny", "-p", "n", "4", "--runs-dir", str(runs), "--no-progress") == 0
    names = sorted(p.name for p in (runs / "tiny").iterdir())
    assert names == [folder.name, folder.name + "-2"]
    assert (folder / "checks.json").stat().st_mtime == stamp  # the earlier run is untouched


@pytest.mark.notebook
def test_reproduce_prints_table_and_fails_when_a_check_fails(tiny, tmp_path, capsys):
    make_notebook(tmp_path, "tinyfail", params="n = 3\nscale = 0.5\nbound = 1.0", profiles={"paper": {}},
                  body=[src.replace("Report('tiny')", "Report('tinyfail')") for src in TINY_BODY])
    runs = tmp_path / "runs"
    assert run_cli(tiny, "reproduce", "--runs-dir", str(runs), "--no-progress") == 1
    captured = capsys.readouterr()
    assert re.search(r"tiny\s+scaled .* pass", captured.out)
    assert re.search(r"tinyfail\s+scaled .* FAIL", captured.out)
    assert "2 checks, 1 failed, 1 notebooks with errors" in captured.out
    assert "notebook 'tinyfail' failed" in captured.err and "scaled: n times scale" in captured.err
    assert {p.name for p in runs.iterdir()} == {"tiny", "tinyfail"}


def test_console_script_is_installed_and_lists_the_chapters():
    script = Path(sys.executable).with_name("rmtlib")
    proc = subprocess.run([str(script), "list"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "toolkit" in proc.stdout and "profiles: quick, paper" in proc.stdout


def test_execute_says_why_it_runs_and_reuses_unchanged_results(tiny, tmp_path, capsys, monkeypatch):
    def fake_execute(source, output, **kwargs):  # a stand-in kernel: copy and write empty checks
        nbformat.write(nbformat.read(source, as_version=4), output)
        (Path(kwargs["cwd"]) / "checks.json").write_text('{"checks": []}')

    lib = tmp_path / "lib" / "rmtlib"
    lib.mkdir(parents=True)
    (lib / "laws.py").write_text("")
    monkeypatch.setattr(execution, "LIBRARY_DIR", lib)
    monkeypatch.setattr(papermill, "execute_notebook", fake_execute)
    argv = ["execute", "--profile", "quick", "--results", str(tmp_path / "results"), "--no-progress"]
    assert run_cli(tiny, *argv) == 0
    assert "tiny: executing with profile quick (no executed copy with its checks.json)" in capsys.readouterr().out
    assert run_cli(tiny, *argv) == 0
    assert "tiny: reusing" in capsys.readouterr().out
    (lib / "laws.py").write_text("X = 1\n")
    assert run_cli(tiny, *argv) == 0
    assert "(sources: rmtlib/laws.py changed)" in capsys.readouterr().out
    assert run_cli(tiny, *argv, "--force") == 0
    assert "(--force)" in capsys.readouterr().out
