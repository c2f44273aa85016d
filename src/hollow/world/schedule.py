"""The regime schedule by date: which piece a day falls in, its linear paths (the exchange's volume,
customer balances), and the session regime each piece runs (and its stress variant)."""

from __future__ import annotations

import bisect
import datetime as dt
from decimal import ROUND_HALF_EVEN, Decimal
from functools import cache

from hollow.sessions.regime import Regime
from hollow.world import data
from hollow.world.scenario import Period, Scenario


class Schedule:
    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.pieces = scenario.schedule
        self._starts = [p.start for p in self.pieces]
        self.regime = cache(self._regime)
        self.stress_regime = cache(self._stress_regime)

    def index(self, day: dt.date) -> int:
        i = bisect.bisect_right(self._starts, day) - 1
        if i < 0 or day > self.pieces[i].end:
            raise ValueError(f"{day} is not covered by the schedule")
        return i

    def piece(self, day: dt.date) -> Period:
        return self.pieces[self.index(day)]

    @staticmethod
    def _linear(p: Period, day: dt.date, start: Decimal, end: Decimal | None) -> Decimal:
        """`start` on the piece's first day to `end` on its last, exact to the micro-dollar."""
        if end is None or p.end == p.start:
            return start
        k = Decimal((day - p.start).days) / Decimal((p.end - p.start).days)
        return (start + (end - start) * k).quantize(Decimal("0.000001"), ROUND_HALF_EVEN)

    def volume_usd(self, day: dt.date) -> Decimal:
        p = self.piece(day)
        return self._linear(p, day, p.exchange_volume_usd, p.exchange_volume_end_usd)

    def balances_usd(self, day: dt.date) -> Decimal:
        p = self.piece(day)
        return self._linear(p, day, p.customer_balances_usd, p.customer_balances_end_usd)

    def _regime(self, index: int) -> Regime:
        """The base session with the piece's fields, the house's global settings and privileges."""
        s, p = self.scenario, self.pieces[index]
        base = s.sessions.regime.model_dump(mode="python")
        staleness = s.house.signal_staleness_ms if s.house.signal_staleness_ms is not None else p.signal_staleness_ms
        base["name"] = f"{s.name}-{p.name}"
        base["house"].update(signal_staleness_ms=staleness, requote_interval_ms=p.requote_interval_ms, order_entry_us=p.house_order_entry_us)
        base["arbitrageurs"].update(count=p.arbitrageurs, order_entry_us=p.arbitrageur_order_entry_us)
        base["trading_firms"].update(count=p.trading_firms, order_entry_us=p.trading_firm_order_entry_us)
        base["retail"].update(orders_per_hour=p.retail_orders_per_hour)
        step = s.sessions.price_step_usd
        level = data.close(s.sessions.vol_asset, p.start) or base["instrument"]["start_price"]
        base["instrument"]["start_price"] = max(step, (level / step).to_integral_value(ROUND_HALF_EVEN) * step)
        priv = s.house.privileges
        base["house_account"].update(
            allow_negative_balance=priv.allow_negative_balance, liquidation_exempt=priv.liquidation_exempt,
            fast_order_entry=priv.fast_order_entry,
            credit_limit_usd=priv.credit_limit_usd if priv.allow_negative_balance else None,
        )
        return Regime.model_validate(base)

    def _stress_regime(self, index: int, asset: str) -> Regime:
        """The piece's regime with margin rules, leveraged accounts and an insurance fund, on a
        perpetual of `asset` (its instrument from [stress.instruments], else the session's)."""
        st = self.scenario.stress
        base = self.regime(index).model_dump(mode="python")
        base["name"] = f"{base['name']}-stress-{asset.lower()}"
        base["duration_s"] = st.duration_s
        if asset != base["instrument"]["base"]:
            spec = st.instruments[asset]
            base["instrument"] = {"symbol": f"{asset}-PERP", "base": asset, "quote": "USD",
                                  "tick_size": spec.tick_size, "lot_size": spec.lot_size, "start_price": spec.tick_size}
        base["margin"] = st.margin.model_dump(mode="python")
        base["longs"] = st.longs.model_dump(mode="python")
        base["shorts"] = st.shorts.model_dump(mode="python")
        base["insurance_fund_usd"] = st.insurance_fund_usd
        base["house_account"].update(backstop_per_minute_usd=st.backstop_per_minute_usd, backstop_per_hour_usd=st.backstop_per_hour_usd)
        return Regime.model_validate(base)
