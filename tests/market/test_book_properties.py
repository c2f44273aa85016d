"""Property tests: the C book against a tiny, obviously correct model, message by message.

The model keeps one flat list of resting orders and sorts it on every call; matching walks that
sorted list naively. Any difference in reject codes, fills, STP cancels or resting orders fails.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hollow.market.book import (
    MAX_VALUE,
    Book,
    OrderType,
    Reject,
    SelfTradePrevention,
    Side,
)

BUY, SELL = 0, 1
LIMIT, IOC, MARKET, POST_ONLY = 0, 1, 2, 3


@dataclass
class Resting:
    id: int
    owner: int
    side: int
    price: int
    qty: int
    otype: int
    seq: int


class Model:
    """Reference semantics, written for clarity, not speed."""

    def __init__(self, tick: int, band: int, stp: int) -> None:
        self.tick, self.band, self.stp = tick, band, stp
        self.book: list[Resting] = []
        self.seq = 0
        self.last: int | None = None
        self.fills: list[tuple] = []
        self.cancels: list[tuple] = []
        self.volume = 0

    def side_sorted(self, side: int) -> list[Resting]:
        """Resting orders of one side, best price first, then arrival."""
        orders = [o for o in self.book if o.side == side]
        return sorted(orders, key=lambda o: (-o.price if side == BUY else o.price, o.seq))

    def best(self, side: int) -> int | None:
        s = self.side_sorted(side)
        return s[0].price if s else None

    def find(self, order_id: int) -> Resting | None:
        return next((o for o in self.book if o.id == order_id), None)

    def out_of_band(self, price: int) -> bool:
        if self.band <= 0:
            return False
        if self.last is not None:
            ref = self.last
        elif self.best(BUY) is not None and self.best(SELL) is not None:
            ref = (self.best(BUY) + self.best(SELL)) / 2  # exact: small ints, halves are floats
        else:
            return False
        return abs(price - ref) > self.band

    def crosses(self, side: int, price: int) -> bool:
        opp = self.best(1 - side)
        return opp is not None and (price >= opp if side == BUY else price <= opp)

    def rest(self, o: Resting) -> None:
        self.seq += 1
        o.seq = self.seq
        self.book.append(o)

    def match(self, tid: int, towner: int, side: int, limit: int | None, qty: int) -> tuple[int, bool]:
        while qty > 0:
            opp = self.side_sorted(1 - side)
            if not opp:
                break
            m = opp[0]
            if limit is not None and (m.price > limit if side == BUY else m.price < limit):
                break
            if towner != 0 and m.owner == towner:
                if self.stp == SelfTradePrevention.CANCEL_TAKER:
                    return qty, True
                self.book.remove(m)
                self.cancels.append((m.id, m.owner, m.qty))
                if self.stp == SelfTradePrevention.CANCEL_BOTH:
                    return qty, True
                continue
            q = min(qty, m.qty)
            m.qty -= q
            qty -= q
            self.volume += q
            self.last = m.price
            self.fills.append((tid, m.id, towner, m.owner, m.price, q, side, m.qty))
            if m.qty == 0:
                self.book.remove(m)
        return qty, False

    def check_price(self, price: int) -> int:
        if price <= 0:
            return Reject.NON_POSITIVE_PRICE
        if price > MAX_VALUE:
            return Reject.PRICE_TOO_LARGE
        if price % self.tick:
            return Reject.OFF_TICK
        return 0

    def check_qty(self, qty: int) -> int:
        if qty <= 0:
            return Reject.NON_POSITIVE_QTY
        if qty > MAX_VALUE:
            return Reject.PRICE_TOO_LARGE
        return 0

    def add(self, oid: int, owner: int, side: int, otype: int, price: int, qty: int) -> int:
        if side not in (BUY, SELL):
            return Reject.BAD_SIDE
        if otype not in (LIMIT, IOC, MARKET, POST_ONLY):
            return Reject.BAD_TYPE
        if r := self.check_qty(qty):
            return r
        if otype != MARKET and (r := self.check_price(price)):
            return r
        if self.find(oid) is not None:
            return Reject.DUPLICATE_ORDER_ID
        if otype != MARKET and self.out_of_band(price):
            return Reject.OUT_OF_BAND
        if otype == POST_ONLY and self.crosses(side, price):
            return Reject.POST_ONLY_WOULD_CROSS
        if otype == MARKET:
            opp = self.best(1 - side)
            limit = None
            if self.band > 0 and opp is not None:
                limit = opp + self.band if side == BUY else opp - self.band
        else:
            limit = price
        rem, cancelled = self.match(oid, owner, side, limit, qty)
        if otype in (LIMIT, POST_ONLY) and rem > 0 and not cancelled:
            self.rest(Resting(oid, owner, side, price, rem, otype, 0))
        return 0

    def cancel(self, oid: int) -> int:
        o = self.find(oid)
        if o is None:
            return Reject.UNKNOWN_ORDER
        self.book.remove(o)
        return 0

    def replace(self, oid: int, price: int, qty: int) -> int:
        o = self.find(oid)
        if o is None:
            return Reject.UNKNOWN_ORDER
        if r := self.check_qty(qty):
            return r
        if r := self.check_price(price):
            return r
        if price == o.price:
            if qty > o.qty:
                self.seq += 1
                o.seq = self.seq
            o.qty = qty
            return 0
        if self.out_of_band(price):
            return Reject.OUT_OF_BAND
        if o.otype == POST_ONLY and self.crosses(o.side, price):
            return Reject.POST_ONLY_WOULD_CROSS
        self.book.remove(o)
        rem, cancelled = self.match(oid, o.owner, o.side, price, qty)
        if rem > 0 and not cancelled:
            o.price, o.qty = price, rem
            self.rest(o)
        elif rem > 0:
            self.cancels.append((oid, o.owner, rem))
        return 0


# ---- message strategies -------------------------------------------------------------------------
# Messages are abstract: `pick` chooses among ids used so far (so cancels and replaces mostly hit live or
# recently live orders) and `fresh` says whether an add takes a new id or reuses one (DUPLICATE_ORDER_ID
# or legitimate reuse of a filled id). Invalid field values come up about one message in twenty.

@st.composite
def adds(draw: st.DrawFn) -> tuple:
    dice = draw(st.integers(0, 99))
    side = draw(st.sampled_from([BUY, SELL]))
    otype = draw(st.sampled_from([LIMIT, LIMIT, LIMIT, IOC, MARKET, POST_ONLY]))
    # buys mostly below 101 and sells mostly above 99, so the book builds up and sometimes crosses
    price = draw(st.sampled_from(range(95, 102) if side == BUY else range(99, 106)))
    qty = draw(st.sampled_from(range(1, 7) if otype != MARKET else range(1, 25)))  # markets sweep levels
    if dice < 2:
        side = draw(st.sampled_from([2, -1]))
    elif dice < 4:
        otype = draw(st.sampled_from([4, -1]))
    elif dice < 6:
        price = draw(st.sampled_from([0, -1, MAX_VALUE + 1]))
    elif dice < 8:
        qty = draw(st.sampled_from([0, -2, MAX_VALUE + 1]))
    return ("add", draw(st.integers(0, 10**6)), dice < 90, draw(st.integers(0, 3)), side, otype, price, qty)


cancels = st.tuples(st.just("cancel"), st.integers(0, 10**6))
replaces = st.tuples(
    st.just("replace"), st.integers(0, 10**6), st.sampled_from(range(94, 107)), st.sampled_from(range(-1, 8))
)
messages = st.lists(
    st.sampled_from(["add", "add", "add", "cancel", "replace"]).flatmap(
        lambda k: adds() if k == "add" else (cancels if k == "cancel" else replaces)
    ),
    min_size=10,
    max_size=120,
)
configs = st.tuples(st.sampled_from([1, 1, 2]), st.sampled_from([0, 0, 3, 6]), st.sampled_from([0, 1, 2]))


def concrete(msgs: list[tuple]) -> list[tuple]:
    """Turns abstract messages into concrete ones with real order ids."""
    out, used = [], []
    for m in msgs:
        if m[0] == "add":
            _, pick, fresh, owner, side, otype, price, qty = m
            oid = len(used) + 1 if fresh or not used else used[pick % len(used)]
            used.append(oid)
            out.append(("add", oid, owner, side, otype, price, qty))
        else:
            oid = used[-1 - m[1] % min(len(used), 8)] if used else 1  # mostly recent orders
            out.append((m[0], oid, *m[2:]))
    return out


def resting_view(model: Model) -> dict[int, tuple]:
    return {o.id: (o.owner, o.side, o.price, o.qty) for o in model.book}


def book_view(book: Book) -> dict[int, tuple]:
    found = {}
    for oid in range(1, 100):
        o = book.order(oid)
        if o is not None:
            found[oid] = o
    return found


def model_depth(model: Model, side: int) -> list[tuple[int, int, int]]:
    levels: dict[int, list[int]] = {}
    for o in model.side_sorted(side):
        levels.setdefault(o.price, []).append(o.qty)
    return [(p, sum(q), len(q)) for p, q in levels.items()]


@settings(max_examples=int(os.environ.get("HOLLOW_BOOK_EXAMPLES", "600")), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configs, messages)
def test_book_matches_model(config: tuple[int, int, int], msgs: list[tuple]) -> None:
    tick, band, stp = config
    book, model = Book(tick, band, stp), Model(tick, band, stp)
    submitted = cancelled = 0
    for msg in concrete(msgs):
        kind = msg[0]
        before = book_view(book)
        if kind == "add":
            _, oid, owner, side, otype, price, qty = msg
            got, want = book.add(oid, owner, side, otype, price, qty), model.add(oid, owner, side, otype, price, qty)
        elif kind == "cancel":
            oid = msg[1]
            got, want = book.cancel(oid), model.cancel(oid)
        else:
            _, oid, price, qty = msg
            got, want = book.replace(oid, price, qty), model.replace(oid, price, qty)
        assert got == want, msg
        fills, stp_cancels = book.take_fills(), book.take_cancels()
        assert fills == model.fills, msg
        assert stp_cancels == model.cancels, msg
        model.fills, model.cancels = [], []
        assert book_view(book) == resting_view(model), msg
        assert book.depth(BUY, 100) == model_depth(model, BUY)
        assert book.depth(SELL, 100) == model_depth(model, SELL)
        assert len(book) == len(model.book)
        assert book.volume() == model.volume and book.last_trade() == model.last

        # invariants that hold without the model
        bid, ask = book.best_bid(), book.best_ask()
        assert bid is None or ask is None or bid < ask, "book left crossed"
        if fills:
            side = fills[0][6]
            maker_prices = [f[4] for f in fills]
            assert maker_prices == sorted(maker_prices, reverse=(side == SELL)), "price priority"
            assert all(f[0] == fills[0][0] and f[6] == side for f in fills)
        if got != 0:
            assert not fills and not stp_cancels and book_view(book) == before
            continue
        # quantity conservation: every submitted lot is filled (counted on both sides), resting or cancelled
        filled_now = sum(f[5] for f in fills)
        cancelled += sum(c[2] for c in stp_cancels)
        if kind == "add":
            submitted += qty
            left = book.order(oid)
            remainder = qty - filled_now - (left[3] if left else 0)
            assert remainder >= 0
            cancelled += remainder  # IOC/market/STP-taker remainders
        elif kind == "cancel":
            cancelled += before[oid][3]
        else:
            old = before[oid][3]
            submitted += qty - old
            left = book.order(oid)
            # a replace that re-prices takes liquidity; what is neither filled nor resting was STP-cancelled
            moved = left is None or left[2] != before[oid][2]
            if moved:
                assert qty - filled_now - (left[3] if left else 0) == sum(
                    c[2] for c in stp_cancels if c[0] == oid
                )
        resting = sum(lv[1] for s in (BUY, SELL) for lv in book.depth(s, 100))
        assert submitted == 2 * book.volume() + resting + cancelled


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([BUY, SELL]), st.integers(1, 30), st.integers(1, 9)), max_size=80))
def test_time_priority_fifo_at_one_price(orders: list[tuple[int, int, int]]) -> None:
    """Makers at the same price always fill in arrival order."""
    book = Book()
    for i, (_, _, qty) in enumerate(orders, start=1):
        assert book.add(i, 0, SELL, LIMIT, 100, qty) == 0
    total = sum(q for _, _, q in orders)
    assert book.add(10**6, 0, BUY, MARKET, 0, total + 1) == 0
    makers = [f[1] for f in book.take_fills()]
    assert makers == list(range(1, len(orders) + 1))
    assert len(book) == 0 and book.volume() == total


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 10**6), st.booleans()), min_size=1, max_size=300))
def test_hash_survives_heavy_insert_delete(ops: list[tuple[int, bool]]) -> None:
    """Random ids in and out: every live id is found, every removed id is gone (backward-shift deletes)."""
    book = Book()
    live: dict[int, int] = {}
    for oid, remove in ops:
        if remove and live:
            victim = next(iter(live))
            assert book.cancel(victim) == 0
            del live[victim]
        code = book.add(oid, 0, Side.BUY, OrderType.LIMIT, 1 + oid % 50, 1)
        assert code == (Reject.DUPLICATE_ORDER_ID if oid in live else 0)
        live[oid] = 1 + oid % 50
    for oid, px in live.items():
        assert book.order(oid) == (0, BUY, px, 1)
    assert len(book) == len(live)
