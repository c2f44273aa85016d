"""Unit tests of the journal: accounts, single postings, batches, transactions, check, export."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pytest

from hollow.errors import LedgerError
from hollow.ledger import (
    CLAIMS_ISSUED,
    MAX_BALANCE_MINOR,
    AccountKind,
    Journal,
    Posting,
    open_standard_accounts,
)

USD = 1_000_000  # minor units per dollar


def snapshot(j: Journal) -> tuple:
    """Everything observable about a journal's state, for before/after comparisons."""
    return (
        len(j),
        j.balance_matrix().tolist(),
        j.to_arrow().to_pylist(),
        j.accounts(),
        j.causes(),
        j.classes(),
    )


@pytest.fixture
def j() -> Journal:
    journal = Journal(("USD", "BTC"))
    open_standard_accounts(journal)
    journal.open_account("customer:alice", AccountKind.CUSTOMER, "retail")
    journal.open_account("customer:bob", AccountKind.CUSTOMER, "trading_firm")
    return journal


def deposit(j: Journal, name: str, asset: str, amount: int, ts: int = 0) -> None:
    with j.transaction(ts) as tx:
        tx.post(j.account_id("external:depositors"), j.account_id("custody"), asset, amount, "deposit", "depositor")
        tx.post(j.claims_issued, j.account_id(name), asset, amount, "deposit", "retail")


# ---------------------------------------------------------------------- accounts


def test_claims_issued_is_opened_by_every_journal() -> None:
    j = Journal()
    acct = j.account(j.account_id(CLAIMS_ISSUED))
    assert acct.kind is AccountKind.EXCHANGE and not acct.claim
    assert acct.allow_negative_balance and acct.credit_limit_minor is None
    assert j.assets == ("USD",)


def test_account_layers_are_inferred(j: Journal) -> None:
    claim = {a.name: a.claim for a in j.accounts()}
    assert claim["customer:alice"] and claim["house:exchange"] and claim["exchange:fees"]
    assert not claim["custody"] and not claim["house:treasury"] and not claim["external:market"]


def test_duplicate_and_bad_accounts_are_refused(j: Journal) -> None:
    with pytest.raises(LedgerError, match="already exists"):
        j.open_account("customer:alice", "customer", "retail")
    with pytest.raises(LedgerError, match="unknown kind"):
        j.open_account("x", "bank", "retail")
    with pytest.raises(LedgerError, match="needs allow_negative_balance"):
        j.open_account("y", "customer", "retail", credit_limit_minor=5)
    with pytest.raises(LedgerError, match="credit_limit_minor"):
        j.open_account("z", "customer", "retail", allow_negative_balance=True, credit_limit_minor=-1)
    with pytest.raises(LedgerError, match="unknown account"):
        j.account_id("customer:nobody")
    with pytest.raises(LedgerError, match="unknown account id"):
        j.account(999)


def test_externals_are_always_unbounded() -> None:
    j = Journal()
    e = j.open_account("external:market", "external", "market", allow_negative_balance=False)
    acct = j.account(e)
    assert acct.allow_negative_balance and acct.credit_limit_minor is None


def test_unknown_asset_is_refused() -> None:
    with pytest.raises(LedgerError, match="unknown asset"):
        Journal(("USD", "DOGE"))


def test_many_accounts_grow_storage() -> None:
    j = Journal()
    ids = [j.open_account(f"customer:{i}", "customer", "retail") for i in range(100)]
    assert ids == list(range(1, 101))
    for i in ids:
        j.post(0, j.claims_issued, i, "USD", i, "deposit", "depositor")
    assert j.balances("USD")[ids].tolist() == ids
    j.check()


def test_add_asset_keeps_balances(j: Journal) -> None:
    deposit(j, "customer:alice", "USD", 7)
    j.add_asset("ETH")
    assert j.balance(j.account_id("customer:alice"), "USD") == 7
    assert j.balance(j.account_id("customer:alice"), "ETH") == 0
    deposit(j, "customer:alice", "ETH", 3)
    j.check()


# ---------------------------------------------------------------------- single postings


