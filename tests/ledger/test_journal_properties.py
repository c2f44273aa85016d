"""Property tests: random postings and batches against a plain-Python model of the journal.

The model applies the journal's rules one posting at a time with Python ints; the journal must
agree with it exactly, accept what the model accepts, refuse what it refuses without any change,
and keep its invariants (sum zero per asset, contra = -claims, floors) after every step.
"""

from __future__ import annotations

import hypothesis.strategies as st
from hypothesis import HealthCheck, event, given, settings
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from hollow.errors import LedgerError
from hollow.ledger import MAX_BALANCE_MINOR, AccountKind, Journal

ASSETS = ("USD", "BTC")
# name, kind, cls, allow_negative, credit limit
SPECS = [
    ("custody", AccountKind.CUSTODY, "exchange", False, None),
    ("external:depositors", AccountKind.EXTERNAL, "depositor", True, None),
    ("external:market", AccountKind.EXTERNAL, "market", True, None),
    ("house:treasury", AccountKind.HOUSE, "house", False, None),
    ("house:exchange", AccountKind.HOUSE, "house", True, None),  # unlimited privilege
    ("customer:mm", AccountKind.CUSTOMER, "trading_firm", True, 50),  # limited credit
    ("customer:a", AccountKind.CUSTOMER, "retail", False, None),
    ("customer:b", AccountKind.CUSTOMER, "retail", False, None),
    ("customer:c", AccountKind.CUSTOMER, "arbitrageur", False, None),
    ("exchange:fees", AccountKind.EXCHANGE, "exchange", False, None),
]
N_ACCOUNTS = len(SPECS) + 1  # plus the contra, id 0

