"""The waterfall, step by step with hand-computed numbers, the privileges, and a property over cascades.

Units: tick = lot = 1, so one lot at one tick is $1; every account is a long or short of X-PERP.
Margin: IMF 5% (20x), MMF 3%, ACMF 1.5%, no size factor, no fees.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from hollow.ledger import BalanceSheet
from hollow.ledger.custody import WithdrawalReason, WithdrawalStatus
from hollow.market.book import Side
from hollow.market.messages import NewOrder
from tests.risk.test_margin import USD1, World


def test_step1_and_2_orderly_cancels_orders_then_sells_a_slice_through_the_book() -> None:
    w = World()
    a, b, m = w.account("a", 59), w.account("b", 1000), w.account("maker", 1000)
    w.engine.open_position(a, b, 10, 100)
    w.venue.on_message(w.engine.address[a], NewOrder(0, 1, Side.SELL, 0, 120, 3))  # a resting ask of a
    w.venue.on_message(w.engine.address[m], NewOrder(0, 1, Side.BUY, 0, 97, 5))  # the book's bid
    w.engine.mark_ticks = 97
    # equity 59 - 30 = $29 < MMF 3% x 970 = $29.10, above ACMF $14.55: orderly, 10% = 1 lot at 97
    w.liquidator.run(1)
    assert [(r["step"], r["qty_lots"]) for r in w.rows()] == [("cancel", 3), ("market", 1)]
    market = w.rows("market")[0]
    assert (market["price_ticks"], market["amount_minor"], market["counterparty"]) == (97, -30 * USD1, "book")
    assert w.engine.position_lots[a] == 9 and w.usd("a") == 29 * USD1  # $30 loss realised on the ledger
    assert ("liquidation:market" in w.journal.causes()) and w.engine.liquidating[a]
    w.engine.check()
    w.journal.check()


def test_step3_backstop_takes_at_two_thirds_zp_plus_one_third_mark() -> None:
    w = World(fund_usd=100)
    a, b = w.account("a", 60), w.account("b", 1000)
    w.backstop("blp", 10_000, per_minute_usd=10_000, per_hour_usd=100_000)
    w.engine.open_position(a, b, 10, 100)
    w.engine.mark_ticks = 95
    # equity 60 - 50 = $10 < ACMF $14.25. ZP = 100 - 60/10 = 94; the account gets 10 x 94 = $940.
    # The provider pays 940 + floor(10/3) = $943.333333 (2/3 x 94 + 1/3 x 95); $3.333333 to the fund.
    w.liquidator.run(1)
    (row,) = w.rows("backstop")
    assert (row["qty_lots"], row["price_ticks"], row["amount_minor"], row["counterparty"]) == (10, 94, 3_333_333, "customer:blp")
    assert w.usd("a") == 0 and w.engine.position_lots[a] == 0
    assert w.journal.balance(w.fund, "USD") == 103_333_333
    blp = w.slots["blp"]
    assert (w.engine.position_lots[blp], w.engine.basis_minor[blp]) == (10, -943_333_333)
    assert not w.rows("adl") and not w.rows("insurance")
    w.engine.check()
    w.journal.check()


def test_step4_and_5_fund_covers_what_it_can_then_adl_at_zp() -> None:
    w = World(fund_usd=25)
    a, b = w.account("a", 60), w.account("b", 1000)
    w.backstop("blp", 10_000, per_minute_usd=10_000, per_hour_usd=100_000)
    w.engine.open_position(a, b, 10, 100)
    w.engine.mark_ticks = 90
    # A gap: equity 60 - 100 = -$40. The provider takes at the mark only what the $25 fund can
    # bridge: 6 lots (gap 6 x (94 - 90) = $24). The other 4 lots close against the short b at
    # ZP 94: b pays $376 for what is worth $360 and absorbs the last $16. 24 + 16 = 40.
    w.liquidator.run(1)
    (ins,) = w.rows("insurance")
    (adl,) = w.rows("adl")
    assert (ins["qty_lots"], ins["amount_minor"]) == (6, 24 * USD1)
    assert (adl["qty_lots"], adl["price_ticks"], adl["amount_minor"], adl["counterparty"]) == (4, 94, 16 * USD1, "customer:b")
    assert w.journal.balance(w.fund, "USD") == 1 * USD1
    assert w.usd("a") == 0 and w.engine.position_lots[a] == 0
    assert (w.engine.position_lots[b], w.engine.position_lots[w.slots["blp"]]) == (-6, 6)
    assert w.usd("b") == (1000 + 100 - 16) * USD1  # b gained $100 at 90 on 10 lots, less what ADL took
    w.engine.check()
    w.journal.check()


def test_step5_adl_order_is_pnl_percent_times_effective_leverage() -> None:
    w = World()
    a, l2 = w.account("a", 72), w.account("l2", 1000)
    s1, s2, s3 = w.account("s1", 100), w.account("s2", 500), w.account("s3", 100)
    w.engine.open_position(a, s1, 10, 100)
    w.engine.open_position(a, s3, 2, 100)
    w.engine.open_position(l2, s3, 3, 100)
    w.engine.open_position(l2, s2, 5, 100)
    w.engine.mark_ticks = 95
    # scores at 95 (PnL% x notional/equity): s1 5% x 950/150 = 0.317, s3 5% x 475/125 = 0.19,
    # s2 5% x 475/525 = 0.045. a (12 lots, equity $12 < ACMF $17.10) closes at ZP = 100 - 72/12 = 94:
    # s1 takes 10 lots ($940 for $950: gains $10), s3 the last 2 ($188 for $190: gains $2).
    w.liquidator.run(1)
    rows = [(r["counterparty"], r["qty_lots"], r["price_ticks"], r["amount_minor"]) for r in w.rows("adl")]
    assert rows == [("customer:s1", 10, 94, -10 * USD1), ("customer:s3", 2, 94, -2 * USD1)]
    assert w.engine.position_lots.tolist() == [0, 8, 0, -5, -3]
    w.engine.check()
    w.journal.check()


def test_step6_debt_beyond_the_fund_is_socialized_pro_rata() -> None:
    w = World(fund_usd=3)
    a, b, c = w.account("a", 0), w.account("b", 300), w.account("c", 100)
    w.engine.basis_minor[a] -= 7 * USD1  # a flat account owing $7 (e.g. unpaid funding)
    w.engine.basis_minor[b] += 7 * USD1  # to whoever it was owed, not yet realised
    w.journal.post(0, w.engine.clearing, w.ids["exchange:fees"], "USD", 1, "fee", "exchange")  # keep clearing == sum(basis)
    w.engine.basis_minor[c] -= 1
    w.liquidator.run(1)
    assert [r["amount_minor"] for r in w.rows("insurance")] == [3 * USD1]
    social = {r["counterparty"]: r["amount_minor"] for r in w.rows("socialized")}
    assert social == {"customer:b": 3 * USD1, "customer:c": 1 * USD1}  # $4 split 300:100
    assert w.engine.basis_minor[a] == 0
    w.engine.check()
    w.journal.check()


def test_liquidation_exempt_account_stays_open_below_maintenance() -> None:
    w = World()
    normal, exempt = w.account("normal", 60), w.account("exempt", 60, liquidation_exempt=True)
    short = w.account("short", 5000)
    w.engine.open_position(normal, short, 10, 100)
    w.engine.open_position(exempt, short, 10, 100)
    w.engine.mark_ticks = 95  # both at equity $10 against MMF $28.50
    w.liquidator.run(1)
    assert w.engine.position_lots[normal] == 0 and w.engine.position_lots[exempt] == 10
    assert w.engine.state().below_maintenance[exempt]  # invariant 4 broken: no exempt accounts
    (row,) = w.rows("exempt")
    assert row["account"] == "customer:exempt" and row["amount_minor"] == 10 * USD1


def test_allow_negative_balance_lets_the_house_withdraw_customer_money() -> None:
    for allowed in (True, False):
        w = World()
        house = w.journal.open_account("house:exchange:x", "house", "house", allow_negative_balance=allowed)
        w.account("customer", 1000)
        result = w.custody.withdraw(1, house, "USD", 400 * USD1)
        sheet = BalanceSheet.at(w.journal, {})
        if allowed:
            assert result.status is WithdrawalStatus.PAID
            assert sheet.hole == 400 * USD1 and sheet.house_exchange == -400 * USD1  # invariants 3 and 7
        else:
            assert (result.status, result.reason) == (WithdrawalStatus.REFUSED, WithdrawalReason.INSUFFICIENT_BALANCE)
            assert sheet.hole == 0


def test_fast_order_entry_is_a_faster_link_in_the_cascade() -> None:
    from hollow.sessions.cascade import CascadeRegime, build

    def house_link_ns(fast: bool) -> int:
        regime = CascadeRegime.model_validate(
            {"name": "t", "duration_s": 1, "longs": {"count": 1}, "shorts": {"count": 1},
             "house_account": {"fast_order_entry": fast}, "house": {"order_entry_us": 100}, "standard_order_entry_us": 3000}
        )
        world = build(regime, 1)
        assert world.journal.account(world.journal.account_id("house:exchange")).fast_order_entry is fast
        k = world.kernel
        link = k._queue.add_link(k.address_of("house"), k.address_of("exchange"))
        return k._delays[link].latency.fixed_ns

    assert house_link_ns(True) == 100_000 and house_link_ns(False) == 3_000_000


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.integers(1, 500), st.integers(1, 20)), min_size=1, max_size=12),  # (collateral $, leverage)
    st.integers(1, 60),  # crash, % down
    st.integers(0, 200),  # insurance fund $
    st.integers(0, 3_000),  # backstop capacity $ per minute
    st.booleans(),  # one long exempt
)
def test_after_any_cascade_every_unit_is_accounted_for(longs, drop_pct, fund_usd, capacity_usd, exempt_first) -> None:
    w = World(fund_usd=fund_usd)
    short = w.account("short", 100_000)
    if capacity_usd:
        w.backstop("blp", 1_000_000, per_minute_usd=capacity_usd, per_hour_usd=10 * capacity_usd)
    for i, (collateral, leverage) in enumerate(longs):
        s = w.account(f"long{i}", collateral, liquidation_exempt=exempt_first and i == 0)
        w.engine.open_position(s, short, collateral * leverage // 100 + 1, 100)
    for k, mark in enumerate(np.linspace(100, 100 - drop_pct, 6).astype(int).tolist()):
        w.engine.mark_ticks = max(1, mark)
        w.liquidator.run(k)
    w.engine.settle_all(99)
    w.engine.check()
    w.journal.check()
    equity = w.engine.state().equity_minor
    assert all(e >= 0 for e, x in zip(equity.tolist(), w.engine.exempt.tolist()) if not x)
    fund_end = w.journal.balance(w.fund, "USD")
    paid_in = sum(r["amount_minor"] for r in w.rows("backstop"))
    used = sum(r["amount_minor"] for r in w.rows("insurance"))
    assert fund_end == fund_usd * USD1 + paid_in - used >= 0  # the table accounts for every unit of the fund
    exempt_loss = -min(0, int(equity[w.slots["long0"]])) if exempt_first else 0
    assert w.journal.balance(w.engine.clearing, "USD") == -exempt_loss  # only an exempt account's hole is left
