"""Resting orders per account: what the pre-trade check counts, and what the liquidator cancels.

FTX's initial margin was on the position's *open size*, resting orders included: without it, ten
resting buys of 19x each pass a 20x check one by one and give 190x. The venue tells the tracker
about every order it accepts, replaces, cancels or fills, so the tallies are exact at every message.
"""

from __future__ import annotations

from typing import Any

from hollow.market.book import OrderType, Side
from hollow.market.messages import CancelOrder, NewOrder, OrderClosed, ReplaceOrder
from hollow.market.venue import _ID_BITS, _ID_MASK, Venue

_RESTING = (OrderType.LIMIT, OrderType.POST_ONLY)


class OpenOrders:
    """Lots resting on each side, per (agent address, instrument), and each resting order's size."""

    def __init__(self) -> None:
        self.orders: dict[int, tuple[int, int, int, int]] = {}  # global id -> (agent, instrument, side, lots)
        self.by_agent: dict[int, set[int]] = {}
        self.open: dict[tuple[int, int], list[int]] = {}  # (agent, instrument) -> [buy lots, sell lots]
        self.replacing = (0, 0)  # (side, lots) of the order whose replace is being checked

    def lots(self, agent: int, instrument: int) -> tuple[int, int]:
        """(buy, sell) lots resting; the order being replaced does not count (its new size does)."""
        tally = self.open.get((agent, instrument))
        if tally is None:
            return 0, 0
        buy, sell = tally
        side, lots = self.replacing
        return (buy - lots, sell) if side == Side.BUY else (buy, sell - lots)

    def resting(self, gid: int) -> int:
        found = self.orders.get(gid)
        return 0 if found is None else found[3]

    def sync(self, gid: int, agent: int, instrument: int, found: tuple | None) -> None:
        """Record what the book now holds for one order (`Book.order(gid)`, None when gone)."""
        self._drop(gid)
        if found is not None:
            side, lots = found[1], found[3]
            self.orders[gid] = (agent, instrument, side, lots)
            self.by_agent.setdefault(agent, set()).add(gid)
            self.open.setdefault((agent, instrument), [0, 0])[side] += lots

    def filled(self, gid: int, qty: int) -> None:
        found = self.orders.get(gid)
        if found is not None:
            agent, instrument, side, lots = found
            self.open[(agent, instrument)][side] -= qty
            if lots > qty:
                self.orders[gid] = (agent, instrument, side, lots - qty)
            else:
                del self.orders[gid]
                self.by_agent[agent].discard(gid)

    def _drop(self, gid: int) -> None:
        found = self.orders.pop(gid, None)
        if found is not None:
            agent, instrument, side, lots = found
            self.open[(agent, instrument)][side] -= lots
            self.by_agent[agent].discard(gid)

    def take_all(self, agent: int) -> list[tuple[int, int]]:
        """Forget every resting order of `agent`; returns their (instrument, global id), sorted."""
        gids = sorted(self.by_agent.pop(agent, ()))
        out = []
        for gid in gids:
            agent_, instrument, side, lots = self.orders.pop(gid)
            self.open[(agent_, instrument)][side] -= lots
            out.append((instrument, gid))
        return out


class MarginVenue(Venue):
    """A venue that keeps the open-order tallies of every agent (for the margin engine's pre-trade
    check) and can cancel all of an account's orders (for the liquidator)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.open_orders = OpenOrders()
        self.on_fill(self._maker_filled)

    def on_message(self, sender: int, message: Any) -> None:
        kind = type(message)
        if (kind is not ReplaceOrder and kind is not CancelOrder) and (kind is not NewOrder or message.order_type not in _RESTING):
            super().on_message(sender, message)  # nothing of it can rest: the tallies do not move
            return
        instrument, order_id = message.instrument, message.order_id
        if not (0 <= instrument < len(self.books) and 0 <= order_id <= _ID_MASK):
            super().on_message(sender, message)  # the venue rejects it
            return
        gid = (sender << _ID_BITS) | order_id
        tracker = self.open_orders
        if kind is ReplaceOrder:
            found = tracker.orders.get(gid)
            tracker.replacing = (found[2], found[3]) if found is not None else (0, 0)
        try:
            super().on_message(sender, message)
        finally:
            tracker.replacing = (0, 0)
        tracker.sync(gid, sender, instrument, self.books[instrument].order(gid))

    def _maker_filled(self, instrument: int, taker: int, maker: int, aggressor: int, price: int, qty: int, ts_ns: int) -> None:
        maker_order = self.fills.columns["maker_order_id"][-1]
        self.open_orders.filled((maker << _ID_BITS) | maker_order, qty)

    def cancel_all(self, agent: int) -> int:
        """Cancel every resting order of `agent` (telling it so); returns the lots cancelled."""
        lots = 0
        for instrument, gid in self.open_orders.take_all(agent):
            found = self.books[instrument].order(gid)
            if found is None:
                continue
            self.books[instrument].cancel(gid)
            lots += found[3]
            self.ctx.send(agent, OrderClosed(instrument, gid & _ID_MASK, found[3]))
        return lots
