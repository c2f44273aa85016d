"""The house market maker: quotes a ladder around a view of fair value that is seconds old.

Two slownesses are kept apart: its orders reach the venue fast (`order_entry_us`, a link latency),
but the price it quotes around is the reference price as it was `signal_staleness_ms` ago, plus
noise. Faster firms see the reference move first and take the quotes that are now wrong.
"""

from __future__ import annotations

from collections import deque
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field

from hollow.agents.base import Agent, bps_of
from hollow.config import NonNegative, Positive, PositiveInt, Strict, UsdAmount
from hollow.market.book import OrderType, Reject, Side
from hollow.market.messages import (
    CancelOrder,
    Execution,
    NewOrder,
    OrderClosed,
    OrderRejected,
    ReferencePrice,
    ReplaceOrder,
    Subscribe,
    Wake,
)
from hollow.money import Instrument, asset

MAX_QUOTE_LEVELS = 50  # per side; deeper ladders are not what a quoter of this kind ran
_REQUOTE = Wake("requote")
_NOISE_BLOCK = 4096

class HouseConfig(Strict):
    """The affiliated market maker: quotes a ladder around its own, stale view of fair value."""

    levels: Annotated[int, Field(ge=1, le=MAX_QUOTE_LEVELS)] = 5
    half_spread_bps: Positive = 2.0
    level_spacing_bps: Positive = 1.0
    size_lots: PositiveInt = 20
    skew_bps_at_limit: NonNegative = 5.0  # shift of the whole ladder when inventory is at max_position_lots
    max_position_lots: PositiveInt = 2_000
    requote_interval_ms: Positive = 250.0
    signal_staleness_ms: NonNegative = 1_000.0  # age of the fair-value view when it requotes
    signal_noise_bps: NonNegative = 1.0
    order_entry_us: Positive = 200.0  # the record says the house was a few ms FASTER than others
    feed_us: Positive = 1_000.0
    policy: Literal["keep_quoting", "stop_loss"] = "keep_quoting"
    stop_loss_usd: Annotated[Decimal, Field(gt=0, decimal_places=6)] = Decimal(50_000)
    stop_loss_window_s: Positive = 600.0
    trailing_volume_usd: UsdAmount = Decimal("1e9")



