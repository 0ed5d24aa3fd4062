"""The theory a chapter's checks compare against, perturbed on request to measure their power.

A power run (``rmtlib power NOTEBOOK --perturb NAME=VALUE``) executes a chapter with its simulations
unchanged (read back from the simulation cache) and its theory perturbed. Every number or law that
a check compares a simulation with goes through one of the functions below, which return it
unchanged in a normal run:

- ``scale=s`` pushes every limiting law forward under x -> s x: :func:`law` returns
  ``law.scaled(s)``, :func:`position` multiplies positions and edges by s, :func:`moment` multiplies
  a k-th moment by s^k; atom masses and overlaps do not change.
- ``NAME=f`` for a theory parameter the chapter declares (``profiles/<stem>.theory.json``, shown by
  ``rmtlib list``) multiplies that parameter by f where the chapter reads it through
  :func:`parameter`.

The perturbation is read from the environment variable ``RMTLIB_PERTURB`` (``"scale=1.02"`` or
``"scale=1.02,zeta=0.9"``), which the runners export to the kernel.
"""

from __future__ import annotations

import math
import os

__all__ = ["ENVIRONMENT", "law", "moment", "parameter", "parse", "perturbation", "position", "scale"]

ENVIRONMENT = "RMTLIB_PERTURB"
"""The environment variable that carries the perturbation into the kernel."""


def parse(text: str) -> dict:
    """Parse ``"name=value,name=value"`` into ``{name: float}``.

    Parameters
    ----------
    text : str
        Comma-separated ``NAME=VALUE`` pairs; every value a finite positive factor.

    Returns
    -------
    dict
        Name -> factor (empty for an empty string).
    """
    out = {}
    for item in filter(None, (part.strip() for part in (text or "").split(","))):
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier():
            raise ValueError(f"perturbation {item!r} must read NAME=VALUE, e.g. scale=1.02")
        try:
            factor = float(value)
        except ValueError:
            raise ValueError(f"perturbation {name}: value {value!r} is not a number") from None
        if not math.isfinite(factor) or factor <= 0.0:
            raise ValueError(f"perturbation {name}: factor must be a finite number > 0, got {value!r}")
        out[name] = factor
    return out


def perturbation() -> dict:
    """The perturbation of this process: ``{name: factor}`` from ``$RMTLIB_PERTURB`` (empty: none)."""
    return parse(os.environ.get(ENVIRONMENT, ""))


def scale() -> float:
    """The factor s of the scale perturbation (1.0 in a normal run)."""
    return perturbation().get("scale", 1.0)


def law(spectral_law):
    """The law the checks compare with: ``spectral_law`` itself, or its pushforward under x -> s x."""
    s = scale()
    return spectral_law if s == 1.0 else spectral_law.scaled(s)


def position(x):
    """A position, an edge or a location on the spectral axis, times s."""
    return scale() * x


def moment(value, k: int):
    """A k-th moment of a limiting law, times s^k."""
    return scale() ** k * value


def parameter(name: str, value):
    """A theory parameter, times its factor when the perturbation names it."""
    return perturbation().get(name, 1.0) * value
