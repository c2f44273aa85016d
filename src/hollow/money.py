"""Exact money: integer minor units per asset, integer price ticks and quantity lots.

Binary floats never enter balances, fills or fees. `Decimal` is used only at the edges
(reading a scenario, printing a figure).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

PPM = 1_000_000  # fee and weight rates are integers in parts per million


@dataclass(frozen=True, slots=True)
class Asset:
    """An asset and its minor unit: `decimals` digits after the point (USD: 6, i.e. micro-dollars)."""

    code: str
    decimals: int

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


def asset(code: str) -> Asset:
    """Look up a known asset by code, with a clear error for an unknown one."""
    try:
        return ASSETS[code]
    except KeyError:
        raise ValueError(f"unknown asset {code!r}; known: {', '.join(ASSETS)}") from None


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
