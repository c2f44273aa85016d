"""Accounts: who holds a balance, on which layer, and how far below zero it may go.

Accounts live on one of two layers:

- **claims** on the exchange (`customer:*`, the house's exchange account `house:exchange`, the
  exchange's own `exchange:fees`, `exchange:insurance_fund`): the balance is what the exchange owes
  the holder; a negative balance is a receivable (the holder owes the exchange);
- **holdings** of real units (`custody`, the house's off-exchange books `house:treasury`,
  `house:ventures`, `house:longs`, loans `house:loan:<lender>`, the exchange's receivable from the
  house `exchange:receivable:house`, and the world `external:*`, which may go negative: they are
  where units come from).

The contra `exchange:claims_issued` (on the claims layer, but not itself a claim) ties the layers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np

from hollow.errors import LedgerError
from hollow.ledger.validation import MAX_BALANCE_MINOR, is_bool, is_int

CLAIMS_ISSUED = "exchange:claims_issued"
MAX_ACCOUNTS = 2**31 - 1  # account ids are stored as int32


class AccountKind(StrEnum):
    """Who an account belongs to; with `Account.claim` it fixes the account's layer."""

    CUSTOMER = "customer"
    HOUSE = "house"
    EXCHANGE = "exchange"
    CUSTODY = "custody"
    EXTERNAL = "external"


class Cause(StrEnum):
    """Common posting causes. `post` accepts any non-empty string; these are the shared spellings."""

    DEPOSIT = "deposit"
    ROUTED_DEPOSIT = "deposit:routed"  # the receivable leg of a deposit routed to the house
    WITHDRAWAL = "withdrawal"
    TRADE = "trade"
    FEE = "fee"
    REBATE = "rebate"
    FUNDING = "funding"
    LIQUIDATION = "liquidation"
    INSURANCE = "insurance"
    ADL = "adl"
    INTEREST = "interest"
    LOAN = "loan"
    LOAN_DRAW = "loan:draw"
    LOAN_REPAY = "loan:repay"
    LOAN_INTEREST = "loan:interest"
    REPAYMENT = "repayment"
    CAPITAL = "capital"
    VENTURE = "venture"
    TRANSFER = "transfer"


@dataclass(frozen=True, slots=True)
class Account:
    """One account. `credit_limit_minor` is None for unlimited credit (only meaningful with
    `allow_negative_balance`); `claim` is True for accounts whose balance is a claim on the exchange."""

    id: int
    name: str
    kind: AccountKind
    cls: str
    allow_negative_balance: bool
    credit_limit_minor: int | None
    liquidation_exempt: bool
    fast_order_entry: bool
    claim: bool

    @property
    def floor_minor(self) -> int:
        """Lowest balance this account may reach in any asset."""
        if not self.allow_negative_balance:
            return 0
        if self.credit_limit_minor is None:
            return -MAX_BALANCE_MINOR
        return -self.credit_limit_minor

    @property
    def privileged(self) -> bool:
        """True for a claim account (customer, house or exchange) holding any documented privilege;
        a holdings account allowed negative (a loan, a payable) is a liability, not a privilege."""
        return self.claim and (self.allow_negative_balance or self.liquidation_exempt or self.fast_order_entry)


ACCOUNT_OPTIONS: dict[str, Any] = {
    "allow_negative_balance": False,
    "credit_limit_minor": None,
    "liquidation_exempt": False,
    "fast_order_entry": False,
    "claim": None,
}
"""The keyword options of `Journal.open_account` and their defaults."""


def _flag(value: object, what: str, name: str) -> bool:
    if not is_bool(value):
        raise LedgerError(f"account {name!r}: {what} must be True or False, got {value!r}")
    return bool(value)