class HouseMaker(Agent):
    cls = "house"

    def __init__(self, name: str, venue: str, reference: str, instrument: int, config: HouseConfig, spec: Instrument) -> None:
        super().__init__(name, venue, instrument)
        self.config = config
        self.reference_name = reference
        self.minor_per_tick_lot = spec.minor_per_tick_lot
        self.stop_loss_minor = asset(spec.quote).to_minor(config.stop_loss_usd)
        self.staleness_ns = int(config.signal_staleness_ms * 1_000_000)
        self.requote_ns = int(config.requote_interval_ms * 1_000_000)
        self.cash_minor = 0  # from its own fills, net of fees: what its stop-loss watches
        self.active = True
        self.stopped_at_ns: int | None = None
        self.requotes = 0
        self._seen: deque[tuple[int, int]] = deque()  # (time observed, reference price)
        self._slots: dict[int, tuple[int, int]] = {}  # order id -> (side, level) of live quotes
        self._by_slot: dict[tuple[int, int], tuple[int, int, int]] = {}  # slot -> (order id, price, size)
        self._noise: list[float] = []
        self._pnl_marks: deque[tuple[int, int]] = deque()  # (time, marked pnl) for the stop-loss window
        self.handle(ReferencePrice, self._on_reference)
        self.handle(Wake, self._on_wake)
        self.handle(OrderClosed, self._on_closed)
        self.handle(OrderRejected, self._on_rejected)

    def start(self) -> None:
        self.reference = self.ctx.address_of(self.reference_name)
        self.ctx.send(self.reference, Subscribe(self.instrument))
        self.ctx.timer(self.requote_ns, _REQUOTE)

    # -- the view of fair value --------------------------------------------------------------
    def _on_reference(self, m: ReferencePrice) -> None:
        self._seen.append((self.ctx.now_ns, m.price_ticks))

    def view_ticks(self) -> int | None:
        """The reference price as observed `signal_staleness_ms` ago (None before anything was seen)."""
        cutoff = self.ctx.now_ns - self.staleness_ns
        seen = self._seen
        while len(seen) > 1 and seen[1][0] <= cutoff:
            seen.popleft()
        if not seen or seen[0][0] > cutoff:
            return None
        return seen[0][1]

    def _noisy(self, view: int) -> int:
        if self.config.signal_noise_bps == 0:
            return view
        if not self._noise:
            self._noise = self.ctx.rng.standard_normal(_NOISE_BLOCK).tolist()
        return view + int(round(self._noise.pop() * view * self.config.signal_noise_bps / 10_000))

    # -- quoting -----------------------------------------------------------------------------
    def _on_wake(self, m: Wake) -> None:
        if not self.active:
            return
        view = self.view_ticks()
        if view is not None:
            if self.config.policy == "stop_loss" and self._stop_loss_hit(view):
                self._switch_off()
                return
            self._requote(self._noisy(view))
        self.ctx.timer(self.requote_ns, _REQUOTE)

    def _requote(self, fair: int) -> None:
        c = self.config
        self.requotes += 1
        # rounded toward zero, so a long and a short of the same size skew by the same amount
        shift = bps_of(fair, c.skew_bps_at_limit) * abs(self.position_lots) // c.max_position_lots
        skew = -shift if self.position_lots > 0 else shift
        centre = fair + skew
        half, spacing = max(1, bps_of(fair, c.half_spread_bps)), max(1, bps_of(fair, c.level_spacing_bps))
        can_buy = self.position_lots < c.max_position_lots
        can_sell = self.position_lots > -c.max_position_lots
        for level in range(c.levels):
            self._place((Side.BUY, level), centre - half - level * spacing if can_buy else None)
            self._place((Side.SELL, level), centre + half + level * spacing if can_sell else None)

    def _place(self, slot: tuple[int, int], price: int | None) -> None:
        live = self._by_slot.get(slot)
        send = self.ctx.send
        if price is None or price <= 0:
            if live is not None:
                send(self.venue, CancelOrder(self.instrument, live[0]))
                self._forget(live[0])
            return
        size = self.config.size_lots
        if live is None:
            order_id = self.new_order_id()
            self._slots[order_id] = slot
            self._by_slot[slot] = (order_id, price, size)
            send(self.venue, NewOrder(self.instrument, order_id, slot[0], OrderType.LIMIT, price, size))
        elif live[1] != price or live[2] != size:
            self._by_slot[slot] = (live[0], price, size)
            send(self.venue, ReplaceOrder(self.instrument, live[0], price, size))

    def _forget(self, order_id: int) -> None:
        slot = self._slots.pop(order_id, None)
        if slot is not None and self._by_slot.get(slot, (None,))[0] == order_id:
            del self._by_slot[slot]

    def on_execution(self, m: Execution) -> None:
        notional = m.price_ticks * m.qty_lots * self.minor_per_tick_lot
        self.cash_minor += (-notional if m.side == Side.BUY else notional) - m.fee_minor
        slot = self._slots.get(m.order_id)
        if slot is None:
            return
        if m.leaves_lots == 0:
            self._forget(m.order_id)
        else:
            order_id, price, _ = self._by_slot[slot]
            self._by_slot[slot] = (order_id, price, m.leaves_lots)

    def _on_closed(self, m: OrderClosed) -> None:
        self._forget(m.order_id)

    def _on_rejected(self, m: OrderRejected) -> None:
        """Free the slot. A replace racing a fill finds the order gone (UNKNOWN_ORDER); any other
        rejected replace leaves the old quote on the book, so it is cancelled rather than orphaned."""
        if m.order_id not in self._slots:
            return
        self._forget(m.order_id)
        if m.code != Reject.UNKNOWN_ORDER:
            self.ctx.send(self.venue, CancelOrder(self.instrument, m.order_id))

    # -- the policy --------------------------------------------------------------------------
    def _stop_loss_hit(self, view: int) -> bool:
        """Loss over the rolling window, marked to its own view, beyond the threshold."""
        now = self.ctx.now_ns
        pnl = self.cash_minor + self.position_lots * view * self.minor_per_tick_lot
        marks = self._pnl_marks
        marks.append((now, pnl))
        window_ns = int(self.config.stop_loss_window_s * 1e9)
        while marks and marks[0][0] < now - window_ns:
            marks.popleft()
        peak = max(p for _, p in marks)
        return peak - pnl > self.stop_loss_minor

    def _switch_off(self) -> None:
        self.active = False
        self.stopped_at_ns = self.ctx.now_ns
        for order_id in list(self._slots):
            self.ctx.send(self.venue, CancelOrder(self.instrument, order_id))
        self._slots.clear()
        self._by_slot.clear()
