"""The default executor: the stdlib process pool (`--workers N`)."""

from __future__ import annotations

import os
from concurrent.futures import Executor, ProcessPoolExecutor

from hollow.errors import HollowError


def local_executor(workers: int | None) -> tuple[Executor, int]:
    """(a process pool, its size): `workers`, default the CPUs this process may use."""
    n = workers or len(os.sched_getaffinity(0))
    if not 1 <= n <= 512:
        raise HollowError(f"--workers {n}: give between 1 and 512 workers")
    return ProcessPoolExecutor(max_workers=n), n
