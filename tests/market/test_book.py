"""Unit tests for the C order book: order types, reject codes, replace priority, STP, band, fill records."""

from __future__ import annotations

import pytest

from hollow.market.book import (
    MAX_VALUE,
    Book,
    Fill,
    OrderType,
    Reject,
    SelfTradePrevention,
    Side,
    fills_from_raw,
)

BUY, SELL = Side.BUY, Side.SELL
LIMIT, IOC, MARKET, POST_ONLY = OrderType.LIMIT, OrderType.IOC, OrderType.MARKET, OrderType.POST_ONLY


def snapshot(book: Book, ids: range = range(0, 64)) -> tuple:
    """Everything observable about a book, for before/after comparisons."""
    return (
        len(book),
        book.top(),
        book.depth(BUY, 1000),
        book.depth(SELL, 1000),
        book.last_trade(),
        book.volume(),
        [book.order(i) for i in ids],
    )


def ladder() -> Book:
    """Bids 1 @ 99 (5), 2 @ 98 (5); asks 3 @ 101 (5), 4 @ 102 (5); owners 1..4."""
    b = Book()
    assert b.add(1, 1, BUY, LIMIT, 99, 5) == 0
    assert b.add(2, 2, BUY, LIMIT, 98, 5) == 0
    assert b.add(3, 3, SELL, LIMIT, 101, 5) == 0
    assert b.add(4, 4, SELL, LIMIT, 102, 5) == 0
    return b


# ---- basics -------------------------------------------------------------------------------------


def test_empty_book_queries() -> None:
    b = Book()
    assert len(b) == 0
    assert b.best_bid() is None and b.best_ask() is None
    assert b.top() == (None, 0, None, 0)
    assert b.depth(BUY, 5) == [] and b.depth(SELL, 5) == []
    assert b.last_trade() is None and b.volume() == 0
    assert b.take_fills() == [] and b.take_cancels() == []
    assert b.order(1) is None


def test_enum_numbers_are_the_contract() -> None:
    assert [int(x) for x in (Side.BUY, Side.SELL)] == [0, 1]
    assert [int(x) for x in OrderType] == [0, 1, 2, 3]
    assert [int(x) for x in SelfTradePrevention] == [0, 1, 2]
    assert int(Reject.PRICE_TOO_LARGE) == 10 and int(Reject.UNKNOWN_ORDER) == 1
    assert MAX_VALUE == 2**53


def test_limit_rests_and_queries() -> None:
    b = ladder()
    assert len(b) == 4
    assert b.best_bid() == 99 and b.best_ask() == 101
    assert b.top() == (99, 5, 101, 5)
    assert b.depth(BUY, 10) == [(99, 5, 1), (98, 5, 1)]
    assert b.depth(SELL, 1) == [(101, 5, 1)]
    assert b.order(3) == (3, SELL, 101, 5)
    assert b.take_fills() == []


def test_depth_aggregates_orders_at_a_level() -> None:
    b = Book()
    for i in range(1, 4):
        assert b.add(i, 0, SELL, LIMIT, 105, i) == 0
    assert b.depth(SELL, 5) == [(105, 6, 3)]
    assert b.depth(SELL, 0) == [] and b.depth(SELL, -1) == []
    with pytest.raises(ValueError):
        b.depth(2, 5)


def test_keyword_arguments_are_accepted() -> None:
    b = Book(tick_multiple=1, band_ticks=0, stp=SelfTradePrevention.CANCEL_MAKER)
    assert b.add(order_id=1, owner=0, side=BUY, otype=LIMIT, price_ticks=10, qty_lots=2) == 0
    assert b.replace(order_id=1, price_ticks=10, qty_lots=1) == 0
    assert b.depth(side=BUY, n=1) == [(10, 1, 1)]
    assert b.cancel(order_id=1) == 0
    with pytest.raises(TypeError):
        b.add(1, 0, BUY, LIMIT, 10)
    with pytest.raises(TypeError):
        b.add(1, 0, BUY, LIMIT, 10, 1, bogus=3)
    with pytest.raises(TypeError):
        b.add(1, 0, BUY, LIMIT, 10.0, 1)  # floats never reach a price


def test_constructor_validation() -> None:
    for kwargs in ({"tick_multiple": 0}, {"band_ticks": -1}, {"stp": 3}):
        with pytest.raises(ValueError):
            Book(**kwargs)
    b = Book(5, 7, 2)
    assert (b.tick_multiple, b.band_ticks, b.stp) == (5, 7, 2)


