"""The world scenario: dates, the regime schedule, the house, depositors, the run, the token, lenders,
spending and longs, as one strict pydantic schema (unknown keys are errors).

Dates that depend on each other (the schedule's pieces, events inside the run's window and the price
data) are checked after the fields, in `load.check_scenario`, so each problem names its own field.
Money is Decimal USD here (exact to the micro-dollar); fractions that multiply money are Decimal too
and become integer ppm where they are used. Model inputs that never touch money (volatility,
hazards, impact) are floats.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, model_validator

from hollow.config import (
    Count,
    DelayMs,
    IntervalMs,
    LatencyUs,
    Name,
    NonNegative,
    Positive,
    PositiveInt,
    Seed,
    Strict,
    UsdAmount,
)
from hollow.sessions.regime import Regime
from hollow.sessions.risk_config import LongsConfig, MarginConfig, ShortsConfig

Share = Annotated[Decimal, Field(ge=0, le=1)]  # a fraction that multiplies money: exact, becomes ppm
Units = Annotated[Decimal, Field(ge=0, le=Decimal(10) ** 12)]  # whole coins or tokens
Day = dt.date


class Period(Strict):
    """One piece of the regime schedule, `start` to `end` inclusive. Volumes and balances are daily
    USD at the start, moving linearly to the `*_end_usd` value (same as the start when omitted)."""

    name: Name
    start: Day
    end: Day
    signal_staleness_ms: DelayMs
    requote_interval_ms: IntervalMs
    house_order_entry_us: LatencyUs
    arbitrageurs: Count
    arbitrageur_order_entry_us: LatencyUs
    trading_firms: Count
    trading_firm_order_entry_us: LatencyUs
    retail_orders_per_hour: Positive
    exchange_volume_usd: UsdAmount
    exchange_volume_end_usd: UsdAmount | None = None
    house_share: Share  # the record's share of the exchange's volume, reported beside the model's
    session_volume_share: Share = Decimal(1)  # of the exchange's volume, what the day's session stands for (tuned so
    # that the house's share of the exchange's volume comes out near `house_share`)
    customer_balances_usd: UsdAmount
    customer_balances_end_usd: UsdAmount | None = None
    other_fee_bps: Annotated[Decimal, Field(ge=0, le=100)] = Decimal(0)  # the exchange's fees on the rest of its volume


class SessionSettings(Strict):
    """How a day's market is represented: the base session (a full regime) and its bucketing."""

    regime: Regime
    seeds: Annotated[int, Field(ge=1, le=16)] = 1  # distinct session seeds cycled over the days
    vol_asset: Literal["BTC", "ETH"] = "BTC"
    vol_window_days: Annotated[int, Field(ge=2, le=365)] = 30
    vol_multiplier: Annotated[float, Field(gt=0, le=10)] = 1.0  # session volatility / the daily realised one
    vol_buckets_per_doubling: Annotated[int, Field(ge=1, le=16)] = 2
    return_bucket: Annotated[float, Field(gt=0, le=1)] = 0.05
    price_step_usd: UsdAmount = Decimal(1000)  # each period's session starts at its first close, rounded


class StressInstrument(Strict):
    tick_size: Annotated[Decimal, Field(gt=0)]
    lot_size: Annotated[Decimal, Field(gt=0)]


class StressDay(Strict):
    date: Day
    asset: Literal["BTC", "ETH", "SOL", "FTT", "LUNA"]
    volume_share: Share  # the stress book's share of the exchange's volume that day


class StressSettings(Strict):
    """Liquidation-cascade days: listed ones, and any day the volatility asset moves beyond
    `auto_abs_log_return`. Their session adds margin rules and leveraged accounts to the day's regime,
    with the house as backstop liquidity provider."""

    days: list[StressDay] = []
    auto_abs_log_return: Annotated[float, Field(gt=0, le=5)] | None = None
    auto_volume_share: Share = Decimal("0.1")
    duration_s: Annotated[float, Field(gt=0, le=86_400)] = 300.0
    instruments: dict[str, StressInstrument] = {}
    margin: MarginConfig = MarginConfig()
    longs: LongsConfig = LongsConfig()
    shorts: ShortsConfig = ShortsConfig()
    insurance_fund_usd: UsdAmount = Decimal(250_000)
    backstop_per_minute_usd: UsdAmount = Decimal(100_000)
    backstop_per_hour_usd: UsdAmount = Decimal(300_000)


