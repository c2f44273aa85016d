"""The world's one journal: its assets, its accounts by counterparty class, and the few movements every
part of the world makes (onto the exchange, off it, between holdings), each an atomic batch.

Accounts (see docs/world.md): the standard exchange accounts (`open_standard_accounts`: custody, the
house's exchange account with its privileges, its treasury, ventures, longs, the routed-deposit pair),
the depositors (`customer:<class>:<n>`), one trading desk per trading class (`customer:desk:<class>`),
its off-venue book (`external:offvenue:<class>`), the house's pledged collateral
(`house:collateral:<lender>`) and insider loans (`house:insider_loans`), the token's issuer, burn sink,
rival and the exchange's token treasury (`exchange:token_treasury`, holdings, not reserves), and the
world outside (`external:expenses`, `external:insiders`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np

from hollow.ledger import Journal, open_standard_accounts
from hollow.ledger.journal import AccountKind
from hollow.money import USD, register_asset
from hollow.world.scenario import Scenario

VENTURE = register_asset("VENTURE", 6, liquid=False, exist_ok=True)  # a venture stake, one unit per USD of cost
NOTE = register_asset("NOTE", 6, liquid=False, exist_ok=True)  # an insider's note, one unit per USD of face
ASSETS = ("USD", "BTC", "ETH", "SOL", "FTT", "LUNA", VENTURE.code, NOTE.code)
NS_PER_DAY = 86_400 * 10**9
EPOCH = dt.date(1970, 1, 1)

HOUSE_EXCHANGE, TREASURY, VENTURES, LONGS = "house:exchange", "house:treasury", "house:ventures", "house:longs"
INSIDER_LOANS = "house:insider_loans"
EXPENSES, INSIDERS, MARKET, DEPOSITORS = "external:expenses", "external:insiders", "external:market", "external:depositors"
FEES, INSURANCE = "exchange:fees", "exchange:insurance_fund"
TOKEN_ISSUER, TOKEN_BURNED, RIVAL, TOKEN_TREASURY = "external:token_issuer", "external:token_burned", "external:rival", "exchange:token_treasury"


def ts_of(day: dt.date, step: int) -> int:
    """A posting time: the day's midnight UTC plus `step` ns (steps order the day's parts)."""
    return (day - EPOCH).days * NS_PER_DAY + step


class Books:
    """The journal and the ids of its named accounts."""

    def __init__(self, scenario: Scenario) -> None:
        p = scenario.house.privileges
        limit = None if p.credit_limit_usd is None else USD.to_minor(p.credit_limit_usd)
        self.journal = j = Journal(ASSETS)
        self.ids = open_standard_accounts(
            j, house_allow_negative_balance=p.allow_negative_balance,
            house_credit_limit_minor=limit if p.allow_negative_balance else None,
            house_liquidation_exempt=p.liquidation_exempt, house_fast_order_entry=p.fast_order_entry,
        )
        K = AccountKind
        extra = [
            (INSIDER_LOANS, K.HOUSE, "house", {}),
            (EXPENSES, K.EXTERNAL, "expense", {}),
            (INSIDERS, K.EXTERNAL, "insider", {}),
            (TOKEN_ISSUER, K.EXTERNAL, "token_issuer", {}),
            (TOKEN_BURNED, K.EXTERNAL, "burn", {}),
            (RIVAL, K.EXTERNAL, "rival", {}),
            (TOKEN_TREASURY, K.EXCHANGE, "exchange", {"claim": False}),
        ]
        self.ids.update(zip([e[0] for e in extra], j.open_accounts(extra), strict=True))
        self.custody = self.ids["custody"]
        self.claims = j.claims_issued
        self._customers = np.zeros(0, dtype=bool)
        self.cache: dict[str, object] = {}  # views derived from the accounts, rebuilt when accounts open

    def id(self, name: str) -> int:
        return self.ids[name]

    def ensure(self, name: str, kind: AccountKind, cls: str, **flags: object) -> int:
        """The id of `name`, opened now if it is new."""
        found = self.ids.get(name)
        if found is None:
            found = self.ids[name] = self.journal.open_accounts([(name, kind, cls, flags)])[0]
        return found

    def balance(self, name_or_id: str | int, asset: str) -> int:
        i = self.ids[name_or_id] if isinstance(name_or_id, str) else name_or_id
        return self.journal.balance(i, asset)

    def customers(self) -> np.ndarray:
        """Mask (by account id) of customer accounts, kept up to date as accounts open."""
        n = self.journal.n_accounts
        if len(self._customers) != n:
            self._customers = np.array([a.kind is AccountKind.CUSTOMER for a in self.journal.accounts()], dtype=bool)
        return self._customers

    def owed_to_customers(self, asset: str) -> int:
        """Sum of customers' positive balances in `asset` (minor units, exact)."""
        col = self.journal.balances(asset)[self.customers()]
        return sum(col[col > 0].tolist())

    def post(self, ts: int, legs: Sequence[tuple[int, int, str, int, str, str]]) -> None:
        """Post (from, to, asset, amount, cause, class) legs as one atomic batch; zero amounts are skipped."""
        rows = [leg for leg in legs if leg[3] > 0]
        if rows:
            f, t, a, x, c, k = zip(*rows)
            self.journal.post_many(ts, list(f), list(t), list(a), list(x), list(c), list(k))

    def onto_exchange(self, holder: int, source: int, asset: str, amount: int, cause: str, cls: str) -> list[tuple]:
        """Legs of units arriving in custody from `source` and a claim for them issued to `holder`."""
        return [(source, self.custody, asset, amount, cause, cls), (self.claims, holder, asset, amount, cause, cls)]

    def off_exchange(self, holder: int, dest: int, asset: str, amount: int, cause: str, cls: str) -> list[tuple]:
        """Legs of `holder`'s claim extinguished and the units paid out of custody to `dest`."""
        return [(holder, self.claims, asset, amount, cause, cls), (self.custody, dest, asset, amount, cause, cls)]
