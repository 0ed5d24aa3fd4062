"""Execute the chapter notebooks with papermill: run folders, the book's results, reuse.

The notebooks, their parameters and profiles are read and validated by
:mod:`rmtlib.compendium.parameters` before a kernel starts. An executed copy records the content
hashes of its inputs, taken when its execution starts, and is reused only while they still match
(:func:`is_fresh`).
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

import nbformat

from rmtlib.compendium import executed, kernel_environment
from rmtlib.compendium.calibration import data_path
from rmtlib.experiments import cache
# re-exported: callers use execution.Notebook, execution.parse_value, ... (documented in parameters)
from rmtlib.compendium.parameters import (  # noqa: F401
    PROFILE_DIR, Notebook, parameter_hash, parse_value, profile_dir, read_parameters,
)

__all__ = [
    "ROOT", "NOTEBOOK_DIR", "RESULTS_DIR", "PINS", "COMPENDIUM_PACKAGES", "NotebookError", "notebooks",
    "find_notebook", "execute", "execute_for_book", "is_fresh", "stale_reasons", "input_digests",
    "new_run_dir", "extract_figures",
]

PACKAGE_DIR = Path(__file__).resolve().parent
LIBRARY_DIR = PACKAGE_DIR.parent
ROOT = Path(os.environ.get("RMTLIB_ROOT") or LIBRARY_DIR.parent)
"""The source checkout (rmtlib is installed editable from it)."""
NOTEBOOK_DIR = ROOT / "notebooks"
RESULTS_DIR = ROOT / "book" / "results"
PINS = ROOT / "requirements" / "pins.txt"
"""The pinned dependency closure; the installed version of each package named there is an input."""
COMPENDIUM_PACKAGES = ("numpy", "scipy", "numba", "matplotlib", "scikit-learn", "papermill",
                       "nbformat", "ipykernel", "myst-nb")
"""The packages whose versions are inputs when :data:`PINS` does not exist (an installed rmtlib)."""
INJECTED_TAG = "injected-parameters"
HIDE_TAG = "hide-cell"


class NotebookError(RuntimeError):
    """A notebook failed to execute; the message names the notebook, the cell and the error."""


def notebooks(directory=None) -> list[Notebook]:
    """Return every ``*.ipynb`` of the notebook directory, sorted by name, with its parameters."""
    return [Notebook.load(p) for p in sorted(Path(directory or NOTEBOOK_DIR).glob("*.ipynb"))]


def find_notebook(name: str, *, directory=None) -> Notebook:
    """Find a notebook by stem, file name or path, refusing unknown names with the valid ones."""
    path = Path(name)
    if path.suffix == ".ipynb" and path.is_file():
        return Notebook.load(path)
    stem = path.stem if path.suffix == ".ipynb" else path.name
    candidate = Path(directory or NOTEBOOK_DIR) / f"{stem}.ipynb"
    if candidate.is_file():
        return Notebook.load(candidate)
    valid = ", ".join(nb.stem for nb in notebooks(directory)) or "(none)"
    raise ValueError(f"unknown notebook {name!r}; valid notebooks: {valid}")


def new_run_dir(base, stem: str, params: dict) -> Path:
    """Create ``<base>/<stem>/<UTC timestamp>-<hash>/`` (with a ``-2``, ``-3``... suffix if taken).

    The directory is created with ``mkdir(exist_ok=False)``, so an earlier run is never reused.
    """
    parent = Path(base) / stem
    parent.mkdir(parents=True, exist_ok=True)
    name = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + parameter_hash(params)
    for k in range(1, 1000):
        candidate = parent / (name if k == 1 else f"{name}-{k}")
        try:
            candidate.mkdir()
        except FileExistsError:
            continue
        return candidate
    raise RuntimeError(f"could not create a new run folder under {parent}")  # pragma: no cover


def _describe_failure(stem: str, output: Path, exc) -> str:
    count = getattr(exc, "exec_count", None)
    ename, evalue = getattr(exc, "ename", type(exc).__name__), getattr(exc, "evalue", str(exc))
    where = "before any cell ran" if count is None else f"cell In [{count}]"
    if count is not None:
        try:  # papermill prepends an error banner, so find the cell by its execution count
            nb = nbformat.read(output, as_version=4)
            index, cell = next((i, c) for i, c in enumerate(nb.cells)
                               if c.cell_type == "code" and c.get("execution_count") == count)
            first = next((ln for ln in cell.source.splitlines() if ln.strip()), "")
            where += f" (cell {index} of the executed copy, starting {first.strip()[:70]!r})"
        except (OSError, StopIteration, ValueError):
            pass
    return f"notebook {stem!r} failed in {where}: {ename}: {evalue}\n(executed copy: {output})"


def _finish_output(path: Path, info: dict, notebook: Notebook | None = None) -> None:
    """Hide the injected-parameters cell, record ``info`` as ``metadata.rmtlib`` and make the copy
    read like the book (:func:`rmtlib.compendium.executed.postprocess`)."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        tags = cell.setdefault("metadata", {}).setdefault("tags", [])
        if INJECTED_TAG in tags and HIDE_TAG not in tags:
            tags.append(HIDE_TAG)
    nb.metadata["rmtlib"] = info
    if notebook is not None:
        profile, params = info.get("profile"), info.get("parameters", {})
        executed.postprocess(nb, stem=notebook.stem, profile=profile, params=params,
                             defaults=notebook.defaults, base=notebook.resolve(profile=profile))
    nbformat.write(nb, path)


