"""The exact double-entry ledger: journal (accounts, postings, invariants), balance sheet, custody."""

from hollow.ledger.balance_sheet import BalanceSheet
from hollow.ledger.custody import (
    Custody,
    PendingWithdrawal,
    WithdrawalReason,
    WithdrawalResult,
    WithdrawalStatus,
)
from hollow.ledger.journal import (
    CLAIMS_ISSUED,
    MAX_BALANCE_MINOR,
    Account,
    AccountKind,
    Cause,
    Journal,
    Posting,
    Transaction,
    open_standard_accounts,
)

__all__ = [
    "CLAIMS_ISSUED",
    "MAX_BALANCE_MINOR",
    "Account",
    "AccountKind",
    "BalanceSheet",
    "Cause",
    "Custody",
    "Journal",
    "PendingWithdrawal",
    "Posting",
    "Transaction",
    "WithdrawalReason",
    "WithdrawalResult",
    "WithdrawalStatus",
    "open_standard_accounts",
]
