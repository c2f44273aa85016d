"""Misuse of every ledger entry point: each bad call raises `LedgerError` with its reason and
changes nothing (postings, balances, accounts, assets, causes, classes, withdrawal queues)."""

from __future__ import annotations

import numpy as np
import pytest

from hollow.errors import LedgerError
from hollow.ledger import (
    Custody,
    Journal,
    Posting,
    WithdrawalReason,
    WithdrawalStatus,
    open_standard_accounts,
)
from hollow.ledger.journal import AccountKind

USD = 10**6


def snapshot(j: Journal, c: Custody | None = None) -> tuple:
    cols = {k: v.tolist() for k, v in j.postings().items()}
    queues = None if c is None else (c.pending(), c._next_request, c.halted)
    return len(j), j.balance_matrix().tolist(), cols, j.accounts(), j.assets, j.causes(), j.classes(), queues


@pytest.fixture
def world() -> tuple[Journal, Custody, dict[str, int]]:
    j = Journal(("USD", "BTC"))
    ids = open_standard_accounts(j, house_allow_negative_balance=True)
    for name in ("alice", "bob"):
        ids[name] = j.open_account(f"customer:{name}", "customer", "retail")
    c = Custody(j)
    c.deposit(0, ids["alice"], "USD", 100 * USD)
    c.deposit(0, ids["bob"], "USD", 100 * USD)
    return j, c, ids


def refused(j: Journal, c: Custody | None, match: str, call, *args, **kwargs) -> None:
    before = snapshot(j, c)
    with pytest.raises(LedgerError, match=match):
        call(*args, **kwargs)
    assert snapshot(j, c) == before


# ---------------------------------------------------------------------- Journal.post


@pytest.mark.parametrize(
    ("ts", "ref", "match"),
    [
        (2**63, -1, "ts_ns and ref must be ints"),  # used to leak OverflowError after interning the cause
        (2**70, -1, "ts_ns and ref must be ints"),
        (-1, -1, "ts_ns and ref must be ints"),
        (0, 2**63, "ts_ns and ref must be ints"),
        (0, -2**70, "ts_ns and ref must be ints"),
        (0, -2, "ts_ns and ref must be ints"),
        (np.uint64(2**63), -1, "ts_ns and ref must be ints"),
        (True, -1, "ts_ns and ref must be ints"),
        (0, np.True_, "ts_ns and ref must be ints"),
    ],
)
def test_post_out_of_range_ts_or_ref_is_refused_before_interning(world, ts, ref, match) -> None:
    j, _, ids = world
    refused(j, None, match, j.post, ts, ids["alice"], ids["bob"], "USD", 1, "brand_new_cause", "brand_new_class", ref)
    assert "brand_new_cause" not in j.causes() and "brand_new_class" not in j.classes()


@pytest.mark.parametrize(
    "amount", [True, np.True_, 1.0, float("nan"), float("inf"), np.float64(1), "1", None, 0, -1, 2**62 + 1, 2**70]
)
def test_post_refuses_every_non_amount(world, amount) -> None:
    j, _, ids = world
    refused(j, None, "amount_minor", j.post, 0, ids["alice"], ids["bob"], "USD", amount, "trade", "retail")


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((True, "bob", "USD"), "unknown from_account"),
        (("alice", np.True_, "USD"), "unknown to_account"),
        (("alice", 1.0, "USD"), "unknown to_account"),
        (("alice", "alice", "USD"), "same account"),
        (("alice", "bob", ["USD"]), "unknown asset"),
        (("alice", "bob", None), "unknown asset"),
    ],
)
def test_post_refuses_bad_accounts_and_assets(world, args, match) -> None:
    j, _, ids = world
    f, t, a = (ids.get(x, x) if isinstance(x, str) and x in ids else x for x in args)
    refused(j, None, match, j.post, 0, f, t, a, 1, "trade", "retail")


# ---------------------------------------------------------------------- Journal.post_many


