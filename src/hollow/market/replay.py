"""Replay an order-message CSV through one book and write the fills and the rejects.

Parsing, matching and writing all happen in the C engine in one pass (the same engine as `Book`),
so a million-message file replays in well under a second. Rows that cannot be parsed are skipped,
counted and written to the rejects file with their line number; the rest still replay.

Neither output may be the input (by identity: a hard link or symlink of it counts), and both are
written under temporary names and renamed into place at the end: an error leaves nothing behind.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from hollow.errors import HollowError, PathError
from hollow.io.paths import atomic_files, file_id, input_file, output_file
from hollow.io.text import utf8_problem
from hollow.market import _engine

__all__ = ["ReplayResult", "rejects_path_for", "replay_file"]

HEAD_BYTES = 1 << 16  # how much of the input is checked for UTF-8 before the engine reads it


@dataclass(frozen=True, slots=True)
class ReplayResult:
    """Counts from one replay; `bad_row_messages` holds the first 20 malformed rows as 'line N: why'."""

    rows: int
    fills: int
    rejects: int
    bad_rows: int
    bad_row_messages: tuple[str, ...]
    fills_path: Path
    rejects_path: Path


def rejects_path_for(fills: Path) -> Path:
    """The rejects file sits next to the fills file: FILLS.csv -> FILLS.rejects.csv."""
    return fills.with_name(f"{fills.stem}.rejects.csv")


def _check_text(orders: Path) -> None:
    try:
        with open(orders, "rb") as f:
            head = f.read(HEAD_BYTES)
    except OSError as exc:
        raise PathError(orders, f"cannot be read: {exc.strerror or exc}") from None
    problem = utf8_problem(head, complete=len(head) < HEAD_BYTES)
    if problem:
        raise PathError(orders, problem)


def replay_file(orders: Path | str, fills: Path | str, band_ticks: int | None) -> ReplayResult:
    """Replays `orders` (header ts_ns,order_id,agent,action,side,type,price_ticks,qty_lots) into `fills`.

    `band_ticks` None or 0 turns the price band off. Raises HollowError (nothing written) for a
    missing, unreadable or non-UTF-8 input, a bad header, or an output that is unwritable or an input.
    """
    if band_ticks is not None and band_ticks < 0:
        raise HollowError(f"--band must be a positive number of ticks, got {band_ticks}")
    orders = input_file(orders)
    fills = output_file(fills, "--out", inputs=[orders])
    rejects = rejects_path_for(fills)
    try:
        output_file(rejects, "--out", inputs=[orders])
    except PathError as exc:
        raise PathError(fills, f"its rejects file {rejects} {exc.reason}", "--out") from None
    if file_id(rejects) is not None and file_id(rejects) == file_id(fills):
        raise PathError(fills, f"its rejects file {rejects} is the same file; pick another --out", "--out")
    _check_text(orders)
    try:
        with atomic_files([fills, rejects]) as temps:
            try:
                counts = _engine.replay_csv(os.fspath(orders), *map(os.fspath, temps), band_ticks or 0)
            except ValueError as exc:  # a bad header or empty file
                raise PathError(orders, str(exc)) from None
            except OSError as exc:
                where = dict(zip(map(os.fspath, temps), (fills, rejects))).get(exc.filename, orders)
                raise PathError(where, f"{exc.strerror or exc}; nothing was written") from None
    except OSError as exc:  # renaming into place
        raise PathError(fills, f"{exc.strerror or exc}; nothing was written") from None
    rows, n_fills, n_rejects, bad_rows, messages = counts
    return ReplayResult(rows, n_fills, n_rejects, bad_rows, tuple(messages), fills, rejects)
