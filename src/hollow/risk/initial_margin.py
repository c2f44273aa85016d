"""Initial margin on a cross-margined account: what an order or a takeover may add.

FTX: you may increase a position only while the account's equity at initial weights covers
sum over perpetuals of open notional x IMF(open size) [4][5]; hedges across perpetuals do not offset.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hollow.money import PPM

if TYPE_CHECKING:
    from hollow.risk.margin import MarginEngine


def requirement(engine: MarginEngine, agent: int, s: int, i: int, open_lots_i: int) -> tuple[int, int]:
    """Initial margin (x 1e6) of every instrument's open size, instrument `i` at `open_lots_i`:
    (at base IMF, at size-dependent IMF)."""
    base = full = 0
    for j, p in enumerate(engine.params):
        if j == i:
            size = open_lots_i
        else:
            pos = int(engine.table.lots[s, j])
            buy, sell = engine.open_orders.lots(agent, engine.venue_instrument(j)) if engine.open_orders is not None else (0, 0)
            size = max(abs(pos + buy), abs(pos - sell))
        if size:
            notional = size * engine.marks[j] * engine.mults[j]
            base += notional * p.base_imf_ppm
            full += notional * p.imf_ppm_one(size * engine.lot_micro[j])
    return base, full


def room_lots(engine: MarginEngine, s: int, i: int, direction: int) -> int:
    """Most lots account `s` can take in `direction` (+1 buy, -1 sell) of instrument `i` and still
    meet initial margin on its positions (a reducing take needs none)."""
    pos = int(engine.table.lots[s, i])
    equity = engine.collateral_book.value(int(engine.ledger_id[s]), initial=True) + engine.unrealised_minor(s)
    budget = equity * PPM - _others(engine, s, i)
    lot_cash, p = engine.marks[i] * engine.mults[i], engine.params[i]

    def fits(q: int) -> bool:
        size = abs(pos + direction * q)
        return size <= abs(pos) or size * lot_cash * p.imf_ppm_one(size * engine.lot_micro[i]) <= budget

    reducing = abs(pos) if pos * direction < 0 else 0
    at_base = max(0, budget) // max(1, p.base_imf_ppm * lot_cash)  # most lots held at the base IMF
    lo, hi = reducing, max(reducing, at_base + reducing - (abs(pos) if not reducing else 0))
    if fits(hi):  # the size IMF does not bind
        return hi
    while lo < hi:  # the largest q that fits (fits(lo) always holds)
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if fits(mid) else (lo, mid - 1)
    return lo


def _others(engine: MarginEngine, s: int, i: int) -> int:
    """Initial margin (x 1e6) of the account's positions in the other instruments."""
    total = 0
    for j, p in enumerate(engine.params):
        size = abs(int(engine.table.lots[s, j]))
        if j != i and size:
            total += size * engine.marks[j] * engine.mults[j] * p.imf_ppm_one(size * engine.lot_micro[j])
    return total
