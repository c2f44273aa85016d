"""Maker/taker fee schedule with volume tiers (rebates allowed), in integer parts per million."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from hollow.money import fee_minor


@dataclass(frozen=True, slots=True)
class FeeTier:
    min_volume_minor: int  # trailing volume (quote minor units) needed for this tier
    maker_ppm: int  # negative = rebate paid to the maker
    taker_ppm: int


@dataclass(frozen=True, slots=True)
class FeeSchedule:
    """Tiers sorted by volume. A taker fee must cover the largest rebate, so the venue never pays out net."""

    tiers: tuple[FeeTier, ...]
    _volumes: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.tiers:
            raise ValueError("a fee schedule needs at least one tier")
        volumes = [t.min_volume_minor for t in self.tiers]
        if volumes != sorted(volumes) or volumes[0] != 0:
            raise ValueError("fee tiers must start at volume 0 and be sorted by volume")
        if min(t.taker_ppm for t in self.tiers) + min(t.maker_ppm for t in self.tiers) < 0:
            raise ValueError("the lowest taker fee must cover the largest maker rebate")
        object.__setattr__(self, "_volumes", tuple(volumes))

    def tier_for(self, volume_minor: int) -> FeeTier:
        index = bisect.bisect_right(self._volumes, volume_minor) - 1
        return self.tiers[index]

    def maker_fee(self, volume_minor: int, notional_minor: int) -> int:
        return fee_minor(notional_minor, self.tier_for(volume_minor).maker_ppm)

    def taker_fee(self, volume_minor: int, notional_minor: int) -> int:
        return fee_minor(notional_minor, self.tier_for(volume_minor).taker_ppm)


# Shape of FTX's 2021 futures schedule: tier 1 (0.020% / 0.070%), tier 2 ($2M), tier 6 ($50M: 0% / 0.040%),
# and a market-maker tier with a small rebate; regimes may give their own.
FTX_2021 = FeeSchedule(
    (
        FeeTier(0, 200, 700),
        FeeTier(2_000_000 * 10**6, 150, 600),
        FeeTier(50_000_000 * 10**6, 0, 400),
        FeeTier(1_000_000_000 * 10**6, -30, 400),
    )
)
