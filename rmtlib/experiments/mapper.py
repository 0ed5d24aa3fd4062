"""One mapper for every sweep: ``f`` over independent tasks, serially, on processes or on Dask.

A sweep is a pure function of one task (its settings and its seed, spawned with
`numpy.random.SeedSequence.spawn`), so the results are identical, value for value and in task
order, whichever backend runs it and however many workers it has:

- serial: in this process (``workers=1``, the default);
- local processes: a `concurrent.futures.ProcessPoolExecutor` of ``workers`` processes; a pool
  broken by a dead worker is replaced and its unfinished tasks rerun (``retries`` times);
- Dask: a ``dask.distributed.Client`` connected to ``scheduler`` (``"local"`` starts a
  ``LocalCluster`` of ``workers`` single-threaded processes); a task whose worker dies is
  rescheduled by Dask, and one that raises is retried ``retries`` times.

Every backend runs its tasks with the same number of BLAS threads, ``blas_threads`` (1 unless set;
threadpoolctl, once per worker process, around the map when serial): OpenBLAS's results depend in
the last bits on its thread count, so this keeps the numbers identical, and ``workers x
blas_threads`` never oversubscribes the cores. ``rmtlib run / reproduce / execute /
power --workers N --scheduler ADDR`` choose the backend of a notebook's kernel through the
environment (``RMTLIB_WORKERS``, ``RMTLIB_SCHEDULER``, ``RMTLIB_BLAS_THREADS``); a notebook never
names a backend itself. A progress bar (tqdm) is shown when stderr is a terminal, or on the file
named by ``RMTLIB_PROGRESS`` (the terminal of ``rmtlib run``), never inside a notebook's output.
"""

from __future__ import annotations

import atexit
import os
import re
import sys
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from rmtlib._numerics import validate as _validate

__all__ = ["CLUSTER_HINT", "ENVIRONMENT", "Mapper", "backend_from_environment", "close_shared", "map_tasks",
           "require_dask", "validate_scheduler", "validate_workers"]

ENVIRONMENT = {"workers": "RMTLIB_WORKERS", "scheduler": "RMTLIB_SCHEDULER",
               "blas_threads": "RMTLIB_BLAS_THREADS", "progress": "RMTLIB_PROGRESS"}
"""The environment variables through which the command line chooses the backend of a kernel."""

CLUSTER_HINT = "pip install 'rmtlib[cluster]'"
_ADDRESS = re.compile(r"^(?:(?:tcp|tls|ucx|inproc)://)?[A-Za-z0-9_.\-\[\]:]*[A-Za-z0-9\]]:\d{1,5}$")
_LIMITED = {"threads": None, "worker": False}  # the BLAS limit applied in this process; a worker of a sweep?


def validate_workers(workers, *, name="workers") -> int:
    """Return ``workers`` as an int >= 1 (ints or integer text), else raise ValueError naming it."""
    value = int(workers) if isinstance(workers, str) and workers.strip().isdigit() else workers
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {workers!r}")
    return value


def validate_scheduler(address, *, name="scheduler") -> str:
    """Return a Dask scheduler address: ``"local"``, ``host:port`` or ``tcp://host:port``.

    Raises
    ------
    ValueError
        Naming the parameter and the accepted forms.
    """
    text = address.strip() if isinstance(address, str) else address
    if text == "local" or (isinstance(text, str) and _ADDRESS.match(text)):
        port = None if text == "local" else int(text.rsplit(":", 1)[1])
        if port is None or 1 <= port <= 65535:
            return text
    raise ValueError(f"{name} must be 'local' or a Dask scheduler address host:port or "
                     f"tcp://host:port (port 1 to 65535), got {address!r}")


def require_dask():
    """Import ``dask.distributed``, or raise ImportError naming the extra that installs it."""
    try:
        import dask.distributed as distributed
    except ImportError as exc:
        raise ImportError(f"the Dask backend needs dask and distributed: {CLUSTER_HINT}") from exc
    return distributed


def backend_from_environment() -> dict:
    """``{"workers", "scheduler", "blas_threads"}`` chosen by the command line (see the module).

    Unset variables give None (serial, one BLAS thread).
    """
    env = {key: os.environ.get(var, "").strip() for key, var in ENVIRONMENT.items()}
    check = {"workers": validate_workers, "scheduler": validate_scheduler, "blas_threads": validate_workers}
    return {key: check[key](env[key], name=ENVIRONMENT[key]) if env[key] else None for key in check}


