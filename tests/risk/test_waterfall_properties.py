"""Properties over any cascade: the books balance after every pass, the fund is never skipped, every
deficit is covered by a named step, every unit of the fund is accounted for, and who paid whom agrees."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from hollow.risk.collateral import CollateralAsset
from tests.risk.test_attribution import flows
from tests.risk.test_margin import USD1, World

FTT = CollateralAsset("FTT", 950_000, 900_000, 500, 5 * USD1)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(1, 500), st.integers(1, 20)), min_size=1, max_size=10),  # (collateral $, leverage)
    st.lists(st.integers(-15, 8), min_size=2, max_size=12),  # the mark's moves, % of the start, pass by pass
    st.integers(0, 200),  # insurance fund $
    st.integers(0, 3_000),  # backstop commitment $ per minute (0: no backstop)
    st.one_of(st.none(), st.integers(0, 300)),  # the backstop's own position limit
    st.booleans(),  # the first long is exempt
    st.sampled_from(["ftx", "bitmex"]),
    st.integers(0, 40),  # FTT held by the second long
)
def test_after_any_cascade_every_deficit_is_covered_by_a_named_step(longs, moves, fund_usd, commit_usd, limit, exempt_first,
                                                                     mode, ftt_tokens) -> None:
    w = World(fund_usd=fund_usd, mode=mode, collateral=(FTT,))
    shorts = [w.account("short0", 100_000, "trader"), w.account("short1", 3_000, "trader")]
    if commit_usd:
        w.backstop("blp", 1_000_000, per_minute_usd=commit_usd, per_hour_usd=10 * commit_usd, max_position_lots=limit)
    for i, (collateral, leverage) in enumerate(longs):
        s = w.account(f"long{i}", collateral, liquidation_exempt=exempt_first and i == 0)
        if i == 1 and ftt_tokens:
            w.custody.deposit(0, int(w.engine.ledger_id[s]), "FTT", ftt_tokens * 10**8)
        w.engine.open_position(s, shorts[i % 2], collateral * leverage // 100 + 1, 100)
    mark = 100
    for k, move in enumerate(moves, start=1):
        mark = max(1, mark + move)
        w.engine.mark_ticks = mark
        w.liquidator.run(k * 10**9)
        w.engine.flush_fees(k * 10**9)
        w.engine.check()
        w.journal.check()
    rows = w.rows()
    assert all(r["fund_minor"] >= 0 for r in rows)
    for r in rows:  # the fund is never skipped: nobody absorbs a deficit while the fund has money
        if (r["step"] == "adl" and r["amount_minor"] > 0) or r["step"] in ("socialized", "bad_debt"):
            assert r["fund_minor"] == 0, r
    w.engine.settle_all(99 * 10**9)
    w.engine.check()
    w.journal.check()
    equity = w.engine.state().weighted_equity_minor.tolist()  # collateral counts (a USD debt backed by FTT is no deficit)
    bad = {}
    for r in w.rows("bad_debt"):
        bad[r["account"]] = r["amount_minor"]
    for s, (e, exempt) in enumerate(zip(equity, w.engine.exempt.tolist())):
        if not exempt and e < 0:
            assert bad.get(w.engine.name(s)) == -e  # what no step could cover is named, to the unit
    fund_end = w.journal.balance(w.fund, "USD")
    liq = w.liquidator
    assert fund_end == fund_usd * USD1 + liq.fund_received_minor - liq.fund_paid_minor
    if not any(w.engine.unrealised_minor(s) for s in range(w.engine.n)):  # nobody owes: every class pair agrees
        received, paid = flows(w)
        keys = set(received) | set(paid)
        assert {k: received.get(k, 0) for k in keys} == {k: paid.get(k, 0) for k in keys}
