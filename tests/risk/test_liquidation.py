"""The waterfall, step by step with hand-computed numbers, and the privileges.

Units: tick = lot = 1, so one lot at one tick is $1; every account is a long or short of X-PERP.
Margin: IMF 5% (20x), MMF 3%, ACMF 1.5%, no size factor, no fees.
"""

from __future__ import annotations

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


def test_step3_backstop_takes_at_two_thirds_zp_plus_one_third_mark_a_slice_a_pass() -> None:
    # Changed expectation (auto-close sizes now follow FTX: (1 - MF/ACMF) of the position a pass, at the
    # bankruptcy price, so MF stays put) where the old test closed the whole position at once.
    w = World(fund_usd=100)
    a, b = w.account("a", 60), w.account("b", 1000)
    blp = w.backstop("blp", 10_000, per_minute_usd=10_000, per_hour_usd=100_000)
    w.engine.open_position(a, b, 10, 100)
    w.engine.mark_ticks = 95
    # equity 60 - 50 = $10 < ACMF $14.25: close ceil((1 - 10/14.25) x 10) = 3 lots. ZP = 95 - 10/10 = 94:
    # the account gives up 3/10 of its equity ($3); $1 to the fund, $2 discount to the provider, who
    # pays 3 x 95 - 2 = $283 (94.33 a lot: 2/3 x 94 + 1/3 x 95).
    w.liquidator.run(1)
    (row,) = w.rows("backstop")
    assert (row["qty_lots"], row["price_ticks"], row["amount_minor"], row["counterparty"]) == (3, 94, 1 * USD1, "customer:blp")
    assert w.engine.position_lots[a] == 7 and w.engine.unrealised_minor(a) + w.usd("a") == 7 * USD1
    assert (w.engine.position_lots[blp], w.engine.basis_minor[blp]) == (3, -283 * USD1)
    for k in range(2, 40):
        w.liquidator.run(k)
    rows = w.rows("backstop")
    assert sum(r["qty_lots"] for r in rows) == 10 and w.engine.position_lots[a] == 0
    assert w.usd("a") == 0 and w.engine.unrealised_minor(a) == 0  # realised once flat: all its equity gone
    assert w.journal.balance(w.fund, "USD") == 100 * USD1 + sum(r["amount_minor"] for r in rows)
    assert not w.rows("adl") and not w.rows("insurance")
    w.engine.check()
    w.journal.check()


def test_step4_and_5_the_fund_pays_the_deficit_first_then_adl_at_zp() -> None:
    # Changed expectation: the provider no longer takes a bankrupt position at the mark with the fund
    # bridging the gap; the fund pays the deficit first, and a deficit it cannot pay goes to ADL.
    w = World(fund_usd=25)
    a, b = w.account("a", 60), w.account("b", 1000)
    blp = w.backstop("blp", 10_000, per_minute_usd=10_000, per_hour_usd=100_000)
    w.engine.open_position(a, b, 10, 100)
    w.engine.mark_ticks = 90
    # A gap: equity 60 - 100 = -$40. The fund pays $25; the other $15 goes with the 10 lots to the
    # short b at ZP 91.5 (b pays $915 for what is worth $900).
    w.liquidator.run(1)
    (ins,) = w.rows("insurance")
    (adl,) = w.rows("adl")
    assert ins["amount_minor"] == 25 * USD1 and ins["fund_minor"] == 0
    assert (adl["qty_lots"], adl["price_ticks"], adl["amount_minor"], adl["counterparty"]) == (10, 91, 15 * USD1, "customer:b")
    assert w.journal.balance(w.fund, "USD") == 0
    assert w.usd("a") == 0 and w.engine.position_lots[a] == 0 and w.engine.unrealised_minor(a) == 0
    assert (w.engine.position_lots[b], w.engine.position_lots[blp]) == (0, 0)
    w.engine.settle_all(2)
    assert w.usd("b") == (1000 + 100 - 15) * USD1  # b gained $100 at 90 on 10 lots, less what ADL took
    w.engine.check()
    w.journal.check()


def test_step5_bitmex_adl_order_is_pnl_percent_times_effective_leverage() -> None:
    w = World(mode="bitmex")
    a, l2 = w.account("a", 72), w.account("l2", 1000)
    s1, s2, s3 = w.account("s1", 100), w.account("s2", 500), w.account("s3", 100)
    w.engine.open_position(a, s1, 10, 100)
    w.engine.open_position(a, s3, 2, 100)
    w.engine.open_position(l2, s3, 3, 100)
    w.engine.open_position(l2, s2, 5, 100)
    w.engine.mark_ticks = 93
    # scores at 93 (PnL% x notional/equity): s1 7% x 930/170 = 0.383, s3 7% x 465/135 = 0.241,
    # s2 7% x 465/535 = 0.061. a (12 lots, equity 72 - 84 = -$12, no fund) closes at ZP = 100 - 72/12
    # = 94: s1 takes 10 lots (paying $1 a lot above the mark), s3 the last 2.
    w.liquidator.run(1)
    rows = [(r["counterparty"], r["qty_lots"], r["price_ticks"], r["amount_minor"]) for r in w.rows("adl")]
    assert rows == [("customer:s1", 10, 94, 10 * USD1), ("customer:s3", 2, 94, 2 * USD1)]
    assert w.engine.position_lots.tolist() == [0, 8, 0, -5, -3]
    w.engine.check()
    w.journal.check()


def test_step6_debt_beyond_the_fund_is_socialized_on_profitable_accounts() -> None:
    # Changed expectation: the loss falls on accounts in profit (pro rata to their open profit), no
    # longer on every account with a positive balance (c has money but no profit: it pays nothing).
    w = World(fund_usd=3)
    a, b, d = w.account("a", 0), w.account("b", 300), w.account("d", 1000)
    w.account("c", 100)
    w.engine.open_position(b, d, 10, 100)
    w.engine.mark_ticks = 110  # b +$100 on its position, d -$100
    w.engine.owe(a, b, 7 * USD1)  # a flat account owing $7 (e.g. unpaid funding) to b
    w.liquidator.run(1)
    assert [r["amount_minor"] for r in w.rows("insurance")] == [3 * USD1]
    social = {r["counterparty"]: r["amount_minor"] for r in w.rows("socialized")}
    assert social == {"customer:b": 4 * USD1}
    assert w.engine.unrealised_minor(a) == 0 and w.usd("c") == 100 * USD1
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
    assert w.engine.position_lots[normal] == 7 and w.engine.position_lots[exempt] == 10
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
    from hollow.sessions.build import build
    from hollow.sessions.paths import reference_path
    from hollow.sessions.regime import Regime

    def house_link_ns(fast: bool) -> int:
        regime = Regime.model_validate(
            {"name": "t", "duration_s": 1, "margin": {}, "longs": {"count": 1}, "shorts": {"count": 1},
             "house_account": {"fast_order_entry": fast}, "house": {"order_entry_us": 100}, "standard_order_entry_us": 3000}
        )
        world = build(regime, 1, reference_path(regime, 1))
        assert world.journal.account(world.journal.account_id("house:exchange")).fast_order_entry is fast
        k = world.kernel
        link = k._queue.add_link(k.address_of("house"), k.address_of("exchange"))
        return k._delays[link].latency.fixed_ns

    assert house_link_ns(True) == 100_000 and house_link_ns(False) == 3_000_000
