"""Execute the chapter notebooks with papermill: parameters, profiles, run folders, reuse.

A notebook ``notebooks/<stem>.ipynb`` declares its parameters in its first code cell (tagged
``parameters``, plain literals: the ``paper`` defaults). Named overrides live in
``rmtlib/profiles/<stem>.json`` as ``{"quick": {...}, "paper": {}}``. Everything here validates the
requested notebook, profile and parameters *before* a kernel starts.
"""

from __future__ import annotations

import ast
import base64
import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

__all__ = [
    "ROOT", "NOTEBOOK_DIR", "PROFILE_DIR", "RESULTS_DIR", "Notebook", "NotebookError",
    "profile_dir", "notebooks", "find_notebook", "parse_value", "execute", "execute_for_book", "is_fresh",
    "new_run_dir", "extract_figures", "parameter_hash",
]

PACKAGE_DIR = Path(__file__).resolve().parent
LIBRARY_DIR = PACKAGE_DIR.parent
ROOT = Path(os.environ.get("RMTLIB_ROOT") or LIBRARY_DIR.parent)
"""The source checkout (rmtlib is installed editable from it)."""
NOTEBOOK_DIR = ROOT / "notebooks"
PROFILE_DIR = PACKAGE_DIR / "profiles"
"""Default location of the profile files (``$RMTLIB_PROFILE_DIR`` overrides it)."""
RESULTS_DIR = ROOT / "book" / "results"
INJECTED_TAG = "injected-parameters"
HIDE_TAG = "hide-cell"


def profile_dir() -> Path:
    """Return the directory of the profile files: ``$RMTLIB_PROFILE_DIR`` or ``rmtlib/profiles``."""
    return Path(os.environ.get("RMTLIB_PROFILE_DIR") or PROFILE_DIR)


class NotebookError(RuntimeError):
    """A notebook failed to execute; the message names the notebook, the cell and the error."""


@dataclass
class Notebook:
    """A chapter notebook with its parameters and profiles.

    Attributes
    ----------
    path : pathlib.Path
        The ``.ipynb`` file.
    defaults : dict
        Parameter name -> default value, read from the cell tagged ``parameters``.
    profiles : dict
        Profile name -> overrides, from ``<profile_dir>/<stem>.json`` (``{}`` if absent).
    """

    path: Path
    defaults: dict
    profiles: dict = field(default_factory=dict)

    @property
    def stem(self) -> str:
        """The file name without ``.ipynb``."""
        return self.path.stem

    @classmethod
    def load(cls, path) -> "Notebook":
        """Read a notebook's parameters cell and its profiles file (see :func:`profile_dir`)."""
        path = Path(path)
        nb = nbformat.read(path, as_version=4)
        defaults = read_parameters(nb, name=path.name)
        profile_path = profile_dir() / f"{path.stem}.json"
        profiles = json.loads(profile_path.read_text()) if profile_path.is_file() else {}
        if not isinstance(profiles, dict) or not all(isinstance(v, dict) for v in profiles.values()):
            raise ValueError(f"{profile_path}: expected {{profile name: {{parameter: value}}}}")
        self = cls(path, defaults, profiles)
        for name, overrides in profiles.items():
            self.resolve(profile=name, overrides=overrides, _origin=f"profile {name!r}")
        return self

    @property
    def profile_path(self) -> Path:
        """Where this notebook's profiles are stored."""
        return profile_dir() / f"{self.stem}.json"

    def resolve(self, *, profile=None, overrides=None, _origin="-p") -> dict:
        """Return the full parameter set: defaults, then the profile, then the overrides.

        Parameters
        ----------
        profile : str, optional
            A profile name (must exist for this notebook).
        overrides : dict, optional
            Parameter name -> value; each name must be a parameter and each value must have the
            type of its default (an int is accepted for a float).

        Returns
        -------
        dict
            Every parameter with its value.
        """
        params = dict(self.defaults)
        if profile is not None:
            if profile not in self.profiles:
                valid = ", ".join(sorted(self.profiles)) or "(none)"
                raise ValueError(f"notebook {self.stem!r} has no profile {profile!r}; valid profiles: {valid}")
            params.update(self._checked(self.profiles[profile], f"profile {profile!r}"))
        params.update(self._checked(overrides or {}, _origin))
        return params

    def _checked(self, values: dict, origin: str) -> dict:
        out = {}
        for name, value in values.items():
            if name not in self.defaults:
                raise ValueError(
                    f"notebook {self.stem!r} has no parameter {name!r} ({origin}); valid parameters: "
                    + ", ".join(self.defaults))
            out[name] = _coerce(self.stem, name, value, self.defaults[name])
        return out


