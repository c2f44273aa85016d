"""Mid-tier trading firms: a noisy forecast of where the reference will be a few seconds out.

Their signal is slower and noisier than an arbitrageur's feed; against a sharp quoter they would
lose, but against quotes that are a second or two stale they win: "firms that struggled everywhere
else but found FTX highly profitable". They hold inventory within limits and do not hedge.
"""

from __future__ import annotations

from hollow.agents.taker import StaleQuoteTaker
from hollow.market.messages import Signal
from hollow.market.regime import TradingFirmConfig


class TradingFirm(StaleQuoteTaker):
    cls = "trading_firm"

    def __init__(self, name: str, venue: str, instrument: int, config: TradingFirmConfig, *, taker_fee_ppm: int) -> None:
        super().__init__(
            name, venue, instrument,
            edge_ppm=taker_fee_ppm + int(config.threshold_bps * 100),
            clip_lots=config.clip_lots, max_position_lots=config.max_position_lots,
        )
        self.handle(Signal, lambda m: self.set_fair(m.forecast_ticks))
