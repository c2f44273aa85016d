"""Dask distributed as a sweep executor: an existing scheduler (`--scheduler tcp://HOST:PORT`, e.g. one
dask-jobqueue started on SLURM/PBS) or a `LocalCluster` of N worker processes on loopback
(`--dask-local N`). Either way the sweep sees `Client.get_executor()`, a `concurrent.futures.Executor`.
A scheduler that does not answer within `CONNECT_TIMEOUT_S` is one HollowError, before anything is written.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import contextmanager

from hollow.errors import HollowError

CONNECT_TIMEOUT_S = 10


@contextmanager
def dask_executor(scheduler: str | None = None, local_workers: int | None = None) -> Iterator[tuple[Executor, int]]:
    """(an executor on a Dask cluster, the threads its workers have now, at least 4: a cluster still
    scaling up gets work to start on); the client (and a local cluster) close on exit."""
    import logging

    from distributed import Client, LocalCluster

    logging.getLogger("distributed").setLevel(logging.ERROR)
    cluster = None
    if scheduler is None:
        n = local_workers or 1
        if not 1 <= n <= 512:
            raise HollowError(f"--dask-local {n}: give between 1 and 512 workers")
        import dask.config

        # Dask's nanny starts workers with MALLOC_TRIM_THRESHOLD_=65536 (memory back to the OS early);
        # a run allocates and frees a lot, and measured ~35% more CPU a run under it: glibc's default here
        with dask.config.set({"distributed.nanny.pre-spawn-environ": {}}):
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                                   dashboard_address=None, silence_logs=logging.ERROR)
        address = cluster.scheduler_address
    else:
        address = scheduler
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError, ValueError) as exc:
        if cluster is not None:
            cluster.close()
        raise HollowError(f"--scheduler {address}: no Dask scheduler answered within {CONNECT_TIMEOUT_S} s ({type(exc).__name__}); nothing was written") from None
    try:
        threads = sum(w.get("nthreads", 1) for w in client.scheduler_info()["workers"].values())
        yield client.get_executor(), max(threads, local_workers or 4)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