class Privileges(Strict):
    """The affiliate's documented privileges (reference section 1.8), each switchable."""

    allow_negative_balance: bool = True
    credit_limit_usd: UsdAmount | None = Decimal(65_000_000_000)  # only with allow_negative_balance
    liquidation_exempt: bool = True
    fast_order_entry: bool = True
    granted_on: Day = dt.date(2019, 7, 31)  # the day the house may first go negative


class HouseSettings(Strict):
    owners_capital_usd: UsdAmount = Decimal(0)
    signal_staleness_ms: DelayMs | None = None  # when set, replaces every period's value
    quoter_off_from: Day | None = None  # from this day the house quotes no more
    fiat_routing: bool = True  # customers' bank wires land in the house's account (fiat@)
    privileges: Privileges = Privileges()
    liquidity_floor: Share = Decimal("0.1")  # custody USD it leaves, as a share of customers' USD
    trading_margin_usd: UsdAmount = Decimal(10_000_000)  # it must keep this on its exchange account to quote without credit


class RunSensitivity(Strict):
    """A class's daily hazard of withdrawing everything while alert, on top of ordinary churn:
    news * intensity * (1 + token * the token's log fall from its high) + peers * yesterday's outflow."""

    news: NonNegative = 0.0
    token: NonNegative = 0.0
    peers: NonNegative = 0.0


class DepositorClass(Strict):
    accounts: Annotated[int, Field(ge=1, le=1_000_000)]
    share: Share  # of the schedule's customer balances
    pareto_alpha: Annotated[float, Field(gt=1, le=10)] = 1.5
    asset_mix: dict[str, Share] = {"USD": Decimal(1)}
    fiat_share: Share = Decimal(0)  # of its USD deposits, arriving by bank wire
    churn_per_day: Share = Decimal("0.005")
    pull_per_day: Share = Decimal("0.05")  # share of the gap to its schedule balances closed each day
    deposits_per_day: Annotated[int, Field(ge=1, le=100_000)] = 20
    withdrawals_per_day: Annotated[int, Field(ge=1, le=100_000)] = 20
    desk_capital: Share = Decimal(0)  # trading capital its desk keeps, as a share of the day's exchange volume
    run: RunSensitivity = RunSensitivity()

    @model_validator(mode="after")
    def _mix(self) -> DepositorClass:
        if sum(self.asset_mix.values()) != 1:
            raise ValueError(f"asset_mix must add up to 1, got {sum(self.asset_mix.values())}")
        unknown = set(self.asset_mix) - {"USD", "BTC", "ETH", "SOL"}
        if unknown:
            raise ValueError(f"asset_mix: depositors bring USD, BTC, ETH or SOL, not {sorted(unknown)}")
        return self


class Shock(Strict):
    date: Day
    name: str
    intensity: NonNegative
    source: str  # a row id of calibration_targets.csv


class RunSettings(Strict):
    shocks: list[Shock] = []
    news_half_life_days: Positive = 3.0
    token_window_days: Annotated[int, Field(ge=1, le=365)] = 30
    alert_news: NonNegative = 0.1  # news at or above this: no new deposits, and the run's hazards apply
    base_hazard: Annotated[float, Field(ge=0, le=1)] = 0.0  # extra daily hazard while alert


class Endogenous(Strict):
    """The token's price in endogenous mode: log return = beta * the volatility asset's log return
    - impact * (sold - bought) / float - news * news intensity."""

    beta: float = 1.5
    impact: NonNegative = 2.0
    news: NonNegative = 0.3


