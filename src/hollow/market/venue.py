"""The exchange: order entry through the kernel, matching in one book per instrument, fees, reports.

Every fill is recorded in a columnar log (no Python object per fill is kept). Market data goes to
subscribers through their own links, so each sees it after its own latency; top-of-book updates are
conflated over `conflation_ns`, as real feeds do under load.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from typing import Any, Callable, NamedTuple, Sequence

import numpy as np
import pyarrow as pa

from hollow.market.book import Book, OrderType, Reject
from hollow.market.fees import FeeSchedule
from hollow.market.kernel import Context
from hollow.market.messages import (
    CancelOrder,
    Execution,
    NewOrder,
    OrderClosed,
    OrderRejected,
    QuoteRequest,
    ReplaceOrder,
    Subscribe,
    TopOfBook,
    TradeReport,
)
from hollow.money import Instrument

_ID_BITS = 40  # global order id = (agent address << 40) | the agent's own id
_ID_MASK = (1 << _ID_BITS) - 1

# (agent address, instrument, side, order type, price_ticks, qty_lots) -> Reject code (0 = pass)
PreTradeCheck = Callable[[int, int, int, int, int, int], int]


class _Publish(NamedTuple):
    """The venue's own timer: publish the conflated top of book of one instrument."""

    instrument: int


@dataclass(frozen=True, slots=True)
class InstrumentSpec:
    instrument: Instrument
    band_ticks: int = 0  # price protection band; 0 = off
    tick_multiple: int = 1


FILL_COLUMNS = (
    "ts_ns", "instrument", "taker", "maker", "taker_order_id", "maker_order_id",
    "price_ticks", "qty_lots", "aggressor", "notional_minor", "taker_fee_minor", "maker_fee_minor",
)


class FillLog:
    """Columnar fill store: one int64 array per column, appended in match order."""

    def __init__(self) -> None:
        self.columns: dict[str, array] = {name: array("q") for name in FILL_COLUMNS}

    def __len__(self) -> int:
        return len(self.columns["ts_ns"])

    def to_numpy(self) -> dict[str, np.ndarray]:
        return {name: np.frombuffer(col, dtype=np.int64).copy() for name, col in self.columns.items()}

    def to_arrow(self) -> pa.Table:
        return pa.table({name: pa.array(col, type=pa.int64()) for name, col in self.to_numpy().items()})