# ---- matching and fill records -------------------------------------------------------------------


def test_crossing_limit_fills_at_maker_price_and_rests_remainder() -> None:
    b = ladder()
    assert b.add(10, 9, BUY, LIMIT, 102, 12) == 0
    assert b.take_fills() == [
        (10, 3, 9, 3, 101, 5, BUY, 0),
        (10, 4, 9, 4, 102, 5, BUY, 0),
    ]
    assert b.order(10) == (9, BUY, 102, 2)
    assert b.best_bid() == 102 and b.best_ask() is None
    assert b.last_trade() == 102 and b.volume() == 10


def test_partial_fill_reports_maker_remaining() -> None:
    b = ladder()
    assert b.add(10, 9, SELL, LIMIT, 99, 2) == 0
    assert b.take_fills() == [(10, 1, 9, 1, 99, 2, SELL, 3)]
    assert b.order(1) == (1, BUY, 99, 3)
    assert b.order(10) is None
    assert b.take_fills() == []  # taken once


def test_fill_price_is_maker_price_even_for_aggressive_taker() -> None:
    b = ladder()
    assert b.add(10, 9, SELL, LIMIT, 50, 6) == 0
    fills = fills_from_raw(b.take_fills())
    assert [f.price_ticks for f in fills] == [99, 98]
    assert fills[0] == Fill(10, 1, 9, 1, 99, 5, Side.SELL, 0)
    assert fills[1].maker_remaining_lots == 4 and fills[1].aggressor is Side.SELL


def test_time_priority_within_level() -> None:
    b = Book()
    for i in (1, 2, 3):
        assert b.add(i, i, SELL, LIMIT, 100, 2) == 0
    assert b.add(9, 9, BUY, IOC, 100, 5) == 0
    assert [(f[1], f[5]) for f in b.take_fills()] == [(1, 2), (2, 2), (3, 1)]
    assert b.order(3) == (3, SELL, 100, 1)


def test_price_priority_before_time() -> None:
    b = Book()
    assert b.add(1, 0, SELL, LIMIT, 102, 1) == 0
    assert b.add(2, 0, SELL, LIMIT, 101, 1) == 0
    assert b.add(3, 0, SELL, LIMIT, 103, 1) == 0
    assert b.add(9, 0, BUY, MARKET, 0, 3) == 0
    assert [f[1] for f in b.take_fills()] == [2, 1, 3]


def test_ioc_never_rests() -> None:
    b = ladder()
    assert b.add(10, 9, BUY, IOC, 101, 8) == 0
    assert b.take_fills() == [(10, 3, 9, 3, 101, 5, BUY, 0)]
    assert b.order(10) is None and b.best_ask() == 102 and b.best_bid() == 99
    assert b.add(11, 9, BUY, IOC, 100, 8) == 0  # does not cross: nothing happens
    assert b.take_fills() == [] and b.order(11) is None and len(b) == 3


def test_market_sweeps_and_never_rests() -> None:
    b = ladder()
    assert b.add(10, 9, BUY, MARKET, 0, 100) == 0
    assert [(f[1], f[4], f[5]) for f in b.take_fills()] == [(3, 101, 5), (4, 102, 5)]
    assert b.best_ask() is None and b.order(10) is None and len(b) == 2


def test_market_price_is_ignored() -> None:
    b = ladder()
    assert b.add(10, 9, SELL, MARKET, -5, 1) == 0  # no price validation for market orders
    assert b.take_fills() == [(10, 1, 9, 1, 99, 1, SELL, 4)]


def test_market_on_empty_side_is_accepted_and_does_nothing() -> None:
    b = Book()
    assert b.add(1, 0, BUY, LIMIT, 100, 5) == 0
    before = snapshot(b)
    assert b.add(2, 0, BUY, MARKET, 0, 5) == 0
    assert b.take_fills() == [] and snapshot(b) == before


def test_post_only_rests_when_not_crossing() -> None:
    b = ladder()
    assert b.add(10, 9, BUY, POST_ONLY, 100, 3) == 0
    assert b.order(10) == (9, BUY, 100, 3) and b.take_fills() == []


def test_fully_filled_order_id_can_be_reused() -> None:
    b = ladder()
    assert b.add(10, 9, BUY, LIMIT, 101, 5) == 0
    assert b.order(3) is None
    assert b.add(3, 9, BUY, LIMIT, 90, 1) == 0  # id 3 no longer rests
    assert b.order(3) == (9, BUY, 90, 1)


