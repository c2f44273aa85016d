"""Deposits, withdrawals, the FIFO queue, halts and the margin hook."""

from __future__ import annotations

import pytest

from hollow.errors import LedgerError
from hollow.ledger import (
    Custody,
    Journal,
    WithdrawalReason,
    WithdrawalStatus,
    open_standard_accounts,
)

USD = 10**6


@pytest.fixture
def setup() -> tuple[Journal, Custody, dict[str, int]]:
    j = Journal(("USD", "BTC"))
    ids = open_standard_accounts(j, house_allow_negative_balance=True, house_credit_limit_minor=50 * USD)
    for name in ("alice", "bob", "carol"):
        ids[name] = j.open_account(f"customer:{name}", "customer", "retail")
    return j, Custody(j), ids


def state(j: Journal) -> tuple:
    return len(j), j.balance_matrix().tolist()


def test_custody_opens_missing_accounts() -> None:
    j = Journal()
    c = Custody(j)
    assert j.account(c.custody).name == "custody" and j.account(c.depositors).name == "external:depositors"
    with pytest.raises(LedgerError, match="kind"):
        Custody(j, custody_account="external:depositors")


def test_deposit_then_withdraw_pair(setup) -> None:
    j, c, ids = setup
    seqs = c.deposit(10, ids["alice"], "USD", 100 * USD, ref=5)
    assert seqs == range(2)
    assert j.balance(ids["alice"], "USD") == 100 * USD
    assert j.balance(ids["custody"], "USD") == 100 * USD
    assert j.balance(ids["external:depositors"], "USD") == -100 * USD
    assert j.balance(j.claims_issued, "USD") == -100 * USD
    r = c.withdraw(11, ids["alice"], "USD", 30 * USD)
    assert r.status is WithdrawalStatus.PAID and r.reason is WithdrawalReason.OK and r.paid
    assert r.seqs == range(2, 4)
    assert j.balance(ids["alice"], "USD") == 70 * USD
    assert j.balance(ids["custody"], "USD") == 70 * USD
    assert j.balance(ids["external:depositors"], "USD") == -70 * USD
    assert j.balance(j.claims_issued, "USD") == -70 * USD
    cols = j.postings()
    names = [j.account(int(x)).name for x in cols["to_account"]]
    assert names == ["custody", "customer:alice", "exchange:claims_issued", "external:depositors"]
    assert [j.causes()[int(x)] for x in cols["cause"]] == ["deposit", "deposit", "withdrawal", "withdrawal"]
    assert cols["ref"].tolist() == [5, 5, r.request_id, r.request_id]
    j.check()


def test_withdraw_above_balance_is_refused_unchanged(setup) -> None:
    j, c, ids = setup
    c.deposit(0, ids["alice"], "USD", 10 * USD)
    c.deposit(0, ids["bob"], "USD", 90 * USD)
    before = state(j)
    r = c.withdraw(1, ids["alice"], "USD", 10 * USD + 1)
    assert r.status is WithdrawalStatus.REFUSED and r.reason is WithdrawalReason.INSUFFICIENT_BALANCE
    assert state(j) == before and c.pending() == []


@pytest.mark.parametrize(
    ("account", "asset", "amount", "match"),
    [
        ("customer:alice", "USD", 0, "positive int"),
        ("customer:alice", "USD", -1, "positive int"),
        ("customer:alice", "USD", 1.5, "positive int"),
        ("customer:alice", "DOGE", 1, "unknown asset"),
        ("customer:nobody", "USD", 1, "unknown account"),
        (999, "USD", 1, "unknown account id"),
        ("house:treasury", "USD", 1, "not a claim account"),
    ],
)
def test_bad_input_raises_and_changes_nothing(setup, account, asset, amount, match) -> None:
    j, c, ids = setup
    c.deposit(0, ids["alice"], "USD", 10 * USD)
    before = state(j)
    with pytest.raises(LedgerError, match=match):
        c.withdraw(1, account, asset, amount)
    with pytest.raises(LedgerError, match=match):
        c.deposit(1, account, asset, amount)
    assert state(j) == before


def test_house_privilege_within_credit_limit(setup) -> None:
    j, c, ids = setup
    c.deposit(0, ids["alice"], "USD", 100 * USD)
    r = c.withdraw(1, "house:exchange", "USD", 40 * USD)
    assert r.paid
    assert j.balance(ids["house:treasury"], "USD") == 40 * USD  # the house's units go to its treasury
    r = c.withdraw(2, "house:exchange", "USD", 10 * USD + 1)  # 50 limit, 40 used
    assert r.reason is WithdrawalReason.INSUFFICIENT_BALANCE
    assert c.withdraw(3, "house:exchange", "USD", 10 * USD).paid
    assert j.borrowed_customer_funds("USD") == 50 * USD
    j.check()


