"""The real daily prices and the public record, read from package data (no network, no outside path).

Prices are parsed as Decimal and turned into integer USD minor units per whole coin only here, at the
edge; realised volatility (a model input, not money) is a float computed from the log closes.
Files and provenance: `hollow/data/README.md` and `hollow/data/prices/README.md`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from functools import cache
from importlib import resources

import numpy as np

from hollow.money import USD

PRICE_ASSETS = ("BTC", "ETH", "SOL", "FTT", "LUNA")
DAYS_PER_YEAR = 365  # crypto trades every calendar day


def _read(name: str) -> str:
    return resources.files("hollow").joinpath("data", name).read_text(encoding="utf-8")


@dataclass(frozen=True, eq=False)
class Series:
    """One asset's daily closes (USD per coin) and volumes (USD), one row per calendar day."""

    code: str
    first: dt.date
    closes: tuple[Decimal, ...]
    volumes: tuple[int, ...]
    log_closes: np.ndarray  # float, for returns and volatility only

    @property
    def last(self) -> dt.date:
        return self.first + dt.timedelta(days=len(self.closes) - 1)

    def index(self, day: dt.date) -> int | None:
        i = (day - self.first).days
        return i if 0 <= i < len(self.closes) else None


@cache
def series(code: str) -> Series:
    """The shipped daily series of `code` (one of PRICE_ASSETS); gaps would be a data error."""
    if code not in PRICE_ASSETS:
        raise ValueError(f"no price data for {code!r}; shipped: {', '.join(PRICE_ASSETS)}")
    rows = list(csv.DictReader(io.StringIO(_read(f"prices/{code}.csv"))))
    first = dt.date.fromisoformat(rows[0]["date"])
    for i, row in enumerate(rows):
        if dt.date.fromisoformat(row["date"]) != first + dt.timedelta(days=i):
            raise ValueError(f"prices/{code}.csv: row {i + 2} breaks the one-row-per-day sequence")
    closes = tuple(Decimal(r["close"]) for r in rows)
    logs = np.log(np.array([float(c) for c in closes]))
    return Series(code, first, closes, tuple(int(r["volume"]) for r in rows), logs)


def price_range(code: str) -> tuple[dt.date, dt.date]:
    s = series(code)
    return s.first, s.last


def close(code: str, day: dt.date) -> Decimal | None:
    """The close of `day` in USD per coin, None outside the data (before listing)."""
    s = series(code)
    i = s.index(day)
    return None if i is None else s.closes[i]


def close_minor(code: str, day: dt.date) -> int | None:
    """The close as integer USD minor units per whole coin (rounded half to even), or None."""
    price = close(code, day)
    if price is None:
        return None
    return int((price * USD.scale).to_integral_value(ROUND_HALF_EVEN))


def open_price(code: str, day: dt.date) -> Decimal | None:
    """A day's open: the previous day's close (the data has closes only); the close on the first day."""
    s = series(code)
    i = s.index(day)
    if i is None:
        return None
    return s.closes[max(0, i - 1)]


def volume_usd(code: str, day: dt.date) -> int | None:
    s = series(code)
    i = s.index(day)
    return None if i is None else s.volumes[i]


def log_return(code: str, day: dt.date) -> float:
    """ln(close / previous close); 0 on the first day of the data or outside it."""
    s = series(code)
    i = s.index(day)
    if not i:
        return 0.0
    lc = s.log_closes
    return float(lc[i] - lc[i - 1])


def realised_vol(code: str, day: dt.date, window_days: int) -> float:
    """Annualised standard deviation of the daily log returns over the `window_days` ending on `day`
    (fewer right after listing; 0 when there is less than two returns)."""
    s = series(code)
    i = s.index(day)
    if i is None or i < 2:
        return 0.0
    returns = np.diff(s.log_closes[max(0, i - window_days) : i + 1])
    return float(np.std(returns, ddof=1) * math.sqrt(DAYS_PER_YEAR)) if len(returns) >= 2 else 0.0


@cache
def calibration_targets() -> dict[str, dict[str, str]]:
    """The public record (`calibration_targets.csv`) by row id."""
    rows = csv.DictReader(io.StringIO(_read("calibration_targets.csv")))
    return {row["id"]: row for row in rows}
