"""The `hollow` command line: every user-facing error is one clear line and a non-zero exit code.

Every command checks its inputs and outputs before it starts (hollow.io), every run command checks
what its regime would cost (hollow.sessions.limits), and every run is written through a `RunFolder`,
so a folder under runs/ is either a whole run with its manifest or absent. Exit codes: docs/errors.md.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from typer._click.exceptions import UsageError  # typer bundles its own click

from hollow.errors import (
    EXIT_BAD_INPUT,
    EXIT_INTERRUPTED,
    EXIT_PROBLEMS,
    HollowError,
    ScenarioError,
)
from hollow.io.bounds import MAX_MAGNITUDE
from hollow.io.text import one_line

if TYPE_CHECKING:
    from hollow.io.run_folder import RunFolder

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

    return Console(stderr=stderr, soft_wrap=True, emoji=False)  # an error stays on one line, whatever the width


def out():
    return _console(False)


def err():
    return _console(True)


def say(console: Any, text: str) -> None:
    """Plain text, as it is: no markup, emoji codes or highlighting read into a path or a name."""
    console.print(text, markup=False, highlight=False)


@book_app.command("replay")
def book_replay(
    orders: Annotated[str, typer.Argument(metavar="ORDERS.csv", help="Order messages CSV: ts_ns,order_id,agent,action,side,type,price_ticks,qty_lots")],
    fills: Annotated[str, typer.Option("--out", help="Where to write the fills CSV (rejects go to <stem>.rejects.csv).")],
    band: Annotated[int | None, typer.Option("--band", min=1, max=MAX_MAGNITUDE, help="Price protection band in ticks (off unless given).")] = None,
) -> None:
    """Replay a message file through one book, deterministically, and write every fill."""
    from hollow.market.replay import replay_file

    result = replay_file(orders, fills, band)
    for message in result.bad_row_messages:
        say(err(), one_line(f"{orders}: {message}"))
    if result.bad_rows > len(result.bad_row_messages):
        say(err(), one_line(f"{orders}: ... {result.bad_rows - len(result.bad_row_messages)} more bad rows"))
    say(out(), one_line(
        f"{result.rows:,} rows, {result.fills:,} fills, {result.rejects:,} rejected orders, "
        f"{result.bad_rows:,} malformed rows -> {result.fills_path}"
    ))
    if result.bad_rows:
        raise typer.Exit(EXIT_PROBLEMS)


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


def _prepare_run(
    kind: str, regime_file: str, load: Callable[[Path], Any], seed: int | None, out_dir: str | None, force: bool
) -> tuple[Any, int, RunFolder]:
    """Everything checked before a run starts: the regime file, its fields, its cost, the seed and the
    output folder. Returns (regime, seed, RunFolder)."""
    import hashlib

    from hollow.io.paths import input_file, safe_name
    from hollow.io.run_folder import RunFolder
    from hollow.sessions.limits import check_runnable

    path = input_file(regime_file)
    regime = load(path)
    check_runnable(regime, path)
    seed = regime.seed if seed is None else seed
    if out_dir is None:
        try:
            out_dir = str(Path("runs") / f"{safe_name(regime.name)}-{seed}")
        except ValueError as exc:
            raise ScenarioError(str(path), "name", str(exc)) from None
    meta = {"command": kind, "regime": regime.name, "seed": seed, "hollow_version": _version(),
            "regime_sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    return regime, seed, RunFolder(out_dir, force=force, inputs=[path], meta=meta)


def _version() -> str:
    from hollow import __version__

    return __version__


RegimeArgument = Annotated[str, typer.Argument(metavar="REGIME.toml", help="A regime file (see scenarios/regimes/).")]
SeedOption = Annotated[int | None, typer.Option("--seed", min=0, max=MAX_MAGNITUDE, help="Seed; default: the regime's own.")]
OutDirOption = Annotated[str | None, typer.Option("--out", help="Output folder; default runs/<regime>-<seed>.")]
QuietOption = Annotated[bool, typer.Option("--quiet", help="No progress bar or summary; just the output folder.")]
ForceOption = Annotated[bool, typer.Option("--force", help="Replace the output folder if it holds an earlier run.")]


@app.command("session")
def session(
    regime_file: RegimeArgument,
    seed: SeedOption = None,
    out_dir: OutDirOption = None,
    quiet: QuietOption = False,
    force: ForceOption = False,
) -> None:
    """Run one market session: the house quoting on a stale view, faster firms picking it off."""
    from hollow.sessions.regime import load_regime
    from hollow.sessions.runner import run_session

    regime, seed, folder = _prepare_run("session", regime_file, load_regime, seed, out_dir, force)
    result = _run_with_progress(quiet, f"session {regime.name}", partial(run_session, regime, seed))
    folder.write(result.write)
    s = result.summary
    if not quiet:
        from rich.table import Table

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
    say(out(), one_line(f"wrote {folder.target}"))


@app.command("cascade")
def cascade(
    regime_file: RegimeArgument,
    seed: SeedOption = None,
    out_dir: OutDirOption = None,
    quiet: QuietOption = False,
    force: ForceOption = False,
) -> None:
    """Run a liquidation cascade: leveraged longs, a crash, and the exchange's loss waterfall."""
    from hollow.sessions.regime import load_cascade
    from hollow.sessions.runner import run_session

    regime, seed, folder = _prepare_run("cascade", regime_file, load_cascade, seed, out_dir, force)
    result = _run_with_progress(quiet, f"cascade {regime.name}", partial(run_session, regime, seed))
    folder.write(result.write)
    s = result.summary
    if not quiet:
        out().print(
            f"[bold]{regime.name}[/] seed {seed}: {s['events']:,} events, {s['accounts_liquidated']:,} of {s['accounts']:,} accounts liquidated, "
            f"{s['adl_events']:,} ADL events, {s['exempt_accounts_skipped']} exempt skipped"
        )
        out().print(
            f"house backstop PnL {_usd(s['house_result_minor']['liquidation'])}; insurance fund used {_usd(s['insurance_fund_used_minor'])} "
            f"(paid in {_usd(s['insurance_fund_paid_in_minor'])}); socialized {_usd(s['socialized_loss_minor'])}; ledger check passed"
        )
    say(out(), one_line(f"wrote {folder.target}"))


from hollow.world.commands import register as _register_world  # noqa: E402  run, scenarios, compare, query

_register_world(app)

from hollow.analysis.commands import register as _register_analysis  # noqa: E402  audit, verify, report

_register_analysis(app)

from hollow.sweep.commands import register as _register_sweep  # sweep, sensitivity

_register_sweep(app)


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM unwinds like Ctrl-C, so a killed run still removes its temporary folder."""
    import signal  # here, not at the top: `hollow book replay` is start-up bound

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _fail(message: str, code: int) -> None:
    say(err(), f"error: {one_line(message)}")
    sys.exit(code)


def main(argv: list[str] | None = None) -> None:
    """Entry point: runs the app and turns user errors into one line on stderr."""
    try:
        with _terminate_as_interrupt():
            code = app(args=argv, prog_name="hollow", standalone_mode=False)
    except HollowError as exc:
        _fail(str(exc), exc.exit_code)
    except UsageError as exc:
        hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
        _fail(f"{exc.format_message()}{hint}", EXIT_BAD_INPUT)
    except (typer.Abort, KeyboardInterrupt):
        code = EXIT_INTERRUPTED
    if code == EXIT_INTERRUPTED:  # typer turns Ctrl-C into this exit code
        _fail("interrupted; nothing was written", EXIT_INTERRUPTED)
    sys.exit(code if isinstance(code, int) else 0)
