"""The seam between the world and the market: `trade_day(conditions, opening, seed, cache) -> MarketDay`.

A day is not simulated at nanosecond resolution. It is represented by one session of that day's regime
at that day's realised volatility (bucketed, so sessions are shared between similar days and cached),
and the session's flows are scaled to the day by an exogenous driver: the exchange's volume that day,
or the hours the house quoted. Never by the house's own volume: its losses plateau with the number of
arbitrageurs, so per-house-volume ratios mislead (docs/faucet.md).

The reference path is anchored to the day: on ordinary days it starts at the regime's price level and
its end is pinned at the day's log return pro-rated to the session's length (a session is a slice of
the day); on stress days (`stress=True`, the cascade) it starts at the day's real open and ends at its
real close, so the whole move happens inside the session, as a crash does.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from hollow.ledger import MAX_BALANCE_MINOR
from hollow.market.reference import total_volatility
from hollow.sessions.apportion import apportion
from hollow.sessions.cache import SessionCache, session_key
from hollow.sessions.paths import reference_path
from hollow.sessions.regime import Regime
from hollow.sessions.runner import SessionResult, run_session

SECONDS_PER_DAY = 86_400


def _require(ok: bool, where: str, field: str, value: object, reason: str) -> None:
    """A bad day input is one ValueError naming the field, never a crash deep in the session."""
    if not ok:
        raise ValueError(f"{where}.{field}: {reason}, got {value!r}")


def _finite(value: object) -> bool:
    return math.isfinite(value) if isinstance(value, float) else isinstance(value, Decimal) and value.is_finite()
DriverKind = Literal["exchange_volume", "quoting_hours"]


@dataclass(frozen=True, slots=True)
class DayConditions:
    """What the world knows of a day before its market is traded."""

    date: dt.date
    regime: Regime
    open_price: Decimal  # the day's real open and close, in the quote asset
    close_price: Decimal
    realised_vol: float  # annualised, from the real prices
    driver: Decimal  # exchange volume in USD, or hours quoted, per `driver_kind`
    driver_kind: DriverKind = "exchange_volume"
    stress: bool = False
    vol_buckets_per_doubling: int = 4
    return_bucket: float = 0.02  # log-return resolution of ordinary days' anchors

    def __post_init__(self) -> None:
        w = "DayConditions"
        for name in ("open_price", "close_price"):
            value = getattr(self, name)
            _require(isinstance(value, Decimal) and _finite(value) and value > 0, w, name, value, "must be a finite Decimal price above 0")
        _require(isinstance(self.driver, Decimal) and _finite(self.driver) and self.driver >= 0, w, "driver", self.driver, "must be a finite Decimal >= 0")
        _require(isinstance(self.realised_vol, (int, float)) and not isinstance(self.realised_vol, bool) and _finite(float(self.realised_vol))
                 and self.realised_vol >= 0, w, "realised_vol", self.realised_vol, "must be a finite annual volatility >= 0")
        _require(self.driver_kind in ("exchange_volume", "quoting_hours"), w, "driver_kind", self.driver_kind, "must be exchange_volume or quoting_hours")
        _require(type(self.vol_buckets_per_doubling) is int and self.vol_buckets_per_doubling >= 1, w, "vol_buckets_per_doubling",
                 self.vol_buckets_per_doubling, "must be an int >= 1")
        _require(isinstance(self.return_bucket, float) and _finite(self.return_bucket) and self.return_bucket > 0, w, "return_bucket",
                 self.return_bucket, "must be a finite float above 0")


@dataclass(frozen=True, slots=True)
class Opening:
    """The state a session starts from, where the world has one (None: the regime's own)."""

    insurance_fund_usd: Decimal | None = None
    house_collateral_usd: Decimal | None = None

    def __post_init__(self) -> None:
        for name in ("insurance_fund_usd", "house_collateral_usd"):
            value = getattr(self, name)
            _require(value is None or (isinstance(value, Decimal) and _finite(value) and value >= 0), "Opening", name, value,
                     "must be None or a finite Decimal >= 0")


@dataclass(frozen=True)
class MarketDay:
    """One day's market result, in integer minor units, scaled exactly from its session."""

    date: dt.date
    session_key: str
    scale: tuple[int, int]  # day = session * num / den
    flows: dict[tuple[str, str, str, str], int]  # (from class, to class, asset, cause) -> amount
    house: dict[str, int]  # the house's result by bucket (sums to its net in `flows`)
    markouts: dict[tuple[int, str], int]  # (horizon s, counterparty class) -> the house's markout
    volume_by_class: dict[str, int]
    waterfall: dict[str, int]  # insurance fund used, ADL absorbed, socialised, fund paid in
    closing: dict[str, int] = field(default_factory=dict)  # unscaled end state of the session (stress days)
    session: dict = field(default_factory=dict)  # the session's own unscaled figures, for sessions.parquet

    def net(self, cls: str, asset: str = "USD") -> int:
        """What a class received minus what it paid, in `asset`."""
        return sum((a if b == cls else 0) - (a if f == cls else 0) for (f, b, code, _), a in self.flows.items() if code == asset)


def _bucket(value: float, per_doubling: int) -> float:
    return 2.0 ** (round(math.log2(value) * per_doubling) / per_doubling)


def day_regime(conditions: DayConditions, opening: Opening) -> Regime:
    """The regime as it runs that day: volatility scaled (diffusion and jumps alike) to the day's
    bucketed realised volatility, the opening state applied."""
    r = conditions.regime
    ref = r.reference
    total = total_volatility(ref.annual_volatility, ref.jumps_per_day, ref.jump_std)
    update: dict = {}
    if conditions.realised_vol > 0 and total > 0:
        k = _bucket(conditions.realised_vol, conditions.vol_buckets_per_doubling) / total
        update["reference"] = ref.model_copy(update={"annual_volatility": ref.annual_volatility * k, "jump_std": ref.jump_std * k})
    if opening.insurance_fund_usd is not None:
        update["insurance_fund_usd"] = opening.insurance_fund_usd
    if opening.house_collateral_usd is not None:
        update["house_account"] = r.house_account.model_copy(update={"collateral_usd": opening.house_collateral_usd})
    return r.model_copy(update=update)


def anchors(conditions: DayConditions, regime: Regime) -> tuple[int, int]:
    """(start ticks, end ticks) of the session's path for this day."""
    spec = regime.instrument.instrument()
    if conditions.stress:
        start, end = spec.price_to_ticks(conditions.open_price), spec.price_to_ticks(conditions.close_price)
        for name, ticks in (("open_price", start), ("close_price", end)):
            _require(ticks >= 1, "DayConditions", name, getattr(conditions, name), f"is under one tick ({regime.instrument.tick_size}) of the day's regime")
        return start, end
    start = regime.instrument.start_ticks()
    day_return = math.log(conditions.close_price / conditions.open_price)
    step = conditions.return_bucket
    bucketed = round(day_return / step) * step
    return start, max(1, round(start * math.exp(bucketed * regime.duration_s / SECONDS_PER_DAY)))


def trade_day(conditions: DayConditions, opening: Opening, seed: int, cache: SessionCache) -> MarketDay:
    """The day's market result: one cached (or freshly run) session, scaled to the day by its driver."""
    regime = day_regime(conditions, opening)
    start, end = anchors(conditions, regime)
    key = session_key({"regime": regime.model_dump(mode="json"), "seed": seed, "start_ticks": start, "end_ticks": end})
    digest = cache.get(key)
    if digest is None:
        path = reference_path(regime, seed, start_ticks=start, end_ticks=end)
        digest = cache.put(key, digest_of(run_session(regime, seed, path=path)))
    return scale_digest(digest, conditions, key)


def digest_of(result: SessionResult) -> dict:
    """What the world needs of a settled session, as JSON-safe exact integers."""
    s = result.summary
    markouts = result.markouts.to_pydict()
    return {
        "flows": [[*k, v] for k, v in sorted(result.flows.received.items())],
        "house": result.house_result,
        "markouts": [[h, c, m] for h, c, m in zip(markouts["horizon_s"], markouts["counterparty_class"], markouts["markout_minor"])],
        "volume_by_class": _volume_by_class(result),
        "waterfall": {k: s.get(k, 0) for k in ("insurance_fund_used_minor", "adl_deficit_absorbed_minor", "socialized_loss_minor", "insurance_fund_paid_in_minor")},
        "closing": {k: s[k] for k in ("final_reference_ticks", "accounts_liquidated", "insurance_fund_end_minor", "hole_minor") if k in s},
        "venue_volume_minor": s["volume_minor"],
        "duration_s": s["duration_s"],
        "session": {
            "regime": s["regime"], "seed": s["seed"], "house_volume_minor": s["house_volume_minor"],
            "pnl_by_class_minor": s["pnl_by_class_minor"], "events": s["events"],
        },
    }


def _volume_by_class(result: SessionResult) -> dict[str, int]:
    out: dict[str, int] = {}
    for cls, v in zip(result.pnl.column("class").to_pylist(), result.pnl.column("volume_minor").to_pylist()):
        out[cls] = out.get(cls, 0) + v
    return out


def _scale_factor(digest: dict, conditions: DayConditions) -> tuple[int, int]:
    if conditions.driver_kind == "exchange_volume":
        num = int(conditions.driver * 10**6)  # USD -> minor units
        den = digest["venue_volume_minor"]
    else:
        num = int(conditions.driver * 3600 * 10**6)
        den = int(round(digest["duration_s"] * 10**6))
    if den <= 0:
        return 0, 1  # a session with no trades scales to nothing
    return num, den


def scale_digest(digest: dict, conditions: DayConditions, key: str) -> MarketDay:
    """Scale a session digest to the day exactly: flows by largest remainder; the house's buckets
    apportioned so they add up to the house's net in the scaled flows."""
    num, den = _scale_factor(digest, conditions)
    largest = max((abs(row[4]) for row in digest["flows"]), default=0)
    _require(largest * num <= MAX_BALANCE_MINOR * den, "DayConditions", "driver", conditions.driver,
             f"scales session {key[:12]}'s flows {num / den:.3g}-fold, beyond 2**62 minor units (what a ledger balance holds)")
    keys = [tuple(row[:4]) for row in digest["flows"]]
    flows = dict(zip(keys, apportion([row[4] for row in digest["flows"]], num, den)))
    day = MarketDay(conditions.date, key, (num, den), flows, {}, {}, {}, {}, dict(digest["closing"]), dict(digest["session"]))
    names = list(digest["house"])
    house_total = day.net("house")
    unscaled = sum(digest["house"].values()) * num // den
    if abs(house_total - unscaled) > len(flows) + 1:  # more than rounding: the digest is inconsistent
        raise ValueError(f"session {key[:12]}: house buckets scale to {unscaled}, its flows to {house_total}")
    day.house.update(zip(names, apportion([digest["house"][n] for n in names], num, den, target=house_total)))
    marks = digest["markouts"]
    day.markouts.update(zip([(h, c) for h, c, _ in marks], apportion([m for _, _, m in marks], num, den)))
    vol = digest["volume_by_class"]
    day.volume_by_class.update(zip(vol, apportion(list(vol.values()), num, den)))
    wf = digest["waterfall"]
    day.waterfall.update(zip(wf, apportion(list(wf.values()), num, den)))
    return day