def batch_kwargs(ids: dict[str, int], **override) -> dict:
    kw = {
        "ts_ns": 0,
        "from_accounts": [ids["alice"]] * 3,
        "to_accounts": [ids["bob"]] * 3,
        "assets": "USD",
        "amounts": [1, 1, 1],
        "causes": "trade",
        "classes": "retail",
    }
    kw.update(override)
    return kw


@pytest.mark.parametrize(
    ("override", "match"),
    [
        ({"amounts": [True, 1, 1]}, "index 0: amounts must hold integers, got True"),  # used to post 1
        ({"amounts": [1, np.True_, 1]}, "index 1: amounts must hold integers"),
        ({"amounts": np.array([True, True, True])}, "bool array"),
        ({"amounts": np.array([1.0, 2.0, 3.0])}, "dtype float64"),
        ({"amounts": [1, float("nan"), 1]}, "index 1: amounts must hold integers, got nan"),
        ({"amounts": np.array([1, np.nan, 1])}, "dtype float64"),
        ({"amounts": [1, 2**63, 1]}, "index 1: amounts has 9223372036854775808, outside int64"),
        ({"amounts": [1, -(2**70), 1]}, "index 1: amounts has .*outside int64"),
        ({"amounts": np.array([1, 2**63, 1], dtype=np.uint64)}, "outside int64"),
        ({"amounts": [1, "2", 1]}, "index 1: amounts must hold integers"),
        ({"amounts": [1, -3, 1]}, "index 1: amount_minor must be in"),
        ({"amounts": 5}, "must be a sequence"),
        ({"amounts": np.array([[1, 1, 1]])}, "one-dimensional"),
        ({"from_accounts": [True, 1, 1]}, "index 0: from_accounts must hold integers"),  # used to mean id 1
        ({"to_accounts": np.array([False, True, True])}, "bool array"),
        ({"ts_ns": [0, True, 0]}, "index 1: ts_ns must hold integers"),
        ({"ts_ns": 2**70}, "ts_ns must be an int in"),  # used to leak OverflowError from np.full
        ({"ts_ns": True}, "ts_ns must hold integers"),
        ({"ts_ns": 1.5}, "ts_ns"),
        ({"ts_ns": [0, -1, 0]}, "index 1: ts_ns must be >= 0"),
        ({"refs": [1, True, 1]}, "index 1: refs must hold integers"),
        ({"refs": -2}, "index 0: ref must be >= -1"),
        ({"refs": 2**64}, "refs must be an int in"),
        ({"assets": [0, True, 0]}, "index 1: assets must hold integers"),  # used to mean asset 1
        ({"assets": np.array([True, False, True])}, "bool array"),
        ({"assets": ["USD", 0, "USD"]}, "index 1: assets must hold strings"),
        ({"assets": [0.0, 0.0, 0.0]}, "assets must hold strings"),
        ({"causes": ["trade", 1, "trade"]}, "index 1: causes must hold strings, got 1"),  # used to intern "1"
        ({"classes": ["retail", None, "retail"]}, "index 1: classes must hold strings"),
        ({"classes": np.array([b"x", b"y", b"z"])}, "classes must hold strings"),
        ({"causes": ["trade", "trade"]}, "causes must be a string or have length 3"),
    ],
)
def test_post_many_refuses_coerced_values(world, override, match) -> None:
    j, _, ids = world
    refused(j, None, match, j.post_many, **batch_kwargs(ids, **override))


def test_empty_batch_still_checks_its_columns(world) -> None:
    j, _, ids = world
    empty = {"from_accounts": [], "to_accounts": [], "amounts": []}
    refused(j, None, "unknown asset 'DOGE'", j.post_many, **batch_kwargs(ids, assets="DOGE", **empty))
    refused(j, None, "causes must be non-empty", j.post_many, **batch_kwargs(ids, causes="", **empty))
    assert j.post_many(**batch_kwargs(ids, **empty)) == range(len(j), len(j))


def test_bool_in_a_batch_posts_nothing_even_in_object_arrays(world) -> None:
    j, _, ids = world
    amounts = np.array([1, True, 1], dtype=object)
    refused(j, None, "index 1: amounts must hold integers, got True", j.post_many, **batch_kwargs(ids, amounts=amounts))


