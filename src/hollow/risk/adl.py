"""Who takes what the backstops did not: auto-deleveraging counterparties, and socialised loss.

Two documented ways to pick ADL counterparties of a position being closed:

- `ftx`: users with the largest opposing positions, the top 10 first and more if needed, pro rata to
  their size (FTX help centre, "Liquidations" [1]).
- `bitmex`: a queue ranked by PnL% x effective leverage, profitable first (BitMEX [29]); PnL% is on
  the kept average entry (`PositionTable.entries`), not on a perp balance reset by each settlement.

Socialised loss falls on profitable accounts (open positions in profit against their average
entry), pro rata to that profit, never beyond it nor beyond what would take them below zero.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np

from hollow.risk.settlement import shares

if TYPE_CHECKING:
    from hollow.risk.margin import MarginEngine

FTX_GROUP = 10
ADL_MODES = ("ftx", "bitmex")


def opposing(engine: MarginEngine, i: int, sign: int, mode: str) -> list[int]:
    """Accounts holding the other side of a `sign` position in instrument `i`, in ADL order."""
    lots = engine.table.lots[: engine.n, i]
    slots = np.flatnonzero(lots * sign < 0)
    lid = engine.ledger_id[slots].tolist()
    if mode == "ftx":
        size = np.abs(lots[slots]).tolist()
        return [s for _, _, s in sorted(zip((-x for x in size), lid, slots.tolist()))]
    st = engine.state(slots)
    pnl = engine.position_pnl(slots)
    keys = []
    for s, p, equity, notional, entry, l in zip(slots.tolist(), pnl.tolist(), st.equity_minor.tolist(),
                                                 st.notional_minor.tolist(), np.abs(engine.entries()[slots, i]).tolist(), lid):
        entry = entry or notional
        if equity <= 0:
            key = (2, Fraction(0))
        elif p > 0:
            key = (0, -Fraction(p * notional, entry * equity))
        else:
            key = (1, -Fraction(p * equity, entry * notional))
        keys.append((key, l, s))
    return [s for _, _, s in sorted(keys)]


def allocate(order: list[int], size_of: Callable[[int], int], qty: int, mode: str) -> list[tuple[int, int]]:
    """Split `qty` lots over counterparties in ADL order, each at most its size now: `bitmex` takes
    them one after the other, `ftx` pro rata within each group of the ten largest."""
    out: list[tuple[int, int]] = []
    group = FTX_GROUP if mode == "ftx" else 1
    members: list[tuple[int, int]] = []
    for s in order + [-1]:  # -1 flushes the last group
        size = size_of(s) if s >= 0 else 0
        if size > 0:
            members.append((s, size))
        if members and (len(members) == group or s < 0):
            room = [x for _, x in members]
            take = shares(qty, room) if sum(room) > qty else room
            out.extend((c, q) for (c, _), q in zip(members, take) if q)
            qty -= sum(take)
            members = []
            if qty == 0:
                break
    return out


def socialised_shares(engine: MarginEngine, bankrupt: int, loss: int) -> list[tuple[int, int]]:
    """Charges covering up to `loss`: profitable accounts (other than `bankrupt`), pro rata to their
    open profit, each capped at that profit and at its equity."""
    n = engine.n
    rows = np.arange(n)
    profit = engine.position_pnl(rows)
    equity = engine.state().equity_minor
    cap = np.minimum(profit, equity)
    cap[bankrupt] = 0
    payers = np.flatnonzero(cap > 0)
    if not payers.size:
        return []
    caps, weights = cap[payers].tolist(), profit[payers].tolist()
    total = min(loss, sum(caps))
    # water-filling: accounts whose pro-rata share would pass their cap pay the cap, the rest pro rata
    order = sorted(range(len(caps)), key=lambda k: Fraction(caps[k], weights[k]))
    charge = [0] * len(caps)
    left, weight = total, sum(weights)
    while order and left * weights[order[0]] >= caps[order[0]] * weight:
        k = order.pop(0)
        charge[k] = caps[k]
        left, weight = left - caps[k], weight - weights[k]
    for k, c in zip(order, shares(left, [weights[k] for k in order])):
        charge[k] = c
    return [(s, c) for s, c in zip(payers.tolist(), charge) if c]
