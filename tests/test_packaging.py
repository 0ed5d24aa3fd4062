"""Packaging and repository conventions: pins, environment.yml, notebooks, profiles, toc, bib files."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import nbformat
import pytest
import yaml

from rmtlib.compendium import execution

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([A-Za-z0-9_.+\-]+)$")


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins() -> dict:
    out = {}
    for line in (ROOT / "requirements" / "pins.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            match = PIN.match(line)
            assert match, f"requirements/pins.txt: {line!r} is not an exact 'name==version' pin"
            out[_norm(match[1])] = match[2]
    return out


def test_environment_yml_agrees_with_pins():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = env["dependencies"]
    assert any(str(d).startswith("python") for d in deps if isinstance(d, str)), "environment.yml names python"
    pip_section = next(d["pip"] for d in deps if isinstance(d, dict) and "pip" in d)
    env_pins = {}
    for item in pip_section:
        match = PIN.match(item)
        if match:
            env_pins[_norm(match[1])] = match[2]
        else:
            assert item.startswith("-e ."), f"environment.yml: unexpected pip entry {item!r}"
    assert env_pins == pins()


def _requirement_name(requirement: str) -> str:
    return _norm(re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0])


def test_every_direct_dependency_is_pinned():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    direct = list(project["dependencies"])
    for extra in ("compendium", "book", "test", "bench"):
        direct += project["optional-dependencies"][extra]
    pinned = pins()
    for requirement in direct:
        name = _requirement_name(requirement)
        assert name == "rmtlib" or name in pinned, \
            f"{requirement!r} is a dependency but not pinned in requirements/pins.txt"
    for required in ("jupyter-book", "sphinx", "myst-nb", "papermill", "numba", "numpy", "scipy", "matplotlib"):
        assert required in pinned
    assert pinned["jupyter-book"].startswith("1."), "jupyter-book 2.x cannot build HTML offline"


def test_the_library_is_lean_and_the_compendium_an_extra():
    """``pip install rmtlib`` needs numpy, scipy and numba; the book and the tests add the compendium."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert sorted(map(_requirement_name, project["dependencies"])) == ["numba", "numpy", "scipy"]
    extras = project["optional-dependencies"]
    compendium = set(map(_requirement_name, extras["compendium"]))
    assert {"papermill", "nbformat", "ipykernel", "myst-nb", "matplotlib", "scikit-learn"} <= compendium
    for extra in ("book", "test"):
        assert "rmtlib[compendium]" in extras[extra], f"the {extra!r} extra must include the compendium"
    install = ".[compendium,book,test]"
    assert f"-e '{install}'" in (ROOT / "Makefile").read_text()
    assert f"- -e {install}" in (ROOT / "environment.yml").read_text()
    assert install in (ROOT / "requirements" / "pins.txt").read_text()


def test_console_script_and_package_data_are_declared():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert config["project"]["scripts"]["rmtlib"] == "rmtlib.compendium.cli:main"
    assert {"profiles/*.json", "data/*.json"} <= set(config["tool"]["setuptools"]["package-data"]["rmtlib.compendium"])
    assert "rmtlib.*" in config["tool"]["setuptools"]["packages"]["find"]["include"], \
        "every subpackage of rmtlib (models, experiments, compendium, ...) is installed"


def test_there_are_notebooks():
    assert NOTEBOOKS, "notebooks/ holds no notebook"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    dirty = [i for i, c in enumerate(nb.cells)
             if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count") is not None)]
    assert not dirty, f"{path.name}: cells {dirty} have outputs or execution counts; clear them"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_structure(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# "), \
        f"{path.name}: the first cell is the markdown H1 title"
    titles = [c for c in nb.cells if c.cell_type == "markdown" and re.search(r"^# ", c.source, re.M)]
    assert len(titles) == 1, f"{path.name}: exactly one H1 title"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", []), f"{path.name}: first code cell tagged 'parameters'"
    assert "seed" in execution.read_parameters(nb, name=path.name), f"{path.name}: parameters include seed"
    assert code[-1].source.strip().endswith(".finish()"), f"{path.name}: the last code cell is report.finish()"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_has_quick_and_paper_profiles(path):
    nb = execution.Notebook.load(path)  # validates every profile against the parameter types
    assert {"quick", "paper"} <= set(nb.profiles), \
        f"rmtlib/compendium/profiles/{path.stem}.json must define the profiles 'quick' and 'paper'"


def test_profiles_have_notebooks():
    stems = {p.stem for p in NOTEBOOKS}
    orphans = [p.name for p in (ROOT / "rmtlib" / "compendium" / "profiles").glob("*.json")
               if p.name.split(".")[0] not in stems]
    assert not orphans, f"profiles without a notebook: {orphans}"


def _toc_files(node) -> list[str]:
    files = []
    if isinstance(node, dict):
        if "file" in node:
            files.append(node["file"])
        for value in node.values():
            files += _toc_files(value)
    elif isinstance(node, list):
        for item in node:
            files += _toc_files(item)
    return files


def test_toc_and_notebooks_agree():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"], *_toc_files(toc)]
    chapters = [f.removeprefix("book/results/") for f in files if f.startswith("book/results/")]
    stems = [p.stem for p in NOTEBOOKS]
    assert sorted(chapters) == sorted(stems), (
        f"_toc.yml chapters {chapters} and notebooks/ {stems} differ: add or delete toc lines")
    static = [f for f in files if not f.startswith("book/results/")]
    generated = {"book/reproduction", "book/benchmarks", "book/api"}
    missing = [f for f in static if f not in generated and not (ROOT / f"{f}.md").is_file()]
    assert not missing, f"_toc.yml names missing pages: {missing}"


def test_bib_files_exist_and_are_configured():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    bibfiles = config["bibtex_bibfiles"]
    assert "book/references.bib" in bibfiles
    for stem in ("jacobian", "products", "deformed", "nonlinear", "toolkit"):
        assert f"book/bib/{stem}.bib" in bibfiles
    for name in bibfiles:
        text = (ROOT / name).read_text()
        keys = re.findall(r"@\w+\{([^,]+),", text)
        assert len(keys) == len(set(keys)), f"{name}: duplicate keys"
        stem = Path(name).stem
        if name.startswith("book/bib/"):
            bad = [k for k in keys if not k.startswith(f"{stem}_")]
            assert not bad, f"{name}: keys must start with '{stem}_': {bad}"


def test_config_is_offline_and_strict():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["execute"]["execute_notebooks"] == "off"
    assert "sphinx-mathjax-offline" in config["sphinx"]["extra_extensions"]
    assert config["sphinx"]["config"]["nitpicky"] is True
    text = (ROOT / "Makefile").read_text()
    assert "-W -n --keep-going" in text


def test_calibration_files_are_valid_json():
    for path in (ROOT / "rmtlib" / "compendium" / "data").glob("*_calibration.json"):
        json.loads(path.read_text())