# ---------------------------------------------------------------------- post_all and transactions


def test_post_all_refuses_malformed_rows(world) -> None:
    j, _, ids = world
    a, b = ids["alice"], ids["bob"]
    refused(j, None, "post_all refused at index 1: a posting is", j.post_all, [(0, a, b, "USD", 1, "x", "y"), (0, a)])
    refused(j, None, "expected an iterable", j.post_all, 5)
    refused(j, None, "index 1: amounts must hold integers, got True", j.post_all,
            [Posting(0, a, b, "USD", 1, "x", "y"), Posting(0, a, b, "USD", True, "x", "y")])  # fmt: skip


def test_transaction_refuses_legs_after_it_was_aborted(world) -> None:
    j, _, ids = world
    before = snapshot(j)
    with pytest.raises(RuntimeError), j.transaction(0) as tx:
        tx.post(ids["alice"], ids["bob"], "USD", 1, "trade", "retail")
        raise RuntimeError("abort")
    with pytest.raises(LedgerError, match="closed"):
        tx.post(ids["alice"], ids["bob"], "USD", 1, "trade", "retail")
    with pytest.raises(LedgerError, match="transaction refused: ts_ns"):
        j.transaction(-5).__enter__()
    assert snapshot(j) == before


# ---------------------------------------------------------------------- accounts and assets


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        (("customer:x", "customer", "retail"), {"allow_negative_balance": "no"}, "must be True or False"),
        (("customer:x", "customer", "retail"), {"liquidation_exempt": 1}, "must be True or False"),
        (("customer:x", "customer", "retail"), {"claim": False}, "customer account is a claim"),
        (("custody:2", "custody", "exchange"), {"claim": True}, "cannot be a claim"),
        (("external:x", "external", "market"), {"credit_limit_minor": 5}, "unlimited credit"),
        (("customer:x", "customer", "retail"), {"allow_negative_balance": True, "credit_limit_minor": True}, "credit_limit"),
        (("customer:x", "customer", ""), {}, "counterparty class"),
        ((["customer:x"], "customer", "retail"), {}, "non-empty string"),
    ],
)
def test_open_account_refuses_contradictions(world, args, kwargs, match) -> None:
    j, _, _ = world
    refused(j, None, match, j.open_account, *args, **kwargs)


def test_lookups_refuse_unhashable_and_bad_ranges(world) -> None:
    j, _, _ = world
    refused(j, None, "unknown account", j.account_id, ["custody"])
    refused(j, None, "unknown asset", j.asset_index, ["USD"])
    refused(j, None, "asset code must be a string", j.add_asset, ["ETH"])
    refused(j, None, "upto_seq", j.balance_matrix, "3")
    refused(j, None, "upto_seq", j.balance_matrix, -1)
    refused(j, None, "start", j.postings, True)
    assert not j.has_account(["custody"])  # type: ignore[arg-type]


def test_open_standard_accounts_is_all_or_nothing() -> None:
    j = Journal()
    before = snapshot(j)
    with pytest.raises(LedgerError, match="needs allow_negative_balance"):
        open_standard_accounts(j, house_credit_limit_minor=5)  # used to leave custody & co. opened
    assert snapshot(j) == before
    ids = open_standard_accounts(j, house_allow_negative_balance=True, house_credit_limit_minor=5)
    assert j.account(ids["house:exchange"]).credit_limit_minor == 5


# ---------------------------------------------------------------------- custody


def test_withdraw_to_a_claim_account_is_refused_and_cannot_block_the_queue(world) -> None:
    """It used to be accepted: queued behind a custody shortfall, its payment crossed layers when
    custody refilled, process_queue raised, the queue was stuck for good and results were lost."""
    j, c, ids = world
    j.post(0, ids["custody"], ids["external:market"], "USD", 150 * USD, "venture", "house")  # custody short
    for dest in ("customer:bob", ids["bob"], "house:exchange", "custody", "exchange:claims_issued"):
        refused(j, c, "destination .* must be a holdings account", c.withdraw, 1, "customer:alice", "USD", 60 * USD,
                destination=dest)  # fmt: skip
    queued = c.withdraw(1, "customer:alice", "USD", 60 * USD)
    assert queued.status is WithdrawalStatus.QUEUED and queued.request_id == 0  # no id was used up
    c.deposit(2, ids["bob"], "USD", 50 * USD)
    assert [r.status for r in c.process_queue(3)] == [WithdrawalStatus.PAID]
    j.check()


