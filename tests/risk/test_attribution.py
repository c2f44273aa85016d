"""Who paid whom: every clearing posting names the real other side, and each class pair's receipts
and payments agree once everything is settled (read straight from `journal.postings()`)."""

from __future__ import annotations

from collections import defaultdict
from fractions import Fraction

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from hollow.market.book import OrderType, Side
from hollow.market.fees import FeeSchedule, FeeTier
from hollow.market.messages import NewOrder
from hollow.risk.attribution import Attribution, apportion
from hollow.risk.funding import allocate_funding
from tests.risk.test_margin import USD1, World

CLASSES = ("retail", "retail", "arbitrageur", "arbitrageur", "house")
FEES = FeeSchedule((FeeTier(0, -100, 500),))  # a maker rebate and a taker fee: the exchange class takes part


def flows(w: World) -> tuple[dict, dict]:
    """(received, paid) by (from class, to class) for postings through the clearing account."""
    j, clearing = w.journal, w.engine.clearing
    p = j.postings()
    cls = [a.cls for a in j.accounts()]
    names = j.classes()
    received: dict[tuple[str, str], int] = defaultdict(int)
    paid: dict[tuple[str, str], int] = defaultdict(int)
    for f, t, c, amount in zip(p["from_account"].tolist(), p["to_account"].tolist(), p["counterparty_class"].tolist(),
                               p["amount_minor"].tolist()):
        if f == clearing:
            received[(names[c], cls[t])] += amount
        elif t == clearing:
            paid[(cls[f], names[c])] += amount
    return dict(received), dict(paid)


def test_a_netting_account_passes_a_class_own_money_on_as_its_own() -> None:
    # classes: 0 exchange, 1 (A), 2 (B). a1 bought from b at 100 and a2 sold to b at 100: b is flat
    # against A, so what a2 pays a1 is A's own money passing through b's netting.
    book = Attribution()
    rows, labels, signed = book.label(np.array([[0, 0, 10], [0, 0, -10], [0, 0, 0]]), np.array([1, 1, 2]))
    assert sorted(zip(rows.tolist(), labels.tolist(), signed.tolist())) == [(0, 1, 10), (1, 1, -10)]
    assert book.unsettled() == {}


def test_an_early_receipt_is_matched_by_a_pass_through_when_the_payer_nets_it() -> None:
    # B received 7 from A that A could not pay (the clearing fronted it); now A nets those 7 against a
    # gain of 20 from B: A receives 20 and pays the 7, so each class pair agrees from both ends.
    book = Attribution()
    book.owed = {(1, 2): -7}
    rows, labels, signed = book.label(np.array([[0, 0, 13], [0, -20, 0]]), np.array([1, 2]))
    assert sorted(zip(rows.tolist(), labels.tolist(), signed.tolist())) == [(0, 2, -7), (0, 2, 20), (1, 1, -20)]
    assert book.unsettled() == {}


@given(st.lists(st.integers(0, 10**6), min_size=1, max_size=6), st.lists(st.integers(0, 10**6), min_size=1, max_size=6))
def test_apportion_keeps_both_margins_and_every_cell_within_a_unit_of_pro_rata(rows: list[int], cols: list[int]) -> None:
    gap = sum(rows) - sum(cols)
    cols = cols + [gap] if gap > 0 else cols
    rows = rows + [-gap] if gap < 0 else rows
    m = apportion(rows, cols)
    total = sum(rows)
    assert [sum(r) for r in m] == rows and [sum(c) for c in zip(*m)] == cols
    for r, row in zip(rows, m):
        for c, x in zip(cols, row):
            assert r * c // total <= x <= r * c // total + 1 if total else x == 0


OP = st.one_of(
    st.tuples(st.just("trade"), st.integers(0, 4), st.integers(0, 4), st.sampled_from([Side.BUY, Side.SELL]),
              st.integers(-5, 5), st.integers(1, 20)),
    st.tuples(st.just("mark"), st.integers(85, 115)),
    st.tuples(st.just("funding"), st.integers(-2_000, 2_000)),
    st.tuples(st.just("settle")),
    st.tuples(st.just("settle_some"), st.lists(st.integers(0, 4), min_size=1, max_size=3, unique=True)),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(OP, max_size=30))
def test_every_class_pair_receives_what_the_other_class_paid_and_totals_are_unchanged(ops: list[tuple]) -> None:
    w = World(fees=FEES)
    slots = [w.account(f"a{k}", 1_000_000, cls) for k, cls in enumerate(CLASSES)]
    e = w.engine
    model = [0] * len(slots)  # each account's cash from trades, fees and funding, by an independent count
    order_id = 0
    for ts, op in enumerate(ops, start=1):
        if op[0] == "trade":
            _, k, j, side, offset, qty = op
            if k == j:
                continue
            price = e.mark_ticks + offset
            order_id += 1
            w.venue.on_message(e.address[slots[k]], NewOrder(0, order_id, side, OrderType.LIMIT, price, qty))
            w.venue.on_message(e.address[slots[j]], NewOrder(0, order_id, 1 - side, OrderType.IOC, price, qty))
            f = w.venue.fills.columns
            sign = 1 if side == Side.SELL else -1  # the maker sells: it receives the cash
            model[k] += sign * price * qty * e.mult - f["maker_fee_minor"][-1]
            model[j] -= sign * price * qty * e.mult + f["taker_fee_minor"][-1]
        elif op[0] == "mark":
            e.mark_ticks = op[1]
        elif op[0] == "funding":
            amounts = allocate_funding(e.position_lots.copy(), e.mark_ticks, e.mult, Fraction(op[1], 10**6))
            pick = np.flatnonzero(amounts)
            if pick.size:
                e.pay(ts, pick, amounts[pick], "funding")
            for k, x in enumerate(amounts.tolist()):
                model[k] += x
        elif op[0] == "settle":
            e.settle_all(ts)
        else:
            rows = np.asarray([slots[k] for k in op[1]])
            e.settlement.settle(ts, rows, ["realised_pnl"] * rows.size)
        e.flush_fees(ts)
        e.check()
    e.settle_all(len(ops) + 1)
    e.check()
    w.journal.check()
    received, paid = flows(w)
    keys = set(received) | set(paid)
    assert {k: received.get(k, 0) for k in keys} == {k: paid.get(k, 0) for k in keys}
    for k, (s, cash) in enumerate(zip(slots, model)):
        assert w.usd(f"a{k}") == 1_000_000 * USD1 + cash + int(e.position_lots[s]) * e.mark_ticks * e.mult
