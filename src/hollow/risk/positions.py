"""Positions and perp balances per account, per instrument and per counterparty class.

Why by class: the journal must say who paid whom, so each account's PnL is kept against each class
it traded with (`pos[s, i, c]`, `basis[s, c]`; the exchange is class 0, for fees and the insurance
fund). Every change is zero-sum within a pair of classes, so the PnL of a class pair sums to what
the clearing account still owes or is owed for it. The net figures the margin rules need every
message (`lots[s, i]`, `cash[s]`) are kept eagerly; the class columns follow from the venue's fill
log in bulk (`apply_fills`) before anything reads them.

`entries()[s, i]` is the signed entry value of the position at its average entry price (minor
units): it grows with a position, shrinks in proportion when the position is reduced, and restarts at
the fill price when the position flips; funding and settlements leave it alone. It depends on the
order of trades, so trades are logged and replayed (in Python) only when someone reads it: FTX's ADL
and the margin rules never do, only BitMEX's ranking and socialised loss.
"""

from __future__ import annotations

import numpy as np

EXCHANGE_CLASS = 0


def entry_after(entry: int, old: int, delta: int, value: int) -> int:
    """Entry value after a trade of `delta` lots for `value` (signed cash) on a position of `old`."""
    new = old + delta
    if old == 0 or (old > 0) == (delta > 0):
        return entry + value
    if new == 0 or (new > 0) == (old > 0):  # reduced: the average entry price is kept
        return -((-entry * abs(new)) // abs(old)) if entry < 0 else entry * abs(new) // abs(old)
    return value * new // delta  # flipped: the new position starts at this trade's price


class PositionTable:
    """Growable int64 arrays: lots (n, I), pos (n, I, C), basis (n, C), cash (n), entry (n, I)."""

    def __init__(self, n_instruments: int, n_classes: int) -> None:
        self.n = 0
        self.lots = np.zeros((16, n_instruments), dtype=np.int64)
        self.pos = np.zeros((16, n_instruments, n_classes), dtype=np.int64)
        self.basis = np.zeros((16, n_classes), dtype=np.int64)
        self.cash = np.zeros(16, dtype=np.int64)
        self.entry = np.zeros((16, n_instruments), dtype=np.int64)
        self._trades: list[tuple[np.ndarray, ...]] = []  # (buyer, seller, instrument, lots, cash) not yet in entry
        self._logged = 0

    @property
    def n_classes(self) -> int:
        return self.basis.shape[1]

    def grow(self, n: int) -> None:
        """Room for `n` accounts (capacity doubles, so registering many accounts stays linear)."""
        cap = self.cash.shape[0]
        if n > cap:
            while cap < n:
                cap *= 2
            self.entries()
            for name in ("lots", "pos", "basis", "cash", "entry"):
                old = getattr(self, name)
                new = np.zeros((cap,) + old.shape[1:], dtype=np.int64)
                new[: self.n] = old[: self.n]
                setattr(self, name, new)
        self.n = n

    def widen(self, n_classes: int) -> None:
        """More counterparty classes (a new kind of account registered)."""
        extra = n_classes - self.n_classes
        if extra > 0:
            self.pos = np.concatenate([self.pos, np.zeros(self.pos.shape[:2] + (extra,), dtype=np.int64)], axis=2)
            self.basis = np.concatenate([self.basis, np.zeros((self.basis.shape[0], extra), dtype=np.int64)], axis=1)

    def add_instrument(self) -> None:
        self.entries()
        for name in ("lots", "pos", "entry"):
            old = getattr(self, name)
            setattr(self, name, np.concatenate([old, np.zeros((old.shape[0], 1) + old.shape[2:], dtype=np.int64)], axis=1))

    # -- changes --------------------------------------------------------------------------------
    def book(self, s: int, column: int, amount: int) -> None:
        """Cash owed to (+) or by (-) account `s`, against class `column`."""
        self.basis[s, column] += amount
        self.cash[s] += amount

    def move(self, buyer: int, seller: int, buyer_cls: int, seller_cls: int, i: int, qty: int, cash: int) -> None:
        """`qty` lots of instrument `i` from seller to buyer for `cash`, both legs and both entries."""
        one = np.array([buyer]), np.array([seller]), np.array([buyer_cls]), np.array([seller_cls])
        self.move_many(*one, i, np.array([qty]), np.array([cash]))

    def move_many(self, buyer: np.ndarray, seller: np.ndarray, buyer_cls: np.ndarray, seller_cls: np.ndarray,
                  i: int, qty: np.ndarray, cash: np.ndarray) -> None:
        """Many (buyer, seller, lots, cash) pieces of instrument `i`, in order."""
        lots = self.lots[:, i]
        np.add.at(lots, buyer, qty)
        np.add.at(lots, seller, -qty)
        np.add.at(self.cash, buyer, -cash)
        np.add.at(self.cash, seller, cash)
        self.apply_fills(buyer, seller, buyer_cls, seller_cls, np.full(buyer.size, i, dtype=np.int64), qty, cash)

    def apply_fills(self, buyer: np.ndarray, seller: np.ndarray, buyer_cls: np.ndarray, seller_cls: np.ndarray,
                    inst: np.ndarray, qty: np.ndarray, cash: np.ndarray) -> None:
        """The class columns of trades whose `lots` and `cash` were already applied; logs them for the entries."""
        np.add.at(self.pos, (buyer, inst, seller_cls), qty)
        np.add.at(self.pos, (seller, inst, buyer_cls), -qty)
        np.add.at(self.basis, (buyer, seller_cls), -cash)
        np.add.at(self.basis, (seller, buyer_cls), cash)
        self._trades.append((buyer, seller, inst, qty, cash))
        self._logged += buyer.size
        if self._logged > 1 << 20:  # bound the log's memory
            self.entries()

    def entries(self) -> np.ndarray:
        """The entry values, with every logged trade replayed in order."""
        if not self._trades:
            return self.entry
        buyer, seller, inst, qty, cash = (np.concatenate(c).tolist() for c in zip(*self._trades))
        self._trades, self._logged = [], 0
        pos: dict[tuple[int, int], int] = {}
        for b, s, i, q in zip(buyer, seller, inst, qty):
            pos[(b, i)] = pos.get((b, i), 0) - q
            pos[(s, i)] = pos.get((s, i), 0) + q
        entry = {}
        for k in pos:
            pos[k] += int(self.lots[k])  # the position before the logged trades
            entry[k] = int(self.entry[k])
        step = entry_after
        for b, s, i, q, x in zip(buyer, seller, inst, qty, cash):
            k = (b, i)
            old = pos[k]
            entry[k] = step(entry[k], old, q, x)
            pos[k] = old + q
            k = (s, i)
            old = pos[k]
            entry[k] = step(entry[k], old, -q, -x)
            pos[k] = old - q
        for k, v in entry.items():
            self.entry[k] = v
        return self.entry

    # -- reading --------------------------------------------------------------------------------
    def upnl_by_class(self, rows: np.ndarray, mark_cash: np.ndarray) -> np.ndarray:
        """Unrealised PnL of `rows` against each class: basis + sum over instruments of pos * mark."""
        return self.basis[rows] + np.einsum("kic,i->kc", self.pos[rows], mark_cash)

    def position_pnl(self, rows: np.ndarray, mark_cash: np.ndarray) -> np.ndarray:
        """PnL of the open positions of `rows` against their average entry (what ADL ranks on)."""
        return (self.lots[rows] * mark_cash - self.entries()[rows]).sum(axis=1)
