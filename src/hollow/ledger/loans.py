"""Loans to the house: a lender's claim on the house, drawn, charged interest and repaid.

Each lender has two holdings-layer accounts:

- `house:loan:<lender>` (house, allowed negative): minus what the house owes the lender, principal
  plus unpaid interest; the house's books show the debt beside the cash it brought;
- `external:lender:<lender>` (class "lender"): the lender in the world; lending cash for a claim
  leaves its balance unchanged, so the balance is its net gain from the loan (interest charged).

    draw X      external:lender -> house:treasury X (cash arrives), house:loan -> external:lender X
    interest I  house:loan -> external:lender I (the debt grows; no cash moves)
    repay Y     house:treasury -> external:lender Y (cash leaves), external:lender -> house:loan Y

Causes `loan:draw`, `loan:interest`, `loan:repay`; counterparty class "lender". Each call is one
atomic batch: refused calls raise `LedgerError` and change nothing.
"""

from __future__ import annotations

from hollow.errors import LedgerError
from hollow.ledger.accounts import AccountKind, Cause
from hollow.ledger.journal import Journal
from hollow.ledger.validation import MAX_BALANCE_MINOR, require_int, require_name
from hollow.money import PPM

LOAN_PREFIX = "house:loan:"
LENDER_PREFIX = "external:lender:"
LENDER_CLASS = "lender"


class Loans:
    """Loans from named lenders to the house, booked in `journal` against `treasury_account`."""

    def __init__(self, journal: Journal, treasury_account: str = "house:treasury") -> None:
        self.journal = journal
        treasury = journal.resolve(treasury_account)
        if treasury.kind is not AccountKind.HOUSE or treasury.claim:
            raise LedgerError(f"loans: {treasury_account!r} must be a house holdings account (the house's cash)")
        self.treasury = treasury.id

    def open_lender(self, lender: str) -> int:
        """Open `house:loan:<lender>` and `external:lender:<lender>`; returns the loan account's id."""
        require_name(lender, "lender", "loans")
        loan, _ = self.journal.open_accounts(
            [
                (LOAN_PREFIX + lender, AccountKind.HOUSE, "house", {"allow_negative_balance": True}),
                (LENDER_PREFIX + lender, AccountKind.EXTERNAL, LENDER_CLASS, {}),
            ]
        )
        return loan

    def lenders(self) -> list[str]:
        """Lenders with an open loan account, in the order they were opened."""
        return [a.name[len(LOAN_PREFIX) :] for a in self.journal.accounts() if a.name.startswith(LOAN_PREFIX)]

    def _accounts(self, lender: str) -> tuple[int, int]:
        require_name(lender, "lender", "loans")
        j = self.journal
        if not j.has_account(LOAN_PREFIX + lender) or not j.has_account(LENDER_PREFIX + lender):
            raise LedgerError(f"loans: unknown lender {lender!r}; open it with open_lender()")
        return j.account_id(LOAN_PREFIX + lender), j.account_id(LENDER_PREFIX + lender)

    def owed(self, lender: str, asset: str) -> int:
        """What the house owes `lender` in `asset` (principal plus unpaid interest), >= 0."""
        loan, _ = self._accounts(lender)
        return -self.journal.balance(loan, asset)

    def interest_due(self, lender: str, asset: str, rate_ppm: int) -> int:
        """Interest for one period at `rate_ppm` on what is owed, rounded up (in the lender's
        favour, as a lender's contract would); pass it to `charge_interest`."""
        rate = require_int(rate_ppm, "rate_ppm", 0, PPM, "loans")
        return -(-self.owed(lender, asset) * rate // PPM)

    def _post(self, ts_ns: int, legs: list[tuple[int, int]], asset: str, amount_minor: int, cause: str, ref: int) -> range:
        require_int(amount_minor, "amount_minor", 1, MAX_BALANCE_MINOR, "loans")
        with self.journal.transaction(ts_ns) as tx:
            for src, dst in legs:
                tx.post(src, dst, asset, amount_minor, cause, LENDER_CLASS, ref)
        assert tx.seqs is not None
        return tx.seqs

    def draw(self, ts_ns: int, lender: str, asset: str, amount_minor: int, *, ref: int = -1) -> range:
        """The house borrows `amount_minor` of `asset`: cash into its treasury, debt on its books."""
        loan, ext = self._accounts(lender)
        return self._post(ts_ns, [(ext, self.treasury), (loan, ext)], asset, amount_minor, Cause.LOAN_DRAW, ref)

    def charge_interest(self, ts_ns: int, lender: str, asset: str, amount_minor: int, *, ref: int = -1) -> range:
        """Add `amount_minor` of interest to what the house owes (see `interest_due`)."""
        loan, ext = self._accounts(lender)
        return self._post(ts_ns, [(loan, ext)], asset, amount_minor, Cause.LOAN_INTEREST, ref)

    def repay(self, ts_ns: int, lender: str, asset: str, amount_minor: int, *, ref: int = -1) -> range:
        """Pay `amount_minor` back out of the treasury; refused above what is owed or held."""
        loan, ext = self._accounts(lender)
        owed = self.owed(lender, asset)
        if require_int(amount_minor, "amount_minor", 1, MAX_BALANCE_MINOR, "loans") > owed:
            raise LedgerError(f"loans: repaying {amount_minor} {asset} to {lender!r}, who is owed only {owed}")
        return self._post(ts_ns, [(self.treasury, ext), (ext, loan)], asset, amount_minor, Cause.LOAN_REPAY, ref)

