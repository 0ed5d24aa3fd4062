"""The power of a chapter's checks: rerun it with its theory perturbed and see which checks fail.

A perturbed run executes the chapter with ``RMTLIB_PERTURB`` set (see
:mod:`rmtlib.experiments.theory`): every limiting law its checks compare with is replaced by its
pushforward under x -> (1 + delta) x (``scale``), or one of the theory parameters the chapter
declares is multiplied by a factor. Its simulations are read back from the simulation cache
(:mod:`rmtlib.experiments.cache`), so the samples are exactly those of the unperturbed run.

A sweep runs delta over :data:`DELTAS` in increasing order and records, for each statistical check,
the smallest delta at which it fails: its ``detects`` entry in ``checks.json``.
"""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from rmtlib.compendium import execution
from rmtlib.compendium.checks import Check, read_checks
from rmtlib.compendium.parameters import profile_dir
from rmtlib.compendium.power_records import record_path, recorded
from rmtlib.experiments import cache, theory

__all__ = ["DELTAS", "PowerRun", "Sweep", "annotate", "judge", "parse", "record", "recorded", "sweep",
           "theory_parameters"]

DELTAS = (0.005, 0.01, 0.02, 0.05, 0.10, 0.20)
"""The relative scale errors of a sweep, smallest first."""


def theory_parameters(notebook) -> dict:
    """The theory parameters a chapter declares: ``{name: description}`` (``scale`` always included).

    Read from ``<profile_dir>/<stem>.theory.json``.
    """
    declared = {"scale": "every limiting law the checks compare with, pushed forward by x -> factor x"}
    path = profile_dir() / f"{notebook.stem}.theory.json"
    if path.is_file():
        extra = json.loads(path.read_text())
        if not isinstance(extra, dict) or not all(isinstance(v, str) for v in extra.values()):
            raise ValueError(f"{path}: expected {{parameter: description}}")
        declared.update(extra)
    return declared


def parse(notebook, items) -> dict:
    """Validate ``NAME=VALUE`` items against the chapter's theory parameters; return ``{name: factor}``.

    Raises
    ------
    ValueError
        For a malformed item, a factor that is not a finite number > 0, or a name the chapter does not
        declare (the message lists the valid names).
    """
    out = {}
    for item in items:
        out.update(theory.parse(item))
    valid = theory_parameters(notebook)
    unknown = sorted(set(out) - set(valid))
    if unknown:
        raise ValueError(f"notebook {notebook.stem!r} has no theory parameter {unknown[0]!r} to perturb; "
                         f"valid: {', '.join(valid)}")
    return out


def describe(perturbation: dict) -> str:
    """``scale=1.02,zeta=0.9`` (``unperturbed`` for an empty perturbation)."""
    return ",".join(f"{k}={v:g}" for k, v in perturbation.items()) or "unperturbed"


@dataclass
class PowerRun:
    """One execution of a chapter under a perturbation.

    Attributes
    ----------
    perturbation : dict
        ``{name: factor}``.
    checks : list of rmtlib.compendium.checks.Check
        The checks it recorded (empty when it failed before writing them).
    error : str or None
        The notebook error when it failed for another reason than failed checks.
    folder : pathlib.Path
        Its run folder.
    """

    perturbation: dict
    checks: list
    error: str | None
    folder: Path

    @property
    def failed(self) -> list[Check]:
        """The checks that failed."""
        return [c for c in self.checks if not c.passed]


def judge(notebook, params, *, profile, perturbation, folder, progress=False) -> PowerRun:
    """Execute ``notebook`` into ``folder`` with its theory perturbed; return what its checks said."""
    folder = Path(folder)
    output = folder / f"{notebook.stem}.ipynb"
    error = None
    try:
        execution.execute(notebook, output, params=params, output_dir=folder, profile=profile,
                          progress=progress, perturbation=perturbation)
    except execution.NotebookError as exc:
        error = str(exc)
    path = folder / "checks.json"
    checks = read_checks(path) if path.is_file() else []
    if error and checks and any(not c.passed for c in checks):
        error = None  # the notebook stopped because checks failed: that is the answer
    return PowerRun(dict(perturbation), checks, error, folder)


