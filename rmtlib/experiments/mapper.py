"""One mapper for every sweep: ``f`` over independent tasks, serially or on local processes.

A sweep is a pure function of one task (its settings and its seed, spawned with
`numpy.random.SeedSequence.spawn`), so the results are identical whichever backend runs it and
however many workers it has. Each worker process limits its BLAS to ``blas_threads`` threads, so
that ``workers x blas_threads`` never oversubscribes the cores.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor

from rmtlib._numerics import validate as _validate

__all__ = ["Mapper"]


def _limit_blas(threads):
    try:
        from threadpoolctl import threadpool_limits  # optional (a scikit-learn dependency)
    except ImportError:
        return
    threadpool_limits(threads)


class Mapper:
    """Map a function over tasks, in order, serially (``workers=1``) or on ``workers`` processes.

    Parameters
    ----------
    workers : int
        Number of processes; 1 runs in this process.
    blas_threads : int
        BLAS threads per worker process.

    Examples
    --------
    >>> with Mapper(workers=1) as mapper:
    ...     list(mapper(abs, [-1, 2]))
    [1, 2]
    """

    def __init__(self, *, workers: int = 1, blas_threads: int = 1):
        self.workers = _validate.integer("workers", workers, low=1)
        self.blas_threads = _validate.integer("blas_threads", blas_threads, low=1)
        self._pool = None

    def __enter__(self) -> "Mapper":
        if self.workers > 1:
            self._pool = ProcessPoolExecutor(self.workers, initializer=_limit_blas,
                                             initargs=(self.blas_threads,))
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Shut the worker processes down (nothing to do serially)."""
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def __call__(self, func, tasks):
        """Return an iterator of ``func(task)`` over ``tasks``, in the order of the tasks."""
        if self._pool is None:
            return map(func, tasks)
        return self._pool.map(func, tasks)
