"""The daily loop on the mini scenario: conservation, the run, the books, determinism, counterfactuals."""

import datetime as dt

import numpy as np
import pytest

from hollow.ledger import BalanceSheet
from hollow.world.load import load_scenario
from hollow.world.outputs import daily_table
from hollow.world.timeline import World, days, run_world
from hollow.world.token import size_weight_ppm


def test_every_day_conserves_and_the_sheet_reads_the_journal(mini, cache):
    world = World(mini, cache)
    for day in days(mini):
        row = world.step(day)
        world.books.journal.check()  # balances replay exactly, every asset sums to zero, no floor broken
        sheet = BalanceSheet.at(world.books.journal, world.prices)
        assert row["hole_minor"] == sheet.hole == max(0, sheet.customer_liabilities - sheet.custody_assets)
        assert row["house_borrowed_minor"] == sheet.customer_money_at_house
    assert world.books.balance("exchange:perp_clearing", "USD") <= 0  # only what nobody absorbed stays there


def test_the_run_halts_the_venue_when_custody_cannot_pay(mini_run):
    r = mini_run
    halt = r.halt_date
    assert halt is not None and halt >= dt.date(2022, 11, 2)  # not before the leak
    rows = {row["date"]: row for row in r.rows}
    assert rows[halt]["halted"] and rows[halt]["unpaid_withdrawals_minor"] > 0
    assert all(not row["halted"] for row in r.rows if row["date"] < halt)
    after = [row for row in r.rows if row["date"] > halt]
    assert after and all(row["withdrawals_minor"] == 0 and row["deposits_minor"] == 0 for row in after)
    assert r.collapse["row"]["date"] == halt
    # insolvency (honest values) comes before illiquidity (the halt)
    first_insolvent = next(row["date"] for row in r.rows if row["group_shortfall_minor"] > 0)
    assert first_insolvent < halt


def test_depositors_are_individual_heavy_tailed_accounts(mini_run):
    j = mini_run.books.journal
    names = [a.name for a in j.accounts() if a.name.startswith("customer:retail:")]
    assert len(names) == mini_run.scenario.depositors["retail"].accounts
    ids = [j.account_id(n) for n in names]
    usd = np.sort(j.balances("USD")[ids])[::-1]
    assert usd[0] > 0 and usd[: len(usd) // 100].sum() > 0.2 * usd.sum()  # the top 1% hold a fifth or more


def test_fiat_routing_books_the_house_as_owing_the_exchange(mini_run):
    routed = sum(row["routed_deposits_minor"] for row in mini_run.rows)
    assert routed > 0
    assert mini_run.books.balance("exchange:receivable:house", "USD") == routed


def test_the_size_haircut_matches_the_record():
    # [bs_ftt_haircut]: 0.73 / 0.43 / 0.18 for 1e6 / 1e7 / 1e8 FTT at table weight 0.95
    from decimal import Decimal

    w = [size_weight_ppm(950_000, Decimal("0.0005"), q * 10**8, 10**8) / 1e6 for q in (10**6, 10**7, 10**8)]
    assert [round(x, 2) for x in w] == [0.73, 0.43, 0.18]


def test_token_supply_falls_only_by_burns(mini_run):
    rows = mini_run.rows
    supply = [row["token_supply_units"] for row in rows]
    burned = [row["token_burned_units"] for row in rows]
    assert all(s + b == supply[0] + burned[0] for s, b in zip(supply, burned))
    assert burned[-1] > 0 and burned[-1] <= 175_000_000 * 10**8


def test_a_rerun_is_identical(mini, cache):
    a, b = run_world(mini, cache), run_world(mini, cache)
    assert daily_table(a.rows).equals(daily_table(b.rows))
    assert a.books.journal.to_arrow().equals(b.books.journal.to_arrow())


def test_without_privileges_and_routing_customers_are_whole_and_the_house_fails_alone(cache):
    s = load_scenario("ftx_mini", ["house.privileges.allow_negative_balance=false", "house.fiat_routing=false"]).scenario
    r = run_world(s, cache)
    assert r.halt_date is None  # every withdrawal was paid, run included
    assert all(row["usd_shortfall_minor"] == 0 and row["house_borrowed_minor"] == 0 for row in r.rows)
    assert r.house.failed_on is not None  # it could not pay its lenders with its own money
    assert r.house.from_customers == 0


@pytest.mark.parametrize("earlier,later", [("2022-09-15", "2022-10-01"), ("2022-10-01", "2022-10-20"), ("2022-10-20", None)])
def test_switching_the_quoter_off_earlier_never_makes_the_hole_bigger(cache, earlier, later):
    def hole(off):
        sets = [] if off is None else [f"house.quoter_off_from={off}"]
        return run_world(load_scenario("ftx_mini", sets).scenario, cache).collapse["row"]["hole_minor"]

    assert hole(earlier) <= hole(later)
