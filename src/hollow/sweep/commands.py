"""`hollow sweep` and `hollow sensitivity`; `register(app)` adds them to the CLI.

Everything is checked before the first run and before anything is written: the scenario and every
`--set`, the seeds, every grid point (as a `--set`), the ranges, the output folder (another
scenario's sweep folder is refused) and the scheduler (it must answer within 10 s).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import Executor
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from hollow.errors import EXIT_INTERRUPTED, HollowError
from hollow.sweep.plan import Job

WorkersOption = Annotated[int | None, typer.Option("--workers", min=1, max=512, help="Local worker processes; default: the CPUs available.")]
SchedulerOption = Annotated[str | None, typer.Option("--scheduler", help="A Dask scheduler address, tcp://HOST:PORT.")]
DaskLocalOption = Annotated[int | None, typer.Option("--dask-local", min=1, max=512, help="Start a Dask LocalCluster of N workers on loopback.")]
CacheOption = Annotated[str | None, typer.Option("--cache", help="Session cache folder shared by the workers; default as for 'hollow run'.")]
QuietOption = Annotated[bool, typer.Option("--quiet", help="No progress bar or table.")]


@contextmanager
def executor_for(workers: int | None, scheduler: str | None, dask_local: int | None) -> Iterator[tuple[Executor, int]]:
    """(executor, its number of workers): Dask when asked, else the local process pool."""
    if scheduler is not None and dask_local is not None:
        raise HollowError("--scheduler and --dask-local: give one of them")
    if scheduler is None and dask_local is None:
        from hollow.sweep.local import local_executor

        pool, n = local_executor(workers)
        with pool:
            yield pool, n
        return
    from hollow.sweep.dask import dask_executor

    with dask_executor(scheduler, dask_local) as found:
        yield found


class SweepInterrupted(HollowError):
    """Ctrl-C during a sweep: the finished rows stay (the same command resumes), so not 'nothing written'."""

    exit_code = EXIT_INTERRUPTED


def execute(ref: str, jobs: Sequence[Job], store: Any, ex: Executor, width: int, cache_dir: str, label: str, quiet: bool) -> int:
    """Run the jobs not yet in `store` under a rich progress bar with an ETA."""
    try:
        return _execute(ref, jobs, store, ex, width, cache_dir, label, quiet)
    except KeyboardInterrupt:
        done = len(store.done() & {j.key for j in jobs})
        raise SweepInterrupted(f"interrupted: {done} of {len(jobs)} runs are written in {store.folder}; "
                               "run the same command again to resume") from None


def _execute(ref: str, jobs: Sequence[Job], store: Any, ex: Executor, width: int, cache_dir: str, label: str, quiet: bool) -> int:
    from hollow.sweep.runner import run_jobs

    if quiet:
        return run_jobs(ref, jobs, store, ex, cache_dir, in_flight=2 * width)
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from hollow.cli import err

    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TextColumn("runs"), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn())
    with Progress(*columns, console=err(), transient=True) as bar:
        task = bar.add_task("runs", total=len(jobs) - len(store.done() & {j.key for j in jobs}))
        return run_jobs(ref, jobs, store, ex, cache_dir, in_flight=2 * width, progress=lambda done, total: bar.update(task, completed=done))


def _ref(loaded: Any) -> str:
    return loaded.source.removeprefix("builtin:")


def sweep(
    scenario: Annotated[str, typer.Argument(metavar="SCENARIO", help="A built-in scenario or a scenario TOML file.")],
    seeds: Annotated[str | None, typer.Option("--seeds", help="Seeds: 1-20, 1,3,5 or 4; default: the scenario's own.")] = None,
    grid: Annotated[list[str] | None, typer.Option("--grid", help="FIELD=V1,V2,... (repeatable; grids multiply).")] = None,
    sample: Annotated[int | None, typer.Option("--sample", min=1, max=100_000, help="Draw N points from the scenario's [ranges].")] = None,
    design: Annotated[str, typer.Option("--design", help="For --sample: lhs (Latin hypercube, N points) or morris (N trajectories).")] = "lhs",
    sample_seed: Annotated[int, typer.Option("--sample-seed", min=0, max=2**63 - 1, help="Seed of the sample's draw.")] = 0,
    sets: Annotated[list[str] | None, typer.Option("--set", help="Override a field in every run (as 'hollow run --set').")] = None,
    out_dir: Annotated[str | None, typer.Option("--out", help="Sweep folder; default runs/sweep-<scenario>. An existing one resumes.")] = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    dask_local: DaskLocalOption = None,
    cache_dir: CacheOption = None,
    quiet: QuietOption = False,
) -> None:
    """Run the world over seeds x grid points (x sampled assumptions): one Parquet row per run, resumable."""
    from hollow.cli import out, say
    from hollow.errors import ScenarioError
    from hollow.sweep import plan, sampling
    from hollow.sweep.stats import summarise
    from hollow.sweep.store import SUMMARY, SweepStore
    from hollow.world.commands import default_cache
    from hollow.world.load import load_scenario

    loaded = load_scenario(scenario, sets or [])
    seed_list = plan.parse_seeds(seeds) if seeds is not None else [loaded.scenario.seed]
    points = plan.parse_grid(grid or [])
    drawn: list[tuple[str, ...]] = [()]
    if sample is not None:
        if design not in ("lhs", "morris"):
            raise ScenarioError("--design", design, "expected lhs or morris")
        ranges = plan.check_ranges(loaded)
        clash = {p.partition("=")[0] for p in points[0]} & set(ranges)
        if clash:
            raise ScenarioError("--grid", min(clash), "is also a sampled assumption ([ranges]); grid it or sample it, not both")
        drawn = sampling.latin_hypercube(ranges, sample, sample_seed) if design == "lhs" else sampling.morris(ranges, sample, sample_seed)
    jobs = plan.build_jobs(_ref(loaded), sets or [], [g + d for g in points for d in drawn], seed_list)
    s = loaded.scenario
    identity = {"scenario": s.name, "sha256": loaded.sha256, "sets": list(sets or [])}
    store = SweepStore(out_dir or str(Path("runs") / f"sweep-{s.name}"), identity, loaded.source)
    cache = str(cache_dir or default_cache())
    with executor_for(workers, scheduler, dask_local) as (ex, width):
        ran = execute(_ref(loaded), jobs, store, ex, width, cache, f"sweep {s.name}", quiet)
    if sample is not None:
        store.write_json("design.json", {"design": design, "n": sample, "seed": sample_seed, "levels": 4, "ranges": plan.check_ranges(loaded),
                                         "points": [list(d) for d in drawn], "seeds": seed_list})
    keys = {j.key for j in jobs}
    summary = {"scenario": s.name, "sets": list(sets or []), "seeds": seed_list, **summarise(r for r in store.rows() if r["key"] in keys)}
    store.write_json(SUMMARY, summary)
    if not quiet:
        bands_table(summary)
    say(out(), f"{len(jobs)} runs ({ran} run now, {len(jobs) - ran} already done) -> {store.folder}; "
               f"one run: hollow run {scenario} --seed {seed_list[0]}" + "".join(f" --set {x}" for x in sets or []))


def bands_table(summary: dict[str, Any]) -> None:
    """The headline bands: mean, median and the 90% band."""
    from rich.table import Table

    from hollow.cli import out
    from hollow.world.commands import _usd

    h = summary["headlines"]
    table = Table("headline", "mean", "median", "p5", "p95", title=f"{summary['scenario']}: {summary['runs']} runs, 90% band")
    for name in ("collapse_date", "insolvent_date"):
        b = h[name]
        table.add_row(f"{name} ({b['none']} never)", *(str(b.get(k, "-")) for k in ("mean", "median", "p5", "p95")))
    for name in sorted(h):
        if name.endswith("_minor"):
            table.add_row(name.removesuffix("_minor"), *(_usd(h[name].get(k)) for k in ("mean", "median", "p5", "p95")))
    out().print(table)


def sensitivity(
    sweep_dir: Annotated[str, typer.Argument(metavar="SWEEP_DIR", help="A sweep folder (ideally of a --sample sweep).")],
    tornado_seeds: Annotated[int, typer.Option("--tornado-seeds", min=1, max=1000, help="Seeds the tornado's runs average over (the sweep's first K).")] = 3,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    dask_local: DaskLocalOption = None,
    cache_dir: CacheOption = None,
    quiet: QuietOption = False,
) -> None:
    """Rank the assumptions by how much they move the hole: a tornado (one at a time) and Morris or rank indices."""
    import json

    from hollow.cli import out, say
    from hollow.sweep import plan, sampling
    from hollow.sweep import sensitivity as sens
    from hollow.sweep.store import SweepStore, open_existing
    from hollow.world.commands import _usd, default_cache
    from hollow.world.load import load_scenario

    meta = open_existing(sweep_dir)
    identity = meta["identity"]
    loaded = load_scenario(meta["source"].removeprefix("builtin:"), identity["sets"])
    if loaded.sha256 != identity["sha256"]:
        raise HollowError(f"{sweep_dir}: the scenario {meta['source']} changed since this sweep was run")
    ranges = plan.check_ranges(loaded)
    store = SweepStore(sweep_dir, identity, meta["source"], flag="SWEEP_DIR")
    design_path = Path(sweep_dir) / "design.json"
    design = json.loads(design_path.read_text()) if design_path.exists() else None
    seeds = design["seeds"] if design else sorted({r["seed"] for r in store.rows()}) or [loaded.scenario.seed]
    ends = sampling.one_at_a_time(ranges)
    jobs = plan.build_jobs(_ref(loaded), identity["sets"], [(), *(p for _, _, p in ends)], seeds[:tornado_seeds])
    with executor_for(workers, scheduler, dask_local) as (ex, width):
        execute(_ref(loaded), jobs, store, ex, width, str(cache_dir or default_cache()), "tornado", quiet)
    keys = {j.key for j in jobs}
    means = sens.mean_by_point(r for r in store.rows() if r["key"] in keys)
    bars = sens.tornado(means[()], ends, means)
    result: dict[str, Any] = {"target": sens.TARGET, "tornado_seeds": seeds[:tornado_seeds], "tornado": bars}
    if design:
        points = [tuple(p) for p in design["points"]]
        sampled = sens.mean_by_point(r for r in store.rows() if tuple(json.loads(r["point"])) in set(points))
        fields = sorted(ranges)
        if design["design"] == "morris" and all(p in sampled for p in points):
            result["morris"] = sens.morris_indices(fields, points, sampled, design["levels"], design["seed"])
        else:
            result["spearman"] = sens.rank_correlations(fields, sampled)
    store.write_json("sensitivity.json", result)
    sens.tornado_chart(bars, f"{identity['scenario']}: what moves the hole at collapse", Path(sweep_dir) / "tornado.html")
    for i, b in enumerate(bars, 1):
        say(out(), f"{i}. {b['field']}: {_usd(b['low_minor'])} at {b['low_value']:g} .. {_usd(b['high_minor'])} at {b['high_value']:g} "
                   f"(swing {_usd(b['swing_minor'])})")
    for name in ("morris", "spearman"):
        for r in result.get(name, []):
            say(out(), f"{name}: {r['field']}: " + ", ".join(f"{k} {v:,.4g}" for k, v in r.items() if k != "field"))
    say(out(), f"wrote {Path(sweep_dir) / 'sensitivity.json'} and {Path(sweep_dir) / 'tornado.html'}")


def register(app: typer.Typer) -> None:
    """Add the sweep commands to the CLI."""
    app.command("sweep")(sweep)
    app.command("sensitivity")(sensitivity)


def run_seeds(scenario: str, seeds: str, seed: int | None, sets: list[str] | None, out_dir: str | None, cache_dir: str | None, quiet: bool) -> None:
    """`hollow run SCENARIO --seeds 1-10`: the same as `hollow sweep SCENARIO --seeds 1-10`."""
    if seed is not None:
        from hollow.errors import ScenarioError

        raise ScenarioError("--seeds", seeds, "give --seed or --seeds, not both")
    sweep(scenario, seeds=seeds, sets=sets, out_dir=out_dir, cache_dir=cache_dir, quiet=quiet)
