"""A market regime: one session's agents, latencies, staleness, fees and volatility (TOML + pydantic).

Every field says its unit in its name. Unknown keys are rejected, so a typo never silently falls
back to a default; `load_regime` turns any problem into one line naming the file and the field.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated, Optional

from pydantic import Field, field_validator, model_validator

from hollow.agents.arbitrageur import ArbitrageurConfig
from hollow.agents.house_maker import HouseConfig
from hollow.agents.retail import RetailConfig
from hollow.agents.trading_firm import TradingFirmConfig
from hollow.config import (
    MAX_LATENCY_NS,
    IntervalMs,
    IntervalS,
    LatencyUs,
    Name,
    NonNegative,
    Seed,
    Strict,
    UsdAmount,
    load_toml_model,
)
from hollow.errors import ScenarioError
from hollow.market.fees import FeeSchedule, FeeTier
from hollow.money import Instrument, asset
from hollow.sessions.risk_config import (
    CollateralConfig,
    CrashConfig,
    HouseAccountConfig,
    LongsConfig,
    MarginConfig,
    ShortsConfig,
)


class InstrumentConfig(Strict):
    symbol: str = "BTC-PERP"
    base: str = "BTC"
    quote: str = "USD"
    tick_size: Annotated[Decimal, Field(gt=0)] = Decimal("0.5")
    lot_size: Annotated[Decimal, Field(gt=0)] = Decimal("0.0001")
    start_price: Annotated[Decimal, Field(gt=0)] = Decimal("10000")

    @field_validator("quote")
    @classmethod
    def _usd(cls, quote: str) -> str:
        if quote != "USD":
            raise ValueError(f"must be USD, got {quote!r}: every amount in a regime (the *_usd fields) is in USD")
        return quote

    @model_validator(mode="after")
    def _exact(self) -> "InstrumentConfig":
        asset(self.base)
        if self.base == self.quote:
            raise ValueError(f"base and quote are both {self.base}: a perpetual needs a base asset other than its quote")
        self.instrument().minor_per_tick_lot  # raises with the reason if not a whole minor unit
        return self

    def instrument(self) -> Instrument:
        return Instrument(self.symbol, self.base, self.quote, self.tick_size, self.lot_size, perpetual=True)

    def start_ticks(self) -> int:
        return self.instrument().price_to_ticks(self.start_price)


class ReferenceConfig(Strict):
    annual_volatility: Annotated[float, Field(ge=0, le=20)] = 0.8
    update_interval_ms: IntervalMs = 100.0
    jumps_per_day: NonNegative = 0.0
    jump_std: NonNegative = 0.0
    drift_per_year: float = 0.0
    half_spread_bps: NonNegative = 0.5  # what a hedge on the reference venue costs
    crash: Optional[CrashConfig] = None  # a log-linear fall on top of the diffusion


class FeeTierConfig(Strict):
    min_volume_usd: Annotated[Decimal, Field(ge=0)]
    maker_bps: Decimal
    taker_bps: Decimal


class VenueConfig(Strict):
    band_bps: Annotated[int, Field(ge=0, le=10_000)] = 0
    conflation_us: Annotated[int, Field(ge=0, le=MAX_LATENCY_NS // 1_000)] = 0
    fee_tiers: list[FeeTierConfig] = Field(
        default_factory=lambda: [
            FeeTierConfig(min_volume_usd=Decimal(0), maker_bps=Decimal(2), taker_bps=Decimal(7)),
            FeeTierConfig(min_volume_usd=Decimal(50_000_000), maker_bps=Decimal(0), taker_bps=Decimal(4)),
        ]
    )

    def fee_schedule(self) -> FeeSchedule:
        def ppm(bps: Decimal) -> int:
            value = bps * 100
            if value != value.to_integral_value():
                raise ValueError(f"fee {bps} bps is finer than 0.01 bps")
            return int(value)

        return FeeSchedule(
            tuple(FeeTier(asset("USD").to_minor(t.min_volume_usd), ppm(t.maker_bps), ppm(t.taker_bps)) for t in self.fee_tiers)
        )

    @model_validator(mode="after")
    def _schedule(self) -> "VenueConfig":
        self.fee_schedule()
        return self


class AccountsConfig(Strict):
    """What each trader has on its exchange account at the start (USD, from its own external source):
    enough that a session without margin rules never leaves a loser unable to pay."""

    arbitrageur_usd: UsdAmount = Decimal(5_000_000)
    trading_firm_usd: UsdAmount = Decimal(1_000_000)
    retail_usd: UsdAmount = Decimal(50_000)


class Regime(Strict):
    """One market session: the exchange, the reference venue, the agents, and (optionally) margin rules,
    collateral, an insurance fund, seeded leveraged positions and a crash."""

    name: Name
    description: str = ""
    duration_s: Annotated[IntervalS, Field(le=7 * 24 * 3600)]
    seed: Seed = 0
    instrument: InstrumentConfig = InstrumentConfig()
    reference: ReferenceConfig = ReferenceConfig()
    venue: VenueConfig = VenueConfig()
    house: HouseConfig = HouseConfig()
    house_account: HouseAccountConfig = HouseAccountConfig()
    arbitrageurs: ArbitrageurConfig = ArbitrageurConfig()
    trading_firms: TradingFirmConfig = TradingFirmConfig()
    retail: RetailConfig = RetailConfig()
    accounts: AccountsConfig = AccountsConfig()
    standard_order_entry_us: LatencyUs = 2_000.0  # the house's order entry without `fast_order_entry`
    margin: Optional[MarginConfig] = None  # None: no pre-trade check, no risk process, settled at the end
    collateral: list[CollateralConfig] = []
    insurance_fund_usd: UsdAmount = Decimal(0)
    longs: Optional[LongsConfig] = None
    shorts: ShortsConfig = ShortsConfig()

    @model_validator(mode="after")
    def _ladder_inside_band(self) -> "Regime":
        h = self.house
        depth_bps = h.half_spread_bps + (h.levels - 1) * h.level_spacing_bps
        if self.venue.band_bps and depth_bps >= self.venue.band_bps:
            raise ValueError(
                f"house ladder reaches {depth_bps:g} bps from fair value, beyond the venue band of "
                f"{self.venue.band_bps} bps: its outer levels would be rejected (fewer levels or a wider band)"
            )
        return self

    @model_validator(mode="after")
    def _parts_fit(self) -> "Regime":
        """Parts that only mean something together: one clear line when they are mixed wrongly."""
        known = {c.asset for c in self.collateral}
        missing = set(self.house_account.collateral_units) - known
        if missing:
            raise ValueError(f"house_account.collateral_units names {sorted(missing)}, not in [[collateral]]")
        if len(known) != len(self.collateral):
            raise ValueError("collateral: an asset is listed twice")
        if self.instrument.quote in known:
            raise ValueError(f"collateral: {self.instrument.quote} is the quote asset, it needs no weight")
        ha = self.house_account
        if ha.credit_limit_usd is not None and not ha.allow_negative_balance:
            raise ValueError("house_account.credit_limit_usd needs house_account.allow_negative_balance = true")
        crash = self.reference.crash
        if crash is not None and crash.start_s >= self.duration_s:
            raise ValueError(f"reference.crash.start_s = {crash.start_s:g} is not before duration_s = {self.duration_s:g}: the crash would never happen")
        if self.margin is None:
            for what, present in (("longs", self.longs is not None), ("collateral", bool(self.collateral)),
                                  ("reference.crash", self.reference.crash is not None)):
                if present:
                    raise ValueError(f"{what} needs a [margin] section (a cascade's parts go together: margin rules, leveraged accounts, collateral, a crash)")
        return self

    def house_order_entry_us(self) -> float:
        """The house's link to the engine: its own fast line only with the `fast_order_entry` privilege."""
        return self.house.order_entry_us if self.house_account.fast_order_entry else self.standard_order_entry_us


def load_regime(path: Path | str) -> Regime:
    """Read and validate a market regime file."""
    return load_toml_model(path, Regime)


def load_cascade(path: Path | str) -> Regime:
    """Read a regime that must have the risk parts a cascade needs: margin rules and leveraged accounts."""
    regime = load_regime(path)
    for field, present in (("margin", regime.margin is not None), ("longs", regime.longs is not None)):
        if not present:
            raise ScenarioError(str(path), field, f"a cascade needs a [{field}] section (see scenarios/regimes/luna_crash.toml)")
    return regime
