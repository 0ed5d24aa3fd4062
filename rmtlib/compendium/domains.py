"""Declared domains of the chapter parameters and the size of a run, checked before a kernel starts.

Each chapter declares, beside its profiles, ``<profile_dir>/<stem>.domains.json``::

    {"parameters": {
        "n": {"description": "matrix size", "unit": "rows", "int": [10, 20000], "size": true},
        "activation": {"description": "nonlinearity", "choices": ["tanh", "relu"]},
        "ks_ns": {"description": "sizes of the sweep", "int": [50, 20000], "size": true,
                  "length": [3, 12]},
        ...},
     "estimate": {"bytes_per_size2": 64, "paper_seconds": 60, "sweep_fraction": 0.8,
                  "draws": ["seeds"]}}

A parameter has exactly one of ``int``, ``float`` (closed ranges ``[low, high]``), ``bool``
(``true``), ``str`` (``true``: any text), ``choices`` or ``records`` (a list of tuples, one domain
per position, e.g. ``[{"choices": ["tanh"]}, {"float": [0, 1]}]``); a list value is checked element
by element (nested lists too) and its length against ``length``. Parameters marked ``size`` are matrix
dimensions: a run holds about ``bytes_per_size2 x N^2`` bytes for its largest size N (per process:
each worker holds one task at a time). Time: the paper profile (the defaults) takes ``paper_seconds``
on 2 cores, a fraction ``sweep_fraction`` of it (default 1) in the Monte Carlo sweeps that the mapper
spreads over workers; the sweeps scale like ``(N / N_paper)^3`` times the ratio of the independent
draws (the mean, over the parameters named in ``draws``, of the total of a parameter over the total of
its default), the rest (theory, figures) does not. With ``W`` one-thread workers the sweeps take
``1 / W`` of their one-core time (:meth:`Domains.seconds`, :meth:`Domains.describe_time`).
"""

from __future__ import annotations

import json
import math
import os
from numbers import Integral, Real
from pathlib import Path

__all__ = ["Domains", "available_memory", "load"]

_KINDS = ("int", "float", "bool", "str", "choices", "records")