def execute(notebook: Notebook, output, *, params: dict, output_dir, profile=None,
            progress: bool = True, cwd=None, perturbation: dict | None = None) -> dict:
    """Execute a notebook with papermill into ``output``.

    Parameters
    ----------
    notebook : rmtlib.compendium.parameters.Notebook
        The notebook.
    output : path
        The executed copy to write.
    params : dict
        The full parameter set (see :meth:`~rmtlib.compendium.parameters.Notebook.resolve`).
    output_dir : path
        Where ``checks.json`` (and anything else the kernel writes to ``RMTLIB_OUTPUT_DIR``) goes.
        The kernel writes into a staging folder beside it (also its working directory unless
        ``cwd`` is given), moved into place when the execution ends; an interrupted execution
        leaves the previous results as they were.
    profile : str, optional
        Recorded in the notebook metadata (``metadata.rmtlib.profile``).
    progress : bool, default True
        Show papermill's progress bar.
    cwd : path, optional
        Working directory of the kernel.
    perturbation : dict, optional
        ``{name: factor}`` exported as ``RMTLIB_PERTURB`` (see :mod:`rmtlib.experiments.theory`);
        the kernel also gets ``RMTLIB_SIMULATION_CACHE`` (:func:`rmtlib.compendium.kernel_environment.simulation_cache`), so a perturbed
        run judges the simulations of the unperturbed one.

    Returns
    -------
    dict
        ``{"profile", "parameters", "inputs", "seconds", "status"}`` as recorded in the metadata;
        ``inputs`` (see :func:`input_digests`) is taken before the kernel starts, so that a source
        edited during the execution makes the result stale.

    Raises
    ------
    NotebookError
        If a cell raised; the message names the notebook, the cell and the error.
    """
    import papermill

    output, output_dir = Path(output), Path(output_dir)
    output.parent.mkdir(parents=True, exist_ok=True)
    output_dir.mkdir(parents=True, exist_ok=True)
    # The kernel writes into a staging folder; only a run that got to the end of its execution
    # (all cells, or a cell that raised) replaces the previous results, an interrupted one does not.
    staging = Path(tempfile.mkdtemp(prefix=f".partial-{notebook.stem}-", dir=output_dir.parent))
    staged = staging / output.name
    start = time.perf_counter()
    info = {"profile": profile, "parameters": params, "inputs": input_digests(notebook),
            "status": "failed"}
    if perturbation:
        info["perturbation"] = dict(perturbation)
    text = ",".join(f"{name}={factor!r}" for name, factor in (perturbation or {}).items())
    simulations = kernel_environment.simulation_cache()
    cache.prune(simulations)
    try:
        try:
            with kernel_environment.variables(RMTLIB_OUTPUT_DIR=str(staging.resolve()), RMTLIB_PERTURB=text or None,
                              RMTLIB_SIMULATION_CACHE=str(simulations)), \
                    kernel_environment.stderr_to(staging / "kernel.log"):
                papermill.execute_notebook(
                    str(notebook.path), str(staged), parameters=params, kernel_name="python3",
                    progress_bar=progress, cwd=str(cwd or staging), log_output=False)
            info["status"] = "ok"
        except papermill.PapermillExecutionError as exc:
            if exc.ename == "KeyboardInterrupt":  # Ctrl-C reached the kernel too: an interruption
                raise KeyboardInterrupt from None
            raise NotebookError(_describe_failure(notebook.stem, staged, exc).replace(
                str(staged), str(output))) from None
        finally:
            info["seconds"] = round(time.perf_counter() - start, 2)
            if staged.exists():
                _finish_output(staged, info, notebook)
    except NotebookError:
        kernel_environment.publish(staging, staged, output, output_dir)
        raise
    else:
        kernel_environment.publish(staging, staged, output, output_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return info


def _sha256(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _package_versions() -> dict:
    if PINS.is_file():
        lines = (line.split("#")[0].strip() for line in PINS.read_text().splitlines())
        names = [re.split(r"[<>=!~;\[ ]", line, maxsplit=1)[0] for line in lines if line]
    else:
        names = list(COMPENDIUM_PACKAGES)
    installed = {}
    for dist in importlib.metadata.distributions():
        installed.setdefault(_norm(dist.name or ""), dist.version)
    return {name: installed.get(_norm(name)) for name in names}


def input_digests(notebook: Notebook) -> dict:
    """Return the content hashes (sha256) of everything an executed notebook depends on.

    Parameters
    ----------
    notebook : rmtlib.compendium.parameters.Notebook
        The notebook.

    Returns
    -------
    dict
        ``notebook``, ``profile`` and ``calibration`` (the hash of the file, ``None`` if it does not
        exist; the calibration is read from ``$RMTLIB_DATA_DIR`` when it is set), ``sources``
        (``{"rmtlib/...py": hash}`` for every ``.py`` under ``rmtlib/``, recursively) and
        ``packages`` (``{name: installed version or None}`` for every package of
        ``requirements/pins.txt``, or of :data:`COMPENDIUM_PACKAGES` without it).
    """
    sources = sorted(LIBRARY_DIR.rglob("*.py"))
    return {
        "notebook": _sha256(notebook.path),
        "profile": _sha256(notebook.profile_path),
        "calibration": _sha256(data_path(notebook.stem)),
        "sources": {p.relative_to(LIBRARY_DIR.parent).as_posix(): _sha256(p) for p in sources},
        "packages": _package_versions(),
    }


def _changed(recorded: dict, current: dict) -> list[str]:
    reasons = []
    for key, now in current.items():
        then = recorded.get(key)
        if isinstance(now, dict) and isinstance(then, dict):
            names = sorted(k for k in now.keys() | then.keys() if now.get(k) != then.get(k))
            reasons += [f"{key}: {name} changed" for name in names]
        elif now != then:
            reasons.append(f"the {key} file changed")
    return reasons


def stale_reasons(notebook: Notebook, profile: str, *, results=None) -> list[str]:
    """Say why ``book/results/<stem>.ipynb`` cannot be reused for ``profile`` (empty: it can).

    Parameters
    ----------
    notebook : rmtlib.compendium.parameters.Notebook
        The notebook.
    profile : str
        The profile the result must have been executed with.
    results : path, optional
        Directory of executed notebooks (default ``book/results``).

    Returns
    -------
    list of str
        Empty when the executed copy and its ``checks.json`` exist, the execution succeeded with
        this profile's parameters, and the input hashes it recorded when it started equal
        :func:`input_digests` now; otherwise one line per reason.
    """
    results = Path(results or RESULTS_DIR)
    output = results / f"{notebook.stem}.ipynb"
    if not (output.is_file() and (results / notebook.stem / "checks.json").is_file()):
        return ["no executed copy with its checks.json"]
    try:
        info = nbformat.read(output, as_version=4).metadata.get("rmtlib", {})
    except (OSError, ValueError):
        return ["the executed copy cannot be read"]
    if info.get("status") != "ok":
        return ["the last execution failed"]
    if info.get("profile") != profile:
        return [f"executed with profile {info.get('profile')!r}"]
    if info.get("parameters") != json.loads(json.dumps(notebook.resolve(profile=profile))):
        return ["the parameters changed"]
    if not isinstance(info.get("inputs"), dict):
        return ["no input hashes recorded"]
    return _changed(info["inputs"], input_digests(notebook))


def is_fresh(notebook: Notebook, profile: str, *, results=None) -> bool:
    """Whether ``book/results/<stem>.ipynb`` can be reused for ``profile``.

    It can when it exists, executed successfully with this profile's parameters, has its
    ``checks.json``, and the content hashes of its inputs (notebook, profile file, calibration data,
    every ``rmtlib`` source, installed package versions), recorded when its execution started, are
    unchanged; see :func:`stale_reasons`.
    """
    return not stale_reasons(notebook, profile, results=results)


def execute_for_book(notebook: Notebook, profile: str, *, results=None, reuse=True,
                     progress=True) -> dict | None:
    """Execute a notebook into ``book/results/<stem>.ipynb`` (checks in ``book/results/<stem>/``).

    Returns
    -------
    dict or None
        The execution record, or ``None`` if a fresh result was reused.
    """
    results = Path(results or RESULTS_DIR)
    if reuse and is_fresh(notebook, profile, results=results):
        return None
    params = notebook.resolve(profile=profile)
    return execute(notebook, results / f"{notebook.stem}.ipynb", params=params,
                   output_dir=results / notebook.stem, profile=profile, progress=progress)


def extract_figures(path, directory) -> list[Path]:
    """Write every ``image/png`` output of an executed notebook to ``directory``.

    Files are named after what they show (:func:`rmtlib.compendium.executed.figure_names`: the glue
    name, else the section title). Returns the paths written.
    """
    nb = nbformat.read(path, as_version=4)
    directory = Path(directory)
    written = []
    for index, k, name in executed.figure_names(nb):
        directory.mkdir(parents=True, exist_ok=True)
        target = directory / name
        target.write_bytes(base64.b64decode(executed.png_data(nb.cells[index].outputs[k])))
        written.append(target)
    return written
