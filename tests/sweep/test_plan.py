"""Seeds, grids, samples and bands: parsing, refusals, determinism, exactness."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hollow.errors import ScenarioError
from hollow.sweep.plan import build_jobs, job_key, parse_grid, parse_seeds
from hollow.sweep.sampling import latin_hypercube, morris, one_at_a_time, point_values
from hollow.sweep.stats import band, date_band, percentile

RANGES = {"house.liquidity_floor": (0.05, 0.2), "run.news_half_life_days": (2.0, 5.0), "house.owners_capital_usd": (20, 100)}


def test_seeds_parse_and_refuse() -> None:
    assert parse_seeds("1-3,9") == [1, 2, 3, 9]
    assert parse_seeds("4") == [4]
    assert parse_seeds("2,2,1") == [2, 1]
    for bad in ("5-1", "", "a-b", "1,,2", "-3"):
        with pytest.raises(ScenarioError):
            parse_seeds(bad)


def test_grid_multiplies_and_refuses() -> None:
    assert parse_grid(["a=1,2", "b=x"]) == [("a=1", "b=x"), ("a=2", "b=x")]
    assert parse_grid([]) == [()]
    for bad in (["a"], ["=1"], ["a=1,,2"], ["a=1,1"], ["a=1", "a=2"]):
        with pytest.raises(ScenarioError):
            parse_grid(bad)


@pytest.mark.parametrize("point, needle", [(("house.no_such_field=1",), "no field"), (("house.fiat_routing=7",), "house.fiat_routing")])
def test_bad_grid_points_are_refused_before_running(point: tuple[str, ...], needle: str) -> None:
    with pytest.raises(ScenarioError, match=needle):
        build_jobs("ftx_mini", [], [point], [1])


def test_every_job_has_its_own_seed_and_key() -> None:
    jobs = build_jobs("ftx_mini", [], [("house.liquidity_floor=0.1",), ("house.liquidity_floor=0.2",)], [1, 2, 3])
    assert len({j.key for j in jobs}) == 6
    assert sorted((j.point, j.seed) for j in jobs) == sorted((p, s) for p in [("house.liquidity_floor=0.1",), ("house.liquidity_floor=0.2",)] for s in (1, 2, 3))
    assert job_key(("a=1",), 1) != job_key(("a=1",), 2) != job_key(("a=2",), 1)


def test_latin_hypercube_is_deterministic_and_stratified() -> None:
    a, b = latin_hypercube(RANGES, 10, seed=3), latin_hypercube(RANGES, 10, seed=3)
    assert a == b
    assert a != latin_hypercube(RANGES, 10, seed=4)
    for p in latin_hypercube(RANGES, 200, seed=5):
        for item in p:
            value = item.partition("=")[2]
            assert len(value.partition(".")[2]) <= 6, item  # exact to the ppm: a Share field takes it
    for field, (low, high) in RANGES.items():
        values = sorted(point_values(p)[field] for p in a)
        if field == "house.owners_capital_usd":
            assert all(v == int(v) for v in values)
            continue
        strata = sorted(int((v - low) / (high - low) * 10) for v in values)
        assert strata == list(range(10)), field  # one draw in each tenth of the range


def test_morris_and_tornado_points_stay_in_range() -> None:
    points = morris(RANGES, 4, seed=1)
    assert points == morris(RANGES, 4, seed=1)
    assert len(points) == 4 * (len(RANGES) + 1)
    for p in points:
        for field, v in point_values(p).items():
            assert RANGES[field][0] <= v <= RANGES[field][1]
    ends = one_at_a_time(RANGES)
    assert [(f, e) for f, e, _ in ends][:2] == [("house.liquidity_floor", "low"), ("house.liquidity_floor", "high")]
    assert point_values(ends[1][2]) == {"house.liquidity_floor": 0.2}


@given(st.lists(st.integers(min_value=-(10**18), max_value=10**18), min_size=1, max_size=50))
def test_band_is_exact_and_ordered(values: list[int]) -> None:
    b = band(values)
    ordered = sorted(values)
    assert b["n"] == len(values)
    assert ordered[0] <= b["p5"] <= b["p50"] <= b["p95"] <= ordered[-1]
    assert {b["p5"], b["p50"], b["p95"]} <= set(values)
    assert abs(b["mean"] * len(values) - sum(values)) <= len(values) // 2 + 1
    assert ordered[(len(values) - 1) // 2] <= b["median"] <= ordered[len(values) // 2]


def test_band_values() -> None:
    assert band(range(1, 101)) == {"n": 100, "mean": 50, "median": 50, "p5": 5, "p50": 50, "p95": 95}
    assert percentile([7], 95) == 7
    d = date_band([dt.date(2022, 11, 3), None, dt.date(2022, 11, 5)])
    assert d["none"] == 1 and d["n"] == 2 and d["median"] == "2022-11-04" and d["p95"] == "2022-11-05"


@pytest.mark.parametrize("name", ["ftx", "ftx_mini"])
def test_builtin_ranges_are_real_fields_and_their_samples_load(name: str) -> None:
    from hollow.sweep.plan import check_ranges
    from hollow.world.load import load_scenario

    ranges = check_ranges(load_scenario(name))
    assert "house.liquidity_floor" in ranges
    jobs = build_jobs(name, [], latin_hypercube(ranges, 3, seed=1), [1])  # each point validated by the loader
    assert len(jobs) == 3
