"""Each day's trading: sessions of the day's regime (and, on stress days, the cascade on the stressed
book) through `trade_day`, their class flows posted to the world journal by class and cause.

A claims-layer flow passes through `exchange:perp_clearing` (payees first, then payers, each leg naming
the real other side in its counterparty class, as in a session), so `sessions.flows.class_flows` reads
the world's flows too. A flow with the wider market is off the exchange: `external:market` against the
class's off-venue book. Before posting, every account that cannot go below its floor is funded for
its day's net loss: a trading desk by its traders (a deposit), the house from its own money (then,
without privileges, it has failed: the insurance fund and the exchange's fees absorb the rest), the
insurance fund from fees, then the house. What nobody can absorb stays in the clearing account: a
loss socialised into the hole, reported as `unabsorbed`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from hollow.config import to_ppm
from hollow.ledger.journal import AccountKind
from hollow.money import PPM, USD
from hollow.sessions.apportion import apportion
from hollow.sessions.cache import SessionCache
from hollow.sessions.day import DayConditions, MarketDay, Opening, trade_day
from hollow.world import data
from hollow.world.books import (
    DEPOSITORS,
    FEES,
    HOUSE_EXCHANGE,
    INSURANCE,
    MARKET,
    Books,
)
from hollow.world.scenario import Scenario, StressDay
from hollow.world.schedule import Schedule

CLEARING = "exchange:perp_clearing"
HOUSE_BUCKETS = ("spread", "adverse_selection", "fees", "funding", "liquidation")


@dataclass
class TradingDay:
    """What the day's trading did, in USD minor units (flows are in the journal)."""

    house: dict[str, int] = field(default_factory=lambda: dict.fromkeys(HOUSE_BUCKETS, 0))
    house_volume: int = 0
    volume: int = 0
    fees: int = 0
    stress: bool = False
    keys: list[str] = field(default_factory=list)
    absorbed: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # by who absorbed a shortfall
    desk_deposits: int = 0