class Venue:
    """One exchange with several instruments; it is an entity of the kernel like any agent."""

    def __init__(
        self,
        name: str,
        instruments: Sequence[InstrumentSpec],
        fees: FeeSchedule,
        *,
        conflation_ns: int = 0,
        pre_trade_check: PreTradeCheck | None = None,
    ) -> None:
        if conflation_ns < 0:
            raise ValueError("conflation_ns must not be negative")
        self.name = name
        self.specs = tuple(instruments)
        self.books = [Book(s.tick_multiple, s.band_ticks, 0) for s in self.specs]
        self.fees = fees
        self.conflation_ns = conflation_ns
        self.pre_trade_check = pre_trade_check
        self.fills = FillLog()
        self.fees_collected_minor = 0
        self.rejects = 0
        self._volume_minor: dict[int, int] = {}  # trailing volume per agent, for fee tiers
        self._book_subscribers: list[list[int]] = [[] for _ in self.specs]
        self._trade_subscribers: list[list[int]] = [[] for _ in self.specs]
        self._published: list[tuple | None] = [None] * len(self.specs)
        self._publish_pending = [False] * len(self.specs)
        self._fill_listeners: list[Callable[[int, int, int, int, int, int, int], None]] = []
        self.ctx: Context | None = None

    def attach(self, ctx: Context) -> None:
        self.ctx = ctx

    def set_trailing_volume(self, agent: int, volume_minor: int) -> None:
        """Seed an agent's fee tier with its volume before the session (e.g. a VIP market maker)."""
        self._volume_minor[agent] = volume_minor

    def on_fill(self, listener: Callable[[int, int, int, int, int, int, int], None]) -> None:
        """Call `listener(instrument, taker, maker, aggressor, price_ticks, qty_lots, ts_ns)` on every fill."""
        self._fill_listeners.append(listener)

    # -- message handling -------------------------------------------------------------------
    def on_message(self, sender: int, message: Any) -> None:
        kind = type(message)
        if kind is NewOrder:
            self._new_order(sender, message)
        elif kind is CancelOrder:
            self._cancel(sender, message)
        elif kind is ReplaceOrder:
            self._replace(sender, message)
        elif kind is _Publish:
            self._publish(message.instrument)
        elif kind is Subscribe:
            self._subscribe(sender, message)
        elif kind is QuoteRequest:
            self._send_top(sender, message.instrument)
        else:
            raise TypeError(f"{self.name}: unexpected message {message!r}")

    def _valid_instrument(self, sender: int, instrument: int, order_id: int) -> bool:
        if 0 <= instrument < len(self.books) and 0 <= order_id <= _ID_MASK:
            return True
        self.rejects += 1
        self.ctx.send(sender, OrderRejected(instrument, order_id, Reject.UNKNOWN_ORDER))
        return False

    def _new_order(self, sender: int, m: NewOrder) -> None:
        if not self._valid_instrument(sender, m.instrument, m.order_id):
            return
        code = 0
        if self.pre_trade_check is not None:
            code = self.pre_trade_check(sender, m.instrument, m.side, m.order_type, m.price_ticks, m.qty_lots)
        if code == 0:
            code = self.books[m.instrument].add(
                (sender << _ID_BITS) | m.order_id, sender + 1, m.side, m.order_type, m.price_ticks, m.qty_lots
            )
        self._after(sender, m.instrument, m.order_id, code, m.qty_lots)

    def _cancel(self, sender: int, m: CancelOrder) -> None:
        if not self._valid_instrument(sender, m.instrument, m.order_id):
            return
        code = self._own_order(sender, m.instrument, m.order_id)
        if code == 0:
            code = self.books[m.instrument].cancel((sender << _ID_BITS) | m.order_id)
        self._after(sender, m.instrument, m.order_id, code)

    def _replace(self, sender: int, m: ReplaceOrder) -> None:
        """New price and size for a resting order. A ReplaceOrder carries no side or type (as FTX's
        modify-order did not): both stay the resting order's own, kept by the engine, so a replace
        cannot ask for a different side or type and there is no mismatch to refuse; changing either
        takes a cancel and a new order. The pre-trade check gets the resting side and LIMIT: only
        LIMIT and POST_ONLY orders rest, and the engine still refuses a post-only replace that crosses."""
        if not self._valid_instrument(sender, m.instrument, m.order_id):
            return
        code = self._own_order(sender, m.instrument, m.order_id)
        if code == 0 and self.pre_trade_check is not None:
            side = self.books[m.instrument].order((sender << _ID_BITS) | m.order_id)[1]
            code = self.pre_trade_check(sender, m.instrument, side, OrderType.LIMIT, m.price_ticks, m.qty_lots)
        if code == 0:
            code = self.books[m.instrument].replace((sender << _ID_BITS) | m.order_id, m.price_ticks, m.qty_lots)
        self._after(sender, m.instrument, m.order_id, code, m.qty_lots)

    def _own_order(self, sender: int, instrument: int, order_id: int) -> int:
        found = self.books[instrument].order((sender << _ID_BITS) | order_id)
        return 0 if found is not None else Reject.UNKNOWN_ORDER

    def _after(self, sender: int, instrument: int, order_id: int, code: int, qty_lots: int = 0) -> None:
        """Reports after a message: the reject, or fills, then the taker's closed remainder, then market data."""
        if code:
            self.rejects += 1
            self.ctx.send(sender, OrderRejected(instrument, order_id, code))
            return
        book = self.books[instrument]
        fills = book.take_fills()
        left = self._settle(instrument, fills, qty_lots) if fills else qty_lots
        if left and book.order((sender << _ID_BITS) | order_id) is None:
            # an IOC or market remainder, or a taker stopped by self-trade prevention
            self.ctx.send(sender, OrderClosed(instrument, order_id, left))
        for global_id, owner, leaves in book.take_cancels():
            self.ctx.send(owner - 1, OrderClosed(instrument, global_id & _ID_MASK, leaves))
        if self._book_subscribers[instrument] and book.top() != self._published[instrument]:
            if self.conflation_ns == 0:
                self._publish(instrument)
            elif not self._publish_pending[instrument]:
                self._publish_pending[instrument] = True
                self.ctx.timer(self.conflation_ns, _Publish(instrument))

    def _settle(self, instrument: int, fills: list[tuple], taker_qty: int) -> int:
        """Fees, the fill log, executions to both sides, trade reports and listeners; returns the taker's rest."""
        now = self.ctx.now_ns
        send = self.ctx.send
        spec = self.specs[instrument].instrument
        per_lot_tick = spec.minor_per_tick_lot
        volume = self._volume_minor
        cols = self.fills.columns
        trade_subscribers = self._trade_subscribers[instrument]
        for taker_oid, maker_oid, taker_owner, maker_owner, price, qty, aggressor, maker_left in fills:
            taker, maker = taker_owner - 1, maker_owner - 1
            notional = price * qty * per_lot_tick
            taker_volume, maker_volume = volume.get(taker, 0), volume.get(maker, 0)
            taker_fee = self.fees.taker_fee(taker_volume, notional)
            maker_fee = self.fees.maker_fee(maker_volume, notional)
            volume[taker] = taker_volume + notional
            volume[maker] = maker_volume + notional
            self.fees_collected_minor += taker_fee + maker_fee
            for name, value in (
                ("ts_ns", now), ("instrument", instrument), ("taker", taker), ("maker", maker),
                ("taker_order_id", taker_oid & _ID_MASK), ("maker_order_id", maker_oid & _ID_MASK),
                ("price_ticks", price), ("qty_lots", qty), ("aggressor", aggressor),
                ("notional_minor", notional), ("taker_fee_minor", taker_fee), ("maker_fee_minor", maker_fee),
            ):
                cols[name].append(value)
            taker_qty -= qty
            send(taker, Execution(instrument, taker_oid & _ID_MASK, aggressor, price, qty, taker_fee, False, taker_qty))
            send(maker, Execution(instrument, maker_oid & _ID_MASK, 1 - aggressor, price, qty, maker_fee, True, maker_left))
            if trade_subscribers:
                self.ctx.broadcast(trade_subscribers, TradeReport(instrument, price, qty, aggressor, now))
            for listener in self._fill_listeners:
                listener(instrument, taker, maker, aggressor, price, qty, now)
        return taker_qty

    # -- market data ------------------------------------------------------------------------
    def _subscribe(self, sender: int, m: Subscribe) -> None:
        if not 0 <= m.instrument < len(self.books):
            self.ctx.send(sender, OrderRejected(m.instrument, 0, Reject.UNKNOWN_ORDER))
            return
        if m.book and sender not in self._book_subscribers[m.instrument]:
            self._book_subscribers[m.instrument].append(sender)
            self._send_top(sender, m.instrument)
        if m.trades and sender not in self._trade_subscribers[m.instrument]:
            self._trade_subscribers[m.instrument].append(sender)

    def _top_message(self, instrument: int) -> TopOfBook:
        bid, bid_qty, ask, ask_qty = self.books[instrument].top()
        return TopOfBook(instrument, bid, bid_qty, ask, ask_qty, self.ctx.now_ns)

    def _send_top(self, sender: int, instrument: int) -> None:
        if 0 <= instrument < len(self.books):
            self.ctx.send(sender, self._top_message(instrument))

    def _publish(self, instrument: int) -> None:
        self._publish_pending[instrument] = False
        top = self.books[instrument].top()
        if top == self._published[instrument]:
            return
        self._published[instrument] = top
        bid, bid_qty, ask, ask_qty = top
        self.ctx.broadcast(self._book_subscribers[instrument], TopOfBook(instrument, bid, bid_qty, ask, ask_qty, self.ctx.now_ns))
