"""Exact replay of the posting log and the proof of the journal's invariants.

Both read the journal only through its public record (postings, accounts, balances), the way an
auditor would: if `check()` passes, the invariants hold for what the journal reports.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from hollow.errors import LedgerError
from hollow.ledger.accounts import CLAIMS_ISSUED, Account
from hollow.ledger.validation import MAX_BALANCE_MINOR

if TYPE_CHECKING:
    from hollow.ledger.journal import Journal

_LO_MASK = np.int64(0xFFFFFFFF)
_REPLAY_CHUNK = 1 << 26  # rows per exact replay chunk: 32-bit halves summed over it cannot wrap


def exact_sum(values: np.ndarray) -> int:
    """Exact sum of an int64 array as a Python int (halves of 32 bits cannot wrap below 2**31 rows)."""
    if values.size == 0:
        return 0
    return int((values >> 32).sum()) * 2**32 + int((values & _LO_MASK).sum())


def replay(journal: Journal, upto: int) -> np.ndarray:
    """Balances (accounts x assets) recomputed from postings [0, upto), exactly: amounts are split
    in 32-bit halves whose sums cannot wrap, chunk by chunk, and recombined as Python ints."""
    return _replay(journal.postings(0, upto), journal.accounts(), journal.assets)


def _replay(cols: dict[str, np.ndarray], accounts: list[Account], codes: tuple[str, ...]) -> np.ndarray:
    n_as = len(codes)
    size = len(accounts) * n_as
    total = np.zeros(size, dtype=object)
    total[:] = 0
    upto = len(cols["amount_minor"])
    for lo_row in range(0, upto, _REPLAY_CHUNK):
        rows = slice(lo_row, min(upto, lo_row + _REPLAY_CHUNK))
        a = cols["asset"][rows].astype(np.int64)
        fk = cols["from_account"][rows].astype(np.int64) * n_as + a
        tk = cols["to_account"][rows].astype(np.int64) * n_as + a
        amt = cols["amount_minor"][rows]
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
            f"replayed balance of {accounts[i // n_as].name!r} in {codes[i % n_as]} is {total[i]}, outside +/-2**62"
        )
    return total.astype(np.int64).reshape(len(accounts), n_as)


def check(journal: Journal) -> None:
    """Prove the invariants listed in `Journal.check`; raise `LedgerError` at the first broken one."""
    n = len(journal)
    accounts, codes = journal.accounts(), journal.assets
    n_acc, n_as = len(accounts), len(codes)
    c = journal.postings()
    if n:
        amt = c["amount_minor"]
        if int(amt.min()) <= 0 or int(amt.max()) > MAX_BALANCE_MINOR:
            i = int(np.flatnonzero((amt <= 0) | (amt > MAX_BALANCE_MINOR))[0])
            raise LedgerError(f"check: posting {i} has amount {amt[i]} outside (0, 2**62]")
        for key, limit in (("from_account", n_acc), ("to_account", n_acc), ("asset", n_as)):
            col = c[key]
            if int(col.min()) < 0 or int(col.max()) >= limit:
                i = int(np.flatnonzero((col < 0) | (col >= limit))[0])
                raise LedgerError(f"check: posting {i} has {key} {col[i]} out of range")
        same = c["from_account"] == c["to_account"]
        if same.any():
            raise LedgerError(f"check: posting {int(np.flatnonzero(same)[0])} moves from an account to itself")
    stored = journal.balance_matrix()
    replayed = _replay(c, accounts, codes)
    diff = replayed != stored
    if diff.any():
        i, j = (int(x) for x in np.argwhere(diff)[0])
        raise LedgerError(
            f"check: balance of {accounts[i].name!r} in {codes[j]} is {stored[i, j]} "
            f"but its postings add up to {replayed[i, j]}"
        )
    claims = journal.claim_mask()
    for j, code in enumerate(codes):
        col = stored[:, j]
        total = exact_sum(col)
        if total != 0:
            raise LedgerError(f"check: balances in {code} sum to {total}, not 0")
        claim_total = exact_sum(col[claims])
        issued = int(col[journal.claims_issued])
        if issued != -claim_total:
            raise LedgerError(f"check: {CLAIMS_ISSUED} holds {issued} {code} but claims sum to {claim_total}")
    floors = journal.floors()
    below = stored < floors[:, None]
    if below.any():
        i, j = (int(x) for x in np.argwhere(below)[0])
        raise LedgerError(
            f"check: {accounts[i].name!r} holds {stored[i, j]} {codes[j]}, below its floor {floors[i]}"
        )