def _limit_blas(threads):
    """Limit the BLAS of this worker process to ``threads`` threads (once per process and value)."""
    _LIMITED["worker"] = True  # a sweep inside a task runs serially here (no pools of pools)
    if threads is None or _LIMITED["threads"] == threads:
        return
    try:
        from threadpoolctl import threadpool_limits  # optional (a scikit-learn dependency)
    except ImportError:
        return
    threadpool_limits(threads, user_api="blas")
    _LIMITED["threads"] = threads


class _Limited:
    """``func`` called with this process's BLAS limited first (picklable, for any backend)."""

    def __init__(self, func, threads):
        self.func, self.threads = func, threads

    def __call__(self, task):
        _limit_blas(self.threads)
        return self.func(task)


class _Chunk:
    """``func`` over a list of tasks, in one worker call (picklable)."""

    def __init__(self, func):
        self.func = func

    def __call__(self, tasks):
        return [self.func(task) for task in tasks]


def _progress_bar(total, label):
    """A tqdm bar on the terminal (or on ``$RMTLIB_PROGRESS``), or None when quiet."""
    target = os.environ.get(ENVIRONMENT["progress"])
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    if target:
        try:
            stream = open(target, "w", buffering=1)
        except OSError:
            return None
    elif getattr(sys.stderr, "isatty", lambda: False)() and "ipykernel" not in sys.modules:
        stream = sys.stderr
    else:
        return None
    bar = tqdm(total=total, desc=label or "sweep", file=stream, leave=False, unit="task", mininterval=0.5)
    bar.rmtlib_stream = stream if target else None  # closed with the bar
    return bar


