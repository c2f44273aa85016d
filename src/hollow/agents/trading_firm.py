"""Mid-tier trading firms: a noisy forecast of where the reference will be a few seconds out.

Their signal is slower and noisier than an arbitrageur's feed; against a sharp quoter they would
lose, but against quotes that are a second or two stale they win: "firms that struggled everywhere
else but found FTX highly profitable". They hold inventory within limits and do not hedge.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import Field

from hollow.agents.taker import StaleQuoteTaker
from hollow.config import (
    Count,
    Fraction,
    NonNegative,
    IntervalMs,
    LatencyUs,
    PositiveInt,
    Strict,
    UsdAmount,
)
from hollow.market.messages import Signal


class TradingFirmConfig(Strict):
    """Mid-tier firms: a noisy, slower forecast of the reference; they win only against stale quotes."""

    count: Count = 10
    order_entry_us: LatencyUs = 5_000.0
    signal_interval_ms: IntervalMs = 500.0
    horizon_ms: IntervalMs = 2_000.0
    skill: Fraction = 0.5
    noise_bps: NonNegative = 3.0
    threshold_bps: NonNegative = 2.0
    clip_lots: PositiveInt = 20
    max_position_lots: PositiveInt = 300
    trailing_volume_usd: UsdAmount = Decimal("1e7")
    heterogeneity: Annotated[float, Field(ge=0, le=3)] = 0.5


class TradingFirm(StaleQuoteTaker):
    cls = "trading_firm"

    def __init__(self, name: str, venue: str, instrument: int, config: TradingFirmConfig, *, taker_fee_ppm: int) -> None:
        super().__init__(
            name, venue, instrument,
            edge_ppm=taker_fee_ppm + int(config.threshold_bps * 100),
            clip_lots=config.clip_lots, max_position_lots=config.max_position_lots,
        )
        self.handle(Signal, self._on_signal)

    def _on_signal(self, m: Signal) -> None:
        self.set_fair(m.forecast_ticks)
