"""The house's books off the exchange: its treasury, where its cash comes from, and what it spends it on
(ventures at cost, loans to insiders, expenses, directional longs marked to the real prices).

Cash is raised in one order: the treasury; the house's own claim on the exchange; then, with the
`allow_negative_balance` privilege (from the day it was granted), customer money: a withdrawal that
takes its exchange balance below zero, in dollars and then in customers' coins (sold at the close),
paid from custody but never below the liquidity floor it leaves in each asset for ordinary
withdrawals; then its longs, sold at the close. What it cannot raise it does not spend. When custody
runs short of dollars, the house sends its own cash back (`keep_liquid`, `top_up`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from hollow.config import to_ppm
from hollow.money import PPM, USD
from hollow.money import asset as lookup_asset
from hollow.sessions.apportion import apportion
from hollow.world.books import (
    EXPENSES,
    HOUSE_EXCHANGE,
    INSIDER_LOANS,
    INSIDERS,
    LONGS,
    MARKET,
    TREASURY,
    VENTURES,
    Books,
)
from hollow.world.scenario import Scenario

SPEND = {  # bucket -> (paid to, units back into, cause, class)
    "venture": ("external:ventures", VENTURES, "venture", "venture"),
    "insider_loan": (INSIDERS, INSIDER_LOANS, "insider_loan", "insider"),
    "expense": (EXPENSES, None, "expense", "expense"),
}
ASSET_OF = {"venture": "VENTURE", "insider_loan": "NOTE"}
COINS = ("BTC", "ETH", "SOL")  # customers' coins the privileged house may also take and sell


def spread(total_minor: int, start: dt.date, end: dt.date | None) -> dict[dt.date, int]:
    """`total_minor` split exactly over the days start..end (earlier days take the remainder)."""
    days = [start + dt.timedelta(days=k) for k in range(((end or start) - start).days + 1)]
    return {d: a for d, a in zip(days, apportion([1] * len(days), total_minor, len(days))) if a}


class House:
    def __init__(self, books: Books, scenario: Scenario) -> None:
        self.books, self.scenario = books, scenario
        self.failed_on: dt.date | None = None
        self.spent: dict[str, int] = defaultdict(int)  # by spending id
        self.unpaid: dict[str, int] = defaultdict(int)
        self.recoverable: dict[str, int] = defaultdict(int)  # venture / insider-note units by fire-sale value
        self.long_cost: dict[str, int] = defaultdict(int)  # USD paid, by asset
        self.long_proceeds: dict[str, int] = defaultdict(int)
        self.from_customers = 0  # USD withdrawn below zero: customer money taken
        self.due: dict[dt.date, list[tuple[str, str, int, int]]] = defaultdict(list)  # day -> (kind, id, USD, ppm)
        for item in scenario.spending:
            for d, amount in spread(USD.to_minor(item.usd), item.start, item.end).items():
                self.due[d].append((item.bucket, item.id, amount, to_ppm(item.recovery, "recovery")))
        for long in scenario.longs:
            for d, amount in spread(USD.to_minor(long.usd), long.start, long.end).items():
                self.due[d].append(("long", long.asset, amount, 0))
            if long.sell_on is not None:
                self.due[long.sell_on].append(("sell", long.asset, 0, 0))
        self.treasury, self.exchange = books.id(TREASURY), books.id(HOUSE_EXCHANGE)

    # ------------------------------------------------------------------ limits

    def floor(self, day: dt.date) -> int | None:
        """The lowest USD balance of its exchange account today (None: no limit)."""
        p = self.scenario.house.privileges
        if not p.allow_negative_balance or day < p.granted_on or self.failed_on is not None:
            return 0
        return None if p.credit_limit_usd is None else -USD.to_minor(p.credit_limit_usd)

    def custody_room(self, code: str = "USD") -> int:
        """Custody units of `code` above the floor left for ordinary withdrawals."""
        b = self.books
        floor = b.owed_to_customers(code) * to_ppm(self.scenario.house.liquidity_floor, "liquidity_floor") // PPM
        return max(0, b.balance(b.custody, code) - floor)

    # ------------------------------------------------------------------ cash

    def cash(self) -> int:
        return self.books.balance(self.treasury, "USD")

    def raise_cash(self, ts: int, day: dt.date, need: int, prices: dict[str, int], customer_money: bool = True) -> int:
        """Bring up to `need` more USD into the treasury; returns what it raised. Its own claim first,
        then (privileged) customers' dollars, then customers' coins sold at the close, then its longs."""
        b = self.books
        balance = b.balance(self.exchange, "USD")
        own = max(0, balance)
        floor = self.floor(day) if customer_money else 0
        room = need if floor is None else balance - floor
        take = min(need, room, self.custody_room())
        if take > 0:
            b.post(ts, b.off_exchange(self.exchange, self.treasury, "USD", take, "withdrawal", "house"))
            self.from_customers += max(0, take - own)
        raised = max(0, take)
        for code in COINS if floor != 0 else ():
            price = prices.get(code)
            if raised >= need or not price:
                continue
            scale = lookup_asset(code).scale
            units = min(-(-(need - raised) * scale // price), self.custody_room(code))
            value = units * price // scale
            if value <= 0:
                continue
            own_units = max(0, b.balance(self.exchange, code))
            legs = b.off_exchange(self.exchange, self.treasury, code, units, "withdrawal", "house")
            legs += [(self.treasury, b.id(MARKET), code, units, "house:sell", "market"), (b.id(MARKET), self.treasury, "USD", value, "house:sell", "market")]
            b.post(ts, legs)
            self.from_customers += max(0, units - own_units) * price // scale
            raised += value
        if raised < need:
            raised += self.sell_longs(ts, prices, need - raised)
        return raised

    def fund_exchange(self, ts: int, day: dt.date, amount: int, prices: dict[str, int]) -> int:
        """Move up to `amount` of the house's own money (treasury, then longs sold) onto its exchange
        account; returns what it moved."""
        if self.cash() < amount:
            self.sell_longs(ts, prices, amount - self.cash())
        paid = min(amount, self.cash())
        b = self.books
        b.post(ts, b.onto_exchange(self.exchange, self.treasury, "USD", paid, "deposit", "house"))
        return paid

    def margin_up(self, ts: int, day: dt.date, prices: dict[str, int]) -> bool:
        """Without credit (no privilege, or not yet granted) the house may quote only with its trading
        margin on its exchange account, put up from its own money; when it cannot, it has failed."""
        if self.floor(day) != 0:
            return True
        need = USD.to_minor(self.scenario.house.trading_margin_usd) - self.books.balance(self.exchange, "USD")
        if need > 0 and self.fund_exchange(ts, day, need, prices) < need:
            self.failed_on = day
            return False
        return True

    def top_up(self, ts: int, day: dt.date, code: str, units: int, prices: dict[str, int]) -> int:
        """Custody is `units` of `code` short of paying a withdrawal: the house sends its own cash back
        (USD only; its longs sold if need be). Returns the units it brought in."""
        if code != "USD" or self.failed_on is not None:
            return 0
        return self.fund_exchange(ts, day, units, prices)

    def keep_liquid(self, ts: int, day: dt.date, prices: dict[str, int]) -> int:
        """Before the day's withdrawals, bring custody USD back up to the liquidity floor from the
        house's own cash; returns what it brought."""
        b = self.books
        floor = b.owed_to_customers("USD") * to_ppm(self.scenario.house.liquidity_floor, "liquidity_floor") // PPM
        short = floor - b.balance(b.custody, "USD")
        return self.top_up(ts, day, "USD", short, prices) if short > 0 else 0

    def sell_longs(self, ts: int, prices: dict[str, int], usd: int) -> int:
        """Sell longs at the close, in asset order, for up to `usd`; returns the proceeds."""
        got = 0
        for code in ("BTC", "ETH", "SOL", "LUNA"):
            if got >= usd:
                break
            units = self.books.balance(LONGS, code)
            price = prices.get(code)
            if units <= 0 or not price:
                continue
            scale = lookup_asset(code).scale
            sell = min(units, -(-(usd - got) * scale // price))
            got += self._sell(ts, code, sell, price)
        return got

    def _sell(self, ts: int, code: str, units: int, price: int) -> int:
        b = self.books
        value = units * price // lookup_asset(code).scale
        b.post(ts, [(b.id(LONGS), b.id(MARKET), code, units, "long:sell", "market"),
                    (b.id(MARKET), self.treasury, "USD", value, "long:sell", "market")])
        self.long_proceeds[code] += value
        return value

    # ------------------------------------------------------------------ the day's spending

    def day(self, ts: int, day: dt.date, prices: dict[str, int]) -> None:
        """Pay what is due today (spending, long purchases and sales), as far as cash allows."""
        for kind, key, amount, recovery_ppm in self.due.get(day, ()):
            if self.failed_on is not None:  # a failed house spends nothing more
                self.unpaid[key] += amount
                continue
            if kind == "sell":
                units = self.books.balance(LONGS, key)
                if units > 0 and prices.get(key):
                    self._sell(ts, key, units, prices[key])
                continue
            if self.cash() < amount:
                self.raise_cash(ts, day, amount - self.cash(), prices)
            paid = min(amount, self.cash())
            if kind == "long":
                self._buy(ts, key, paid, prices[key])
            else:
                self._spend(ts, kind, key, paid, recovery_ppm)
            self.unpaid[key] += amount - paid

    def _buy(self, ts: int, code: str, usd: int, price: int) -> None:
        units = usd * lookup_asset(code).scale // price
        if units <= 0:
            return
        b = self.books
        b.post(ts, [(self.treasury, b.id(MARKET), "USD", usd, "long:buy", "market"),
                    (b.id(MARKET), b.id(LONGS), code, units, "long:buy", "market")])
        self.long_cost[code] += usd

    def _spend(self, ts: int, bucket: str, key: str, usd: int, recovery_ppm: int) -> None:
        b = self.books
        to, back, cause, cls = SPEND[bucket]
        legs = [(self.treasury, b.id(to), "USD", usd, cause, cls)]
        if back is not None:
            legs.append((b.id(to), b.id(back), ASSET_OF[bucket], usd, cause, cls))
            self.recoverable[bucket] += usd * recovery_ppm // PPM
        b.post(ts, legs)
        self.spent[key] += usd

    def items(self) -> Iterable[tuple[str, str]]:
        """(id, bucket) of every spending item."""
        return [(i.id, i.bucket) for i in self.scenario.spending]
