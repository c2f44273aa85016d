"""The waterfall's documented order and prices, one defect of the old engine per test.

Units as in test_liquidation: tick = lot = 1 ($1 a lot at one tick), IMF 5%, MMF 3%, ACMF 1.5%.
"""

from __future__ import annotations

from hollow.market.book import OrderType, Side
from hollow.market.messages import NewOrder
from hollow.money import PPM
from hollow.risk.collateral import CollateralAsset
from hollow.risk.liquidation import OrderlyParams
from tests.risk.test_margin import USD1, World

AT_ONCE = OrderlyParams(chance_ppm=PPM, size_jitter_ppm=0, min_order_minor=10**15)  # auto-close all in one pass
FTT = CollateralAsset("FTT", 950_000, 950_000, 0, 10 * USD1)  # $10 a token, no size haircut


def test_the_fund_pays_a_deficit_before_anyone_is_deleveraged() -> None:
    w = World(fund_usd=100)
    a, b = w.account("a", 60), w.account("b", 1000)
    w.engine.open_position(a, b, 10, 100)
    w.engine.mark_ticks = 90  # equity -$40, no backstop
    w.liquidator.run(1)
    (ins,) = w.rows("insurance")
    assert ins["amount_minor"] == 40 * USD1 and w.journal.balance(w.fund, "USD") == 60 * USD1
    (adl,) = w.rows("adl")
    assert (adl["qty_lots"], adl["price_ticks"], adl["amount_minor"]) == (10, 90, 0)  # at the mark: b absorbs nothing
    w.engine.settle_all(2)
    assert w.usd("b") == 1100 * USD1
    w.engine.check()
    w.journal.check()


def test_ftx_fallback_closes_at_two_thirds_zp_and_a_third_of_the_equity_goes_to_the_fund() -> None:
    w = World(fund_usd=0, orderly=AT_ONCE)
    a = w.account("a", 195)
    shorts = [w.account(f"s{k}", 1000) for k in range(12)]
    for k, s in enumerate(shorts):  # sizes 12, 11, ..., 1 lots: 78 in all
        w.engine.open_position(a, s, 12 - k, 100)
    w.engine.mark_ticks = 98  # a: equity 195 - 156 = $39 < ACMF 1.5% x 7644 = $114.66
    w.liquidator.run(1)
    rows = w.rows("adl")
    taken = {r["counterparty"]: r["qty_lots"] for r in rows}
    # the ten largest hold 75 lots: all of them, then the next two for the last 3
    assert taken == {f"customer:s{k}": 12 - k for k in range(12)}
    # ZP = 98 - 39/78 = 97.5; each counterparty pays 2/3 ZP + 1/3 mark: a third of the $39 to the fund
    fund = w.journal.balance(w.fund, "USD")
    assert 13 * USD1 - len(rows) < fund <= 13 * USD1
    assert fund - sum(r["amount_minor"] for r in rows) == 39 * USD1  # the rest was the counterparties' discount
    assert all(97 <= r["price_ticks"] <= 98 for r in rows)
    assert w.usd("a") == 0 and w.engine.position_lots[a] == 0
    w.engine.check()
    w.journal.check()


def test_ftx_fallback_shares_pro_rata_within_the_ten_largest_when_they_suffice() -> None:
    w = World(fund_usd=0, orderly=AT_ONCE)
    a, rich = w.account("a", 80), w.account("rich", 100_000)
    big = [w.account(f"b{k}", 5000) for k in range(10)]
    small = w.account("small", 5000)
    w.engine.open_position(a, big[0], 20, 100)
    w.engine.open_position(a, big[1], 19, 100)
    w.engine.open_position(rich, big[1], 1, 100)
    for s in big[2:]:
        w.engine.open_position(rich, s, 20, 100)
    w.engine.open_position(rich, small, 1, 100)
    w.engine.mark_ticks = 99  # a: 39 lots, equity 80 - 39 = $41 < ACMF $57.92
    w.liquidator.run(1)
    taken = {r["counterparty"]: r["qty_lots"] for r in w.rows("adl")}
    assert "customer:small" not in taken and len(taken) == 10  # the ten largest, 20 lots each
    assert sum(taken.values()) == 39 and set(taken.values()) <= {3, 4}  # 39 x 20/200 = 3.9 each
    w.engine.check()


def test_bitmex_fallback_closes_at_the_mark_and_the_equity_goes_to_the_fund() -> None:
    w = World(fund_usd=0, orderly=AT_ONCE, mode="bitmex")
    a, b = w.account("a", 60), w.account("b", 1000)
    w.engine.open_position(a, b, 10, 100)
    w.engine.mark_ticks = 95  # equity $10 < ACMF $14.25
    w.liquidator.run(1)
    (adl,) = w.rows("adl")
    assert (adl["price_ticks"], adl["amount_minor"]) == (95, 0)
    assert w.journal.balance(w.fund, "USD") == 10 * USD1


