"""Scenario files and `--set`: every bad input is one ScenarioError naming the field and the reason."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hollow.errors import EXIT_BAD_INPUT, PathError, ScenarioError
from hollow.world.load import builtin_scenarios, load_scenario, problems
from hollow.world.schedule import Schedule

MINI = builtin_scenarios()["ftx_mini"]


def write(tmp_path, text: str):
    path = tmp_path / "s.toml"
    path.write_text(text)
    return str(path)


def fails(ref, sets=(), *, field: str, says: str) -> ScenarioError:
    with pytest.raises(ScenarioError) as err:
        load_scenario(ref, sets)
    assert err.value.exit_code == EXIT_BAD_INPUT
    assert err.value.field == field and says in err.value.reason, str(err.value)
    assert "\n" not in str(err.value)
    return err.value


def test_builtins_load_and_pass_their_checks():
    for name in builtin_scenarios():
        loaded = load_scenario(name)
        assert loaded.source == f"builtin:{name}" and len(loaded.sha256) == 64
        assert list(problems(loaded.scenario)) == []


def test_unknown_key_in_the_file_is_named(tmp_path):
    ref = write(tmp_path, MINI.replace("[house]\n", "[house]\nfiat_rooting = false\n"))
    err = fails(ref, field="house.fiat_rooting", says="unknown key")
    assert err.path == ref


def test_wrong_type_in_the_file(tmp_path):
    fails(write(tmp_path, MINI.replace("accounts = 1800", 'accounts = "many"')), field="depositors.retail.accounts", says="whole number")


def test_dates_outside_the_price_data(tmp_path):
    text = MINI.replace("start = 2022-09-15\nend = 2022-11-13", "start = 2018-12-01\nend = 2022-11-13", 1)
    fails(write(tmp_path, text), field="start", says="before the price data")
    fails("ftx_mini", ["end=2023-01-31"], field="end", says="after the price data")


def test_schedule_gap_and_overlap_name_the_piece():
    fails("ftx_mini", ["schedule.1.start=2022-10-20"], field="schedule.1.start", says="gap: no regime from 2022-10-16 to 2022-10-19")
    fails("ftx_mini", ["schedule.1.start=2022-10-10"], field="schedule.1.start", says="overlaps schedule.0")
    fails("ftx_mini", ["schedule.1.end=2022-11-12"], field="schedule.1.end", says="must end on the scenario's end")


def test_events_outside_the_window_and_the_record():
    fails("ftx_mini", ["run.shocks.0.date=2023-01-02"], field="run.shocks.0.date", says="outside the scenario")
    fails("ftx_mini", ["run.shocks.0.source=made_up"], field="run.shocks.0.source", says="not a row id")
    fails("ftx_mini", ["longs.0.asset=SOL", "longs.0.start=2020-01-01"], field="longs.0.start", says="outside")


def test_set_on_a_missing_field_names_it():
    err = fails("ftx_mini", ["house.signal_stalenes_ms=5"], field="house.signal_stalenes_ms", says="no field 'signal_stalenes_ms' in house")
    assert err.path == "--set"
    fails("ftx_mini", ["schedule.7.arbitrageurs=3"], field="schedule.7.arbitrageurs", says="no index 7")
    fails("ftx_mini", ["schedule.first.arbitrageurs=3"], field="schedule.first.arbitrageurs", says="index it with a number")
    fails("ftx_mini", ["seed.x=1"], field="seed.x", says="is a value")
    fails("ftx_mini", ["nonsense"], field="nonsense", says="expected FIELD.PATH=VALUE")


def test_set_with_a_wrong_type_names_the_override():
    fails("ftx_mini", ["house.signal_staleness_ms=soon"], field="house.signal_staleness_ms=soon", says="expected a number")
    fails("ftx_mini", ["house.fiat_routing=maybe"], field="house.fiat_routing=maybe", says="true or false")
    fails("ftx_mini", ["house.quoter_off_from=yesterday"], field="house.quoter_off_from=yesterday", says="")


def test_set_changes_the_field_with_its_type():
    s = load_scenario("ftx_mini", ["house.signal_staleness_ms=5", "house.quoter_off_from=2022-10-01",
                                   "house.privileges.allow_negative_balance=false", "house.fiat_routing=false",
                                   "schedule.1.arbitrageurs=3", "depositors.retail.share=0.55"]).scenario
    assert s.house.signal_staleness_ms == 5.0 and s.house.quoter_off_from == dt.date(2022, 10, 1)
    assert not s.house.privileges.allow_negative_balance and not s.house.fiat_routing
    assert s.schedule[1].arbitrageurs == 3 and s.depositors["retail"].share == Decimal("0.55")
    assert Schedule(s).regime(0).house.signal_staleness_ms == 5.0  # replaces every piece's value


def test_a_missing_file_is_a_path_error():
    with pytest.raises(PathError):
        load_scenario("no/such/scenario.toml")


@settings(max_examples=30, deadline=None)
@given(st.integers(-5, 5))
def test_any_moved_boundary_is_exactly_a_gap_an_overlap_or_fine(shift):
    day = dt.date(2022, 10, 16) + dt.timedelta(days=shift)
    if shift == 0:
        assert load_scenario("ftx_mini", [f"schedule.1.start={day}"]).scenario.schedule[1].start == day
    else:
        err = fails("ftx_mini", [f"schedule.1.start={day}"], field="schedule.1.start", says="")
        assert ("gap" in err.reason) == (shift > 0) and ("overlaps" in err.reason) == (shift < 0)


def test_schedule_paths_are_linear_and_exact():
    s = load_scenario("ftx", []).scenario
    sched = Schedule(s)
    p = s.schedule[0]
    assert sched.volume_usd(p.start) == p.exchange_volume_usd and sched.volume_usd(p.end) == p.exchange_volume_end_usd
    mid = sched.volume_usd(p.start + (p.end - p.start) / 2)
    assert p.exchange_volume_usd < mid < p.exchange_volume_end_usd
    assert sched.piece(dt.date(2021, 6, 1)).name == "2021_sharks"