def test_post_moves_amount_and_keeps_zero_sum(j: Journal) -> None:
    ext, cust = j.account_id("external:depositors"), j.account_id("custody")
    seq = j.post(5, ext, cust, "USD", 100, "deposit", "depositor", ref=42)
    assert seq == 0 and len(j) == 1
    assert j.balance(ext, "USD") == -100 and j.balance(cust, "USD") == 100
    assert int(j.balances("USD").sum()) == 0
    cols = j.postings()
    assert cols["ref"].tolist() == [42] and cols["ts_ns"].tolist() == [5]
    j.check()


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((0, "custody", "house:treasury", "USD", 11), "would take it"),  # custody cannot go negative
        ((0, "external:depositors", "custody", "USD", 0), "amount_minor"),
        ((0, "external:depositors", "custody", "USD", -5), "amount_minor"),
        ((0, "external:depositors", "custody", "USD", 1.0), "must be an int"),
        ((0, "external:depositors", "custody", "USD", True), "must be an int"),
        ((0, "external:depositors", "custody", "USD", MAX_BALANCE_MINOR + 1), "amount_minor"),
        ((0, "external:depositors", "custody", "DOGE", 1), "unknown asset"),
        ((0, "external:depositors", "custody", "ETH", 1), "unknown asset"),  # known to money, not to journal
        ((0, "custody", "custody", "USD", 1), "same account"),
        ((0, "customer:alice", "customer:bob", "USD", 1), "below zero"),
    ],
)
def test_refused_posting_changes_nothing(j: Journal, args: tuple, match: str) -> None:
    deposit(j, "customer:bob", "USD", 10)
    before = snapshot(j)
    ts, f, t, asset, amount = args
    with pytest.raises(LedgerError, match=match):
        j.post(ts, j.account_id(f), j.account_id(t), asset, amount, "new_cause", "new_class")
    assert snapshot(j) == before


def test_post_refuses_unknown_ids_and_bad_strings(j: Journal) -> None:
    before = snapshot(j)
    ext = j.account_id("external:depositors")
    with pytest.raises(LedgerError, match="unknown to_account"):
        j.post(0, ext, 10_000, "USD", 1, "deposit", "x")
    with pytest.raises(LedgerError, match="unknown from_account"):
        j.post(0, -1, ext, "USD", 1, "deposit", "x")
    with pytest.raises(LedgerError, match="non-empty strings"):
        j.post(0, ext, ext + 1, "USD", 1, "", "x")
    with pytest.raises(LedgerError, match="ints"):
        j.post(0.5, ext, ext + 1, "USD", 1, "deposit", "x")  # type: ignore[arg-type]
    assert snapshot(j) == before


def test_balance_cannot_exceed_bound(j: Journal) -> None:
    ext, cust = j.account_id("external:depositors"), j.account_id("custody")
    j.post(0, ext, cust, "USD", MAX_BALANCE_MINOR, "deposit", "depositor")
    with pytest.raises(LedgerError, match="more than 2\\*\\*62"):
        j.post(0, j.account_id("external:market"), cust, "USD", 1, "deposit", "depositor")
    j.check()


def test_credit_limit_is_enforced() -> None:
    j = Journal()
    ids = open_standard_accounts(j, house_allow_negative_balance=True, house_credit_limit_minor=65 * USD)
    alice = j.open_account("customer:alice", "customer", "retail")
    j.post(0, j.claims_issued, alice, "USD", 100 * USD, "deposit", "retail")
    j.post(1, ids["house:exchange"], alice, "USD", 60 * USD, "trade", "house")
    assert j.balance(ids["house:exchange"], "USD") == -60 * USD
    with pytest.raises(LedgerError, match="credit limit of 65000000"):
        j.post(2, ids["house:exchange"], alice, "USD", 5 * USD + 1, "trade", "house")
    j.post(2, ids["house:exchange"], alice, "USD", 5 * USD, "trade", "house")  # exactly at the limit
    assert j.balance(ids["house:exchange"], "USD") == -65 * USD
    assert j.borrowed_customer_funds("USD") == 65 * USD
    j.check()


