"""Solvency views read from the journal: the exchange's balance sheet and the hole in customer funds.

Every amount is in USD minor units (micro-dollars) unless its name ends in `_units`, which means
minor units of the asset itself. Valuation: for each asset, the balances are first added exactly in
minor units, then valued once as `units * price_minor // asset.scale` (floor), so rounding costs
less than one USD minor unit per asset and line. A debit (negative) claim balance is a receivable,
an asset of the exchange; it never reduces what is owed to other customers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from hollow.errors import LedgerError
from hollow.ledger.journal import AccountKind, Journal
from hollow.money import USD
from hollow.money import asset as lookup_asset


def _value(units: int, price_minor: int, scale: int) -> int:
    return units * price_minor // scale


@dataclass(frozen=True, slots=True)
class BalanceSheet:
    """The exchange's position at one moment, in USD minor units.

    - `custody_assets`: what the exchange's wallets hold, at market (`custody_by_asset` per asset,
      `custody_units` in native minor units); `liquid_custody` counts only `liquid_assets`.
    - `customer_liabilities`: sum of the positive balances of customer accounts (per account and
      asset), i.e. what customers could ask to withdraw.
    - `customer_receivables`, `house_receivables`, `receivables`: negative claim balances owed to
      the exchange by customers, by the house, and in all.
    - `house_claims`: positive balance of the house's exchange account (owed to the house).
    - `house_exchange`: the house's exchange account, signed (negative = customer money taken);
      `house_books`: its off-exchange books by account name; `house_position`: their sum.
    - `exchange_accounts`: the exchange's own claim accounts (fees, insurance fund), signed.
    - `exchange_equity` = custody_assets + receivables - customer_liabilities - house_claims
      (receivables at face value, so it includes the exchange's own fee and insurance accounts).
    - `hole` = max(0, customer_liabilities - custody_assets); `hole_liquid` the same against liquid
      custody only; `shortfall_units`: per asset, max(0, positive customer balances - custody), in
      units of the asset (invariant 2 of the reference, asset by asset).
    - `liquid_coverage` = liquid_custody / customer_liabilities (None when nothing is owed).
    """

    prices_minor: Mapping[str, int]
    custody_units: Mapping[str, int]
    custody_by_asset: Mapping[str, int]
    custody_assets: int
    liquid_custody: int
    customer_liabilities_units: Mapping[str, int]
    customer_liabilities_by_asset: Mapping[str, int]
    customer_liabilities: int
    customer_receivables: int
    house_receivables: int
    receivables: int
    house_claims: int
    house_exchange: int
    house_books: Mapping[str, int]
    house_position: int
    exchange_accounts: Mapping[str, int]
    exchange_equity: int
    liquid_coverage: Fraction | None
    hole: int
    hole_liquid: int
    shortfall_units: Mapping[str, int]

    @classmethod
    def at(
        cls,
        journal: Journal,
        prices_minor: Mapping[str, int],
        liquid_assets: set[str] | None = None,
        *,
        upto_seq: int | None = None,
    ) -> BalanceSheet:
        """Balance sheet of `journal` now (or after the postings with seq < `upto_seq`).

        `prices_minor[code]` is the USD minor units for ONE WHOLE unit of the asset (USD defaults to
        1_000_000); a price is required for every asset with a non-zero balance. `liquid_assets`
        (default: all) limits `liquid_custody` and `hole_liquid`.
        """
        assets = journal.assets
        liquid = set(assets) if liquid_assets is None else set(liquid_assets)
        unknown = liquid - set(assets)
        if unknown:
            raise LedgerError(f"balance sheet: liquid_assets names assets not in the journal: {sorted(unknown)}")
        bal = journal.balance_matrix(upto_seq)
        accounts = journal.accounts()
        kinds = np.array([a.kind.value for a in accounts])
        claim = np.array([a.claim for a in accounts], dtype=bool)
        is_custody = kinds == AccountKind.CUSTODY.value
        is_customer = kinds == AccountKind.CUSTOMER.value
        is_house = kinds == AccountKind.HOUSE.value
        house_claim = is_house & claim
        house_book = is_house & ~claim
        exchange_claim = (kinds == AccountKind.EXCHANGE.value) & claim

        prices: dict[str, int] = {}
        for j, code in enumerate(assets):
            price = prices_minor.get(code)
            if price is None and code == USD.code:
                price = USD.scale
            if price is None:
                if np.any(bal[:, j] != 0):
                    raise LedgerError(f"balance sheet: no price for {code}, which has non-zero balances")
                price = 0
            if not isinstance(price, int) or isinstance(price, bool) or price < 0:
                raise LedgerError(
                    f"balance sheet: price of {code} must be a non-negative int (USD minor units), got {price!r}"
                )
            prices[code] = price

        def exact(rows: np.ndarray, j: int, part: str = "all") -> int:
            col = bal[rows, j].tolist()
            if part == "pos":
                return sum(x for x in col if x > 0)
            if part == "neg":
                return -sum(x for x in col if x < 0)
            return sum(col)

        custody_units, custody_by_asset = {}, {}
        liab_units, liab_by_asset = {}, {}
        shortfall_units = {}
        custody_assets = liquid_custody = customer_liabilities = 0
        customer_receivables = house_receivables = house_claims = house_exchange = 0
        for j, code in enumerate(assets):
            scale, price = lookup_asset(code).scale, prices[code]
            cu = exact(is_custody, j)
            custody_units[code] = cu
            custody_by_asset[code] = _value(cu, price, scale)
            custody_assets += custody_by_asset[code]
            if code in liquid:
                liquid_custody += custody_by_asset[code]
            lu = exact(is_customer, j, "pos")
            liab_units[code] = lu
            liab_by_asset[code] = _value(lu, price, scale)
            customer_liabilities += liab_by_asset[code]
            shortfall_units[code] = max(0, lu - cu)
            customer_receivables += _value(exact(is_customer, j, "neg"), price, scale)
            house_receivables += _value(exact(house_claim, j, "neg"), price, scale)
            house_claims += _value(exact(house_claim, j, "pos"), price, scale)
            house_exchange += _value(exact(house_claim, j), price, scale)

        def by_name(mask: np.ndarray) -> dict[str, int]:
            out = {}
            for i in np.flatnonzero(mask).tolist():
                out[accounts[i].name] = sum(
                    _value(int(bal[i, j]), prices[code], lookup_asset(code).scale) for j, code in enumerate(assets)
                )
            return out

        house_books = by_name(house_book)
        exchange_accounts = by_name(exchange_claim)
        receivables = customer_receivables + house_receivables
        return cls(
            prices_minor=dict(prices),
            custody_units=custody_units,
            custody_by_asset=custody_by_asset,
            custody_assets=custody_assets,
            liquid_custody=liquid_custody,
            customer_liabilities_units=liab_units,
            customer_liabilities_by_asset=liab_by_asset,
            customer_liabilities=customer_liabilities,
            customer_receivables=customer_receivables,
            house_receivables=house_receivables,
            receivables=receivables,
            house_claims=house_claims,
            house_exchange=house_exchange,
            house_books=house_books,
            house_position=house_exchange + sum(house_books.values()),
            exchange_accounts=exchange_accounts,
            exchange_equity=custody_assets + receivables - customer_liabilities - house_claims,
            liquid_coverage=Fraction(liquid_custody, customer_liabilities) if customer_liabilities else None,
            hole=max(0, customer_liabilities - custody_assets),
            hole_liquid=max(0, customer_liabilities - liquid_custody),
            shortfall_units=shortfall_units,
        )
