"""The faucet experiment's shape, on a small size (see experiments/faucet.py and docs/faucet.md).

Base: scenarios/regimes/2021_sharks.toml. Sizes were chosen by measurement, not to force a result:
  - retail only (no arbitrageurs, no firms): 5 seeds x 600 s, cheap (~50k events a session). At 240 s
    the house's spread income from retail is too small against its inventory risk: 3-seed means at
    240 s were negative for some seed triples; at 600 s every triple of seeds 1..18 was positive.
  - staleness and arbitrageur count: 3 seeds x 240 s of the full base regime.
Not asserted: "20 arbitrageurs lose more than 1". It holds in the mean over 5 seeds x 600 s and over
15 seeds x 240 s, but per seed it goes either way (the fastest arbitrageur already takes most stale
quotes), so it is not robust at this size.
"""

from __future__ import annotations

import statistics
from pathlib import Path

import pytest

from hollow.sessions.regime import load_regime
from hollow.sessions.sweep import (
    per_million,
    regime_with,
    run_grid,
    session_row,
    spread,
)

BASE = Path(__file__).resolve().parents[1] / "scenarios" / "regimes" / "2021_sharks.toml"
SEEDS = (1, 2, 3)
SHORT_S = 240.0
RETAIL_SEEDS = (1, 2, 3, 4, 5)
RETAIL_S = 600.0


@pytest.fixture(scope="module")
def base():
    return load_regime(BASE)


@pytest.fixture(scope="module")
def pnl(base) -> dict[str, list[int]]:
    """House PnL (minor units) per seed for each point, all sessions run once, two at a time."""
    points = {
        "staleness_1": regime_with(base, duration_s=SHORT_S, house__signal_staleness_ms=1.0),
        "staleness_2000": regime_with(base, duration_s=SHORT_S, house__signal_staleness_ms=2000.0),
        "arbs_0": regime_with(base, duration_s=SHORT_S, arbitrageurs__count=0, trading_firms__count=0),
        "arbs_20": regime_with(base, duration_s=SHORT_S, arbitrageurs__count=20, trading_firms__count=0),
    }
    rows = run_grid(points, SEEDS, max_workers=2)
    retail = run_grid(
        {"retail_only": regime_with(base, duration_s=RETAIL_S, arbitrageurs__count=0, trading_firms__count=0)},
        RETAIL_SEEDS, max_workers=2,
    )
    rows.update(retail)
    out: dict[str, list[int]] = {}
    for (key, _seed), row in rows.items():
        out.setdefault(key, []).append(row["house_pnl_minor"])
    return out


def mean(values: list[int]) -> float:
    return statistics.fmean(values)


def test_with_only_retail_flow_the_house_earns(pnl) -> None:
    assert mean(pnl["retail_only"]) > 0, pnl["retail_only"]


def test_a_staler_house_loses_more(pnl) -> None:
    fresh, stale = mean(pnl["staleness_1"]), mean(pnl["staleness_2000"])
    assert stale < fresh, (pnl["staleness_1"], pnl["staleness_2000"])
    assert stale < 0, pnl["staleness_2000"]


def test_arbitrageurs_turn_the_house_from_earning_to_losing(pnl) -> None:
    assert mean(pnl["arbs_20"]) < mean(pnl["arbs_0"]), (pnl["arbs_0"], pnl["arbs_20"])
    assert mean(pnl["arbs_20"]) < 0, pnl["arbs_20"]


def test_regime_with_overrides_nested_fields_and_rejects_unknown_ones(base) -> None:
    r = regime_with(base, duration_s=60, house__signal_staleness_ms=7.0, arbitrageurs__count=3)
    assert (r.duration_s, r.house.signal_staleness_ms, r.arbitrageurs.count) == (60, 7.0, 3)
    assert r.trading_firms == base.trading_firms and base.house.signal_staleness_ms == 1000
    with pytest.raises(KeyError):
        regime_with(base, house__staleness_ms=1.0)
    with pytest.raises(Exception):
        regime_with(base, arbitrageurs__count=-1)


def test_grid_is_keyed_and_deterministic(base) -> None:
    tiny = regime_with(base, duration_s=20.0, trading_firms__count=2, arbitrageurs__count=2, retail__count=20)
    parallel = run_grid({"a": tiny, "b": tiny}, (2, 1), max_workers=2)
    assert list(parallel) == [("a", 2), ("a", 1), ("b", 2), ("b", 1)]
    assert parallel[("a", 1)] == parallel[("b", 1)] == session_row(tiny, 1)
    row = parallel[("a", 1)]
    assert row["house_pnl_per_million_house_volume"] == per_million(row["house_pnl_minor"], row["house_volume_minor"])
    assert spread([1, 2, 3]) == {"mean": 2.0, "sd": 1.0, "min": 1.0, "max": 3.0, "n": 3}
