"""Deposits routed to the house (fiat@ftx.com), loans to the house, and the house's own capital."""

from __future__ import annotations

import pytest

from hollow.errors import LedgerError
from hollow.ledger import (
    BalanceSheet,
    Custody,
    Journal,
    WithdrawalStatus,
    open_standard_accounts,
)
from hollow.ledger.journal import AccountKind
from hollow.ledger.loans import Loans

USD = 10**6


@pytest.fixture
def world() -> tuple[Journal, Custody, dict[str, int]]:
    j = Journal(("USD", "BTC"))
    ids = open_standard_accounts(j, house_allow_negative_balance=True)
    ids["alice"] = j.open_account("customer:alice", "customer", "retail")
    ids["bob"] = j.open_account("customer:bob", "customer", "retail")
    return j, Custody(j), ids


def names(j: Journal, seqs: range, col: str) -> list[str]:
    cols = j.postings(seqs.start, seqs.stop)
    if col == "cause":
        return [j.causes()[int(x)] for x in cols["cause"]]
    if col == "class":
        return [j.classes()[int(x)] for x in cols["counterparty_class"]]
    return [j.account(int(f)).name + " -> " + j.account(int(t)).name for f, t in zip(cols["from_account"], cols["to_account"])]


def test_standard_accounts_include_owners_and_the_routing_pair(world) -> None:
    j, _, ids = world
    owners = j.account(ids["external:house_owners"])
    assert owners.kind is AccountKind.EXTERNAL and owners.cls == "house_owner"
    receivable = j.account(ids["exchange:receivable:house"])
    payable = j.account(ids["house:payable:exchange"])
    assert receivable.kind is AccountKind.EXCHANGE and not receivable.claim and receivable.floor_minor == 0
    assert payable.kind is AccountKind.HOUSE and not payable.claim and payable.allow_negative_balance
    assert not payable.privileged  # a liability on the house's books, not an exchange privilege
    assert list(ids)[:12] == [a.name for a in j.accounts()[1:13]]  # the old accounts keep their ids


def test_house_capital_comes_from_its_owners_not_the_depositors(world) -> None:
    j, c, ids = world
    c.deposit(0, "house:exchange", "USD", 10 * USD)
    c.deposit(0, "customer:alice", "USD", 3 * USD)
    assert j.balance(ids["external:house_owners"], "USD") == -10 * USD
    assert j.balance(ids["external:depositors"], "USD") == -3 * USD
    c.deposit(1, "customer:bob", "USD", 1, source="external:market")  # an explicit source
    assert j.balance(ids["external:market"], "USD") == -1
    j.check()


def test_routed_deposit_books_the_house_receivable(world) -> None:
    j, c, ids = world
    seqs = c.route_deposit_to_house(5, "customer:alice", "USD", 1_000_000 * USD, ref=9)
    assert names(j, seqs, "accounts") == [
        "external:depositors -> house:treasury",
        "exchange:claims_issued -> customer:alice",
        "house:payable:exchange -> exchange:receivable:house",
    ]
    assert names(j, seqs, "cause") == ["deposit", "deposit", "deposit:routed"]
    assert names(j, seqs, "class") == ["retail"] * 3
    assert j.postings()["ref"].tolist() == [9, 9, 9]
    j.check()
    assert j.balance(ids["custody"], "USD") == 0 and j.borrowed_customer_funds("USD") == 0
    s = BalanceSheet.at(j, {"BTC": 20_000 * USD})
    assert s.customer_liabilities == 1_000_000 * USD and s.custody_assets == 0 and s.hole == 1_000_000 * USD
    assert s.routed_to_house == 1_000_000 * USD and s.routed_to_house_units["USD"] == 1_000_000 * USD
    assert s.receivables == 1_000_000 * USD and s.exchange_equity == 0  # recorded: invariant 1 holds on paper
    assert s.customer_money_at_house == 1_000_000 * USD
    assert s.house_books["house:treasury"] == 1_000_000 * USD
    assert s.house_books["house:payable:exchange"] == -1_000_000 * USD and s.house_position == 0
    assert c.withdraw(6, "customer:alice", "USD", USD).status is WithdrawalStatus.QUEUED  # custody has nothing


