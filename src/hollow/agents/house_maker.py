"""The house market maker: quotes a ladder around a view of fair value that is seconds old.

Two slownesses are kept apart: its orders reach the venue fast (`order_entry_us`, a link latency),
but the price it quotes around is the reference price as it was `signal_staleness_ms` ago, plus
noise. Faster firms see the reference move first and take the quotes that are now wrong.

Left alone it re-posts the same stale levels at every requote until its view catches up, so one
jump is picked off about 1 + staleness / requote interval times. Two defences, off by default (and
then nothing is scheduled or drawn that was not before):
- `requote_on_move_bps`: requote as soon as its own (stale) view has moved that far from the view it
  last quoted around, checked when each observation becomes visible to it (seen + staleness);
- `learn_from_fills`: a fill on its bid says fair is below the price paid, one on its ask that it is
  above: until its view is newer than the fill, it quotes that side from no nearer than
  `fill_shift_bps` beyond the deepest price taken there, instead of re-posting the level just taken.
  Only the side that was hit moves back (the ladder widens), so the other side never becomes cheap.
"""

from __future__ import annotations

from collections import deque
from decimal import Decimal
from typing import Annotated, Literal, NamedTuple, Optional

from pydantic import Field

from hollow.agents.base import Agent, bps_of
from hollow.config import DelayMs, IntervalMs, IntervalS, LatencyUs, NonNegative, Positive, PositiveInt, Strict, UsdAmount
from hollow.market.book import OrderType, Reject, Side
from hollow.market.messages import (
    CancelOrder,
    Execution,
    LiquidationExecution,
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


class _ViewCheck(NamedTuple):
    """The house's own timer: an observation has just become old enough for its view."""


_VIEW_CHECK = _ViewCheck()


class HouseConfig(Strict):
    """The affiliated market maker: quotes a ladder around its own, stale view of fair value."""

    levels: Annotated[int, Field(ge=1, le=MAX_QUOTE_LEVELS)] = 5
    half_spread_bps: Positive = 2.0
    level_spacing_bps: Positive = 1.0
    size_lots: PositiveInt = 20
    skew_bps_at_limit: NonNegative = 5.0  # shift of the whole ladder when inventory is at max_position_lots
    max_position_lots: PositiveInt = 2_000
    requote_interval_ms: IntervalMs = 250.0
    signal_staleness_ms: DelayMs = 1_000.0  # age of the fair-value view when it requotes
    signal_noise_bps: NonNegative = 1.0
    order_entry_us: LatencyUs = 200.0  # the record says the house was a few ms FASTER than others
    feed_us: LatencyUs = 1_000.0
    policy: Literal["keep_quoting", "stop_loss"] = "keep_quoting"
    stop_loss_usd: Annotated[Decimal, Field(gt=0, decimal_places=6)] = Decimal(50_000)
    stop_loss_window_s: IntervalS = 600.0
    trailing_volume_usd: UsdAmount = Decimal("1e9")
    requote_on_move_bps: Optional[Positive] = None  # None: requote on the timer only
    learn_from_fills: bool = False
    fill_shift_bps: NonNegative = 2.0  # with learn_from_fills: fair this far beyond the deepest fill


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
        self._quoted_view: int | None = None  # the view (before noise) of the last requote
        self.move_requotes = 0  # requotes triggered by a move of the view, not by the timer
        # (arrival, bound) of each fill its view is not yet newer than: on its bid, bids centred at
        # most at the bound; on its ask, asks centred at least at it
        self._lessons: tuple[deque[tuple[int, int]], deque[tuple[int, int]]] = (deque(), deque())
        self.handle(ReferencePrice, self._on_reference if config.requote_on_move_bps is None else self._on_reference_watched)
        self.handle(Wake, self._on_wake)
        self.handle(_ViewCheck, self._on_view_check)
        self.handle(OrderClosed, self._on_closed)
        self.handle(OrderRejected, self._on_rejected)

    def start(self) -> None:
        self.reference = self.ctx.address_of(self.reference_name)
        self.ctx.send(self.reference, Subscribe(self.instrument))
        self.ctx.timer(self.requote_ns, _REQUOTE)

    # -- the view of fair value --------------------------------------------------------------
    def _on_reference(self, m: ReferencePrice) -> None:
        self._seen.append((self.ctx.now_ns, m.price_ticks))

    def _on_reference_watched(self, m: ReferencePrice) -> None:
        """With `requote_on_move_bps`: look again once this observation is `staleness` old."""
        self._seen.append((self.ctx.now_ns, m.price_ticks))
        self.ctx.timer(self.staleness_ns, _VIEW_CHECK)

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

    def learnt_bounds(self) -> tuple[int | None, int | None]:
        """(centre of its bids at most, centre of its asks at least) from its recent fills. A fill
        teaches until the view is newer than it (the view then holds the news), each on its own."""
        seen_by = self.ctx.now_ns - self.staleness_ns
        bids, asks = self._lessons
        for lessons in self._lessons:
            while lessons and lessons[0][0] <= seen_by:
                lessons.popleft()
        return (min(b for _, b in bids) if bids else None, max(b for _, b in asks) if asks else None)

    # -- quoting -----------------------------------------------------------------------------
    def _on_wake(self, m: Wake) -> None:
        if self._refresh():
            self.ctx.timer(self.requote_ns, _REQUOTE)

    def _on_view_check(self, m: _ViewCheck) -> None:
        view, quoted = self.view_ticks(), self._quoted_view
        if view is None or (quoted is not None and abs(view - quoted) * 10_000 <= quoted * self.config.requote_on_move_bps):
            return
        self.move_requotes += 1
        self._refresh()

    def _refresh(self) -> bool:
        """Requote around the current view (if any); False once the quoter is switched off."""
        if not self.active:
            return False
        view = self.view_ticks()
        if view is not None:
            if self.config.policy == "stop_loss" and self._stop_loss_hit(view):
                self._switch_off()
                return False
            self._quoted_view = view
            self._requote(self._noisy(view))
        return True

    def _requote(self, fair: int) -> None:
        c = self.config
        self.requotes += 1
        # rounded toward zero, so a long and a short of the same size skew by the same amount
        shift = bps_of(fair, c.skew_bps_at_limit) * abs(self.position_lots) // c.max_position_lots
        skew = -shift if self.position_lots > 0 else shift
        centre = bid_centre = ask_centre = fair + skew
        if self._lessons[0] or self._lessons[1]:
            ceiling, floor = self.learnt_bounds()
            bid_centre = centre if ceiling is None else min(centre, ceiling)
            ask_centre = centre if floor is None else max(centre, floor)
        half, spacing = max(1, bps_of(fair, c.half_spread_bps)), max(1, bps_of(fair, c.level_spacing_bps))
        can_buy = self.position_lots < c.max_position_lots
        can_sell = self.position_lots > -c.max_position_lots
        for level in range(c.levels):
            self._place((Side.BUY, level), bid_centre - half - level * spacing if can_buy else None)
            self._place((Side.SELL, level), ask_centre + half + level * spacing if can_sell else None)

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
        if self.config.learn_from_fills and m.is_maker:
            self._learn(m)
        slot = self._slots.get(m.order_id)
        if slot is None:
            return
        if m.leaves_lots == 0:
            self._forget(m.order_id)
        else:
            order_id, price, _ = self._by_slot[slot]
            self._by_slot[slot] = (order_id, price, m.leaves_lots)

    def _learn(self, m: Execution) -> None:
        """Hit on the bid at p: bids centred at most p - shift (the deepest such fill counts); lifted
        on the ask: asks centred at least p + shift."""
        shift = bps_of(m.price_ticks, self.config.fill_shift_bps)
        bound = m.price_ticks - shift if m.side == Side.BUY else m.price_ticks + shift
        self._lessons[m.side].append((self.ctx.now_ns, bound))

    def on_liquidation(self, m: LiquidationExecution) -> None:
        """A backstop takeover or ADL is the house's trade too: its stop-loss watches that cash as well."""
        self.cash_minor += (-m.notional_minor if m.side == Side.BUY else m.notional_minor) - m.fee_minor

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
