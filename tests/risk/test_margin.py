"""Margin engine and funding: collateral haircut, margin fractions, pre-trade checks, exact funding."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from hollow.ledger import Custody, Journal, open_standard_accounts
from hollow.ledger.journal import AccountKind
from hollow.market.book import Reject, Side
from hollow.market.fees import FeeSchedule, FeeTier
from hollow.market.kernel import Kernel, Latency
from hollow.market.venue import InstrumentSpec
from hollow.money import Instrument
from hollow.risk.collateral import CollateralAsset, haircut_weight_ppm, micro_units
from hollow.risk.funding import PremiumTwap, allocate_funding
from hollow.risk.liquidation import Backstop, Liquidator, MarginVenue, OrderlyParams
from hollow.risk.margin import MarginEngine
from hollow.risk.rules import MarginParams, isqrt_vec

USD1 = 1_000_000  # one dollar in minor units; with tick = lot = 1, one tick-lot is one dollar
PERP = Instrument("X-PERP", "BTC", "USD", Decimal(1), Decimal(1), perpetual=True)
PARAMS = MarginParams(base_imf_ppm=50_000, imf_factor_ppm=0, base_mmf_ppm=30_000, base_acmf_ppm=15_000)
NO_FEES = FeeSchedule((FeeTier(0, 0, 0),))
EVERY_PASS = OrderlyParams(chance_ppm=1_000_000, size_jitter_ppm=0)  # orderly slices on every pass, exact sizes


class World:
    """A journal, a venue in a kernel, a margin engine and a liquidator; accounts by short name."""

    def __init__(self, params: MarginParams = PARAMS, collateral: tuple[CollateralAsset, ...] = (), fund_usd: int = 0,
                 orderly: OrderlyParams = EVERY_PASS, mode: str = "ftx", fees: FeeSchedule = NO_FEES) -> None:
        self.journal = Journal(["USD"] + [c.code for c in collateral])
        self.ids = open_standard_accounts(self.journal)
        self.custody = Custody(self.journal)
        self.kernel = Kernel(1, default_latency=Latency(1_000))
        self.venue = MarginVenue("exchange", [InstrumentSpec(PERP)], fees)
        self.kernel.add(self.venue)
        self.engine = MarginEngine(self.journal, PERP, params, collateral, mark_ticks=100)
        self.engine.attach_venue(self.venue)
        self.fund = self.ids["exchange:insurance_fund"]
        if fund_usd:
            self.custody.deposit(0, self.fund, "USD", fund_usd * USD1)
        self.slots: dict[str, int] = {}
        self.agents: dict = {}
        self.liquidator = Liquidator(self.engine, self.venue, self.fund, orderly=orderly, mode=mode)

    def account(self, name: str, usd: int, cls: str = "retail", **flags) -> int:
        from hollow.agents.holder import Holder

        lid = self.journal.open_account(f"customer:{name}", AccountKind.CUSTOMER, cls, **flags)
        if usd:
            self.custody.deposit(0, lid, "USD", usd * USD1)
        self.agents[name] = Holder(name, cls, "exchange")
        s = self.engine.add_account(self.kernel.add(self.agents[name]), lid)
        self.slots[name] = s
        return s

    def backstop(self, name: str, usd: int, per_minute_usd: int, per_hour_usd: int, cls: str = "house",
                 max_position_lots: int | None = None) -> int:
        s = self.account(name, usd, cls)
        self.liquidator.backstops.append(Backstop(s, f"customer:{name}", per_minute_usd * USD1, per_hour_usd * USD1, max_position_lots))
        return s

    def usd(self, name: str) -> int:
        return self.engine.quote_balance(self.slots[name])

    def rows(self, step: str | None = None) -> list[dict]:
        rows = self.liquidator.log.to_arrow().to_pylist()
        return [r for r in rows if step is None or r["step"] == step]


def test_isqrt_vec_is_exact_floor() -> None:
    x = np.array([0, 1, 2, 3, 4, 15, 16, 17, 10**12 - 1, 10**12, 2**52 + 7, 2**62], dtype=np.int64)
    s = isqrt_vec(x)
    assert all(int(a) * int(a) <= int(v) < (int(a) + 1) ** 2 for a, v in zip(s, x))


def test_ftt_size_haircut_matches_the_reference_figures() -> None:
    # reference 1.3 / [bs_ftt_haircut]: 0.73 for 1M FTT, 0.43 for 10M, 0.18 for 100M (table 0.95)
    def weight(tokens: int) -> int:
        return haircut_weight_ppm(950_000, 500, micro_units(tokens * 10**8, "FTT"))

    assert weight(1) == 950_000
    assert weight(1_000_000) == 733_333
    assert weight(10_000_000) == 426_168  # 1.1 / (1 + 0.0005 * 3162.27...)
    assert weight(100_000_000) == 183_333


def test_margin_fractions_grow_with_size() -> None:
    params = MarginParams(base_imf_ppm=50_000, imf_factor_ppm=2_000, base_mmf_ppm=30_000, base_acmf_ppm=15_000)
    imf = params.imf_ppm(np.array([1, 400, 10_000], dtype=np.int64) * 10**6)  # 1, 400, 10,000 BTC
    assert imf.tolist() == [50_000, 50_000, 200_000]  # max(5%, 0.002 * sqrt(size))
    assert params.scaled(imf, 30_000).tolist() == [30_000, 30_000, 120_000]


def test_leverage_limit_and_size_imf_reject_with_reason_codes() -> None:
    w = World(MarginParams(base_imf_ppm=50_000, imf_factor_ppm=20_000, base_mmf_ppm=30_000, base_acmf_ppm=15_000))
    a = w.account("a", 100)
    addr = w.engine.address[a]
    check = w.engine.pre_trade_check
    assert check(addr, 0, Side.BUY, 2, 0, 9) == Reject.OK  # $900 on $100: IMF max(5%, 2% * 3) = 6%, $54
    assert check(addr, 0, Side.BUY, 2, 0, 21) == Reject.LEVERAGE_LIMIT  # 21x > 20x
    assert check(addr, 0, Side.BUY, 2, 0, 16) == Reject.INSUFFICIENT_MARGIN  # 16x, but IMF 2% * 4 = 8%: $128 > $100
    w.engine.liquidating[a] = True
    assert check(addr, 0, Side.BUY, 2, 0, 1) == Reject.ACCOUNT_IN_LIQUIDATION


def test_order_that_fails_the_check_is_rejected_by_the_venue() -> None:
    from hollow.market.messages import NewOrder

    w = World()
    a = w.account("a", 100)
    w.venue.on_message(w.engine.address[a], NewOrder(0, 1, Side.BUY, 0, 100, 21))
    assert w.venue.rejects == 1 and len(w.venue.books[0]) == 0


def test_collateral_counts_at_haircut_weight_and_initial_weight() -> None:
    ftt = CollateralAsset("FTT", 950_000, 900_000, 500, 25 * USD1)
    w = World(collateral=(ftt,))
    a = w.account("a", 0)
    w.custody.deposit(0, int(w.engine.ledger_id[a]), "FTT", 100 * 10**8)  # 100 FTT = $2,500
    assert w.engine.collateral_value(a) == 2_375 * USD1
    assert w.engine.collateral_value(a, initial=True) == 2_250 * USD1
    assert w.engine.state().weighted_equity_minor[a] == 2_375 * USD1
    w.engine.collateral_book.set_price("FTT", 20 * USD1)  # re-marked: the cached values follow
    assert w.engine.collateral_value(a) == 1_900 * USD1


def test_fees_and_pnl_reach_the_ledger_and_clearing_tracks_perp_balances() -> None:
    w = World()
    a, b = w.account("a", 100), w.account("b", 100)
    w.engine.open_position(a, b, 10, 100)
    w.engine.mark_ticks = 103
    w.engine.settle_all(1)
    assert (w.usd("a"), w.usd("b")) == (130 * USD1, 70 * USD1)
    w.engine.check()
    w.journal.check()


@given(
    st.lists(st.integers(-10**6, 10**6), min_size=1, max_size=40),
    st.fractions(min_value=Fraction(-1, 100), max_value=Fraction(1, 100), max_denominator=10**9),
    st.integers(1, 10**7),
    st.integers(1, 10**4),
)
def test_funding_sums_to_zero_exactly(positions: list[int], rate: Fraction, index: int, mult: int) -> None:
    pos = np.array(positions + [-sum(positions)], dtype=np.int64)
    pay = allocate_funding(pos, index, mult, rate)
    assert int(pay.sum()) == 0
    owed = [-(-abs(int(p)) * abs(rate) * index * mult // 1) for p in pos]  # ceil of the exact amount
    for p, x, o in zip(pos.tolist(), pay.tolist(), owed):
        if p * rate > 0:
            assert x == -o  # a payer pays its exact share rounded up
        elif p * rate < 0:
            assert x >= 0


@given(st.lists(st.tuples(st.integers(-10**9, 10**9), st.integers(0, 3)), min_size=1, max_size=30))
def test_funding_by_class_is_exact_per_account_and_per_class_pair(rows: list[tuple[int, int]]) -> None:
    from hollow.risk.funding import funding_by_class

    amounts = [x for x, _ in rows]
    amounts.append(-sum(amounts))
    cls = np.array([c for _, c in rows] + [0], dtype=np.int64)
    out = funding_by_class(np.array(amounts, dtype=np.int64), cls, 4)
    assert out.sum(axis=1).tolist() == amounts  # each account pays or gets exactly its funding
    for x in range(4):
        for y in range(4):  # what class x paid class y is what class y got from class x
            paid = -int(out[(cls == x) & (out.sum(axis=1) < 0), y].sum())
            got = int(out[(cls == y) & (out.sum(axis=1) > 0), x].sum())
            assert paid == got


def test_funding_rate_is_twap_premium_over_index_per_24() -> None:
    twap = PremiumTwap()
    for mark in (101, 103):
        twap.sample(mark, 100)
    assert twap.take_rate(100) == Fraction(4, 2 * 100 * 24)
    assert twap.take_rate(100) == 0


def test_funding_is_posted_with_cause_funding_and_a_payer_that_cannot_pay_keeps_a_debt() -> None:
    w = World()
    a, b = w.account("a", 1), w.account("b", 100)
    w.engine.open_position(a, b, 10, 100)
    w.engine.pay(5, np.array([a, b]), np.array([-3 * USD1, 3 * USD1]), "funding")
    assert (w.usd("a"), w.usd("b")) == (0, 103 * USD1)
    assert w.engine.unrealised_minor(a) == -2 * USD1  # the unpaid part stays owed
    w.engine.check()
    assert "funding" in w.journal.causes()


def test_resting_orders_count_against_the_leverage_limit() -> None:
    from hollow.market.book import OrderType
    from hollow.market.messages import CancelOrder, NewOrder, ReplaceOrder

    w = World()
    a, b = w.account("a", 100), w.account("b", 10_000)
    addr, check = w.engine.address[a], w.engine.pre_trade_check
    w.venue.on_message(addr, NewOrder(0, 1, Side.BUY, OrderType.LIMIT, 100, 19))  # 19x, resting
    assert check(addr, 0, Side.BUY, OrderType.LIMIT, 100, 19) == Reject.LEVERAGE_LIMIT  # the old engine let ten through
    assert check(addr, 0, Side.SELL, OrderType.LIMIT, 110, 19) == Reject.OK  # the other side adds nothing
    w.venue.on_message(addr, ReplaceOrder(0, 1, 100, 15))  # the replaced order counts at its new size only
    assert w.venue.rejects == 0 and check(addr, 0, Side.BUY, OrderType.LIMIT, 100, 5) == Reject.OK
    assert check(addr, 0, Side.BUY, OrderType.LIMIT, 100, 6) == Reject.LEVERAGE_LIMIT
    w.venue.on_message(w.engine.address[b], NewOrder(0, 1, Side.SELL, OrderType.IOC, 100, 10))  # fills 10 of it at the mark
    assert w.engine.position_lots[a] == 10 and w.venue.open_orders.lots(addr, 0) == (5, 0)
    assert check(addr, 0, Side.BUY, OrderType.LIMIT, 100, 6) == Reject.LEVERAGE_LIMIT  # 10 held + 5 resting + 6
    w.venue.on_message(addr, CancelOrder(0, 1))
    assert w.venue.open_orders.lots(addr, 0) == (0, 0) and check(addr, 0, Side.BUY, OrderType.LIMIT, 100, 10) == Reject.OK


def test_positions_are_kept_per_instrument_and_margined_across_them() -> None:
    from hollow.ledger import Custody

    y_perp = Instrument("Y-PERP", "ETH", "USD", Decimal(1), Decimal(1), perpetual=True)
    journal = Journal(["USD"])
    open_standard_accounts(journal)
    custody = Custody(journal)
    kernel = Kernel(1, default_latency=Latency(1_000))
    venue = MarginVenue("exchange", [InstrumentSpec(PERP), InstrumentSpec(y_perp)], NO_FEES)
    kernel.add(venue)
    engine = MarginEngine(journal, PERP, PARAMS, mark_ticks=100)
    engine.add_instrument(y_perp, PARAMS, 50)
    engine.attach_venue(venue)
    lids = [journal.open_account(f"customer:{n}", AccountKind.CUSTOMER, "retail") for n in ("a", "b")]
    for lid in lids:
        custody.deposit(0, lid, "USD", (100 if lid == lids[0] else 10_000) * USD1)
    from hollow.agents.holder import Holder

    a, b = (engine.add_account(kernel.add(Holder(n, "retail", "exchange")), lid) for n, lid in zip("ab", lids))
    engine.open_position(a, b, 10, 100, instrument=0)  # long 10 X
    engine.open_position(b, a, 10, 50, instrument=1)  # short 10 Y
    st = engine.state()
    assert (st.notional_minor[a], st.mmf_minor[a]) == (1500 * USD1, 45 * USD1)  # a hedge does not offset
    addr = engine.address[a]
    assert engine.pre_trade_check(addr, 0, Side.BUY, 2, 0, 5) == Reject.OK  # IMF 5% x (1500 + 500) = $100
    assert engine.pre_trade_check(addr, 0, Side.BUY, 2, 0, 6) == Reject.LEVERAGE_LIMIT
    assert engine.pre_trade_check(addr, 1, Side.BUY, 2, 0, 20) == Reject.OK  # buying Y back reduces it
    engine.marks[:] = [110, 60]  # +$100 on X, -$100 on Y: one cross-margined equity
    assert engine.state().equity_minor[a] == 100 * USD1
    engine.settle_all(1)
    assert journal.balance(lids[0], "USD") == 100 * USD1
    engine.check()
    journal.check()


def test_a_credit_limit_is_a_usd_value_across_every_asset_borrowed() -> None:
    ftt = CollateralAsset("FTT", 950_000, 950_000, 0, 10 * USD1)
    w = World(collateral=(ftt,))
    a = w.account("a", 0, allow_negative_balance=True, credit_limit_minor=1_000 * USD1)
    b = w.account("b", 10_000)
    lid = int(w.engine.ledger_id[a])
    w.journal.post(0, lid, int(w.engine.ledger_id[b]), "FTT", 5 * 10**8, "transfer", "retail")  # a borrows 5 FTT ($50)
    w.engine.open_position(a, b, 20, 100)
    w.engine.mark_ticks = 1  # a owes $1980
    paid = w.engine.settle_all(1)
    assert paid[a] == -950 * USD1  # $1000 of credit less the $50 of FTT already borrowed
    assert w.engine.unrealised_minor(a) == -1030 * USD1  # the rest stays owed
    w.engine.check()
    w.journal.check()


def test_entry_is_kept_across_settlements_and_adl_ranks_on_it() -> None:
    from hollow.risk import adl

    w = World()
    s2, s1, long_ = w.account("s2", 100), w.account("s1", 100), w.account("long", 10_000)
    w.engine.open_position(long_, s1, 10, 100)
    w.engine.open_position(long_, s2, 10, 96)
    w.engine.mark_ticks = 95
    w.engine.settle_all(1)  # the old engine's "entry" was the perp balance, reset here
    assert w.engine.entries()[s1, 0] == -1000 * USD1 and w.engine.entries()[s2, 0] == -960 * USD1
    # PnL% x leverage: s1 5% x 950/150 = 0.32 ahead of s2 1.04% x 950/110 = 0.09
    assert adl.opposing(w.engine, 0, 1, "bitmex") == [s1, s2]
    w.engine.mark_ticks = 98
    w.engine.open_position(s1, long_, 5, 98)  # s1 buys back half: its average entry is unchanged
    assert w.engine.entries()[s1, 0] == -500 * USD1