def test_customer_money_at_house_adds_negative_balance_and_routed_deposits(world) -> None:
    j, c, _ = world
    c.deposit(0, "customer:bob", "USD", 100 * USD)
    c.deposit(0, "customer:bob", "BTC", 3)
    c.route_deposit_to_house(0, "customer:alice", "USD", 40 * USD)
    assert c.withdraw(1, "house:exchange", "USD", 60 * USD).paid  # the negative balance
    assert c.withdraw(1, "house:exchange", "BTC", 2).paid
    s = BalanceSheet.at(j, {"BTC": 30_000 * USD})
    assert s.customer_money_at_house_units == {"USD": 100 * USD, "BTC": 2}
    assert s.customer_money_at_house == 100 * USD + 2 * 30_000 * USD // 10**8
    assert s.house_receivables == 60 * USD + 2 * 30_000 * USD // 10**8 and s.routed_to_house == 40 * USD
    assert s.hole == s.customer_money_at_house  # every missing dollar is at the house
    j.check()


def test_loan_draw_interest_and_repay() -> None:
    j = Journal(("USD",))
    ids = open_standard_accounts(j)
    loans = Loans(j)
    loan = loans.open_lender("genesis")
    lender = j.account_id("external:lender:genesis")
    assert j.account(loan).name == "house:loan:genesis" and j.account(loan).kind is AccountKind.HOUSE
    assert j.account(lender).cls == "lender" and loans.lenders() == ["genesis"]
    seqs = loans.draw(1, "genesis", "USD", 500 * USD, ref=3)
    assert names(j, seqs, "accounts") == ["external:lender:genesis -> house:treasury", "house:loan:genesis -> external:lender:genesis"]
    assert names(j, seqs, "cause") == ["loan:draw"] * 2 and names(j, seqs, "class") == ["lender"] * 2
    assert j.balance(ids["house:treasury"], "USD") == 500 * USD and loans.owed("genesis", "USD") == 500 * USD
    assert j.balance(lender, "USD") == 0  # cash given for a claim of the same size
    due = loans.interest_due("genesis", "USD", 100_000)  # 10 %
    assert due == 50 * USD
    assert names(j, loans.charge_interest(2, "genesis", "USD", due), "cause") == ["loan:interest"]
    assert loans.owed("genesis", "USD") == 550 * USD and j.balance(lender, "USD") == 50 * USD
    before = j.balance_matrix().tolist(), len(j)
    with pytest.raises(LedgerError, match="owed only 550000000"):
        loans.repay(3, "genesis", "USD", 551 * USD)
    with pytest.raises(LedgerError, match="'house:treasury' holds 500000000"):
        loans.repay(3, "genesis", "USD", 550 * USD)  # the interest is not in the treasury
    assert (j.balance_matrix().tolist(), len(j)) == before
    j.post(3, ids["external:house_owners"], ids["house:treasury"], "USD", 50 * USD, "capital", "house_owner")
    assert names(j, loans.repay(4, "genesis", "USD", 550 * USD), "cause") == ["loan:repay"] * 2
    assert loans.owed("genesis", "USD") == 0 and j.balance(ids["house:treasury"], "USD") == 0
    assert j.balance(lender, "USD") == 50 * USD  # the lender's gain: the interest
    assert BalanceSheet.at(j, {}).house_books["house:loan:genesis"] == 0
    j.check()


def test_interest_rounds_up_and_loan_misuse_is_refused() -> None:
    j = Journal(("USD",))
    open_standard_accounts(j)
    loans = Loans(j)
    loans.open_lender("bank")
    loans.draw(0, "bank", "USD", 3)
    assert loans.interest_due("bank", "USD", 1) == 1
    assert loans.interest_due("bank", "USD", 0) == 0
    before = j.balance_matrix().tolist(), len(j), j.accounts()
    for call, match in [
        (lambda: loans.open_lender("bank"), "already exists"),
        (lambda: loans.open_lender(""), "lender must be a non-empty string"),
        (lambda: loans.draw(0, "nobody", "USD", 1), "unknown lender"),
        (lambda: loans.draw(0, "bank", "USD", True), "amount_minor"),
        (lambda: loans.draw(-1, "bank", "USD", 1), "ts_ns"),
        (lambda: loans.draw(0, "bank", "DOGE", 1), "unknown asset"),
        (lambda: loans.repay(0, "bank", "USD", 0), "amount_minor"),
        (lambda: loans.interest_due("bank", "USD", 2_000_000), "rate_ppm"),
        (lambda: Loans(j, "customer:x"), "unknown account"),
        (lambda: Loans(j, "house:exchange"), "house holdings account"),
    ]:
        with pytest.raises(LedgerError, match=match):
            call()
        assert (j.balance_matrix().tolist(), len(j), j.accounts()) == before