amounts = st.one_of(
    st.integers(min_value=-3, max_value=120),
    st.sampled_from([0, 1, MAX_BALANCE_MINOR // 3, MAX_BALANCE_MINOR, MAX_BALANCE_MINOR + 1]),
)
CLAIMS_LAYER = [0, 5, 6, 7, 8, 9, 10]  # contra, house:exchange, customers, exchange:fees
HOLDINGS_LAYER = [1, 2, 3, 4]  # custody, externals, house:treasury
any_leg = st.tuples(st.integers(0, N_ACCOUNTS - 1), st.integers(0, N_ACCOUNTS - 1), st.sampled_from(ASSETS), amounts)
# Mostly well-formed legs (same layer, sensible amount), so that long batches are often accepted
# and the floor check, not a malformed leg, decides.
good_leg = st.one_of(
    *(
        st.tuples(st.sampled_from(layer), st.sampled_from(layer), st.sampled_from(ASSETS), st.integers(1, 60)).filter(
            lambda leg: leg[0] != leg[1]
        )
        for layer in (CLAIMS_LAYER, HOLDINGS_LAYER)
    )
)
legs = st.one_of(good_leg, good_leg, good_leg, any_leg)
batches = st.one_of(st.lists(good_leg, min_size=1, max_size=30), st.lists(legs, min_size=1, max_size=30))


def new_journal() -> Journal:
    j = Journal(ASSETS)
    for name, kind, cls, neg, limit in SPECS:
        j.open_account(name, kind, cls, allow_negative_balance=neg, credit_limit_minor=limit)
    return j


def state(j: Journal) -> tuple:
    return len(j), j.balance_matrix().tolist(), j.to_arrow().to_pylist(), j.causes(), j.classes()


class Model:
    """The journal's rules, one posting at a time, in plain Python."""

    def __init__(self, j: Journal) -> None:
        self.floor = [a.floor_minor for a in j.accounts()]
        self.layer = [j.on_claims_layer(a.id) for a in j.accounts()]
        self.bal = {(i, a): 0 for i in range(N_ACCOUNTS) for a in ASSETS}

    def apply(self, legs: list[tuple[int, int, str, int]]) -> bool:
        """Apply all legs or none; True if applied."""
        trial = dict(self.bal)
        for f, t, asset, x in legs:
            if not 0 < x <= MAX_BALANCE_MINOR or f == t or self.layer[f] != self.layer[t]:
                return False
            if trial[f, asset] - x < self.floor[f] or trial[t, asset] + x > MAX_BALANCE_MINOR:
                return False
            trial[f, asset] -= x
            trial[t, asset] += x
        self.bal = trial
        return True


class JournalMachine(RuleBasedStateMachine):
    @initialize(funded=st.booleans())
    def start(self, funded: bool) -> None:
        self.j = new_journal()
        self.model = Model(self.j)
        self.ts = 0
        if funded:  # start with balances, so that long batches are often accepted
            opening = [(0, who, a, 2_000) for who in CLAIMS_LAYER[1:] for a in ASSETS]
            opening += [(2, who, a, 2_000) for who in (1, 4) for a in ASSETS]
            self._attempt(opening, batch=True)

    def _attempt(self, legs: list[tuple[int, int, str, int]], batch: bool) -> None:
        before = state(self.j)
        expect = self.model.apply(legs)
        self.ts += 1
        try:
            if batch:
                f, t, a, x = (list(c) for c in zip(*legs))
                classes = ["retail", "house"] * (len(legs) // 2) + ["retail"] * (len(legs) % 2)
                self.j.post_many(self.ts, f, t, a, x, "trade", classes)
            else:
                ((f, t, a, x),) = legs
                self.j.post(self.ts, f, t, a, x, "trade", "retail")
            accepted = True
        except LedgerError:
            accepted = False
        assert accepted == expect, legs
        event(
            f"{'batch' if batch else 'single'} of {'>8' if len(legs) > 8 else '<=8'} legs {'accepted' if accepted else 'refused'}"
        )
        if not accepted:
            assert state(self.j) == before

    @rule(leg=legs)
    def single(self, leg: tuple[int, int, str, int]) -> None:
        self._attempt([leg], batch=False)

    @rule(batch=batches)
    def many(self, batch: list[tuple[int, int, str, int]]) -> None:
        self._attempt(batch, batch=True)

    @rule(
        who=st.integers(0, N_ACCOUNTS - 1),
        asset=st.sampled_from(ASSETS),
        x=st.integers(1, 200),
        via_house=st.booleans(),
    )
    def deposit(self, who: int, asset: str, x: int, via_house: bool) -> None:
        """A deposit as two legs (sometimes routed to the house's treasury, fiat@ftx style)."""
        holder = 4 if via_house else 1  # house:treasury or custody
        self._attempt([(2, holder, asset, x), (0, who, asset, x)], batch=True)

    @invariant()
    def agrees_with_model_and_invariants_hold(self) -> None:
        j = self.j
        for k, asset in enumerate(ASSETS):
            col = j.balances(asset)
            assert sum(col.tolist()) == 0
            assert col.tolist() == [self.model.bal[i, asset] for i in range(N_ACCOUNTS)]
            for acct in j.accounts():
                if not acct.allow_negative_balance:
                    assert col[acct.id] >= 0
            claims = sum(int(col[a.id]) for a in j.accounts() if a.claim)
            assert int(col[j.claims_issued]) == -claims
        j.check()


TestJournalMachine = JournalMachine.TestCase
TestJournalMachine.settings = settings(
    max_examples=150, stateful_step_count=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@settings(max_examples=150, deadline=None)
@given(
    batch=st.one_of(st.lists(good_leg, min_size=9, max_size=60), st.lists(legs, min_size=9, max_size=60)),
    seed_amount=st.integers(0, 500),
)
def test_vectorised_batch_equals_one_by_one(batch: list[tuple[int, int, str, int]], seed_amount: int) -> None:
    """A batch (numpy path, > 8 legs) is accepted iff posting its legs one by one would accept them
    all, and then leaves the same balances; otherwise it changes nothing."""
    j1, j2 = new_journal(), new_journal()
    for j in (j1, j2):
        for who in range(1, N_ACCOUNTS) if seed_amount else ():
            source = 0 if j.on_claims_layer(who) else 2  # the contra or external:depositors
            for asset in ASSETS:
                if who != source:
                    j.post(0, source, who, asset, seed_amount, "deposit", "retail")
    before = state(j1)
    f, t, a, x = (list(c) for c in zip(*batch))
    try:
        j1.post_many(1, f, t, a, x, "trade", "retail")
        batch_ok = True
    except LedgerError:
        batch_ok = False
        assert state(j1) == before
    one_by_one_ok = True
    for leg in batch:
        try:
            j2.post(1, *leg, "trade", "retail")
        except LedgerError:
            one_by_one_ok = False
            break
    assert batch_ok == one_by_one_ok
    event(f"batch {'accepted' if batch_ok else 'refused'}")
    if batch_ok:
        assert j1.balance_matrix().tolist() == j2.balance_matrix().tolist()
        assert j1.to_arrow().equals(j2.to_arrow())
        j1.check()