def available_memory() -> int | None:
    """Bytes of memory available now (``MemAvailable`` of /proc/meminfo), or None where unknown."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _leaves(value):
    if isinstance(value, (list, tuple)):
        for item in value:
            yield from _leaves(item)
    else:
        yield value


def _describe(spec: dict) -> str:
    if "records" in spec:
        return "tuples (" + "; ".join(_describe(field) for field in spec["records"]) + ")"
    if "choices" in spec:
        return "one of " + ", ".join(map(repr, spec["choices"]))
    for kind, word in (("int", "integers"), ("float", "numbers")):
        if kind in spec:
            low, high = spec[kind]
            return f"{word} in [{low:g}, {high:g}]"
    return "true or false" if "bool" in spec else "any text"


def _duration(seconds: float) -> str:
    for unit, size in (("h", 3600.0), ("min", 60.0)):
        if seconds >= 2 * size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.0f} s"


class Domains:
    """The declared domains of one chapter's parameters.

    Parameters
    ----------
    stem : str
        The chapter.
    document : dict
        The parsed ``<stem>.domains.json`` (see the module).
    """

    def __init__(self, stem: str, document: dict):
        self.stem = stem
        self.parameters = document.get("parameters", {})
        self.estimate = document.get("estimate", {})
        for name, spec in self.parameters.items():
            kinds = [k for k in _KINDS if k in spec]
            if len(kinds) != 1 or not spec.get("description"):
                raise ValueError(f"{stem}.domains.json: parameter {name!r} needs a description and exactly "
                                 f"one of {', '.join(_KINDS)}")

    def _leaf_ok(self, spec, value) -> bool:
        if "choices" in spec:
            return value in spec["choices"]
        if "bool" in spec:
            return isinstance(value, bool)
        if "str" in spec:
            return isinstance(value, str)
        if isinstance(value, bool):
            return False
        kind = Integral if "int" in spec else Real
        if not isinstance(value, kind) or not math.isfinite(value):
            return False
        low, high = spec["int" if "int" in spec else "float"]
        return low <= value <= high

    def check(self, params: dict) -> None:
        """Raise ValueError naming the first parameter whose value is outside its domain."""
        for name, value in params.items():
            spec = self.parameters.get(name)
            if spec is None:
                raise ValueError(f"notebook {self.stem!r}: parameter {name!r} has no declared domain")
            length = spec.get("length")
            if length is not None:
                if not isinstance(value, (list, tuple)) or not length[0] <= len(value) <= length[1]:
                    raise ValueError(f"parameter {name} = {value!r} of notebook {self.stem!r} must be a "
                                     f"list of {length[0]} to {length[1]} items, each {_describe(spec)}")
            if "records" in spec:
                fields = spec["records"]
                bad = [row for row in value if not isinstance(row, (list, tuple)) or len(row) != len(fields)
                       or not all(self._leaf_ok(f, v) for f, v in zip(fields, row))]
            else:
                bad = [leaf for leaf in _leaves(value) if not self._leaf_ok(spec, leaf)]
            if bad:
                raise ValueError(f"parameter {name} = {value!r} of notebook {self.stem!r} is out of its "
                                 f"domain ({spec['description']}): valid values are {_describe(spec)}")

    def largest_size(self, params: dict) -> int:
        """The largest matrix dimension among the parameters marked ``size`` (0 if none)."""
        sizes = [leaf for name, spec in self.parameters.items() if spec.get("size") and name in params
                 for leaf in _leaves(params[name])]
        return int(max(sizes, default=0))

    def memory(self, params: dict) -> float:
        """Estimated peak memory of a run, in bytes."""
        return float(self.estimate.get("bytes_per_size2", 0.0)) * self.largest_size(params) ** 2

    def _draws(self, params: dict, defaults: dict) -> float:
        ratios = [sum(_leaves(params[n])) / sum(_leaves(defaults[n])) for n in self.estimate.get("draws", [])
                  if n in params and n in defaults and sum(_leaves(defaults[n])) > 0]
        return sum(ratios) / len(ratios) if ratios else 1.0

    def seconds(self, params: dict, defaults: dict, *, workers: int | None = None) -> float | None:
        """Estimated wall time, scaled from the paper profile (see the module).

        ``workers=None``: on 2 cores as the paper profile ran (serially); ``workers=W``: the sweeps
        on W one-thread workers, the rest in the kernel. None when the chapter gives no estimate.
        """
        reference, now = self.largest_size(defaults), self.largest_size(params)
        paper = self.estimate.get("paper_seconds")
        if paper is None or reference == 0:
            return None
        fraction = float(self.estimate.get("sweep_fraction", 1.0))
        sweeps = float(paper) * fraction * (now / reference) ** 3 * self._draws(params, defaults)
        return float(paper) * (1.0 - fraction) + sweeps / (workers or 1)

    def describe_time(self, params: dict, defaults: dict) -> str:
        """``, about 2.1 h on 2 cores; with W workers about 12 s + 2.0 h / W`` ('' without an estimate)."""
        total = self.seconds(params, defaults)
        if total is None:
            return ""
        rest = self.seconds(params, defaults, workers=10**9)
        fixed = f"{_duration(rest)} + " if rest >= 0.5 else ""
        return f", about {_duration(total)} on 2 cores; with W workers about {fixed}{_duration(total - rest)} / W"

    def require_memory(self, params: dict, available=None) -> None:
        """Raise ValueError when the estimated memory exceeds what the machine has available."""
        available = available_memory() if available is None else available
        need = self.memory(params)
        if available is not None and need > available:
            name = max((n for n, s in self.parameters.items() if s.get("size") and n in params),
                       key=lambda n: max(_leaves(params[n]), default=0))
            raise ValueError(f"notebook {self.stem!r} with {name} = {params[name]!r} needs about "
                             f"{need / 2**30:.1f} GiB of memory, more than the {available / 2**30:.1f} GiB "
                             f"available; choose a smaller {name}")

    def describe(self, name: str) -> str:
        """One line for ``rmtlib list``: description, unit and domain of a parameter."""
        spec = self.parameters.get(name)
        if spec is None:
            return "(no declared domain)"
        unit = f" [{spec['unit']}]" if spec.get("unit") else ""
        return f"{spec['description']}{unit}; {_describe(spec)}"


def load(stem: str, directory) -> Domains | None:
    """Read ``<directory>/<stem>.domains.json`` (None when the chapter declares no domains)."""
    path = Path(directory) / f"{stem}.domains.json"
    if not path.is_file():
        return None
    return Domains(stem, json.loads(path.read_text()))
