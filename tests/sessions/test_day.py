"""trade_day: a session per day's regime and volatility, cached on disk, scaled exactly by an exogenous driver."""

import datetime as dt
from decimal import Decimal

import pytest

from hollow.sessions import day as day_mod
from hollow.sessions.cache import SessionCache
from hollow.sessions.day import DayConditions, Opening, anchors, day_regime, trade_day
from hollow.sessions.regime import load_regime


@pytest.fixture(scope="module")
def regime():
    r = load_regime("scenarios/regimes/2021_sharks.toml")
    return r.model_copy(update={
        "duration_s": 60.0,
        "arbitrageurs": r.arbitrageurs.model_copy(update={"count": 3}),
        "trading_firms": r.trading_firms.model_copy(update={"count": 4}),
        "retail": r.retail.model_copy(update={"count": 40}),
    })


def conditions(regime, **kw):
    base = dict(date=dt.date(2021, 5, 19), regime=regime, open_price=Decimal(40000), close_price=Decimal(37000),
                realised_vol=1.2, driver=Decimal(2_000_000_000))
    base.update(kw)
    return DayConditions(**base)


def test_scaled_day_is_zero_sum_and_house_buckets_add_up(regime, tmp_path):
    day = trade_day(conditions(regime), Opening(), 7, SessionCache(tmp_path))
    classes = {c for f, t, _, _ in day.flows for c in (f, t)}
    assert sum(day.net(c) for c in classes) == 0
    assert sum(day.house.values()) == day.net("house")
    assert all(a > 0 for a in day.flows.values())
    num, den = day.scale
    assert num == 2_000_000_000 * 10**6
    # the exchange's volume that day is what the session was scaled to (each fill has two sides)
    on_venue = sum(v for c, v in day.volume_by_class.items() if c != "market")
    assert abs(on_venue - 2 * 2_000_000_000 * 10**6) <= len(day.volume_by_class)


def test_driver_doubles_every_flow_to_within_a_unit(regime, tmp_path):
    cache = SessionCache(tmp_path)
    one = trade_day(conditions(regime), Opening(), 7, cache)
    two = trade_day(conditions(regime, driver=Decimal(4_000_000_000)), Opening(), 7, cache)
    for k, a in one.flows.items():
        assert abs(two.flows[k] - 2 * a) <= 2
    assert cache.misses == 1 and cache.hits == 1


def test_cache_survives_the_process_and_keys_on_inputs(regime, tmp_path):
    first = trade_day(conditions(regime), Opening(), 7, SessionCache(tmp_path))
    fresh = SessionCache(tmp_path)  # a new process: only the disk
    again = trade_day(conditions(regime), Opening(), 7, fresh)
    assert fresh.hits == 1 and again.flows == first.flows and again.session_key == first.session_key
    other_seed = trade_day(conditions(regime), Opening(), 8, fresh)
    assert other_seed.session_key != first.session_key
    calmer = trade_day(conditions(regime, realised_vol=0.3), Opening(), 7, fresh)
    assert calmer.session_key != first.session_key
    assert fresh.misses == 2


def test_code_change_invalidates(regime, tmp_path, monkeypatch):
    cache = SessionCache(tmp_path)
    first = trade_day(conditions(regime), Opening(), 7, cache)
    monkeypatch.setattr("hollow.sessions.cache.code_version", lambda: "another version")
    second = trade_day(conditions(regime), Opening(), 7, cache)
    assert second.session_key != first.session_key and cache.misses == 2


def test_volatility_is_bucketed_and_scales_jumps_too(regime):
    a = day_regime(conditions(regime, realised_vol=1.0), Opening())
    b = day_regime(conditions(regime, realised_vol=1.04), Opening())
    assert a.reference == b.reference  # same bucket: one session serves both days
    ref = a.reference
    total = (ref.annual_volatility**2 + ref.jumps_per_day * 365 * ref.jump_std**2) ** 0.5
    assert total == pytest.approx(1.0)


def test_stress_days_run_the_whole_move_ordinary_days_a_slice(regime):
    start, end = anchors(conditions(regime, stress=True), regime)
    spec = regime.instrument.instrument()
    assert (start, end) == (spec.price_to_ticks(Decimal(40000)), spec.price_to_ticks(Decimal(37000)))
    start, end = anchors(conditions(regime), regime)
    assert start == regime.instrument.start_ticks()
    assert end < start and (start - end) / start < 0.01  # a 60 s slice of a -7.8% day


def test_stress_session_path_ends_at_the_close(regime, tmp_path, monkeypatch):
    seen = {}
    real = day_mod.reference_path

    def spy(*args, **kw):
        seen["path"] = real(*args, **kw)
        return seen["path"]

    monkeypatch.setattr(day_mod, "reference_path", spy)
    trade_day(conditions(regime, stress=True), Opening(), 3, SessionCache(None))
    spec = regime.instrument.instrument()
    assert int(seen["path"].price_ticks[0]) == spec.price_to_ticks(Decimal(40000))
    assert int(seen["path"].price_ticks[-1]) == spec.price_to_ticks(Decimal(37000))


