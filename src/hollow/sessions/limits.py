"""What a regime would cost to run, checked before it runs: the work, and the size of its numbers.

Field types catch what is wrong in one field (an interval under 1 ns, an infinite price); this catches
what is wrong between fields: a rate times a count times a duration that would take days to simulate,
or a size times a price that no int64 can hold once the price has moved. Each refusal names the field
that contributes most, so the fix is obvious. Works on any regime shape (a section may be missing).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from hollow.config import MAX_BPS
from hollow.errors import ScenarioError
from hollow.money import asset
from hollow.sessions.risk_config import COLLATERAL_Z_MAX

__all__ = ["MAX_NOTIONAL_MINOR", "MAX_WORK", "Work", "check_runnable", "estimate_work", "price_growth"]

MAX_WORK = 10**9
"""Work units (about one kernel event each): about half an hour at the measured 0.5-0.7M events/s.
A 7-day run of the busiest teaching regime is about 0.4e9."""
MAX_NOTIONAL_MINOR = 2**52
"""Largest order or position value in quote minor units ($4.5bn in micro-dollars) after the price
has moved as far as the regime lets it: 1,024 of them still fit the ledger's 2**62 bound."""
MAX_PRICE_TICKS = 2**53  # the order book's largest price: above it every order is refused
SIGMAS = 4.0  # how far the price may plausibly move: 4 standard deviations of its log over the run
SECONDS_PER_YEAR = 365 * 24 * 3600
MAX_DEPOSITS_MINOR = 2**61  # all seeded accounts' deposits together: half the ledger's bound on one balance


@dataclass(frozen=True, slots=True)
class Work:
    """The estimated work of a run, by the field that drives each part (how to lower it)."""

    total: float
    parts: dict[str, tuple[float, str]]  # field -> (work units, advice)

    def largest(self) -> tuple[str, float, str]:
        field, (units, advice) = max(self.parts.items(), key=lambda kv: kv[1][0])
        return field, units, advice


def _get(section: Any, name: str, default: Any = None) -> Any:
    return getattr(section, name, default) if section is not None else default


def estimate_work(regime: Any) -> Work:
    """Kernel events (and account checks, at half an event each) the run would take, roughly: each
    term is a count of messages the clock must step through, calibrated on the teaching regimes."""
    seconds = float(regime.duration_s)
    parts: dict[str, tuple[float, str]] = {}
    ref, house = _get(regime, "reference"), _get(regime, "house")
    arbs, firms, retail = _get(regime, "arbitrageurs"), _get(regime, "trading_firms"), _get(regime, "retail")
    listeners = 2 + _get(arbs, "count", 0)  # the house, the signal feed and every arbitrageur
    if ref is not None:
        updates = seconds * 1_000 / ref.update_interval_ms
        parts["reference.update_interval_ms"] = (updates * listeners * 2, "raise it")
        jumps = _get(ref, "jumps_per_day", 0.0) * seconds / 86_400
        parts["reference.jumps_per_day"] = (jumps * listeners * 2, "lower it")
    if house is not None:
        requotes = seconds * 1_000 / house.requote_interval_ms
        parts["house.requote_interval_ms"] = (requotes * (1 + 4 * house.levels), "raise it")
    if firms is not None and firms.count:
        signals = seconds * 1_000 / firms.signal_interval_ms
        parts["trading_firms.signal_interval_ms"] = (signals * firms.count * 2, "raise it or lower trading_firms.count")
    if retail is not None and retail.count:
        orders = retail.count * retail.orders_per_hour * seconds / 3_600
        parts["retail.orders_per_hour"] = (orders * 4, "lower it or retail.count")
    margin = _get(regime, "margin")
    if margin is not None:
        accounts = sum(_get(_get(regime, k), "count", 0) for k in ("longs", "shorts", "arbitrageurs", "trading_firms", "retail"))
        passes = seconds * 1_000 / margin.risk_interval_ms
        parts["margin.risk_interval_ms"] = (passes * (1 + accounts / 2), "raise it or lower the account counts")
    total = sum(units for units, _ in parts.values())
    return Work(total, parts)


def price_growth(regime: Any) -> tuple[float, str]:
    """How many-fold the reference price may plausibly rise in the run (SIGMAS deviations of its log
    plus the drift), and the field that contributes most."""
    ref = _get(regime, "reference")
    if ref is None:
        return 1.0, "reference"
    years = float(regime.duration_s) / SECONDS_PER_YEAR
    drift = abs(_get(ref, "drift_per_year", 0.0)) * years
    diffusion = ref.annual_volatility**2 * years
    jumps = _get(ref, "jumps_per_day", 0.0) * years * 365 * _get(ref, "jump_std", 0.0) ** 2
    log_growth = drift + SIGMAS * math.sqrt(diffusion + jumps)
    field = max((drift, "drift_per_year"), (SIGMAS * math.sqrt(diffusion), "annual_volatility"), (SIGMAS * math.sqrt(jumps), "jump_std"))[1]
    return (math.exp(log_growth) if log_growth < 700 else math.inf), f"reference.{field}"