def test_len_counts_resting_orders_and_levels_disappear() -> None:
    b = ladder()
    assert b.cancel(1) == 0 and b.cancel(2) == 0
    assert len(b) == 2 and b.best_bid() is None and b.depth(BUY, 5) == []
    assert b.cancel(1) == Reject.UNKNOWN_ORDER


def test_many_levels_keep_sorted_order() -> None:
    b = Book()
    prices = [(i * 37) % 101 + 1 for i in range(300)]
    for i, p in enumerate(prices):
        assert b.add(i + 1, 0, BUY, LIMIT, p, 1) == 0
    levels = b.depth(BUY, 1000)
    assert [lv[0] for lv in levels] == sorted(set(prices), reverse=True)
    assert sum(lv[1] for lv in levels) == 300
    for i in range(0, 300, 2):
        assert b.cancel(i + 1) == 0
    assert len(b) == 150
    assert sum(lv[1] for lv in b.depth(BUY, 1000)) == 150


def test_freed_slots_are_reused_many_times() -> None:
    b = Book()
    for i in range(1, 20001):
        assert b.add(i, 0, SELL, LIMIT, 100 + i % 7, 1) == 0
        if i % 2 == 0:
            assert b.add(10**9 + i, 0, BUY, MARKET, 0, 2) == 0
    assert len(b) == 0
    assert b.volume() == 20000
    assert len(b.take_fills()) == 20000


# ---- reject codes: each one leaves the book unchanged --------------------------------------------


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ((50, 0, 2, LIMIT, 100, 1), Reject.BAD_SIDE),
        ((50, 0, -1, LIMIT, 100, 1), Reject.BAD_SIDE),
        ((50, 0, 2**80, LIMIT, 100, 1), Reject.BAD_SIDE),
        ((50, 0, BUY, 4, 100, 1), Reject.BAD_TYPE),
        ((50, 0, BUY, -1, 100, 1), Reject.BAD_TYPE),
        ((50, 0, BUY, LIMIT, 100, 0), Reject.NON_POSITIVE_QTY),
        ((50, 0, BUY, MARKET, 100, -3), Reject.NON_POSITIVE_QTY),
        ((50, 0, BUY, LIMIT, 100, -(2**70)), Reject.NON_POSITIVE_QTY),
        ((50, 0, BUY, LIMIT, 0, 1), Reject.NON_POSITIVE_PRICE),
        ((50, 0, SELL, IOC, -7, 1), Reject.NON_POSITIVE_PRICE),
        ((50, 0, BUY, LIMIT, 2**53 + 1, 1), Reject.PRICE_TOO_LARGE),
        ((50, 0, BUY, LIMIT, 2**80, 1), Reject.PRICE_TOO_LARGE),
        ((50, 0, BUY, LIMIT, 100, 2**53 + 1), Reject.PRICE_TOO_LARGE),
        ((50, 0, BUY, MARKET, 0, 2**64), Reject.PRICE_TOO_LARGE),
        ((1, 0, BUY, LIMIT, 90, 1), Reject.DUPLICATE_ORDER_ID),
        ((3, 0, BUY, MARKET, 0, 1), Reject.DUPLICATE_ORDER_ID),
        ((50, 0, BUY, POST_ONLY, 101, 1), Reject.POST_ONLY_WOULD_CROSS),
        ((50, 0, SELL, POST_ONLY, 95, 1), Reject.POST_ONLY_WOULD_CROSS),
    ],
)
def test_add_rejects_leave_book_unchanged(args: tuple, code: Reject) -> None:
    b = ladder()
    before = snapshot(b)
    assert b.add(*args) == code
    assert snapshot(b) == before
    assert b.take_fills() == [] and b.take_cancels() == []


def test_off_tick_reject() -> None:
    b = Book(tick_multiple=5)
    assert b.add(1, 0, BUY, LIMIT, 100, 1) == 0
    before = snapshot(b)
    assert b.add(2, 0, BUY, LIMIT, 101, 1) == Reject.OFF_TICK
    assert b.replace(1, 103, 1) == Reject.OFF_TICK
    assert snapshot(b) == before
    assert b.add(3, 0, SELL, MARKET, 101, 1) == 0  # market price is not checked
    assert b.take_fills() == [(3, 1, 0, 0, 100, 1, SELL, 0)]


