"""The posting log: growable columnar numpy storage, one row per posting (its seq is the row).

Cause and counterparty-class strings are interned, so a posting costs ~40 bytes and no Python
object. The log stores what the journal has already validated; it checks nothing itself.
"""

from __future__ import annotations

import numpy as np

COLUMNS: dict[str, type[np.integer]] = {
    "ts_ns": np.int64,
    "from_account": np.int32,
    "to_account": np.int32,
    "asset": np.int16,
    "amount_minor": np.int64,
    "cause": np.int32,
    "counterparty_class": np.int32,
    "ref": np.int64,
}
MAX_ASSETS = int(np.iinfo(np.int16).max)  # asset ids are stored as int16


class Interned:
    """Distinct strings in first-seen order and their ids."""

    def __init__(self) -> None:
        self.values: list[str] = []
        self.index: dict[str, int] = {}

    def id(self, value: str) -> int:
        i = self.index.get(value)
        if i is None:
            i = len(self.values)
            self.values.append(str(value))
            self.index[str(value)] = i
        return i

    def extend(self, new: list[str]) -> None:
        """Add strings known to be new (ids continue from the current size)."""
        for s in new:
            self.id(s)


class PostingLog:
    def __init__(self) -> None:
        self.n = 0
        self.cap = 0
        self.cols: dict[str, np.ndarray] = {}
        self.causes = Interned()
        self.classes = Interned()
        self.grow(1024)

    def grow(self, need: int) -> None:
        if need <= self.cap:
            return
        cap = max(need, 2 * self.cap, 1024)
        cols = {}
        for key, dtype in COLUMNS.items():
            col = np.empty(cap, dtype=dtype)
            if self.n:
                col[: self.n] = self.cols[key][: self.n]
            cols[key] = col
        self.cols = cols
        self.cap = cap

    def append(self, ts: int, f: int, t: int, a: int, amount: int, cause: int, cls: int, ref: int) -> int:
        seq = self.n
        if seq >= self.cap:
            self.grow(seq + 1)
        c = self.cols
        c["ts_ns"][seq] = ts
        c["from_account"][seq] = f
        c["to_account"][seq] = t
        c["asset"][seq] = a
        c["amount_minor"][seq] = amount
        c["cause"][seq] = cause
        c["counterparty_class"][seq] = cls
        c["ref"][seq] = ref
        self.n = seq + 1
        return seq

    def extend(
        self,
        ts: np.ndarray,
        f: np.ndarray,
        t: np.ndarray,
        a: np.ndarray,
        amount: np.ndarray,
        cause: np.ndarray,
        cls: np.ndarray,
        ref: np.ndarray,
    ) -> range:
        """Append one batch given as arrays of equal length."""
        start = self.n
        end = start + len(amount)
        self.grow(end)
        c = self.cols
        c["ts_ns"][start:end] = ts
        c["from_account"][start:end] = f
        c["to_account"][start:end] = t
        c["asset"][start:end] = a
        c["amount_minor"][start:end] = amount
        c["cause"][start:end] = cause
        c["counterparty_class"][start:end] = cls
        c["ref"][start:end] = ref
        self.n = end
        return range(start, end)

    def view(self, start: int, stop: int) -> dict[str, np.ndarray]:
        """Read-only views of rows [start, stop) plus their `seq`."""
        out = {"seq": np.arange(start, stop, dtype=np.int64)}
        for key, col in self.cols.items():
            v = col[start:stop]
            v.flags.writeable = False
            out[key] = v
        return out