def test_unlimited_privilege_and_zero_limit() -> None:
    j = Journal()
    free = j.open_account("house:exchange", "house", "house", allow_negative_balance=True)
    zero = j.open_account("customer:mm", "customer", "trading_firm", allow_negative_balance=True, credit_limit_minor=0)
    alice = j.open_account("customer:alice", "customer", "retail")
    j.post(0, free, alice, "USD", 10**15, "trade", "house")
    with pytest.raises(LedgerError, match="credit limit of 0"):
        j.post(0, zero, alice, "USD", 1, "trade", "trading_firm")
    assert j.borrowed_customer_funds("USD") == 10**15
    j.check()


# ---------------------------------------------------------------------- batches


def test_post_many_applies_batch_and_returns_seqs(j: Journal) -> None:
    ext, cust = j.account_id("external:depositors"), j.account_id("custody")
    alice, bob = j.account_id("customer:alice"), j.account_id("customer:bob")
    seqs = j.post_many(
        np.array([1, 2, 3, 4]),
        np.array([ext, j.claims_issued, ext, j.claims_issued]),
        np.array([cust, alice, cust, bob]),
        ["USD", "USD", "BTC", "BTC"],
        np.array([100, 100, 5, 5]),
        "deposit",
        ["depositor", "retail", "depositor", "trading_firm"],
    )
    assert seqs == range(4)
    assert j.balance(alice, "USD") == 100 and j.balance(bob, "BTC") == 5
    assert j.balance(cust, "BTC") == 5 and j.balance(ext, "USD") == -100
    assert j.causes() == ["deposit"]
    assert j.postings()["ref"].tolist() == [-1] * 4
    j.check()


def big_batch(j: Journal, n: int) -> tuple:
    """n customers funded by one deposit each, plus round-robin transfers among them."""
    ext, cust = j.account_id("external:depositors"), j.account_id("custody")
    ids = [j.open_account(f"customer:c{i}", "customer", "retail") for i in range(n)]
    for i in ids:
        deposit(j, j.account(i).name, "USD", 1000)
    return ext, cust, np.array(ids)


@pytest.mark.parametrize("n", [4, 40])  # Python path (small batches) and numpy path
def test_batch_judged_sequentially_dip_mid_batch_is_refused(j: Journal, n: int) -> None:
    _, _, ids = big_batch(j, n)
    a, b = int(ids[0]), int(ids[1])
    pad_f, pad_t = [int(x) for x in ids[2:]], [int(x) for x in np.roll(ids[2:], 1)]
    # a holds 1000, pays 1500 first and receives 600 afterwards: its final balance would be +100,
    # but it dips to -500 mid-batch, so the whole batch is refused.
    before = snapshot(j)
    with pytest.raises(LedgerError, match="batch refused at index 0: 'customer:c0' holds 1000"):
        j.post_many(0, [a, b] + pad_f, [b, a] + pad_t, "USD", [1500, 600] + [1] * (n - 2), "trade", "retail")
    assert snapshot(j) == before
    # the same legs in the other order never dip: accepted
    j.post_many(0, [b, a] + pad_f, [a, b] + pad_t, "USD", [600, 1500] + [1] * (n - 2), "trade", "retail")
    assert j.balance(a, "USD") == 100 and j.balance(b, "USD") == 1900
    j.check()


@pytest.mark.parametrize("n", [4, 64])
def test_batch_error_names_first_failing_index(j: Journal, n: int) -> None:
    _, _, ids = big_batch(j, n)
    f = ids.copy()
    t = np.roll(ids, 1)
    amounts = np.full(n, 10)
    amounts[n - 2] = 5000  # only this one overdraws
    before = snapshot(j)
    with pytest.raises(LedgerError, match=f"batch refused at index {n - 2}:.*below zero"):
        j.post_many(np.arange(n), f, t, "USD", amounts, "trade", "retail")
    assert snapshot(j) == before