def test_validation_order_first_failure_wins() -> None:
    b = ladder()
    assert b.add(1, 0, 5, 9, -1, 0) == Reject.BAD_SIDE
    assert b.add(1, 0, BUY, 9, -1, 0) == Reject.BAD_TYPE
    assert b.add(1, 0, BUY, LIMIT, -1, 0) == Reject.NON_POSITIVE_QTY
    assert b.add(1, 0, BUY, LIMIT, -1, 1) == Reject.NON_POSITIVE_PRICE
    assert b.add(1, 0, BUY, POST_ONLY, 101, 1) == Reject.DUPLICATE_ORDER_ID


def test_cancel_unknown_leaves_book_unchanged() -> None:
    b = ladder()
    before = snapshot(b)
    assert b.cancel(99) == Reject.UNKNOWN_ORDER
    assert snapshot(b) == before


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ((99, 100, 1), Reject.UNKNOWN_ORDER),
        ((1, 99, 0), Reject.NON_POSITIVE_QTY),
        ((1, 99, -2), Reject.NON_POSITIVE_QTY),
        ((1, 0, 3), Reject.NON_POSITIVE_PRICE),
        ((1, 2**53 + 1, 3), Reject.PRICE_TOO_LARGE),
        ((1, 99, 2**53 + 1), Reject.PRICE_TOO_LARGE),
    ],
)
def test_replace_rejects_leave_book_unchanged(args: tuple, code: Reject) -> None:
    b = ladder()
    before = snapshot(b)
    assert b.replace(*args) == code
    assert snapshot(b) == before


def test_huge_ids_are_a_type_error_not_a_reject() -> None:
    b = Book()
    with pytest.raises(OverflowError):
        b.add(2**64, 0, BUY, LIMIT, 1, 1)
    assert len(b) == 0


# ---- replace ------------------------------------------------------------------------------------


def fifo_makers(b: Book, side: Side, price: int, qty: int) -> list[int]:
    """Sweeps `qty` from the other side with an IOC at `price`; returns maker ids in fill order."""
    taker_side = SELL if side == BUY else BUY
    assert b.add(10**6, 0, taker_side, IOC, price, qty) == 0
    return [f[1] for f in b.take_fills()]


def three_at_100() -> Book:
    b = Book()
    for i in (1, 2, 3):
        assert b.add(i, 0, BUY, LIMIT, 100, 5) == 0
    return b


def test_replace_smaller_keeps_priority() -> None:
    b = three_at_100()
    assert b.replace(1, 100, 2) == 0
    assert b.order(1) == (0, BUY, 100, 2)
    assert b.depth(BUY, 1) == [(100, 12, 3)]
    assert fifo_makers(b, BUY, 100, 12) == [1, 2, 3]


def test_replace_same_size_keeps_priority() -> None:
    b = three_at_100()
    assert b.replace(1, 100, 5) == 0
    assert fifo_makers(b, BUY, 100, 15) == [1, 2, 3]


def test_replace_larger_loses_priority() -> None:
    b = three_at_100()
    assert b.replace(1, 100, 6) == 0
    assert b.depth(BUY, 1) == [(100, 16, 3)]
    assert fifo_makers(b, BUY, 100, 16) == [2, 3, 1]


def test_replace_larger_at_tail_stays_last() -> None:
    b = three_at_100()
    assert b.replace(3, 100, 9) == 0
    assert fifo_makers(b, BUY, 100, 19) == [1, 2, 3]


def test_replace_new_price_goes_to_back_of_new_level() -> None:
    b = three_at_100()
    assert b.add(4, 0, BUY, LIMIT, 99, 5) == 0
    assert b.replace(1, 99, 5) == 0
    assert b.depth(BUY, 5) == [(100, 10, 2), (99, 10, 2)]
    assert fifo_makers(b, BUY, 99, 20) == [2, 3, 4, 1]


def test_replace_back_to_old_price_loses_priority() -> None:
    b = three_at_100()
    assert b.replace(1, 99, 5) == 0
    assert b.replace(1, 100, 5) == 0
    assert fifo_makers(b, BUY, 100, 15) == [2, 3, 1]


def test_replace_that_crosses_trades_as_taker() -> None:
    b = ladder()
    assert b.replace(1, 101, 7) == 0  # bid 99x5 becomes 101x7: takes 5 @ 101, rests 2
    assert b.take_fills() == [(1, 3, 1, 3, 101, 5, BUY, 0)]
    assert b.order(1) == (1, BUY, 101, 2)
    assert b.best_bid() == 101 and b.best_ask() == 102


