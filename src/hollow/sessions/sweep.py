"""Small helpers for parameter sweeps over a regime: override fields, run one session, summarise seeds.

Used by `experiments/faucet.py` and its shape test. Money stays in integer minor units here; the
per-$1M ratios are floats computed once from exact integer sums, for display and comparison only.
"""

from __future__ import annotations

import math
import statistics
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Hashable, Iterable

from hollow.sessions.regime import Regime
from hollow.sessions.runner import run_session

RETAIL_CLASS = "retail"


def regime_with(base: Regime, **overrides: Any) -> Regime:
    """A copy of `base` with fields replaced; nested fields are spelled with `__`.

    `regime_with(base, duration_s=600, house__signal_staleness_ms=10, trading_firms__count=0)`.
    The result is validated again, so an unknown field or a bad value raises instead of being ignored.
    """
    data = base.model_dump()
    for key, value in overrides.items():
        *parents, leaf = key.split("__")
        node = data
        for part in parents:
            if part not in node or not isinstance(node[part], dict):
                raise KeyError(f"regime has no section {part!r} (in override {key!r})")
            node = node[part]
        if leaf not in node:
            raise KeyError(f"regime has no field {key.replace('__', '.')!r}")
        node[leaf] = value
    return Regime.model_validate(data)


def per_million(pnl_minor: int, volume_minor: int) -> float:
    """PnL in USD per $1M of volume (both in the same minor units); NaN when there was no volume."""
    return pnl_minor / volume_minor * 1_000_000 if volume_minor else math.nan


def session_row(regime: Regime, seed: int) -> dict[str, Any]:
    """Run one session and keep what a sweep needs: exact integer sums plus the derived ratios."""
    result = run_session(regime, seed)
    s = result.summary
    classes = result.pnl.column("class").to_pylist()
    volumes = result.pnl.column("volume_minor").to_pylist()
    retail_volume = sum(int(v) for c, v in zip(classes, volumes) if c == RETAIL_CLASS)
    house_pnl, house_volume = int(s["house_pnl_minor"]), int(s["house_volume_minor"])
    return {
        "seed": seed,
        "house_pnl_minor": house_pnl,
        "house_volume_minor": house_volume,
        "retail_volume_minor": retail_volume,
        "house_pnl_per_million_house_volume": per_million(house_pnl, house_volume),
        "house_pnl_per_million_retail_volume": per_million(house_pnl, retail_volume),
        "events": int(s["events"]),
        "fills": int(s["fills"]),
    }


def _job(args: tuple[Hashable, Regime, int]) -> tuple[Hashable, int, dict[str, Any]]:
    key, regime, seed = args
    return key, seed, session_row(regime, seed)


def run_grid(
    points: dict[Hashable, Regime], seeds: Iterable[int], max_workers: int = 1
) -> dict[tuple[Hashable, int], dict[str, Any]]:
    """Every (point, seed) session, keyed by (point key, seed); in parallel when `max_workers` > 1.

    Each session is deterministic in (regime, seed), so the result does not depend on the order in
    which workers finish. The returned dict is ordered as the points and seeds were given.
    """
    jobs = [(key, regime, seed) for key, regime in points.items() for seed in seeds]
    if max_workers <= 1:
        done = [_job(job) for job in jobs]
    else:
        with ProcessPoolExecutor(max_workers=max_workers) as pool:
            done = list(pool.map(_job, jobs))
    by_key = {(key, seed): row for key, seed, row in done}
    return {(key, seed): by_key[(key, seed)] for key, _, seed in jobs}


def spread(values: Iterable[float]) -> dict[str, float]:
    """Mean, sample standard deviation (n-1; 0 for one value), min and max."""
    xs = [float(v) for v in values]
    if not xs:
        return {"mean": math.nan, "sd": math.nan, "min": math.nan, "max": math.nan, "n": 0}
    return {
        "mean": statistics.fmean(xs),
        "sd": statistics.stdev(xs) if len(xs) > 1 else 0.0,
        "min": min(xs),
        "max": max(xs),
        "n": len(xs),
    }
