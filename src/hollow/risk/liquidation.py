"""The liquidation waterfall (FTX tiers [1][6], the common pattern of reference section 2.4).

For an account below maintenance margin (`liquidation_exempt` accounts are skipped and reported):

1. `cancel`: its resting orders are cancelled (no posting; a row in the log).
2. `market` (MMF > MF >= ACMF): orderly IOC slices through the book, on FTX's cadence (`OrderlyParams`).
3. MF < ACMF: auto-close (1 - MF/ACMF) of the position each pass (all of it when MF < 0). Accounts
   with equity left are closed first, then those in deficit, so the fund has this pass's inflows:
   - `collateral` (the rule for non-quote collateral, after reference 1.3's automatic conversion
     and 2.4's order): if the account's quote equity is negative, its collateral is sold for quote
     at the haircut price (price x total weight with the size haircut: what the margin check
     counted it for), to the insurance fund first, then to the backstops, as far as each has quote;
     the proceeds count against the deficit, so the fund and ADL only see what is left;
   - `insurance`: the fund pays what is still negative, before anyone else is asked;
   - `seized`: collateral nobody could pay for goes to the fund for nothing once the fund is empty
     (it leaves the bankrupt account; no quote came of it, so the quote deficit passes on);
   - `backstop`: providers take the position, pro rata to what each can take now (its committed
     minimum, or more as its initial margin and own position limit allow). The account closes at
     its bankruptcy price ZP (it gives up its equity share); the provider pays 2/3 ZP + 1/3 mark,
     so a third of that equity goes to the fund. Providers never take a deficit the fund left;
   - `adl`: the rest closes against opposite positions (`adl.py`): with positive equity at
     2/3 ZP + 1/3 mark (ftx; a third to the fund) or at the mark (bitmex; the equity to the fund),
     so no counterparty is handed the equity; a deficit left after the fund, at ZP.
   An account's PnL is realised once its position is gone; counterparties' at the next settlement.
4. A flat account in debt: collateral, insurance, then `socialized` on profitable accounts; what
   nobody can cover is logged as `bad_debt` (the clearing account carries it: a hole).

The pass records its postings and realisations and commits them in two batches at its end, in
order, so the fund is never below zero and every class pair is labelled in one go (`settlement.py`).
`amount_minor` in the log: market, the PnL realised; collateral, the quote raised; insurance, paid
by the fund; backstop, paid into the fund; adl, the deficit the counterparty absorbed (negative:
the discount it got); seized, the collateral's haircut value; socialized, charged to the counterparty.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from hollow.market.book import OrderType, Side
from hollow.market.messages import LIQUIDATOR_ORDER_IDS, LiquidationExecution, NewOrder
from hollow.money import PPM
from hollow.risk import adl, closeout
from hollow.risk.backstop import Backstop, LiquidationLog, OrderlyParams
from hollow.risk.batch import PassBatch
from hollow.risk.margin import MarginEngine
from hollow.risk.orders import MarginVenue
from hollow.risk.risk_engine import RiskEngine

FTX_RULES = OrderlyParams()
__all__ = ["Backstop", "LiquidationLog", "Liquidator", "MarginVenue", "OrderlyParams", "RiskEngine"]


class Liquidator:
    """Runs the waterfall over every account below maintenance, in a random order drawn from `rng`."""

    def __init__(self, engine: MarginEngine, venue: MarginVenue, insurance_fund: int, backstops: Sequence[Backstop] = (),
                 orderly: OrderlyParams = FTX_RULES, *, mode: str = "ftx",
                 rng: np.random.Generator | None = None) -> None:
        if mode not in adl.ADL_MODES:
            raise ValueError(f"ADL mode {mode!r}: use one of {', '.join(adl.ADL_MODES)}")
        self.engine, self.venue, self.fund = engine, venue, insurance_fund
        self.fund_name = engine.journal.account(insurance_fund).name
        self.backstops = list(backstops)
        self.orderly, self.mode = orderly, mode
        self.rng = rng if rng is not None else np.random.default_rng(0)
        self.log = LiquidationLog()
        self.liquidated: set[int] = set()
        self.exempt_skipped: set[int] = set()
        self.takeovers: list[tuple[int, int, int, int]] = []  # (provider slot, instrument, signed lots, cash paid)
        self.fund_received_minor = 0  # the quote the insurance fund took in (a share of remaining equity)
        self.fund_paid_minor = 0  # the quote it paid out (deficits covered, collateral bought)
        self._bad_debt: dict[int, int] = {}
        self._next_order_id = LIQUIDATOR_ORDER_IDS

    # -- the pass -----------------------------------------------------------------------------
    def run(self, ts_ns: int) -> None:
        """One pass: orderly slices, then every auto-close at once, then flat accounts in debt."""
        e = self.engine
        e.flush_fees(ts_ns)
        st = e.state()
        below = st.below_maintenance | ((st.notional_minor == 0) & (st.weighted_equity_minor < 0))
        e.liquidating &= below
        slots = np.flatnonzero(below)
        if not slots.size:
            return
        p = PassBatch(self, ts_ns)
        o = self.orderly
        for mc in e.mark_cash().tolist():
            is_open = int(self.rng.integers(PPM)) < o.chance_ppm
            volume = o.daily_volume_minor
            p.budget.append(0 if not is_open else (None if volume is None else volume * o.budget_ppm // PPM // max(1, mc)))
        slots = slots[self.rng.permutation(slots.size)]
        exempt = e.exempt[slots]
        for s, equity in zip(slots[exempt].tolist(), st.equity_minor[slots[exempt]].tolist()):
            if s not in self.exempt_skipped:
                self.exempt_skipped.add(s)
                self._row(p, s, "exempt", e.lots(s), e.mark_ticks, equity, "")
        slots = slots[~exempt]
        for s in slots[~e.liquidating[slots]].tolist():
            e.liquidating[s] = True
            self.liquidated.add(s)
            self._row(p, s, "cancel", self.venue.cancel_all(e.address[s]), 0, 0, "")
        notional, weighted, acmf = st.notional_minor[slots], st.weighted_equity_minor[slots], st.acmf_minor[slots]
        for s in slots[(notional > 0) & (weighted >= acmf)].tolist():
            for i in range(len(e.instruments)):
                if e.lots(s, i) and p.budget[i] != 0:
                    self._market_slice(p, s, i)
        closing = (notional > 0) & (weighted < acmf)
        rows = slots[closing]
        self._auto_close(p, rows.tolist(), st.equity_minor[rows].tolist(), weighted[closing].tolist(), acmf[closing].tolist())
        flat = slots[notional == 0]
        for s, equity in zip(flat.tolist(), st.equity_minor[flat].tolist()):
            self._cover_debt(p, s, equity)
        p.commit()

    def _row(self, p: PassBatch, s: int, step: str, qty: int, price: int, amount: int, counterparty: str) -> None:
        e = self.engine
        self.log.add(p.ts, e.name(s), e.cls(s), step, qty, price, amount, counterparty, p.fund())

    def notify(self, s: int, message: LiquidationExecution) -> None:
        """Tell the account at slot `s` (through the venue's link to it)."""
        self.venue.ctx.send(self.engine.address[s], message)

    # -- step 2 -------------------------------------------------------------------------------
    def _market_slice(self, p: PassBatch, s: int, i: int) -> None:
        """One IOC slice through the book as the account (FTX's orderly sizes and prices)."""
        e, o = self.engine, self.orderly
        pos, mc, mult = e.lots(s, i), e.mark_cash()[i], e.mult_of(i)
        side = Side.SELL if pos > 0 else Side.BUY
        book = self.venue.books[e.venue_instrument(i)]
        best = book.best_bid() if side == Side.SELL else book.best_ask()
        if best is None:
            return  # nothing to sell into: wait for the next pass
        size = abs(pos)
        qty = max(-((-size * o.slice_ppm) // PPM), o.min_slice_lots, -((-o.min_order_minor) // int(mc)))
        if p.budget[i] is not None:
            qty = min(qty, p.budget[i])
        jitter = int(self.rng.integers(PPM - o.size_jitter_ppm, PPM + o.size_jitter_ppm + 1))
        qty = min(size, max(1, qty * jitter // PPM))
        through = int(self.rng.integers(o.min_through_ppm, o.band_ppm + 1))
        limit = max(1, best - best * through // PPM if side == Side.SELL else best + best * through // PPM)
        fills = len(self.venue.fills)
        self._next_order_id += 1
        e.bypass = True
        try:
            self.venue.on_message(e.address[s], NewOrder(e.venue_instrument(i), self._next_order_id, side, OrderType.IOC, limit, qty))
        finally:
            e.bypass = False
        filled = abs(pos - e.lots(s, i))
        if not filled:
            return
        cols = self.venue.fills.columns
        notional, fee = sum(cols["notional_minor"][fills:]), sum(cols["taker_fee_minor"][fills:])
        self.notify(s, LiquidationExecution(e.venue_instrument(i), side, notional // (filled * mult), filled, notional, fee, "market"))
        if p.budget[i] is not None:
            p.budget[i] -= filled
        upnl = e.unrealised_minor(s)
        room = int(e.collateral_book.payment_room(e.ledger_id[[s]], e.floor[[s]], e.credit_limit[[s]])[0])
        p.settle[s] = "liquidation:market"
        self._row(p, s, "market", filled, notional // (filled * mult), upnl if upnl >= 0 else -min(-upnl, room), "book")

    # -- step 3 -------------------------------------------------------------------------------
    def _auto_close(self, p: PassBatch, slots: list[int], equity: list[int], weighted: list[int], acmf: list[int]) -> None:
        """Accounts with equity left first (their share of it reaches the fund), then those in deficit:
        collateral, the fund (with what this pass brought it), and only then ADL. Closes are pooled."""
        solvent = [k for k, x in enumerate(equity) if x >= 0]
        bankrupt = [k for k, x in enumerate(equity) if x < 0]
        for group in (solvent, bankrupt):
            rows = [slots[k] for k in group]
            left = [self._cover(p, slots[k], equity[k]) for k in group]
            close_all = [weighted[k] < 0 or x < 0 for k, x in zip(group, left)]
            self._close_pooled(p, rows, close_all, left, [weighted[k] for k in group], [acmf[k] for k in group])
        e = self.engine
        flat = [s for s in p.closed_by if not e.table.lots[s].any()]
        p.settle.update((s, p.closed_by[s]) for s in flat)  # realised once its position is gone

    def _close_pooled(self, p: PassBatch, slots: list[int], close_all: list[bool], equity: list[int], weighted: list[int],
                      acmf: list[int]) -> None:
        e = self.engine
        if not slots:
            return
        for i in range(len(e.instruments)):
            lots = e.table.lots[np.asarray(slots, dtype=np.int64), i]
            for sign in (1, -1):
                pick = np.flatnonzero(lots * sign > 0).tolist()
                if pick:
                    group = [[v[k] for k in pick] for v in (slots, close_all, equity, weighted, acmf)]
                    qty, loss = closeout.plan(self, *group, i)
                    closeout.close_group(self, p, i, sign, group[0], qty, loss)

    # -- collateral, insurance, and the flat account in debt ------------------------------------
    def _cover(self, p: PassBatch, s: int, equity: int) -> int:
        """For an account in deficit: collateral sale, then the insurance fund, then seizure; returns
        the quote equity left."""
        if equity >= 0:
            return equity
        equity = self._sell_collateral(p, s, equity)
        cover = min(-equity, p.fund()) if equity < 0 else 0
        if cover:
            p.fund_leg(s, cover, "liquidation:insurance")
            equity += cover
            self._row(p, s, "insurance", 0, 0, cover, self.fund_name)
        if equity < 0:
            self._seize(p, s)
        return equity

    def _sell_collateral(self, p: PassBatch, s: int, equity: int) -> int:
        e = self.engine
        lid = int(e.ledger_id[s])
        buyers = [(self.fund, None)] + [(int(e.ledger_id[b.slot]), b.slot) for b in self.backstops if b.slot != s]
        for c in e.collateral.values():
            held = e.journal.balance(lid, c.code)
            if held <= 0 or equity >= 0:
                continue
            weight = c.weight(held)
            for buyer, slot in buyers:
                if slot is None:
                    cash = p.fund()
                else:
                    room = e.collateral_book.payment_room(e.ledger_id[[slot]], e.floor[[slot]], e.credit_limit[[slot]])
                    cash = int(room[0]) - p.spent.get(slot, 0)
                units = min(held, c.units_for(-equity, weight), c.units_worth(max(0, cash), weight))
                proceeds = c.proceeds(units, weight)
                if units <= 0 or proceeds <= 0:
                    continue
                name = e.journal.account(buyer)
                p.leg(lid, buyer, c.code, units, "liquidation:collateral", name.cls, lid)
                p.sold[(lid, c.code)] = p.sold.get((lid, c.code), 0) + units
                p.leg(buyer, lid, e.quote, proceeds, "liquidation:collateral", e.cls(s), lid)
                if slot is None:
                    p.fund_delta -= proceeds
                    self.fund_paid_minor += proceeds
                else:
                    p.spent[slot] = p.spent.get(slot, 0) + proceeds
                held, equity = held - units, equity + proceeds
                self._row(p, s, "collateral", units, 0, proceeds, name.name)
                if equity >= 0:
                    break
        return equity

    def _seize(self, p: PassBatch, s: int) -> None:
        e = self.engine
        lid = int(e.ledger_id[s])
        for c in e.collateral.values():
            left = e.journal.balance(lid, c.code) - p.sold.get((lid, c.code), 0)
            if left > 0:
                p.leg(lid, self.fund, c.code, left, "liquidation:seized", "exchange", lid)
                p.sold[(lid, c.code)] = p.sold.get((lid, c.code), 0) + left
                self._row(p, s, "seized", left, 0, c.weighted(left), self.fund_name)

    def _cover_debt(self, p: PassBatch, s: int, equity: int) -> None:
        e = self.engine
        equity = self._cover(p, s, equity)
        if equity < 0:
            for payer, amount in adl.socialised_shares(e, s, -equity):
                e.owe(payer, s, amount)
                charged = p.explicit.get(payer, ("liquidation:socialized", np.zeros(len(e.classes), dtype=np.int64)))[1]
                charged[int(e.cls_idx[s])] -= amount
                p.explicit[payer] = ("liquidation:socialized", charged)
                self._row(p, s, "socialized", 0, 0, amount, e.name(payer))
                equity += amount
        if equity < 0 and self._bad_debt.get(s) != -equity:
            self._bad_debt[s] = -equity
            self._row(p, s, "bad_debt", 0, 0, -equity, "")
        p.settle[s] = "liquidation:insurance"
