"""Deposits and withdrawals: the only way units enter or leave the exchange's custody.

A deposit is two postings in one atomic batch: units arrive (`external:depositors -> custody`, or
wherever the exchange routes them, e.g. `house:treasury` for FTX's fiat@ftx.com) and a claim is issued
(`exchange:claims_issued -> account`). A withdrawal extinguishes the claim and pays units out of
custody. Withdrawals are paid only from custody holdings of the asset; when custody cannot pay, the
request waits in a FIFO queue per asset (no later request of that asset is paid before it). A
venue-wide `halt()` refuses every withdrawal (invariant 7 of the reference: halt all, not some).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from hollow.errors import LedgerError
from hollow.ledger.journal import Account, AccountKind, Cause, Journal

MarginCheck = Callable[[int, str, int], bool]
"""`margin_ok(account_id, asset, amount_minor)`: True if the account may withdraw that amount."""


class WithdrawalStatus(StrEnum):
    PAID = "paid"
    QUEUED = "queued"
    REFUSED = "refused"


class WithdrawalReason(StrEnum):
    OK = "ok"
    HALTED = "halted"
    INSUFFICIENT_BALANCE = "insufficient_balance"  # the account's claim (plus any credit) is too small
    MARGIN = "margin"  # the margin hook said no
    INSUFFICIENT_CUSTODY = "insufficient_custody"  # queued: custody lacks the units now
    QUEUE_AHEAD = "queue_ahead"  # queued: earlier requests of this asset are waiting


@dataclass(frozen=True, slots=True)
class WithdrawalResult:
    """Outcome of one withdrawal request; `seqs` are the journal postings when paid."""

    request_id: int
    account: int
    asset: str
    amount_minor: int
    status: WithdrawalStatus
    reason: WithdrawalReason
    ts_ns: int
    seqs: range | None = None

    @property
    def paid(self) -> bool:
        return self.status is WithdrawalStatus.PAID


@dataclass(frozen=True, slots=True)
class PendingWithdrawal:
    request_id: int
    ts_ns: int
    account: int
    asset: str
    amount_minor: int
    destination: int
    margin_ok: MarginCheck | None


class Custody:
    """Deposits into and withdrawals out of one custody account of a journal.

    Opens `custody_account` (kind custody) and `depositor_account` (kind external) if missing.
    """

    def __init__(
        self,
        journal: Journal,
        custody_account: str = "custody",
        depositor_account: str = "external:depositors",
        house_treasury_account: str = "house:treasury",
    ) -> None:
        self.journal = journal
        self.custody = self._ensure(custody_account, AccountKind.CUSTODY, "exchange")
        self.depositors = self._ensure(depositor_account, AccountKind.EXTERNAL, "depositor")
        self._house_treasury_name = house_treasury_account
        self._queues: dict[str, deque[PendingWithdrawal]] = {}
        self._next_request = 0
        self._halted = False

    def _ensure(self, name: str, kind: AccountKind, cls: str) -> int:
        if self.journal.has_account(name):
            acct = self.journal.account(self.journal.account_id(name))
            if acct.kind is not kind:
                raise LedgerError(f"custody: account {name!r} exists with kind {acct.kind}, expected {kind}")
            return acct.id
        return self.journal.open_account(name, kind, cls)

    # ------------------------------------------------------------------ validation

    def _claim_account(self, account: int | str) -> Account:
        acct_id = self.journal.account_id(account) if isinstance(account, str) else account
        acct = self.journal.account(acct_id)
        if not acct.claim:
            raise LedgerError(
                f"custody: {acct.name!r} is not a claim account (kind {acct.kind}); deposits and "
                "withdrawals are for customer, house-exchange and exchange accounts"
            )
        return acct

    def _validate(self, account: int | str, asset: str, amount_minor: int) -> Account:
        acct = self._claim_account(account)
        self.journal.asset_index(asset)
        is_int = type(amount_minor) is int or isinstance(amount_minor, np.integer)
        if not is_int or int(amount_minor) <= 0:
            raise LedgerError(f"custody: amount_minor must be a positive int, got {amount_minor!r}")
        return acct

    # ------------------------------------------------------------------ deposits

    def deposit(
        self,
        ts_ns: int,
        account: int | str,
        asset: str,
        amount_minor: int,
        *,
        route_to: int | str | None = None,
        ref: int = -1,
    ) -> range:
        """Credit `account` with a claim for `amount_minor` of `asset`; the units go to custody, or
        to `route_to` (e.g. `house:treasury`: the claim is issued but custody never sees the units).
        Returns the two postings' seqs."""
        acct = self._validate(account, asset, amount_minor)
        dest = self.custody
        if route_to is not None:
            dest = self.journal.account_id(route_to) if isinstance(route_to, str) else route_to
            self.journal.account(dest)
        j = self.journal
        with j.transaction(ts_ns) as tx:
            tx.post(self.depositors, dest, asset, amount_minor, Cause.DEPOSIT, acct.cls, ref)
            tx.post(j.claims_issued, acct.id, asset, amount_minor, Cause.DEPOSIT, acct.cls, ref)
        assert tx.seqs is not None
        return tx.seqs

    # ------------------------------------------------------------------ withdrawals

    def halt(self) -> None:
        """Refuse every withdrawal (new and queued) until `resume()`."""
        self._halted = True

    def resume(self) -> None:
        self._halted = False

    @property
    def halted(self) -> bool:
        return self._halted

    def custody_balance(self, asset: str) -> int:
        return self.journal.balance(self.custody, asset)

    def pending(self, asset: str | None = None) -> list[PendingWithdrawal]:
        """Queued requests in FIFO order (of one asset, or of all assets by request id)."""
        if asset is not None:
            return list(self._queues.get(asset, ()))
        return sorted((p for q in self._queues.values() for p in q), key=lambda p: p.request_id)

    def queued_amount(self, asset: str) -> int:
        return sum(p.amount_minor for p in self._queues.get(asset, ()))

    def _default_destination(self, acct: Account) -> int:
        if acct.kind is AccountKind.HOUSE and self.journal.has_account(self._house_treasury_name):
            return self.journal.account_id(self._house_treasury_name)
        return self.depositors

    def _refusal(
        self, acct: Account, asset: str, amount: int, margin_ok: MarginCheck | None
    ) -> WithdrawalReason | None:
        balance = self.journal.balance(acct.id, asset)
        if balance - amount < acct.floor_minor:
            return WithdrawalReason.INSUFFICIENT_BALANCE
        if margin_ok is not None and not margin_ok(acct.id, asset, amount):
            return WithdrawalReason.MARGIN
        return None

    def _pay(self, ts_ns: int, p: PendingWithdrawal, acct: Account) -> range:
        j = self.journal
        with j.transaction(ts_ns) as tx:
            tx.post(acct.id, j.claims_issued, p.asset, p.amount_minor, Cause.WITHDRAWAL, acct.cls, p.request_id)
            tx.post(self.custody, p.destination, p.asset, p.amount_minor, Cause.WITHDRAWAL, acct.cls, p.request_id)
        assert tx.seqs is not None
        return tx.seqs

    def withdraw(
        self,
        ts_ns: int,
        account: int | str,
        asset: str,
        amount_minor: int,
        margin_ok: MarginCheck | None = None,
        *,
        destination: int | str | None = None,
    ) -> WithdrawalResult:
        """Request a withdrawal. Paid at once if not halted, the account stays at or above its floor
        (0, or minus its privileged credit), `margin_ok` agrees, nothing of this asset is queued and
        custody holds the units; queued (FIFO) if only custody is short; refused otherwise.

        The units go to `destination`, by default `house:treasury` for a house account and
        `external:depositors` for everyone else. Bad input raises `LedgerError`; nothing changes.
        """
        acct = self._validate(account, asset, amount_minor)
        amount = int(amount_minor)
        if destination is None:
            dest = self._default_destination(acct)
        else:
            dest = self.journal.account_id(destination) if isinstance(destination, str) else destination
            self.journal.account(dest)
        request_id = self._next_request
        self._next_request += 1

        def result(status: WithdrawalStatus, reason: WithdrawalReason, seqs: range | None = None) -> WithdrawalResult:
            return WithdrawalResult(request_id, acct.id, asset, amount, status, reason, ts_ns, seqs)

        if self._halted:
            return result(WithdrawalStatus.REFUSED, WithdrawalReason.HALTED)
        reason = self._refusal(acct, asset, amount, margin_ok)
        if reason is not None:
            return result(WithdrawalStatus.REFUSED, reason)
        p = PendingWithdrawal(request_id, ts_ns, acct.id, asset, amount, dest, margin_ok)
        queue = self._queues.setdefault(asset, deque())
        if queue:
            queue.append(p)
            return result(WithdrawalStatus.QUEUED, WithdrawalReason.QUEUE_AHEAD)
        if self.custody_balance(asset) < amount:
            queue.append(p)
            return result(WithdrawalStatus.QUEUED, WithdrawalReason.INSUFFICIENT_CUSTODY)
        return result(WithdrawalStatus.PAID, WithdrawalReason.OK, self._pay(ts_ns, p, acct))

    def process_queue(self, ts_ns: int) -> list[WithdrawalResult]:
        """Pay queued requests in FIFO order per asset, as far as custody allows; stops at the first
        request of an asset that custody cannot pay (no overtaking). A queued request whose account
        no longer has the balance, or whose margin hook now says no, is refused and dropped. Returns
        the outcomes decided now; nothing happens while halted."""
        if self._halted:
            return []
        out: list[WithdrawalResult] = []
        for asset, queue in self._queues.items():
            while queue:
                p = queue[0]
                acct = self.journal.account(p.account)
                reason = self._refusal(acct, asset, p.amount_minor, p.margin_ok)
                if reason is not None:
                    queue.popleft()
                    out.append(
                        WithdrawalResult(
                            p.request_id, p.account, asset, p.amount_minor, WithdrawalStatus.REFUSED, reason, ts_ns
                        )
                    )
                    continue
                if self.custody_balance(asset) < p.amount_minor:
                    break
                seqs = self._pay(ts_ns, p, acct)
                queue.popleft()
                out.append(
                    WithdrawalResult(
                        p.request_id,
                        p.account,
                        asset,
                        p.amount_minor,
                        WithdrawalStatus.PAID,
                        WithdrawalReason.OK,
                        ts_ns,
                        seqs,
                    )
                )
        return out

    def cancel(self, request_id: int) -> bool:
        """Drop a queued request; True if it was queued."""
        for queue in self._queues.values():
            for p in queue:
                if p.request_id == request_id:
                    queue.remove(p)
                    return True
        return False
