"""Where chunks of work run: here, in local threads or processes, or on a Dask cluster.

Scans and pseudo-experiment studies submit independent, deterministic chunks to a
:class:`concurrent.futures.Executor`; this module makes one from the user's choice.
``workers=1`` (the default) means no executor: chunks run in the calling process.
``workers=N`` uses a :class:`~concurrent.futures.ProcessPoolExecutor`, or with
``threads=True`` a :class:`~concurrent.futures.ThreadPoolExecutor` (no start-up and no
copies of the likelihood; numpy releases the GIL in its array work, and the predictors'
caches are safe to share). Chunks are pure functions of their arguments, so every executor
gives the same numbers, bit for bit. ``dask`` is a
scheduler address (``tcp://host:8786``) or ``"local"`` for a
:class:`distributed.LocalCluster`; the executor is then
:meth:`distributed.Client.get_executor`, so the scan code is the same for every back end.
Dask is an optional extra (``pip install cevns[dask]``).

Local processes start from a fork server, not by forking the caller: forking a process
that runs threads (BLAS, JAX, Dask) can deadlock. As with any spawned process pool, a
script that uses workers must keep its top-level code under
``if __name__ == "__main__":``.

Worker processes never outlive the run (:func:`_worker_start`): each ignores SIGINT (a
Ctrl-C at a terminal reaches the whole process group; the parent decides and shuts the
pool down, so workers print no tracebacks of their own), asks Linux to kill it when its
parent (the fork server) dies (``prctl(PR_SET_PDEATHSIG, SIGKILL)``, ``prctl(2)``), and —
on every system — watches from a daemon thread that its parent is still the same process
and that the process that made the pool is alive, and exits otherwise. The fork server
itself exits when the process that made it dies (it reads end-of-file on its "alive"
pipe), so a SIGKILLed ``cevns`` leaves no process behind. An interrupt or an error in the
parent terminates the workers at once instead of waiting for their running chunks.
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import os
import pickle
import signal
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

from cevns.errors import InputError


class ExecutorError(InputError):
    """An executor that cannot be made (bad worker count, unreachable scheduler)."""


#: Estimated start-up and hand-off cost (s) of each kind of executor, used by
#: :func:`plan_execution` (measured on the project's 2-core machine: a fork-server pool of
#: 2 processes importing cevns ≈ 1 s, a Dask ``LocalCluster`` ≈ 3–4 s).
START_UP_S = {"threads": 0.05, "processes": 1.0, "dask-local": 4.0}


@dataclass(frozen=True)
class ExecutionPlan:
    """Where a job runs: ``workers`` local workers (1: serially, here) or the Dask
    scheduler ``dask``; ``reason`` says why a request for workers was overruled ("" if it
    was not); ``estimate_s`` is the estimated serial run time (s)."""

    workers: int
    dask: str | None
    reason: str = ""
    estimate_s: float = 0.0

    @property
    def serial(self) -> bool:
        return self.workers == 1 and self.dask is None


def plan_execution(
    n_items: int,
    cost_per_item_s: float,
    workers: int = 1,
    polynomial: bool = False,
    dask: str | None = None,
    threads: bool = False,
) -> ExecutionPlan:
    """Choose serial work where workers cannot help, else what was asked.

    Serial when the job is vectorised (``polynomial``: the whole grid is a few matrix
    products, which processes only slow down by the hand-off), or when the estimated serial
    time ``n_items × cost_per_item_s`` (s) is no more than the parallel estimate
    ``start-up + serial / workers`` with the start-up costs of :data:`START_UP_S`. A
    remote Dask scheduler (an address, not ``"local"``) is always used: the user set up
    that cluster. Only the executor changes: every executor gives the same numbers."""
    if workers < 1 or n_items < 0 or cost_per_item_s < 0:
        raise ExecutorError("plan_execution needs workers ≥ 1, n_items ≥ 0 and a cost ≥ 0")
    estimate = float(n_items * cost_per_item_s)
    asked = "--dask " + dask if dask is not None else f"--workers {workers}"
    if workers == 1 and dask is None:
        return ExecutionPlan(1, None, "", estimate)
    if polynomial:
        return ExecutionPlan(1, None, f"{asked} ignored: the polynomial (vectorised) path runs serially, "
                             f"estimated {estimate:.2g} s", estimate)
    if dask is not None and dask != "local":  # a cluster the user set up: always used
        return ExecutionPlan(workers, dask, "", estimate)
    kind = "dask-local" if dask is not None else "threads" if threads else "processes"
    if workers > 1 and START_UP_S[kind] + estimate / workers < estimate:
        return ExecutionPlan(workers, dask, "", estimate)
    return ExecutionPlan(1, None, f"{asked} ignored: too little work to gain from workers, runs serially, "
                         f"estimated {estimate:.2g} s", estimate)


def time_per_item(function: Callable[..., Any], args: tuple, items: int) -> float:
    """Seconds per item of one call ``function(*args)`` that handles ``items`` items (the
    result is discarded: timing never changes a number)."""
    start = time.perf_counter()
    function(*args)
    return (time.perf_counter() - start) / max(items, 1)


@contextlib.contextmanager
def executor(
    workers: int = 1, dask: str | None = None, connect_timeout_s: float = 5.0, threads: bool = False
) -> Iterator[Executor | None]:
    """Context manager yielding the executor for ``workers`` local processes (``threads``:
    threads) or a Dask scheduler (``dask``), or None for serial work; everything is shut
    down on exit. An unreachable scheduler raises :class:`ExecutorError` within
    ``connect_timeout_s``."""
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ExecutorError(f"workers must be a whole number ≥ 1, got {workers!r}")
    if threads and dask is not None:
        raise ExecutorError("choose threads or a Dask scheduler, not both")
    if dask is not None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise ExecutorError("--dask needs the dask extra: pip install 'cevns[dask]'") from None
        cluster = None
        try:
            if dask == "local":
                cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0")
                client = Client(cluster, timeout=f"{connect_timeout_s}s")
            else:
                client = Client(dask, timeout=f"{connect_timeout_s}s")
        except (OSError, TimeoutError, ValueError) as exc:
            if cluster is not None:
                cluster.close()
            raise ExecutorError(f"cannot reach the Dask scheduler {dask}: {exc}".splitlines()[0]) from None
        try:
            yield client.get_executor()
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
        return
    if workers == 1:
        yield None
        return
    if threads:
        threaded = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cevns")
        try:
            yield threaded
        finally:
            threaded.shutdown(wait=True, cancel_futures=True)
        return
    # forkserver, not fork: forking a process that has started threads (BLAS, JAX, Dask)
    # can deadlock, and Python warns about it
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("forkserver"),
                               initializer=_worker_start, initargs=(os.getpid(),))
    try:
        yield pool
    except BaseException:  # an interrupt (SIGINT, SIGTERM) or an error: the running chunks are not wanted
        terminate_workers(pool)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def terminate_workers(pool: ProcessPoolExecutor, grace_s: float = 2.0) -> None:
    """Stop the worker processes of ``pool`` now (SIGTERM, then SIGKILL after ``grace_s``
    seconds) and cancel its pending work; ``pool.shutdown`` then returns at once."""
    processes = list((getattr(pool, "_processes", None) or {}).values())  # the pool's own table (CPython)
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    deadline = time.monotonic() + grace_s
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join(1.0)


#: How often (s) a worker checks that its parent and the pool's owner still live.
WATCH_INTERVAL_S = 0.25


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie (Linux: its /proc state)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else: pid reused, so the owner is gone
        return False
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            state = handle.read().rsplit(b")", 1)[1].split()[0]
        return state not in (b"Z", b"X")
    except (OSError, IndexError):
        return True  # no /proc (macOS): os.kill said it exists


def _set_parent_death_signal() -> None:
    """Linux: SIGKILL this process when its parent dies (``prctl(PR_SET_PDEATHSIG)``);
    elsewhere nothing (the watcher thread covers it)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _worker_start(owner_pid: int) -> None:
    """Initializer of every local worker process (see the module docstring): ignore
    SIGINT, die with the parent, and exit when ``owner_pid`` (the process that made the
    pool) is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = os.getppid()
    _set_parent_death_signal()
    if os.getppid() != parent or not _alive(owner_pid):  # it died before prctl took effect
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(WATCH_INTERVAL_S)
            if os.getppid() != parent or not _alive(owner_pid):
                os._exit(1)

    threading.Thread(target=watch, name="cevns-parent-watch", daemon=True).start()


#: Chunks handed to a pool at a time by :func:`run_chunks` (a new one as each finishes): enough
#: to keep any worker count busy, few enough that the chunks' arguments (index arrays) of a
#: grid of 10⁹ points are never all in memory at once.
MAX_PENDING = 256


def run_chunks(
    function: Callable[..., Any],
    arguments: Iterable[tuple],
    on_result: Callable[[tuple, Any], None],
    pool: Executor | None = None,
    max_pending: int = MAX_PENDING,
) -> None:
    """Call ``function(*args)`` for every ``args`` in ``arguments`` (any iterable, read
    lazily) — here, in order, or on ``pool`` with at most ``max_pending`` chunks submitted
    and not yet handled — and ``on_result(args, result)`` in this process as each one
    finishes (so the caller can save progress). On an error or interrupt, chunks not yet
    started are cancelled."""
    if pool is None:
        for args in arguments:
            on_result(args, function(*args))
        return
    if isinstance(pool, ThreadPoolExecutor):  # shared memory: nothing to ship
        def submit(args: tuple) -> Future[Any]:
            return pool.submit(function, *args)
    else:  # serialise the function (the prepared predictor) once, unpickle it once per worker
        blob = pickle.dumps(function, protocol=pickle.HIGHEST_PROTOCOL)
        key = f"{id(blob)}-{time.perf_counter_ns()}"

        def submit(args: tuple) -> Future[Any]:
            return pool.submit(_call_shipped, key, blob, args)
    source = iter(arguments)
    futures: dict[Future[Any], tuple] = {}
    try:
        while True:
            for args in itertools.islice(source, max(1, max_pending) - len(futures)):
                futures[submit(args)] = args
            if not futures:
                return
            finished, _ = wait(futures, return_when=FIRST_COMPLETED)
            for future in finished:
                on_result(futures.pop(future), future.result())
    finally:
        for future in futures:
            future.cancel()


#: Functions unpickled in this (worker) process, by the key of their serialised form.
_SHIPPED: dict[str, Callable[..., Any]] = {}


def _call_shipped(key: str, blob: bytes, args: tuple) -> Any:
    """In a worker: ``function(*args)`` with the function unpickled from ``blob`` on its
    first chunk only (the last few kept)."""
    function = _SHIPPED.get(key)
    if function is None:
        while len(_SHIPPED) >= 4:
            _SHIPPED.pop(next(iter(_SHIPPED)))
        function = _SHIPPED[key] = pickle.loads(blob)
    return function(*args)


__all__ = ["START_UP_S", "ExecutionPlan", "ExecutorError", "executor", "plan_execution", "run_chunks", "terminate_workers",
           "time_per_item"]
