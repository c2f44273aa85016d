"""The `hollow` command line: every user-facing error is one clear line and a non-zero exit code."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import click
import typer
from rich.console import Console

from hollow.errors import HollowError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="hollow: where did the money go when an exchange was hollowed out by its own market maker?",
)
book_app = typer.Typer(no_args_is_help=True, help="Order-book tools.")
app.add_typer(book_app, name="book")

out = Console()
err = Console(stderr=True)


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
        err.print(f"{orders}: {message}", markup=False, highlight=False)
    if result.bad_rows > len(result.bad_row_messages):
        err.print(f"{orders}: ... {result.bad_rows - len(result.bad_row_messages)} more bad rows", markup=False)
    out.print(
        f"{result.rows:,} rows, {result.fills:,} fills, {result.rejects:,} rejected orders, "
        f"{result.bad_rows:,} malformed rows -> {fills}",
        markup=False,
        highlight=False,
    )
    if result.bad_rows:
        raise typer.Exit(1)


def main(argv: list[str] | None = None) -> None:
    """Entry point: runs the app and turns user errors into one line on stderr."""
    try:
        app(args=argv, standalone_mode=False)
    except HollowError as exc:
        err.print(f"error: {exc}", markup=False, highlight=False)
        sys.exit(exc.exit_code)
    except click.UsageError as exc:
        hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
        err.print(f"error: {exc.format_message()}{hint}", markup=False, highlight=False)
        sys.exit(2)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.Abort:
        err.print("aborted", markup=False)
        sys.exit(1)
