"""Worked balance-sheet examples with hand-computed numbers (all sheet figures in USD minor units)."""

from __future__ import annotations

from fractions import Fraction

import hypothesis.strategies as st
import pytest
from hypothesis import given, settings

from hollow.errors import LedgerError
from hollow.ledger import (
    BalanceSheet,
    Custody,
    Journal,
    WithdrawalReason,
    open_standard_accounts,
)

USD = 10**6  # USD minor units per dollar
BTC = 10**8  # BTC minor units (satoshi) per bitcoin
FTT = 10**8
PRICES = {"BTC": 20_000 * USD, "FTT": 25 * USD}


def venue(house_negative: bool = False) -> tuple[Journal, Custody, dict[str, int]]:
    j = Journal(("USD", "BTC", "FTT"))
    ids = open_standard_accounts(j, house_allow_negative_balance=house_negative)
    for name, cls in (("alice", "retail"), ("bob", "trading_firm")):
        ids[name] = j.open_account(f"customer:{name}", "customer", cls)
    ids["carol"] = j.open_account(
        "customer:carol", "customer", "retail", allow_negative_balance=True, credit_limit_minor=10_000 * USD
    )
    return j, Custody(j), ids


def test_fully_reserved_exchange_has_no_hole() -> None:
    j, c, ids = venue()
    c.deposit(0, ids["alice"], "USD", 1_000 * USD)
    c.deposit(0, ids["alice"], "BTC", BTC // 2)
    c.deposit(0, ids["bob"], "BTC", 2 * BTC)
    s = BalanceSheet.at(j, PRICES)
    # custody: 1,000 USD + 2.5 BTC * 20,000 = 51,000 USD
    assert s.custody_units == {"USD": 1_000 * USD, "BTC": 5 * BTC // 2, "FTT": 0}
    assert s.custody_by_asset == {"USD": 1_000 * USD, "BTC": 50_000 * USD, "FTT": 0}
    assert s.custody_assets == 51_000 * USD
    assert s.customer_liabilities == 51_000 * USD
    assert s.hole == 0 and s.hole_liquid == 0 and s.exchange_equity == 0
    assert s.liquid_coverage == Fraction(1)
    assert s.shortfall_units == {"USD": 0, "BTC": 0, "FTT": 0}
    assert s.prices_minor["USD"] == USD  # USD priced at par by default


def test_house_with_allow_negative_takes_customer_money() -> None:
    """Invariant 3 broken on purpose: the privilege turns customer deposits into the house's cash."""
    j, c, ids = venue(house_negative=True)
    c.deposit(0, ids["alice"], "USD", 100_000 * USD)
    c.deposit(0, ids["bob"], "BTC", 1 * BTC)
    r = c.withdraw(1, ids["house:exchange"], "USD", 60_000 * USD)  # the house holds nothing on the exchange
    assert r.paid
    j.check()  # the ledger is consistent: the privilege is allowed, and shown
    assert j.balance(ids["house:exchange"], "USD") == -60_000 * USD
    assert j.balance(ids["house:treasury"], "USD") == 60_000 * USD
    assert j.borrowed_customer_funds("USD") == 60_000 * USD
    s = BalanceSheet.at(j, PRICES)
    # custody 40,000 USD + 1 BTC (20,000) = 60,000; customers are owed 100,000 + 20,000 = 120,000
    assert s.custody_assets == 60_000 * USD
    assert s.customer_liabilities == 120_000 * USD
    assert s.hole == 60_000 * USD  # exactly the amount taken
    assert s.house_receivables == 60_000 * USD and s.customer_receivables == 0
    assert s.house_exchange == -60_000 * USD and s.house_claims == 0
    assert s.house_books["house:treasury"] == 60_000 * USD and s.house_position == 0
    assert s.exchange_equity == 0  # on paper the receivable from the house fills the hole
    assert s.liquid_coverage == Fraction(1, 2)
    assert s.shortfall_units["USD"] == 60_000 * USD and s.shortfall_units["BTC"] == 0
    # a price move does not change the USD hole: the BTC is fully reserved
    s2 = BalanceSheet.at(j, {"BTC": 10_000 * USD})
    assert s2.custody_assets == 50_000 * USD and s2.customer_liabilities == 110_000 * USD
    assert s2.hole == 60_000 * USD


def test_same_withdrawal_without_privilege_is_refused() -> None:
    j, c, ids = venue(house_negative=False)
    c.deposit(0, ids["alice"], "USD", 100_000 * USD)
    before = j.balance_matrix()
    r = c.withdraw(1, ids["house:exchange"], "USD", 60_000 * USD)
    assert not r.paid and r.reason is WithdrawalReason.INSUFFICIENT_BALANCE
    assert (j.balance_matrix() == before).all() and len(j) == 2
    assert j.borrowed_customer_funds("USD") == 0
    assert BalanceSheet.at(j, PRICES).hole == 0


def test_customer_debit_balance_is_a_receivable_not_a_netting() -> None:
    j, c, ids = venue()
    c.deposit(0, ids["alice"], "USD", 10_000 * USD)
    c.deposit(0, ids["alice"], "BTC", BTC // 2)
    c.deposit(0, ids["carol"], "BTC", 1 * BTC)
    # carol buys 0.25 BTC from alice for 5,000 USD she does not have (within her 10,000 credit line)
    with j.transaction(1) as tx:
        tx.post(ids["carol"], ids["alice"], "USD", 5_000 * USD, "trade", "retail")
        tx.post(ids["alice"], ids["carol"], "BTC", BTC // 4, "trade", "retail")
    j.check()
    s = BalanceSheet.at(j, PRICES)
    # custody: 10,000 USD + 1.5 BTC (30,000) = 40,000
    assert s.custody_assets == 40_000 * USD
    # owed to customers: alice 15,000 USD + 0.25 BTC (5,000), carol 1.25 BTC (25,000) = 45,000;
    # carol's -5,000 USD is a receivable and does not reduce what alice is owed
    assert s.customer_liabilities == 45_000 * USD
    assert s.customer_liabilities_units == {"USD": 15_000 * USD, "BTC": 3 * BTC // 2, "FTT": 0}
    assert s.customer_receivables == 5_000 * USD and s.receivables == 5_000 * USD
    assert s.hole == 5_000 * USD
    assert s.shortfall_units["USD"] == 5_000 * USD  # alice cannot get all her dollars out
    assert s.exchange_equity == 0
    assert j.borrowed_customer_funds("USD") == 5_000 * USD  # carol's line is a privilege too


def test_fiat_routed_to_the_house_opens_a_hole_without_a_negative_balance() -> None:
    """fiat@ftx.com: the claim is issued, the dollars land in the house's bank account."""
    j, c, ids = venue()
    c.deposit(0, ids["alice"], "USD", 1_000_000 * USD, route_to="house:treasury")
    j.check()
    assert j.balance(ids["alice"], "USD") == 1_000_000 * USD
    assert j.balance(ids["custody"], "USD") == 0
    assert j.balance(ids["house:treasury"], "USD") == 1_000_000 * USD
    assert j.borrowed_customer_funds("USD") == 0  # no negative balance anywhere on the claims layer
    s = BalanceSheet.at(j, PRICES)
    assert s.customer_liabilities == 1_000_000 * USD and s.custody_assets == 0
    assert s.hole == 1_000_000 * USD
    assert s.exchange_equity == -1_000_000 * USD  # no receivable records it: invariant 1 broken
    assert s.house_books["house:treasury"] == 1_000_000 * USD
    assert s.liquid_coverage == 0
    # alice asks for her money: custody has none, so the request waits
    r = c.withdraw(1, ids["alice"], "USD", 1_000 * USD)
    assert r.reason is WithdrawalReason.INSUFFICIENT_CUSTODY


def test_illiquid_custody_counts_for_hole_but_not_hole_liquid() -> None:
    j, c, ids = venue(house_negative=True)
    c.deposit(0, ids["alice"], "USD", 10_000 * USD)
    c.deposit(0, ids["bob"], "FTT", 1_000 * FTT)  # 25,000 USD
    c.deposit(0, ids["bob"], "USD", 30_000 * USD)
    assert c.withdraw(1, ids["house:exchange"], "USD", 36_000 * USD).paid
    s = BalanceSheet.at(j, PRICES, liquid_assets={"USD", "BTC"})
    # custody: 4,000 USD + 25,000 FTT-dollars = 29,000; owed 65,000
    assert s.custody_assets == 29_000 * USD and s.liquid_custody == 4_000 * USD
    assert s.customer_liabilities == 65_000 * USD
    assert s.hole == 36_000 * USD
    assert s.hole_liquid == 61_000 * USD
    assert s.liquid_coverage == Fraction(4, 65)


def test_fees_are_exchange_equity() -> None:
    j, c, ids = venue()
    c.deposit(0, ids["alice"], "USD", 100 * USD)
    j.post(1, ids["alice"], ids["exchange:fees"], "USD", 3 * USD, "fee", "retail")
    s = BalanceSheet.at(j, PRICES)
    assert s.customer_liabilities == 97 * USD and s.custody_assets == 100 * USD
    assert s.exchange_accounts == {"exchange:fees": 3 * USD, "exchange:insurance_fund": 0}
    assert s.exchange_equity == 3 * USD and s.hole == 0


def test_valuation_floors_once_per_asset() -> None:
    j, c, ids = venue()
    c.deposit(0, ids["alice"], "BTC", 1)  # 1 satoshi each
    c.deposit(0, ids["bob"], "BTC", 1)
    s = BalanceSheet.at(j, {"BTC": 50 * USD + 1})
    # 1 sat at 50.000001 USD/BTC is 0.50000001 minor: 0 if floored per account; 2 sat floored once: 1
    assert s.custody_assets == 1 and s.customer_liabilities == 1


def test_history_and_price_errors() -> None:
    j, c, ids = venue()
    c.deposit(0, ids["alice"], "USD", 5 * USD)
    c.deposit(1, ids["alice"], "BTC", BTC)
    assert BalanceSheet.at(j, {}, upto_seq=2).customer_liabilities == 5 * USD  # before the BTC deposit
    with pytest.raises(LedgerError, match="no price for BTC"):
        BalanceSheet.at(j, {})
    with pytest.raises(LedgerError, match="non-negative int"):
        BalanceSheet.at(j, {"BTC": 1.5})  # type: ignore[dict-item]
    with pytest.raises(LedgerError, match="not in the journal"):
        BalanceSheet.at(j, PRICES, liquid_assets={"DOGE"})
    s = BalanceSheet.at(j, PRICES)
    with pytest.raises(AttributeError):
        s.hole = 0  # type: ignore[misc]  # frozen


# ---------------------------------------------------------------------- illiquid collateral

FTT_WEIGHT = {"FTT": 200_000}  # 20 %: what selling a house-sized FTT stake is worth
FTT_FIRE_SALE = {"FTT": 2 * USD}  # FTT after the run, against 25 at market


def test_house_took_the_dollars_and_holds_ftt() -> None:
    """Customers deposited dollars; the house took them through its negative balance and parked its
    own FTT on the exchange. At market the FTT covers the gap; per asset and at a haircut or a
    fire-sale price the dollars are simply gone."""
    j, c, ids = venue(house_negative=True)
    c.deposit(0, ids["alice"], "USD", 60_000 * USD)
    c.deposit(0, ids["bob"], "USD", 40_000 * USD)
    c.deposit(0, ids["house:exchange"], "FTT", 10_000 * FTT)  # the house's own tokens, from its owners
    assert c.withdraw(1, ids["house:exchange"], "USD", 100_000 * USD).paid
    j.check()
    s = BalanceSheet.at(j, PRICES, weights_ppm=FTT_WEIGHT, fire_sale_prices_minor=FTT_FIRE_SALE)
    # at market: 10,000 FTT x 25 = 250,000 in custody against 100,000 owed -> looks covered
    assert s.custody_assets == 250_000 * USD and s.customer_liabilities == 100_000 * USD
    assert s.hole == 0 and s.exchange_equity == 0  # on paper the house owes 100,000 and holds 250,000
    # asset by asset: every customer dollar is missing
    assert s.shortfall_units == {"USD": 100_000 * USD, "BTC": 0, "FTT": 0}
    assert s.shortfall_by_asset["USD"] == s.shortfall == 100_000 * USD
    assert s.customer_money_at_house == 100_000 * USD and s.customer_money_at_house_units["USD"] == 100_000 * USD
    # the FTT surplus at 20 % is worth 50,000: 50,000 short; at 2 USD a token 20,000: 80,000 short
    assert s.custody_at_weights == 50_000 * USD and s.hole_at_weights == 50_000 * USD
    assert s.custody_at_fire_sale == 20_000 * USD and s.hole_at_fire_sale == 80_000 * USD
    assert s.hole_liquid == 0  # FTT is registered liquid ...
    assert BalanceSheet.at(j, PRICES, liquid_assets={"USD", "BTC"}).hole_liquid == 100_000 * USD  # ... unless not
    assert s.weights_ppm == {"USD": 1_000_000, "BTC": 1_000_000, "FTT": 200_000}
    assert s.fire_sale_prices_minor == {"USD": USD, "BTC": 20_000 * USD, "FTT": 2 * USD}


def test_fully_reserved_illiquid_asset_needs_no_haircut() -> None:
    """Customers owed FTT are paid in FTT at any price: only a surplus is haircut."""
    j, c, ids = venue()
    c.deposit(0, ids["alice"], "FTT", 1_000 * FTT)
    c.deposit(0, ids["bob"], "USD", 5 * USD)
    s = BalanceSheet.at(j, PRICES, weights_ppm={"FTT": 0}, fire_sale_prices_minor={"FTT": 0})
    assert s.hole == s.hole_at_weights == s.hole_at_fire_sale == 0
    assert s.custody_at_weights == s.custody_at_fire_sale == s.custody_assets == 25_005 * USD


def test_haircuts_round_against_the_exchange() -> None:
    j, c, ids = venue(house_negative=True)
    c.deposit(0, ids["alice"], "USD", 1)
    c.deposit(0, ids["house:exchange"], "FTT", 3)  # 3e-8 FTT
    assert c.withdraw(1, ids["house:exchange"], "USD", 1).paid
    s = BalanceSheet.at(j, {"FTT": 100_000_000 * USD}, weights_ppm={"FTT": 999_999}, fire_sale_prices_minor={"FTT": 1})
    # surplus 3 units at 1e8 USD/FTT = 3,000,000 minor; a 1 ppm haircut is exactly 3 minor
    assert s.custody_assets == 3_000_000 and s.custody_at_weights == 3_000_000 - 3
    assert s.custody_at_fire_sale == 0  # 3 units at 1e-6 USD a token round to nothing, cut rounds up


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"weights_ppm": {"FTT": 1_000_001}}, "weights_ppm\\[FTT\\] must be an int in \\[0, 1000000\\]"),
        ({"weights_ppm": {"FTT": -1}}, "weights_ppm"),
        ({"weights_ppm": {"FTT": True}}, "weights_ppm"),
        ({"weights_ppm": {"FTT": 0.5}}, "weights_ppm"),
        ({"weights_ppm": {"DOGE": 0}}, "weights_ppm names assets not in the journal"),
        ({"weights_ppm": [("FTT", 0)]}, "must be a mapping"),
        ({"fire_sale_prices_minor": {"FTT": 26 * USD}}, "fire_sale_prices_minor\\[FTT\\] must be an int in \\[0, 25000000\\]"),
        ({"fire_sale_prices_minor": {"BTC": float("nan")}}, "fire_sale_prices_minor"),
        ({"liquid_assets": "USD"}, "collection of asset codes"),
        ({"upto_seq": -1}, "upto_seq"),
    ],
)
def test_bad_valuation_inputs_are_refused(kwargs, match) -> None:
    j, c, ids = venue()
    c.deposit(0, ids["alice"], "USD", USD)
    with pytest.raises(LedgerError, match=match):
        BalanceSheet.at(j, PRICES, **kwargs)


def test_numpy_int_prices_are_accepted_bools_are_not() -> None:
    import numpy as np

    j, c, ids = venue()
    c.deposit(0, ids["alice"], "BTC", BTC)
    assert BalanceSheet.at(j, {"BTC": np.int64(20_000 * USD)}).custody_assets == 20_000 * USD
    with pytest.raises(LedgerError, match="price of BTC"):
        BalanceSheet.at(j, {"BTC": True})


ops = st.lists(
    st.tuples(
        st.sampled_from(["alice", "bob", "carol", "house:exchange"]),
        st.sampled_from(["USD", "BTC", "FTT"]),
        st.integers(1, 10**12),
        st.sampled_from(["deposit", "withdraw", "route"]),
    ),
    max_size=25,
)


@settings(max_examples=80, deadline=None)
@given(ops=ops, weights=st.tuples(*[st.integers(0, 10**6)] * 3), fire=st.tuples(*[st.integers(0, 10**6)] * 3))
def test_haircut_and_fire_sale_holes_are_never_smaller(ops, weights, fire) -> None:
    """Full weights and market fire-sale prices give exactly the market hole; any haircut can only
    widen it, and a deeper haircut widens it at least as much."""
    j, c, ids = venue(house_negative=True)
    for who, code, amount, kind in ops:
        if kind == "deposit":
            c.deposit(0, ids[who], code, amount)
        elif kind == "route" and who != "house:exchange":
            c.route_deposit_to_house(0, ids[who], code, amount)
        else:
            c.withdraw(0, ids[who], code, amount)
    j.check()
    codes = ("USD", "BTC", "FTT")
    prices = {"USD": USD, **PRICES}
    w = dict(zip(codes, weights))
    f = {code: prices[code] * x // 10**6 for code, x in zip(codes, fire)}
    plain = BalanceSheet.at(j, PRICES)
    assert plain.hole_at_weights == plain.hole_at_fire_sale == plain.hole
    assert plain.custody_at_weights == plain.custody_at_fire_sale == plain.custody_assets
    cut = BalanceSheet.at(j, PRICES, weights_ppm=w, fire_sale_prices_minor=f)
    deeper = BalanceSheet.at(j, PRICES, weights_ppm={k: v // 2 for k, v in w.items()})
    assert cut.hole <= cut.hole_at_weights <= deeper.hole_at_weights
    assert cut.hole <= cut.hole_at_fire_sale
    assert cut.hole <= cut.shortfall + len(codes)  # per-asset shortfall bounds the netted hole (+ rounding)
    assert 0 <= cut.customer_money_at_house - cut.house_receivables - cut.routed_to_house <= len(codes)