class Mapper:
    """Map a function over tasks, in task order, serially, on processes or on a Dask cluster.

    Parameters
    ----------
    workers : int, optional
        Processes (1: this process). None: ``$RMTLIB_WORKERS`` (the command line's ``--workers``),
        else 1. With a scheduler, the worker count of a ``"local"`` cluster (None: one per core).
    scheduler : str, optional
        ``"local"`` or a Dask scheduler address (``tcp://host:8786``). None: ``$RMTLIB_SCHEDULER``
        when ``workers`` is None too, else no Dask.
    blas_threads : int, optional
        BLAS threads of every task, serial or not (None: ``$RMTLIB_BLAS_THREADS``, else 1).
    retries : int, default 2
        Reruns of the unfinished tasks of a broken process pool; Dask's ``retries=``.
    progress : bool, optional
        Show a progress bar (None: only in a terminal, see the module).

    Examples
    --------
    >>> with Mapper(workers=1) as mapper:
    ...     list(mapper(abs, [-1, 2]))
    [1, 2]
    """

    def __init__(self, *, workers=None, scheduler=None, blas_threads=None, retries=2, progress=None):
        env = backend_from_environment()
        if workers is None and scheduler is None:
            workers, scheduler = env["workers"], env["scheduler"]
        self.scheduler = None if scheduler is None else validate_scheduler(scheduler)
        self.workers = None if workers is None else _validate.integer("workers", workers, low=1)
        if self.scheduler is None and self.workers is None:
            self.workers = 1
        blas_threads = (env["blas_threads"] or 1) if blas_threads is None else blas_threads
        self.blas_threads = _validate.integer("blas_threads", blas_threads, low=1)
        self.retries = _validate.integer("retries", retries, low=0)
        self.progress = progress
        self._pool = self._client = self._cluster = None
        if self.scheduler is not None:
            require_dask()

    @property
    def kind(self) -> str:
        """``"serial"``, ``"processes"`` or ``"dask"``."""
        return "dask" if self.scheduler else ("processes" if self.workers > 1 else "serial")

    def __repr__(self) -> str:
        return (f"Mapper({self.kind}, workers={self.workers}, scheduler={self.scheduler!r}, "
                f"blas_threads={self.blas_threads})")

    def __enter__(self) -> "Mapper":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Shut down the worker processes, or the Dask client and any LocalCluster it started."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def _new_pool(self):
        return ProcessPoolExecutor(self.workers, initializer=_limit_blas, initargs=(self.blas_threads,))

    def client(self):
        """The Dask client of this mapper (connected, or with its LocalCluster started, on first use)."""
        if self._client is None:
            distributed = require_dask()
            if self.scheduler == "local":
                self._cluster = distributed.LocalCluster(n_workers=self.workers or os.cpu_count() or 2,
                                                         threads_per_worker=1, processes=True, dashboard_address=None)
                self._client = distributed.Client(self._cluster, set_as_default=False)
            else:
                self._client = distributed.Client(self.scheduler, set_as_default=False)
        return self._client

    def __call__(self, func, tasks, *, label=None):
        """Return the list of ``func(task)`` over ``tasks``, in the order of the tasks.

        ``func`` and the tasks must be picklable for processes and Dask (module-level functions,
        plain data and SeedSequences).
        """
        tasks = list(tasks)
        show = self.progress if self.progress is not None else True
        bar = _progress_bar(len(tasks), label) if show and tasks else None
        try:
            if self.kind == "serial":
                return self._serial(func, tasks, bar)
            if self.kind == "processes":
                return self._processes(_Limited(func, self.blas_threads), tasks, bar)
            return self._dask(_Limited(func, self.blas_threads), tasks, bar, label)
        finally:
            if bar is not None:
                bar.close()
                if bar.rmtlib_stream is not None:
                    bar.rmtlib_stream.close()

    def _serial(self, func, tasks, bar):
        def each(task):
            result = func(task)
            if bar is not None:
                bar.update()
            return result

        try:
            from threadpoolctl import threadpool_limits  # optional (a scikit-learn dependency)
        except ImportError:
            return [each(task) for task in tasks]
        with threadpool_limits(self.blas_threads, user_api="blas"):
            return [each(task) for task in tasks]

    def _processes(self, func, tasks, bar):
        """Chunks of tasks on the pool (about 8 per worker); a broken pool's unfinished chunks rerun."""
        size = max(1, len(tasks) // (8 * self.workers))
        chunks = [tuple(range(k, min(k + size, len(tasks)))) for k in range(0, len(tasks), size)]
        results, pending = [None] * len(tasks), set(chunks)
        for attempt in range(self.retries + 1):
            if self._pool is None:
                self._pool = self._new_pool()
            futures = {}
            try:
                futures = {self._pool.submit(_Chunk(func), [tasks[i] for i in c]): c for c in sorted(pending)}
                waiting = set(futures)
                while waiting:
                    done, waiting = wait(waiting, return_when=FIRST_COMPLETED)
                    for future in done:
                        self._keep(results, pending, futures[future], future.result(), bar)
                return results
            except BrokenProcessPool:
                for future, chunk in futures.items():  # keep what finished before the pool broke
                    if future.done() and not future.cancelled() and future.exception() is None:
                        self._keep(results, pending, chunk, future.result(), bar)
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None
                if attempt == self.retries:
                    raise
        return results  # pragma: no cover - the loop returns or raises

    @staticmethod
    def _keep(results, pending, chunk, values, bar):
        if chunk in pending:
            pending.discard(chunk)
            for i, value in zip(chunk, values):
                results[i] = value
            if bar is not None:
                bar.update(len(chunk))

    def _dask(self, func, tasks, bar, label):
        distributed = require_dask()
        client = self.client()
        name = re.sub(r"[^A-Za-z0-9_]", "_", label or getattr(func.func, "__name__", "task"))
        token = os.urandom(6).hex()
        futures = client.map(func, tasks, retries=self.retries, pure=False,
                             key=[f"{name}-{token}-{i}" for i in range(len(tasks))])
        if bar is not None:
            for _ in distributed.as_completed(futures):
                bar.update()
        return client.gather(futures)


_SHARED: dict = {}


def _shared(workers, scheduler, blas_threads) -> Mapper:
    key = (workers, scheduler, blas_threads, tuple(sorted(backend_from_environment().items())))
    if key not in _SHARED:
        _SHARED[key] = Mapper(workers=workers, scheduler=scheduler, blas_threads=blas_threads)
    return _SHARED[key]


def close_shared() -> None:
    """Close the mappers that :func:`map_tasks` keeps open between sweeps (also done at exit)."""
    while _SHARED:
        _SHARED.popitem()[1].close()


atexit.register(close_shared)


def map_tasks(func, tasks, *, workers=None, scheduler=None, blas_threads=None, label=None) -> list:
    """Map ``func`` over ``tasks`` with the backend the command line chose; a list, in task order.

    Parameters
    ----------
    func : callable
        A pure, picklable function of one task (its settings and seed).
    tasks : iterable
        The tasks.
    workers, scheduler, blas_threads : optional
        As for :class:`Mapper`; None (the default) takes the backend from the environment that
        ``rmtlib run / reproduce / execute`` set for the kernel (serial when unset).
    label : str, optional
        The progress bar's label.

    Notes
    -----
    The worker processes or Dask client are kept open for the next sweep of the same backend (a
    chapter maps many sweeps), and closed at exit or by :func:`close_shared`.
    """
    if _LIMITED["worker"]:  # called from inside a task: already on a worker
        workers, scheduler = 1, None
    mapper = _shared(workers, scheduler, blas_threads)
    return mapper(func, tasks, label=label)
