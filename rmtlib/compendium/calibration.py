"""Calibrated bounds: one schema, one map of a chapter's statistics over seeds, one size rule.

A calibrated bound is ``safety x`` the largest value of a statistic over independent seeds (or the
smallest value ``/ safety`` for a lower bound). Such a bound is a *regression* bound: it notices
that a number changed, it is not evidence that a law is right, because it is taken from the same
simulation-versus-theory comparison that it judges.

Every chapter's calibration lives in ``<data_dir>/<stem>_calibration.json`` with one schema::

    {"schema": "rmtlib-calibration/1", "notebook": stem, "description": "...",
     "profiles": {profile: {"settings": {...}, "seconds": float}},
     "entries": [{"statistic": name, "profile": profile or null, "n": size or null,
                  "seeds": [...], "safety": 1.5, "values": [...]}, ...]}

``seeds`` is a list of integer seeds, or ``{"root": r, "spawned": k}`` for the k children of
``numpy.random.SeedSequence(r)``; an entry may carry the ``task`` it ran. An entry with a size ``n`` applies
at other sizes, up to :data:`SIZE_REACH` times the largest calibrated one, through the one size rule of
:meth:`Calibration.bound`.

A regression bound has no calibration where none was measured: at a size beyond the reach of every
calibrated size, or in a profile of :data:`UNCALIBRATED_PROFILES` (the ``large`` cluster profiles).
There :meth:`Calibration.bound` returns NaN, and `rmtlib.compendium.checks.Report.check` reports the
check as not calibrated at this profile instead of passing or failing it.
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path

import numpy as np

__all__ = ["NOT_CALIBRATED", "SCHEMA", "SIZE_REACH", "UNCALIBRATED_PROFILES", "Calibration", "calibrate", "data_dir",
           "data_path", "uncalibrated", "uncalibrated_record", "write"]

SCHEMA = "rmtlib-calibration/1"
SIZE_REACH = 2.0
"""Size-keyed entries grade sizes up to SIZE_REACH times the largest calibrated size, no larger."""
UNCALIBRATED_PROFILES = ("large",)
"""Profiles run without calibration (too large to calibrate over 10 seeds): every bound is NaN."""
_PACKAGE_DATA = Path(__file__).resolve().parent / "data"


def data_dir() -> Path:
    """The directory of the calibration files: ``$RMTLIB_DATA_DIR`` or the package's ``data/``."""
    return Path(os.environ.get("RMTLIB_DATA_DIR") or _PACKAGE_DATA)


def data_path(stem: str) -> Path:
    """The calibration file of notebook ``stem`` (it need not exist)."""
    return data_dir() / f"{stem}_calibration.json"


def calibrate(statistics, settings, seeds, *, profile=None, n=None, safety=1.5) -> list[dict]:
    """Map ``statistics(settings, seed)`` over ``seeds`` and return one calibration entry per statistic.

    Parameters
    ----------
    statistics : callable
        ``(settings, seed) -> {name: float}``, a chapter's pure statistics function.
    settings : dict
        Its settings (one profile's sizes and draws).
    seeds : sequence of int or dict
        At least 10 seeds, none equal to the notebook's own seed, or ``{"root": r, "spawned": k}``
        for the ``k`` children of ``numpy.random.SeedSequence(r)`` (passed to ``statistics`` as
        SeedSequence objects).
    profile : str, optional
        Profile the entries belong to (None: any profile, e.g. entries keyed by size).
    n : int, optional
        Size the entries were measured at (None: the profile's sizes).
    safety : float
        Factor in [1, 1.5].

    Returns
    -------
    list of dict
        Entries of the schema, in the order of the statistics' names.
    """
    if isinstance(seeds, dict):
        record = {"root": int(seeds["root"]), "spawned": int(seeds["spawned"])}
        streams = np.random.SeedSequence(record["root"]).spawn(record["spawned"])
    else:
        record = streams = [int(s) for s in seeds]
    if len(streams) < 10:
        raise ValueError(f"seeds must hold at least 10 seeds, got {len(streams)}")
    if not 1.0 <= safety <= 1.5:
        raise ValueError(f"safety must be in [1, 1.5], got {safety!r}")
    rows = [statistics(settings, seed) for seed in streams]
    return [{"statistic": name, "profile": profile, "n": n, "seeds": record, "safety": safety,
             "values": [float(row[name]) for row in rows]} for name in rows[0]]


def write(stem: str, entries, *, description: str, profiles=None, path=None) -> Path:
    """Write a calibration document of the schema; return its path.

    Parameters
    ----------
    stem : str
        Notebook stem.
    entries : list of dict
        From :func:`calibrate` (several calls concatenated).
    description : str
        What was calibrated and how to regenerate it.
    profiles : dict, optional
        ``{profile: {"settings": {...}, "seconds": float}}``.
    path : path-like, optional
        Target file (default :func:`data_path`).
    """
    path = Path(path or data_path(stem))
    doc = {"schema": SCHEMA, "notebook": stem, "description": description, "written": time.strftime("%Y-%m-%d"),
           "profiles": profiles or {}, "entries": list(entries)}
    path.write_text(json.dumps(doc, indent=1) + "\n")
    return path


