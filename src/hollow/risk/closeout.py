"""Auto-close (MF < ACMF) of every account of a pass at once, in numpy.

Sizes follow FTX [1]: each pass closes (1 - MF/ACMF) of a position, at least min($1000, position),
all of it when MF < 0; the account closes at its bankruptcy price, i.e. it gives up the same share
of its (quote) equity as of its notional, so its MF does not move. The closes of one pass are pooled
per instrument and side: backstops take what their room allows, shared pro rata to that room, the
accounts served in the pass's (random) order; the rest goes to ADL counterparties (`adl.allocate`:
each takes its pro-rata or ranked share of the pool). Accounts are matched to providers in order (a
north-west corner coupling), so every provider's total is exactly its share while an account deals
with one or two of them. Each piece carries its exact share of the account's equity: a third to the
fund, the rest a discount to the provider (FTX), or all to the fund (bitmex ADL); a deficit the fund
could not pay goes to ADL counterparties at the bankruptcy price.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from hollow.market.book import Side
from hollow.market.messages import LiquidationExecution
from hollow.risk import adl
from hollow.risk.batch import PassBatch
from hollow.risk.settlement import shares

if TYPE_CHECKING:
    from hollow.risk.liquidation import Liquidator


def couple(a: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """North-west corner coupling of two lists of sizes with equal totals: pieces (a index, c index,
    size), in order, each a's pieces contiguous."""
    ends = np.union1d(np.cumsum(a), np.cumsum(c))
    ends = ends[ends > 0]
    starts = np.concatenate([[0], ends[:-1]])
    return (np.searchsorted(np.cumsum(a), starts, side="right"), np.searchsorted(np.cumsum(c), starts, side="right"),
            (ends - starts).astype(np.int64))


def muldiv(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """floor(a * b / c) elementwise, exactly (Python ints where a * b could pass 2**62)."""
    a, b, c = (np.asarray(x, dtype=np.int64) for x in (a, b, c))
    if a.size == 0 or int(np.abs(a).max()) * int(np.abs(b).max()) < 2**62:
        return a * b // c
    return np.array([x * y // z for x, y, z in zip(a.tolist(), np.broadcast_to(b, a.shape).tolist(),
                                                   np.broadcast_to(c, a.shape).tolist())], dtype=np.int64)


