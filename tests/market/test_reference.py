"""Reference venue: replayed and simulated paths, publication after each subscriber's latency, hedges."""

from __future__ import annotations

import numpy as np
import pytest

from hollow.market.kernel import Kernel, Latency, stream
from hollow.market.messages import HedgeFill, HedgeOrder, Subscribe
from hollow.market.reference import (
    NS_PER_SECOND,
    SECONDS_PER_YEAR,
    PricePath,
    ReferenceVenue,
    jump_diffusion,
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


def test_bad_paths_are_refused() -> None:
    with pytest.raises(ValueError):
        PricePath(np.array([0, 0], dtype=np.int64), np.array([1, 2], dtype=np.int64))
    with pytest.raises(ValueError):
        PricePath(np.array([0], dtype=np.int64), np.array([0], dtype=np.int64))
    with pytest.raises(ValueError):
        jump_diffusion(stream(1), start_ticks=0, duration_ns=1, annual_volatility=0.1, update_interval_ns=1)