NOT_CALIBRATED = "not calibrated at this profile"
"""How `rmtlib.compendium.checks.Report.check` reports a regression check whose bound is NaN: listed
under ``not_calibrated`` in ``checks.json``, neither passed nor failed."""


def uncalibrated(threshold) -> bool:
    """Whether a threshold is NaN (or a pair holding one): a regression bound with no calibration."""
    try:
        return any(math.isnan(float(t)) for t in (threshold if isinstance(threshold, (list, tuple)) else [threshold]))
    except (TypeError, ValueError):
        return False


def uncalibrated_record(check_id, claim, value, op) -> dict:
    """The ``checks.json`` record of a regression check without calibration; prints its line."""
    print(f"[N/C] {check_id}: {claim.strip()} ({value:.4g}; {NOT_CALIBRATED})")
    return {"id": check_id, "claim": claim.strip(), "value": value, "op": op, "note": NOT_CALIBRATED}


class Calibration:
    """The calibrated bounds of one notebook, for one profile.

    Parameters
    ----------
    document : dict
        A parsed calibration file of the schema.
    profile : str, optional
        The profile whose entries apply (entries with ``"profile": null`` apply to every profile).
    """

    def __init__(self, document: dict, profile: str | None = None):
        if document.get("schema") != SCHEMA:
            raise ValueError(f"calibration schema {document.get('schema')!r} is not {SCHEMA!r}")
        self.calibrated = profile not in UNCALIBRATED_PROFILES or profile in document["profiles"]
        if self.calibrated and profile is not None and document["profiles"] and profile not in document["profiles"]:
            raise ValueError(f"profile {profile!r} is not calibrated; calibrated profiles: "
                             f"{sorted(document['profiles'])}")
        self.document = document
        self.profile = profile
        self.entries = [e for e in document["entries"] if e["profile"] in (None, profile)]

    @classmethod
    def load(cls, stem: str, profile: str | None = None) -> "Calibration":
        """Read ``<data_dir>/<stem>_calibration.json`` (see :func:`data_dir`)."""
        path = data_path(stem)
        if not path.is_file():
            raise FileNotFoundError(f"no calibration for notebook {stem!r}: {path} does not exist")
        return cls(json.loads(path.read_text()), profile)

    @property
    def settings(self) -> dict:
        """The settings the profile was calibrated with (``{}`` when entries are keyed by size)."""
        return self.document["profiles"].get(self.profile, {}).get("settings", {})

    @property
    def seed_count(self) -> int:
        """Number of calibration seeds of the first entry (every entry of a profile uses as many)."""
        if not self.entries:
            return 0
        seeds = self.entries[0]["seeds"]
        return int(seeds["spawned"]) if isinstance(seeds, dict) else len(seeds)

    def statistics(self) -> list[str]:
        """Names of the calibrated statistics, in file order, without repeats."""
        return list(dict.fromkeys(e["statistic"] for e in self.entries))

    def check_settings(self, settings: dict) -> None:
        """Raise ValueError naming the first parameter whose value differs from the calibrated one."""
        for name, value in self.settings.items():
            if name in settings and settings[name] != value:
                raise ValueError(f"parameter {name} = {settings[name]!r} differs from the value {value!r} that "
                                 f"profile {self.profile!r} was calibrated with; use that value or recalibrate")

    def _entries(self, statistic):
        found = [e for e in self.entries if e["statistic"] == statistic]
        if not found and not self.calibrated:
            return []
        if not found:
            raise KeyError(f"no calibration for {statistic!r} (profile {self.profile!r})")
        return found

    def bound(self, statistic: str, n: int | None = None) -> float:
        """Upper bound ``safety x max(values)``, moved to size ``n`` by the one size rule.

        Notes
        -----
        Size rule: the entry calibrated at the size ``m`` closest to ``n`` on a log scale is used and
        its bound is multiplied by ``sqrt(m / n)`` (distances of n eigenvalues to their limit
        decay like ``n^(-1/2)`` or faster), provided ``n <= SIZE_REACH m``; above, and for a
        statistic without entries in an uncalibrated profile, the bound is NaN (not calibrated).
        Entries without a size are used as they are.
        """
        found = self._entries(statistic)
        sized = [e for e in found if e["n"] is not None]
        if not found:
            return math.nan
        if n is None or not sized:
            if len(found) != 1:
                raise ValueError(f"{statistic!r} is calibrated at several sizes; pass n")
            entry = found[0]
            return float(entry["safety"] * max(entry["values"]))
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"n must be a positive integer, got {n!r}")
        entry = min(sized, key=lambda e: abs(math.log(e["n"] / n)))
        if n > SIZE_REACH * entry["n"]:
            return math.nan  # far above every calibrated size: no calibration there
        return float(entry["safety"] * max(entry["values"]) * math.sqrt(entry["n"] / n))

    def lower_bound(self, statistic: str) -> float:
        """Lower bound ``min(values) / safety`` (for statistics that must stay large)."""
        found = self._entries(statistic)
        if not found:
            return math.nan
        (entry,) = found
        return float(min(entry["values"]) / entry["safety"])

    def bounds(self) -> dict:
        """``{statistic: bound}`` for every statistic calibrated without a size."""
        return {name: self.bound(name) for name in self.statistics()
                if all(e["n"] is None for e in self._entries(name))}
