"""Postings collected and applied together: `Posting` rows for `Journal.post_all` and the
`Transaction` behind `with journal.transaction(ts) as tx:`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from hollow.errors import LedgerError
from hollow.ledger.validation import INT64_MAX, require_int

if TYPE_CHECKING:
    from hollow.ledger.journal import Journal


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


class Transaction:
    """Postings collected by `Journal.transaction()`, applied together when the block exits
    normally. Once the block has exited (committed, refused or aborted) it takes no more legs."""

    def __init__(self, journal: Journal, ts_ns: int | None) -> None:
        self._journal = journal
        self._ts_ns = ts_ns
        self._rows: list[Posting] = []
        self._closed = False
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
        if self._closed:
            raise LedgerError("transaction is closed (already committed or aborted); open a new one")
        ts = self._ts_ns if ts_ns is None else ts_ns
        if ts is None:
            raise LedgerError("transaction leg needs ts_ns (give it to transaction() or to post())")
        self._rows.append(Posting(ts, from_account, to_account, asset, amount_minor, cause, counterparty_class, ref))
        return len(self._rows) - 1



@contextmanager
def collect(journal: Journal, ts_ns: int | None) -> Iterator[Transaction]:
    """`Journal.transaction`: legs are applied in one `post_all` on a normal exit, never otherwise;
    either way the transaction is closed afterwards."""
    if ts_ns is not None:
        require_int(ts_ns, "ts_ns", 0, INT64_MAX, "transaction refused")
    tx = Transaction(journal, ts_ns)
    try:
        yield tx
    finally:
        tx._closed = True
    tx.seqs = journal.post_all(tx._rows)


def posting_columns(postings: Iterable[Posting | tuple]) -> tuple[Any, ...] | None:
    """`post_many`'s arguments for a list of postings (None for an empty list). Number columns
    become object arrays so that `post_many` sees each value as given (a bool stays a bool)."""
    if isinstance(postings, (str, bytes)) or not isinstance(postings, Iterable):
        raise LedgerError(f"post_all refused: expected an iterable of postings, got {postings!r}")
    rows = []
    for i, p in enumerate(postings):
        if type(p) is not Posting:
            try:
                p = Posting(*p)
            except TypeError as exc:
                raise LedgerError(
                    f"post_all refused at index {i}: a posting is (ts_ns, from, to, asset, amount, cause, "
                    f"class[, ref]), got {p!r} ({exc})"
                ) from None
        rows.append(p)
    if not rows:
        return None
    ts, f, t, a, amt, cause, cls, ref = zip(*rows)
    obj = [np.array(col, dtype=object) for col in (ts, f, t, amt, ref)]
    return obj[0], obj[1], obj[2], list(a), obj[3], list(cause), list(cls), obj[4]