def _type_name(value) -> str:
    return "None" if value is None else type(value).__name__


def _coerce(stem, name, value, default):
    expected = type(default)
    if default is None or isinstance(value, expected) and not (isinstance(value, bool) and expected is not bool):
        return value
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    raise ValueError(
        f"parameter {name!r} of notebook {stem!r} takes a value of type {_type_name(default)} "
        f"(default {default!r}), got {value!r} of type {_type_name(value)}")


def parse_value(notebook: Notebook, name: str, text: str):
    """Parse a command-line value by the type of the parameter's default.

    Parameters
    ----------
    notebook : Notebook
        The notebook whose parameter is set.
    name : str
        The parameter name (must exist).
    text : str
        The value as typed, e.g. ``"400"``, ``"0.5"``, ``"true"``, ``"[1, 2]"``.

    Returns
    -------
    object
        The value, of the default's type.
    """
    if name not in notebook.defaults:
        raise ValueError(f"notebook {notebook.stem!r} has no parameter {name!r}; valid parameters: "
                         + ", ".join(notebook.defaults))
    default = notebook.defaults[name]
    wrong = ValueError(f"parameter {name!r} of notebook {notebook.stem!r} takes a value of type "
                       f"{_type_name(default)} (default {default!r}), got {text!r}")
    if isinstance(default, bool):
        lowered = text.strip().lower()
        if lowered in ("true", "1", "yes", "on"):
            return True
        if lowered in ("false", "0", "no", "off"):
            return False
        raise wrong
    if isinstance(default, str):
        return text
    try:
        value = ast.literal_eval(text.strip())
    except (ValueError, SyntaxError):
        raise wrong from None
    try:
        return _coerce(notebook.stem, name, value, default)
    except ValueError:
        raise wrong from None


def read_parameters(nb, *, name="notebook") -> dict:
    """Return the defaults of the first code cell, which must be tagged ``parameters``.

    Only plain assignments of literals (``name = 3``, ``name = [1, 2]``) are allowed there.
    """
    code = [c for c in nb.cells if c.cell_type == "code"]
    if not code or "parameters" not in code[0].get("metadata", {}).get("tags", []):
        raise ValueError(f"{name}: the first code cell must be tagged 'parameters'")
    tree = ast.parse(code[0].source)
    defaults = {}
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)):
            raise ValueError(f"{name}: the parameters cell may only hold 'name = literal' lines, "
                             f"found {ast.unparse(node)!r}")
        try:
            defaults[node.targets[0].id] = ast.literal_eval(node.value)
        except ValueError:
            raise ValueError(f"{name}: parameter {node.targets[0].id!r} is not a literal") from None
    return defaults


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


def parameter_hash(params: dict) -> str:
    """Return a short (8 hex digits) hash of a parameter set."""
    blob = json.dumps(params, sort_keys=True, separators=(",", ":"), default=repr)
    return hashlib.sha256(blob.encode()).hexdigest()[:8]


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


