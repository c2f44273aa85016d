"""The world's commands: `hollow run`, `hollow scenarios`, `hollow compare`, `hollow query`.

`register(app)` adds them to the typer app in `hollow.cli`. Everything a run needs is checked before
it starts (the scenario, every `--set`, the seed, the output folder), so bad input is one line, exit
2, and nothing written; the run itself is written through a `RunFolder` (whole or absent).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Annotated

import typer

from hollow.io.bounds import MAX_MAGNITUDE

CACHE_ENV = "HOLLOW_CACHE"


def default_cache() -> Path:
    """$HOLLOW_CACHE, else $XDG_CACHE_HOME/hollow/sessions, else ~/.cache/hollow/sessions."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "hollow" / "sessions"


def _usd(minor: int | None) -> str:
    if minor is None:
        return "-"
    sign = "-" if minor < 0 else ""
    return f"{sign}${abs(minor) / 1e15:,.2f}bn" if abs(minor) >= 10**14 else f"{sign}${abs(minor) / 1e12:,.1f}M"


def run(
    scenario: Annotated[str, typer.Argument(metavar="[SCENARIO]", help="A built-in scenario (see 'hollow scenarios') or a scenario TOML file.")] = "ftx",
    seed: Annotated[int | None, typer.Option("--seed", min=0, max=MAX_MAGNITUDE, help="Seed; default: the scenario's own.")] = None,
    out_dir: Annotated[str | None, typer.Option("--out", help="Output folder; default runs/<scenario>-<seed>.")] = None,
    sets: Annotated[list[str] | None, typer.Option("--set", help="Override a scenario field: --set house.fiat_routing=false (repeatable).")] = None,
    cache_dir: Annotated[str | None, typer.Option("--cache", help=f"Session cache folder; default ${CACHE_ENV} or ~/.cache/hollow/sessions.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar or headline; just the output folder.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace the output folder if it holds an earlier run.")] = False,
    seeds: Annotated[str | None, typer.Option("--seeds", help="Seeds 1-10: run each (a sweep) and print every headline as mean, median, 90% band.")] = None,
) -> None:
    """Run a world scenario day by day (default 'ftx': May 2019 to Dec 2022) and write the run."""
    if seeds is not None:  # a sweep of seeds: hollow.sweep.commands, rows and summary.json under --out
        from hollow.sweep.commands import run_seeds

        return run_seeds(scenario, seeds, seed, sets, out_dir, cache_dir, quiet)
    from hollow import __version__
    from hollow.cli import err, out, say
    from hollow.io.run_folder import RunFolder
    from hollow.io.text import one_line
    from hollow.report.html import write_into
    from hollow.sessions.cache import SessionCache
    from hollow.world import outputs
    from hollow.world.load import load_scenario
    from hollow.world.timeline import days, run_world

    loaded = load_scenario(scenario, sets or [])
    s = loaded.scenario if seed is None else loaded.scenario.model_copy(update={"seed": seed})
    target = out_dir or str(Path("runs") / f"{s.name}-{s.seed}")
    inputs = [] if loaded.source.startswith("builtin:") else [Path(loaded.source)]
    meta = {"command": "run", "scenario": s.name, "scenario_source": loaded.source, "scenario_sha256": loaded.sha256,
            "overrides": list(loaded.overrides), "seed": s.seed, "hollow_version": __version__}
    folder = RunFolder(target, force=force, inputs=inputs, meta=meta)
    cache = SessionCache(cache_dir or default_cache())
    started = time.perf_counter()
    if quiet:
        result = run_world(s, cache)
    else:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        columns = (TextColumn(f"{s.name} seed {s.seed}"), BarColumn(), MofNCompleteColumn(), TextColumn("days"), TimeElapsedColumn())
        with Progress(*columns, console=err(), transient=True) as bar:
            task = bar.add_task("days", total=len(days(s)))
            result = run_world(s, cache, progress=lambda done, total: bar.update(task, completed=done))
    folder.meta["timings"] = {"run_s": round(time.perf_counter() - started, 3), "sessions": len(result.market.sessions),
                              "sessions_run": result.cache_misses, "sessions_cached": result.cache_hits}
    folder.write(lambda path: (outputs.write(result, path), write_into(path, folder.meta)))  # tables, then the report
    if not quiet:
        headline(outputs.summary(result))
    say(out(), one_line(f"wrote {folder.target}"))


def headline(summary: dict) -> None:
    """The hole, the collapse date and the house's losses by bucket, as a table."""
    from rich.table import Table

    from hollow.cli import out

    collapse = summary["collapse_date"] or "none (the venue never halted)"
    out().print(f"[bold]{summary['scenario']}[/] seed {summary['seed']}: collapse {collapse}; "
                f"hole at collapse [bold]{_usd(summary['hole_at_collapse_minor'])}[/] "
                f"(fire-sale {_usd(summary['hole_at_fire_sale_at_collapse_minor'])}); "
                f"hole opened {summary['hole_opened_date'] or 'never'}, insolvent {summary['insolvent_date'] or 'never'}")
    table = Table("bucket", "house loss", title="where the house lost it")
    for bucket, amount in summary["house_losses_by_bucket_minor"].items():
        table.add_row(bucket, _usd(amount))
    out().print(table)


def scenarios() -> None:
    """List the built-in scenarios."""
    from hollow.cli import out, say
    from hollow.world.load import builtin_scenarios, load_scenario

    for name in builtin_scenarios():
        s = load_scenario(name).scenario
        say(out(), f"{name:<12} {s.start} .. {s.end}  {s.description}")


def compare(
    run_a: Annotated[str, typer.Argument(metavar="RUN_A", help="A run folder.")],
    run_b: Annotated[str, typer.Argument(metavar="RUN_B", help="Another run folder.")],
) -> None:
    """The differences that matter between two runs: the hole, the collapse date, the house's losses."""
    from rich.table import Table

    from hollow.cli import out
    from hollow.world.compare import differences

    rows = differences(run_a, run_b)
    table = Table("", "A", "B", "B - A", title=f"A = {run_a}, B = {run_b}")
    for name, a, b, d in rows:
        table.add_row(name, a, b, d)
    out().print(table)


def query(
    run_dir: Annotated[str, typer.Argument(metavar="RUN", help="A run folder.")],
    sql: Annotated[str, typer.Argument(metavar="SQL", help="A DuckDB query over the run's tables (daily, ledger, accounts, sessions, flows).")],
) -> None:
    """Run DuckDB over a run's tables and print the result as CSV."""
    from hollow.cli import out, say
    from hollow.world.compare import run_query

    for line in run_query(run_dir, sql):
        say(out(), line)


def register(app: typer.Typer) -> None:
    """Add the world's commands to the CLI."""
    for name, fn in (("run", run), ("scenarios", scenarios), ("compare", compare), ("query", query)):
        app.command(name)(fn)

