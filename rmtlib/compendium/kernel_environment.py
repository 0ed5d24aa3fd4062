"""The surroundings of a chapter kernel: its environment variables, its stderr, its staging folder.

:func:`rmtlib.compendium.execution.execute` runs a kernel with ``RMTLIB_OUTPUT_DIR`` pointing at a
staging folder (:func:`variables`), its stderr in a log file (:func:`stderr_to`), and moves what it
wrote into place only when the execution ended (:func:`publish`), so that an interrupted run leaves
earlier results untouched. The command line chooses the backend of the kernel's sweeps
(``--workers N``, ``--scheduler ADDR``) and exports it to the kernel's environment
(:func:`export_backend`, read by :mod:`rmtlib.experiments.mapper`): a notebook never takes it as a
parameter, and its numbers do not depend on it.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

from rmtlib.experiments import cache, mapper

__all__ = ["add_backend_arguments", "export_backend", "publish", "simulation_cache", "stderr_to", "variables"]


def add_backend_arguments(parser) -> None:
    """Add ``--workers N`` and ``--scheduler ADDR`` to an argparse (sub)parser."""
    parser.add_argument("--workers", default=None, metavar="N",
                        help="run the sweeps on N local processes (N workers with --scheduler local)")
    parser.add_argument("--scheduler", default=None, metavar="ADDR",
                        help="run the sweeps on Dask: 'local' (a LocalCluster) or tcp://host:port "
                             f"(default $RMTLIB_SCHEDULER; needs {mapper.CLUSTER_HINT})")


def export_backend(args) -> None:
    """Validate ``args.workers`` / ``args.scheduler`` and export them for the kernels.

    Sets ``RMTLIB_WORKERS`` and ``RMTLIB_SCHEDULER`` (see :mod:`rmtlib.experiments.mapper`), and,
    for ``run``, ``reproduce`` and ``power`` in a terminal, ``RMTLIB_PROGRESS`` (the terminal the
    sweeps' progress bars are drawn on, never the notebook). Raises ValueError naming the option
    (``--workers`` an integer >= 1; ``--scheduler`` 'local', host:port or tcp://host:port) or the
    extra to install when dask is missing.
    """
    if getattr(args, "command", None) not in ("run", "reproduce", "execute", "power"):
        return
    workers, scheduler = args.workers, args.scheduler
    if workers is not None:
        os.environ[mapper.ENVIRONMENT["workers"]] = str(mapper.validate_workers(workers, name="--workers"))
    name = "--scheduler" if scheduler is not None else mapper.ENVIRONMENT["scheduler"]
    scheduler = scheduler if scheduler is not None else os.environ.get(name) or None
    if scheduler is not None:
        os.environ[mapper.ENVIRONMENT["scheduler"]] = mapper.validate_scheduler(scheduler, name=name)
        try:
            mapper.require_dask()
        except ImportError as exc:
            raise ValueError(str(exc)) from None
    if args.command != "execute" and not args.no_progress and sys.stderr.isatty():
        try:
            os.environ.setdefault(mapper.ENVIRONMENT["progress"], os.ttyname(sys.stderr.fileno()))
        except OSError:
            pass


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