def test_batch_refuses_bad_columns_without_change(j: Journal) -> None:
    _, cust, _ = big_batch(j, 3)
    ext = j.account_id("external:depositors")
    before = snapshot(j)
    cases = [
        ({"amounts": [1, 0, 1]}, "index 1: amount_minor"),
        ({"amounts": [1.0, 2.0, 3.0]}, "integers"),
        ({"amounts": [True, True, True]}, "integers"),
        ({"amounts": [1, 2**70, 1]}, "int64|integer"),
        ({"to": [cust, 999, cust]}, "index 1: unknown to_account"),
        ({"to": [cust, ext, cust]}, "index 1: from and to are the same"),
        ({"assets": ["USD", "USD", "ETH"]}, "index 2: unknown asset 'ETH'"),
        ({"assets": [0, 5, 0]}, "index 1: unknown asset index"),
        ({"causes": ["deposit", "", "x"]}, "index 1: causes must be non-empty"),
        ({"classes": [1, 2, 3]}, "classes must hold strings"),
        ({"ts": [1, 2]}, "ts_ns has length 2"),
        ({"amounts": [MAX_BALANCE_MINOR] * 3}, "index 0:.*bound on any balance"),  # exact slow path
    ]
    for override, match in cases:
        kw = {
            "ts": 0,
            "frm": [ext] * 3,
            "to": [cust] * 3,
            "assets": "USD",
            "amounts": [1, 1, 1],
            "causes": "deposit",
            "classes": "depositor",
        }
        kw.update(override)
        with pytest.raises(LedgerError, match=match):
            j.post_many(kw["ts"], kw["frm"], kw["to"], kw["assets"], kw["amounts"], kw["causes"], kw["classes"])
        assert snapshot(j) == before, override


