"""The daily loop: one step per day over the scenario's dates, everything posted to one journal.

A day, in posting order: the start (owners' capital) and the token's launch; the market (the day's
sessions, their flows by class and cause); the trading desks (profit withdrawn above their capital,
losses made good by their traders); the depositors (deposits, ordinary withdrawals, the run); the
house's spending and longs; the lenders (interest, draws, calls, recalls); the token (rival, burns,
its close); then the balance-sheet row. Once the venue has halted nothing more moves; the rows go on
to the end, marking what is left to the real prices. `Journal.check()` closes every run.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field

from hollow.money import USD
from hollow.sessions.cache import SessionCache
from hollow.world import data
from hollow.world.balance import sheet_row
from hollow.world.books import HOUSE_EXCHANGE, TREASURY, Books, ts_of
from hollow.world.depositors import Flows, Population, Signals
from hollow.world.house import House
from hollow.world.lenders import Lending
from hollow.world.losses import house_losses
from hollow.world.market import HOUSE_BUCKETS, Market, TradingDay
from hollow.world.scenario import Scenario
from hollow.world.schedule import Schedule
from hollow.world.token import Token

STEP = {"start": 0, "market": 1, "desks": 2, "depositors": 3, "house": 4, "lenders": 5, "token": 6}


@dataclass
class WorldResult:
    scenario: Scenario
    books: Books
    rows: list[dict]
    market: Market
    house: House
    lending: Lending
    token: Token
    population: Population
    halt_date: dt.date | None = None
    trading: dict[str, int] = field(default_factory=lambda: dict.fromkeys(HOUSE_BUCKETS, 0))
    absorbed: dict[str, int] = field(default_factory=dict)
    run_withdrawals: dict[str, int] = field(default_factory=dict)
    collapse: dict = field(default_factory=dict)  # the collapse day's row, lenders' claims and house losses
    cache_hits: int = 0
    cache_misses: int = 0


def days(scenario: Scenario) -> list[dt.date]:
    return [scenario.start + dt.timedelta(days=k) for k in range((scenario.end - scenario.start).days + 1)]


class World:
    """The state the daily loop carries from one day to the next."""

    def __init__(self, scenario: Scenario, cache: SessionCache) -> None:
        self.s = scenario
        self.books = Books(scenario)
        self.population = Population(self.books, scenario)
        self.house = House(self.books, scenario)
        self.token = Token(self.books, scenario)
        self.lending = Lending(self.books, scenario, self.house)
        self.schedule = Schedule(scenario)
        self.cache = cache
        self.prices: dict[str, int] = {}
        self.market = Market(self.books, scenario, self.schedule, cache, self._fund_house, self.house.floor)
        self.result = WorldResult(scenario, self.books, [], self.market, self.house, self.lending, self.token, self.population)
        self.token_high: list[int] = []
        self.outflow = 0.0

    def _fund_house(self, ts: int, amount: int) -> int:
        return self.house.fund_exchange(ts, self.day, amount, self.prices)

    def _prices(self, day: dt.date) -> dict[str, int]:
        out = {"USD": USD.scale, "VENTURE": USD.scale, "NOTE": USD.scale}
        for code in ("BTC", "ETH", "SOL", "LUNA"):
            price = data.close_minor(code, day)
            if price is not None:
                out[code] = price
        if self.token.price_minor is not None:
            out[self.token.code] = self.token.price_minor
        return out

    def _signals(self, day: dt.date) -> Signals:
        run = self.s.run
        past = [k for k in run.shocks if k.date <= day]
        news = sum(k.intensity * 0.5 ** ((day - k.date).days / run.news_half_life_days) for k in past)
        window = self.token_high[-run.token_window_days:]
        fall = math.log(max(window) / window[-1]) if window and window[-1] > 0 else 0.0
        return Signals(news=news, token_fall=fall, outflow=self.outflow, alert=bool(past) and news >= run.alert_news)

    def quoting(self, day: dt.date) -> bool:
        """The house quotes today unless it has failed, its quoter is switched off, or (without
        privileges) it cannot put up its trading margin from its own money."""
        off = self.s.house.quoter_off_from
        if self.house.failed_on is not None or (off is not None and day >= off):
            return False
        return self.house.margin_up(ts_of(day, STEP["start"]), day, self.prices)

    def step(self, day: dt.date) -> dict:
        self.day, s, b, r = day, self.s, self.books, self.result
        self.prices = self._prices(day)
        if day == s.start and s.house.owners_capital_usd:
            b.post(ts_of(day, STEP["start"]), [(b.id("external:house_owners"), b.id(TREASURY), "USD",
                                                USD.to_minor(s.house.owners_capital_usd), "capital", "house_owner")])
        if day == s.token.launch:
            self.token.launch(ts_of(day, STEP["start"]), day)
            self.prices = self._prices(day)
        halted = r.halt_date is not None
        trading = TradingDay() if halted else self.market.trade(day, ts_of(day, STEP["market"]), self.schedule.index(day), self.quoting(day))
        for k, v in trading.house.items():
            r.trading[k] += v
        for k, v in trading.absorbed.items():
            r.absorbed[k] = r.absorbed.get(k, 0) + v
        signals = self._signals(day)
        target = USD.to_minor(self.schedule.balances_usd(day))
        flows, desk_deposits = Flows(), 0
        if not halted:
            desk_deposits = self.market.settle_desks(ts_of(day, STEP["desks"]), day, signals.alert)
            for cls, account in self.market.desks():
                self.population.add_account(cls, account)
            ts = ts_of(day, STEP["depositors"])
            self.house.keep_liquid(ts, day, self.prices)
            flows = self.population.day(ts, day, self.prices, target, signals, s.house.fiat_routing, self.market.desk_requests(day),
                                        lambda ts, code, units: self.house.top_up(ts, day, code, units, self.prices))
            if flows.halted:
                r.halt_date = day
            else:
                self.house.day(ts_of(day, STEP["house"]), day, self.prices)
                self.lending.day(ts_of(day, STEP["lenders"]), day, self.prices)
                for code, units in self.lending.sold_units.items():
                    if code == self.token.code:
                        self.token.sold(units)
        self.token.day(ts_of(day, STEP["token"]), day, trading.fees, self.house.custody_room(), r.halt_date is not None)
        close = self.token.close(day, signals.news)
        if close is not None:
            self.prices[self.token.code] = close
            self.token_high.append(close)
        for cls, v in flows.run_withdrawals.items():
            r.run_withdrawals[cls] = r.run_withdrawals.get(cls, 0) + v
        row = self._row(day, trading, flows, signals, desk_deposits)
        if flows.halted or (day == s.end and not r.collapse):
            r.collapse = {"row": row, "owed": {st.config.name: self.lending.owed(st) for st in self.lending.lenders},
                          "losses": house_losses(r, self.prices)}
        self.outflow = flows.withdrawals / row["customer_liabilities_minor"] if row["customer_liabilities_minor"] else 0.0
        return row

    def _row(self, day: dt.date, trading: TradingDay, flows: Flows, signals: Signals, desk_deposits: int) -> dict:
        b, t, h = self.books, self.token, self.house
        house_ftt = sum(b.balance(a, t.code) for a in [HOUSE_EXCHANGE] + [lender.collateral for lender in self.lending.lenders])
        recovery = {code: (h.recoverable[bucket] * 10**6 // max(1, b.balance(acct, code)))
                    for bucket, code, acct in (("venture", "VENTURE", "house:ventures"), ("insider_loan", "NOTE", "house:insider_loans"))}
        surplus = max(0, b.balance(b.custody, t.code) - b.owed_to_customers(t.code)) if t.launched else 0
        row = {"date": day, "regime": self.schedule.piece(day).name}
        row.update(sheet_row(b, day, self.prices, t.code, t.weight_ppm(surplus), t.fire_sale_minor(), recovery))
        row.update({
            "deposits_minor": flows.deposits + trading.desk_deposits + desk_deposits,
            "routed_deposits_minor": flows.routed,
            "withdrawals_minor": flows.withdrawals,
            "unpaid_withdrawals_minor": flows.unpaid,
            "halted": self.result.halt_date is not None,
            "quoting": bool(trading.keys),  # the house's sessions ran today
            "stress": trading.stress,
            "exchange_volume_minor": USD.to_minor(self.schedule.volume_usd(day)),
            "house_share_record_ppm": int(self.schedule.piece(day).house_share * 10**6),
            "house_volume_minor": trading.house_volume,
            "house_share_ppm": trading.house_volume * 10**6 // max(1, USD.to_minor(self.schedule.volume_usd(day))),
            "house_trading_minor": sum(trading.house.values()),
            **{f"house_{k}_minor": v for k, v in trading.house.items()},
            "fees_minor": trading.fees,
            "token_price_minor": t.price_minor,
            "token_supply_units": t.supply(),
            "token_burned_units": t.burned,
            "house_token_units": house_ftt,
            "house_token_weight_ppm": t.weight_ppm(house_ftt),
            "house_cash_minor": h.cash(),
            "news": signals.news,
            "token_fall": signals.token_fall,
        })
        return row


def run_world(scenario: Scenario, cache: SessionCache, progress: Callable[[int, int], None] | None = None) -> WorldResult:
    """Run the scenario day by day; the journal is checked at the end."""
    world = World(scenario, cache)
    dates = days(scenario)
    hits, misses = cache.hits, cache.misses
    for k, day in enumerate(dates):
        world.result.rows.append(world.step(day))
        if progress is not None:
            progress(k + 1, len(dates))
    world.books.journal.check()
    world.result.cache_hits, world.result.cache_misses = cache.hits - hits, cache.misses - misses
    return world.result
