"""The daily balance-sheet row, read from the journal (the figures of `ledger.BalanceSheet`, by
`world.sheet`).

Three valuations of what custody holds against what customers are owed: at market (`hole_minor`), with
the token's surplus at its collateral weight after FTX's size haircut (`hole_at_weights_minor`), and
at fire-sale prices (`hole_at_fire_sale_minor`, the honest one). The group's honest position adds the
house's off-exchange books at fire-sale values (tokens at the fire-sale price, ventures and insider
notes at their recovery, longs at market) less what it owes lenders: customers cannot be made whole,
even by selling everything the house has, once `group_shortfall_minor` is above zero.
"""

from __future__ import annotations

import datetime as dt

from hollow.ledger import HOUSE_PAYABLE
from hollow.money import PPM
from hollow.money import asset as lookup_asset
from hollow.world.books import INSIDER_LOANS, TOKEN_TREASURY, VENTURES, Books
from hollow.world.sheet import sheet as read_sheet


def honest_prices(prices: dict[str, int], token_code: str, token_fire_minor: int, recovery_ppm: dict[str, int]) -> dict[str, int]:
    out = dict(prices)
    out[token_code] = token_fire_minor
    for code, ppm in recovery_ppm.items():
        out[code] = prices[code] * ppm // PPM
    return out


def house_books(books: Books) -> list[tuple[int, str]]:
    """(id, name) of the house's off-exchange books, intra-group payable left out."""
    n = books.journal.n_accounts
    if books.cache.get("house_books_n") != n:
        books.cache["house_books"] = [(a.id, a.name) for a in books.journal.accounts()
                                      if a.kind.value == "house" and not a.claim and a.name != HOUSE_PAYABLE]
        books.cache["house_books_n"] = n
    return books.cache["house_books"]


def sheet_row(books: Books, day: dt.date, prices: dict[str, int], token_code: str, token_weight_ppm: int,
              token_fire_minor: int, recovery_ppm: dict[str, int]) -> dict:
    """One day's figures in USD minor units (the daily table's balance columns)."""
    j = books.journal
    sheet = read_sheet(books, prices, {token_code: token_weight_ppm}, {token_code: token_fire_minor})
    honest = honest_prices(prices, token_code, token_fire_minor, recovery_ppm)
    bal = j.balance_matrix()

    def value(row: int) -> int:
        return sum(int(bal[row, k]) * honest[c] // lookup_asset(c).scale for k, c in enumerate(j.assets) if bal[row, k])

    house_honest = lenders = 0
    for row, name in house_books(books):
        if name.startswith("house:loan:"):
            lenders -= value(row)
        else:
            house_honest += value(row)
    treasury = value(books.id(TOKEN_TREASURY))
    liabilities = sheet["customer_liabilities"]
    coverage = None if liabilities == 0 else sheet["liquid_custody"] * PPM // liabilities
    group = liabilities + lenders - sheet["custody_at_fire_sale"] - house_honest - treasury
    return {
        "custody_minor": sheet["custody_assets"],
        "liquid_custody_minor": sheet["liquid_custody"],
        "customer_liabilities_minor": liabilities,
        "house_borrowed_minor": sheet["customer_money_at_house"],
        "routed_to_house_minor": sheet["routed_to_house"],
        "house_exchange_minor": sheet["house_exchange"],
        "hole_minor": sheet["hole"],
        "hole_at_weights_minor": sheet["hole_at_weights"],
        "hole_at_fire_sale_minor": sheet["hole_at_fire_sale"],
        "usd_shortfall_minor": sheet["usd_shortfall"],
        "liquid_coverage_ppm": coverage,
        "exchange_equity_minor": sheet["exchange_equity"],
        "house_assets_honest_minor": house_honest,
        "house_ventures_at_cost_minor": j.balance(books.id(VENTURES), "VENTURE"),
        "house_insider_loans_minor": j.balance(books.id(INSIDER_LOANS), "NOTE"),
        "lenders_owed_minor": lenders,
        "group_shortfall_minor": max(0, group),
    }
