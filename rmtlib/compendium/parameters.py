"""Chapter notebooks and their parameters: the parameters cell, profiles, typed overrides.

A notebook ``notebooks/<stem>.ipynb`` declares its parameters in its first code cell (tagged
``parameters``, plain literals: the ``paper`` defaults). Named overrides live in
``rmtlib/compendium/profiles/<stem>.json`` as ``{"quick": {...}, "paper": {}}``. Every value is
checked against the type of its default before a kernel starts.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from rmtlib.compendium import domains as domains_module

__all__ = ["PROFILE_DIR", "Notebook", "profile_dir", "parse_value", "read_parameters", "parameter_hash"]

PROFILE_DIR = Path(__file__).resolve().parent / "profiles"
"""Default location of the profile files (``$RMTLIB_PROFILE_DIR`` overrides it)."""


def profile_dir() -> Path:
    """Return the directory of the profile files: ``$RMTLIB_PROFILE_DIR`` or the package's ``profiles``."""
    return Path(os.environ.get("RMTLIB_PROFILE_DIR") or PROFILE_DIR)


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
    domains: domains_module.Domains | None = None

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
        self = cls(path, defaults, profiles, domains_module.load(path.stem, profile_dir()))
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
        if "profile" in (overrides or {}) and _origin == "-p":
            raise ValueError(f"parameter 'profile' of notebook {self.stem!r} is set by --profile, "
                             "not by -p profile")
        params.update(self._checked(overrides or {}, _origin))
        if "profile" in self.defaults and profile is not None:
            params["profile"] = profile  # the notebook's own copy of the profile name follows --profile
        if self.domains is not None:
            self.domains.check(params)
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


def parameter_hash(params: dict) -> str:
    """Return a short (8 hex digits) hash of a parameter set."""
    blob = json.dumps(params, sort_keys=True, separators=(",", ":"), default=repr)
    return hashlib.sha256(blob.encode()).hexdigest()[:8]