def test_opening_state_enters_the_key(regime, tmp_path):
    cache = SessionCache(tmp_path)
    a = trade_day(conditions(regime), Opening(), 7, cache)
    b = trade_day(conditions(regime), Opening(house_collateral_usd=Decimal(1_000_000)), 7, cache)
    assert a.session_key != b.session_key


def test_the_code_version_covers_every_layer_a_session_runs_on():
    from pathlib import Path

    import hollow
    from hollow.sessions.cache import SESSION_CODE

    root = Path(hollow.__file__).parent
    assert all((root / part).exists() for part in SESSION_CODE)
    imported = {line.split()[1].split(".")[1] for f in (root / "sessions").glob("*.py")
                for line in f.read_text().splitlines() if line.startswith(("from hollow.", "import hollow."))}
    assert imported <= {p.removesuffix(".py") for p in SESSION_CODE}, imported


def test_a_fresh_day_and_a_cached_one_are_identical_even_on_ties(regime, tmp_path, monkeypatch):
    """Equal remainders are broken by position: the digest must be in one order however it was got
    (the disk copy is key-sorted; a fresh one was in insertion order and gave another split)."""
    digest = {
        "flows": [["retail", "house", "USD", "realised_pnl", 3]],
        "house": {"spread": 1, "adverse_selection": 1, "fees": 1, "funding": 0, "liquidation": 0},
        "markouts": [], "volume_by_class": {"retail": 1, "house": 1}, "waterfall": {}, "closing": {},
        "venue_volume_minor": 2_000_000, "duration_s": 60.0, "session": {},
    }
    monkeypatch.setattr(day_mod, "reference_path", lambda *a, **k: None)
    monkeypatch.setattr(day_mod, "run_session", lambda *a, **k: None)
    monkeypatch.setattr(day_mod, "digest_of", lambda result: digest)
    fresh = trade_day(conditions(regime, driver=Decimal(1)), Opening(), 7, SessionCache(tmp_path))
    cached = trade_day(conditions(regime, driver=Decimal(1)), Opening(), 7, SessionCache(tmp_path))
    assert fresh.scale == (1_000_000, 2_000_000)
    assert list(fresh.house.items()) == list(cached.house.items())
    assert list(fresh.volume_by_class.items()) == list(cached.volume_by_class.items())
    assert fresh == cached


def test_a_cache_file_that_is_not_utf8_is_a_miss_not_a_traceback(tmp_path):
    cache = SessionCache(tmp_path)
    (tmp_path / "k.json").write_bytes(b"\xff\xfe\x00garbage")
    assert cache.get("k") is None and cache.misses == 1


def test_another_numpy_is_another_key(monkeypatch):
    from hollow.sessions.cache import session_key

    before = session_key({"seed": 1})
    monkeypatch.setattr("numpy.__version__", "0.0.1")
    assert session_key({"seed": 1}) != before


BAD_DAYS = {
    "realised_vol": [float("nan"), float("inf"), -1.0],  # nan and -1 once ran silently at the regime's own volatility
    "driver": [Decimal(-1), Decimal("NaN"), Decimal("Infinity"), Decimal(10) ** 40],
    "open_price": [Decimal(0), Decimal(-1)],
    "close_price": [Decimal(0)],
    "vol_buckets_per_doubling": [0],
    "return_bucket": [0.0],
}


@pytest.mark.parametrize("field, value", [(f, v) for f, vs in BAD_DAYS.items() for v in vs])
def test_a_bad_day_is_one_error_naming_the_field(regime, field, value, monkeypatch):
    monkeypatch.setattr(day_mod, "run_session", lambda *a, **k: pytest.fail("ran a session on a bad day"))
    cache = SessionCache(None)
    digest = {"flows": [["retail", "house", "USD", "fee", 10**12]], "house": {}, "markouts": [], "volume_by_class": {},
              "waterfall": {}, "closing": {}, "venue_volume_minor": 1, "duration_s": 60.0, "session": {}}
    monkeypatch.setattr(cache, "get", lambda key: digest)  # a huge driver is refused at scaling
    with pytest.raises(ValueError, match=f"DayConditions.{field}: ") as info:
        trade_day(conditions(regime, **{field: value}), Opening(), 7, cache)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("value", [Decimal(-5), Decimal("NaN")])
def test_a_bad_opening_is_one_error_naming_the_field(value):
    with pytest.raises(ValueError, match="Opening.house_collateral_usd: "):
        Opening(house_collateral_usd=value)


def test_a_stress_open_under_one_tick_is_refused(regime):
    with pytest.raises(ValueError, match="DayConditions.open_price: is under one tick"):
        trade_day(conditions(regime, stress=True, open_price=Decimal("0.1")), Opening(), 7, SessionCache(None))
