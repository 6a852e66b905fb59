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
"""

from __future__ import annotations

import contextlib
import multiprocessing
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from typing import Any, Callable, Iterator, Sequence

from cevns.errors import InputError


class ExecutorError(InputError):
    """An executor that cannot be made (bad worker count, unreachable scheduler)."""


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
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("forkserver"))
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def run_chunks(
    function: Callable[..., Any],
    arguments: Sequence[tuple],
    on_result: Callable[[tuple, Any], None],
    pool: Executor | None = None,
) -> None:
    """Call ``function(*args)`` for every ``args`` in ``arguments`` — here, in order, or on
    ``pool`` — and ``on_result(args, result)`` in this process as each one finishes (so the
    caller can save progress). On an error or interrupt, chunks not yet started are
    cancelled."""
    if pool is None:
        for args in arguments:
            on_result(args, function(*args))
        return
    futures = {pool.submit(function, *args): args for args in arguments}
    try:
        for future in as_completed(futures):
            on_result(futures[future], future.result())
    finally:
        for future in futures:
            future.cancel()


__all__ = ["ExecutorError", "executor", "run_chunks"]
