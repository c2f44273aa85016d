"""The double-entry journal: accounts, postings and the invariants that hold after every posting.

Model. Every posting moves one positive integer amount of one asset FROM one account TO another
(from's balance -= amount, to's += amount), so for every asset the balances of all accounts sum to
exactly zero at all times. Accounts live on one of two layers:

- **claims** on the exchange (`customer:*`, the house's exchange account `house:exchange`, the
  exchange's own `exchange:fees`, `exchange:insurance_fund`): the balance is what the exchange owes
  the holder; a negative balance is a receivable (the holder owes the exchange);
- **holdings** of real units (`custody`, the house's off-exchange books `house:treasury`,
  `house:ventures`, `house:longs`, `house:loans`, and the world `external:*`, which may go negative:
  they are where units come from).

One contra account, `exchange:claims_issued`, opened by every journal, ties the layers: its balance
is always minus the sum of all claims. A deposit is two postings in one atomic batch
(`external:depositors -> custody` and `exchange:claims_issued -> customer:x`); trades, fees, funding
and liquidations move claims between claim accounts only. The hole in customer funds is then read
straight from balances (see `balance_sheet.py`).

Storage is columnar (growable numpy arrays, the posting's seq is its row index; cause and
counterparty-class strings are interned), so a posting costs ~40 bytes and no Python object.
Balances are int64 and bounded by +/-`MAX_BALANCE_MINOR` (2**62) so that no vectorised sum in this
module can wrap; every sum that could is done exactly (split into 32-bit halves or Python ints).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from hollow.errors import LedgerError
from hollow.money import Asset
from hollow.money import asset as lookup_asset

MAX_BALANCE_MINOR = 2**62
"""Largest magnitude any balance, credit limit or single amount may reach (4.6e18 minor units:
4.6 trillion USD at 6 decimals). Keeping balances inside +/-2**62 lets batch checks use int64
arithmetic that provably cannot wrap."""

CLAIMS_ISSUED = "exchange:claims_issued"

_LO_MASK = np.int64(0xFFFFFFFF)
_SMALL_BATCH = 8  # below this, a batch is validated with plain Python ints (faster than numpy setup)
_REPLAY_CHUNK = 1 << 26  # rows per exact replay chunk: 32-bit halves summed over it cannot wrap


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
    REPAYMENT = "repayment"
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
        """True for a customer, house or exchange account holding any documented privilege."""
        if self.kind in (AccountKind.EXTERNAL, AccountKind.CUSTODY) or self.name == CLAIMS_ISSUED:
            return False
        return self.allow_negative_balance or self.liquidation_exempt or self.fast_order_entry


class Posting(NamedTuple):
    """One leg for `Journal.post_all`."""

    ts_ns: int
    from_account: int
    to_account: int
    asset: str
    amount_minor: int
    cause: str
    counterparty_class: str
    ref: int = -1


def _is_int(x: object) -> bool:
    return (type(x) is int) or isinstance(x, np.integer)


def _exact_sum(values: np.ndarray) -> int:
    """Exact sum of an int64 array as a Python int (halves of 32 bits cannot wrap below 2**31 rows)."""
    if values.size == 0:
        return 0
    return int((values >> 32).sum()) * 2**32 + int((values & _LO_MASK).sum())


class Journal:
    """An exact double-entry journal over a list of assets (more may be added).

    A posting never crosses layers: both accounts are claims-layer accounts (claim accounts and the
    contra `exchange:claims_issued`) or both are holdings accounts. So Σ claims + contra = 0 and
    Σ holdings = 0 hold per asset by construction, and `check()` proves them anyway.
    """

    def __init__(self, assets: Sequence[str] = ("USD",)) -> None:
        if isinstance(assets, str):
            assets = (assets,)
        self._assets: list[Asset] = []
        self._asset_idx: dict[str, int] = {}
        self._accounts: list[Account] = []
        self._by_name: dict[str, int] = {}
        self._floor: list[int] = []
        self._floor_np = np.zeros(16, dtype=np.int64)
        self._claim_np = np.zeros(16, dtype=bool)
        self._layer: list[bool] = []  # True: claims layer (claim accounts and the contra)
        self._layer_np = np.zeros(16, dtype=bool)
        self._bal = np.zeros((16, 0), dtype=np.int64)  # (account capacity, n assets), C order
        for code in assets:
            self.add_asset(code)
        if not self._assets:
            raise LedgerError("a journal needs at least one asset")
        self._causes: list[str] = []
        self._cause_idx: dict[str, int] = {}
        self._classes: list[str] = []
        self._class_idx: dict[str, int] = {}
        self._n = 0
        self._cap = 0
        self._cols: dict[str, np.ndarray] = {}
        self._grow_postings(1024)
        self.claims_issued = self.open_account(
            CLAIMS_ISSUED, AccountKind.EXCHANGE, "exchange", allow_negative_balance=True, claim=False
        )

    # ------------------------------------------------------------------ assets and accounts

    @property
    def assets(self) -> tuple[str, ...]:
        return tuple(a.code for a in self._assets)

    def asset_index(self, code: str) -> int:
        """Column of an asset in `balance_matrix()`; also accepted by `post_many` instead of codes."""
        try:
            return self._asset_idx[code]
        except KeyError:
            raise LedgerError(f"unknown asset {code!r} in this journal; it has {', '.join(self.assets)}") from None

    def add_asset(self, code: str) -> int:
        """Add an asset (must be known to `hollow.money`); returns its index."""
        if code in self._asset_idx:
            raise LedgerError(f"asset {code!r} is already in this journal")
        try:
            a = lookup_asset(code)
        except ValueError as exc:
            raise LedgerError(str(exc)) from None
        cap = self._bal.shape[0]
        bal = np.zeros((cap, len(self._assets) + 1), dtype=np.int64)
        bal[:, : len(self._assets)] = self._bal
        self._bal = bal
        self._asset_idx[code] = len(self._assets)
        self._assets.append(a)
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
        across assets are the margin engine's job. External accounts are always allowed
        negative without limit (they are sources of units). `claim` (which layer) defaults to True
        for customer and exchange accounts, False for custody and external accounts, and for house
        accounts True only for `house:exchange` (and `house:exchange:*`), the house's off-exchange
        books being holdings.
        """
        if not isinstance(name, str) or not name:
            raise LedgerError(f"account name must be a non-empty string, got {name!r}")
        if name in self._by_name:
            raise LedgerError(f"account {name!r} already exists (id {self._by_name[name]})")
        try:
            kind = AccountKind(kind)
        except ValueError:
            raise LedgerError(
                f"account {name!r}: unknown kind {kind!r}; use one of {', '.join(k.value for k in AccountKind)}"
            ) from None
        if not isinstance(cls, str) or not cls:
            raise LedgerError(f"account {name!r}: counterparty class must be a non-empty string")
        if kind is AccountKind.EXTERNAL:
            allow_negative_balance, credit_limit_minor = True, None
        if credit_limit_minor is not None:
            if not _is_int(credit_limit_minor) or not 0 <= int(credit_limit_minor) <= MAX_BALANCE_MINOR:
                raise LedgerError(
                    f"account {name!r}: credit_limit_minor must be an int in [0, 2**62] or None, got {credit_limit_minor!r}"
                )
            if not allow_negative_balance:
                raise LedgerError(
                    f"account {name!r}: credit_limit_minor={credit_limit_minor} needs allow_negative_balance=True"
                )
            credit_limit_minor = int(credit_limit_minor)
        if claim is None:
            if kind is AccountKind.HOUSE:
                parts = name.split(":")
                claim = len(parts) >= 2 and parts[1] == "exchange"
            else:
                claim = kind in (AccountKind.CUSTOMER, AccountKind.EXCHANGE)
        acct_id = len(self._accounts)
        acct = Account(
            id=acct_id,
            name=name,
            kind=kind,
            cls=cls,
            allow_negative_balance=bool(allow_negative_balance),
            credit_limit_minor=credit_limit_minor if allow_negative_balance else None,
            liquidation_exempt=bool(liquidation_exempt),
            fast_order_entry=bool(fast_order_entry),
            claim=bool(claim),
        )
        if acct_id >= self._bal.shape[0]:
            new_cap = 2 * self._bal.shape[0]
            bal = np.zeros((new_cap, len(self._assets)), dtype=np.int64)
            bal[:acct_id] = self._bal[:acct_id]
            self._bal = bal
            floor = np.zeros(new_cap, dtype=np.int64)
            floor[:acct_id] = self._floor_np[:acct_id]
            self._floor_np = floor
            claim_np = np.zeros(new_cap, dtype=bool)
            claim_np[:acct_id] = self._claim_np[:acct_id]
            self._claim_np = claim_np
            layer_np = np.zeros(new_cap, dtype=bool)
            layer_np[:acct_id] = self._layer_np[:acct_id]
            self._layer_np = layer_np
        self._accounts.append(acct)
        self._by_name[name] = acct_id
        self._floor.append(acct.floor_minor)
        self._floor_np[acct_id] = acct.floor_minor
        self._claim_np[acct_id] = acct.claim
        on_claims_layer = acct.claim or name == CLAIMS_ISSUED
        self._layer.append(on_claims_layer)
        self._layer_np[acct_id] = on_claims_layer
        return acct_id

    def on_claims_layer(self, account_id: int) -> bool:
        """True for claim accounts and the contra `exchange:claims_issued`; False for holdings."""
        self.account(account_id)
        return self._layer[account_id]

    def account(self, account_id: int) -> Account:
        if not _is_int(account_id) or not 0 <= account_id < len(self._accounts):
            raise LedgerError(f"unknown account id {account_id!r} ({len(self._accounts)} accounts open)")
        return self._accounts[account_id]

    def account_id(self, name: str) -> int:
        try:
            return self._by_name[name]
        except KeyError:
            raise LedgerError(f"unknown account {name!r}") from None

    def has_account(self, name: str) -> bool:
        return name in self._by_name

    def accounts(self) -> list[Account]:
        return list(self._accounts)

    @property
    def n_accounts(self) -> int:
        return len(self._accounts)

    def __len__(self) -> int:
        """Number of postings."""
        return self._n

    # ------------------------------------------------------------------ interning and storage

    def _intern(self, value: str, table: list[str], index: dict[str, int]) -> int:
        i = index.get(value)
        if i is None:
            i = len(table)
            table.append(str(value))
            index[value] = i
        return i

    def causes(self) -> list[str]:
        return list(self._causes)

    def classes(self) -> list[str]:
        return list(self._classes)

    def _grow_postings(self, need: int) -> None:
        if need <= self._cap:
            return
        cap = max(need, 2 * self._cap, 1024)
        specs = {
            "ts_ns": np.int64,
            "from_account": np.int32,
            "to_account": np.int32,
            "asset": np.int16,
            "amount_minor": np.int64,
            "cause": np.int32,
            "counterparty_class": np.int32,
            "ref": np.int64,
        }
        cols = {}
        for key, dtype in specs.items():
            col = np.empty(cap, dtype=dtype)
            if self._n:
                col[: self._n] = self._cols[key][: self._n]
            cols[key] = col
        self._cols = cols
        self._cap = cap

    def postings(self, start: int = 0, stop: int | None = None) -> dict[str, np.ndarray]:
        """Read-only views of the posting columns (ids, not names) for rows [start, stop); `seq` is
        the row index. Ids map to names through `accounts()`, `assets`, `causes()`, `classes()`."""
        stop = self._n if stop is None else min(stop, self._n)
        out = {"seq": np.arange(start, stop, dtype=np.int64)}
        for key, col in self._cols.items():
            view = col[start:stop]
            view.flags.writeable = False
            out[key] = view
        return out

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

        Refused with `LedgerError` and no change at all if the amount is not a positive int, the
        asset or an account is unknown, from == to, the two accounts are on different layers (a claim
        account or the contra vs. a holdings account), or the from-account would fall below its floor
        (0, or minus its credit limit when `allow_negative_balance`) or the to-account above 2**62.
        """
        a = self._asset_idx.get(asset) if isinstance(asset, str) else None
        if a is None:
            raise LedgerError(f"posting refused: unknown asset {asset!r}; this journal has {', '.join(self.assets)}")
        if not _is_int(amount_minor) or isinstance(amount_minor, bool):
            raise LedgerError(f"posting refused: amount_minor must be an int, got {amount_minor!r}")
        amount = int(amount_minor)
        if not 0 < amount <= MAX_BALANCE_MINOR:
            raise LedgerError(f"posting refused: amount_minor must be in (0, 2**62], got {amount}")
        n_acc = len(self._accounts)
        if not _is_int(from_account) or not 0 <= from_account < n_acc:
            raise LedgerError(f"posting refused: unknown from_account {from_account!r}")
        if not _is_int(to_account) or not 0 <= to_account < n_acc:
            raise LedgerError(f"posting refused: unknown to_account {to_account!r}")
        f, t = int(from_account), int(to_account)
        if f == t:
            raise LedgerError(f"posting refused: from and to are the same account {self._accounts[f].name!r}")
        if self._layer[f] != self._layer[t]:
            raise LedgerError(f"posting refused: {self._cross_layer_message(f, t)}")
        if not _is_int(ts_ns) or not _is_int(ref):
            raise LedgerError(f"posting refused: ts_ns and ref must be ints, got {ts_ns!r}, {ref!r}")
        if not isinstance(cause, str) or not cause or not isinstance(counterparty_class, str) or not counterparty_class:
            raise LedgerError(
                f"posting refused: cause and counterparty_class must be non-empty strings, got {cause!r}, {counterparty_class!r}"
            )
        bal = self._bal
        new_from = int(bal[f, a]) - amount
        if new_from < self._floor[f]:
            raise LedgerError(self._floor_message(f, a, int(bal[f, a]), amount, "posting refused"))
        new_to = int(bal[t, a]) + amount
        if new_to > MAX_BALANCE_MINOR:
            raise LedgerError(
                f"posting refused: {self._accounts[t].name!r} would hold more than 2**62 minor units of {asset}"
            )
        ci = self._intern(cause, self._causes, self._cause_idx)
        ki = self._intern(counterparty_class, self._classes, self._class_idx)
        seq = self._n
        if seq >= self._cap:
            self._grow_postings(seq + 1)
        c = self._cols
        c["ts_ns"][seq] = ts_ns
        c["from_account"][seq] = f
        c["to_account"][seq] = t
        c["asset"][seq] = a
        c["amount_minor"][seq] = amount
        c["cause"][seq] = ci
        c["counterparty_class"][seq] = ki
        c["ref"][seq] = ref
        bal[f, a] = new_from
        bal[t, a] = new_to
        self._n = seq + 1
        return seq

    def _cross_layer_message(self, f: int, t: int) -> str:
        names = self._accounts[f].name, self._accounts[t].name
        return (
            f"{names[0]!r} -> {names[1]!r} crosses layers (claims on the exchange vs. holdings of units); "
            "post the holdings leg and the claims leg (via exchange:claims_issued) as two postings"
        )

    def _floor_message(self, f: int, a: int, balance: int, amount: int, prefix: str) -> str:
        acct = self._accounts[f]
        code = self._assets[a].code
        if acct.allow_negative_balance and acct.credit_limit_minor is None:
            limit = "-2**62, the bound on any balance"
        elif acct.allow_negative_balance:
            limit = f"its credit limit of {acct.credit_limit_minor} minor units"
        else:
            limit = "zero (account has no allow_negative_balance)"
        return (
            f"{prefix}: {acct.name!r} holds {balance} minor {code}; paying {amount} would take it "
            f"to {balance - amount}, below {limit}"
        )

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
        (`assets` may also be integer asset indices). The batch is judged exactly as if its postings
        were applied one by one in order: an account may go below its floor nowhere in the batch,
        even if a later posting would bring it back. If any posting would be refused, none is
        applied and the `LedgerError` names the batch index and the reason.
        """
        amt = self._int_column(amounts, None, "amounts")
        n = amt.shape[0]
        if n == 0:
            return range(self._n, self._n)
        f = self._int_column(from_accounts, n, "from_accounts")
        t = self._int_column(to_accounts, n, "to_accounts")
        ts = self._int_column(ts_ns, n, "ts_ns")
        rf = self._int_column(-1 if refs is None else refs, n, "refs")
        a = self._asset_column(assets, n)
        n_acc = len(self._accounts)
        bad = (amt <= 0) | (amt > MAX_BALANCE_MINOR)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise LedgerError(f"batch refused at index {i}: amount_minor must be in (0, 2**62], got {amt[i]}")
        for name, col in (("from_account", f), ("to_account", t)):
            bad = (col < 0) | (col >= n_acc)
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise LedgerError(f"batch refused at index {i}: unknown {name} {col[i]}")
        same = f == t
        if same.any():
            i = int(np.flatnonzero(same)[0])
            raise LedgerError(
                f"batch refused at index {i}: from and to are the same account {self._accounts[int(f[i])].name!r}"
            )
        cross = self._layer_np[f] != self._layer_np[t]
        if cross.any():
            i = int(np.flatnonzero(cross)[0])
            raise LedgerError(f"batch refused at index {i}: {self._cross_layer_message(int(f[i]), int(t[i]))}")
        cause_ids, new_causes = self._string_column(causes, n, "causes", self._cause_idx, len(self._causes))
        class_ids, new_classes = self._string_column(classes, n, "classes", self._class_idx, len(self._classes))
        # Validate balances with sequential semantics, then apply; nothing is written before this passes.
        if n <= _SMALL_BATCH or int(amt.max()) > (MAX_BALANCE_MINOR - 1) // n:
            keys, values = self._judge_python(f, t, a, amt)
        else:
            keys, values = self._judge_numpy(f, t, a, amt)

        for s in new_causes:
            self._intern(s, self._causes, self._cause_idx)
        for s in new_classes:
            self._intern(s, self._classes, self._class_idx)
        start = self._n
        self._grow_postings(start + n)
        c = self._cols
        end = start + n
        c["ts_ns"][start:end] = ts
        c["from_account"][start:end] = f
        c["to_account"][start:end] = t
        c["asset"][start:end] = a
        c["amount_minor"][start:end] = amt
        c["cause"][start:end] = cause_ids
        c["counterparty_class"][start:end] = class_ids
        c["ref"][start:end] = rf
        self._bal.reshape(-1)[keys] = values
        self._n = end
        return range(start, end)

    def _int_column(self, values: Any, n: int | None, what: str) -> np.ndarray:
        if n is not None and (_is_int(values) and not isinstance(values, bool)):
            return np.full(n, int(values), dtype=np.int64)
        try:
            arr = np.asarray(values)
        except (OverflowError, ValueError) as exc:
            raise LedgerError(f"batch refused: {what} is not an integer array ({exc})") from None
        if arr.ndim != 1:
            raise LedgerError(f"batch refused: {what} must be one-dimensional, got shape {arr.shape}")
        if arr.dtype.kind == "O" and arr.size and all(_is_int(x) and not isinstance(x, bool) for x in arr):
            # Python ints beyond int64: reject by range, never by wrap-around.
            if any(not -(2**63) <= int(x) < 2**63 for x in arr):
                raise LedgerError(f"batch refused: {what} has a value outside int64")
            arr = arr.astype(np.int64)
        if arr.size == 0 and arr.dtype.kind == "f":
            arr = arr.astype(np.int64)
        if arr.dtype.kind not in "iu":
            raise LedgerError(f"batch refused: {what} must hold integers, got dtype {arr.dtype}")
        if arr.dtype.kind == "u" and arr.size and int(arr.max()) >= 2**63:
            raise LedgerError(f"batch refused: {what} has a value outside int64")
        arr = arr.astype(np.int64, copy=False)
        if n is not None and arr.shape[0] != n:
            raise LedgerError(f"batch refused: {what} has length {arr.shape[0]}, expected {n}")
        return arr

    def _asset_column(self, values: Any, n: int) -> np.ndarray:
        if isinstance(values, str):
            return np.full(n, self.asset_index(values), dtype=np.int64)
        arr = np.asarray(values)
        if arr.ndim != 1 or arr.shape[0] != n:
            raise LedgerError(f"batch refused: assets must be a string or have length {n}")
        if arr.dtype.kind in "iu":
            ids = arr.astype(np.int64)
            bad = (ids < 0) | (ids >= len(self._assets))
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise LedgerError(f"batch refused at index {i}: unknown asset index {ids[i]}")
            return ids
        uniq, inv = np.unique(arr.astype(str), return_inverse=True)
        lut = np.empty(len(uniq), dtype=np.int64)
        for j, code in enumerate(uniq.tolist()):
            k = self._asset_idx.get(code)
            if k is None:
                i = int(np.flatnonzero(inv == j)[0])
                raise LedgerError(
                    f"batch refused at index {i}: unknown asset {code!r}; this journal has {', '.join(self.assets)}"
                )
            lut[j] = k
        return lut[inv.reshape(-1)]

    def _string_column(
        self, values: Any, n: int, what: str, index: dict[str, int], size: int
    ) -> tuple[np.ndarray, list[str]]:
        """Ids for interned strings; returns the new strings to intern on success (ids assigned
        from `size` on) without touching the table yet."""
        if isinstance(values, str):
            uniq_list = [values]
            inv = np.zeros(n, dtype=np.int64)
        else:
            arr = np.asarray(values)
            if arr.ndim != 1 or arr.shape[0] != n:
                raise LedgerError(f"batch refused: {what} must be a string or have length {n}")
            if arr.dtype.kind not in "UO":
                raise LedgerError(f"batch refused: {what} must hold strings, got dtype {arr.dtype}")
            if arr.dtype.kind == "O" and not all(isinstance(x, str) for x in arr):
                raise LedgerError(f"batch refused: {what} must hold strings")
            uniq, inv = np.unique(arr.astype(str), return_inverse=True)
            uniq_list = uniq.tolist()
            inv = inv.reshape(-1)
        lut = np.empty(len(uniq_list), dtype=np.int64)
        new: list[str] = []
        for j, s in enumerate(uniq_list):
            if not s:
                i = int(np.flatnonzero(inv == j)[0])
                raise LedgerError(f"batch refused at index {i}: {what} must be non-empty strings")
            k = index.get(s)
            if k is None:
                k = size + len(new)
                new.append(s)
            lut[j] = k
        return lut[inv], new

    def _judge_python(
        self, f: np.ndarray, t: np.ndarray, a: np.ndarray, amt: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Sequential validation with exact Python ints (small batches, or sums that could pass
        2**62); returns flat balance indices and their final values."""
        cur: dict[tuple[int, int], int] = {}
        bal = self._bal
        for i, (fi, ti, ai, x) in enumerate(zip(f.tolist(), t.tolist(), a.tolist(), amt.tolist())):
            fk, tk = (fi, ai), (ti, ai)
            fb = cur[fk] if fk in cur else int(bal[fk])
            if fb - x < self._floor[fi]:
                raise LedgerError(self._floor_message(fi, ai, fb, x, f"batch refused at index {i}"))
            tb = cur[tk] if tk in cur else int(bal[tk])
            if tb + x > MAX_BALANCE_MINOR:
                raise LedgerError(
                    f"batch refused at index {i}: {self._accounts[ti].name!r} would hold more than 2**62 minor units"
                )
            cur[fk] = fb - x
            cur[tk] = tb + x
        n_as = len(self._assets)
        keys = np.array([acct * n_as + asset for acct, asset in cur], dtype=np.int64)
        return keys, np.array(list(cur.values()), dtype=np.int64)

    def _judge_numpy(
        self, f: np.ndarray, t: np.ndarray, a: np.ndarray, amt: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Sequential validation, vectorised: every (account, asset) touched gets its running balance
        through the batch in posting order (stable sort + segmented cumsum) and each point is checked
        against the floor. Caller guarantees sum(amt) < 2**62, so nothing here can wrap.
        Returns flat balance indices and their final values."""
        n = f.shape[0]
        n_as = len(self._assets)
        keys = np.empty(2 * n, dtype=np.int64)
        keys[0::2] = f * n_as + a
        keys[1::2] = t * n_as + a
        deltas = np.empty(2 * n, dtype=np.int64)
        np.negative(amt, out=deltas[0::2])
        deltas[1::2] = amt
        order = np.argsort(keys, kind="stable")
        sk = keys[order]
        sd = deltas[order]
        run = np.cumsum(sd)
        starts = np.flatnonzero(np.concatenate(([True], sk[1:] != sk[:-1])))
        lengths = np.diff(np.append(starts, 2 * n))
        run -= np.repeat(run[starts] - sd[starts], lengths)
        run += self._bal.reshape(-1)[sk]  # running balance after each event
        acct = sk // n_as
        bad = (run < self._floor_np[acct]) | (run > MAX_BALANCE_MINOR)
        if bad.any():
            ev = order[bad]
            first = int(ev.min())
            i = first // 2
            k = int(np.flatnonzero(order == first)[0])
            ai, acc = int(sk[k] % n_as), int(acct[k])
            after = int(run[k])
            if after > MAX_BALANCE_MINOR:
                raise LedgerError(
                    f"batch refused at index {i}: {self._accounts[acc].name!r} would hold more than 2**62 minor units"
                )
            x = int(amt[i])
            raise LedgerError(self._floor_message(acc, ai, after + x, x, f"batch refused at index {i}"))
        last = np.append(starts[1:], 2 * n) - 1
        return sk[last], run[last]

    @contextmanager
    def transaction(self, ts_ns: int | None = None) -> Iterator[Transaction]:
        """Collect postings and apply them atomically when the block exits without an exception.

        `with journal.transaction(ts) as tx: tx.post(...); tx.post(...)`; `tx.seqs` after the block.
        """
        tx = Transaction(self, ts_ns)
        yield tx
        tx._commit()

    def post_all(self, postings: Iterable[Posting | tuple]) -> range:
        """Apply a list of `Posting`s atomically (sequential semantics, as `post_many`)."""
        rows = [Posting(*p) for p in postings]
        if not rows:
            return range(self._n, self._n)
        cols = list(zip(*rows))
        return self.post_many(
            np.array(cols[0], dtype=object),
            np.array(cols[1], dtype=object),
            np.array(cols[2], dtype=object),
            list(cols[3]),
            np.array(cols[4], dtype=object),
            list(cols[5]),
            list(cols[6]),
            np.array(cols[7], dtype=object),
        )

    # ------------------------------------------------------------------ balances and invariants

    def balance(self, account: int, asset: str) -> int:
        a = self.asset_index(asset)
        self.account(account)
        return int(self._bal[account, a])

    def balances(self, asset: str) -> np.ndarray:
        """Balances of every account (indexed by id) in one asset, int64, a copy."""
        return self._bal[: len(self._accounts), self.asset_index(asset)].copy()

    def balance_matrix(self, upto_seq: int | None = None) -> np.ndarray:
        """Balances as an (accounts x assets) int64 copy; with `upto_seq`, as they stood after the
        postings with seq < upto_seq (replayed exactly from the columns)."""
        if upto_seq is None or upto_seq >= self._n:
            return self._bal[: len(self._accounts)].copy()
        return self._replay(max(0, upto_seq))

    def _replay(self, upto: int) -> np.ndarray:
        """Balances recomputed from postings [0, upto), exactly: amounts are split in 32-bit halves
        whose sums cannot wrap, chunk by chunk, and recombined as Python ints."""
        n_as = len(self._assets)
        size = len(self._accounts) * n_as
        total = np.zeros(size, dtype=object)
        total[:] = 0
        c = self._cols
        for lo_row in range(0, upto, _REPLAY_CHUNK):
            hi_row = min(upto, lo_row + _REPLAY_CHUNK)
            a = c["asset"][lo_row:hi_row].astype(np.int64)
            fk = c["from_account"][lo_row:hi_row].astype(np.int64) * n_as + a
            tk = c["to_account"][lo_row:hi_row].astype(np.int64) * n_as + a
            amt = c["amount_minor"][lo_row:hi_row]
            hi = amt >> 32
            lo = amt & _LO_MASK
            acc_hi = np.zeros(size, dtype=np.int64)
            acc_lo = np.zeros(size, dtype=np.int64)
            np.add.at(acc_hi, tk, hi)
            np.subtract.at(acc_hi, fk, hi)
            np.add.at(acc_lo, tk, lo)
            np.subtract.at(acc_lo, fk, lo)
            total += acc_hi.astype(object) * 2**32 + acc_lo.astype(object)
        out_of_range = [i for i, v in enumerate(total.tolist()) if not -MAX_BALANCE_MINOR <= v <= MAX_BALANCE_MINOR]
        if out_of_range:
            i = out_of_range[0]
            raise LedgerError(
                f"replayed balance of {self._accounts[i // n_as].name!r} in {self._assets[i % n_as].code} "
                f"is {total[i]}, outside +/-2**62"
            )
        return total.astype(np.int64).reshape(len(self._accounts), n_as)

    def check(self) -> None:
        """Prove the journal's invariants; raises `LedgerError` naming the first thing that broke.

        1. every stored posting is well formed (positive amount, known ids, from != to);
        2. replaying all postings reproduces the running balances exactly;
        3. for every asset, the balances of all accounts sum to exactly 0;
        4. `exchange:claims_issued` equals minus the sum of all claim balances, per asset;
        5. no account without `allow_negative_balance` is below zero, and none with a credit limit
           is below minus its limit.
        """
        n, c = self._n, self._cols
        n_acc, n_as = len(self._accounts), len(self._assets)
        if n:
            amt = c["amount_minor"][:n]
            if int(amt.min()) <= 0 or int(amt.max()) > MAX_BALANCE_MINOR:
                i = int(np.flatnonzero((amt <= 0) | (amt > MAX_BALANCE_MINOR))[0])
                raise LedgerError(f"check: posting {i} has amount {amt[i]} outside (0, 2**62]")
            for key, limit in (("from_account", n_acc), ("to_account", n_acc), ("asset", n_as)):
                col = c[key][:n]
                if int(col.min()) < 0 or int(col.max()) >= limit:
                    i = int(np.flatnonzero((col < 0) | (col >= limit))[0])
                    raise LedgerError(f"check: posting {i} has {key} {col[i]} out of range")
            same = c["from_account"][:n] == c["to_account"][:n]
            if same.any():
                raise LedgerError(f"check: posting {int(np.flatnonzero(same)[0])} moves from an account to itself")
        stored = self._bal[:n_acc]
        replayed = self._replay(n)
        diff = replayed != stored
        if diff.any():
            i, j = (int(x) for x in np.argwhere(diff)[0])
            raise LedgerError(
                f"check: balance of {self._accounts[i].name!r} in {self._assets[j].code} is {stored[i, j]} "
                f"but its postings add up to {replayed[i, j]}"
            )
        claims = self._claim_np[:n_acc]
        for j, a in enumerate(self._assets):
            col = stored[:, j]
            total = _exact_sum(col)
            if total != 0:
                raise LedgerError(f"check: balances in {a.code} sum to {total}, not 0")
            claim_total = _exact_sum(col[claims])
            issued = int(col[self.claims_issued])
            if issued != -claim_total:
                raise LedgerError(f"check: {CLAIMS_ISSUED} holds {issued} {a.code} but claims sum to {claim_total}")
        below = stored < self._floor_np[:n_acc, None]
        if below.any():
            i, j = (int(x) for x in np.argwhere(below)[0])
            raise LedgerError(
                f"check: {self._accounts[i].name!r} holds {stored[i, j]} {self._assets[j].code}, below its "
                f"floor {self._floor[i]}"
            )

    def borrowed_customer_funds(self, asset: str) -> int:
        """How much privileged accounts owe, in minor units of `asset` (a positive number): the sum of
        the negative balances of accounts with `allow_negative_balance` other than externals, custody
        and the claims contra. On a claim account this is customer money taken out of the exchange."""
        col = self.balances(asset)
        total = 0
        for acct in self._accounts:
            if (
                acct.allow_negative_balance
                and acct.kind not in (AccountKind.EXTERNAL, AccountKind.CUSTODY)
                and acct.id != self.claims_issued
                and col[acct.id] < 0
            ):
                total -= int(col[acct.id])
        return total

    # ------------------------------------------------------------------ export

    def to_arrow(self) -> Any:
        """The postings as a pyarrow Table: account, asset, cause and class columns as dictionary-
        encoded strings, amounts as int64."""
        import pyarrow as pa

        n, c = self._n, self._cols
        names = pa.array([acct.name for acct in self._accounts], type=pa.string())

        def dict_col(key: str, dictionary: Any) -> Any:
            return pa.DictionaryArray.from_arrays(pa.array(c[key][:n].astype(np.int32)), dictionary)

        return pa.table(
            {
                "seq": pa.array(np.arange(n, dtype=np.int64)),
                "ts_ns": pa.array(c["ts_ns"][:n]),
                "from_account": dict_col("from_account", names),
                "to_account": dict_col("to_account", names),
                "asset": dict_col("asset", pa.array(list(self.assets), type=pa.string())),
                "amount_minor": pa.array(c["amount_minor"][:n]),
                "cause": dict_col("cause", pa.array(self._causes, type=pa.string())),
                "counterparty_class": dict_col("counterparty_class", pa.array(self._classes, type=pa.string())),
                "ref": pa.array(c["ref"][:n]),
            }
        )

    def accounts_to_arrow(self) -> Any:
        """The accounts as a pyarrow Table (credit_limit_minor is null for unlimited or none)."""
        import pyarrow as pa

        accts = self._accounts
        return pa.table(
            {
                "account_id": pa.array([x.id for x in accts], type=pa.int32()),
                "account": pa.array([x.name for x in accts], type=pa.string()),
                "kind": pa.array([x.kind.value for x in accts], type=pa.string()),
                "class": pa.array([x.cls for x in accts], type=pa.string()),
                "claim": pa.array([x.claim for x in accts], type=pa.bool_()),
                "allow_negative_balance": pa.array([x.allow_negative_balance for x in accts], type=pa.bool_()),
                "credit_limit_minor": pa.array([x.credit_limit_minor for x in accts], type=pa.int64()),
                "liquidation_exempt": pa.array([x.liquidation_exempt for x in accts], type=pa.bool_()),
                "fast_order_entry": pa.array([x.fast_order_entry for x in accts], type=pa.bool_()),
            }
        )

    def write_parquet(self, out_dir: Path | str) -> tuple[Path, Path]:
        """Write `ledger.parquet` and `accounts.parquet` (zstd) into `out_dir`; returns both paths."""
        import pyarrow.parquet as pq

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        ledger_path, accounts_path = out / "ledger.parquet", out / "accounts.parquet"
        pq.write_table(self.to_arrow(), ledger_path, compression="zstd")
        pq.write_table(self.accounts_to_arrow(), accounts_path, compression="zstd")
        return ledger_path, accounts_path


class Transaction:
    """Postings collected by `Journal.transaction()`, applied together on exit."""

    def __init__(self, journal: Journal, ts_ns: int | None) -> None:
        self._journal = journal
        self._ts_ns = ts_ns
        self._rows: list[Posting] = []
        self.seqs: range | None = None

    def post(
        self,
        from_account: int,
        to_account: int,
        asset: str,
        amount_minor: int,
        cause: str,
        counterparty_class: str,
        ref: int = -1,
        *,
        ts_ns: int | None = None,
    ) -> int:
        """Queue one leg; returns its index within the transaction. Nothing is checked or applied
        until the block exits."""
        if self.seqs is not None:
            raise LedgerError("transaction already committed")
        ts = self._ts_ns if ts_ns is None else ts_ns
        if ts is None:
            raise LedgerError("transaction leg needs ts_ns (give it to transaction() or to post())")
        self._rows.append(Posting(ts, from_account, to_account, asset, amount_minor, cause, counterparty_class, ref))
        return len(self._rows) - 1

    def _commit(self) -> None:
        self.seqs = self._journal.post_all(self._rows)


def open_standard_accounts(
    journal: Journal,
    *,
    house_allow_negative_balance: bool = False,
    house_credit_limit_minor: int | None = None,
    house_liquidation_exempt: bool = False,
    house_fast_order_entry: bool = False,
) -> dict[str, int]:
    """Open the accounts every exchange scenario uses (custody, externals, exchange corporate, the
    house's exchange account and off-exchange books) and return {name: id}. The house privileges are
    off unless asked for."""
    K = AccountKind
    specs: list[tuple[str, AccountKind, str, dict[str, Any]]] = [
        ("custody", K.CUSTODY, "exchange", {}),
        ("exchange:fees", K.EXCHANGE, "exchange", {}),
        ("exchange:insurance_fund", K.EXCHANGE, "exchange", {}),
        (
            "house:exchange",
            K.HOUSE,
            "house",
            {
                "allow_negative_balance": house_allow_negative_balance,
                "credit_limit_minor": house_credit_limit_minor,
                "liquidation_exempt": house_liquidation_exempt,
                "fast_order_entry": house_fast_order_entry,
            },
        ),
        ("house:treasury", K.HOUSE, "house", {}),
        ("house:ventures", K.HOUSE, "house", {}),
        ("house:longs", K.HOUSE, "house", {}),
        ("house:loans", K.HOUSE, "house", {}),
        ("external:depositors", K.EXTERNAL, "depositor", {}),
        ("external:market", K.EXTERNAL, "market", {}),
        ("external:lenders", K.EXTERNAL, "lender", {}),
        ("external:ventures", K.EXTERNAL, "venture", {}),
    ]
    return {name: journal.open_account(name, kind, cls, **kw) for name, kind, cls, kw in specs}