def test_replace_that_fully_fills_removes_the_order() -> None:
    b = ladder()
    assert b.replace(1, 102, 3) == 0
    assert b.take_fills() == [(1, 3, 1, 3, 101, 3, BUY, 2)]
    assert b.order(1) is None and len(b) == 3
    assert b.cancel(1) == Reject.UNKNOWN_ORDER


def test_post_only_replace_that_would_cross_is_rejected_unchanged() -> None:
    b = ladder()
    assert b.add(10, 9, BUY, POST_ONLY, 100, 3) == 0
    before = snapshot(b)
    assert b.replace(10, 101, 3) == Reject.POST_ONLY_WOULD_CROSS
    assert snapshot(b) == before
    assert b.replace(10, 100, 2) == 0 and b.order(10) == (9, BUY, 100, 2)


# ---- self-trade prevention ----------------------------------------------------------------------


def stp_book(mode: SelfTradePrevention) -> Book:
    """Asks: 1 (owner 7) @ 100 x 3, 2 (owner 8) @ 100 x 3, 3 (owner 7) @ 101 x 3."""
    b = Book(stp=mode)
    assert b.add(1, 7, SELL, LIMIT, 100, 3) == 0
    assert b.add(2, 8, SELL, LIMIT, 100, 3) == 0
    assert b.add(3, 7, SELL, LIMIT, 101, 3) == 0
    return b


def test_stp_cancel_taker() -> None:
    b = stp_book(SelfTradePrevention.CANCEL_TAKER)
    assert b.add(10, 7, BUY, LIMIT, 101, 5) == 0
    assert b.take_fills() == []  # the first maker is its own: the taker stops at once
    assert b.order(10) is None  # the remainder is cancelled, not rested
    assert b.take_cancels() == []  # only engine-removed resting orders are reported
    assert len(b) == 3


def test_stp_cancel_taker_after_some_fills() -> None:
    b = Book()
    assert b.add(1, 8, SELL, LIMIT, 100, 2) == 0
    assert b.add(2, 7, SELL, LIMIT, 100, 2) == 0
    assert b.add(10, 7, BUY, LIMIT, 100, 5) == 0
    assert b.take_fills() == [(10, 1, 7, 8, 100, 2, BUY, 0)]
    assert b.order(10) is None and b.order(2) == (7, SELL, 100, 2)


def test_stp_cancel_maker() -> None:
    b = stp_book(SelfTradePrevention.CANCEL_MAKER)
    assert b.add(10, 7, BUY, LIMIT, 101, 5) == 0
    assert b.take_cancels() == [(1, 7, 3), (3, 7, 3)]
    assert b.take_fills() == [(10, 2, 7, 8, 100, 3, BUY, 0)]
    assert b.order(10) == (7, BUY, 101, 2)
    assert b.order(1) is None and b.order(3) is None and len(b) == 1
    assert b.volume() == 3


def test_stp_cancel_maker_keeps_level_totals() -> None:
    b = stp_book(SelfTradePrevention.CANCEL_MAKER)
    assert b.add(10, 7, BUY, IOC, 100, 1) == 0
    assert b.take_cancels() == [(1, 7, 3)]
    assert b.take_fills() == [(10, 2, 7, 8, 100, 1, BUY, 2)]
    assert b.depth(SELL, 5) == [(100, 2, 1), (101, 3, 1)]
    assert b.top() == (None, 0, 100, 2)


def test_stp_cancel_both() -> None:
    b = stp_book(SelfTradePrevention.CANCEL_BOTH)
    assert b.add(10, 7, BUY, LIMIT, 101, 5) == 0
    assert b.take_cancels() == [(1, 7, 3)]
    assert b.take_fills() == []
    assert b.order(10) is None and b.order(2) == (8, SELL, 100, 3) and b.order(3) is not None


def test_stp_owner_zero_is_never_prevented() -> None:
    b = Book()
    assert b.add(1, 0, SELL, LIMIT, 100, 3) == 0
    assert b.add(2, 0, BUY, LIMIT, 100, 3) == 0
    assert b.take_fills() == [(2, 1, 0, 0, 100, 3, BUY, 0)]


def test_stp_on_replace_cancel_taker_reports_the_replaced_order() -> None:
    b = Book()
    assert b.add(1, 7, SELL, LIMIT, 100, 3) == 0
    assert b.add(2, 7, BUY, LIMIT, 98, 4) == 0
    assert b.replace(2, 100, 4) == 0
    assert b.take_fills() == []
    assert b.take_cancels() == [(2, 7, 4)]  # it was resting, so its removal is reported
    assert b.order(2) is None and b.order(1) == (7, SELL, 100, 3)


