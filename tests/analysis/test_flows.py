"""The hole at collapse decomposed by holder class and cause: exact, under both tracing rules."""

import json

import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hollow.analysis.flows import RULES, _apportion, hole_flows, write
from hollow.analysis.run import RunTables
from hollow.errors import HollowError
from tests.analysis.conftest import make_run


def _check_exact(folder):
    run = RunTables(folder)
    flows = hole_flows(run)
    summary = json.loads((folder / "summary.json").read_text())
    assert flows.hole_minor == summary["hole_at_collapse_minor"]
    for rule in RULES:
        assert sum(flows.rows[rule].values()) == summary["hole_at_collapse_minor"], rule
        assert all(isinstance(v, int) for v in flows.rows[rule].values())
    return flows


def test_the_mini_run_hole_is_split_exactly_under_both_rules(mini_dir):
    flows = _check_exact(mini_dir)
    pr, libr = (flows.totals(r) for r in RULES)
    # the house's withdrawals paid for ventures and insider loans; the rules disagree on how much each
    venture = {r: t["venture", "venture:lost_at_recovery"] + t["venture", "venture:recoverable"] for r, t in zip(RULES, (pr, libr))}
    assert all(v > 0 for v in venture.values()) and venture["pro_rata"] != venture["lowest_intermediate_balance"]
    # the lost part is the traced customer money times the share the house lost on its ventures, floored
    summary = json.loads((mini_dir / "summary.json").read_text())
    loss, spent = summary["house_losses_by_bucket_minor"]["ventures"], summary["spending_minor"]["ventures"]["spent"]
    assert 0 < loss < spent
    assert pr["venture", "venture:lost_at_recovery"] == venture["pro_rata"] * loss // spent
    assert pr["arbitrageur", "trading_against_house"] > 0
    # money between customers is zero-sum
    among = [v for (h, c), v in pr.items() if c == "trading_among_customers"]
    assert sum(among) == 0 and among


def test_the_pooled_part_is_the_same_under_both_rules(mini_dir):
    flows = hole_flows(RunTables(mini_dir))
    pooled = {r: {k: v for k, v in flows.rows[r].items() if k[0] in ("house", "venture", "insider", "lender", "market", "expense")}
              for r in RULES}
    assert sum(pooled["pro_rata"].values()) == sum(pooled["lowest_intermediate_balance"].values())


def test_written_table_has_the_columns_and_sums(mini_dir, tmp_path):
    flows = write(RunTables(mini_dir), tmp_path)
    table = pq.read_table(tmp_path / "hole_flows.parquet").to_pylist()
    assert set(table[0]) == {"rule", "holder_class", "cause", "year", "amount_minor"}
    for rule in RULES:
        assert sum(r["amount_minor"] for r in table if r["rule"] == rule) == flows.hole_minor


@settings(max_examples=3, deadline=None)
@given(seed=st.integers(0, 10_000), routing=st.booleans(), negative=st.booleans())
def test_random_small_scenarios_split_exactly(tmp_path_factory, session_cache, seed, routing, negative):
    out = tmp_path_factory.mktemp("rand") / "run"
    make_run(out, session_cache, "--seed", str(seed), "--set", f"house.fiat_routing={str(routing).lower()}",
             "--set", f"house.privileges.allow_negative_balance={str(negative).lower()}")
    _check_exact(out)


@given(units=st.lists(st.integers(-10**18, 10**18), min_size=1, max_size=8),
       price=st.integers(1, 10**12), scale=st.sampled_from([1, 10**6, 10**8, 10**18]))
def test_apportion_hits_the_target_exactly(units, price, scale):
    groups = {(i,): u for i, u in enumerate(units)}
    pos, neg = sum(u for u in units if u > 0), -sum(u for u in units if u < 0)
    target = pos * price // scale - neg * price // scale
    values = _apportion(groups, price, scale, target)
    assert sum(values.values()) == target
    assert all(abs(values[k] - groups[k] * price / scale) <= 1 + 1e-9 * abs(groups[k] * price / scale) for k in groups)


def test_a_run_from_another_version_is_refused(mini_dir, tmp_path, monkeypatch):
    import hollow.analysis.run as run_module

    monkeypatch.setattr(run_module, "__version__", "9.9.9")
    with pytest.raises(HollowError, match="written by hollow"):
        RunTables(mini_dir)


def test_the_two_tracing_rules_on_a_worked_example():
    from hollow.analysis.flows import TREASURY, trace

    postings = [(2021, "external:house_owners", TREASURY, 100, "capital", "house"),
                (2021, "custody", TREASURY, 50, "withdrawal", "house"),
                (2021, TREASURY, "external:ventures", 120, "venture", "venture"),
                (2022, "external:lender:x", TREASURY, 100, "loan:draw", "house"),
                (2022, TREASURY, "external:expenses", 50, "expense", "expense"),
                (2022, TREASURY, "custody", 20, "deposit", "exchange")]
    net, sold, pr = trace(postings, "pro_rata", 2022)
    assert (net, sold) == (30, 0)
    assert pr["venture", "venture", 2021] == 40  # 120 x 50/150
    assert pr["expense", "expense", 2022] == 50 * 10 // 130  # the pool holds 10 of customer money in 130
    _, _, libr = trace(postings, "lowest_intermediate_balance", 2022)
    assert libr["venture", "venture", 2021] == 20  # own 100 spent first, then 20 of the customers'
    assert libr["expense", "expense", 2022] == 0  # the loan is spent before the 30 left of customer money
    for rows in (pr, libr):  # what went out and what is left is the net customer money, under either rule
        assert sum(rows.values()) == net
