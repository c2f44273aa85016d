"""A sweep of the default run over seeds, warm cache: 1 local worker, 2 local workers, and a 2-worker
Dask LocalCluster on loopback (each pool's workers start and import before the clock starts). Prints
wall times, the speed-up of 2 workers over 1 (target >= 1.8x) and the Dask pool against the local pool
(target: within 15%).

The cache is warmed first (a cold pass over the same seeds, 2 workers, not timed): each seed has its
own sessions, so "warm" means every run of the timed passes finds its sessions on disk. Each timed
pass writes a fresh sweep folder; the rows of the three are checked to be the same bytes.

Usage: python benchmarks/bench_sweep.py [--scenario ftx] [--seeds 20]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from hollow.sweep.dask import dask_executor
from hollow.sweep.plan import build_jobs
from hollow.sweep.runner import run_jobs
from hollow.sweep.store import SweepStore


def _prime() -> None:
    """Import the world and hash the code in a worker, so the timed pass measures runs, not start-up."""
    from hollow.sessions.cache import code_version
    from hollow.world import timeline  # noqa: F401

    code_version()


def timed(scenario: str, jobs, folder: Path, cache: str, executor, in_flight: int = 4) -> float:
    for future in [executor.submit(_prime) for _ in range(4)]:
        future.result()
    start = time.perf_counter()
    run_jobs(scenario, jobs, SweepStore(folder, {"scenario": scenario}), executor, cache, in_flight=in_flight)
    return time.perf_counter() - start


@contextmanager
def _first(pair):
    """The executor of dask_executor's (executor, width)."""
    with pair as (executor, _):
        yield executor


def rows(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((folder / "rows").iterdir())}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scenario", default="ftx")
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--cache", help="A session cache folder to keep between invocations (default: a temporary one).")
    args = parser.parse_args()
    jobs = build_jobs(args.scenario, [], [()], list(range(1, args.seeds + 1)))
    with tempfile.TemporaryDirectory() as tmp:
        root, cache = Path(tmp), args.cache or str(Path(tmp) / "cache")
        with ProcessPoolExecutor(2) as ex:
            warm = timed(args.scenario, jobs, root / "warm", cache, ex)
        print(f"{args.scenario}, {args.seeds} seeds; warming the cache (cold, 2 workers): {warm:.1f} s")
        times = {}
        passes = (("local, 1 worker", lambda: ProcessPoolExecutor(1), 4), ("local, 2 workers", lambda: ProcessPoolExecutor(2), 4),
                  ("dask LocalCluster, 2 workers", lambda: _first(dask_executor(local_workers=2)), 2))
        for name, make, in_flight in passes:
            with make() as ex:
                times[name] = timed(args.scenario, jobs, root / name.replace(" ", "_").replace(",", ""), cache, ex, in_flight)
            print(f"{name:<30} {times[name]:7.1f} s  ({times[name] / args.seeds:.2f} s a run)")
        same = len({tuple(rows(root / n.replace(" ", "_").replace(",", "")).items()) for n in times}) == 1
    one, two, dask = times.values()
    print(f"speed-up, 2 local workers over 1: {one / two:.2f}x (target >= 1.8x)")
    print(f"dask / local pool: {dask / two:.2f} (target <= 1.15)")
    print(f"rows identical across the three: {same}")


if __name__ == "__main__":
    main()