def test_batch_with_huge_amounts_uses_exact_path(j: Journal) -> None:
    ext, cust = j.account_id("external:depositors"), j.account_id("custody")
    market = j.account_id("external:market")
    big = MAX_BALANCE_MINOR // 4
    n = 20
    # sum of amounts far beyond int64: the numpy path cannot be used, the exact path must be right
    f = [ext, cust, market, cust] * (n // 4)
    t = [cust, market, cust, ext] * (n // 4)
    j.post_many(0, f, t, "USD", [big] * n, "x", "y")
    assert j.balance(cust, "USD") == 0 and j.balance(market, "USD") == 0 and j.balance(ext, "USD") == 0
    with pytest.raises(LedgerError, match="index 4: 'external:depositors'.*bound on any balance"):
        j.post_many(0, [ext] * n, [cust, market] * (n // 2), "USD", [big] * n, "x", "y")
    j.check()


def test_empty_batch_is_a_no_op(j: Journal) -> None:
    assert j.post_many(0, [], [], "USD", np.array([], dtype=np.int64), "x", "y") == range(0)
    assert len(j) == 0


# ---------------------------------------------------------------------- transactions


def test_transaction_is_atomic(j: Journal) -> None:
    alice = j.account_id("customer:alice")
    before = snapshot(j)
    with pytest.raises(LedgerError, match="index 1"), j.transaction(0) as tx:
        tx.post(j.account_id("external:depositors"), j.account_id("custody"), "USD", 5, "deposit", "retail")
        tx.post(alice, j.claims_issued, "USD", 5, "withdrawal", "retail")  # alice holds nothing
    assert snapshot(j) == before


def test_transaction_aborted_by_exception_posts_nothing(j: Journal) -> None:
    before = snapshot(j)
    with pytest.raises(RuntimeError), j.transaction(0) as tx:
        tx.post(j.account_id("external:depositors"), j.account_id("custody"), "USD", 5, "deposit", "retail")
        raise RuntimeError("caller changed its mind")
    assert snapshot(j) == before


def test_transaction_commits_and_reports_seqs(j: Journal) -> None:
    deposit(j, "customer:alice", "USD", 5)
    with j.transaction(9) as tx:
        tx.post(j.account_id("customer:alice"), j.account_id("customer:bob"), "USD", 2, "trade", "retail")
        tx.post(j.account_id("customer:bob"), j.account_id("exchange:fees"), "USD", 1, "fee", "retail", ts_ns=10)
    assert tx.seqs == range(2, 4)
    assert j.postings(2)["ts_ns"].tolist() == [9, 10]
    with pytest.raises(LedgerError, match="committed"):
        tx.post(0, 1, "USD", 1, "x", "y")


def test_post_all(j: Journal) -> None:
    ext, cust, alice = j.account_id("external:depositors"), j.account_id("custody"), j.account_id("customer:alice")
    seqs = j.post_all(
        [
            Posting(0, ext, cust, "USD", 10, "deposit", "retail"),
            Posting(0, j.claims_issued, alice, "USD", 10, "deposit", "retail", 7),
        ]
    )
    assert seqs == range(2) and j.postings()["ref"].tolist() == [-1, 7]
    j.check()


# ---------------------------------------------------------------------- check


def test_check_passes_on_consistent_journal(j: Journal) -> None:
    deposit(j, "customer:alice", "USD", 100)
    deposit(j, "customer:bob", "BTC", 3)
    j.check()


def test_check_detects_tampered_balance(j: Journal) -> None:
    deposit(j, "customer:alice", "USD", 100)
    j._bal[j.account_id("customer:alice"), 0] += 1  # corrupt state behind the journal's back
    with pytest.raises(LedgerError, match="postings add up to 100"):
        j.check()


def test_check_detects_tampered_posting(j: Journal) -> None:
    deposit(j, "customer:alice", "USD", 100)
    j._cols["amount_minor"][1] = 0
    with pytest.raises(LedgerError, match="posting 1 has amount 0"):
        j.check()


def test_cross_layer_posting_is_refused(j: Journal) -> None:
    # Units landing in a claim account straight from an external would skip the contra.
    before = snapshot(j)
    ext, alice = j.account_id("external:depositors"), j.account_id("customer:alice")
    with pytest.raises(LedgerError, match="crosses layers"):
        j.post(0, ext, alice, "USD", 5, "oops", "retail")
    with pytest.raises(LedgerError, match="index 1: 'custody' -> 'house:exchange' crosses layers"):
        j.post_many(
            0,
            [ext, j.account_id("custody")],
            [j.account_id("custody"), j.account_id("house:exchange")],
            "USD",
            [5, 5],
            "x",
            "y",
        )
    assert snapshot(j) == before
    assert j.on_claims_layer(j.claims_issued) and j.on_claims_layer(alice) and not j.on_claims_layer(ext)


def test_check_detects_claims_contra_mismatch(j: Journal) -> None:
    # Tamper with the log so that a deposit's claim comes from an external instead of the contra.
    deposit(j, "customer:alice", "USD", 5)
    ext = j.account_id("external:depositors")
    j._cols["from_account"][1] = ext
    j._bal[ext, 0] -= 5
    j._bal[j.claims_issued, 0] += 5
    with pytest.raises(LedgerError, match="claims_issued holds 0 USD but claims sum to 5"):
        j.check()


def test_check_detects_negative_non_privileged(j: Journal) -> None:
    deposit(j, "customer:alice", "USD", 100)
    alice, bob = j.account_id("customer:alice"), j.account_id("customer:bob")
    # Overdraw alice by editing the posting log and the balances consistently (the journal itself
    # would refuse it): replay and sums agree, only the floor check can see it.
    j.post(1, alice, bob, "USD", 100, "trade", "retail")
    j._cols["amount_minor"][2] = 150
    j._bal[alice, 0] = -50
    j._bal[bob, 0] = 150
    with pytest.raises(LedgerError, match="'customer:alice' holds -50 USD, below its floor 0"):
        j.check()


# ---------------------------------------------------------------------- history and export


def test_balance_matrix_upto_seq_replays_history(j: Journal) -> None:
    alice = j.account_id("customer:alice")
    deposit(j, "customer:alice", "USD", 100)
    deposit(j, "customer:alice", "USD", 50)
    j.post(2, alice, j.account_id("customer:bob"), "USD", 30, "trade", "retail")
    assert j.balance_matrix(upto_seq=2)[alice, 0] == 100
    assert j.balance_matrix(upto_seq=4)[alice, 0] == 150
    assert j.balance_matrix(upto_seq=0)[alice, 0] == 0
    assert (j.balance_matrix(upto_seq=len(j)) == j.balance_matrix()).all()


def test_parquet_export_recomputes_balances_in_duckdb(j: Journal, tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    _, _, ids = big_batch(j, 30)
    n = 500
    f = rng.choice(ids, n)
    t = (f - ids[0] + 1 + rng.integers(0, 28, n)) % 30 + ids[0]
    # transfers of 1-2 units among 30 customers holding 1000 each cannot overdraw anyone
    amounts = rng.integers(1, 3, n)
    j.post_many(rng.integers(0, 10**9, n), f, t, "USD", amounts, "trade", "retail")
    deposit(j, "customer:alice", "BTC", 3 * 10**8)
    # an amount beyond 2**53 survives the export exactly
    deposit(j, "customer:bob", "USD", 2**60 + 1)
    ledger_path, accounts_path = j.write_parquet(tmp_path / "run")
    assert ledger_path.name == "ledger.parquet" and accounts_path.name == "accounts.parquet"
    con = duckdb.connect()
    rows = con.execute(
        f"""
        WITH legs AS (
            SELECT to_account::VARCHAR AS account, asset::VARCHAR AS asset, amount_minor::HUGEINT AS d
            FROM read_parquet('{ledger_path}')
            UNION ALL
            SELECT from_account::VARCHAR, asset::VARCHAR, -amount_minor::HUGEINT
            FROM read_parquet('{ledger_path}')
        )
        SELECT a.account, l.asset, SUM(l.d) AS balance
        FROM read_parquet('{accounts_path}') a JOIN legs l ON l.account = a.account
        GROUP BY ALL
        """
    ).fetchall()
    got = {(acct, asset): int(b) for acct, asset, b in rows}
    for acct in j.accounts():
        for asset in j.assets:
            assert got.get((acct.name, asset), 0) == j.balance(acct.id, asset), (acct.name, asset)
    totals = con.execute(
        f"SELECT asset::VARCHAR, SUM(amount_minor::HUGEINT) FROM read_parquet('{ledger_path}') GROUP BY 1"
    ).fetchall()
    assert dict(totals)["BTC"] == 2 * 3 * 10**8
    schema = con.execute(f"DESCRIBE SELECT * FROM read_parquet('{ledger_path}')").fetchall()
    types = {name: typ for name, typ, *_ in schema}
    assert types["amount_minor"] == "BIGINT" and types["from_account"] == "VARCHAR"
    assert [c for c in types] == [
        "seq",
        "ts_ns",
        "from_account",
        "to_account",
        "asset",
        "amount_minor",
        "cause",
        "counterparty_class",
        "ref",
    ]
    accts = con.execute(
        f"SELECT account, kind, class, allow_negative_balance, credit_limit_minor, liquidation_exempt "
        f"FROM read_parquet('{accounts_path}') WHERE account = 'external:market'"
    ).fetchall()
    assert accts == [("external:market", "external", "market", True, None, False)]


def test_open_accounts_is_all_or_nothing_and_columns_follow() -> None:
    j = Journal()
    before = snapshot(j)
    for specs, match in [
        ([("customer:a", "customer", "retail", {}), ("customer:a", "customer", "retail", {})], "opened twice"),
        ([("customer:a", "customer", "retail", {}), ("x", "bank", "retail", {})], "unknown kind"),
        ([("customer:a", "customer", "retail", {"limit": 5})], "unknown options"),
        ([("customer:a", "customer", "retail")], "a spec is"),
    ]:
        with pytest.raises(LedgerError, match=match):
            j.open_accounts(specs)
        assert snapshot(j) == before
    ids = j.open_accounts(
        [
            ("customer:a", "customer", "retail", {}),
            ("customer:mm", "customer", "trading_firm", {"allow_negative_balance": True, "credit_limit_minor": 7}),
            ("custody", "custody", "exchange", {}),
        ]
    )
    assert ids == [1, 2, 3] and j.resolve("customer:mm").id == 2 and j.resolve(3).name == "custody"
    assert j.floors().tolist() == [-MAX_BALANCE_MINOR, 0, -7, 0]
    assert j.claim_mask().tolist() == [False, True, True, False]
