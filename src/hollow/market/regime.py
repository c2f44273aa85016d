"""A market regime: one session's agents, latencies, staleness, fees and volatility (TOML + pydantic).

Every field says its unit in its name. Unknown keys are rejected, so a typo never silently falls
back to a default; `load_regime` turns any problem into one line naming the file and the field.
"""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from hollow.errors import ScenarioError
from hollow.market.fees import FeeSchedule, FeeTier
from hollow.money import Instrument, asset

M = TypeVar("M", bound=BaseModel)
MAX_QUOTE_LEVELS = 50  # per side; deeper ladders are not what a quoter of this kind ran

Positive = Annotated[float, Field(gt=0)]
NonNegative = Annotated[float, Field(ge=0)]
Fraction = Annotated[float, Field(ge=0, le=1)]
PositiveInt = Annotated[int, Field(gt=0)]
Count = Annotated[int, Field(ge=0, le=10_000)]
UsdAmount = Annotated[Decimal, Field(ge=0, decimal_places=6)]  # money: exact, to the micro-dollar


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class InstrumentConfig(Strict):
    symbol: str = "BTC-PERP"
    base: str = "BTC"
    quote: str = "USD"
    tick_size: Annotated[Decimal, Field(gt=0)] = Decimal("0.5")
    lot_size: Annotated[Decimal, Field(gt=0)] = Decimal("0.0001")
    start_price: Annotated[Decimal, Field(gt=0)] = Decimal("10000")

    @model_validator(mode="after")
    def _exact(self) -> "InstrumentConfig":
        for code in (self.base, self.quote):
            asset(code)
        self.instrument().minor_per_tick_lot  # raises with the reason if not a whole minor unit
        return self

    def instrument(self) -> Instrument:
        return Instrument(self.symbol, self.base, self.quote, self.tick_size, self.lot_size, perpetual=True)

    def start_ticks(self) -> int:
        return self.instrument().price_to_ticks(self.start_price)


class ReferenceConfig(Strict):
    annual_volatility: Annotated[float, Field(ge=0, le=20)] = 0.8
    update_interval_ms: Positive = 100.0
    jumps_per_day: NonNegative = 0.0
    jump_std: NonNegative = 0.0
    drift_per_year: float = 0.0
    half_spread_bps: NonNegative = 0.5  # what a hedge on the reference venue costs


class FeeTierConfig(Strict):
    min_volume_usd: Annotated[Decimal, Field(ge=0)]
    maker_bps: Decimal
    taker_bps: Decimal


class VenueConfig(Strict):
    band_bps: Annotated[int, Field(ge=0, le=10_000)] = 0
    conflation_us: Annotated[int, Field(ge=0)] = 0
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


class HouseConfig(Strict):
    """The affiliated market maker: quotes a ladder around its own, stale view of fair value."""

    levels: Annotated[int, Field(ge=1, le=MAX_QUOTE_LEVELS)] = 5
    half_spread_bps: Positive = 2.0
    level_spacing_bps: Positive = 1.0
    size_lots: PositiveInt = 20
    skew_bps_at_limit: NonNegative = 5.0  # shift of the whole ladder when inventory is at max_position_lots
    max_position_lots: PositiveInt = 2_000
    requote_interval_ms: Positive = 250.0
    signal_staleness_ms: NonNegative = 1_000.0  # age of the fair-value view when it requotes
    signal_noise_bps: NonNegative = 1.0
    order_entry_us: Positive = 200.0  # the record says the house was a few ms FASTER than others
    feed_us: Positive = 1_000.0
    policy: Literal["keep_quoting", "stop_loss"] = "keep_quoting"
    stop_loss_usd: Annotated[Decimal, Field(gt=0, decimal_places=6)] = Decimal(50_000)
    stop_loss_window_s: Positive = 600.0
    trailing_volume_usd: UsdAmount = Decimal("1e9")


class ArbitrageurConfig(Strict):
    """Latency arbitrageurs: see the reference fast and take any house quote stale beyond fees."""

    count: Count = 5
    order_entry_us: Positive = 2_000.0
    feed_us: Positive = 200.0
    threshold_bps: NonNegative = 1.0
    clip_lots: PositiveInt = 50
    max_position_lots: PositiveInt = 500
    hedge: bool = True
    trailing_volume_usd: UsdAmount = Decimal("1e8")
    heterogeneity: Annotated[float, Field(ge=0, le=3)] = 0.5  # lognormal sigma of each one's latency and threshold


class TradingFirmConfig(Strict):
    """Mid-tier firms: a noisy, slower forecast of the reference; they win only against stale quotes."""

    count: Count = 10
    order_entry_us: Positive = 5_000.0
    signal_interval_ms: Positive = 500.0
    horizon_ms: Positive = 2_000.0
    skill: Fraction = 0.5
    noise_bps: NonNegative = 3.0
    threshold_bps: NonNegative = 2.0
    clip_lots: PositiveInt = 20
    max_position_lots: PositiveInt = 300
    trailing_volume_usd: UsdAmount = Decimal("1e7")
    heterogeneity: Annotated[float, Field(ge=0, le=3)] = 0.5


class RetailConfig(Strict):
    """Noise traders: Poisson orders, random direction, heavy-tailed sizes, some leveraged and held."""

    count: Count = 100
    orders_per_hour: Positive = 6.0
    market_fraction: Fraction = 0.6
    min_lots: PositiveInt = 1
    size_tail_alpha: Annotated[float, Field(gt=1, le=10)] = 1.5
    max_lots: PositiveInt = 500
    limit_offset_bps: NonNegative = 5.0
    limit_lifetime_s: Positive = 120.0
    leveraged_fraction: Fraction = 0.2
    leverage: Annotated[float, Field(ge=1, le=125)] = 5.0
    hold_minutes: Positive = 30.0
    order_entry_ms: Positive = 50.0

    @model_validator(mode="after")
    def _sizes(self) -> "RetailConfig":
        if self.max_lots < self.min_lots:
            raise ValueError("max_lots must be at least min_lots")
        return self


class Regime(Strict):
    name: str
    description: str = ""
    duration_s: Annotated[float, Field(gt=0, le=7 * 24 * 3600)]
    seed: int = 0
    instrument: InstrumentConfig = InstrumentConfig()
    reference: ReferenceConfig = ReferenceConfig()
    venue: VenueConfig = VenueConfig()
    house: HouseConfig = HouseConfig()
    arbitrageurs: ArbitrageurConfig = ArbitrageurConfig()
    trading_firms: TradingFirmConfig = TradingFirmConfig()
    retail: RetailConfig = RetailConfig()

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


def _field_path(loc: tuple) -> str:
    return ".".join(str(part) for part in loc) or "(file)"


def _reason(error: dict) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown key (a typo, or an agent class hollow does not have)"
    if error["type"] == "missing":
        return "required field is missing"
    message = error["msg"]
    return message.removeprefix("Value error, ")


def load_regime(path: Path | str) -> Regime:
    """Read and validate a market regime file."""
    return load_toml_model(path, Regime)


def load_toml_model(path: Path | str, model: type[M]) -> M:
    """Read a TOML file into a pydantic model; any problem becomes a `ScenarioError` naming file and field."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ScenarioError(str(path), "(file)", "no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(str(path), "(file)", f"cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(str(path), "(file)", f"not valid TOML: {exc}") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        first = errors[0]
        more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
        raise ScenarioError(str(path), _field_path(first["loc"]), _reason(first) + more) from None
