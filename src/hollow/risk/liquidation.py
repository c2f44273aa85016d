"""The liquidation waterfall (FTX tiers, BitMEX ADL) and the risk process that runs it every interval.

For an account below maintenance margin (`liquidation_exempt` accounts are skipped and reported):

1. `cancel`: its resting orders are cancelled (no posting; a row in the log).
2. `market`: while MF is above the auto-close fraction, one IOC slice per pass is sent through the
   real book inside a band around the mark; the account's PnL is then realised.
3. `backstop`: below ACMF (or when the book took nothing), backstop providers take the position,
   within their per-minute and per-hour capacity, in their configured order. The account closes at
   its bankruptcy price ZP (its equity becomes exactly zero); the provider pays 2/3 ZP + 1/3 mark,
   so a third of the remaining equity goes to the insurance fund.
4. `insurance`: when equity is negative the provider takes the position at the mark and the fund
   pays the gap; the provider takes only as much as the fund can cover.
5. `adl`: what no provider took closes at ZP against opposite positions ranked as BitMEX
   (PnL% x effective leverage, profitable first; ties by ledger account id).
6. `socialized`: a flat account's debt that the fund cannot pay is charged to every other account
   with a positive quote balance, pro rata.

`amount_minor` in the log: market, the PnL realised; backstop, paid into the fund; insurance, paid
by the fund; adl, the deficit the counterparty absorbed (negative: equity it received); socialized,
charged to the counterparty. Every cash amount is split exactly: the last portion takes the remainder.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import pyarrow as pa

from hollow.market.book import OrderType, Side
from hollow.market.kernel import Context
from hollow.market.messages import (
    NewOrder,
    OrderClosed,
    ReferencePrice,
    Subscribe,
    Wake,
)
from hollow.market.venue import _ID_BITS, Venue
from hollow.money import PPM
from hollow.risk.funding import PremiumTwap, allocate_funding
from hollow.risk.margin import MarginEngine, median_mark

LIQUIDATION_COLUMNS = ("ts_ns", "account", "class", "step", "qty_lots", "price_ticks", "amount_minor", "counterparty")
_LIQUIDATOR_ORDER_IDS = 1 << 39  # above any id an agent gives its own orders
_MINUTE_NS, _HOUR_NS = 60 * 10**9, 3600 * 10**9


class MarginVenue(Venue):
    """A venue that remembers each agent's resting orders, so the liquidator can cancel them."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._resting: dict[int, set[tuple[int, int]]] = {}

    def on_message(self, sender: int, message: Any) -> None:
        if type(message) is NewOrder and message.order_type in (OrderType.LIMIT, OrderType.POST_ONLY):
            self._resting.setdefault(sender, set()).add((message.instrument, message.order_id))
        super().on_message(sender, message)

    def cancel_all(self, agent: int) -> int:
        """Cancel every resting order of `agent` (telling it so); returns the lots cancelled."""
        lots = 0
        for instrument, order_id in sorted(self._resting.pop(agent, ())):
            global_id = (agent << _ID_BITS) | order_id
            found = self.books[instrument].order(global_id)
            if found is None:
                continue
            self.books[instrument].cancel(global_id)
            lots += found[3]
            self.ctx.send(agent, OrderClosed(instrument, order_id, found[3]))
        return lots


@dataclass
class Backstop:
    """A backstop liquidity provider and its rolling capacity in quote minor units of notional."""

    slot: int
    name: str
    per_minute_minor: int
    per_hour_minor: int
    _used: deque[tuple[int, int]] = field(default_factory=deque)

    def room(self, ts_ns: int) -> int:
        while self._used and self._used[0][0] <= ts_ns - _HOUR_NS:
            self._used.popleft()
        hour = sum(n for _, n in self._used)
        minute = sum(n for t, n in self._used if t > ts_ns - _MINUTE_NS)
        return max(0, min(self.per_minute_minor - minute, self.per_hour_minor - hour))

    def use(self, ts_ns: int, notional_minor: int) -> None:
        self._used.append((ts_ns, notional_minor))


@dataclass(frozen=True, slots=True)
class OrderlyParams:
    """Orderly liquidation: slice of the position per pass, smallest slice, price band around mark."""

    slice_ppm: int = 100_000
    min_slice_lots: int = 1
    band_ppm: int = 500


