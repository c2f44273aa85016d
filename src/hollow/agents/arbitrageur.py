"""Latency arbitrageurs: they see the reference venue first and take any quote that is stale.

A quote is stale when it is through the reference price by more than the arbitrageur's taker fee,
its hedging cost and a threshold. After a fill it flattens on the reference venue (a trade with the
"market" counterparty that the ledger sees), or, without hedging, holds the inventory within limits.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import Field

from hollow.agents.taker import StaleQuoteTaker
from hollow.config import Count, LatencyUs, NonNegative, PositiveInt, Strict, UsdAmount
from hollow.market.book import Side
from hollow.market.messages import (
    Execution,
    HedgeFill,
    HedgeOrder,
    LiquidationExecution,
    ReferencePrice,
    Subscribe,
)


class ArbitrageurConfig(Strict):
    """Latency arbitrageurs: see the reference fast and take any house quote stale beyond fees."""

    count: Count = 5
    order_entry_us: LatencyUs = 2_000.0
    feed_us: LatencyUs = 200.0
    threshold_bps: NonNegative = 1.0
    clip_lots: PositiveInt = 50
    max_position_lots: PositiveInt = 500
    hedge: bool = True
    trailing_volume_usd: UsdAmount = Decimal("1e8")
    heterogeneity: Annotated[float, Field(ge=0, le=3)] = 0.5  # lognormal sigma of each one's latency and threshold


class Arbitrageur(StaleQuoteTaker):
    cls = "arbitrageur"

    def __init__(
        self, name: str, venue: str, reference: str, instrument: int, config: ArbitrageurConfig, *, taker_fee_ppm: int, hedge_cost_bps: float
    ) -> None:
        hedge_bps = hedge_cost_bps if config.hedge else 0.0
        super().__init__(
            name, venue, instrument,
            edge_ppm=taker_fee_ppm + int((config.threshold_bps + hedge_bps) * 100),
            clip_lots=config.clip_lots, max_position_lots=config.max_position_lots,
        )
        self.hedge = config.hedge
        self.reference_name = reference
        self.hedged_lots = 0  # position held on the reference venue
        self.handle(ReferencePrice, self._on_reference)
        self.handle(HedgeFill, self._on_hedge_fill)

    def start(self) -> None:
        super().start()
        self.reference = self.ctx.address_of(self.reference_name)
        self.ctx.send(self.reference, Subscribe(self.instrument))

    def exposure_lots(self) -> int:
        return self.position_lots + self.hedged_lots

    def settled_position_lots(self) -> int:
        return self.position_lots + self.hedged_lots

    def on_execution(self, m: Execution) -> None:
        if self.hedge:
            self.ctx.send(self.reference, HedgeOrder(self.instrument, 1 - m.side, m.qty_lots))
        super().on_execution(m)

    def _on_reference(self, m: ReferencePrice) -> None:
        self.set_fair(m.price_ticks)

    def on_liquidation(self, m: LiquidationExecution) -> None:
        """A takeover or ADL moved its perp position: re-hedge it so the hedge is never left naked."""
        if self.hedge:
            self.ctx.send(self.reference, HedgeOrder(self.instrument, 1 - m.side, m.qty_lots))

    def _on_hedge_fill(self, m: HedgeFill) -> None:
        self.hedged_lots += m.qty_lots if m.side == Side.BUY else -m.qty_lots
