"""The house's two defences against its own staleness, and that with both off it is today's house."""

from __future__ import annotations

import hashlib

import pytest
from pydantic import ValidationError

from hollow.agents.base import bps_of
from hollow.agents.house_maker import HouseConfig
from hollow.market.kernel import stream
from hollow.market.reference import jump_diffusion
from tests.agents.house_world import MS, World, step_path

JUMP_NS = 5_100 * MS  # between two timer requotes (every 250 ms from 0, and every 50 ms)
START = 80_000  # $40,000 in $0.5 ticks


def house(**fields) -> HouseConfig:
    """Exact levels: no noise, no inventory skew, no position limit in reach."""
    return HouseConfig(**{"size_lots": 20, "signal_staleness_ms": 1_000, "signal_noise_bps": 0, "skew_bps_at_limit": 0,
                          "max_position_lots": 100_000} | fields)


def after_one_jump(jump_bps: float, **fields) -> World:
    return World(step_path(START, JUMP_NS, jump_bps), house(**fields)).run(8_000 * MS)


def test_with_both_defences_off_the_house_is_todays_house() -> None:
    """Recorded by running this world on the code before the defences existed (the agents, venue and
    kernel of commit ebdbe24, on this path): the same events, the same fill log byte for byte, the same requotes."""
    path = jump_diffusion(stream(4, "golden"), start_ticks=START, duration_ns=20_000 * MS, annual_volatility=0.55,
                          update_interval_ns=100 * MS, jumps_per_day=30_000, jump_std=0.001)
    config = HouseConfig(size_lots=20, requote_interval_ms=100, signal_staleness_ms=300)
    assert config.requote_on_move_bps is None and config.learn_from_fills is False
    w = World(path, config, arbitrageurs=2, retail=3).run(20_000 * MS)
    log = w.venue.fills.to_numpy()
    assert hashlib.blake2b(b"".join(log[c].tobytes() for c in sorted(log)), digest_size=8).hexdigest() == "836d724c10964ad9"
    assert (w.kernel.events, len(w.venue.fills), w.house.requotes) == (4416, 85, 197)
    assert (w.house_pnl_minor(), w.house.position_lots, w.house.move_requotes) == (-9_510_053, -903, 0)


@pytest.mark.parametrize("jump_bps", [-10.0, 15.0])
def test_learning_from_fills_stops_the_same_stale_level_being_picked_off_again(jump_bps: float) -> None:
    """Stale by 1 s, requoting every 250 ms: without learning the jump is taken at every requote until
    the view catches up (1 + 1000 / 250 = 5 times); learning, once or twice."""
    plain, learning = after_one_jump(jump_bps, requote_interval_ms=250), after_one_jump(jump_bps, requote_interval_ms=250, learn_from_fills=True)
    assert plain.picked_off(JUMP_NS) == 5
    assert learning.picked_off(JUMP_NS) <= 2
    assert learning.house_pnl_minor() > plain.house_pnl_minor()


def test_learning_from_fills_faster_requoting_no_longer_loses_more() -> None:
    slow, fast = (after_one_jump(-10.0, requote_interval_ms=ms) for ms in (250, 50))
    assert fast.picked_off(JUMP_NS) == 21 and fast.house_pnl_minor() < slow.house_pnl_minor()  # 1 + 1000 / 50 times
    slow, fast = (after_one_jump(-10.0, requote_interval_ms=ms, learn_from_fills=True) for ms in (250, 50))
    assert fast.picked_off(JUMP_NS) == slow.picked_off(JUMP_NS)
    assert fast.house_pnl_minor() >= slow.house_pnl_minor()


def test_fills_teach_only_until_the_view_is_newer_than_them() -> None:
    """While its view is older than the fills, it bids from the deepest fill less the shift (and
    leaves its asks at the view); a staleness later it quotes around its view again, which now has
    the jump."""
    w = World(step_path(START, JUMP_NS, -10.0), house(requote_interval_ms=250, learn_from_fills=True, fill_shift_bps=2.0))
    w.run(JUMP_NS + 400 * MS)
    bid_learning, ask_learning = w.venue.books[0].best_bid(), w.venue.books[0].best_ask()
    deepest = int(w.house_fills()["price_ticks"].min())
    w.run(JUMP_NS + 1_400 * MS)
    bid_fresh = w.venue.books[0].best_bid()
    half = HouseConfig().half_spread_bps
    ceiling = deepest - bps_of(deepest, 2.0)
    new_fair = int(w.path.price_ticks[-1])
    assert bid_learning == ceiling - bps_of(START, half) < deepest  # the half-spread is of its (old) view
    assert bid_fresh == new_fair - bps_of(new_fair, half)
    assert w.house.learnt_bounds() == (None, None)
    assert ask_learning == START + bps_of(START, half)  # only the side that was hit moved


def test_requote_on_move_unmasks_a_staleness_below_the_timer_interval() -> None:
    """Stale by 10 ms, requoting every 250 ms: with the move trigger its quotes follow the jump once the
    observation is 10 ms old (feed 1 ms + 10 ms + order entry 0.2 ms), not at the next timer (150 ms on)."""
    path = step_path(START, JUMP_NS, -10.0)
    worlds = {move: World(path, house(requote_interval_ms=250, signal_staleness_ms=10, requote_on_move_bps=move)) for move in (None, 2.0)}
    asks = {}
    for move, w in worlds.items():
        w.run(JUMP_NS + 9 * MS)
        early = w.venue.books[0].best_ask()
        w.run(JUMP_NS + 20 * MS)
        asks[move] = (early, w.venue.books[0].best_ask())
    half, new_fair = bps_of(START, HouseConfig().half_spread_bps), int(path.price_ticks[-1])
    new_ask = new_fair + bps_of(new_fair, HouseConfig().half_spread_bps)
    assert asks[None] == (START + half, START + half)  # still the old ask: waiting for the timer
    assert asks[2.0] == (START + half, new_ask)  # not before the observation is 10 ms old, then at once
    assert worlds[2.0].house.move_requotes >= 1


def test_a_move_within_the_threshold_does_not_requote() -> None:
    small, large = (World(step_path(START, JUMP_NS, bps), house(signal_staleness_ms=10, requote_on_move_bps=2.0)).run(JUMP_NS + 50 * MS)
                    for bps in (1.5, 2.5))
    assert large.house.move_requotes == small.house.move_requotes + 1


def test_defence_parameters_are_checked() -> None:
    with pytest.raises(ValidationError):
        HouseConfig(requote_on_move_bps=0)
    with pytest.raises(ValidationError):
        HouseConfig(fill_shift_bps=-1)