class TokenSettings(Strict):
    code: Literal["FTT"] = "FTT"
    launch: Day = dt.date(2019, 7, 30)
    supply_units: Units = Decimal(350_000_000)
    house_units: Units = Decimal(0)  # the house's stack, deposited on its exchange account
    treasury_units: Units = Decimal(0)  # the exchange's own tokens; the rest floats in the market
    burn_fee_share: Share = Decimal("0.333333")  # a third of fees, to the ppm
    burn_every_days: PositiveInt = 7
    burn_cap_units: Units = Decimal(175_000_000)
    rival_units: Units = Decimal(0)
    rival_date: Day | None = None  # the rival receives its stake from the treasury
    rival_sale_start: Day | None = None
    rival_sale_days: Annotated[int, Field(ge=1, le=365)] = 5
    price_mode: Literal["replay", "endogenous"] = "replay"
    endogenous: Endogenous = Endogenous()
    weight: Share = Decimal("0.95")  # collateral weight before the size haircut
    imf_factor: Share = Decimal("0.0005")
    fire_sale: Share = Decimal("0.1")  # of market, for the house's stack sold at once

    @model_validator(mode="after")
    def _units(self) -> TokenSettings:
        if self.house_units + self.treasury_units > self.supply_units:
            raise ValueError("house_units + treasury_units exceed supply_units")
        if self.rival_units > self.treasury_units:
            raise ValueError("rival_units exceed treasury_units (the stake comes out of the treasury)")
        return self


class Dated(Strict):
    date: Day
    usd: UsdAmount


class Lender(Strict):
    name: Name
    rate_pct: Annotated[Decimal, Field(ge=0, le=100)] = Decimal(10)
    collateral_asset: Literal["FTT", "BTC"] = "FTT"
    initial_ltv: Annotated[Decimal, Field(gt=0, le=10)] = Decimal("0.5")  # loan / collateral at a draw
    call_ltv: Annotated[Decimal, Field(gt=0, le=10)] = Decimal("0.7")  # above this the lender calls
    draws: list[Dated] = []
    repayments: list[Dated] = []  # the house's own schedule
    recalls: list[Dated] = []  # the lender asks for this much back (open-term loans)
    source: str = ""

    @model_validator(mode="after")
    def _ltv(self) -> Lender:
        if self.call_ltv < self.initial_ltv:
            raise ValueError("call_ltv must be at least initial_ltv")
        return self


class Spending(Strict):
    """Money the house spends, evenly by day from `start` to `end`: ventures (marked at cost, worth
    `recovery` in a fire sale), loans to insiders (at face, worth `recovery`), or expenses (gone)."""

    id: str
    bucket: Literal["venture", "insider_loan", "expense"]
    usd: UsdAmount
    start: Day
    end: Day | None = None
    recovery: Share = Decimal(0)
    source: str | None = None


class Long(Strict):
    """A directional position the house buys at the closes from `start` to `end`, marked to the real
    price path, sold at the close of `sell_on` if given."""

    id: str
    asset: Literal["BTC", "ETH", "SOL", "LUNA"]
    usd: UsdAmount
    start: Day
    end: Day | None = None
    sell_on: Day | None = None
    source: str | None = None


class Scenario(Strict):
    name: Name
    description: str = ""
    seed: Seed = 0
    start: Day
    end: Day
    sessions: SessionSettings
    schedule: list[Period] = Field(min_length=1)
    house: HouseSettings = HouseSettings()
    depositors: dict[Name, DepositorClass] = Field(min_length=1)
    run: RunSettings = RunSettings()
    stress: StressSettings = StressSettings()
    token: TokenSettings = TokenSettings()
    lenders: list[Lender] = []
    spending: list[Spending] = []
    longs: list[Long] = []
    hole_threshold_usd: UsdAmount = Decimal(1_000_000)  # a hole below this is rounding, not a hole
    # assumption field (dotted, as --set) -> [low, high]: what `hollow sweep --sample` draws from (docs/uncertainty.md)
    ranges: dict[str, Annotated[list[int | float], Field(min_length=2, max_length=2)]] = {}
