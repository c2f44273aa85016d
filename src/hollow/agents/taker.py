"""What arbitrageurs and trading firms share: when the venue's best quote is through a fair price by
more than an edge, send one IOC priced at fair - edge that sweeps every stale level, one order in
flight at a time, within a position limit."""

from __future__ import annotations

from hollow.agents.base import Agent
from hollow.market.book import OrderType, Side
from hollow.market.messages import (
    Execution,
    NewOrder,
    OrderClosed,
    OrderRejected,
    Subscribe,
    TopOfBook,
)


_NEVER = 1 << 62  # a bound no price reaches: nothing is taken before a fair price is known


class StaleQuoteTaker(Agent):
    """The bounds fair - edge and fair + edge are computed once per fair price, not per book update:
    a taker sees every top-of-book change, the hottest path of a session."""

    def __init__(self, name: str, venue: str, instrument: int, *, edge_ppm: int, clip_lots: int, max_position_lots: int) -> None:
        super().__init__(name, venue, instrument)
        self.edge_ppm = edge_ppm  # fee + threshold (+ hedge cost), in ppm of the fair price
        self.clip_lots = clip_lots
        self.max_position_lots = max_position_lots
        self.fair: int | None = None
        self.top: TopOfBook | None = None
        self.in_flight = False
        self.orders_sent = 0
        self._buy_below = 0  # take an ask below fair - edge, at fair - edge - 1
        self._sell_above = _NEVER  # take a bid above fair + edge, at fair + edge + 1
        self.handle(TopOfBook, self._on_top)
        self.handle(OrderClosed, self._on_done)
        self.handle(OrderRejected, self._on_done)

    def start(self) -> None:
        self.ctx.send(self.venue, Subscribe(self.instrument, book=True))

    def exposure_lots(self) -> int:
        """Net position that counts against the limit (an arbitrageur nets its hedges)."""
        return self.position_lots

    def set_fair(self, fair_ticks: int) -> None:
        self.fair = fair_ticks
        edge = fair_ticks * self.edge_ppm // 1_000_000
        self._buy_below = fair_ticks - edge
        self._sell_above = fair_ticks + edge
        if self.top is not None:
            self._on_top(self.top)

    def _on_top(self, m: TopOfBook) -> None:
        """Remember the book; take what is through the bounds (one order in flight at a time)."""
        self.top = m
        if self.in_flight:
            return
        ask, bid = m.ask_ticks, m.bid_ticks
        if ask is not None and ask < self._buy_below:
            self._take(Side.BUY, self._buy_below - 1, min(self.clip_lots, self.max_position_lots - self.exposure_lots()))
        elif bid is not None and bid > self._sell_above:
            self._take(Side.SELL, self._sell_above + 1, min(self.clip_lots, self.max_position_lots + self.exposure_lots()))

    def _take(self, side: int, price: int, qty: int) -> None:
        if qty <= 0:
            return
        self.in_flight = True
        self.orders_sent += 1
        self.ctx.send(self.venue, NewOrder(self.instrument, self.new_order_id(), side, OrderType.IOC, price, qty))

    def on_execution(self, m: Execution) -> None:
        if m.leaves_lots == 0:
            self.in_flight = False

    def _on_done(self, m: OrderClosed | OrderRejected) -> None:
        self.in_flight = False
