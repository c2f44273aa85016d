"""The reference venue: where prices are discovered (Binance in the thread), faster than the exchange.

It publishes a fair-price path, either simulated (jump-diffusion at a given volatility) or replayed
from given data, to subscribers through their own links: fast firms see a move after microseconds,
the house's quoter acts on a view that is seconds old.
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from hollow.market.kernel import Context
from hollow.market.messages import (
    HedgeFill,
    HedgeOrder,
    ReferencePrice,
    Signal,
    Subscribe,
    Wake,
)

NS_PER_SECOND = 1_000_000_000
SECONDS_PER_YEAR = 365 * 24 * 3600


@dataclass(frozen=True, slots=True)
class PricePath:
    """A piecewise-constant price path: price_ticks[i] holds from times_ns[i] until times_ns[i + 1]."""

    times_ns: np.ndarray  # int64, strictly increasing, starting at 0
    price_ticks: np.ndarray  # int64, positive

    def __post_init__(self) -> None:
        t, p = self.times_ns, self.price_ticks
        if t.dtype != np.int64 or p.dtype != np.int64 or len(t) != len(p) or len(t) == 0:
            raise ValueError("a price path needs equal-length, non-empty int64 arrays")
        if t[0] != 0 or np.any(np.diff(t) <= 0):
            raise ValueError("path times must start at 0 and strictly increase")
        if np.any(p <= 0):
            raise ValueError("path prices must be positive ticks")

    def at(self, t_ns: np.ndarray | int) -> np.ndarray | int:
        """Price in force at each time (vectorised): used for markouts and final marks, never by agents."""
        index = np.searchsorted(self.times_ns, t_ns, side="right") - 1
        return self.price_ticks[np.maximum(index, 0)]


def jumps_per_year(jumps_per_day: float) -> float:
    return jumps_per_day * 365


def total_volatility(annual_volatility: float, jumps_per_day: float = 0.0, jump_std: float = 0.0) -> float:
    """The annualised volatility the parameters give: sqrt(sigma^2 + lambda * jump_std^2), lambda per year.

    Jumps add variance as a Poisson sum of normal log-jumps does, so `annual_volatility` alone
    understates the path's volatility whenever jumps are on (the regimes' comments state this total).
    """
    return math.sqrt(annual_volatility**2 + jumps_per_year(jumps_per_day) * jump_std**2)


def jump_diffusion(
    rng: np.random.Generator,
    *,
    start_ticks: int,
    duration_ns: int,
    annual_volatility: float,
    update_interval_ns: int,
    jumps_per_day: float = 0.0,
    jump_std: float = 0.0,
    drift_per_year: float = 0.0,
) -> PricePath:
    """Merton jump-diffusion sampled at Poisson update times (mean spacing `update_interval_ns`).

    Compensated so that E[P_t / P_0] = exp(drift_per_year * t): the diffusion's log drift carries
    -sigma^2 / 2 and the jumps' -lambda (E[e^J] - 1) per unit time, so at zero drift the price is a
    martingale (uncompensated, 1,500 jumps a day of 10 bp drift the price up ~27% a year).
    The floats here are a model of a price, not money: every price leaves as integer ticks.
    """
    if start_ticks <= 0 or duration_ns <= 0 or update_interval_ns <= 0 or annual_volatility < 0:
        raise ValueError("start price, duration and update interval must be positive, volatility not negative")
    expected = duration_ns / update_interval_ns
    n = int(expected + 6 * math.sqrt(expected) + 16)
    gaps = np.maximum(1, np.rint(rng.exponential(update_interval_ns, n))).astype(np.int64)
    times = np.concatenate(([0], np.cumsum(gaps)))
    times = times[times < duration_ns]
    dt_years = np.diff(times) / (NS_PER_SECOND * SECONDS_PER_YEAR)
    sigma = annual_volatility
    jumpy = jumps_per_day > 0 and jump_std > 0
    compensator = jumps_per_year(jumps_per_day) * math.expm1(0.5 * jump_std * jump_std) if jumpy else 0.0
    log_drift = drift_per_year - 0.5 * sigma * sigma - compensator
    steps = log_drift * dt_years + sigma * np.sqrt(dt_years) * rng.standard_normal(len(dt_years))
    if jumpy:
        counts = rng.poisson(jumps_per_day * dt_years * 365, len(dt_years))
        steps += np.sqrt(counts) * jump_std * rng.standard_normal(len(dt_years))
    log_price = math.log(start_ticks) + np.concatenate(([0.0], np.cumsum(steps)))
    prices = np.maximum(1, np.rint(np.exp(log_price))).astype(np.int64)
    return PricePath(times.astype(np.int64), prices)


HEDGE_COLUMNS = ("ts_ns", "agent", "side", "price_ticks", "qty_lots")


class ReferenceVenue:
    """Publishes each price change of its path to every subscriber (after each one's link latency).

    It also fills hedge orders at once at its current price plus `half_spread_bps`: the deep market
    where arbitrageurs lay off what they took. Each hedge is logged with the "market" as counterparty.
    """

    def __init__(self, name: str, instrument: int, path: PricePath, *, half_spread_bps: float = 0.0) -> None:
        self.name = name
        self.instrument = instrument
        self.path = path
        self.half_spread_bps = half_spread_bps
        self.hedges: dict[str, array] = {c: array("q") for c in HEDGE_COLUMNS}
        self._times = path.times_ns.tolist()
        self._prices = path.price_ticks.tolist()
        self._subscribers: list[int] = []
        self._index = 0
        self.ctx: Context | None = None

    def attach(self, ctx: Context) -> None:
        self.ctx = ctx
        ctx.timer(0, Wake("tick"))

    def on_message(self, sender: int, message: Any) -> None:
        kind = type(message)
        if kind is Wake:
            self._tick()
        elif kind is HedgeOrder:
            self._hedge(sender, message)
        elif kind is Subscribe:
            if sender not in self._subscribers:
                self._subscribers.append(sender)
                if self._index > 0:
                    self.ctx.send(sender, ReferencePrice(self.instrument, self._prices[self._index - 1], self.ctx.now_ns))
        else:
            raise TypeError(f"{self.name}: unexpected message {message!r}")

    def _tick(self) -> None:
        i = self._index
        self.ctx.broadcast(self._subscribers, ReferencePrice(self.instrument, self._prices[i], self.ctx.now_ns))
        self._index = i + 1
        if self._index < len(self._times):
            self.ctx.timer(self._times[self._index] - self.ctx.now_ns, _TICK)

    def _hedge(self, sender: int, m: HedgeOrder) -> None:
        if m.qty_lots <= 0 or m.side not in (0, 1):
            return
        mid = self._prices[max(self._index - 1, 0)]
        half = int(mid * self.half_spread_bps) // 10_000
        price = mid + half if m.side == 0 else max(1, mid - half)
        for column, value in zip(HEDGE_COLUMNS, (self.ctx.now_ns, sender, m.side, price, m.qty_lots)):
            self.hedges[column].append(value)
        self.ctx.send(sender, HedgeFill(m.instrument, m.side, price, m.qty_lots))


_TICK = Wake("tick")


class SignalFeed:
    """Forecasts for trading firms: skill x (the reference `horizon` ahead - now) + noise, every interval.

    It is the environment, not an agent: it reads the future of the path so that a firm's skill can
    be set exactly (skill 0: the present price; skill 1: the future itself). Signal times are known
    in advance (firm i every interval from i/n of one), so forecasts are computed in windows of
    `_WINDOW` intervals with vectorised path lookups; the noise is drawn in time order, one normal
    per signal, exactly as one draw per signal would be.
    """

    def __init__(self, name: str, instrument: int, path: PricePath, *, interval_ns: int, horizon_ns: int, skill: float, noise_bps: float) -> None:
        self.name = name
        self.instrument = instrument
        self.path = path
        self.interval_ns, self.horizon_ns = interval_ns, horizon_ns
        self.skill, self.noise_bps = skill, noise_bps
        self._firms: list[int] = []
        self._offsets = np.zeros(0, dtype=np.int64)
        self._ahead: list[list[int]] = []  # per firm, its next forecasts, the soonest last
        self._windows = 0
        self.ctx: Context | None = None

    def attach(self, ctx: Context) -> None:
        self.ctx = ctx

    def add_firm(self, address: int) -> None:
        self._firms.append(address)

    def start(self) -> None:
        """Stagger the firms' signals over one interval so they do not all arrive together."""
        n = max(1, len(self._firms))
        self._offsets = np.array([self.interval_ns * i // n for i in range(len(self._firms))], dtype=np.int64)
        self._ahead = [[] for _ in self._firms]
        for i, firm in enumerate(self._firms):
            self.ctx.timer(int(self._offsets[i]), _SignalDue(firm, i))

    def on_message(self, sender: int, message: Any) -> None:
        if type(message) is not _SignalDue:
            raise TypeError(f"{self.name}: unexpected message {message!r}")
        ahead = self._ahead[message.index]
        if not ahead:
            self._next_window()
        self.ctx.send(message.firm, Signal(self.instrument, ahead.pop()))
        self.ctx.timer(self.interval_ns, message)

    def forecasts(self, times_ns: np.ndarray, z: np.ndarray) -> np.ndarray:
        """Each firm's forecast at `times_ns` given standard normal draws `z` (same shape)."""
        present = self.path.at(times_ns)
        future = self.path.at(times_ns + self.horizon_ns)
        noise = z * present * self.noise_bps / 10_000
        return np.maximum(1, present + np.rint(self.skill * (future - present) + noise).astype(np.int64))

    def _next_window(self) -> None:
        """The next `_WINDOW` intervals of every firm. Within an interval firm i's signal comes before
        firm i+1's (offsets below one interval, increasing), so row-major order is time order."""
        k = self._windows * _WINDOW + np.arange(_WINDOW, dtype=np.int64)
        self._windows += 1
        times = k[:, None] * self.interval_ns + self._offsets[None, :]
        z = self.ctx.rng.standard_normal(times.size).reshape(times.shape)
        values = self.forecasts(times, z)
        for i, ahead in enumerate(self._ahead):
            ahead[:0] = values[::-1, i].tolist()


_WINDOW = 256  # signal intervals computed at once


class _SignalDue(NamedTuple):
    firm: int
    index: int  # the firm's position in the feed's list
