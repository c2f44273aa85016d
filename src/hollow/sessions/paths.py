"""The session's fair-price path: the regime's jump-diffusion, an optional crash, and an optional anchor
that pins the path's end, so a session stands for a real day's move (see `day.py`)."""

from __future__ import annotations

import math

import numpy as np

from hollow.config import to_ppm
from hollow.market.kernel import stream
from hollow.market.reference import PricePath, jump_diffusion
from hollow.money import PPM
from hollow.sessions.regime import Regime

NS = 1_000_000_000


def crash_path(path: PricePath, start_ns: int, over_ns: int, drop_ppm: int) -> PricePath:
    """Multiply a path by (1 - drop) ** progress, progress going 0 -> 1 over the crash window."""
    progress = np.clip((path.times_ns - start_ns) / over_ns, 0.0, 1.0)
    factor = (1.0 - drop_ppm / PPM) ** progress
    return PricePath(path.times_ns, np.maximum(1, np.rint(path.price_ticks * factor)).astype(np.int64))


def pin_end(path: PricePath, end_ticks: int) -> PricePath:
    """Tilt the path log-linearly in time so that its last price is `end_ticks` (a Brownian bridge of
    the same shocks): the session keeps its intraday noise and ends where the day says."""
    last_t = int(path.times_ns[-1])
    if last_t == 0:
        return PricePath(path.times_ns, np.array([end_ticks], dtype=np.int64))
    tilt = math.log(end_ticks) - math.log(int(path.price_ticks[-1]))
    factor = np.exp(tilt * path.times_ns / last_t)
    prices = np.maximum(1, np.rint(path.price_ticks * factor)).astype(np.int64)
    prices[-1] = end_ticks
    return PricePath(path.times_ns, prices)


def reference_path(regime: Regime, seed: int, *, start_ticks: int | None = None, end_ticks: int | None = None) -> PricePath:
    """The path the reference venue publishes: diffusion and jumps from the regime, then its crash, then
    the anchor (start at `start_ticks`, end at `end_ticks`) when one is given."""
    ref = regime.reference
    start = regime.instrument.start_ticks() if start_ticks is None else start_ticks
    path = jump_diffusion(
        stream(seed, "reference-path"), start_ticks=start, duration_ns=int(regime.duration_s * NS),
        annual_volatility=ref.annual_volatility, update_interval_ns=int(ref.update_interval_ms * 1e6),
        jumps_per_day=ref.jumps_per_day, jump_std=ref.jump_std, drift_per_year=ref.drift_per_year,
    )
    if ref.crash is not None:
        c = ref.crash
        path = crash_path(path, int(c.start_s * NS), int(c.over_s * NS), to_ppm(c.drop_pct / 100, "drop_pct"))
    if end_ticks is not None:
        path = pin_end(path, end_ticks)
    return path