class AccountRegistry:
    """The accounts of one journal by id, plus the per-account columns the posting checks read
    (floor, layer) as Python lists for single postings and numpy arrays for batches."""

    def __init__(self) -> None:
        self.accounts: list[Account] = []
        self.by_name: dict[str, int] = {}
        self.floor: list[int] = []
        self.layer: list[bool] = []  # True: claims layer (claim accounts and the contra)
        self.floor_np = np.zeros(16, dtype=np.int64)
        self.claim_np = np.zeros(16, dtype=bool)
        self.layer_np = np.zeros(16, dtype=bool)

    def __len__(self) -> int:
        return len(self.accounts)

    def get(self, account_id: int) -> Account:
        if not is_int(account_id) or not 0 <= account_id < len(self.accounts):
            raise LedgerError(f"unknown account id {account_id!r} ({len(self.accounts)} accounts open)")
        return self.accounts[int(account_id)]

    def id_of(self, name: str) -> int:
        found = self.by_name.get(name) if isinstance(name, str) else None
        if found is None:
            raise LedgerError(f"unknown account {name!r}")
        return found

    def resolve(self, account: int | str) -> Account:
        """An account given by id or by name."""
        return self.get(self.id_of(account) if isinstance(account, str) else account)

    def make(
        self,
        name: str,
        kind: AccountKind | str,
        cls: str,
        *,
        allow_negative_balance: bool,
        credit_limit_minor: int | None,
        liquidation_exempt: bool,
        fast_order_entry: bool,
        claim: bool | None,
    ) -> Account:
        """The account `open_account` would add next, fully validated; changes nothing."""
        if not isinstance(name, str) or not name:
            raise LedgerError(f"account name must be a non-empty string, got {name!r}")
        if name in self.by_name:
            raise LedgerError(f"account {name!r} already exists (id {self.by_name[name]})")
        if len(self.accounts) >= MAX_ACCOUNTS:
            raise LedgerError(f"account {name!r}: a journal holds at most {MAX_ACCOUNTS} accounts")
        try:
            kind = AccountKind(kind)
        except ValueError:
            raise LedgerError(
                f"account {name!r}: unknown kind {kind!r}; use one of {', '.join(k.value for k in AccountKind)}"
            ) from None
        if not isinstance(cls, str) or not cls:
            raise LedgerError(f"account {name!r}: counterparty class must be a non-empty string, got {cls!r}")
        negative = _flag(allow_negative_balance, "allow_negative_balance", name)
        exempt = _flag(liquidation_exempt, "liquidation_exempt", name)
        fast = _flag(fast_order_entry, "fast_order_entry", name)
        if kind is AccountKind.EXTERNAL:
            if credit_limit_minor is not None:
                raise LedgerError(f"account {name!r}: external accounts have unlimited credit; drop credit_limit_minor")
            negative = True  # externals are where units come from
        if credit_limit_minor is not None:
            if not is_int(credit_limit_minor) or not 0 <= credit_limit_minor <= MAX_BALANCE_MINOR:
                raise LedgerError(
                    f"account {name!r}: credit_limit_minor must be an int in [0, 2**62] or None, got {credit_limit_minor!r}"
                )
            if not negative:
                raise LedgerError(
                    f"account {name!r}: credit_limit_minor={credit_limit_minor} needs allow_negative_balance=True"
                )
            credit_limit_minor = int(credit_limit_minor)
        claim = self._layer_of(name, kind, claim)
        return Account(
            id=len(self.accounts),
            name=name,
            kind=kind,
            cls=str(cls),
            allow_negative_balance=negative,
            credit_limit_minor=credit_limit_minor,
            liquidation_exempt=exempt,
            fast_order_entry=fast,
            claim=claim,
        )

    def make_many(self, specs: Sequence[tuple[str, AccountKind | str, str, Mapping[str, Any]]]) -> list[Account]:
        """The accounts `open_accounts` would add for (name, kind, cls, options) specs, all
        validated (names distinct from each other too); changes nothing."""
        if not isinstance(specs, Sequence):
            raise LedgerError(f"open_accounts refused: expected a sequence of specs, got {specs!r}")
        made: list[Account] = []
        names: set[str] = set()
        for i, spec in enumerate(specs):
            if not isinstance(spec, tuple) or len(spec) != 4 or not isinstance(spec[3], Mapping):
                raise LedgerError(f"open_accounts refused at index {i}: a spec is (name, kind, cls, options), got {spec!r}")
            name, kind, cls, options = spec
            unknown = set(options) - set(ACCOUNT_OPTIONS)
            if unknown:
                raise LedgerError(f"account {name!r}: unknown options {sorted(unknown)}")
            acct = self.make(name, kind, cls, **(ACCOUNT_OPTIONS | dict(options)))
            if name in names:
                raise LedgerError(f"account {name!r} is opened twice in one call")
            if acct.id + len(made) >= MAX_ACCOUNTS:
                raise LedgerError(f"account {name!r}: a journal holds at most {MAX_ACCOUNTS} accounts")
            made.append(dataclasses.replace(acct, id=acct.id + len(made)))
            names.add(name)
        return made

    @staticmethod
    def _layer_of(name: str, kind: AccountKind, claim: bool | None) -> bool:
        """Default layer by kind (house accounts: only `house:exchange[:*]` are claims); an explicit
        choice must fit the kind: customers hold claims, custody and externals hold units."""
        if claim is None:
            if kind is AccountKind.HOUSE:
                parts = name.split(":")
                return len(parts) >= 2 and parts[1] == "exchange"
            return kind in (AccountKind.CUSTOMER, AccountKind.EXCHANGE)
        claim = _flag(claim, "claim", name)
        if claim and kind in (AccountKind.CUSTODY, AccountKind.EXTERNAL):
            raise LedgerError(f"account {name!r}: a {kind} account holds units, it cannot be a claim (claim=True)")
        if not claim and kind is AccountKind.CUSTOMER:
            raise LedgerError(f"account {name!r}: a customer account is a claim on the exchange (claim=False refused)")
        return claim

    def add(self, acct: Account) -> None:
        """Append an account made by `make` (its id is the next one)."""
        i = acct.id
        if i >= self.floor_np.shape[0]:
            cap = 2 * self.floor_np.shape[0]
            self.floor_np = np.concatenate((self.floor_np, np.zeros(cap - i, dtype=np.int64)))
            self.claim_np = np.concatenate((self.claim_np, np.zeros(cap - i, dtype=bool)))
            self.layer_np = np.concatenate((self.layer_np, np.zeros(cap - i, dtype=bool)))
        on_claims_layer = acct.claim or acct.name == CLAIMS_ISSUED
        self.accounts.append(acct)
        self.by_name[acct.name] = i
        self.floor.append(acct.floor_minor)
        self.layer.append(on_claims_layer)
        self.floor_np[i] = acct.floor_minor
        self.claim_np[i] = acct.claim
        self.layer_np[i] = on_claims_layer
