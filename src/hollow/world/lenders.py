"""Loans from crypto lenders to the house, against coin or token collateral (`ledger.Loans` books the
debt; the pledged units sit in `house:collateral:<lender>`).

A draw brings cash into the treasury and pledges collateral worth loan / `initial_ltv` at market (the
house's tokens come off its exchange account; coins from its longs), as far as it has them. Interest
accrues monthly. A lender calls when the debt exceeds `call_ltv` of the collateral's market value:
the house pledges more, else repays down to `initial_ltv`; collateral beyond what the debt needs at
`initial_ltv` (after a repayment, or when its price rose) is given back. Recalls (open-term loans called, as in
June 2022) and the house's own repayments are paid with whatever cash it can raise, customer money
included when it is privileged. A call or recall the house cannot meet is a default: the lender
seizes the collateral (its market value comes off the debt) and the house has failed.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from hollow.ledger import Loans
from hollow.ledger.journal import AccountKind
from hollow.money import PPM, USD
from hollow.money import asset as lookup_asset
from hollow.world.books import HOUSE_EXCHANGE, LONGS, Books
from hollow.world.house import House
from hollow.world.scenario import Lender, Scenario

LENDER_PREFIX = "external:lender:"


@dataclass
class LenderState:
    config: Lender
    collateral: int  # account id of the pledged units
    defaulted_on: dt.date | None = None
    drawn: int = 0
    repaid: int = 0
    recalled: int = 0
    interest: int = 0
    seized_value: int = 0
    events: dict[dt.date, list[tuple[str, int]]] = field(default_factory=lambda: defaultdict(list))


class Lending:
    def __init__(self, books: Books, scenario: Scenario, house: House) -> None:
        self.books, self.house = books, house
        self.loans = Loans(books.journal)
        self.lenders: list[LenderState] = []
        for cfg in scenario.lenders:
            self.loans.open_lender(cfg.name)
            books.ids.update({f"house:loan:{cfg.name}": books.journal.account_id(f"house:loan:{cfg.name}"),
                              LENDER_PREFIX + cfg.name: books.journal.account_id(LENDER_PREFIX + cfg.name)})
            coll = books.ensure(f"house:collateral:{cfg.name}", AccountKind.HOUSE, "house")
            state = LenderState(cfg, coll)
            for kind in ("draws", "repayments", "recalls"):
                for event in getattr(cfg, kind):
                    state.events[event.date].append((kind, USD.to_minor(event.usd)))
            self.lenders.append(state)
        self.sold_units: dict[str, int] = defaultdict(int)  # collateral lenders sold today, by asset

    def owed(self, state: LenderState) -> int:
        return self.loans.owed(state.config.name, "USD")

    def total_owed(self) -> int:
        return sum(self.owed(s) for s in self.lenders)

    def _ppm(self, value: Decimal) -> int:
        return int(value * PPM)

    def _value(self, state: LenderState, prices: dict[str, int]) -> int:
        code = state.config.collateral_asset
        return self.books.balance(state.collateral, code) * prices.get(code, 0) // lookup_asset(code).scale

    def _pledge(self, ts: int, state: LenderState, usd: int, prices: dict[str, int]) -> None:
        """Pledge collateral worth `usd` at market, as far as the house has it."""
        code, b = state.config.collateral_asset, self.books
        price = prices.get(code)
        if not price or usd <= 0:
            return
        want = -(-usd * lookup_asset(code).scale // price)
        source = b.id(HOUSE_EXCHANGE) if code != "BTC" else b.id(LONGS)
        units = min(want, max(0, b.balance(source, code)))
        if code != "BTC":
            units = min(units, b.balance(b.custody, code))
            b.post(ts, b.off_exchange(source, state.collateral, code, units, "loan:pledge", "lender"))
        else:
            b.post(ts, [(source, state.collateral, code, units, "loan:pledge", "lender")])

    def _pay(self, ts: int, day: dt.date, state: LenderState, amount: int, prices: dict[str, int]) -> int:
        """Repay up to `amount` with what the house can raise; returns what it paid."""
        amount = min(amount, self.owed(state))
        if amount <= 0:
            return 0
        h = self.house
        if h.cash() < amount:
            h.raise_cash(ts, day, amount - h.cash(), prices)
        paid = min(amount, h.cash())
        if paid > 0:
            self.loans.repay(ts, state.config.name, "USD", paid)
            state.repaid += paid
            self._release(ts, state, prices)
        return paid

    def _release(self, ts: int, state: LenderState, prices: dict[str, int]) -> None:
        """Give back the collateral beyond what the remaining debt needs at `initial_ltv`."""
        code, b = state.config.collateral_asset, self.books
        price = prices.get(code)
        if not price:
            return
        needed = -(-self.owed(state) * PPM * lookup_asset(code).scale // (self._ppm(state.config.initial_ltv) * price))
        units = b.balance(state.collateral, code) - needed
        if units <= 0:
            return
        if code != "BTC":
            b.post(ts, b.onto_exchange(b.id(HOUSE_EXCHANGE), state.collateral, code, units, "loan:release", "lender"))
        else:
            b.post(ts, [(state.collateral, b.id(LONGS), code, units, "loan:release", "lender")])

    def _default(self, ts: int, day: dt.date, state: LenderState, prices: dict[str, int]) -> None:
        """The lender seizes and sells the collateral; its market value comes off the debt."""
        code, b, name = state.config.collateral_asset, self.books, state.config.name
        units = b.balance(state.collateral, code)
        value = min(self._value(state, prices), self.owed(state))
        lender = b.id(LENDER_PREFIX + name)
        b.post(ts, [(state.collateral, lender, code, units, "loan:seize", "lender"),
                    (lender, b.id(f"house:loan:{name}"), "USD", value, "loan:seize", "lender")])
        self.sold_units[code] += units
        state.seized_value += value
        state.defaulted_on = day
        if self.house.failed_on is None:
            self.house.failed_on = day

    def day(self, ts: int, day: dt.date, prices: dict[str, int]) -> None:
        self.sold_units.clear()
        for state in self.lenders:
            if state.defaulted_on is not None:
                continue
            cfg, name = state.config, state.config.name
            if day.day == 1 and self.owed(state) > 0:
                rate = int(cfg.rate_pct * 10_000) // 12  # monthly, ppm
                due = self.loans.interest_due(name, "USD", rate)
                if due > 0:
                    self.loans.charge_interest(ts, name, "USD", due)
                    state.interest += due
            for kind, amount in state.events.get(day, ()):
                if kind == "draws" and self.house.failed_on is None:
                    self.loans.draw(ts, name, "USD", amount)
                    state.drawn += amount
                    self._pledge(ts, state, amount * PPM // self._ppm(cfg.initial_ltv), prices)
                elif kind == "repayments":
                    self._pay(ts, day, state, amount, prices)
                elif kind == "recalls":
                    want = min(amount, self.owed(state))
                    state.recalled += want
                    if self._pay(ts, day, state, want, prices) < want:
                        self._default(ts, day, state, prices)
                        break
            if state.defaulted_on is None:
                self._margin_call(ts, day, state, prices)

    def _margin_call(self, ts: int, day: dt.date, state: LenderState, prices: dict[str, int]) -> None:
        owed, cfg = self.owed(state), state.config
        if owed <= 0 or not prices.get(cfg.collateral_asset):
            return
        call, initial = self._ppm(cfg.call_ltv), self._ppm(cfg.initial_ltv)
        if owed * PPM <= call * self._value(state, prices):
            self._release(ts, state, prices)  # collateral that rose in value beyond what the debt needs
            return
        self._pledge(ts, state, owed * PPM // initial - self._value(state, prices), prices)
        value = self._value(state, prices)
        if owed * PPM <= call * value:
            return
        need = owed - value * initial // PPM
        if self._pay(ts, day, state, need, prices) < need:
            self._default(ts, day, state, prices)