def test_a_payment_the_journal_refuses_is_dropped_not_stuck(world) -> None:
    j, c, ids = world
    market, treasury = ids["external:market"], ids["house:treasury"]
    j.post(0, ids["custody"], market, "USD", 200 * USD, "venture", "house")  # custody empty
    j.post(0, market, treasury, "USD", 2**62 - 10, "venture", "house")  # treasury at its bound
    blocked = c.withdraw(1, "customer:alice", "USD", 20 * USD, destination="house:treasury")
    c.deposit(1, ids["bob"], "BTC", 5)
    later = c.withdraw(1, "customer:bob", "USD", 20 * USD)
    assert blocked.status is later.status is WithdrawalStatus.QUEUED
    c.deposit(2, ids["alice"], "USD", 100 * USD)
    out = c.process_queue(3)
    assert [(r.request_id, r.status, r.reason) for r in out] == [
        (blocked.request_id, WithdrawalStatus.REFUSED, WithdrawalReason.LEDGER),
        (later.request_id, WithdrawalStatus.PAID, WithdrawalReason.OK),
    ]
    assert c.pending() == []
    j.check()


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda c: c.withdraw(1.5, "customer:alice", "USD", 1), "ts_ns"),
        (lambda c: c.withdraw(1, "customer:alice", "USD", True), "positive int"),
        (lambda c: c.withdraw(1, "customer:alice", "USD", 1, "not callable"), "margin_ok"),
        (lambda c: c.withdraw(1, "customer:alice", "USD", 1, destination="exchange:receivable:house"), "holdings"),
        (lambda c: c.deposit(-1, "customer:alice", "USD", 1), "ts_ns"),
        (lambda c: c.deposit(1, "customer:alice", "USD", np.True_), "positive int"),
        (lambda c: c.deposit(1, "customer:alice", "USD", 1, route_to="customer:bob"), "route_to"),
        (lambda c: c.deposit(1, "customer:alice", "USD", 1, route_to="external:market"), "route_to"),
        (lambda c: c.deposit(1, "customer:alice", "USD", 1, source="house:treasury"), "source"),
        (lambda c: c.deposit(1, "customer:alice", "USD", 1, ref=2**63), "refs has .* outside int64"),
        (lambda c: c.route_deposit_to_house(1, "house:exchange", "USD", 1), "customer accounts"),
        (lambda c: c.route_deposit_to_house(1, "customer:alice", "DOGE", 1), "unknown asset"),
        (lambda c: c.process_queue(2**63), "ts_ns"),
        (lambda c: c.cancel(True), "request_id"),
        (lambda c: c.pending("DOGE"), "unknown asset"),
    ],
)
def test_custody_entry_points_refuse_bad_input(world, call, match) -> None:
    j, c, _ = world
    refused(j, c, match, call, c)


def test_cancel_with_a_bool_no_longer_cancels_request_one(world) -> None:
    j, c, ids = world
    j.post(0, ids["custody"], ids["external:market"], "USD", 200 * USD, "venture", "house")
    c.withdraw(1, "customer:alice", "USD", 1)
    second = c.withdraw(1, "customer:bob", "USD", 1)
    assert second.request_id == 1
    with pytest.raises(LedgerError):
        c.cancel(True)
    assert [p.request_id for p in c.pending()] == [0, 1]


def test_route_needs_its_accounts() -> None:
    j = Journal()
    c = Custody(j)
    alice = j.open_account("customer:alice", AccountKind.CUSTOMER, "retail")
    refused(j, c, "needs", c.route_deposit_to_house, 0, alice, "USD", 5)
