"""The exact double-entry ledger: journal (accounts, postings, invariants), balance sheet, custody,
loans to the house."""

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
from hollow.ledger.loans import Loans
from hollow.ledger.standard_accounts import (
    HOUSE_OWNERS,
    HOUSE_PAYABLE,
    HOUSE_RECEIVABLE,
)

__all__ = [
    "CLAIMS_ISSUED",
    "HOUSE_OWNERS",
    "HOUSE_PAYABLE",
    "HOUSE_RECEIVABLE",
    "MAX_BALANCE_MINOR",
    "Account",
    "AccountKind",
    "BalanceSheet",
    "Cause",
    "Custody",
    "Journal",
    "Loans",
    "PendingWithdrawal",
    "Posting",
    "Transaction",
    "WithdrawalReason",
    "WithdrawalResult",
    "WithdrawalStatus",
    "open_standard_accounts",
]
