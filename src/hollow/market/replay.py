"""Replay an order-message CSV through one book and write the fills and the rejects.

Parsing, matching and writing all happen in the C engine in one pass (the same engine as `Book`),
so a million-message file replays in well under a second. Rows that cannot be parsed are skipped,
counted and written to the rejects file with their line number; the rest still replay.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from hollow.errors import HollowError
from hollow.market import _engine

__all__ = ["ReplayResult", "rejects_path_for", "replay_file"]


@dataclass(frozen=True, slots=True)
class ReplayResult:
    """Counts from one replay; `bad_row_messages` holds the first 20 malformed rows as 'line N: why'."""

    rows: int
    fills: int
    rejects: int
    bad_rows: int
    bad_row_messages: tuple[str, ...]
    rejects_path: Path


def rejects_path_for(fills: Path) -> Path:
    """The rejects file sits next to the fills file: FILLS.csv -> FILLS.rejects.csv."""
    return fills.with_name(f"{fills.stem}.rejects.csv")


def replay_file(orders: Path, fills: Path, band_ticks: int | None) -> ReplayResult:
    """Replays `orders` (header ts_ns,order_id,agent,action,side,type,price_ticks,qty_lots) into `fills`.

    `band_ticks` None or 0 turns the price band off. Raises HollowError for a missing or unreadable
    input, a bad header or an unwritable output.
    """
    orders, fills = Path(orders), Path(fills)
    if band_ticks is not None and band_ticks < 0:
        raise HollowError(f"--band must be a positive number of ticks, got {band_ticks}")
    if not orders.exists():
        raise HollowError(f"{orders}: no such file")
    if not orders.is_file():
        raise HollowError(f"{orders}: not a file")
    if not os.access(orders, os.R_OK):
        raise HollowError(f"{orders}: not readable (check its permissions)")
    if fills.resolve() == orders.resolve():
        raise HollowError(f"{fills}: the fills file would overwrite the orders file; pick another --out")
    rejects = rejects_path_for(fills)
    if fills.parent and not fills.parent.exists():
        raise HollowError(f"{fills.parent}: output folder does not exist")
    try:
        rows, n_fills, n_rejects, bad_rows, messages = _engine.replay_csv(
            os.fspath(orders), os.fspath(fills), os.fspath(rejects), band_ticks or 0
        )
    except ValueError as exc:  # a bad header or empty file
        raise HollowError(f"{orders}: {exc}") from None
    except OSError as exc:
        raise HollowError(f"{exc.filename or orders}: {exc.strerror or exc}") from None
    return ReplayResult(rows, n_fills, n_rejects, bad_rows, tuple(messages), rejects)
