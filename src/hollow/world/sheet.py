"""The figures of `ledger.BalanceSheet` the daily table needs, computed over whole columns at once.

`BalanceSheet.at` adds balances account by account in Python, which over 10,000 depositors and 1,300
days was most of a run's time. This computes the same numbers, by the same rules (each asset's units
summed exactly, then valued once and floored; haircuts and fire-sale cuts of each asset's custody
surplus rounded up), with numpy sums that are exact: a column is summed in int64 only when its size
times its largest magnitude cannot wrap, else in Python ints. `tests/world/test_sheet.py` holds it
equal to `BalanceSheet.at` on every day of a run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hollow.ledger import HOUSE_RECEIVABLE
from hollow.ledger.journal import AccountKind
from hollow.money import PPM
from hollow.money import asset as lookup_asset
from hollow.world.books import Books

INT64_SAFE = 2**63 - 1


def exact_sum(values: np.ndarray) -> int:
    """The exact sum of an int64 array (no silent wrap-around)."""
    if values.size == 0:
        return 0
    if int(np.abs(values).max()) * values.size <= INT64_SAFE:
        return int(values.sum())
    return sum(values.tolist())


@dataclass(frozen=True)
class _Masks:
    custody: np.ndarray
    customer: np.ndarray
    house_claims: np.ndarray
    routed: int | None


def _masks(books: Books) -> _Masks:
    n = books.journal.n_accounts
    cached = books.cache.get("sheet_masks")
    if cached is not None and len(cached.custody) == n:
        return cached
    accounts = books.journal.accounts()
    kinds = np.array([a.kind.value for a in accounts])
    claim = np.array([a.claim for a in accounts], dtype=bool)
    j = books.journal
    masks = _Masks(kinds == AccountKind.CUSTODY.value, kinds == AccountKind.CUSTOMER.value,
                   (kinds == AccountKind.HOUSE.value) & claim,
                   j.account_id(HOUSE_RECEIVABLE) if j.has_account(HOUSE_RECEIVABLE) else None)
    books.cache["sheet_masks"] = masks
    return masks


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def sheet(books: Books, prices: dict[str, int], weights_ppm: dict[str, int], fire_minor: dict[str, int]) -> dict[str, int]:
    """custody_assets, liquid_custody, customer_liabilities, customer_money_at_house, routed_to_house,
    house_exchange, exchange_equity, hole, hole_at_weights, custody_at_fire_sale, hole_at_fire_sale and
    the USD shortfall, as `BalanceSheet.at` defines them (USD minor units)."""
    j, m = books.journal, _masks(books)
    bal = j.balance_matrix()
    out = dict.fromkeys(("custody_assets", "liquid_custody", "customer_liabilities", "customer_money_at_house",
                         "routed_to_house", "house_exchange", "receivables", "house_claims"), 0)
    cut_weights = cut_fire = usd_shortfall = 0
    for k, code in enumerate(j.assets):
        col = bal[:, k]
        if not col.any():
            continue
        a = lookup_asset(code)
        price, scale = prices[code], a.scale
        cust, house = col[m.customer], col[m.house_claims]
        units = {
            "custody": exact_sum(col[m.custody]),
            "liabilities": exact_sum(cust[cust > 0]),
            "customer_neg": -exact_sum(cust[cust < 0]),
            "house_neg": -exact_sum(house[house < 0]),
            "house_pos": exact_sum(house[house > 0]),
            "house_all": exact_sum(house),
            "routed": 0 if m.routed is None else int(col[m.routed]),
        }

        def value(x: int, price: int = price, scale: int = scale) -> int:
            return x * price // scale

        custody = value(units["custody"])
        out["custody_assets"] += custody
        out["liquid_custody"] += custody if a.liquid else 0
        out["customer_liabilities"] += value(units["liabilities"])
        out["customer_money_at_house"] += value(units["house_neg"] + units["routed"])
        out["routed_to_house"] += value(units["routed"])
        out["house_exchange"] += value(units["house_all"])
        out["house_claims"] += value(units["house_pos"])
        out["receivables"] += value(units["customer_neg"]) + value(units["house_neg"]) + value(units["routed"])
        surplus = max(0, units["custody"] - units["liabilities"])
        cut_weights += _ceil_div(surplus * price * (PPM - weights_ppm.get(code, PPM)), scale * PPM)
        cut_fire += _ceil_div(surplus * (price - fire_minor.get(code, price)), scale)
        if code == "USD":
            usd_shortfall = value(max(0, units["liabilities"] - units["custody"]))
    custody, owed = out["custody_assets"], out["customer_liabilities"]
    out.update(
        exchange_equity=custody + out.pop("receivables") - owed - out.pop("house_claims"),
        hole=max(0, owed - custody),
        hole_at_weights=max(0, owed - custody + cut_weights),
        custody_at_fire_sale=custody - cut_fire,
        hole_at_fire_sale=max(0, owed - custody + cut_fire),
        usd_shortfall=usd_shortfall,
    )
    return out