# ---- price band ---------------------------------------------------------------------------------


def test_band_uses_mid_before_any_trade() -> None:
    b = Book(band_ticks=5)
    assert b.add(1, 0, BUY, LIMIT, 1000, 1) == 0  # no reference yet: anything goes
    assert b.add(2, 0, SELL, LIMIT, 1010, 1) == 0  # still no reference (one side only)
    # mid = 1005: 1000..1010 allowed
    before = snapshot(b)
    assert b.add(3, 0, BUY, LIMIT, 999, 1) == Reject.OUT_OF_BAND
    assert b.add(4, 0, SELL, POST_ONLY, 1011, 1) == Reject.OUT_OF_BAND
    assert b.add(5, 0, BUY, IOC, 1011, 1) == Reject.OUT_OF_BAND
    assert snapshot(b) == before
    assert b.add(6, 0, SELL, LIMIT, 1010, 1) == 0 and b.add(7, 0, BUY, LIMIT, 1000, 1) == 0


def test_band_half_tick_mid() -> None:
    b = Book(band_ticks=2)
    assert b.add(1, 0, BUY, LIMIT, 100, 1) == 0
    assert b.add(2, 0, SELL, LIMIT, 103, 1) == 0  # mid 101.5: 99.5..103.5
    assert b.add(3, 0, BUY, LIMIT, 99, 1) == Reject.OUT_OF_BAND
    assert b.add(4, 0, SELL, LIMIT, 103, 1) == 0
    assert b.add(5, 0, SELL, LIMIT, 104, 1) == Reject.OUT_OF_BAND


def test_band_uses_last_trade_once_there_is_one() -> None:
    b = Book(band_ticks=3)
    assert b.add(1, 0, SELL, LIMIT, 100, 1) == 0
    assert b.add(2, 0, BUY, LIMIT, 100, 1) == 0
    assert b.take_fills() and b.last_trade() == 100
    assert b.add(3, 0, SELL, LIMIT, 104, 1) == Reject.OUT_OF_BAND
    assert b.add(4, 0, SELL, LIMIT, 103, 1) == 0
    assert b.add(5, 0, BUY, LIMIT, 96, 1) == Reject.OUT_OF_BAND
    assert b.replace(4, 104, 1) == Reject.OUT_OF_BAND
    assert b.order(4) == (0, SELL, 103, 1)
    assert b.replace(4, 103, 2) == 0  # same price: no band check


def test_band_limits_market_orders_from_best_at_arrival() -> None:
    b = Book(band_ticks=2)
    for i, px in enumerate((100, 101, 102, 103, 110), start=1):
        assert b.add(i, 0, SELL, LIMIT, px, 1) == 0
    assert b.add(9, 0, BUY, MARKET, 0, 10) == 0
    assert [f[4] for f in b.take_fills()] == [100, 101, 102]  # stops at 100 + 2
    assert b.order(9) is None  # remainder cancelled
    assert b.best_ask() == 103


def test_band_market_sell() -> None:
    b = Book(band_ticks=1)
    for i, px in enumerate((100, 99, 98), start=1):
        assert b.add(i, 0, BUY, LIMIT, px, 2) == 0
    assert b.add(9, 0, SELL, MARKET, 0, 10) == 0
    assert [(f[4], f[5]) for f in b.take_fills()] == [(100, 2), (99, 2)]
    assert b.best_bid() == 98


def test_no_band_market_sweeps_everything() -> None:
    b = Book()
    for i, px in enumerate((100, 200, 300), start=1):
        assert b.add(i, 0, SELL, LIMIT, px, 1) == 0
    assert b.add(9, 0, BUY, MARKET, 0, 10) == 0
    assert len(b.take_fills()) == 3 and len(b) == 0


def test_huge_band_is_unlimited() -> None:
    b = Book(band_ticks=2**62)
    assert b.band_ticks == 2**62
    assert b.add(2, 0, BUY, LIMIT, 1, 1) == 0
    assert b.add(3, 0, BUY, LIMIT, 2**53, 1) == 0
    assert b.add(1, 0, SELL, LIMIT, 2**53, 1) == 0  # trades at 2**53: the reference
    assert b.add(5, 0, BUY, LIMIT, 1, 1) == 0  # 2**53 - 1 ticks away, still inside
    assert b.add(4, 0, SELL, MARKET, 0, 5) == 0
    assert [f[4] for f in b.take_fills()] == [2**53, 1, 1]
