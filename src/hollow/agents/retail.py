"""Retail: Poisson order flow, random direction, heavy-tailed sizes; some leveraged and held.

A retail trader looks at a price (a snapshot request, like a web page refresh), then sends a market
order or a passive limit order that it cancels after a while. A leveraged trader opens a position
`leverage` times its usual size and holds it for an exponential time before closing it at market.
"""

from __future__ import annotations

import math
from typing import Annotated, NamedTuple

from pydantic import Field, model_validator

from hollow.agents.base import Agent, bps_of
from hollow.config import Count, Fraction, IntervalMin, IntervalS, LatencyMs, NonNegative, Positive, PositiveInt, Strict
from hollow.market.book import OrderType, Side
from hollow.market.messages import CancelOrder, NewOrder, QuoteRequest, TopOfBook, Wake


class RetailConfig(Strict):
    """Noise traders: Poisson orders, random direction, heavy-tailed sizes, some leveraged and held."""

    count: Count = 100
    orders_per_hour: Positive = 6.0
    market_fraction: Fraction = 0.6
    min_lots: PositiveInt = 1
    size_tail_alpha: Annotated[float, Field(gt=1, le=10)] = 1.5
    max_lots: PositiveInt = 500
    limit_offset_bps: NonNegative = 5.0
    limit_lifetime_s: IntervalS = 120.0
    leveraged_fraction: Fraction = 0.2
    leverage: Annotated[float, Field(ge=1, le=125)] = 5.0
    hold_minutes: IntervalMin = 30.0
    order_entry_ms: LatencyMs = 50.0

    @model_validator(mode="after")
    def _sizes(self) -> "RetailConfig":
        if self.max_lots < self.min_lots:
            raise ValueError("max_lots must be at least min_lots")
        return self

_ORDER = Wake("order")
_RETRY_CLOSE_NS = 1_000_000_000  # a close that did not fill completely is tried again a second later
_BLOCK = 256


class _Expire(NamedTuple):
    """Retail's own timer: cancel a limit order that has rested for its lifetime."""

    order_id: int


class _Close(NamedTuple):
    """Retail's own timer: close the leveraged position opened as number `position`."""

    position: int


class Retail(Agent):
    cls = "retail"

    def __init__(self, name: str, venue: str, instrument: int, config: RetailConfig, *, leveraged: bool) -> None:
        super().__init__(name, venue, instrument)
        self.config = config
        self.leveraged = leveraged
        self.mean_gap_ns = 3600e9 / config.orders_per_hour
        self.lifetime_ns = int(config.limit_lifetime_s * 1e9)
        self._draws: list[float] = []
        self._waiting_quote = False
        self.handle(Wake, self._on_wake)
        self.handle(_Expire, lambda m: self.ctx.send(self.venue, CancelOrder(self.instrument, m.order_id)))
        self.handle(TopOfBook, self._on_top)
        self.handle(_Close, self._on_close)
        self._positions_opened = 0  # a close timer from an earlier position must not close a later one

    def start(self) -> None:
        self._schedule_next()

    def _uniform(self) -> float:
        if not self._draws:
            self._draws = self.ctx.rng.random(_BLOCK).tolist()
        return self._draws.pop()

    def _schedule_next(self) -> None:
        gap = -self.mean_gap_ns * math.log(1.0 - self._uniform())
        self.ctx.timer(max(1, int(gap)), _ORDER)

    def _size(self) -> int:
        """Pareto sizes: min_lots * U^(-1/alpha), capped at max_lots."""
        c = self.config
        size = int(c.min_lots * (1.0 - self._uniform()) ** (-1.0 / c.size_tail_alpha))
        return max(c.min_lots, min(size, c.max_lots))

    def _on_wake(self, m: Wake) -> None:
        if m.kind == "order":
            if not self._waiting_quote:
                self._waiting_quote = True
                self.ctx.send(self.venue, QuoteRequest(self.instrument))
            self._schedule_next()

    def _on_close(self, m: _Close) -> None:
        """Close at market; while anything is left (a thin book), try again a second later."""
        if m.position != self._positions_opened or not self.position_lots:
            return
        side = Side.SELL if self.position_lots > 0 else Side.BUY
        self._send(side, OrderType.MARKET, 0, abs(self.position_lots))
        self.ctx.timer(_RETRY_CLOSE_NS, m)

    def _on_top(self, m: TopOfBook) -> None:
        if not self._waiting_quote:
            return
        self._waiting_quote = False
        side = Side.BUY if self._uniform() < 0.5 else Side.SELL
        if self.leveraged:
            if self.position_lots == 0:
                self._send(side, OrderType.MARKET, 0, int(self._size() * self.config.leverage))
                hold_ns = -self.config.hold_minutes * 60e9 * math.log(1.0 - self._uniform())
                self._positions_opened += 1
                self.ctx.timer(max(1, int(hold_ns)), _Close(self._positions_opened))
            return
        if self._uniform() < self.config.market_fraction:
            self._send(side, OrderType.MARKET, 0, self._size())
            return
        if m.bid_ticks is None or m.ask_ticks is None:
            return
        mid = (m.bid_ticks + m.ask_ticks) // 2
        offset = bps_of(mid, self.config.limit_offset_bps * self._uniform())
        price = mid - offset if side == Side.BUY else mid + offset
        order_id = self._send(side, OrderType.LIMIT, max(1, price), self._size())
        self.ctx.timer(self.lifetime_ns, _Expire(order_id))

    def _send(self, side: int, order_type: int, price: int, qty: int) -> int:
        order_id = self.new_order_id()
        self.ctx.send(self.venue, NewOrder(self.instrument, order_id, side, order_type, price, qty))
        return order_id
