"""Bands over runs: n, mean, median and the 90% band (p5 / p50 / p95) of each headline.

Money stays exact: the mean is the integer sum divided and rounded half-even to a minor unit, the
percentiles are runs' own values (nearest rank), the median of an even count the rounded midpoint.
Dates are banded on their day numbers; runs where a date never came (no halt) are counted apart.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from fractions import Fraction
from typing import Any

PERCENTILES = (5, 50, 95)


def _round(x: Fraction) -> int:
    return round(x)  # Fraction rounds half to even, exactly


def percentile(ordered: Sequence[int], p: int) -> int:
    """Nearest-rank percentile of sorted values: the smallest value with at least p% at or below it."""
    rank = max(1, math.ceil(p * len(ordered) / 100))
    return ordered[rank - 1]


def band(values: Iterable[int]) -> dict[str, int]:
    """{n, mean, median, p5, p50, p95} of integers (empty input: n = 0 only)."""
    ordered = sorted(int(v) for v in values)
    n = len(ordered)
    if not n:
        return {"n": 0}
    mid = n // 2
    median = ordered[mid] if n % 2 else _round(Fraction(ordered[mid - 1] + ordered[mid], 2))
    out = {"n": n, "mean": _round(Fraction(sum(ordered), n)), "median": median}
    out.update({f"p{p}": percentile(ordered, p) for p in PERCENTILES})
    return out


def date_band(values: Iterable[dt.date | None]) -> dict[str, Any]:
    """The band of dates as ISO dates, and how many runs had none."""
    values = list(values)
    days = band(d.toordinal() for d in values if d is not None)
    out: dict[str, Any] = {k: (v if k == "n" else dt.date.fromordinal(v).isoformat()) for k, v in days.items()}
    out["none"] = sum(d is None for d in values)
    return out


def summarise(rows: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Bands of every headline column over all rows, and per point when there are several points."""
    columns: dict[str, list] = {}
    by_point: dict[str, dict[str, list]] = {}
    for row in rows:
        for name, value in row.items():
            if name in ("key", "point", "seed"):
                continue
            columns.setdefault(name, []).append(value)
            by_point.setdefault(row["point"], {}).setdefault(name, []).append(value)

    def bands(cols: dict[str, list]) -> dict[str, Any]:
        return {name: (date_band(v) if name.endswith("_date") else band(v)) for name, v in sorted(cols.items())}

    out: dict[str, Any] = {"runs": len(next(iter(columns.values()), [])), "headlines": bands(columns)}
    if len(by_point) > 1:
        out["points"] = {point: bands(cols) for point, cols in sorted(by_point.items())}
    return out