def _leaves(model: BaseModel, prefix: str = "") -> Iterator[tuple[str, str, Any]]:
    """(dotted path, field name, value) of every field, through sub-models and lists of them."""
    for name in type(model).model_fields:
        value = getattr(model, name)
        path = f"{prefix}{name}"
        if isinstance(value, BaseModel):
            yield from _leaves(value, f"{path}.")
        elif isinstance(value, list) and value and all(isinstance(v, BaseModel) for v in value):
            for i, item in enumerate(value):
                yield from _leaves(item, f"{path}.{i}.")
        else:
            yield path, name, value


def _amount(amount: Decimal, code: str) -> str:
    return f"{amount:,.0f} {code}"


def _check_units(path: str, field: str, code: str, units: Decimal) -> None:
    """An amount of an asset (`*_units` tables) is exact in that asset's minor unit and fits with room for sums."""
    try:
        minor = asset(code).to_minor(units)
    except ValueError as exc:
        raise ScenarioError(path, field, str(exc)) from None
    if abs(minor) > MAX_NOTIONAL_MINOR:
        raise ScenarioError(path, field, f"{units} {code} is more than hollow can sum exactly ({MAX_NOTIONAL_MINOR:,} minor units)")


def _check_sizes(regime: Any, path: str) -> None:
    """Every `*_lots` size at the highest plausible price, and every `*_units` amount of an asset,
    must be representable in int64 minor units with room for sums."""
    instrument = regime.instrument.instrument()
    quote = asset(instrument.quote)
    start_ticks = regime.instrument.start_ticks()
    if start_ticks < 1:
        raise ScenarioError(path, "instrument.start_price", f"{regime.instrument.start_price} is less than half of "
                                                            f"instrument.tick_size ({regime.instrument.tick_size}): it rounds to 0 ticks")
    growth, growth_field = price_growth(regime)
    if start_ticks * growth > MAX_PRICE_TICKS:
        field = growth_field if growth > 2**10 else "instrument.start_price"
        raise ScenarioError(path, field, f"the price could reach {start_ticks * growth:.3g} ticks in this run, beyond the "
                                         f"order book's largest price (2**53 ticks): a coarser instrument.tick_size, "
                                         f"a lower price or a calmer path")
    per_lot_minor = start_ticks * instrument.minor_per_tick_lot
    for field, name, value in _leaves(regime):
        if name.endswith("_lots") and isinstance(value, int):
            notional = value * per_lot_minor * growth
            if notional > MAX_NOTIONAL_MINOR:
                worth = quote.to_decimal(value * per_lot_minor)
                largest = quote.to_decimal(int(MAX_NOTIONAL_MINOR / growth))
                raise ScenarioError(path, field, f"{value:,} lots is worth {_amount(worth, quote.code)} at the start price; "
                                                 f"an order or position may be worth at most {_amount(largest, quote.code)} in this "
                                                 f"regime (more cannot be summed exactly)")
        elif name.endswith("_units") and isinstance(value, dict):
            for code, units in value.items():
                _check_units(path, f"{field}.{code}", code, units)


def _check_longs(regime: Any, path: str) -> None:
    """The seeded longs' largest possible deposit, its position, and every seeded deposit together
    (each short's is its notional over the shorts' leverage) fit the ledger's exact sums."""
    longs, shorts = _get(regime, "longs"), _get(regime, "shorts")
    if longs is None:
        return
    tail = math.exp(longs.collateral_sigma * COLLATERAL_Z_MAX)
    worst_minor = longs.collateral_median_usd * tail * 10 ** asset("USD").decimals
    growth, _ = price_growth(regime)
    total = longs.count * worst_minor * (1 + float(longs.leverage_max) / float(shorts.leverage))
    if worst_minor * float(longs.leverage_max) * growth > MAX_NOTIONAL_MINOR or total > MAX_DEPOSITS_MINOR:
        field = "longs.collateral_sigma" if tail > 2**10 else "longs.collateral_median_usd"
        raise ScenarioError(path, field, f"a long's collateral may be drawn as large as {worst_minor / 10**6:,.0f} USD "
                                         f"(the median times e**({COLLATERAL_Z_MAX:g} sigma)): more than hollow can sum "
                                         f"exactly at longs.leverage_max and longs.count; lower it")


def _check_ladder(regime: Any, path: str) -> None:
    """The house's deepest bid (spread, levels, and the skew at its inventory limit) stays above zero."""
    h = _get(regime, "house")
    if h is None:
        return
    terms = {"house.half_spread_bps": h.half_spread_bps, "house.level_spacing_bps": (h.levels - 1) * h.level_spacing_bps,
             "house.skew_bps_at_limit": h.skew_bps_at_limit}
    depth = sum(terms.values())
    if depth >= MAX_BPS:
        raise ScenarioError(path, max(terms, key=terms.get), f"the house's deepest bid would sit {depth:,.6g} bps below fair "
                                                              f"value, at a price of zero or less, so the venue would refuse it")


def check_runnable(regime: Any, path: Path | str) -> Work:
    """Refuse (ScenarioError naming the field) a regime whose numbers cannot be represented or whose
    run would not finish in reasonable time; returns the work estimate otherwise."""
    path = str(path)
    _check_sizes(regime, path)
    _check_longs(regime, path)
    _check_ladder(regime, path)
    work = estimate_work(regime)
    if work.total > MAX_WORK:
        field, _, advice = work.largest()
        raise ScenarioError(path, field, f"the run would take about {work.total:.2g} events of work, more than the "
                                         f"{MAX_WORK:.0g} hollow runs at once: {advice}, or shorten duration_s")
    return work