def test_collateral_is_sold_to_the_fund_at_its_haircut_price_before_the_fund_pays() -> None:
    w = World(collateral=(FTT,), fund_usd=1000)
    a, b = w.account("a", 60), w.account("b", 1000)
    w.custody.deposit(0, int(w.engine.ledger_id[a]), "FTT", 2 * 10**8)  # 2 FTT, counted at $9.50 each
    w.engine.open_position(a, b, 10, 100)
    w.engine.mark_ticks = 93  # quote equity 60 - 70 = -$10; with FTT $9 > 0 but below ACMF
    w.liquidator.run(1)
    (sale,) = w.rows("collateral")
    # ceil(10 / 9.5) tokens' worth: 1.05263158 FTT raise $10.000000 at $9.50
    assert sale["counterparty"] == "exchange:insurance_fund" and sale["amount_minor"] >= 10 * USD1
    assert w.journal.balance(w.fund, "FTT") == sale["qty_lots"] and not w.rows("insurance")
    assert w.journal.balance(int(w.engine.ledger_id[a]), "FTT") == 2 * 10**8 - sale["qty_lots"]
    w.engine.check()
    w.journal.check()


def test_collateral_nobody_can_buy_is_seized_into_the_fund() -> None:
    w = World(collateral=(FTT,), fund_usd=0)
    a, b = w.account("a", 60), w.account("b", 1000)
    w.custody.deposit(0, int(w.engine.ledger_id[a]), "FTT", 10**8)
    w.engine.open_position(a, b, 10, 100)
    w.engine.mark_ticks = 90  # quote equity -$40, FTT worth $9.50: deeply bankrupt
    w.liquidator.run(1)
    assert [r["step"] for r in w.rows() if r["step"] != "cancel"][:2] == ["seized", "adl"]
    assert w.journal.balance(w.fund, "FTT") == 10**8 and w.journal.balance(int(w.engine.ledger_id[a]), "FTT") == 0
    w.engine.check()
    w.journal.check()


def test_backstop_minimums_are_not_its_cap_but_its_own_limit_is() -> None:
    w = World(fund_usd=0, orderly=AT_ONCE)
    a, b = w.account("a", 60), w.account("b", 1000)
    blp = w.backstop("blp", 100_000, per_minute_usd=100, per_hour_usd=300)  # commits to $100 a minute
    w.engine.open_position(a, b, 10, 100)
    w.engine.mark_ticks = 95
    w.liquidator.run(1)
    assert w.engine.position_lots[blp] == 10  # $950 in one minute: its margin allows it
    w2 = World(fund_usd=0, orderly=AT_ONCE)
    a2, b2 = w2.account("a", 60), w2.account("b", 1000)
    blp2 = w2.backstop("blp", 100_000, per_minute_usd=100, per_hour_usd=300, max_position_lots=4)
    w2.engine.open_position(a2, b2, 10, 100)
    w2.engine.mark_ticks = 95
    w2.liquidator.run(1)
    assert w2.engine.position_lots[blp2] == 4 and w2.engine.position_lots[b2] == -4  # the other 6 to ADL


def test_auto_close_takes_one_minus_mf_over_acmf_and_at_least_the_minimum_order() -> None:
    w = World(orderly=OrderlyParams(chance_ppm=PPM, size_jitter_ppm=0, min_order_minor=300 * USD1))
    a, b = w.account("a", 600), w.account("b", 10_000)
    w.backstop("blp", 100_000, per_minute_usd=100_000, per_hour_usd=1_000_000)
    w.engine.open_position(a, b, 100, 100)
    w.engine.mark_ticks = 95  # equity $100 < ACMF $142.50: 1 - 100/142.5 = 29.8% -> 30 lots, above $300 (4 lots)
    w.liquidator.run(1)
    assert sum(r["qty_lots"] for r in w.rows("backstop")) == 30
    w.engine.mark_ticks = 94  # equity 70 - 70 = 0: MF 0 -> 1 - 0 = all the rest
    w.liquidator.run(2)
    assert w.engine.position_lots[a] == 0


def test_orderly_slices_come_on_about_one_pass_in_six() -> None:
    w = World(orderly=OrderlyParams())  # FTX's documented cadence and jitter
    a, b, m = w.account("a", 4500), w.account("b", 10_000), w.account("maker", 10**6)
    w.engine.open_position(a, b, 1000, 100)
    w.engine.mark_ticks = 97  # equity $1500 between ACMF $1455 and MMF $2910: orderly
    for k in range(60):
        w.venue.on_message(w.engine.address[m], NewOrder(0, k + 1, Side.BUY, OrderType.LIMIT, 97, 5))
        w.liquidator.run(k + 1)
    slices = w.rows("market")
    assert 3 <= len(slices) <= 25  # the old engine sent one every pass
    assert w.engine.liquidating[a] and sum(r["qty_lots"] for r in slices) == 1000 - w.engine.position_lots[a]
