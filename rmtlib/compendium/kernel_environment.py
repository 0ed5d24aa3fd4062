"""The surroundings of a chapter kernel: its environment variables, its stderr, its staging folder.

:func:`rmtlib.compendium.execution.execute` runs a kernel with ``RMTLIB_OUTPUT_DIR`` pointing at a
staging folder (:func:`variables`), its stderr in a log file (:func:`stderr_to`), and moves what it
wrote into place only when the execution ended (:func:`publish`), so that an interrupted run leaves
earlier results untouched.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

from rmtlib.experiments import cache

__all__ = ["publish", "simulation_cache", "stderr_to", "variables"]


def publish(staging: Path, staged: Path, output: Path, output_dir: Path) -> None:
    """Move a finished execution into place: the executed notebook, then what the kernel wrote."""
    stale = output_dir / "checks.json"
    if stale.exists():
        stale.unlink()
    for path in staging.iterdir():
        if path != staged:
            os.replace(path, output_dir / path.name)
    if staged.exists():
        os.replace(staged, output)


def simulation_cache() -> Path:
    """The directory of the simulation cache the runners give the kernels.

    ``$RMTLIB_SIMULATION_CACHE`` when set, else ``$RMTLIB_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/rmtlib/simulations`` (``~/.cache/rmtlib/simulations``); see
    :mod:`rmtlib.experiments.cache`.
    """
    for name in (cache.ENVIRONMENT, "RMTLIB_CACHE_DIR"):
        if os.environ.get(name):
            return Path(os.environ[name])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "rmtlib" / "simulations"


@contextlib.contextmanager
def stderr_to(path: Path):
    """Send what the kernel process writes to stderr (transport warnings, its own tracebacks when it
    is stopped) to ``path``, while this process's ``sys.stderr`` keeps writing to the terminal."""
    sys.stderr.flush()
    saved = os.dup(2)
    with open(path, "ab") as log:
        os.dup2(log.fileno(), 2)
    previous = sys.stderr
    sys.stderr = open(os.dup(saved), "w", buffering=1, encoding=previous.encoding or "utf-8",
                      errors="replace")
    try:
        yield
    finally:
        sys.stderr.flush()
        sys.stderr.close()
        sys.stderr = previous
        os.dup2(saved, 2)
        os.close(saved)


@contextlib.contextmanager
def variables(**values):
    """Set environment variables (None: unset) for the duration of the block, then restore them."""
    previous = {name: os.environ.get(name) for name in values}
    try:
        for name, value in values.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
