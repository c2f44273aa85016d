"""The exchange's risk process: every interval it marks each perpetual's book against its index (the
reference price it subscribes to), samples the funding premium, pays funding and settles PnL when
due, and runs the liquidator."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from hollow.market.kernel import Context
from hollow.market.messages import ReferencePrice, Subscribe, Wake
from hollow.risk.funding import PremiumTwap, allocate_funding
from hollow.risk.margin import median_mark

if TYPE_CHECKING:
    from hollow.risk.liquidation import Liquidator

_START, _PASS = Wake("risk-start"), Wake("risk-pass")


class RiskEngine:
    """Kernel entity driving the margin engine and the liquidator on a fixed interval."""

    def __init__(self, name: str, liquidator: Liquidator, reference: str, *, interval_ns: int, funding_interval_ns: int) -> None:
        self.name = name
        self.liquidator = liquidator
        self.engine = liquidator.engine
        self.reference_name = reference
        self.interval_ns = interval_ns
        self.funding_interval_ns = funding_interval_ns
        per_day = 86_400 * 10**9 // funding_interval_ns
        self.twaps = [PremiumTwap(periods_per_day=per_day) for _ in self.engine.instruments]
        self.funding_paid_minor = 0
        self.funding_events = 0
        self.passes = 0
        self._next_funding_ns = funding_interval_ns
        self.ctx: Context | None = None

    def attach(self, ctx: Context) -> None:
        self.ctx = ctx
        ctx.timer(0, _START)

    def on_message(self, sender: int, message: Any) -> None:
        if type(message) is ReferencePrice:
            self.engine.indexes[self.engine.engine_instrument(message.instrument)] = message.price_ticks
        elif message is _START:
            reference = self.ctx.address_of(self.reference_name)
            for i in range(len(self.engine.instruments)):
                self.ctx.send(reference, Subscribe(self.engine.venue_instrument(i)))
            self.ctx.timer(self.interval_ns, _PASS)
        elif message is _PASS:
            self.risk_pass(self.ctx.now_ns)
            self.ctx.timer(self.interval_ns, _PASS)

    def risk_pass(self, ts_ns: int) -> None:
        e = self.engine
        e.flush_fees(ts_ns)
        for i, twap in enumerate(self.twaps):
            e.marks[i] = median_mark(self.liquidator.venue.books[e.venue_instrument(i)], e.indexes[i])
            twap.sample(e.marks[i], e.indexes[i])
        if ts_ns >= self._next_funding_ns:
            self._next_funding_ns += self.funding_interval_ns
            self.pay_funding(ts_ns)
        self.liquidator.run(ts_ns)
        self.passes += 1

    def pay_funding(self, ts_ns: int) -> None:
        """Funding for the interval on every perpetual (split by counterparty class), then variation
        margin for everyone at the marks."""
        e = self.engine
        for i, twap in enumerate(self.twaps):
            amounts = allocate_funding(e.table.lots[: e.n, i], e.indexes[i], e.mult_of(i), twap.take_rate(e.indexes[i]))
            slots = np.flatnonzero(amounts)
            if slots.size:
                e.pay(ts_ns, slots, amounts[slots], "funding")
                self.funding_paid_minor += int(amounts[amounts > 0].sum())
                self.funding_events += 1
        e.settle_all(ts_ns)