def test_queue_is_fifo_and_paid_as_custody_refills(setup) -> None:
    j, c, ids = setup
    c.deposit(0, ids["alice"], "USD", 100 * USD)
    c.deposit(0, ids["bob"], "USD", 100 * USD)
    c.deposit(0, ids["carol"], "USD", 100 * USD)
    # the house takes 50 and 200 leaves custody: customers still hold claims on 300, custody has 50
    assert c.withdraw(1, "house:exchange", "USD", 50 * USD).paid
    j.post(1, ids["custody"], ids["external:market"], "USD", 200 * USD, "venture", "house")  # custody spent
    assert c.custody_balance("USD") == 50 * USD
    r1 = c.withdraw(2, ids["alice"], "USD", 80 * USD)
    assert r1.status is WithdrawalStatus.QUEUED and r1.reason is WithdrawalReason.INSUFFICIENT_CUSTODY
    # bob's smaller request would fit, but may not overtake alice's
    r2 = c.withdraw(3, ids["bob"], "USD", 20 * USD)
    assert r2.status is WithdrawalStatus.QUEUED and r2.reason is WithdrawalReason.QUEUE_AHEAD
    r3 = c.withdraw(4, ids["carol"], "USD", 60 * USD)
    assert [p.request_id for p in c.pending("USD")] == [r1.request_id, r2.request_id, r3.request_id]
    assert c.queued_amount("USD") == 160 * USD
    assert c.process_queue(5) == []  # still only 50 in custody
    # BTC is not blocked by the USD queue
    c.deposit(5, ids["alice"], "BTC", 7)
    assert c.withdraw(5, ids["alice"], "BTC", 7).paid
    # 40 USD arrives: 90 in custody, alice (80) is paid, bob (20) still does not fit after her
    c.deposit(6, ids["bob"], "USD", 40 * USD)
    out = c.process_queue(7)
    assert [(r.request_id, r.status) for r in out] == [(r1.request_id, WithdrawalStatus.PAID)]
    assert c.custody_balance("USD") == 10 * USD
    c.deposit(8, ids["bob"], "USD", 100 * USD)
    out = c.process_queue(9)
    assert [(r.request_id, r.status) for r in out] == [
        (r2.request_id, WithdrawalStatus.PAID),
        (r3.request_id, WithdrawalStatus.PAID),
    ]
    assert c.pending() == [] and c.custody_balance("USD") == 30 * USD
    assert j.balance(ids["alice"], "USD") == 20 * USD
    j.check()


def test_queued_request_refused_if_balance_gone(setup) -> None:
    j, c, ids = setup
    c.deposit(0, ids["alice"], "USD", 100 * USD)
    j.post(1, ids["custody"], ids["external:market"], "USD", 100 * USD, "venture", "house")
    r = c.withdraw(2, ids["alice"], "USD", 100 * USD)
    assert r.status is WithdrawalStatus.QUEUED
    j.post(3, ids["alice"], ids["bob"], "USD", 50 * USD, "trade", "retail")  # claim traded away meanwhile
    c.deposit(4, ids["carol"], "USD", 500 * USD)
    out = c.process_queue(5)
    assert [(x.request_id, x.status, x.reason) for x in out] == [
        (r.request_id, WithdrawalStatus.REFUSED, WithdrawalReason.INSUFFICIENT_BALANCE)
    ]
    assert c.pending() == []


def test_halt_refuses_all_and_resume(setup) -> None:
    j, c, ids = setup
    c.deposit(0, ids["alice"], "USD", 100 * USD)
    j.post(0, ids["custody"], ids["external:market"], "USD", 100 * USD, "venture", "house")
    queued = c.withdraw(1, ids["alice"], "USD", 10 * USD)
    assert queued.status is WithdrawalStatus.QUEUED
    c.deposit(2, ids["bob"], "USD", 100 * USD)
    c.halt()
    assert c.halted
    before = state(j)
    r = c.withdraw(3, ids["bob"], "USD", 1 * USD)
    assert r.status is WithdrawalStatus.REFUSED and r.reason is WithdrawalReason.HALTED
    assert c.process_queue(3) == [] and state(j) == before
    c.resume()
    assert [x.status for x in c.process_queue(4)] == [WithdrawalStatus.PAID]
    assert c.withdraw(5, ids["bob"], "USD", 1 * USD).paid


def test_margin_hook_is_consulted(setup) -> None:
    j, c, ids = setup
    c.deposit(0, ids["alice"], "USD", 100 * USD)
    calls = []

    def margin_ok(account: int, asset: str, amount: int) -> bool:
        calls.append((account, asset, amount))
        return amount <= 50 * USD

    before = state(j)
    r = c.withdraw(1, ids["alice"], "USD", 60 * USD, margin_ok)
    assert r.status is WithdrawalStatus.REFUSED and r.reason is WithdrawalReason.MARGIN
    assert state(j) == before
    assert c.withdraw(2, ids["alice"], "USD", 50 * USD, margin_ok).paid
    assert calls == [(ids["alice"], "USD", 60 * USD), (ids["alice"], "USD", 50 * USD)]


def test_cancel_and_explicit_destination(setup) -> None:
    j, c, ids = setup
    c.deposit(0, ids["alice"], "USD", 100 * USD)
    j.post(0, ids["custody"], ids["external:market"], "USD", 100 * USD, "venture", "house")
    r = c.withdraw(1, ids["alice"], "USD", 10 * USD)
    assert c.cancel(r.request_id) and not c.cancel(r.request_id)
    c.deposit(2, ids["bob"], "USD", 100 * USD)
    assert c.withdraw(3, ids["alice"], "USD", 10 * USD, destination="house:treasury").paid
    assert j.balance(ids["house:treasury"], "USD") == 10 * USD
    j.check()
