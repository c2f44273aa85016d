"""Messages between agents and venues. NamedTuples: cheap to build on hot paths, readable by field.

Agents address a venue by its kernel address and name their orders with their own ids; the venue
never exposes other agents' ids, as on a real exchange.
"""

from __future__ import annotations

from typing import NamedTuple

LIQUIDATOR_ORDER_IDS = 1 << 39
"""Order ids from here up are the exchange's liquidator trading as the account (orderly slices):
the venue's Execution/OrderClosed for them are not the agent's own fills; a LiquidationExecution
reports each such fill instead."""


# agent -> venue
class NewOrder(NamedTuple):
    instrument: int
    order_id: int  # the agent's own id, below 2**40
    side: int  # Side
    order_type: int  # OrderType
    price_ticks: int  # ignored for market orders
    qty_lots: int


class CancelOrder(NamedTuple):
    instrument: int
    order_id: int


class ReplaceOrder(NamedTuple):
    instrument: int
    order_id: int
    price_ticks: int
    qty_lots: int


class Subscribe(NamedTuple):
    instrument: int
    book: bool = True
    trades: bool = False


class QuoteRequest(NamedTuple):
    """Ask for one top-of-book snapshot (how slow clients such as retail look at a price)."""

    instrument: int


# venue -> agent
class OrderRejected(NamedTuple):
    instrument: int
    order_id: int
    code: int  # Reject


class Execution(NamedTuple):
    """One of the agent's own fills."""

    instrument: int
    order_id: int
    side: int
    price_ticks: int
    qty_lots: int
    fee_minor: int  # negative: a rebate
    is_maker: bool
    leaves_lots: int  # what is left of this order after this fill (a taker's rest is then closed or rests)


class LiquidationExecution(NamedTuple):
    """A position change the exchange imposed on the agent, not a fill of any order of its own: an
    orderly liquidation slice sent as the account (`step` "market"), a backstop takeover ("backstop")
    or auto-deleveraging ("adl"). Both parties of a takeover or ADL get one."""

    instrument: int
    side: int  # the side the agent traded: BUY when its position grew by qty_lots
    price_ticks: int  # average price, rounded down (a bankruptcy price is rarely a whole tick)
    qty_lots: int
    notional_minor: int  # the exact cash of the trade, quote minor units (always positive)
    fee_minor: int
    step: str


class OrderClosed(NamedTuple):
    """An order ended without the agent cancelling it: an IOC/market remainder, or self-trade prevention."""

    instrument: int
    order_id: int
    leaves_lots: int


class TopOfBook(NamedTuple):
    instrument: int
    bid_ticks: int | None
    bid_lots: int
    ask_ticks: int | None
    ask_lots: int
    venue_ts_ns: int


class TradeReport(NamedTuple):
    instrument: int
    price_ticks: int
    qty_lots: int
    aggressor: int  # Side of the taker
    venue_ts_ns: int


# reference venue -> subscribers
class ReferencePrice(NamedTuple):
    instrument: int
    price_ticks: int
    venue_ts_ns: int


class Wake(NamedTuple):
    """A timer an entity sets for itself; `kind` says which of its loops it drives."""

    kind: str


class HedgeOrder(NamedTuple):
    """An order to the reference venue, filled at once at its price plus its half-spread."""

    instrument: int
    side: int
    qty_lots: int


class HedgeFill(NamedTuple):
    instrument: int
    side: int
    price_ticks: int
    qty_lots: int


class Signal(NamedTuple):
    """A trading firm's forecast of the reference price a few seconds ahead."""

    instrument: int
    forecast_ticks: int
