"""Property: random sequences of valid and invalid calls to every ledger entry point.

A call either succeeds (and the journal's invariants still hold) or raises `LedgerError` and leaves
everything observable exactly as it was: postings, balances, accounts, assets, causes, classes,
the withdrawal queues and the next request id. Any other exception fails the test.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import hypothesis.strategies as st
import numpy as np
from hypothesis import HealthCheck, event, settings
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from hollow.errors import LedgerError
from hollow.ledger import Custody, Journal, open_standard_accounts
from hollow.ledger.loans import Loans

BAD_NUMBERS: list[Any] = [
    True, False, np.True_, 1.0, float("nan"), float("inf"), np.float64(2), -1, 0, 2**62 + 1, 2**63, 2**70,
    -(2**70), np.uint64(2**63), "1", None, [1], b"x",
]  # fmt: skip
BAD_TS: list[Any] = [-1, 2**63, 2**70, True, np.True_, 1.5, None, "0", float("nan")]
BAD_REFS: list[Any] = [-2, 2**63, True, 0.5, None]
BAD_STRINGS: list[Any] = ["", None, 1, b"x", True, ["trade"]]
BAD_ASSETS: list[Any] = ["DOGE", "usd", "", None, 0, True, ["USD"]]
BAD_ACCOUNTS: list[Any] = [-1, 10**6, True, np.True_, 1.5, None, "customer:nobody", [1]]

ts_s = st.one_of(st.integers(0, 10**12), st.sampled_from(BAD_TS))
refs = st.one_of(st.just(-1), st.integers(0, 10**9), st.sampled_from(BAD_REFS))
amounts = st.one_of(st.integers(1, 300), st.integers(1, 300), st.sampled_from(BAD_NUMBERS))
assets = st.one_of(st.sampled_from(["USD", "BTC", "USD"]), st.sampled_from(BAD_ASSETS))
causes = st.one_of(st.sampled_from(["trade", "fee", "venture"]), st.sampled_from(BAD_STRINGS))
flags = st.one_of(st.booleans(), st.sampled_from(["no", 1, None, np.True_]))


def snapshot(j: Journal, c: Custody) -> tuple:
    cols = {k: v.tolist() for k, v in j.postings().items()}
    queues = (c.pending(), c._next_request, c.halted)
    return len(j), j.balance_matrix().tolist(), cols, j.accounts(), j.assets, j.causes(), j.classes(), queues


class MisuseMachine(RuleBasedStateMachine):
    @initialize()
    def start(self) -> None:
        self.j = Journal(("USD", "BTC"))
        self.ids = open_standard_accounts(self.j, house_allow_negative_balance=True, house_credit_limit_minor=10**4)
        for name in ("a", "b", "c"):
            self.ids[name] = self.j.open_account(f"customer:{name}", "customer", "retail")
        self.custody = Custody(self.j)
        self.loans = Loans(self.j)
        self.loans.open_lender("genesis")
        for name in ("a", "b"):
            self.custody.deposit(0, self.ids[name], "USD", 1_000)
        self.n_new = 0

    def accounts(self) -> st.SearchStrategy:
        valid = sorted(self.ids.values())
        return st.one_of(st.sampled_from(valid), st.sampled_from(valid), st.sampled_from(BAD_ACCOUNTS))

    def legs(self, data: st.DataObject, n: int) -> list[tuple]:
        """`n` legs: all well formed (often accepted), one bad field in otherwise good legs, or noise."""
        mode = data.draw(st.sampled_from(["clean", "one_bad", "noise"]))
        if mode == "noise":
            return [
                (data.draw(ts_s), data.draw(self.accounts()), data.draw(self.accounts()), data.draw(assets),
                 data.draw(amounts), data.draw(causes), data.draw(causes), data.draw(refs))
                for _ in range(n)
            ]  # fmt: skip
        i = self.ids
        pairs = [(i["a"], i["b"]), (i["b"], i["a"]), (i["a"], i["c"]), (i["external:market"], i["custody"]),
                 (i["custody"], i["house:treasury"]), (i["house:exchange"], i["c"])]  # fmt: skip
        rows = []
        for _ in range(n):
            f, t = data.draw(st.sampled_from(pairs))
            rows.append([data.draw(st.integers(0, 10**9)), f, t, data.draw(st.sampled_from(["USD", "BTC"])),
                         data.draw(st.integers(1, 300)), "trade", "retail", -1])  # fmt: skip
        if mode == "one_bad" and rows:
            k = data.draw(st.integers(0, 7))
            pool = [BAD_TS, BAD_ACCOUNTS, BAD_ACCOUNTS, BAD_ASSETS, BAD_NUMBERS, BAD_STRINGS, BAD_STRINGS, BAD_REFS][k]
            rows[data.draw(st.integers(0, n - 1))][k] = data.draw(st.sampled_from(pool))
        return [tuple(r) for r in rows]

    def _attempt(self, what: str, call: Callable[[], object]) -> None:
        before = snapshot(self.j, self.custody)
        try:
            call()
        except LedgerError:
            event(f"{what} refused")
            assert snapshot(self.j, self.custody) == before, what
        else:
            event(f"{what} accepted")

    @rule(data=st.data())
    def post(self, data: st.DataObject) -> None:
        ((ts, f, t, asset, amount, cause, cls, ref),) = self.legs(data, 1)
        self._attempt("post", lambda: self.j.post(ts, f, t, asset, amount, cause, cls, ref))

    @rule(data=st.data(), n=st.integers(0, 12), form=st.sampled_from(["list", "array", "object"]), scalar_ts=ts_s)
    def post_many(self, data: st.DataObject, n: int, form: str, scalar_ts: Any) -> None:
        rows = self.legs(data, n)
        cols: list[Any] = [list(c) for c in zip(*rows)] if rows else [[] for _ in range(8)]
        if form != "list":
            for k in (1, 2, 4):  # accounts and amounts as numpy arrays, which may coerce or fail
                try:
                    cols[k] = np.array(cols[k], dtype=object if form == "object" else None)
                except (ValueError, TypeError, OverflowError):
                    pass
        ts_col = scalar_ts if data.draw(st.integers(0, 3)) == 0 else cols[0]
        self._attempt("post_many", lambda: self.j.post_many(ts_col, cols[1], cols[2], cols[3], cols[4], cols[5], cols[6], cols[7]))

    @rule(data=st.data(), n=st.integers(0, 4), arity=st.sampled_from([7, 8, 8, 3]))
    def post_all_and_transaction(self, data: st.DataObject, n: int, arity: int) -> None:
        rows = [leg[:arity] for leg in self.legs(data, n)]
        self._attempt("post_all", lambda: self.j.post_all(rows))

        def tx() -> None:
            with self.j.transaction(data.draw(ts_s)) as t:
                for r in rows:
                    if len(r) >= 7:
                        t.post(*r[1:7])

        self._attempt("transaction", tx)

    @rule(
        name=st.sampled_from(["customer:a", "custody", "new", "", None, ["x"]]),
        kind=st.sampled_from(["customer", "house", "external", "custody", "exchange", "bank", None]),
        cls=causes,
        negative=flags,
        limit=st.sampled_from([None, None, 0, 50, -1, True, 2**63, 1.5]),
        claim=st.sampled_from([None, None, True, False, "yes"]),
    )
    def open_account(self, name: Any, kind: Any, cls: Any, negative: Any, limit: Any, claim: Any) -> None:
        if name == "new":
            name = f"customer:new{self.n_new}"

        def call() -> None:
            i = self.j.open_account(
                name, kind, cls, allow_negative_balance=negative, credit_limit_minor=limit, claim=claim
            )
            self.ids[name] = i
            self.n_new += 1

        self._attempt("open_account", call)

    @rule(code=st.sampled_from(["ETH", "SOL", "USD", "DOGE", None, ["ETH"], 3]))
    def add_asset(self, code: Any) -> None:
        self._attempt("add_asset", lambda: self.j.add_asset(code))

    def args(self, data: st.DataObject) -> tuple[Any, Any, Any, Any]:
        """(ts, account, asset, amount) for custody and loan calls: all good, or each maybe bad."""
        if data.draw(st.booleans()):
            who = data.draw(st.sampled_from([self.ids[n] for n in ("a", "b", "c", "house:exchange")]))
            return data.draw(st.integers(0, 10**9)), who, data.draw(st.sampled_from(["USD", "BTC"])), data.draw(st.integers(1, 300))
        return data.draw(ts_s), data.draw(self.accounts()), data.draw(assets), data.draw(amounts)

    @rule(
        data=st.data(), ref=refs,
        route=st.sampled_from([None, None, None, "house:treasury", "customer:b", "external:market", True]),
        source=st.sampled_from([None, None, None, "external:market", "house:treasury", 5.0]),
    )  # fmt: skip
    def deposit(self, data: st.DataObject, ref: Any, route: Any, source: Any) -> None:
        ts, who, asset, amount = self.args(data)
        self._attempt("deposit", lambda: self.custody.deposit(ts, who, asset, amount, route_to=route, source=source, ref=ref))

    @rule(data=st.data())
    def route_to_house(self, data: st.DataObject) -> None:
        ts, who, asset, amount = self.args(data)
        self._attempt("route", lambda: self.custody.route_deposit_to_house(ts, who, asset, amount))

    @rule(
        data=st.data(),
        hook=st.sampled_from([None, None, lambda a, s, x: True, lambda a, s, x: False, "hook"]),
        dest=st.sampled_from([None, None, None, "house:treasury", "external:market", "customer:b", "custody", 0]),
    )
    def withdraw(self, data: st.DataObject, hook: Any, dest: Any) -> None:
        ts, who, asset, amount = self.args(data)
        self._attempt("withdraw", lambda: self.custody.withdraw(ts, who, asset, amount, hook, destination=dest))

    @rule(ts=ts_s, amount=st.integers(1, 2_000))
    def custody_leaks(self, ts: Any, amount: int) -> None:
        """Units leave custody behind the customers' backs, so that withdrawals queue."""
        i = self.ids
        self._attempt("leak", lambda: self.j.post(ts, i["custody"], i["external:market"], "USD", amount, "venture", "house"))

    @rule(ts=ts_s)
    def process_queue(self, ts: Any) -> None:
        self._attempt("process_queue", lambda: self.custody.process_queue(ts))

    @rule(request=st.sampled_from([0, 1, 2, 5, True, "1", None, 1.0]))
    def cancel(self, request: Any) -> None:
        self._attempt("cancel", lambda: self.custody.cancel(request))

    @rule(halt=st.booleans())
    def halt_or_resume(self, halt: bool) -> None:
        self.custody.halt() if halt else self.custody.resume()

    @rule(
        data=st.data(),
        lender=st.sampled_from(["genesis", "genesis", "genesis", "nobody", "", None]),
        op=st.sampled_from(["draw", "draw", "repay", "charge_interest"]),
    )
    def loan(self, data: st.DataObject, lender: Any, op: str) -> None:
        ts, _, asset, amount = self.args(data)
        self._attempt(f"loan {op}", lambda: getattr(self.loans, op)(ts, lender, asset, amount))

    @invariant()
    def invariants_hold(self) -> None:
        self.j.check()


TestMisuseMachine = MisuseMachine.TestCase
TestMisuseMachine.settings = settings(
    max_examples=120, stateful_step_count=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
