"""Reference venue: replayed and simulated paths, publication after each subscriber's latency, hedges."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hollow.market.kernel import Kernel, Latency, stream
from hollow.market.messages import HedgeFill, HedgeOrder, Signal, Subscribe
from hollow.market.reference import (
    NS_PER_SECOND,
    SECONDS_PER_YEAR,
    PricePath,
    ReferenceVenue,
    SignalFeed,
    jump_diffusion,
    total_volatility,
)


class Listener:
    def __init__(self, name: str) -> None:
        self.name = name
        self.seen: list[tuple[int, object]] = []

    def attach(self, ctx) -> None:
        self.ctx = ctx

    def on_message(self, sender: int, message: object) -> None:
        self.seen.append((self.ctx.now_ns, message))


def test_a_given_path_is_replayed_to_each_subscriber_after_its_latency() -> None:
    path = PricePath(np.array([0, 1_000_000, 5_000_000], dtype=np.int64), np.array([100, 101, 99], dtype=np.int64))
    kernel = Kernel(seed=1)
    r = kernel.add(ReferenceVenue("reference", 0, path))
    fast, slow = Listener("fast"), Listener("slow")
    f, s = kernel.add(fast), kernel.add(slow)
    kernel.connect(f, r, Latency(fixed_ns=10), Latency(fixed_ns=10))
    kernel.connect(s, r, Latency(fixed_ns=10), Latency(fixed_ns=2_000_000))
    kernel.send(f, r, Subscribe(0))
    kernel.send(s, r, Subscribe(0))
    kernel.run()
    assert [(t, m.price_ticks) for t, m in fast.seen] == [(20, 100), (1_000_010, 101), (5_000_010, 99)]
    assert [(t, m.price_ticks) for t, m in slow.seen] == [(2_000_010, 100), (3_000_000, 101), (7_000_000, 99)]
    assert path.at(np.array([0, 999_999, 1_000_000, 10**12])).tolist() == [100, 100, 101, 99]


def test_hedges_fill_at_the_current_price_plus_half_spread_and_are_logged() -> None:
    path = PricePath(np.array([0], dtype=np.int64), np.array([20_000], dtype=np.int64))
    kernel = Kernel(seed=1)
    ref = ReferenceVenue("reference", 0, path, half_spread_bps=5)
    r = kernel.add(ref)
    arb = Listener("arb")
    a = kernel.add(arb)
    kernel.connect(a, r, Latency(fixed_ns=100))
    kernel.timer(a, 1_000, None)
    kernel.run()
    kernel.send(a, r, HedgeOrder(0, 0, 7))
    kernel.send(a, r, HedgeOrder(0, 1, 3))
    kernel.run()
    fills = [m for _, m in arb.seen if type(m) is HedgeFill]
    assert fills == [HedgeFill(0, 0, 20_010, 7), HedgeFill(0, 1, 19_990, 3)]
    assert list(ref.hedges["agent"]) == [a, a] and list(ref.hedges["qty_lots"]) == [7, 3]


def test_jump_diffusion_has_the_configured_volatility_and_is_seeded() -> None:
    kwargs = dict(start_ticks=2_000_000, duration_ns=3600 * NS_PER_SECOND, annual_volatility=0.8, update_interval_ns=100_000_000)
    path = jump_diffusion(stream(1, "x"), **kwargs)
    returns = np.diff(np.log(path.price_ticks.astype(float)))
    dt = np.diff(path.times_ns) / (NS_PER_SECOND * SECONDS_PER_YEAR)
    realised = np.sqrt(np.sum(returns**2) / np.sum(dt))
    assert 0.7 < realised < 0.9
    assert np.array_equal(path.price_ticks, jump_diffusion(stream(1, "x"), **kwargs).price_ticks)
    jumpy = jump_diffusion(stream(1, "x"), **kwargs | {"annual_volatility": 0.0, "jumps_per_day": 5000, "jump_std": 0.002})
    assert np.abs(np.diff(np.log(jumpy.price_ticks.astype(float)))).max() > 0.002


DAY_NS = 86_400 * NS_PER_SECOND


@pytest.mark.parametrize("drift_per_year", [0.0, 3.0])
def test_the_price_is_a_martingale_after_its_drift(drift_per_year: float) -> None:
    """E[P_T / P_0] = exp(drift * T), jumps included: 4,000 one-day paths with large jumps, within
    4 standard errors. Without the jumps' compensator the mean would be off by lambda (E[e^J] - 1) T,
    which is asserted to be more than 4 standard errors, so this test can tell the difference."""
    kwargs = dict(start_ticks=10**7, duration_ns=DAY_NS, annual_volatility=0.8, update_interval_ns=3600 * NS_PER_SECOND,
                  jumps_per_day=20.0, jump_std=0.05, drift_per_year=drift_per_year)
    rng = stream(7, "martingale")
    ratios = []
    for _ in range(4_000):
        path = jump_diffusion(rng, **kwargs)
        years = int(path.times_ns[-1]) / (NS_PER_SECOND * SECONDS_PER_YEAR)
        ratios.append(int(path.price_ticks[-1]) / 10**7 * math.exp(-drift_per_year * years))
    mean, se = float(np.mean(ratios)), float(np.std(ratios, ddof=1) / math.sqrt(len(ratios)))
    uncompensated_bias = 20.0 * math.expm1(0.05**2 / 2)  # per day, and the paths are about a day long
    assert uncompensated_bias > 4 * se
    assert abs(mean - 1.0) < 4 * se, (mean, se)


@pytest.mark.parametrize(("sigma", "jumps_per_day", "jump_std", "update_ms"), [(0.55, 1500, 0.001, 100), (1.5, 200, 0.002, 200)])
def test_total_volatility_is_what_a_path_realises(sigma: float, jumps_per_day: float, jump_std: float, update_ms: int) -> None:
    """The regimes' parameters (2019/2021: 0.55 plus 1,500 jumps of 10 bp a day; luna: 1.5 plus 200 of
    20 bp) over one day: realised variance within 4 sd of sigma^2 + lambda jump_std^2, where the sd
    is the Poisson-normal jumps' (3 lambda T jump_std^4), which dominates the estimator's noise."""
    path = jump_diffusion(stream(3, "volatility"), start_ticks=2 * 10**8, duration_ns=DAY_NS, annual_volatility=sigma,
                          update_interval_ns=update_ms * 1_000_000, jumps_per_day=jumps_per_day, jump_std=jump_std)
    returns = np.diff(np.log(path.price_ticks.astype(float)))
    years = int(path.times_ns[-1]) / (NS_PER_SECOND * SECONDS_PER_YEAR)
    realised_variance = float(np.sum(returns**2)) / years
    jumps = jumps_per_day * 365 * years
    sd = math.sqrt(3 * jumps * jump_std**4 + 2 * len(returns) * (sigma**2 * years / len(returns)) ** 2) / years
    expected = total_volatility(sigma, jumps_per_day, jump_std) ** 2
    assert abs(realised_variance - expected) < 4 * sd, (math.sqrt(realised_variance), math.sqrt(expected))
    assert total_volatility(0.55, 1500, 0.001) == pytest.approx(0.922, abs=0.001)  # what the 2021 comment says
    assert total_volatility(0.8) == 0.8


def test_bad_paths_are_refused() -> None:
    with pytest.raises(ValueError):
        PricePath(np.array([0, 0], dtype=np.int64), np.array([1, 2], dtype=np.int64))
    with pytest.raises(ValueError):
        PricePath(np.array([0], dtype=np.int64), np.array([0], dtype=np.int64))
    with pytest.raises(ValueError):
        jump_diffusion(stream(1), start_ticks=0, duration_ns=1, annual_volatility=0.1, update_interval_ns=1)


def test_signal_feed_forecasts_are_the_formula_applied_signal_by_signal() -> None:
    """Over more than one precomputed window (256 intervals), each firm gets, at each of its times,
    max(1, present + round(skill (future - present) + z present noise / 1e4)), z drawn one per signal
    in time order from the feed's stream: what a per-signal computation would give."""
    path = jump_diffusion(stream(2, "p"), start_ticks=80_000, duration_ns=5 * NS_PER_SECOND, annual_volatility=3.0,
                          update_interval_ns=5_000_000, jumps_per_day=50_000, jump_std=0.001)
    interval, horizon, skill, noise_bps = 10_000_000, 40_000_000, 0.6, 2.0
    kernel = Kernel(seed=9)
    feed = SignalFeed("signals", 0, path, interval_ns=interval, horizon_ns=horizon, skill=skill, noise_bps=noise_bps)
    f = kernel.add(feed)
    firms = [Listener(f"firm{i}") for i in range(3)]
    for firm in firms:
        a = kernel.add(firm)
        kernel.connect(f, a, Latency(fixed_ns=1_000))
        feed.add_firm(a)
    feed.start()
    kernel.run(until_ns=3 * NS_PER_SECOND)
    z = stream(9, "agent", "signals")
    expected: list[tuple[int, int, int]] = []
    for k in range(300):
        for i in range(3):
            t = k * interval + interval * i // 3
            present, future = int(path.at(t)), int(path.at(t + horizon))
            noise = z.standard_normal() * present * noise_bps / 10_000
            expected.append((t + 1_000, i, max(1, present + int(round(skill * (future - present) + noise)))))
    got = sorted((t, i, m.forecast_ticks) for i, firm in enumerate(firms) for t, m in firm.seen if type(m) is Signal)
    assert got == sorted(e for e in expected if e[0] <= 3 * NS_PER_SECOND)
    assert len(got) > 3 * 256
