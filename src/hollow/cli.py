"""The `hollow` command line: every user-facing error is one clear line and a non-zero exit code."""

from __future__ import annotations

import sys
from functools import cache, partial
from pathlib import Path
from typing import Annotated, Callable, Optional, TypeVar

import typer
from typer._click.exceptions import UsageError  # typer bundles its own click

from hollow.errors import HollowError

T = TypeVar("T")

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="hollow: where did the money go when an exchange was hollowed out by its own market maker?",
)
book_app = typer.Typer(no_args_is_help=True, help="Order-book tools.")
app.add_typer(book_app, name="book")



@cache
def _console(stderr: bool):
    """rich is imported on first use: `hollow book replay` is start-up bound on large files."""
    from rich.console import Console

    return Console(stderr=stderr, soft_wrap=True)  # an error stays on one line, whatever the width


def out():
    return _console(False)


def err():
    return _console(True)


@book_app.command("replay")
def book_replay(
    orders: Annotated[Path, typer.Argument(help="Order messages CSV: ts_ns,order_id,agent,action,side,type,price_ticks,qty_lots")],
    fills: Annotated[Path, typer.Option("--out", help="Where to write the fills CSV (rejects go to <stem>.rejects.csv).")],
    band: Annotated[Optional[int], typer.Option("--band", min=1, help="Price protection band in ticks (off unless given).")] = None,
) -> None:
    """Replay a message file through one book, deterministically, and write every fill."""
    from hollow.market.replay import replay_file

    result = replay_file(orders, fills, band)
    for message in result.bad_row_messages:
        err().print(f"{orders}: {message}", markup=False, highlight=False)
    if result.bad_rows > len(result.bad_row_messages):
        err().print(f"{orders}: ... {result.bad_rows - len(result.bad_row_messages)} more bad rows", markup=False)
    out().print(
        f"{result.rows:,} rows, {result.fills:,} fills, {result.rejects:,} rejected orders, "
        f"{result.bad_rows:,} malformed rows -> {fills}",
        markup=False,
        highlight=False,
    )
    if result.bad_rows:
        raise typer.Exit(1)


def _usd(amount_minor: int) -> str:
    from hollow.money import USD

    return f"${USD.to_decimal(amount_minor):,.2f}"


def _run_with_progress(quiet: bool, label: str, run: Callable[..., T]) -> T:
    """Call `run(progress=...)` under a rich progress bar over simulated time (none with --quiet)."""
    if quiet:
        return run(progress=None)
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn(label), BarColumn(), TextColumn("{task.percentage:>3.0f}% of simulated time"), TimeElapsedColumn())
    with Progress(*columns, console=err(), transient=True) as bar:
        task = bar.add_task("run", total=1.0)
        return run(progress=lambda done, total: bar.update(task, completed=done / total))


def _target(out_dir: Path | None, name: str, seed: int) -> Path:
    return out_dir or Path("runs") / f"{name}-{seed}"


SeedOption = Annotated[Optional[int], typer.Option("--seed", help="Seed; default: the regime's own.")]
OutDirOption = Annotated[Optional[Path], typer.Option("--out", help="Output folder; default runs/<regime>-<seed>.")]
QuietOption = Annotated[bool, typer.Option("--quiet", help="No progress bar or summary; just the output folder.")]


@app.command("session")
def session(
    regime_file: Annotated[Path, typer.Argument(metavar="REGIME.toml", help="A market regime file (see scenarios/regimes/).")],
    seed: SeedOption = None,
    out_dir: OutDirOption = None,
    quiet: QuietOption = False,
) -> None:
    """Run one market session: the house quoting on a stale view, faster firms picking it off."""
    from rich.table import Table

    from hollow.sessions.regime import load_regime
    from hollow.sessions.session import run_session

    regime = load_regime(regime_file)
    seed = regime.seed if seed is None else seed
    target = _target(out_dir, regime.name, seed)
    result = _run_with_progress(quiet, f"session {regime.name}", partial(run_session, regime, seed))
    result.write(target)
    s = result.summary
    if not quiet:
        out().print(
            f"[bold]{regime.name}[/] seed {seed}: {s['events']:,} events, {s['fills']:,} fills, volume {_usd(s['volume_minor'])}"
        )
        out().print(
            f"house PnL {_usd(s['house_pnl_minor'])} on {_usd(s['house_volume_minor'])} traded "
            f"= [bold]{s['house_pnl_per_million_usd']:+,.2f} USD per $1M[/]; exchange fees {_usd(s['fees_collected_minor'])}"
        )
        table = Table("class", "PnL (USD)", title="who gained")
        for cls, pnl in sorted(s["pnl_by_class_minor"].items(), key=lambda kv: -kv[1]):
            table.add_row(cls, _usd(pnl))
        table.add_row("exchange (fees)", _usd(s["fees_collected_minor"]))
        out().print(table)
    out().print(f"wrote {target}", markup=False, highlight=False)


@app.command("cascade")
def cascade(
    regime_file: Annotated[Path, typer.Argument(metavar="REGIME.toml", help="A cascade regime file (see scenarios/regimes/luna_crash.toml).")],
    seed: SeedOption = None,
    out_dir: OutDirOption = None,
    quiet: QuietOption = False,
) -> None:
    """Run a liquidation cascade: leveraged longs, a crash, and the exchange's loss waterfall."""
    from hollow.sessions.cascade import load_cascade, run_cascade

    regime = load_cascade(regime_file)
    seed = regime.seed if seed is None else seed
    target = _target(out_dir, regime.name, seed)
    result = _run_with_progress(quiet, f"cascade {regime.name}", partial(run_cascade, regime, seed))
    result.write(target)
    s = result.summary
    if not quiet:
        out().print(
            f"[bold]{regime.name}[/] seed {seed}: {s['events']:,} events, {s['accounts_liquidated']:,} of {s['accounts']:,} accounts liquidated, "
            f"{s['adl_events']:,} ADL events, {s['exempt_accounts_skipped']} exempt skipped"
        )
        out().print(
            f"house backstop PnL {_usd(s['house_backstop_pnl_minor'])}; insurance fund used {_usd(s['insurance_fund_used_minor'])} "
            f"(paid in {_usd(s['insurance_fund_paid_in_minor'])}); socialized {_usd(s['socialized_loss_minor'])}; ledger check passed"
        )
    out().print(f"wrote {target}", markup=False, highlight=False)


def main(argv: list[str] | None = None) -> None:
    """Entry point: runs the app and turns user errors into one line on stderr."""
    try:
        code = app(args=argv, standalone_mode=False)
    except HollowError as exc:
        err().print(f"error: {exc}", markup=False, highlight=False)
        sys.exit(exc.exit_code)
    except UsageError as exc:
        hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
        err().print(f"error: {exc.format_message()}{hint}", markup=False, highlight=False)
        sys.exit(2)
    except typer.Abort:
        err().print("aborted", markup=False)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)
