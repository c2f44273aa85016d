"""Exact money: integer minor units per asset, integer price ticks and quantity lots.

Binary floats never enter balances, fills or fees. `Decimal` is used only at the edges
(reading a scenario, printing a figure).

Assets live in one registry: the built-ins below plus whatever a scenario registers at run time
(its own tokens, locked tokens, venture stakes) with `register_asset`. A code, once registered,
always means the same asset: a conflicting registration is refused, so a journal that looked an
asset up can never see its minor unit change under it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

PPM = 1_000_000  # fee and weight rates are integers in parts per million

MAX_DECIMALS = 18
"""Most digits after the point: one whole unit (10**18 minor) must still fit the ledger's bound of
2**62 minor units per balance."""

_CODE = re.compile(r"[A-Z0-9][A-Z0-9_.\-]{0,31}")


@dataclass(frozen=True, slots=True)
class Asset:
    """An asset and its minor unit: `decimals` digits after the point (USD: 6, i.e. micro-dollars).
    `liquid` is False for what cannot be sold at its mark in a run (locked tokens, venture stakes):
    balance sheets leave such assets out of liquid custody by default."""

    code: str
    decimals: int
    liquid: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.code, str) or not _CODE.fullmatch(self.code):
            raise ValueError(
                f"asset code must be 1-32 upper-case letters, digits, '_', '.' or '-', got {self.code!r}"
            )
        if type(self.decimals) is not int or not 0 <= self.decimals <= MAX_DECIMALS:
            raise ValueError(f"asset {self.code}: decimals must be an int in [0, {MAX_DECIMALS}], got {self.decimals!r}")
        if type(self.liquid) is not bool:
            raise ValueError(f"asset {self.code}: liquid must be True or False, got {self.liquid!r}")

    @property
    def scale(self) -> int:
        return 10**self.decimals

    def to_minor(self, amount: Decimal | int | str) -> int:
        """Convert a decimal amount to minor units; refuses anything that is not exact."""
        value = Decimal(amount) * self.scale
        if value != value.to_integral_value():
            raise ValueError(f"{amount} {self.code} is finer than its minor unit (10^-{self.decimals})")
        return int(value)

    def to_decimal(self, amount_minor: int) -> Decimal:
        return Decimal(amount_minor).scaleb(-self.decimals)


USD = Asset("USD", 6)
ASSETS: dict[str, Asset] = {
    a.code: a
    for a in (USD, Asset("BTC", 8), Asset("ETH", 8), Asset("SOL", 8), Asset("FTT", 8), Asset("LUNA", 8))
}
"""The registry, by code: read it freely, extend it only through `register_asset`."""


def asset(code: str) -> Asset:
    """Look up a registered asset by code, with a clear error for an unknown one."""
    found = ASSETS.get(code) if isinstance(code, str) else None
    if found is None:
        raise ValueError(f"unknown asset {code!r}; known: {', '.join(ASSETS)}")
    return found


def register_asset(code: str, decimals: int, *, liquid: bool = True, exist_ok: bool = False) -> Asset:
    """Register an asset at run time and return it; `asset(code)` finds it from then on.

    Refused (ValueError, registry unchanged) for a malformed code, decimals outside [0, 18], a
    non-bool `liquid`, or a code already registered: always if it conflicts (other decimals or
    liquidity; built-ins included), and also when identical unless `exist_ok` (so a scenario that
    runs twice in one process can register its assets again).
    """
    new = Asset(code, decimals, liquid)
    if type(exist_ok) is not bool:
        raise ValueError(f"register_asset({code!r}): exist_ok must be True or False, got {exist_ok!r}")
    old = ASSETS.get(code)
    if old is not None:
        if old != new:
            raise ValueError(
                f"asset {code} is already registered with decimals={old.decimals}, liquid={old.liquid}; "
                f"refusing decimals={decimals}, liquid={liquid} (a code always means one asset)"
            )
        if not exist_ok:
            raise ValueError(f"asset {code} is already registered (pass exist_ok=True to accept an identical one)")
        return old
    ASSETS[code] = new
    return new


@dataclass(frozen=True, slots=True)
class Instrument:
    """A tradable book: prices in integer ticks of the quote asset, quantities in integer lots.

    `tick_size` is the quote amount per one unit of base for one tick; `lot_size` the base amount
    per lot. The notional of one lot at one tick, in quote minor units, must be an integer so that
    every fill's value is exact: notional_minor = price_ticks * qty_lots * minor_per_tick_lot.
    """

    symbol: str
    base: str
    quote: str
    tick_size: Decimal
    lot_size: Decimal
    perpetual: bool = False

    @property
    def minor_per_tick_lot(self) -> int:
        value = self.tick_size * self.lot_size * asset(self.quote).scale
        if value != value.to_integral_value() or value <= 0:
            raise ValueError(
                f"{self.symbol}: tick_size x lot_size = {self.tick_size * self.lot_size} "
                f"is not a positive whole number of {self.quote} minor units"
            )
        return int(value)

    def notional_minor(self, price_ticks: int, qty_lots: int) -> int:
        return price_ticks * qty_lots * self.minor_per_tick_lot

    def price_to_ticks(self, price: Decimal | float | str) -> int:
        """Nearest tick to a price given in quote units (rounds half to even)."""
        return int((Decimal(str(price)) / self.tick_size).to_integral_value(ROUND_HALF_EVEN))

    def ticks_to_price(self, price_ticks: int) -> Decimal:
        return self.tick_size * price_ticks

    def lots_to_base_minor(self, qty_lots: int) -> int:
        return int(self.lot_size * asset(self.base).scale) * qty_lots


def fee_minor(notional_minor: int, rate_ppm: int) -> int:
    """Fee on a notional at a rate in ppm; a charge rounds up, a rebate (negative rate) rounds toward zero.

    Rounding always in the venue's favour keeps fees exact and never lets a rebate create money.
    """
    if rate_ppm >= 0:
        return -((-notional_minor * rate_ppm) // PPM)
    return -((notional_minor * -rate_ppm) // PPM)
