"""Early warnings dated against the collapse, and the markouts by taker class and year."""

import datetime as dt

from hollow.analysis import markouts, warnings
from hollow.analysis.run import RunTables


def test_each_signal_is_dated_at_its_first_crossing(mini_dir):
    run = RunTables(mini_dir)
    halt = dt.date.fromisoformat(run.summary["collapse_date"])
    found = {s.name: s for s in warnings.signals(run)}
    assert set(found) == set(warnings.THRESHOLDS)
    for s in found.values():
        sign = -1 if s.direction == "below" else 1
        crossed = [d for d, x in s.series if sign * (x - s.threshold) > 0 and d <= halt]
        assert s.first == (crossed[0] if crossed else None)
        if s.first is not None:
            assert s.lead_days == (halt - s.first).days >= 0
    # in the mini world the house already spends customer money: borrowing crosses before the halt
    assert found["house_borrowing_share"].first is not None and found["house_borrowing_share"].lead_days > 0


def test_token_share_is_a_share(mini_dir):
    s = next(s for s in warnings.signals(RunTables(mini_dir)) if s.name == "house_token_share")
    assert all(0 <= x <= 1 for _, x in s.series) and max(x for _, x in s.series) > 0


def test_markouts_reconcile_with_the_daily_table(mini_dir):
    run = RunTables(mini_dir)
    house = markouts.house_by_year(run)
    total = run.rows("select sum(house_trading_minor) from daily")[0]
    assert sum(h["trading_minor"] for h in house) == total[0]
    takers = markouts.by_class_and_year(run)
    arb = [r["usd_per_million"] for r in takers if r["taker_class"] == "arbitrageur"]
    assert arb and all(x > 0 for x in arb)  # the fast firms take money off the stale quoter every year


def test_markout_curves_have_every_horizon_and_add_up_to_the_sessions(mini_dir):
    """+1/+10/+60 s curves by taker class and year, each point an exact sum of the days' scaled markouts."""
    import pyarrow.parquet as pq

    run = RunTables(mini_dir)
    curves = markouts.curves(run)
    classes = {r["taker_class"] for r in curves}
    assert {"arbitrageur", "retail"} <= classes
    for cls in classes:
        for year in {r["year"] for r in curves}:
            assert sorted(r["horizon_s"] for r in curves if (r["taker_class"], r["year"]) == (cls, year)) == [1, 10, 60]
    table = pq.read_table(mini_dir / "markouts.parquet").to_pydict()
    assert sum(r["markout_minor"] for r in curves) == sum(table["markout_minor"])
    # the pick-off: the arbitrageurs' fills are a loss for the house at every horizon
    assert all(r["markout_minor"] < 0 for r in curves if r["taker_class"] == "arbitrageur")