def plan(liq: Liquidator, slots: list[int], close_all: list[bool], equity: list[int], weighted: list[int], acmf: list[int],
         i: int) -> tuple[np.ndarray, np.ndarray]:
    """Lots to close in instrument `i` and equity to give up with them, per account."""
    e, o = liq.engine, liq.orderly
    mc = e.mark_cash()
    rows = np.asarray(slots, dtype=np.int64)
    size = np.abs(e.table.lots[rows, i])
    gap = np.maximum(np.asarray(acmf, dtype=np.int64) - np.asarray(weighted, dtype=np.int64), 0)
    acmf_ = np.maximum(np.asarray(acmf, dtype=np.int64), 1)
    least = max(o.min_slice_lots, -((-o.min_order_minor) // int(mc[i])))
    qty = np.minimum(size, np.maximum(-muldiv(-size, gap, acmf_), least))
    qty = np.where(np.asarray(close_all, dtype=bool), size, qty)
    value = np.abs(e.table.lots[rows] * mc)  # notional per instrument
    held = value.sum(axis=1)
    eq = np.asarray(equity, dtype=np.int64)
    # the share of equity that goes with this close: by notional; a full close of a single position takes all of it
    loss = muldiv(eq, qty * mc[i], np.maximum(held, 1))
    whole = (qty == size) & (held == value[:, i])
    return qty, np.where(whole, eq, loss)


def close_group(liq: Liquidator, p: PassBatch, i: int, sign: int, slots: list[int], qty: np.ndarray, loss: np.ndarray) -> None:
    """Close `qty` lots of instrument `i` of each of `slots` (all long if sign > 0, else short)."""
    e = liq.engine
    mc = int(e.mark_cash()[i])
    q = qty
    in_group = set(slots)
    providers = [b for b in liq.backstops if b.slot not in in_group and not e.liquidating[b.slot]]
    rooms = [b.room_lots(b.committed(p.ts) // mc, e.room_lots(b.slot, i, sign), e.lots(b.slot, i), sign) for b in providers]
    eligible = np.where(loss >= 0, q, 0)
    backstop_total = min(int(eligible.sum()), sum(rooms))
    done = np.zeros(len(slots), dtype=np.int64)
    if backstop_total:
        takes = shares(backstop_total, rooms) if sum(rooms) > backstop_total else rooms
        by_account = np.clip(backstop_total - (np.cumsum(eligible) - eligible), 0, eligible)
        a, c, size = couple(by_account, np.asarray(takes, dtype=np.int64))
        _apply(liq, p, i, sign, "backstop", slots, qty, loss, done, a, [providers[k].slot for k in c.tolist()], size)
        for k, take in enumerate(takes):
            if take:
                providers[k].use(p.ts, take * mc)
    rest = q - done
    if rest.any():
        order = [c for c in p.opposing(i, sign) if not e.liquidating[c]] + [c for c in p.opposing(i, sign) if e.liquidating[c]]
        takes = adl.allocate(order, lambda c: abs(e.lots(c, i)) if c not in in_group else 0, int(rest.sum()), liq.mode)
        a, c, size = couple(rest, np.asarray([t for _, t in takes], dtype=np.int64))
        _apply(liq, p, i, sign, "adl", slots, qty, loss, done, a, [takes[k][0] for k in c.tolist()], size)


def _apply(liq: Liquidator, p: PassBatch, i: int, sign: int, step: str, slots: list[int], qty: np.ndarray,
           loss: np.ndarray, done: np.ndarray, a: np.ndarray, providers: list[int], size: np.ndarray) -> None:
    """Book one phase's pieces: positions and perp balances, the fund's third, log, messages."""
    e = liq.engine
    mc, mult = int(e.mark_cash()[i]), e.mult_of(i)
    # each piece's exact share of its account's loss: floor differences of the running total
    ends = np.cumsum(size)
    first = np.flatnonzero(np.concatenate([[True], a[1:] != a[:-1]]))
    block = np.cumsum(np.concatenate([[True], a[1:] != a[:-1]])) - 1
    x1 = done[a] + ends - (ends[first] - size[first])[block]
    x0 = x1 - size
    lk = np.asarray(loss, dtype=np.int64)[a]
    total = np.asarray(qty, dtype=np.int64)[a]
    part = np.sign(lk) * (muldiv(np.abs(lk), x1, total) - muldiv(np.abs(lk), x0, total))
    np.add.at(done, a, size)
    acc = np.asarray(slots, dtype=np.int64)[a]
    cp = np.asarray(providers, dtype=np.int64)
    third = step == "backstop" or liq.mode == "ftx"
    to_fund = np.where(part > 0, part // 3 if third else part, 0)
    discount = part - to_fund
    cash = size * mc - sign * discount
    buyer, seller = (cp, acc) if sign > 0 else (acc, cp)
    e.move_many(buyer, seller, size, cash, i)
    fund_start = p.fund()
    paying = np.flatnonzero(to_fund)
    if paying.size:
        p.fund_legs(acc[paying], to_fund[paying], f"liquidation:{step}")
    price = cash // (size * mult)
    names, cls = e.names, e.classes
    liq.log.extend({
        "ts_ns": [p.ts] * size.size, "account": [names[s] for s in acc.tolist()],
        "class": [cls[c] for c in e.cls_idx[acc].tolist()], "step": [step] * size.size, "qty_lots": size.tolist(),
        "price_ticks": price.tolist(), "amount_minor": (to_fund if step == "backstop" else -discount).tolist(),
        "counterparty": [names[s] for s in cp.tolist()], "fund_minor": (fund_start + np.cumsum(to_fund)).tolist(),
    })
    for who, side in ((acc, Side.SELL if sign > 0 else Side.BUY), (cp, Side.BUY if sign > 0 else Side.SELL)):
        slot, back = np.unique(who, return_inverse=True)
        lots, value = np.zeros(slot.size, dtype=np.int64), np.zeros(slot.size, dtype=np.int64)
        np.add.at(lots, back, size)
        np.add.at(value, back, cash)
        v = e.venue_instrument(i)
        for s, n, x in zip(slot.tolist(), lots.tolist(), value.tolist()):
            liq.notify(s, LiquidationExecution(v, side, x // (n * mult), n, x, 0, step))
        if who is cp:
            liq.takeovers.extend((s, i, sign * n, x if sign > 0 else -x) for s, n, x in zip(slot.tolist(), lots.tolist(), value.tolist()))
    p.closed_by.update(zip(acc.tolist(), [f"liquidation:{step}"] * acc.size))
