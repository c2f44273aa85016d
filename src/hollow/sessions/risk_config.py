"""The risk side of a session: margin rules, collateral assets, the house's account and privileges,
seeded leveraged positions and a crash on the reference path."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Optional

from pydantic import Field, model_validator

from hollow.config import DelayS, IntervalMs, IntervalS, LatencyMs, Percent, Positive, PositiveInt, Strict
from hollow.config import to_ppm as _ppm
from hollow.money import PPM, asset
from hollow.risk.margin import CollateralAsset, MarginParams


class CrashConfig(Strict):
    """A log-linear fall of `drop_pct` over `over_s`, starting at `start_s`, on top of the diffusion."""

    start_s: DelayS = 600.0
    drop_pct: Percent = Decimal(50)
    over_s: IntervalS = 1800.0


class MarginConfig(Strict):
    max_leverage: Annotated[int, Field(ge=1, le=125)] = 20
    imf_factor: Annotated[Decimal, Field(ge=0, lt=1)] = Decimal("0.0005")
    maintenance_pct: Percent = Decimal(3)
    auto_close_pct: Percent = Decimal("1.5")
    risk_interval_ms: IntervalMs = 1_000.0
    funding_interval_s: Annotated[int, Field(ge=60, le=86_400)] = 3_600
    orderly_slice_pct: Percent = Decimal(10)
    orderly_min_slice_lots: PositiveInt = 1
    orderly_band_bps: Annotated[Decimal, Field(gt=0, le=10_000)] = Decimal(5)  # FTX: 1-5 bp through the book (exchange-mechanics.md 1.4)

    def params(self) -> MarginParams:
        return MarginParams(
            base_imf_ppm=PPM // self.max_leverage,
            imf_factor_ppm=_ppm(self.imf_factor, "imf_factor"),
            base_mmf_ppm=_ppm(self.maintenance_pct / 100, "maintenance_pct"),
            base_acmf_ppm=_ppm(self.auto_close_pct / 100, "auto_close_pct"),
        )

    @model_validator(mode="after")
    def _ordered(self) -> "MarginConfig":
        imf = Decimal(100) / self.max_leverage
        if not self.auto_close_pct <= self.maintenance_pct <= imf:
            raise ValueError(f"need auto_close_pct <= maintenance_pct <= 100/max_leverage ({imf}%)")
        self.params()
        return self


class CollateralConfig(Strict):
    asset: str
    weight: Annotated[Decimal, Field(ge=0, le=1, decimal_places=6)]  # exact in parts per million
    initial_weight: Annotated[Decimal, Field(ge=0, le=1, decimal_places=6)]  # exact in parts per million
    imf_factor: Annotated[Decimal, Field(ge=0, lt=1, decimal_places=6)]  # exact in parts per million
    price_usd: Annotated[Decimal, Field(gt=0)]

    @model_validator(mode="after")
    def _known(self) -> "CollateralConfig":
        asset(self.asset)
        return self

    def collateral(self) -> CollateralAsset:
        return CollateralAsset(
            self.asset, _ppm(self.weight, "weight"), _ppm(self.initial_weight, "initial_weight"),
            _ppm(self.imf_factor, "imf_factor"), asset("USD").to_minor(self.price_usd),
        )


class HouseAccountConfig(Strict):
    """The house's money, privileges (each breaks a named invariant) and backstop capacity."""

    collateral_usd: Annotated[Decimal, Field(ge=0)] = Decimal(10_000_000)
    collateral_units: dict[str, Annotated[Decimal, Field(ge=0)]] = {}
    allow_negative_balance: bool = False
    credit_limit_usd: Optional[Annotated[Decimal, Field(ge=0)]] = None
    liquidation_exempt: bool = False
    fast_order_entry: bool = False
    backstop_per_minute_usd: Annotated[Decimal, Field(ge=0)] = Decimal(100_000)
    backstop_per_hour_usd: Annotated[Decimal, Field(ge=0)] = Decimal(300_000)


COLLATERAL_Z_MAX = 6.0
"""A long's collateral is drawn log-normal, its normal draw clipped to +/- this many sigmas (a chance
of about 1e-9 each), so the largest deposit a regime can draw is known, and checked, before it runs."""


class LongsConfig(Strict):
    """Leveraged retail longs: collateral log-normal around a median (clipped at COLLATERAL_Z_MAX
    sigmas), leverage uniform in a range."""

    count: Annotated[int, Field(ge=1, le=100_000)] = 1_000
    collateral_median_usd: Positive = 2_000.0
    collateral_sigma: Annotated[float, Field(ge=0, le=5)] = 1.0
    leverage_min: Annotated[Decimal, Field(ge=1, le=125)] = Decimal(2)
    leverage_max: Annotated[Decimal, Field(ge=1, le=125)] = Decimal(20)
    order_entry_ms: LatencyMs = 50.0

    @model_validator(mode="after")
    def _range(self) -> "LongsConfig":
        if self.leverage_max < self.leverage_min:
            raise ValueError("leverage_max must be at least leverage_min")
        return self


class ShortsConfig(Strict):
    """The other side of the longs at the start: traders short at moderate leverage (ADL candidates)."""

    count: Annotated[int, Field(ge=1, le=10_000)] = 20
    leverage: Annotated[Decimal, Field(ge=1, le=125)] = Decimal(3)
