"""What the house lost, by bucket, up to a day: the headline of a run and of `hollow compare`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hollow.money import asset as lookup_asset
from hollow.world.books import LONGS
from hollow.world.market import HOUSE_BUCKETS

if TYPE_CHECKING:
    from hollow.world.timeline import WorldResult


def house_losses(result: WorldResult, prices: dict[str, int]) -> dict[str, int]:
    """What the house lost by bucket so far, valued at `prices` (the collapse day's), positive = a loss:
    trading by session bucket, longs at that day's prices, ventures and insider loans beyond what a
    fire sale would recover, expenses, interest to lenders."""
    h, b = result.house, result.books
    out = {f"trading_{k}": -result.trading[k] for k in HOUSE_BUCKETS}
    held = sum(b.balance(LONGS, c) * prices.get(c, 0) // lookup_asset(c).scale for c in h.long_cost)
    out["longs"] = sum(h.long_cost.values()) - sum(h.long_proceeds.values()) - held
    ids = {bucket: {k for k, bk in h.items() if bk == bucket} for bucket in ("venture", "insider_loan", "expense")}
    spent = {bucket: sum(h.spent.get(k, 0) for k in keys) for bucket, keys in ids.items()}
    out["ventures"] = spent["venture"] - h.recoverable["venture"]
    out["insider_loans"] = spent["insider_loan"] - h.recoverable["insider_loan"]
    out["expenses"] = spent["expense"]
    out["lender_interest"] = sum(s.interest for s in result.lending.lenders)
    out["total"] = sum(out.values())
    return out