def _hide_injected(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        tags = cell.setdefault("metadata", {}).setdefault("tags", [])
        if INJECTED_TAG in tags and HIDE_TAG not in tags:
            tags.append(HIDE_TAG)
    nbformat.write(nb, path)


def _set_metadata(path: Path, info: dict) -> None:
    nb = nbformat.read(path, as_version=4)
    nb.metadata["rmtlib"] = info
    nbformat.write(nb, path)


def execute(notebook: Notebook, output, *, params: dict, output_dir, profile=None,
            progress: bool = True, cwd=None) -> dict:
    """Execute a notebook with papermill into ``output``.

    Parameters
    ----------
    notebook : Notebook
        The notebook.
    output : path
        The executed copy to write.
    params : dict
        The full parameter set (see :meth:`Notebook.resolve`).
    output_dir : path
        Exported to the kernel as ``RMTLIB_OUTPUT_DIR`` (where ``checks.json`` goes); also its
        working directory unless ``cwd`` is given.
    profile : str, optional
        Recorded in the notebook metadata (``metadata.rmtlib.profile``).
    progress : bool, default True
        Show papermill's progress bar.
    cwd : path, optional
        Working directory of the kernel.

    Returns
    -------
    dict
        ``{"profile", "parameters", "seconds", "status"}`` as recorded in the metadata.

    Raises
    ------
    NotebookError
        If a cell raised; the message names the notebook, the cell and the error.
    """
    import papermill

    output, output_dir = Path(output), Path(output_dir)
    output.parent.mkdir(parents=True, exist_ok=True)
    output_dir.mkdir(parents=True, exist_ok=True)
    stale = output_dir / "checks.json"
    if stale.exists():
        stale.unlink()
    previous = os.environ.get("RMTLIB_OUTPUT_DIR")
    os.environ["RMTLIB_OUTPUT_DIR"] = str(output_dir.resolve())
    start = time.perf_counter()
    info = {"profile": profile, "parameters": params, "status": "failed"}
    try:
        papermill.execute_notebook(
            str(notebook.path), str(output), parameters=params, kernel_name="python3",
            progress_bar=progress, cwd=str(cwd or output_dir))
        info["status"] = "ok"
    except papermill.PapermillExecutionError as exc:
        raise NotebookError(_describe_failure(notebook.stem, output, exc)) from None
    finally:
        info["seconds"] = round(time.perf_counter() - start, 2)
        if previous is None:
            os.environ.pop("RMTLIB_OUTPUT_DIR", None)
        else:
            os.environ["RMTLIB_OUTPUT_DIR"] = previous
        if output.exists():
            _hide_injected(output)
            _set_metadata(output, info)
    return info


def _inputs(notebook: Notebook) -> list[Path]:
    data = PACKAGE_DIR / "data" / f"{notebook.stem}_calibration.json"
    paths = [notebook.path, notebook.profile_path, data, *LIBRARY_DIR.rglob("*.py")]
    return [p for p in paths if p.exists()]


def is_fresh(notebook: Notebook, profile: str, *, results=None) -> bool:
    """Whether ``book/results/<stem>.ipynb`` can be reused for ``profile``.

    It can when it exists, executed successfully with this profile's parameters, has its
    ``checks.json``, and is newer than the notebook, its profile file, its calibration data and every
    ``rmtlib/*.py``.
    """
    results = Path(results or RESULTS_DIR)
    output = results / f"{notebook.stem}.ipynb"
    checks = results / notebook.stem / "checks.json"
    if not (output.is_file() and checks.is_file()):
        return False
    try:
        info = nbformat.read(output, as_version=4).metadata.get("rmtlib", {})
    except (OSError, ValueError):
        return False
    if info.get("status") != "ok" or info.get("profile") != profile:
        return False
    if info.get("parameters") != json.loads(json.dumps(notebook.resolve(profile=profile))):
        return False
    built = min(output.stat().st_mtime, checks.stat().st_mtime)
    return all(p.stat().st_mtime < built for p in _inputs(notebook))


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


def extract_figures(executed, directory) -> list[Path]:
    """Write every ``image/png`` output of an executed notebook to ``directory``.

    Files are named ``cell<index>-<k>.png``. Returns the paths written.
    """
    nb = nbformat.read(executed, as_version=4)
    directory = Path(directory)
    written = []
    for index, cell in enumerate(nb.cells):
        k = 0
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "image/png" in data:
                k += 1
                directory.mkdir(parents=True, exist_ok=True)
                path = directory / f"cell{index:03d}-{k}.png"
                path.write_bytes(base64.b64decode(data["image/png"]))
                written.append(path)
    return written
