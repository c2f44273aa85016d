"""Solvency views read from the journal: the exchange's balance sheet and the hole in customer funds.

Every amount is in USD minor units (micro-dollars) unless its name ends in `_units`, which means
minor units of the asset itself. Valuation: for each asset, the balances are first added exactly in
minor units, then valued once as `units * price_minor // asset.scale` (floor), so rounding costs
less than one USD minor unit per asset and line. A debit (negative) claim balance is a receivable,
an asset of the exchange; it never reduces what is owed to other customers.

Illiquid collateral. Custody units that pay customers owed the same asset pay them in kind, at any
price. Only the surplus of an asset (custody beyond what customers are owed in it: typically the
house's own tokens on deposit) must be sold to cover shortfalls in other assets; the haircut and
fire-sale views value that surplus below market (haircuts rounded up) and show the hole that is
left. A house whose customers' dollars are gone therefore shows a dollar shortfall however high
its token is marked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from hollow.errors import LedgerError
from hollow.ledger.accounts import AccountKind
from hollow.ledger.journal import Journal
from hollow.ledger.standard_accounts import HOUSE_RECEIVABLE
from hollow.ledger.validation import MAX_BALANCE_MINOR, is_int
from hollow.money import PPM, USD
from hollow.money import asset as lookup_asset


def _value(units: int, price_minor: int, scale: int) -> int:
    return units * price_minor // scale


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


@dataclass(frozen=True, slots=True)
class BalanceSheet:
    """The exchange's position at one moment, in USD minor units.

    - `custody_assets`: what the exchange's wallets hold, at market (`custody_by_asset` per asset,
      `custody_units` in native minor units); `liquid_custody` counts only `liquid_assets`.
    - `customer_liabilities`: sum of the positive balances of customer accounts (per account and
      asset), i.e. what customers could ask to withdraw.
    - `customer_receivables`, `house_receivables`: negative claim balances owed to the exchange by
      customers and by the house; `routed_to_house` (`_units`): deposits routed to the house
      (`exchange:receivable:house`); `receivables`: all three.
    - `customer_money_at_house` (`_units`): customer money the house holds = its negative exchange
      balances + deposits routed to it.
    - `house_claims`: positive balance of the house's exchange account (owed to the house).
    - `house_exchange`: the house's exchange account, signed (negative = customer money taken);
      `house_books`: its off-exchange books by account name (loans and payables negative);
      `house_position`: their sum.
    - `exchange_accounts`: the exchange's own claim accounts (fees, insurance fund), signed.
    - `exchange_equity` = custody_assets + receivables - customer_liabilities - house_claims
      (receivables at face value, so it includes the exchange's own fee and insurance accounts).
    - `hole` = max(0, customer_liabilities - custody_assets); `hole_liquid` the same against liquid
      custody only; `shortfall_units`: per asset, max(0, positive customer balances - custody), in
      units of the asset (invariant 2 of the reference, asset by asset), `shortfall_by_asset` at
      market and `shortfall` their sum (a surplus in one asset never fills another's shortfall).
    - `custody_at_weights` / `hole_at_weights`: custody with each asset's surplus counted at
      `weights_ppm` (collateral weights; 1_000_000 = full) and the hole against it;
      `custody_at_fire_sale` / `hole_at_fire_sale`: the surplus at `fire_sale_prices_minor`.
    - `liquid_coverage` = liquid_custody / customer_liabilities (None when nothing is owed).
    """

    prices_minor: Mapping[str, int]
    weights_ppm: Mapping[str, int]
    fire_sale_prices_minor: Mapping[str, int]
    custody_units: Mapping[str, int]
    custody_by_asset: Mapping[str, int]
    custody_assets: int
    liquid_custody: int
    customer_liabilities_units: Mapping[str, int]
    customer_liabilities_by_asset: Mapping[str, int]
    customer_liabilities: int
    customer_receivables: int
    house_receivables: int
    routed_to_house_units: Mapping[str, int]
    routed_to_house: int
    receivables: int
    customer_money_at_house_units: Mapping[str, int]
    customer_money_at_house: int
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
    shortfall_by_asset: Mapping[str, int]
    shortfall: int
    custody_at_weights: int
    hole_at_weights: int
    custody_at_fire_sale: int
    hole_at_fire_sale: int

    @classmethod
    def at(
        cls,
        journal: Journal,
        prices_minor: Mapping[str, int],
        liquid_assets: Iterable[str] | None = None,
        *,
        upto_seq: int | None = None,
        weights_ppm: Mapping[str, int] | None = None,
        fire_sale_prices_minor: Mapping[str, int] | None = None,
    ) -> BalanceSheet:
        """Balance sheet of `journal` now (or after the postings with seq < `upto_seq`).

        `prices_minor[code]` is the USD minor units for ONE WHOLE unit of the asset (USD defaults to
        1_000_000); a price is required for every asset with a non-zero balance. `liquid_assets`
        (default: the assets registered as liquid) limits `liquid_custody` and `hole_liquid`.
        `weights_ppm[code]` in [0, 1_000_000] (default full) and `fire_sale_prices_minor[code]` in
        [0, market price] (default market) value each asset's custody surplus for the haircut and
        fire-sale holes; they may only name assets of the journal.
        """
        assets = journal.assets
        liquid = _liquid(assets, liquid_assets)
        bal = journal.balance_matrix(upto_seq)
        prices = _prices(assets, prices_minor, bal)
        weights = _per_asset(assets, weights_ppm, "weights_ppm", lambda _: PPM, lambda _: PPM)
        fire = _per_asset(assets, fire_sale_prices_minor, "fire_sale_prices_minor", prices.__getitem__, prices.__getitem__)
        accounts = journal.accounts()
        kinds = np.array([a.kind.value for a in accounts])
        claim = journal.claim_mask()
        is_house = kinds == AccountKind.HOUSE.value
        routed_row = journal.account_id(HOUSE_RECEIVABLE) if journal.has_account(HOUSE_RECEIVABLE) else None
        masks = (kinds == AccountKind.CUSTODY.value, kinds == AccountKind.CUSTOMER.value, is_house & claim)
        lines = {code: _Units.of(bal[:, j], *masks, routed_row) for j, code in enumerate(assets)}

        def value(code: str, units: int) -> int:
            return _value(units, prices[code], lookup_asset(code).scale)

        def total(field: str) -> int:
            return sum(value(code, getattr(line, field)) for code, line in lines.items())

        custody_by_asset = {c: value(c, u.custody) for c, u in lines.items()}
        liabilities_by_asset = {c: value(c, u.liabilities) for c, u in lines.items()}
        shortfall_units = {c: max(0, u.liabilities - u.custody) for c, u in lines.items()}
        shortfall_by_asset = {c: value(c, x) for c, x in shortfall_units.items()}
        at_house_units = {c: u.house_neg + u.routed for c, u in lines.items()}
        custody, liabilities = sum(custody_by_asset.values()), sum(liabilities_by_asset.values())
        liquid_custody = sum(v for c, v in custody_by_asset.items() if c in liquid)
        house_exchange, house_claims = total("house_all"), total("house_pos")
        receivables = total("customer_neg") + total("house_neg") + total("routed")
        # what selling each asset's surplus below market costs, rounded up (the conservative side)
        cut_weights = cut_fire = 0
        for code, u in lines.items():
            surplus, price, scale = max(0, u.custody - u.liabilities), prices[code], lookup_asset(code).scale
            cut_weights += _ceil_div(surplus * price * (PPM - weights[code]), scale * PPM)
            cut_fire += _ceil_div(surplus * (price - fire[code]), scale)

        def by_name(mask: np.ndarray) -> dict[str, int]:
            rows = np.flatnonzero(mask).tolist()
            return {accounts[i].name: sum(value(c, int(bal[i, j])) for j, c in enumerate(assets)) for i in rows}

        house_books = by_name(is_house & ~claim)
        return cls(
            prices_minor=dict(prices),
            weights_ppm=weights,
            fire_sale_prices_minor=fire,
            custody_units={c: u.custody for c, u in lines.items()},
            custody_by_asset=custody_by_asset,
            custody_assets=custody,
            liquid_custody=liquid_custody,
            customer_liabilities_units={c: u.liabilities for c, u in lines.items()},
            customer_liabilities_by_asset=liabilities_by_asset,
            customer_liabilities=liabilities,
            customer_receivables=total("customer_neg"),
            house_receivables=total("house_neg"),
            routed_to_house_units={c: u.routed for c, u in lines.items()},
            routed_to_house=total("routed"),
            receivables=receivables,
            customer_money_at_house_units=at_house_units,
            customer_money_at_house=sum(value(c, x) for c, x in at_house_units.items()),
            house_claims=house_claims,
            house_exchange=house_exchange,
            house_books=house_books,
            house_position=house_exchange + sum(house_books.values()),
            exchange_accounts=by_name((kinds == AccountKind.EXCHANGE.value) & claim),
            exchange_equity=custody + receivables - liabilities - house_claims,
            liquid_coverage=Fraction(liquid_custody, liabilities) if liabilities else None,
            hole=max(0, liabilities - custody),
            hole_liquid=max(0, liabilities - liquid_custody),
            shortfall_units=shortfall_units,
            shortfall_by_asset=shortfall_by_asset,
            shortfall=sum(shortfall_by_asset.values()),
            custody_at_weights=custody - cut_weights,
            hole_at_weights=max(0, liabilities - custody + cut_weights),
            custody_at_fire_sale=custody - cut_fire,
            hole_at_fire_sale=max(0, liabilities - custody + cut_fire),
        )


@dataclass(frozen=True, slots=True)
class _Units:
    """One asset's sums over the account groups the sheet needs, exact, in the asset's minor units."""

    custody: int
    liabilities: int  # positive customer balances
    customer_neg: int  # customer debit balances, as a positive number
    house_neg: int  # the house's negative claim balances, as a positive number
    house_pos: int
    house_all: int
    routed: int  # exchange:receivable:house

    @classmethod
    def of(
        cls, col: np.ndarray, custody: np.ndarray, customer: np.ndarray, house: np.ndarray, routed_row: int | None
    ) -> _Units:
        cust, hous = col[customer].tolist(), col[house].tolist()
        return cls(
            custody=sum(col[custody].tolist()),
            liabilities=sum(x for x in cust if x > 0),
            customer_neg=-sum(x for x in cust if x < 0),
            house_neg=-sum(x for x in hous if x < 0),
            house_pos=sum(x for x in hous if x > 0),
            house_all=sum(hous),
            routed=0 if routed_row is None else int(col[routed_row]),
        )


def _liquid(assets: tuple[str, ...], liquid_assets: Iterable[str] | None) -> set[str]:
    if liquid_assets is None:
        return {code for code in assets if lookup_asset(code).liquid}
    if isinstance(liquid_assets, str) or not isinstance(liquid_assets, Iterable):
        raise LedgerError(f"balance sheet: liquid_assets must be a collection of asset codes, got {liquid_assets!r}")
    liquid = set(liquid_assets)
    unknown = liquid - set(assets)
    if unknown:
        raise LedgerError(f"balance sheet: liquid_assets names assets not in the journal: {sorted(map(str, unknown))}")
    return liquid


def _price_ok(price: object, hi: int) -> bool:
    return is_int(price) and 0 <= price <= hi  # type: ignore[operator]


def _prices(assets: tuple[str, ...], prices_minor: Mapping[str, int], bal: np.ndarray) -> dict[str, int]:
    if not isinstance(prices_minor, Mapping):
        raise LedgerError(f"balance sheet: prices_minor must be a mapping of asset code to price, got {prices_minor!r}")
    prices: dict[str, int] = {}
    for j, code in enumerate(assets):
        price = prices_minor.get(code)
        if price is None and code == USD.code:
            price = USD.scale
        if price is None:
            if np.any(bal[:, j] != 0):
                raise LedgerError(f"balance sheet: no price for {code}, which has non-zero balances")
            price = 0
        if not _price_ok(price, MAX_BALANCE_MINOR):
            raise LedgerError(
                f"balance sheet: price of {code} must be a non-negative int (USD minor units), got {price!r}"
            )
        prices[code] = int(price)
    return prices


def _per_asset(
    assets: tuple[str, ...],
    given: Mapping[str, int] | None,
    what: str,
    default: Callable[[str], int],
    hi: Callable[[str], int],
) -> dict[str, int]:
    """Per-asset figures (weights or fire-sale prices): `default(code)` where not given, each given
    one an int in [0, hi(code)], and only for assets of the journal."""
    given = {} if given is None else given
    if not isinstance(given, Mapping):
        raise LedgerError(f"balance sheet: {what} must be a mapping of asset code to int, got {given!r}")
    unknown = set(given) - set(assets)
    if unknown:
        raise LedgerError(f"balance sheet: {what} names assets not in the journal: {sorted(map(str, unknown))}")
    out: dict[str, int] = {}
    for code in assets:
        value = given.get(code, default(code))
        if not _price_ok(value, hi(code)):
            raise LedgerError(f"balance sheet: {what}[{code}] must be an int in [0, {hi(code)}], got {value!r}")
        out[code] = int(value)
    return out
