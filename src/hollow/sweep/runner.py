"""Run a sweep's jobs on an executor and stream each finished row into the store.

At most `2 x workers` jobs are in flight, so a sweep of thousands of runs holds neither all its
futures nor all its rows. Jobs whose row is already on disk are skipped (resume). The order rows
finish in does not matter: each row is a pure function of its job, written to its own file.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from typing import Any

from hollow.errors import EXIT_PROBLEMS, HollowError
from hollow.sweep.job import run_job
from hollow.sweep.plan import Job
from hollow.sweep.store import SweepStore

Progress = Callable[[int, int], None]


class RunFailed(HollowError):
    """A run raised (a value the schema accepts but the model refuses, or a bug): named, rows kept."""

    exit_code = EXIT_PROBLEMS


def _row(future: Future, job: Job) -> dict[str, Any]:
    try:
        return future.result()
    except HollowError:
        raise
    except Exception as exc:
        raise RunFailed(f"the run {job.key} (seed {job.seed}, {' '.join(job.point) or 'no overrides'}) failed: "
                        f"{type(exc).__name__}: {exc}; the rows written so far are kept") from exc


def run_jobs(scenario: str, jobs: Sequence[Job], store: SweepStore, executor: Executor, cache_dir: str,
             in_flight: int = 4, progress: Progress | None = None) -> int:
    """Run the jobs not yet done; returns how many ran. `progress(done, total)` after each row."""
    store.create()
    done = store.done()
    todo = [j for j in jobs if j.key not in done]
    total, finished = len(todo), 0
    pending: set[Future] = set()
    jobs_by_future: dict[Future, Job] = {}
    queue = iter(todo)
    try:
        while True:
            while len(pending) < in_flight:
                job = next(queue, None)
                if job is None:
                    break
                future = executor.submit(run_job, scenario, job, cache_dir)
                jobs_by_future[future] = job
                pending.add(future)
            if not pending:
                return finished
            ready, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in ready:
                store.write_row(_row(future, jobs_by_future.pop(future)))
                finished += 1
                if progress is not None:
                    progress(finished, total)
    finally:
        for future in pending:
            future.cancel()
