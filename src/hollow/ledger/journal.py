"""The double-entry journal: postings between accounts and the invariants that hold after each.

Model. Every posting moves one positive integer amount of one asset FROM one account TO another
(from's balance -= amount, to's += amount), so for every asset the balances of all accounts sum to
exactly zero at all times. A posting never crosses layers (see `accounts.py`): both accounts are
on the claims layer (claim accounts and the contra `exchange:claims_issued`) or both hold units.
A deposit is two postings in one atomic batch (`external:depositors -> custody` and
`exchange:claims_issued -> customer:x`); trades, fees, funding and liquidations move claims
between claim accounts only. The hole in customer funds is then read straight from balances
(see `balance_sheet.py`).

Every entry point validates everything before it changes anything: a refused call raises
`LedgerError` with the reason and leaves postings, balances, accounts, assets and the interned
cause and class tables exactly as they were. Balances are int64 bounded by +/-`MAX_BALANCE_MINOR`
(2**62) so that no vectorised check can wrap; sums that could are done exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import numpy as np

from hollow.errors import LedgerError
from hollow.ledger import export, invariants
from hollow.ledger.accounts import (
    CLAIMS_ISSUED,
    Account,
    AccountKind,
    AccountRegistry,
    Cause,
)
from hollow.ledger.log import MAX_ASSETS, PostingLog
from hollow.ledger.standard_accounts import open_standard_accounts
from hollow.ledger.transaction import Posting, Transaction, collect, posting_columns
from hollow.ledger.validation import (
    INT64_MAX,
    MAX_BALANCE_MINOR,
    asset_column,
    asset_index,
    ceiling_message,
    cross_layer_message,
    first_outside,
    floor_message,
    int_column,
    is_int,
    judge,
    require_int,
    string_column,
)
from hollow.money import Asset
from hollow.money import asset as lookup_asset

__all__ = [
    "CLAIMS_ISSUED",
    "MAX_BALANCE_MINOR",
    "Account",
    "AccountKind",
    "Cause",
    "Journal",
    "Posting",
    "Transaction",
    "open_standard_accounts",
]

class Journal:
    """An exact double-entry journal over a list of assets (more may be added).

    Σ claims + contra = 0 and Σ holdings = 0 hold per asset by construction, and `check()` proves
    them anyway.
    """

    def __init__(self, assets: Sequence[str] = ("USD",)) -> None:
        if isinstance(assets, str):
            assets = (assets,)
        if not isinstance(assets, Sequence) or not assets:
            raise LedgerError(f"a journal needs at least one asset code, got {assets!r}")
        self._assets: list[Asset] = []
        self._codes: list[str] = []
        self._asset_idx: dict[str, int] = {}
        self._reg = AccountRegistry()
        self._bal = np.zeros((16, 0), dtype=np.int64)  # (account capacity, n assets), C order
        self._log = PostingLog()
        for code in assets:
            self.add_asset(code)
        self.claims_issued = self.open_account(
            CLAIMS_ISSUED, AccountKind.EXCHANGE, "exchange", allow_negative_balance=True, claim=False
        )

    # ------------------------------------------------------------------ assets and accounts

    @property
    def assets(self) -> tuple[str, ...]:
        return tuple(self._codes)

    def asset_index(self, code: str) -> int:
        """Column of an asset in `balance_matrix()`; also accepted by `post_many` instead of codes."""
        return asset_index(code, self._asset_idx, self._codes)

    def add_asset(self, code: str) -> int:
        """Add an asset (registered in `hollow.money`); returns its index."""
        if not isinstance(code, str):
            raise LedgerError(f"asset code must be a string, got {code!r}")
        if code in self._asset_idx:
            raise LedgerError(f"asset {code!r} is already in this journal")
        if len(self._assets) >= MAX_ASSETS:
            raise LedgerError(f"asset {code!r}: a journal holds at most {MAX_ASSETS} assets")
        try:
            a = lookup_asset(code)
        except ValueError as exc:
            raise LedgerError(str(exc)) from None
        bal = np.zeros((self._bal.shape[0], len(self._assets) + 1), dtype=np.int64)
        bal[:, : len(self._assets)] = self._bal
        self._bal = bal
        self._asset_idx[code] = len(self._assets)
        self._assets.append(a)
        self._codes.append(code)
        return self._asset_idx[code]

    def open_account(
        self,
        name: str,
        kind: AccountKind | str,
        cls: str,
        *,
        allow_negative_balance: bool = False,
        credit_limit_minor: int | None = None,
        liquidation_exempt: bool = False,
        fast_order_entry: bool = False,
        claim: bool | None = None,
    ) -> int:
        """Open an account and return its id.

        `credit_limit_minor`: None = unlimited credit, an int = the most the balance may go below
        zero; only allowed with `allow_negative_balance` (with it, 0 means no credit at all). The
        limit applies to each asset separately, in that asset's minor units; value-based limits
        across assets are the margin engine's job. External accounts are always allowed negative
        without limit (they are sources of units). `claim` (which layer) defaults to True for
        customer and exchange accounts, False for custody and external accounts, and for house
        accounts True only for `house:exchange` (and `house:exchange:*`), the house's off-exchange
        books being holdings; customers are always claims, custody and externals never.
        Flags must be real bools.
        """
        options = {"allow_negative_balance": allow_negative_balance, "credit_limit_minor": credit_limit_minor}
        options |= {"liquidation_exempt": liquidation_exempt, "fast_order_entry": fast_order_entry, "claim": claim}
        return self.open_accounts([(name, kind, cls, options)])[0]

    def open_accounts(self, specs: Sequence[tuple[str, AccountKind | str, str, Mapping[str, Any]]]) -> list[int]:
        """Open several accounts at once, all or none: each spec is (name, kind, cls, keyword
        arguments of `open_account`); returns their ids in order."""
        made = self._reg.make_many(specs)
        for acct in made:
            if acct.id >= self._bal.shape[0]:
                bal = np.zeros((2 * self._bal.shape[0], len(self._assets)), dtype=np.int64)
                bal[: acct.id] = self._bal[: acct.id]
                self._bal = bal
            self._reg.add(acct)
        return [a.id for a in made]

    def on_claims_layer(self, account_id: int) -> bool:
        """True for claim accounts and the contra `exchange:claims_issued`; False for holdings."""
        return self._reg.layer[self._reg.get(account_id).id]

    def account(self, account_id: int) -> Account:
        return self._reg.get(account_id)

    def account_id(self, name: str) -> int:
        return self._reg.id_of(name)

    def resolve(self, account: int | str) -> Account:
        """An account given by id or by name."""
        return self._reg.resolve(account)

    def has_account(self, name: str) -> bool:
        return isinstance(name, str) and name in self._reg.by_name

    def accounts(self) -> list[Account]:
        return list(self._reg.accounts)

    def floors(self) -> np.ndarray:
        """Lowest balance each account may reach (by id, in every asset), int64, a copy."""
        return self._reg.floor_np[: len(self._reg)].copy()

    def claim_mask(self) -> np.ndarray:
        """True for claim accounts (by id), a copy."""
        return self._reg.claim_np[: len(self._reg)].copy()

    @property
    def n_accounts(self) -> int:
        return len(self._reg)

    def __len__(self) -> int:
        """Number of postings."""
        return self._log.n

    def causes(self) -> list[str]:
        return list(self._log.causes.values)

    def classes(self) -> list[str]:
        return list(self._log.classes.values)

    @property
    def _cols(self) -> dict[str, np.ndarray]:
        return self._log.cols

    def postings(self, start: int = 0, stop: int | None = None) -> dict[str, np.ndarray]:
        """Read-only views of the posting columns (ids, not names) for rows [start, stop); `seq` is
        the row index. Ids map to names through `accounts()`, `assets`, `causes()`, `classes()`."""
        n = self._log.n
        lo = min(require_int(start, "start", 0, INT64_MAX, "postings"), n)
        hi = n if stop is None else min(require_int(stop, "stop", 0, INT64_MAX, "postings"), n)
        return self._log.view(lo, max(lo, hi))

    # ------------------------------------------------------------------ posting

    def post(
        self,
        ts_ns: int,
        from_account: int,
        to_account: int,
        asset: str,
        amount_minor: int,
        cause: str,
        counterparty_class: str,
        ref: int = -1,
    ) -> int:
        """Move `amount_minor` of `asset` from one account to another; returns the posting's seq.

        Refused with `LedgerError` and no change at all if the amount is not an int (bools
        refused) in (0, 2**62], the asset or an account is unknown, from == to, the two accounts
        are on different layers, `ts_ns` is not an int in [0, 2**63-1] or `ref` not one in
        [-1, 2**63-1], cause or class is not a non-empty string, or the from-account would fall
        below its floor (0, or minus its credit limit) or the to-account rise above 2**62.
        """
        a = self._asset_idx.get(asset) if isinstance(asset, str) else None
        if a is None:
            raise LedgerError(f"posting refused: unknown asset {asset!r}; this journal has {', '.join(self._codes)}")
        if not (type(amount_minor) is int or is_int(amount_minor)) or not 0 < amount_minor <= MAX_BALANCE_MINOR:
            raise LedgerError(f"posting refused: amount_minor must be an int in (0, 2**62], got {amount_minor!r}")
        reg = self._reg
        n_acc = len(reg.accounts)
        if not (type(from_account) is int or is_int(from_account)) or not 0 <= from_account < n_acc:
            raise LedgerError(f"posting refused: unknown from_account {from_account!r}")
        if not (type(to_account) is int or is_int(to_account)) or not 0 <= to_account < n_acc:
            raise LedgerError(f"posting refused: unknown to_account {to_account!r}")
        f, t, amount = int(from_account), int(to_account), int(amount_minor)
        if f == t:
            raise LedgerError(f"posting refused: from and to are the same account {reg.accounts[f].name!r}")
        if reg.layer[f] != reg.layer[t]:
            raise LedgerError(f"posting refused: {cross_layer_message(reg.accounts[f].name, reg.accounts[t].name)}")
        ints = (type(ts_ns) is int or is_int(ts_ns)) and (type(ref) is int or is_int(ref))  # no call for plain ints
        if not (ints and 0 <= ts_ns <= INT64_MAX and -1 <= ref <= INT64_MAX):
            raise LedgerError(
                f"posting refused: ts_ns and ref must be ints, ts_ns in [0, 2**63-1] and ref in [-1, 2**63-1]; "
                f"got {ts_ns!r}, {ref!r}"
            )
        if not isinstance(cause, str) or not cause or not isinstance(counterparty_class, str) or not counterparty_class:
            raise LedgerError(
                f"posting refused: cause and counterparty_class must be non-empty strings, got {cause!r}, {counterparty_class!r}"
            )
        bal = self._bal
        old_from = int(bal[f, a])
        if old_from - amount < reg.floor[f]:
            raise LedgerError(floor_message(reg.accounts[f], asset, old_from, amount, "posting refused"))
        new_to = int(bal[t, a]) + amount
        if new_to > MAX_BALANCE_MINOR:
            raise LedgerError(ceiling_message(reg.accounts[t].name, f"posting refused ({asset})"))
        log = self._log
        seq = log.append(int(ts_ns), f, t, a, amount, log.causes.id(cause), log.classes.id(counterparty_class), int(ref))
        bal[f, a] = old_from - amount
        bal[t, a] = new_to
        return seq

    def post_many(
        self,
        ts_ns: int | Sequence[int] | np.ndarray,
        from_accounts: Sequence[int] | np.ndarray,
        to_accounts: Sequence[int] | np.ndarray,
        assets: str | Sequence[str] | np.ndarray,
        amounts: Sequence[int] | np.ndarray,
        causes: str | Sequence[str] | np.ndarray,
        classes: str | Sequence[str] | np.ndarray,
        refs: int | Sequence[int] | np.ndarray | None = None,
    ) -> range:
        """Apply a batch of postings atomically; returns the range of their seqs.

        Each argument is a sequence/array of the batch's length or one scalar for all rows
        (`amounts` must be a sequence; `assets` may also be integer asset indices). Every value
        obeys the rules of `post` (bools, floats, NaN and values outside int64 are refused, not
        coerced). The batch is judged exactly as if its postings were applied one by one in
        order: an account may go below its floor nowhere in the batch, even if a later posting
        would bring it back. If any posting would be refused, none is applied and the
        `LedgerError` names the batch index and the reason.
        """
        amt = int_column(amounts, None, "amounts")
        n = amt.shape[0]
        f = int_column(from_accounts, n, "from_accounts")
        t = int_column(to_accounts, n, "to_accounts")
        ts = int_column(ts_ns, n, "ts_ns")
        rf = int_column(-1 if refs is None else refs, n, "refs")
        a = asset_column(assets, n, self._asset_idx, self._codes)
        reg = self._reg
        n_acc = len(reg.accounts)
        for what, col, lo, hi in (
            ("amount_minor must be in (0, 2**62], got", amt, 1, MAX_BALANCE_MINOR),
            ("unknown from_account", f, 0, n_acc - 1),
            ("unknown to_account", t, 0, n_acc - 1),
            ("ts_ns must be >= 0, got", ts, 0, INT64_MAX),
            ("ref must be >= -1, got", rf, -1, INT64_MAX),
        ):
            i = first_outside(col, lo, hi)
            if i is not None:
                raise LedgerError(f"batch refused at index {i}: {what} {col[i]}")
        same, cross = f == t, reg.layer_np[f] != reg.layer_np[t]
        if (same | cross).any():
            i = int(np.flatnonzero(same | cross)[0])
            names = reg.accounts[int(f[i])].name, reg.accounts[int(t[i])].name
            if same[i]:
                raise LedgerError(f"batch refused at index {i}: from and to are the same account {names[0]!r}")
            raise LedgerError(f"batch refused at index {i}: {cross_layer_message(*names)}")
        log = self._log
        cause_ids, new_causes = string_column(causes, n, "causes", log.causes.index, len(log.causes.values))
        class_ids, new_classes = string_column(classes, n, "classes", log.classes.index, len(log.classes.values))
        if n == 0:
            return range(log.n, log.n)
        keys, values = judge(self._bal, reg, self._codes, f, t, a, amt)
        # Everything is validated; from here on nothing can fail.
        log.causes.extend(new_causes)
        log.classes.extend(new_classes)
        seqs = log.extend(ts, f, t, a, amt, cause_ids, class_ids, rf)
        self._bal.reshape(-1)[keys] = values
        return seqs

    def transaction(self, ts_ns: int | None = None) -> AbstractContextManager[Transaction]:
        """Collect postings and apply them atomically when the block exits without an exception.

        `with journal.transaction(ts) as tx: tx.post(...); tx.post(...)`; `tx.seqs` after the block.
        """
        return collect(self, ts_ns)

    def post_all(self, postings: Iterable[Posting | tuple]) -> range:
        """Apply a list of `Posting`s atomically (sequential semantics, as `post_many`)."""
        cols = posting_columns(postings)
        if cols is None:
            return range(self._log.n, self._log.n)
        return self.post_many(*cols)

    # ------------------------------------------------------------------ balances and invariants

    def balance(self, account: int, asset: str) -> int:
        a = self.asset_index(asset)
        return int(self._bal[self._reg.get(account).id, a])

    def balances(self, asset: str) -> np.ndarray:
        """Balances of every account (indexed by id) in one asset, int64, a copy."""
        return self._bal[: len(self._reg), self.asset_index(asset)].copy()

    def balance_matrix(self, upto_seq: int | None = None) -> np.ndarray:
        """Balances as an (accounts x assets) int64 copy; with `upto_seq`, as they stood after the
        postings with seq < upto_seq (replayed exactly from the columns)."""
        if upto_seq is not None:
            upto_seq = require_int(upto_seq, "upto_seq", 0, INT64_MAX, "balance_matrix")
        if upto_seq is None or upto_seq >= self._log.n:
            return self._bal[: len(self._reg)].copy()
        return invariants.replay(self, upto_seq)

    def check(self) -> None:
        """Prove the journal's invariants; raises `LedgerError` naming the first thing that broke.

        1. every stored posting is well formed (positive amount, known ids, from != to);
        2. replaying all postings reproduces the running balances exactly;
        3. for every asset, the balances of all accounts sum to exactly 0;
        4. `exchange:claims_issued` equals minus the sum of all claim balances, per asset;
        5. no account without `allow_negative_balance` is below zero, and none with a credit limit
           is below minus its limit.
        """
        invariants.check(self)

    def borrowed_customer_funds(self, asset: str) -> int:
        """How much privileged claim accounts owe, in minor units of `asset` (a positive number):
        the sum of the negative balances of claim accounts with `allow_negative_balance`, i.e.
        customer money taken out of the exchange. Holdings-layer liabilities (loans, the house's
        payable for routed deposits) are not counted here; the balance sheet shows them."""
        col = self.balances(asset)
        n = len(self._reg)
        owing = self._reg.claim_np[:n] & (self._reg.floor_np[:n] < 0) & (col < 0)
        return -sum(col[owing].tolist())

    # ------------------------------------------------------------------ export

    def to_arrow(self) -> Any:
        """The postings as a pyarrow Table (see `export.py`)."""
        return export.postings_to_arrow(self)

    def accounts_to_arrow(self) -> Any:
        return export.accounts_to_arrow(self)

    def write_parquet(self, out_dir: Path | str) -> tuple[Path, Path]:
        """Write `ledger.parquet` and `accounts.parquet` (zstd) into `out_dir`; returns both paths."""
        return export.write_parquet(self, out_dir)