class Market:
    """Trades a day and posts it. `fund_house(ts, amount) -> paid` tops up the house's exchange account
    from its own money; `house_floor(day)` is the lowest USD balance the house may reach that day."""

    def __init__(self, books: Books, scenario: Scenario, schedule: Schedule, cache: SessionCache,
                 fund_house: Callable[[int, int], int], house_floor: Callable[[dt.date], int | None]) -> None:
        self.books, self.scenario, self.schedule, self.cache = books, scenario, schedule, cache
        self.fund_house, self.house_floor = fund_house, house_floor
        self.clearing = books.ensure(CLEARING, AccountKind.EXCHANGE, "exchange", allow_negative_balance=True)
        self.sessions: dict[str, dict] = {}  # key -> sessions.parquet row
        self.markouts: dict[tuple[int, int, str], int] = {}  # (year, horizon s, taker class) -> the house's markout
        self.markout_volume: dict[int, int] = {}  # year -> the house's volume in those sessions
        self._desks: dict[str, int] = {}  # trading class -> its desk account
        for cls, cfg in sorted(scenario.depositors.items()):
            if cfg.desk_capital:  # its traders keep margin here whether or not the house quotes
                self._claims_account(cls, "")
        self.stress_days = {d.date: [] for d in scenario.stress.days}
        for d in scenario.stress.days:
            self.stress_days[d.date].append(d)

    # ------------------------------------------------------------------ conditions

    def _conditions(self, day: dt.date, index: int) -> list[DayConditions]:
        s, st = self.scenario.sessions, self.scenario.stress
        volume = self.schedule.volume_usd(day)
        piece = self.schedule.pieces[index]
        common = {"date": day, "vol_buckets_per_doubling": s.vol_buckets_per_doubling, "return_bucket": s.return_bucket}
        out = [DayConditions(regime=self.schedule.regime(index), open_price=data.open_price(s.vol_asset, day),
                             close_price=data.close(s.vol_asset, day),
                             realised_vol=data.realised_vol(s.vol_asset, day, s.vol_window_days) * s.vol_multiplier,
                             driver=(volume * piece.session_volume_share).quantize(Decimal(1)), **common)]
        stressed = list(self.stress_days.get(day, []))
        big_move = st.auto_abs_log_return is not None and abs(data.log_return(s.vol_asset, day)) >= st.auto_abs_log_return
        if big_move and all(d.asset != s.vol_asset for d in stressed):
            stressed.append(StressDay(date=day, asset=s.vol_asset, volume_share=st.auto_volume_share))
        for d in stressed:
            opened, closed = data.open_price(d.asset, day), data.close(d.asset, day)
            out.append(DayConditions(regime=self.schedule.stress_regime(index, d.asset), open_price=opened, close_price=closed,
                                     realised_vol=data.realised_vol(d.asset, day, s.vol_window_days) * s.vol_multiplier,
                                     driver=(volume * d.volume_share).quantize(Decimal(1)), stress=True, **common))
        return out

    def seed(self, day: dt.date) -> int:
        s = self.scenario
        return s.seed * 16 + day.toordinal() % s.sessions.seeds

    # ------------------------------------------------------------------ trading

    def trade(self, day: dt.date, ts: int, index: int, quoting: bool) -> TradingDay:
        """Run (or fetch) the day's sessions and post their flows (none while the house does not
        quote), then the fees on the rest of the exchange's volume."""
        result = TradingDay()
        for cond in self._conditions(day, index) if quoting else ():
            md = trade_day(cond, Opening(), self.seed(day), self.cache)
            self._record(md, cond)
            self._post(day, ts, md.flows, result)
            result.stress |= cond.stress
            result.keys.append(md.session_key)
            for k in HOUSE_BUCKETS:
                result.house[k] += md.house.get(k, 0)
            result.house_volume += md.volume_by_class.get("house", 0)
            self._add_markouts(cond.date.year, md)
            result.volume += sum(v for c, v in md.volume_by_class.items() if c != "market") // 2  # hedges are off the venue
            result.fees += sum((a if t == "exchange" else -a) for (f, t, code, cause), a in md.flows.items()
                               if cause == "fee" and "exchange" in (f, t) and f != t)  # fees less rebates paid
        others = self._other_fees(day, index)
        self._post(day, ts, others, result)
        result.fees += sum(others.values())
        return result

    def _add_markouts(self, year: int, md: MarketDay) -> None:
        """The house's markouts at +1/+10/+60 s by taker class, scaled to the day, summed by year."""
        for (horizon, cls), amount in md.markouts.items():
            key = (year, horizon, cls)
            self.markouts[key] = self.markouts.get(key, 0) + amount
        self.markout_volume[year] = self.markout_volume.get(year, 0) + md.volume_by_class.get("house", 0)

    def _record(self, md: MarketDay, cond: DayConditions) -> None:
        row = self.sessions.get(md.session_key)
        if row is None:
            info = md.session
            row = self.sessions[md.session_key] = {
                "session_key": md.session_key, "regime": info.get("regime", cond.regime.name), "seed": info.get("seed", 0),
                "stress": cond.stress, "house_volume_minor": info.get("house_volume_minor", 0),
                "pnl_by_class_minor": dict(info.get("pnl_by_class_minor", {})), "events": info.get("events", 0),
                "first_day": cond.date, "days": 0,
            }
        row["days"] += 1

    def _claims_account(self, cls: str, cause: str) -> int:
        b = self.books
        if cls == "house":
            return b.id(HOUSE_EXCHANGE)
        if cls == "exchange":
            return b.id(FEES) if cause in ("fee", "rebate") else b.id(INSURANCE)
        desk = self._desks.get(cls)
        if desk is None:
            desk = self._desks[cls] = b.ensure(f"customer:desk:{cls}", AccountKind.CUSTOMER, cls)
        return desk

    def _holdings_account(self, cls: str) -> int:
        if cls == "market":
            return self.books.id(MARKET)
        if cls == "house":
            return self.books.ensure("house:offvenue", AccountKind.HOUSE, "house", allow_negative_balance=True)
        return self.books.ensure(f"external:offvenue:{cls}", AccountKind.EXTERNAL, cls)

    def _other_fees(self, day: dt.date, index: int) -> dict[tuple[str, str, str, str], int]:
        """Fees on the volume the sessions do not stand for, paid by the trading desks in proportion
        to their capital."""
        piece = self.schedule.pieces[index]
        rest = USD.to_minor(self.schedule.volume_usd(day)) * (PPM - to_ppm(piece.session_volume_share, "share")) // PPM
        total = rest * to_ppm(piece.other_fee_bps / 10_000, "other_fee_bps") // PPM
        shares = {cls: to_ppm(self.scenario.depositors[cls].desk_capital, "desk_capital") for cls in self._desks
                  if cls in self.scenario.depositors}
        shares = {cls: w for cls, w in sorted(shares.items()) if w}
        if not total or not shares:
            return {}
        amounts = apportion(list(shares.values()), total, sum(shares.values()))
        return {(cls, "exchange", "USD", "fee"): a for cls, a in zip(shares, amounts) if a}

    def _post(self, day: dt.date, ts: int, flows: dict[tuple[str, str, str, str], int], result: TradingDay) -> None:
        payee_legs, payer_legs, holdings = [], [], []
        net: dict[tuple[int, str], int] = defaultdict(int)
        for (f, t, code, cause), amount in sorted(flows.items()):
            if f == t or amount <= 0:
                continue  # inside one class: nets to nothing in a class-level book
            if "market" in (f, t):
                holdings.append((self._holdings_account(f), self._holdings_account(t), code, amount, cause, t))
                continue
            payer, payee = self._claims_account(f, cause), self._claims_account(t, cause)
            payee_legs.append((self.clearing, payee, code, amount, cause, f))
            payer_legs.append((payer, self.clearing, code, amount, cause, t))
            net[(payer, code)] -= amount
            net[(payee, code)] += amount
        self._prefund(day, ts, net, result)
        self.books.post(ts, holdings + payee_legs + payer_legs)

    # ------------------------------------------------------------------ shortfalls

    def _floor(self, day: dt.date, account: int) -> int | None:
        """The lowest balance `account` may reach on `day` (None: no floor)."""
        if account == self.books.id(HOUSE_EXCHANGE):
            return self.house_floor(day)
        acct = self.books.journal.account(account)
        return None if acct.allow_negative_balance and acct.credit_limit_minor is None else acct.floor_minor

    def _prefund(self, day: dt.date, ts: int, net: dict[tuple[int, str], int], result: TradingDay) -> None:
        b = self.books
        house, insurance, fees = b.id(HOUSE_EXCHANGE), b.id(INSURANCE), b.id(FEES)
        for (account, code), amount in sorted(net.items()):
            floor = self._floor(day, account)
            if amount >= 0 or floor is None:
                continue
            short = floor - (b.journal.balance(account, code) + amount)
            if short <= 0:
                continue
            acct = b.journal.account(account)
            if acct.kind is AccountKind.CUSTOMER:  # a desk: its traders bring the money
                b.post(ts, b.onto_exchange(account, b.id(DEPOSITORS), code, short, "deposit", acct.cls))
                result.desk_deposits += short
                continue
            if account == house:
                paid = self.fund_house(ts, short)
                result.absorbed["house_own_money"] += paid
                short -= paid
                chain = (insurance, fees)
            elif account == insurance:
                chain = (fees, house)
            else:
                chain = (insurance, house)
            for donor in chain:
                if short <= 0:
                    break
                donor_floor = self._floor(day, donor)
                room = b.journal.balance(donor, code) - (0 if donor_floor is None else donor_floor)
                room += min(0, net.get((donor, code), 0))
                give = min(short, max(0, room))
                if give:
                    b.post(ts, [(donor, account, code, give, "backstop:absorb", acct.cls)])
                    result.absorbed[b.journal.account(donor).name] += give
                    short -= give
            if short > 0:  # nobody can: the clearing account keeps it, in the hole
                result.absorbed["unabsorbed"] += short
                net_leg = (self.clearing, account, code, short, "backstop:unabsorbed", acct.cls)
                b.post(ts, [net_leg])

    # ------------------------------------------------------------------ trading desks

    def desks(self) -> list[tuple[str, int]]:
        """(class, account) of every trading desk opened so far, in the order they opened."""
        return list(self._desks.items())

    def _capital(self, cls: str, day: dt.date) -> int:
        cfg = self.scenario.depositors.get(cls)
        return 0 if cfg is None else USD.to_minor(self.schedule.volume_usd(day)) * to_ppm(cfg.desk_capital, "desk_capital") // PPM

    def settle_desks(self, ts: int, day: dt.date, alert: bool) -> int:
        """Bring each desk up to its trading capital with its traders' deposits (none after bad news);
        returns the USD deposited."""
        if alert:
            return 0
        b, legs, total = self.books, [], 0
        for cls, account in self.desks():
            short = self._capital(cls, day) - b.journal.balance(account, "USD")
            if short > 0:
                legs += b.onto_exchange(account, b.id(DEPOSITORS), "USD", short, "deposit", cls)
                total += short
        b.post(ts, legs)
        return total

    def desk_requests(self, day: dt.date) -> list[tuple[float, int, str, int, str]]:
        """Withdrawal requests of each desk's profit above its capital (first in the day's queue)."""
        out = []
        for cls, account in self.desks():
            excess = self.books.journal.balance(account, "USD") - self._capital(cls, day)
            if excess > 0:
                out.append((0.0, account, "USD", excess, cls))
        return out
