"""Simulate once, judge many times: a disk cache for a chapter's pure simulation functions.

A function decorated with :func:`simulation` is a pure function of its arguments (settings and a
seed). When ``$RMTLIB_SIMULATION_CACHE`` names a directory, its result is stored there under a key
made of the function's name, the arguments, the versions of numpy and scipy and a digest of the
whole rmtlib source (one subdirectory per digest), and read back on the next call with the same key.
Any edit of the package therefore starts from fresh simulations; :func:`prune` removes the
subdirectories of older sources. Without the variable the function simply runs.

The runners set the variable, so a power run (``rmtlib power``) re-evaluates the checks against a
perturbed theory on the very samples the unperturbed run drew, without drawing them again.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import pickle
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import scipy

__all__ = ["ENVIRONMENT", "cache_dir", "key", "prune", "simulation", "source_digest"]

ENVIRONMENT = "RMTLIB_SIMULATION_CACHE"
"""The environment variable naming the cache directory (caching is off without it)."""

_PACKAGE = Path(__file__).resolve().parents[1]


@functools.lru_cache(maxsize=1)
def source_digest() -> str:
    """sha256 of every rmtlib source file below the book machinery, and of the numpy and scipy versions (hex).

    ``rmtlib/compendium`` (checks, pages, command line) is left out: no simulation imports it (imports
    only point down), so editing how results are shown keeps the cached simulations.
    """
    digest = hashlib.sha256()
    for path in sorted(_PACKAGE.rglob("*.py")):
        if path.relative_to(_PACKAGE).parts[0] == "compendium":
            continue
        digest.update(str(path.relative_to(_PACKAGE)).encode())
        digest.update(path.read_bytes())
    digest.update(f"numpy {np.__version__} scipy {scipy.__version__}".encode())
    return digest.hexdigest()


def _canonical(obj):
    """A JSON-able canonical form of an argument; TypeError for what cannot key a cache entry."""
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    if isinstance(obj, float):
        return repr(obj)
    if isinstance(obj, np.generic):
        return _canonical(obj.item())
    if isinstance(obj, (list, tuple)):
        return [_canonical(v) for v in obj]
    if isinstance(obj, dict):
        return {str(k): _canonical(v) for k, v in sorted(obj.items(), key=lambda kv: str(kv[0]))}
    if isinstance(obj, np.ndarray):
        return {"ndarray": hashlib.sha256(np.ascontiguousarray(obj).tobytes()).hexdigest(),
                "dtype": str(obj.dtype), "shape": list(obj.shape)}
    if isinstance(obj, np.random.SeedSequence):
        return {"SeedSequence": [str(obj.entropy), list(obj.spawn_key), obj.pool_size]}
    raise TypeError(f"cannot key a simulation cache entry on {type(obj).__name__}")


def key(func, args, kwargs) -> str:
    """The cache key of ``func(*args, **kwargs)`` (hex digest); TypeError for unkeyable arguments."""
    text = json.dumps({"function": f"{func.__module__}.{func.__qualname__}",
                       "args": _canonical(list(args)), "kwargs": _canonical(kwargs),
                       "source": source_digest()}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def cache_dir() -> Path | None:
    """The cache directory from ``$RMTLIB_SIMULATION_CACHE``, or None when caching is off."""
    value = os.environ.get(ENVIRONMENT)
    return Path(value) if value else None


def prune(directory, *, max_age_days: float = 1.0) -> None:
    """Remove the source subdirectories of a cache directory unused for ``max_age_days`` (never the current)."""
    directory = Path(directory)
    if not directory.is_dir():
        return
    current = source_digest()[:16]
    limit = time.time() - 86400.0 * max_age_days
    for old in directory.iterdir():
        if old.is_dir() and old.name != current and old.stat().st_mtime < limit:
            shutil.rmtree(old, ignore_errors=True)


def simulation(func):
    """Decorate a pure simulation function so that its results are cached (see the module)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        directory = cache_dir()
        if directory is None:
            return func(*args, **kwargs)
        try:
            name = key(func, args, kwargs)
        except TypeError:  # e.g. a Generator passed as the seed: not reproducible, not cached
            return func(*args, **kwargs)
        path = directory / source_digest()[:16] / func.__module__ / f"{func.__qualname__}-{name[:32]}.pkl"
        if path.is_file():
            with path.open("rb") as handle:
                return pickle.load(handle)
        result = func(*args, **kwargs)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, suffix=".tmp") as handle:
                pickle.dump(result, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(handle.name, path)
            os.utime(path.parents[1])  # marks the source subdirectory as in use (see prune)
        except OSError:  # a full or read-only disk only costs the cache
            pass
        return result

    wrapper.uncached = func
    return wrapper
