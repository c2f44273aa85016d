"""Deposits and withdrawals: the only way units enter or leave the exchange's custody.

A deposit is two postings in one atomic batch: units arrive (`external:depositors -> custody`, or
for the house's own money `external:house_owners -> custody`) and a claim is issued
(`exchange:claims_issued -> account`). A deposit routed to the house (FTX's fiat@ftx.com) lands
its units in `house:treasury` instead and books what the house now owes the exchange
(`house:payable:exchange -> exchange:receivable:house`). A withdrawal extinguishes the claim and
pays units out of custody, only from custody holdings of the asset; when custody cannot pay, the
request waits in a FIFO queue per asset (no later request of that asset is paid before it). A
venue-wide `halt()` refuses every withdrawal (invariant 7 of the reference: halt all, not some).

Every bad call raises `LedgerError` and changes nothing (journal, queues, request ids).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from hollow.errors import LedgerError
from hollow.ledger.accounts import Account, AccountKind, Cause
from hollow.ledger.journal import Journal
from hollow.ledger.standard_accounts import (
    HOUSE_OWNERS,
    HOUSE_PAYABLE,
    HOUSE_RECEIVABLE,
)
from hollow.ledger.validation import INT64_MAX, MAX_BALANCE_MINOR, is_int, require_int

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
    LEDGER = "ledger"  # a queued request the journal refused when it came to be paid; dropped


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

    Opens `custody_account` (kind custody), `depositor_account` and `house_owners_account` (kind
    external) if missing.
    """

    def __init__(
        self,
        journal: Journal,
        custody_account: str = "custody",
        depositor_account: str = "external:depositors",
        house_treasury_account: str = "house:treasury",
        house_owners_account: str = HOUSE_OWNERS,
    ) -> None:
        self.journal = journal
        self.custody = self._ensure(custody_account, AccountKind.CUSTODY, "exchange")
        self.depositors = self._ensure(depositor_account, AccountKind.EXTERNAL, "depositor")
        self.house_owners = self._ensure(house_owners_account, AccountKind.EXTERNAL, "house_owner")
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
        acct = self.journal.resolve(account)
        if not acct.claim:
            raise LedgerError(
                f"custody: {acct.name!r} is not a claim account (kind {acct.kind}); deposits and "
                "withdrawals are for customer, house-exchange and exchange accounts"
            )
        return acct

    def _validate(self, ts_ns: int, account: int | str, asset: str, amount_minor: int) -> Account:
        require_int(ts_ns, "ts_ns", 0, INT64_MAX, "custody")
        acct = self._claim_account(account)
        self.journal.asset_index(asset)
        if not is_int(amount_minor) or not 0 < amount_minor <= MAX_BALANCE_MINOR:
            raise LedgerError(f"custody: amount_minor must be a positive int up to 2**62, got {amount_minor!r}")
        return acct

    def _holdings(self, account: int | str, what: str, kinds: tuple[AccountKind, ...]) -> int:
        """An account that may receive or send units here: on the holdings layer, of one of `kinds`."""
        acct = self.journal.resolve(account)
        if acct.claim or acct.id == self.journal.claims_issued or acct.kind not in kinds:
            raise LedgerError(
                f"custody: {what} {acct.name!r} must be a holdings account of kind "
                f"{' or '.join(k.value for k in kinds)} (got kind {acct.kind}, {'claim' if acct.claim else 'holdings'})"
            )
        return acct.id

    # ------------------------------------------------------------------ deposits

    def deposit(
        self,
        ts_ns: int,
        account: int | str,
        asset: str,
        amount_minor: int,
        *,
        route_to: int | str | None = None,
        source: int | str | None = None,
        ref: int = -1,
    ) -> range:
        """Credit `account` with a claim for `amount_minor` of `asset`; returns the postings' seqs.

        The units come from `source` (default: `external:house_owners` for a house account, the
        depositors for everyone else) and go to custody, or to `route_to` (another custody account,
        or a house holdings account: then the claim is issued but custody never sees the units,
        and nothing records a receivable; see `route_deposit_to_house` for the booked version).
        """
        acct = self._validate(ts_ns, account, asset, amount_minor)
        dest = self.custody
        if route_to is not None:
            dest = self._holdings(route_to, "route_to", (AccountKind.HOUSE, AccountKind.CUSTODY))
        if source is None:
            src = self.house_owners if acct.kind is AccountKind.HOUSE else self.depositors
        else:
            src = self._holdings(source, "source", (AccountKind.EXTERNAL,))
        j = self.journal
        with j.transaction(ts_ns) as tx:
            tx.post(src, dest, asset, amount_minor, Cause.DEPOSIT, acct.cls, ref)
            tx.post(j.claims_issued, acct.id, asset, amount_minor, Cause.DEPOSIT, acct.cls, ref)
        assert tx.seqs is not None
        return tx.seqs

    def route_deposit_to_house(
        self, ts_ns: int, customer: int | str, asset: str, amount_minor: int, *, ref: int = -1
    ) -> range:
        """A customer deposit whose units the house receives (fiat@ftx.com): the customer's claim is
        issued, the units land in `house:treasury`, and the house's debt for them is booked
        (`house:payable:exchange -> exchange:receivable:house`). Returns the three postings' seqs.
        Needs the accounts `open_standard_accounts` opens."""
        acct = self._validate(ts_ns, customer, asset, amount_minor)
        if acct.kind is not AccountKind.CUSTOMER:
            raise LedgerError(f"custody: route_deposit_to_house is for customer accounts, not {acct.name!r}")
        j = self.journal
        missing = [n for n in (self._house_treasury_name, HOUSE_RECEIVABLE, HOUSE_PAYABLE) if not j.has_account(n)]
        if missing:
            raise LedgerError(f"custody: route_deposit_to_house needs {missing} (see open_standard_accounts)")
        treasury = self._holdings(self._house_treasury_name, "house treasury", (AccountKind.HOUSE,))
        with j.transaction(ts_ns) as tx:
            tx.post(self.depositors, treasury, asset, amount_minor, Cause.DEPOSIT, acct.cls, ref)
            tx.post(j.claims_issued, acct.id, asset, amount_minor, Cause.DEPOSIT, acct.cls, ref)
            tx.post(
                j.account_id(HOUSE_PAYABLE), j.account_id(HOUSE_RECEIVABLE), asset, amount_minor,
                Cause.ROUTED_DEPOSIT, acct.cls, ref,
            )  # fmt: skip
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
            self.journal.asset_index(asset)
            return list(self._queues.get(asset, ()))
        return sorted((p for q in self._queues.values() for p in q), key=lambda p: p.request_id)

    def queued_amount(self, asset: str) -> int:
        return sum(p.amount_minor for p in self.pending(asset))

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

        The units go to `destination` (a house or external holdings account), by default
        `house:treasury` for a house account and `external:depositors` for everyone else. Bad
        input raises `LedgerError`; nothing changes and no request id is used.
        """
        acct = self._validate(ts_ns, account, asset, amount_minor)
        amount = int(amount_minor)
        if destination is None:
            dest = self._default_destination(acct)
        else:
            dest = self._holdings(destination, "destination", (AccountKind.HOUSE, AccountKind.EXTERNAL))
        if margin_ok is not None and not callable(margin_ok):
            raise LedgerError(f"custody: margin_ok must be callable or None, got {margin_ok!r}")
        request_id = self._next_request

        def result(status: WithdrawalStatus, reason: WithdrawalReason, seqs: range | None = None) -> WithdrawalResult:
            self._next_request = request_id + 1
            return WithdrawalResult(request_id, acct.id, asset, amount, status, reason, ts_ns, seqs)

        if self._halted:
            return result(WithdrawalStatus.REFUSED, WithdrawalReason.HALTED)
        reason = self._refusal(acct, asset, amount, margin_ok)
        if reason is not None:
            return result(WithdrawalStatus.REFUSED, reason)
        p = PendingWithdrawal(request_id, ts_ns, acct.id, asset, amount, dest, margin_ok)
        queue = self._queues.setdefault(asset, deque())
        if queue or self.custody_balance(asset) < amount:
            queue.append(p)
            why = WithdrawalReason.QUEUE_AHEAD if len(queue) > 1 else WithdrawalReason.INSUFFICIENT_CUSTODY
            return result(WithdrawalStatus.QUEUED, why)
        return result(WithdrawalStatus.PAID, WithdrawalReason.OK, self._pay(ts_ns, p, acct))

    def process_queue(self, ts_ns: int) -> list[WithdrawalResult]:
        """Pay queued requests in FIFO order per asset, as far as custody allows; stops at the first
        request of an asset that custody cannot pay (no overtaking). A queued request whose account
        no longer has the balance, whose margin hook now says no, or whose payment the journal
        refuses (reason `LEDGER`) is refused and dropped, so no request can block its queue.
        Returns the outcomes decided now; nothing happens while halted."""
        require_int(ts_ns, "ts_ns", 0, INT64_MAX, "custody")
        if self._halted:
            return []
        out: list[WithdrawalResult] = []
        for asset, queue in self._queues.items():
            while queue:
                p = queue[0]
                acct = self.journal.account(p.account)
                reason = self._refusal(acct, asset, p.amount_minor, p.margin_ok)
                seqs = None
                if reason is None:
                    if self.custody_balance(asset) < p.amount_minor:
                        break
                    try:
                        seqs = self._pay(ts_ns, p, acct)
                    except LedgerError:
                        reason = WithdrawalReason.LEDGER
                queue.popleft()
                status = WithdrawalStatus.REFUSED if reason else WithdrawalStatus.PAID
                out.append(
                    WithdrawalResult(
                        p.request_id, p.account, asset, p.amount_minor, status, reason or WithdrawalReason.OK, ts_ns, seqs
                    )
                )
        return out

    def cancel(self, request_id: int) -> bool:
        """Drop a queued request; True if it was queued."""
        if not is_int(request_id):
            raise LedgerError(f"custody: request_id must be an int, got {request_id!r}")
        for queue in self._queues.values():
            for p in queue:
                if p.request_id == request_id:
                    queue.remove(p)
                    return True
        return False
