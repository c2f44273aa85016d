"""The limit order book: price-time priority matching in C, with the closed sets it speaks in.

`Book` is the C type itself (no Python wrapper) because the venue calls `add`/`cancel` on every
message; the enums and `Fill` here give names to the integers it takes and returns. The same C code
serves `hollow.market.replay`, so a replayed file and a simulated venue match identically.

Book(tick_multiple=1, band_ticks=0, stp=SelfTradePrevention.CANCEL_TAKER)
    add(order_id, owner, side, otype, price_ticks, qty_lots) -> Reject code (0 = accepted)
    cancel(order_id) -> 0 or Reject.UNKNOWN_ORDER
    replace(order_id, price_ticks, qty_lots) -> Reject code; qty_lots is the new remaining size
    take_fills() -> [(taker_order_id, maker_order_id, taker_owner, maker_owner, price_ticks,
                      qty_lots, aggressor_side, maker_remaining_lots)]
    take_cancels() -> [(order_id, owner, remaining_lots)]   orders removed by self-trade prevention
    order(order_id) -> (owner, side, price_ticks, remaining_lots) | None
    best_bid(), best_ask(), last_trade() -> int | None; top(); depth(side, n); volume(); len(book)

Checks run in this order and the first failure is returned, leaving the book unchanged: side, type,
qty (NON_POSITIVE_QTY, then above 2**53 -> PRICE_TOO_LARGE), price unless MARKET (NON_POSITIVE_PRICE,
PRICE_TOO_LARGE, OFF_TICK), DUPLICATE_ORDER_ID, OUT_OF_BAND, POST_ONLY_WOULD_CROSS. For replace:
UNKNOWN_ORDER, qty, price, then (only when the price changes) OUT_OF_BAND and POST_ONLY_WOULD_CROSS.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from hollow.market._engine import MAX_VALUE, Book

__all__ = ["MAX_VALUE", "Book", "Fill", "OrderType", "Reject", "SelfTradePrevention", "Side", "fills_from_raw"]


class Side(IntEnum):
    """Which side of the book an order rests on; also the aggressor side of a fill."""

    BUY = 0
    SELL = 1


class OrderType(IntEnum):
    """How an order treats its unfilled remainder."""

    LIMIT = 0  # good till cancelled: the remainder rests
    IOC = 1  # immediate or cancel: never rests
    MARKET = 2  # price ignored, never rests; limited by the band when one is set
    POST_ONLY = 3  # rejected if it would take liquidity, else rests


class Reject(IntEnum):
    """Why a message was refused; the numbers are shared with the C engine and the replay files."""

    OK = 0
    UNKNOWN_ORDER = 1
    NON_POSITIVE_QTY = 2
    NON_POSITIVE_PRICE = 3
    OFF_TICK = 4
    OUT_OF_BAND = 5
    POST_ONLY_WOULD_CROSS = 6
    DUPLICATE_ORDER_ID = 7
    BAD_SIDE = 8
    BAD_TYPE = 9
    PRICE_TOO_LARGE = 10
    # venue-level codes (margin engine), never returned by the C engine
    INSUFFICIENT_MARGIN = 11
    LEVERAGE_LIMIT = 12
    ACCOUNT_IN_LIQUIDATION = 13


class SelfTradePrevention(IntEnum):
    """What happens when an order would trade with a resting order of the same non-zero owner."""

    CANCEL_TAKER = 0  # the incoming order's remainder is cancelled
    CANCEL_MAKER = 1  # the resting order is removed and matching goes on
    CANCEL_BOTH = 2  # both


@dataclass(frozen=True, slots=True)
class Fill:
    """One match between an incoming (taker) and a resting (maker) order, at the maker's price."""

    taker_order_id: int
    maker_order_id: int
    taker_owner: int
    maker_owner: int
    price_ticks: int
    qty_lots: int
    aggressor: Side
    maker_remaining_lots: int


def fills_from_raw(raw: list[tuple[int, int, int, int, int, int, int, int]]) -> list[Fill]:
    """Turns `Book.take_fills()` tuples into `Fill` records, for code off the hot path."""
    return [Fill(t, m, to, mo, px, q, Side(a), rem) for t, m, to, mo, px, q, a, rem in raw]