@dataclass
class Sweep:
    """A power sweep: for each statistical check, the smallest scale error that made it fail.

    Attributes
    ----------
    detects : dict
        Check id -> smallest delta (e.g. 0.02) or None (not detected up to the largest delta tried).
    deltas : list of float
        The deltas run, in order (the sweep stops once every statistical check has failed).
    runs : list of PowerRun
        The perturbed runs.
    """

    detects: dict
    deltas: list = field(default_factory=list)
    runs: list = field(default_factory=list)


def sweep(notebook, params, *, profile, baseline, workdir=None, deltas=DELTAS, progress=False) -> Sweep:
    """Run the scale perturbations ``1 + delta`` in increasing order and fill ``detects``.

    Parameters
    ----------
    notebook : rmtlib.compendium.parameters.Notebook
        The chapter.
    params : dict
        Its full parameter set (the same as the baseline's).
    profile : str or None
        The profile, recorded in the runs.
    baseline : list of rmtlib.compendium.checks.Check
        The checks of the unperturbed run (every statistical check must have passed there).
    workdir : path, optional
        Where the perturbed run folders go (default: a temporary directory, removed afterwards).
    deltas : sequence of float
        The relative scale errors, increasing.
    """
    statistical = [c.id for c in baseline if c.kind == "statistical"]
    failing = [c.id for c in baseline if c.kind == "statistical" and not c.passed]
    if failing:
        raise ValueError(f"notebook {notebook.stem!r}: statistical checks fail unperturbed "
                         f"({', '.join(failing)}); their power is not defined")
    result = Sweep({name: None for name in statistical})
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(workdir or scratch)
        for delta in deltas:
            if all(v is not None for v in result.detects.values()):
                break
            folder = root / f"{notebook.stem}-scale-{1 + delta:g}"
            run = judge(notebook, params, profile=profile, perturbation={"scale": 1.0 + delta},
                        folder=folder, progress=progress)
            result.deltas.append(delta)
            result.runs.append(run)
            for check in run.failed:
                if check.id in result.detects and result.detects[check.id] is None:
                    result.detects[check.id] = delta
    return result


def annotate(path, result: Sweep, *, profile) -> None:
    """Write each check's ``detects`` and the sweep's record (``power``) into a ``checks.json``."""
    path = Path(path)
    doc = json.loads(path.read_text())
    for row in doc["checks"]:
        row["detects"] = result.detects.get(row["id"])
    doc["power"] = {"profile": profile, "deltas": list(result.deltas), "perturbation": "scale",
                    "errors": [describe(r.perturbation) for r in result.runs if r.error]}
    path.write_text(json.dumps(doc, indent=2) + "\n")


def swept(path, profile) -> bool:
    """Whether a ``checks.json`` already holds a sweep for ``profile``."""
    path = Path(path)
    if not path.is_file():
        return False
    return (json.loads(path.read_text()).get("power") or {}).get("profile") == profile


def record(stem: str, result: Sweep, *, profile: str, seconds: float) -> Path:
    """Store a sweep of ``profile`` in ``<data_dir>/<stem>_power.json`` (other profiles kept).

    The book is built at one profile; this record lets its report show what the checks detect at
    the others, with the date and the source digest of the run that measured it.
    """
    path = record_path(stem)
    doc = json.loads(path.read_text()) if path.is_file() else {"schema": "rmtlib-power/1", "notebook": stem,
                                                                 "profiles": {}}
    doc["profiles"][profile] = {"date": time.strftime("%Y-%m-%d"), "source": cache.source_digest()[:16],
                                "seconds": round(seconds, 1), "deltas": list(result.deltas),
                                "detects": result.detects}
    path.write_text(json.dumps(doc, indent=1) + "\n")
    return path
