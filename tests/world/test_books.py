"""The house's books off the exchange on the mini scenario: lenders, the token's endogenous price, and a
stress day's cascade."""

import datetime as dt
import itertools
from decimal import Decimal

from hollow.world.load import load_scenario, problems
from hollow.world.scenario import StressDay, StressInstrument
from hollow.world.timeline import run_world


def test_a_recall_is_paid_with_customer_money_when_privileged(mini_run):
    genesis = mini_run.lending.lenders[0]
    assert genesis.recalled == genesis.repaid == 1_500_000_000 * 10**6
    assert genesis.defaulted_on is None
    assert mini_run.house.from_customers > 0  # the house took customers' money to pay it


def test_without_privileges_the_recall_is_a_default_and_the_lender_seizes_the_collateral(cache):
    s = load_scenario("ftx_mini", ["house.privileges.allow_negative_balance=false", "house.fiat_routing=false"]).scenario
    r = run_world(s, cache)
    genesis = r.lending.lenders[0]
    assert genesis.defaulted_on == dt.date(2022, 10, 3) and genesis.seized_value > 0
    assert r.books.balance(genesis.collateral, "FTT") == 0
    assert r.books.balance("external:lender:genesis", "FTT") > 0


def test_the_endogenous_token_falls_when_the_rival_sells(cache):
    s = load_scenario("ftx_mini", ["token.price_mode=endogenous", "token.endogenous.beta=0", "token.endogenous.news=0"]).scenario
    r = run_world(s, cache)
    price = {row["date"]: row["token_price_minor"] for row in r.rows}
    before, sale = dt.date(2022, 11, 5), dt.date(2022, 11, 6)
    assert price[sale] < 0.95 * price[before]  # the rival's first day of selling into the float
    days = sorted(d for d in price if d < sale)
    assert all(abs(price[b] / price[a] - 1) < 0.01 for a, b in itertools.pairwise(days))  # only the burns' buying moved it
    assert r.books.balance("external:rival", "FTT") < 23_000_000 * 10**8


def luna_world(base):
    """Eight days around the LUNA crash with the cascade on its three worst days."""
    start, end = dt.date(2022, 5, 6), dt.date(2022, 5, 13)
    stress = base.stress.model_copy(update={
        "days": [StressDay(date=dt.date(2022, 5, d), asset="LUNA", volume_share=Decimal("0.003")) for d in (9, 10, 11)],
        "instruments": {"LUNA": StressInstrument(tick_size=Decimal("0.0001"), lot_size=Decimal(1))}})
    token = base.token.model_copy(update={"launch": start, "rival_units": Decimal(0), "rival_date": None, "rival_sale_start": None})
    s = base.model_copy(update={"start": start, "end": end, "schedule": [base.schedule[0].model_copy(update={"start": start, "end": end})],
                                "run": base.run.model_copy(update={"shocks": []}), "token": token, "lenders": [], "spending": [],
                                "longs": [], "stress": stress})
    assert list(problems(s)) == []
    return s


def test_a_stress_day_runs_the_cascade_with_the_house_as_backstop(mini, cache):
    r = run_world(luna_world(mini), cache)
    stressed = [row for row in r.rows if row["stress"]]
    assert [row["date"].day for row in stressed] == [9, 10, 11]
    assert any(row["house_liquidation_minor"] != 0 for row in stressed)
