"""One session, every movement on the ledger: checks on every shipped regime, cross-checked against an
independent settlement from the fill and hedge logs."""

from pathlib import Path

import numpy as np
import pytest

from hollow.errors import ScenarioError
from hollow.sessions.build import HOUSE
from hollow.sessions.regime import load_regime
from hollow.sessions.runner import run_session

REGIMES = sorted(Path("scenarios/regimes").glob("*.toml"))


def short(regime, seconds=90.0):
    """A small, quick version of a regime: same parts, fewer agents."""
    update = {"duration_s": seconds, "retail": regime.retail.model_copy(update={"count": min(regime.retail.count, 30)})}
    if regime.longs is not None:
        update["longs"] = regime.longs.model_copy(update={"count": 300})
        update["reference"] = regime.reference.model_copy(update={"crash": regime.reference.crash.model_copy(update={"start_s": 10.0, "over_s": 60.0})})
    return regime.model_copy(update=update)


@pytest.fixture(scope="module", params=REGIMES, ids=lambda p: p.stem)
def result(request):
    return run_session(short(load_regime(request.param)))


def test_ledger_balances_and_results_sum_to_zero(result):
    result.journal.check()
    s = result.summary
    total = sum(result.pnl.column("pnl_minor").to_pylist())
    exchange = s["fees_collected_minor"] + s.get("insurance_fund_end_minor", 0) - s.get("insurance_fund_start_minor", 0)
    assert total + exchange == 0
    assert s["reconciled"] and s["journal_check_passed"]


def test_every_class_pair_agrees_from_both_ends(result):
    assert result.flows.unsettled() == {}
    by_pair = result.flows.by_pair()
    classes = {c for a, b, _ in by_pair for c in (a, b)}
    assert sum(result.flows.net(c, "USD") for c in classes) == 0


def test_no_flow_is_booked_between_a_class_and_itself_through_the_clearing(result):
    # a clearing posting tagged with the payer's own class would show up as house -> house etc.
    for (a, b, _, cause), amount in result.flows.received.items():
        if a == b:
            assert a not in ("house", "exchange"), (a, b, cause, amount)


def test_house_result_splits_exactly(result):
    h = result.house_result
    assert sum(h.values()) == result.summary["house_pnl_minor"]
    if "accounts_liquidated" not in result.summary:
        assert h["liquidation"] == 0


def test_the_exchange_pays_under_its_own_cause_never_as_trading_pnl(result):
    """The exchange does not trade: what it pays is a rebate (`fee`) or a waterfall step. Read from the
    payee's leg, a rebate once showed as exchange -> house `realised_pnl` (and the world then paid the
    house's rebates out of the insurance fund)."""
    out_of_exchange = {cause for (a, _, _, cause) in result.flows.received if a == "exchange"}
    assert out_of_exchange <= {"fee"} | {c for c in out_of_exchange if c.startswith("liquidation:")}, out_of_exchange
    fees = sum(v if b == "house" else -v for (a, b, _, cause), v in result.flows.received.items()
               if cause == "fee" and {a, b} == {"house", "exchange"})
    assert fees == result.house_result["fees"]


@pytest.fixture(scope="module", params=[p for p in REGIMES if "luna" not in p.stem], ids=lambda p: p.stem)
def plain_result(request):
    """Sessions without a waterfall: every position change is a fill in the log."""
    return run_session(short(load_regime(request.param)))


def test_flows_read_from_the_ledger_match_an_independent_settlement(plain_result):
    """Per class: trading PnL from the fill log at the close, fees, hedges; against the ledger's net."""
    result = plain_result
    fills = result.fills.to_pydict()
    final = result.summary["final_reference_ticks"]
    mult = result.regime.instrument.instrument().minor_per_tick_lot
    expected: dict[str, int] = {}
    for t_cls, m_cls, side, p, q, tf, mf in zip(fills["taker_class"], fills["maker_class"], fills["aggressor"], fills["price_ticks"],
                                               fills["qty_lots"], fills["taker_fee_minor"], fills["maker_fee_minor"]):
        gain = (final - p) * q * mult * (1 if side == "buy" else -1)
        expected[t_cls] = expected.get(t_cls, 0) + gain - tf
        expected[m_cls] = expected.get(m_cls, 0) - gain - mf
    hedges = result.hedges.to_pydict()
    for agent, side, p, q in zip(hedges["agent"], hedges["side"], hedges["price_ticks"], hedges["qty_lots"]):
        gain = (final - p) * q * mult * (1 if side == "buy" else -1)
        expected["arbitrageur"] = expected.get("arbitrageur", 0) + gain
        expected["market"] = expected.get("market", 0) - gain
    for cls, value in expected.items():
        assert result.flows.net(cls, "USD") == value, cls
    fees = sum(fills["taker_fee_minor"]) + sum(fills["maker_fee_minor"])
    assert result.flows.net("exchange", "USD") == fees == result.summary["fees_collected_minor"]


def test_pnl_table_is_read_from_the_ledger(result):
    pnl = dict(zip(result.pnl.column("class").to_pylist(), result.pnl.column("pnl_minor").to_pylist()))
    assert pnl[HOUSE] == result.summary["house_pnl_minor"]
    by_class = result.summary["pnl_by_class_minor"]
    for cls, value in by_class.items():
        if "accounts_liquidated" not in result.summary:
            assert result.flows.net(cls, "USD") == value


def test_sums_are_exact_for_huge_sizes():
    """Sizes whose int64 products would wrap still settle exactly (Python-int sums)."""
    r = load_regime(REGIMES[1])
    r = r.model_copy(update={"duration_s": 20.0, "house": r.house.model_copy(update={"size_lots": 2**39, "max_position_lots": 2**40})})
    res = run_session(short(r, 20.0))
    assert res.summary["volume_minor"] >= 0
    assert res.summary["volume_minor"] == sum(res.fills.column("notional_minor").to_pylist())


def test_same_seed_same_bytes(tmp_path):
    r = short(load_regime(REGIMES[1]), 30.0)
    a, b = run_session(r, 5), run_session(r, 5)
    assert a.summary == b.summary
    assert a.journal.to_arrow().equals(b.journal.to_arrow())
    a.write(tmp_path / "a")
    b.write(tmp_path / "b")
    for f in sorted((tmp_path / "a").iterdir()):
        assert f.read_bytes() == (tmp_path / "b" / f.name).read_bytes(), f.name


def write_regime(tmp_path, body: str) -> Path:
    path = tmp_path / "bad.toml"
    path.write_text('name = "bad"\nduration_s = 10\n' + body)
    return path


@pytest.mark.parametrize("body, field", [
    ("[house_account]\ncredit_limit_usd = \"1000\"\n", "credit_limit_usd"),
    ("[[collateral]]\nasset = \"NOPE\"\nweight = 0.9\ninitial_weight = 0.85\nimf_factor = 0.0\nprice_usd = 1\n", "collateral"),
    ("[longs]\ncount = 10\n", "longs"),
    ("[house_account]\ncollateral_units = { FTT = \"100\" }\n", "collateral_units"),
])
def test_parts_that_do_not_fit_are_one_clear_error(tmp_path, body, field):
    with pytest.raises(ScenarioError) as info:
        load_regime(write_regime(tmp_path, body))
    message = str(info.value)
    assert "bad.toml" in message and field in message and "\n" not in message


def test_engine_positions_match_every_agents_books(result):
    positions = result.pnl.column("position_lots").to_numpy()
    assert int(np.sum(positions)) == 0