class LiquidationLog:
    """One row per waterfall step event, columnar."""

    def __init__(self) -> None:
        self.columns: dict[str, list] = {c: [] for c in LIQUIDATION_COLUMNS}

    def add(self, ts_ns: int, account: str, cls: str, step: str, qty_lots: int, price_ticks: int, amount_minor: int, counterparty: str) -> None:
        for c, v in zip(LIQUIDATION_COLUMNS, (ts_ns, account, cls, step, qty_lots, price_ticks, amount_minor, counterparty)):
            self.columns[c].append(v)

    def __len__(self) -> int:
        return len(self.columns["ts_ns"])

    def to_arrow(self) -> pa.Table:
        types = {"account": pa.string(), "class": pa.string(), "step": pa.string(), "counterparty": pa.string()}
        return pa.table({c: pa.array(v, types.get(c, pa.int64())) for c, v in self.columns.items()})


class Liquidator:
    """Runs the waterfall over every account below maintenance, in slot order (never by chance)."""

    def __init__(
        self,
        engine: MarginEngine,
        venue: MarginVenue,
        insurance_fund: int,
        backstops: Sequence[Backstop] = (),
        orderly: OrderlyParams = OrderlyParams(),
        instrument: int = 0,
    ) -> None:
        self.engine = engine
        self.venue = venue
        self.fund = insurance_fund
        self.fund_name = engine.journal.account(insurance_fund).name
        self.backstops = list(backstops)
        self.orderly = orderly
        self.instrument = instrument
        self.log = LiquidationLog()
        self.liquidated: set[int] = set()
        self.exempt_skipped: set[int] = set()
        self.takeovers: list[tuple[int, int, int]] = []  # (backstop slot, signed lots, cash paid)
        self._next_order_id = _LIQUIDATOR_ORDER_IDS
        self._adl_rank: dict[int, list[int]] = {}

    # -- the pass ---------------------------------------------------------------------------
    def run(self, ts_ns: int) -> None:
        e = self.engine
        st = e.state()
        below = st.below_maintenance | ((st.notional_minor == 0) & (st.weighted_equity_minor < 0))
        e.liquidating &= below
        self._adl_rank = {}
        for s in np.flatnonzero(below).tolist():
            if e.exempt[s]:
                if s not in self.exempt_skipped:
                    self.exempt_skipped.add(s)
                    self._row(ts_ns, s, "exempt", int(e.position_lots[s]), e.mark_ticks, int(st.equity_minor[s]), "")
                continue
            self._liquidate(ts_ns, s)
        e.flush_fees(ts_ns)

    def _row(self, ts_ns: int, s: int, step: str, qty: int, price: int, amount: int, counterparty: str) -> None:
        self.log.add(ts_ns, self.engine.name(s), self.engine.cls[s], step, qty, price, amount, counterparty)

    def _liquidate(self, ts_ns: int, s: int) -> None:
        e = self.engine
        if not e.liquidating[s]:
            e.liquidating[s] = True
            self.liquidated.add(s)
            self._row(ts_ns, s, "cancel", self.venue.cancel_all(e.address[s]), 0, 0, "")
        if e.position_lots[s] == 0:
            self._cover_debt(ts_ns, s)
            return
        one = e.state(np.array([s]))
        if one.weighted_equity_minor[0] >= one.mmf_minor[0]:
            e.liquidating[s] = False  # recovered (e.g. deleveraged earlier in this pass)
            return
        if one.weighted_equity_minor[0] >= one.acmf_minor[0] and self._market_slice(ts_ns, s):
            return
        self._close_out(ts_ns, s)

    # -- step 2 -----------------------------------------------------------------------------
    def _market_slice(self, ts_ns: int, s: int) -> bool:
        """One IOC slice through the book as the account; False when nothing filled."""
        e, o = self.engine, self.orderly
        pos = int(e.position_lots[s])
        qty = min(abs(pos), max(o.min_slice_lots, abs(pos) * o.slice_ppm // PPM))
        side = Side.SELL if pos > 0 else Side.BUY
        band = e.mark_ticks * o.band_ppm // PPM
        limit = max(1, e.mark_ticks - band if side == Side.SELL else e.mark_ticks + band)
        fills_before = len(self.venue.fills)
        self._next_order_id += 1
        e.bypass = True
        try:
            self.venue.on_message(e.address[s], NewOrder(self.instrument, self._next_order_id, side, OrderType.IOC, limit, qty))
        finally:
            e.bypass = False
        filled = abs(pos - int(e.position_lots[s]))
        if filled == 0:
            return False
        notional = sum(self.venue.fills.columns["notional_minor"][fills_before:])
        paid = e.realise(ts_ns, np.array([s]), np.array([e.unrealised_minor(s)]), "liquidation:market")
        self._row(ts_ns, s, "market", filled, notional // (filled * e.mult), int(paid[0]), "book")
        return True

    # -- steps 3 to 5 -----------------------------------------------------------------------
    def _close_out(self, ts_ns: int, s: int) -> None:
        """Close the whole position at the bankruptcy price: backstops (with the fund), then ADL."""
        e = self.engine
        pos = int(e.position_lots[s])
        sign = 1 if pos > 0 else -1
        mark_cash = e.mark_ticks * e.mult
        rem_q, rem_x = abs(pos), -(e.quote_balance(s) + int(e.basis_minor[s]))  # cash for all of it at ZP
        zp_ticks = int(Fraction(rem_x, pos * e.mult)) if rem_x * sign > 0 else 0
        final_cause = "liquidation:adl"
        for b in self.backstops:
            if rem_q == 0:
                break
            if b.slot == s:
                continue
            q = min(rem_q, b.room(ts_ns) // mark_cash)
            fund = e.journal.balance(self.fund, e.quote)
            while q > 0:
                x_q = rem_x * q // rem_q
                equity_q = sign * q * mark_cash - x_q
                if equity_q >= 0 or -equity_q <= fund:
                    break
                q = min(q - 1, q * fund // -equity_q)
            if q <= 0:
                continue
            to_fund = equity_q // 3 if equity_q >= 0 else equity_q
            paid = x_q + to_fund  # what the provider pays (signed as the account's cash)
            if sign > 0:
                e.transfer(b.slot, s, q, paid, x_q)
            else:
                e.transfer(s, b.slot, q, -x_q, -paid)
            if to_fund:
                src, dst = (e.clearing, self.fund) if to_fund > 0 else (self.fund, e.clearing)
                cause = "liquidation:backstop" if to_fund > 0 else "liquidation:insurance"
                e.journal.post(ts_ns, src, dst, e.quote, abs(to_fund), cause, e.cls[s], int(e.ledger_id[s]))
            b.use(ts_ns, q * mark_cash)
            self.takeovers.append((b.slot, sign * q, paid))
            self._row(ts_ns, s, "backstop", q, abs(paid) // (q * e.mult), max(to_fund, 0), b.name)
            if to_fund < 0:
                self._row(ts_ns, s, "insurance", q, zp_ticks, -to_fund, self.fund_name)
            rem_q, rem_x = rem_q - q, rem_x - x_q
            final_cause = "liquidation:backstop"
        for c in self._adl_order(s, sign):
            if rem_q == 0:
                break
            cq = min(rem_q, abs(int(e.position_lots[c])))
            if cq == 0 or int(e.position_lots[c]) * sign > 0:
                continue
            x_q = rem_x * cq // rem_q
            if sign > 0:
                e.transfer(c, s, cq, x_q, x_q)
            else:
                e.transfer(s, c, cq, -x_q, -x_q)
            e.realise(ts_ns, np.array([c]), np.array([e.unrealised_minor(c)]), "liquidation:adl")
            self._row(ts_ns, s, "adl", cq, zp_ticks, x_q - sign * cq * mark_cash, e.name(c))
            rem_q, rem_x = rem_q - cq, rem_x - x_q
        e.realise(ts_ns, np.array([s]), np.array([int(e.basis_minor[s])]), final_cause)

    def _adl_order(self, s: int, sign: int) -> list[int]:
        """Opposite positions, most profitable x most leveraged first (BitMEX); cached per pass."""
        if sign not in self._adl_rank:
            e = self.engine
            opposite = np.flatnonzero(e.position_lots * sign < 0)
            quote = e.journal.balances(e.quote)[e.ledger_id[opposite]]
            keys = []
            for c, q in zip(opposite.tolist(), quote.tolist()):
                upnl = e.unrealised_minor(c)
                equity = q + upnl
                notional = abs(int(e.position_lots[c])) * e.mark_ticks * e.mult
                entry = abs(int(e.basis_minor[c])) or notional
                if equity <= 0:
                    key = (2, Fraction(0))
                elif upnl > 0:
                    key = (0, -Fraction(upnl * notional, entry * equity))
                else:
                    key = (1, -Fraction(upnl * equity, entry * notional))
                keys.append((key, int(e.ledger_id[c]), c))
            self._adl_rank[sign] = [c for _, _, c in sorted(keys)]
        return [c for c in self._adl_rank[sign] if c != s]

    # -- step 4 and 6 for a flat account in debt --------------------------------------------
    def _cover_debt(self, ts_ns: int, s: int) -> None:
        e = self.engine
        e.realise(ts_ns, np.array([s]), np.array([int(e.basis_minor[s])]), "liquidation:insurance")
        debt = -int(e.basis_minor[s])
        if debt <= 0:
            return
        covered = min(debt, e.journal.balance(self.fund, e.quote))
        if covered:
            e.journal.post(ts_ns, self.fund, e.clearing, e.quote, covered, "liquidation:insurance", e.cls[s], int(e.ledger_id[s]))
            e.basis_minor[s] += covered
            self._row(ts_ns, s, "insurance", 0, 0, covered, self.fund_name)
        rest = debt - covered
        if rest:
            self._socialize(ts_ns, s, rest)

    def _socialize(self, ts_ns: int, s: int, loss: int) -> None:
        """Charge a loss to every other account with a positive quote balance, pro rata, exactly."""
        e = self.engine
        balances = e.journal.balances(e.quote)[e.ledger_id]
        balances[s] = 0
        payers = np.flatnonzero(balances > 0).tolist()
        pool = sum(int(balances[p]) for p in payers)
        loss = min(loss, pool)
        shares = [(loss * int(balances[p]), p) for p in payers]
        charge = {p: scaled // pool for scaled, p in shares}
        for _, p in sorted(shares, key=lambda sp: (-(sp[0] % pool), int(e.ledger_id[sp[1]])))[: loss - sum(charge.values())]:
            charge[p] += 1
        legs = [
            (ts_ns, int(e.ledger_id[p]), e.clearing, e.quote, amount, "liquidation:socialized", e.cls[p], int(e.ledger_id[s]))
            for p, amount in charge.items() if amount
        ]
        e.journal.post_all(legs)
        e.basis_minor[s] += loss
        for p, amount in charge.items():
            if amount:
                self._row(ts_ns, s, "socialized", 0, 0, amount, e.name(p))


class RiskEngine:
    """The exchange's risk process: every interval it marks the book against the index (the reference
    price it subscribes to), samples the funding premium, pays funding and settles PnL when due, and
    runs the liquidator."""

    def __init__(
        self,
        name: str,
        liquidator: Liquidator,
        reference: str,
        *,
        interval_ns: int,
        funding_interval_ns: int,
    ) -> None:
        self.name = name
        self.liquidator = liquidator
        self.engine = liquidator.engine
        self.book = liquidator.venue.books[liquidator.instrument]
        self.reference_name = reference
        self.interval_ns = interval_ns
        self.funding_interval_ns = funding_interval_ns
        self.twap = PremiumTwap(periods_per_day=86_400 * 10**9 // funding_interval_ns)
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
            self.engine.index_ticks = message.price_ticks
        elif message is _START:
            self.ctx.send(self.ctx.address_of(self.reference_name), Subscribe(self.liquidator.instrument))
            self.ctx.timer(self.interval_ns, _PASS)
        elif message is _PASS:
            self.risk_pass(self.ctx.now_ns)
            self.ctx.timer(self.interval_ns, _PASS)

    def risk_pass(self, ts_ns: int) -> None:
        e = self.engine
        e.flush_fees(ts_ns)
        e.mark_ticks = median_mark(self.book, e.index_ticks)
        self.twap.sample(e.mark_ticks, e.index_ticks)
        if ts_ns >= self._next_funding_ns:
            self._next_funding_ns += self.funding_interval_ns
            self.pay_funding(ts_ns)
        self.liquidator.run(ts_ns)
        self.passes += 1

    def pay_funding(self, ts_ns: int) -> None:
        """Funding for the interval, then variation margin for everyone at the mark."""
        e = self.engine
        amounts = allocate_funding(e.position_lots, e.index_ticks, e.mult, self.twap.take_rate(e.index_ticks))
        slots = np.flatnonzero(amounts)
        if slots.size:
            e.pay(ts_ns, slots, amounts[slots], "funding")
            self.funding_paid_minor += int(amounts[amounts > 0].sum())
            self.funding_events += 1
        e.settle_all(ts_ns)


_START, _PASS = Wake("risk-start"), Wake("risk-pass")
