"""Venue: order entry through the kernel, fees with tiers and rebates, reports to each side, market data."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hollow.market.book import OrderType, Reject, Side
from hollow.market.fees import FeeSchedule, FeeTier
from hollow.market.kernel import Context, Kernel, Latency
from hollow.market.messages import (
    CancelOrder,
    Execution,
    NewOrder,
    OrderClosed,
    OrderRejected,
    QuoteRequest,
    ReplaceOrder,
    Subscribe,
    TopOfBook,
    TradeReport,
)
from hollow.market.venue import InstrumentSpec, Venue
from hollow.money import Instrument, fee_minor

BTC = Instrument("BTC-PERP", "BTC", "USD", Decimal("0.5"), Decimal("0.0001"), perpetual=True)  # 50 minor per tick-lot
FEES = FeeSchedule((FeeTier(0, 200, 700), FeeTier(10**12, -25, 400)))


class Client:
    def __init__(self, name: str) -> None:
        self.name = name
        self.inbox: list[tuple[int, object]] = []

    def attach(self, ctx: Context) -> None:
        self.ctx = ctx

    def on_message(self, sender: int, message: object) -> None:
        self.inbox.append((self.ctx.now_ns, message))

    def of(self, kind: type) -> list:
        return [m for _, m in self.inbox if type(m) is kind]


def market(conflation_ns: int = 0, latencies: tuple[int, ...] = (1_000, 1_000, 1_000)):
    kernel = Kernel(seed=1)
    venue = Venue("exchange", [InstrumentSpec(BTC)], FEES, conflation_ns=conflation_ns)
    v = kernel.add(venue)
    clients = []
    for i, latency in enumerate(latencies):
        c = Client(f"c{i}")
        a = kernel.add(c)
        kernel.connect(a, v, Latency(fixed_ns=1_000), Latency(fixed_ns=latency))
        clients.append((a, c))
    return kernel, venue, v, clients


def test_fill_reports_both_sides_with_tier_fees_and_rebates() -> None:
    kernel, venue, v, [(a, maker), (b, taker), _] = market()
    venue.set_trailing_volume(a, 10**12)  # top tier: 2.5 bp maker rebate
    kernel.send(a, v, NewOrder(0, 1, Side.SELL, OrderType.LIMIT, 20_000, 30))
    kernel.send(b, v, NewOrder(0, 7, Side.BUY, OrderType.IOC, 20_001, 50))
    kernel.run()
    notional = 20_000 * 30 * 50
    [m] = maker.of(Execution)
    [t] = taker.of(Execution)
    assert (m.side, m.price_ticks, m.qty_lots, m.is_maker, m.leaves_lots) == (Side.SELL, 20_000, 30, True, 0)
    assert m.fee_minor == fee_minor(notional, -25) == -(notional * 25 // 1_000_000)
    assert (t.order_id, t.side, t.fee_minor, t.is_maker, t.leaves_lots) == (7, Side.BUY, -(-notional * 700 // 1_000_000), False, 20)
    assert taker.of(OrderClosed) == [OrderClosed(0, 7, 20)]  # the IOC remainder is closed, and said so
    assert venue.fees_collected_minor == m.fee_minor + t.fee_minor > 0
    log = venue.fills.to_numpy()
    assert log["maker"].tolist() == [a] and log["taker"].tolist() == [b] and log["notional_minor"].tolist() == [notional]


def test_rejects_come_back_with_a_reason_and_other_agents_orders_are_out_of_reach() -> None:
    kernel, venue, v, [(a, alice), (b, bob), _] = market()
    kernel.send(a, v, NewOrder(0, 1, Side.BUY, OrderType.LIMIT, 19_000, 0))
    kernel.send(a, v, NewOrder(0, 2, Side.BUY, OrderType.LIMIT, 19_000, 5))
    kernel.send(b, v, CancelOrder(0, 2))  # bob cannot cancel alice's order 2
    kernel.send(a, v, NewOrder(9, 3, Side.BUY, OrderType.LIMIT, 19_000, 5))  # no instrument 9
    kernel.run()
    assert alice.of(OrderRejected) == [OrderRejected(0, 1, Reject.NON_POSITIVE_QTY), OrderRejected(9, 3, Reject.UNKNOWN_ORDER)]
    assert bob.of(OrderRejected) == [OrderRejected(0, 2, Reject.UNKNOWN_ORDER)]
    assert venue.books[0].best_bid() == 19_000 and venue.rejects == 3


def test_market_data_reaches_each_subscriber_after_its_own_latency() -> None:
    kernel, venue, v, [(a, fast), (b, slow), (c, trader)] = market(latencies=(100, 9_000, 1_000))
    kernel.send(a, v, Subscribe(0, book=True, trades=True))
    kernel.send(b, v, Subscribe(0, book=True, trades=True))
    kernel.run()
    kernel.send(c, v, NewOrder(0, 1, Side.SELL, OrderType.LIMIT, 20_000, 3))
    kernel.run()
    sent = kernel.now_ns
    fast_top = [(t, m) for t, m in fast.inbox if type(m) is TopOfBook][-1]
    slow_top = [(t, m) for t, m in slow.inbox if type(m) is TopOfBook][-1]
    assert fast_top[1].ask_ticks == slow_top[1].ask_ticks == 20_000
    assert slow_top[0] - fast_top[0] == 9_000 - 100
    kernel.send(c, v, NewOrder(0, 2, Side.BUY, OrderType.MARKET, 0, 2))  # its own ask: self-trade prevented
    kernel.send(b, v, NewOrder(0, 1, Side.BUY, OrderType.MARKET, 0, 2))
    kernel.run()
    assert trader.of(OrderClosed) == [OrderClosed(0, 2, 2)]
    assert [r[1:4] for r in fast.of(TradeReport)] == [(20_000, 2, Side.BUY)] and kernel.now_ns > sent


def test_conflation_sends_one_update_for_a_burst_of_changes() -> None:
    kernel, venue, v, [(a, watcher), (b, quoter), _] = market(conflation_ns=1_000_000)
    kernel.send(a, v, Subscribe(0))
    kernel.run()
    for i in range(10):
        kernel.send(b, v, NewOrder(0, i + 1, Side.BUY, OrderType.LIMIT, 19_000 + i, 1))
    kernel.run()
    tops = watcher.of(TopOfBook)
    assert len(tops) == 2  # the snapshot on subscribing, then one conflated update
    assert tops[-1].bid_ticks == 19_009


def test_quote_request_answers_one_snapshot() -> None:
    kernel, venue, v, [(a, retail), (b, quoter), _] = market()
    kernel.send(b, v, NewOrder(0, 1, Side.BUY, OrderType.LIMIT, 19_990, 4))
    kernel.run()
    kernel.send(a, v, QuoteRequest(0))
    kernel.run()
    assert retail.of(TopOfBook)[0][1:5] == (19_990, 4, None, 0)


def test_fee_schedule_refuses_rebates_the_takers_cannot_pay() -> None:
    with pytest.raises(ValueError):
        FeeSchedule((FeeTier(0, -800, 700),))
    with pytest.raises(ValueError):
        FeeSchedule((FeeTier(5, 0, 700),))
    assert FEES.tier_for(10**12 - 1).taker_ppm == 700 and FEES.tier_for(10**12).maker_ppm == -25


def test_several_instruments_have_independent_books() -> None:
    eth = Instrument("ETH-PERP", "ETH", "USD", Decimal("0.1"), Decimal("0.001"), perpetual=True)
    kernel = Kernel(seed=1)
    venue = Venue("exchange", [InstrumentSpec(BTC), InstrumentSpec(eth)], FEES)
    v = kernel.add(venue)
    a, b = Client("a"), Client("b")
    ia, ib = kernel.add(a), kernel.add(b)
    for i in (ia, ib):
        kernel.connect(i, v, Latency(fixed_ns=1_000))
    kernel.send(ia, v, NewOrder(1, 1, Side.SELL, OrderType.LIMIT, 30_000, 5))
    kernel.send(ib, v, NewOrder(0, 1, Side.BUY, OrderType.IOC, 30_000, 5))  # BTC book is empty: nothing
    kernel.send(ib, v, NewOrder(1, 2, Side.BUY, OrderType.IOC, 30_000, 5))
    kernel.run()
    [fill] = b.of(Execution)
    assert (fill.instrument, fill.qty_lots) == (1, 5)
    assert venue.fills.to_numpy()["notional_minor"].tolist() == [30_000 * 5 * eth.minor_per_tick_lot]


def test_a_replace_keeps_the_resting_orders_side_and_type() -> None:
    """ReplaceOrder has no side or type field, so it cannot ask for a different one: a replaced sell
    still sells, a replaced post-only still refuses to cross, the pre-trade check sees the resting side."""
    assert ReplaceOrder._fields == ("instrument", "order_id", "price_ticks", "qty_lots")  # a new field needs a mismatch check
    kernel, venue, v, [(a, alice), (b, bob), _] = market()
    checked: list[tuple[int, int, int]] = []
    venue.pre_trade_check = lambda agent, instrument, side, otype, price, qty: checked.append((agent, side, otype)) or 0
    kernel.send(a, v, NewOrder(0, 1, Side.BUY, OrderType.LIMIT, 19_990, 10))
    kernel.send(b, v, NewOrder(0, 1, Side.SELL, OrderType.POST_ONLY, 20_010, 4))
    kernel.send(b, v, NewOrder(0, 2, Side.SELL, OrderType.LIMIT, 20_020, 3))
    kernel.run()
    kernel.send(b, v, ReplaceOrder(0, 1, 19_990, 4))  # a post-only sell moved onto the bid: refused
    kernel.send(b, v, ReplaceOrder(0, 2, 19_990, 3))  # a limit sell moved onto the bid: it sells
    kernel.run()
    assert bob.of(OrderRejected) == [OrderRejected(0, 1, Reject.POST_ONLY_WOULD_CROSS)]
    assert venue.books[0].order((b << 40) | 1)[1:] == (Side.SELL, 20_010, 4)
    [fill] = bob.of(Execution)
    assert (fill.order_id, fill.side, fill.price_ticks, fill.qty_lots, fill.is_maker) == (2, Side.SELL, 19_990, 3, False)
    assert checked[-2:] == [(b, Side.SELL, OrderType.LIMIT), (b, Side.SELL, OrderType.LIMIT)]
