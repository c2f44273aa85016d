"""The exchange token (FTT-like): supply, holdings by account, buyback-and-burn from fee revenue, the
rival's stake and its sale, the price (the real path by default, or endogenous), and its collateral
weight with the size haircut.

At launch the issuer mints the supply: the house's stack onto its exchange account (so custody holds
it and the house has a claim for it), the exchange's own tokens into its token treasury (holdings, not
customer reserves), the rest to the market. Every `burn_every_days` the exchange spends
`burn_fee_share` of the fees it earned since the last burn: its fee claim is paid out of custody to
the market, which delivers tokens to the burn sink, until `burn_cap_units` are burned. In endogenous
mode the day's log return is beta times the volatility asset's, minus the impact of the day's net
sales against the float, minus the news.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import ROUND_FLOOR, ROUND_HALF_EVEN, Decimal

from hollow.config import to_ppm
from hollow.money import PPM
from hollow.money import asset as lookup_asset
from hollow.world import data
from hollow.world.books import (
    FEES,
    HOUSE_EXCHANGE,
    MARKET,
    RIVAL,
    TOKEN_BURNED,
    TOKEN_ISSUER,
    TOKEN_TREASURY,
    Books,
)
from hollow.world.scenario import Scenario


def size_weight_ppm(weight_ppm: int, imf_factor: Decimal, units_minor: int, scale: int) -> int:
    """FTX's size haircut: min(weight, 1.1 / (1 + imf_factor * sqrt(quantity))), in ppm, floored
    (reference section 1.3; [bs_ftt_haircut])."""
    quantity = Decimal(max(0, units_minor)) / scale
    haircut = Decimal("1.1") / (1 + imf_factor * quantity.sqrt())
    return min(weight_ppm, int((haircut * PPM).to_integral_value(rounding=ROUND_FLOOR)))


class Token:
    def __init__(self, books: Books, scenario: Scenario) -> None:
        self.books, self.scenario, self.t = books, scenario, scenario.token
        self.code = self.t.code
        self.scale = lookup_asset(self.code).scale
        self.launched = False
        self.price_minor: int | None = None  # today's close once launched
        self.burned = 0
        self.fees_pending = 0
        self.sold_today = self.bought_today = 0
        self.rival_per_day = 0

    def units(self, amount: Decimal) -> int:
        return lookup_asset(self.code).to_minor(amount)

    def launch(self, ts: int, day: dt.date) -> None:
        b, t = self.books, self.t
        supply, house, treasury = self.units(t.supply_units), self.units(t.house_units), self.units(t.treasury_units)
        issuer = b.id(TOKEN_ISSUER)
        legs = b.onto_exchange(b.id(HOUSE_EXCHANGE), issuer, self.code, house, "token:mint", "house")
        legs += [(issuer, b.id(TOKEN_TREASURY), self.code, treasury, "token:mint", "exchange"),
                 (issuer, b.id(MARKET), self.code, supply - house - treasury, "token:mint", "market")]
        b.post(ts, legs)
        self.launched = True
        self.price_minor = data.close_minor(self.code, day)

    def close(self, day: dt.date, news: float) -> int | None:
        """Today's close: the real one, or the endogenous one from yesterday's and today's trades."""
        if not self.launched:
            return None
        if self.t.price_mode == "replay":
            self.price_minor = data.close_minor(self.code, day)
        else:
            e = self.t.endogenous
            float_units = max(1, self.books.balance(MARKET, self.code))
            r = e.beta * data.log_return(self.scenario.sessions.vol_asset, day)
            r -= e.impact * (self.sold_today - self.bought_today) / float_units + e.news * news
            price = Decimal(self.price_minor) * Decimal(math.exp(r))
            self.price_minor = max(1, int(price.to_integral_value(ROUND_HALF_EVEN)))
        self.sold_today = self.bought_today = 0
        return self.price_minor

    def weight_ppm(self, units_minor: int) -> int:
        return size_weight_ppm(to_ppm(self.t.weight, "weight"), self.t.imf_factor, units_minor, self.scale)

    def fire_sale_minor(self) -> int:
        return (self.price_minor or 0) * to_ppm(self.t.fire_sale, "fire_sale") // PPM

    def day(self, ts: int, day: dt.date, fees_today: int, custody_usd_room: int, halted: bool) -> None:
        """The rival's stake and sale, and the buyback-and-burn (not once the venue has halted)."""
        if not self.launched:
            return
        b, t = self.books, self.t
        if day == t.rival_date:
            b.post(ts, [(b.id(TOKEN_TREASURY), b.id(RIVAL), self.code, self.units(t.rival_units), "token:rival_stake", "rival")])
        if t.rival_sale_start is not None and day >= t.rival_sale_start and b.balance(RIVAL, self.code) > 0:
            if day == t.rival_sale_start:
                self.rival_per_day = -(-b.balance(RIVAL, self.code) // t.rival_sale_days)
            self._sell(ts, b.id(RIVAL), min(self.rival_per_day, b.balance(RIVAL, self.code)), "token:rival_sale", "rival")
        if halted:
            return
        self.fees_pending += fees_today * to_ppm(t.burn_fee_share, "burn_fee_share") // PPM
        if (day - t.launch).days % t.burn_every_days == t.burn_every_days - 1:
            self._burn(ts, custody_usd_room)

    def _sell(self, ts: int, seller: int, units: int, cause: str, cls: str) -> None:
        if units <= 0 or not self.price_minor:
            return
        b = self.books
        usd = units * self.price_minor // self.scale
        b.post(ts, [(seller, b.id(MARKET), self.code, units, cause, "market"), (b.id(MARKET), seller, "USD", usd, cause, cls)])
        self.sold_today += units

    def sold(self, units: int) -> None:
        """Someone else (a lender selling seized collateral) sold `units` today."""
        self.sold_today += units

    def _burn(self, ts: int, custody_usd_room: int) -> None:
        b = self.books
        room = self.units(self.t.burn_cap_units) - self.burned
        usd = min(self.fees_pending, b.balance(FEES, "USD"), custody_usd_room)
        units = min(room, usd * self.scale // self.price_minor) if self.price_minor else 0
        if units <= 0:
            return
        usd = -(-units * self.price_minor // self.scale)  # what those units cost, rounded up
        usd = min(usd, b.balance(FEES, "USD"))
        legs = b.off_exchange(b.id(FEES), b.id(MARKET), "USD", usd, "token:buyback", "market")
        legs.append((b.id(MARKET), b.id(TOKEN_BURNED), self.code, units, "token:burn", "burn"))
        b.post(ts, legs)
        self.burned += units
        self.bought_today += units
        self.fees_pending = max(0, self.fees_pending - usd)

    def supply(self) -> int:
        """Tokens in existence (minted less burned), minor units."""
        return (self.units(self.t.supply_units) - self.burned) if self.launched else 0

    def usd_value(self, units: int) -> int:
        return units * (self.price_minor or 0) // self.scale

