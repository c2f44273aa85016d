"""Who paid whom through the perp clearing account: the counterparty class on every realisation.

Positions and perp balances are kept per (account, counterparty class), so each account's PnL is
known against each class. Netting makes the gross flows ambiguous: an account's balance against
class B nets what it made from one B account and lost to another, and a class's receipts "from B"
can be funded by its own members' payments passing through B's netting. The journal's readers
(`sessions/flows.py`) pair a payee's posting out of the clearing account ("received from class X")
with the payers' postings into it ("paid to class Y"); the labels here make those agree.

For each ordered class pair the book keeps `owed[x, y]`: what class x paid toward class y through the
clearing account minus what class y received from class x. A batch of realisations picks, per pair
of classes {X, Y}, how much of X's receipts are labelled "from Y" (the rest "from X": money of X's own
members that merely passed through Y's netting, always matched inside the batch) and how much of X's
payments are labelled "to Y", to bring owed[X, Y] and owed[Y, X] as close to zero as the batch allows.
When a batch cannot do it with the amounts it has (money an account received earlier was fronted by
the clearing, and the payer now nets it against a gain), an account of the batch gets a pass-through
pair of legs (it receives and pays the same amount, labelled with the other class): the receipt and
the payment it made through the netting, made explicit. After a full settlement every owed[x, y] is
zero, so received(x -> y) == paid(x -> y) for every pair; per account the net posted is unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

_INF = float("inf")
Legs = tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]  # rows, labels, signed amounts


def _total(v: np.ndarray) -> int:
    """Exact sum of int64 values as a Python int."""
    return sum(v.tolist()) if v.size < 64 or int(np.abs(v).max()) > 2**62 // v.size else int(v.sum())


def _take_first(amounts: np.ndarray, total: int) -> np.ndarray:
    """Per row, the part of `amounts` that falls in the first `total` units (rows in order)."""
    before = np.cumsum(amounts) - amounts
    return np.clip(total - before, 0, amounts)


def _clamp(x: float, lo: float, hi: float) -> float:
    return min(max(x, lo), hi)


def _nearest(lo: float, hi: float, target_lo: float, target_hi: float, prefer: float) -> float:
    """The point of [lo, hi] inside [target_lo, target_hi] closest to `prefer`, or if they do not
    meet, the point of [lo, hi] closest to the target interval."""
    a, b = max(lo, target_lo), min(hi, target_hi)
    if a <= b:
        return _clamp(prefer, a, b)
    return lo if lo > target_hi else hi


class Attribution:
    """The owed-through-clearing book of every ordered class pair, and the labelling of batches."""

    def __init__(self) -> None:
        self.owed: dict[tuple[int, int], int] = {}

    def paid_in(self, x: int, y: int, amount: int) -> None:
        """Class x paid `amount` into the clearing account toward class y."""
        self._add(x, y, amount)

    def paid_out(self, x: int, y: int, amount: int) -> None:
        """Class y received `amount` out of the clearing account from class x."""
        self._add(x, y, -amount)

    def _add(self, x: int, y: int, amount: int) -> None:
        if amount:
            self.owed[(x, y)] = self.owed.get((x, y), 0) + amount

    def pool(self, x: int, y: int) -> int:
        """owed[x, y] + owed[y, x] (just owed[x, x] within a class)."""
        return self.owed.get((x, y), 0) + (self.owed.get((y, x), 0) if x != y else 0)

    def unsettled(self) -> dict[tuple[int, int], int]:
        return {k: v for k, v in sorted(self.owed.items()) if v}

    # -- labelling ----------------------------------------------------------------------------
    def label(self, amounts: np.ndarray, row_cls: np.ndarray, *, every_pool: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Split a batch of postings (rows x classes, signed: + the row's account receives from the
        clearing, - it pays) into legs (row, label class, signed amount) and book them. With
        `every_pool` (a full settlement) a pair of classes with nothing to post but still out of
        balance (money an account's own netting absorbed, e.g. a fund share paid back as insurance)
        is brought to zero too, by a pass-through pair on an account of the batch."""
        legs: Legs = ([], [], [])
        by_cls = {int(x): np.flatnonzero(row_cls == x) for x in np.unique(row_cls)}
        pools: set[tuple[int, int]] = set()
        for x, rows in by_cls.items():
            for y in np.flatnonzero((amounts[rows] != 0).any(axis=0)).tolist():
                pools.add((min(x, y), max(x, y)))
        if every_pool:
            pools.update((min(x, y), max(x, y)) for (x, y), v in self.owed.items() if v and x != y and (x in by_cls or y in by_cls))
        empty = np.zeros(0, dtype=np.int64)
        for x, y in sorted(pools):
            rx = by_cls.get(x, empty)
            if x == y:
                v = amounts[rx, x]
                pick = np.flatnonzero(v)
                self._add(x, x, -_total(v[pick]))
                self._emit(legs, rx[pick], x, v[pick])
                continue
            ry = by_cls.get(y, empty)
            self._cross(legs, x, y, rx, amounts[rx, y], ry, amounts[ry, x])
        if not legs[0]:
            return empty, empty, empty
        return np.concatenate(legs[0]), np.concatenate(legs[1]), np.concatenate(legs[2])

    def _cross(self, legs: Legs, x: int, y: int, rx: np.ndarray, vx: np.ndarray, ry: np.ndarray, vy: np.ndarray) -> None:
        """One pair of classes: choose d = (X receipts labelled Y) - (Y receipts labelled X)."""
        r_x, n_x = _total(np.maximum(vx, 0)), _total(np.maximum(-vx, 0))
        r_y, n_y = _total(np.maximum(vy, 0)), _total(np.maximum(-vy, 0))
        s_x, s_y = r_x - n_x, r_y - n_y
        lo_x, lo_y = max(0, s_x), max(0, s_y)
        hi_x = _INF if rx.size else r_x  # an absent side cannot carry pass-through legs
        hi_y = _INF if ry.size else r_y
        a, b = self.owed.get((y, x), 0) - s_y, self.owed.get((x, y), 0) - s_x
        # feasible d; among them those that minimise |owed'[y,x]| + |owed'[x,y]|; among those the
        # ones that need no pass-through legs; among those the one nearest the nominal labels
        f_lo, f_hi = lo_x - hi_y, hi_x - lo_y
        t_lo, t_hi = min(a, -b), max(a, -b)
        if max(f_lo, t_lo) <= min(f_hi, t_hi):
            f_lo, f_hi = max(f_lo, t_lo), min(f_hi, t_hi)
        else:
            f_lo = f_hi = _nearest(f_lo, f_hi, t_lo, t_hi, 0)
        d = int(_nearest(f_lo, f_hi, lo_x - r_y, r_x - lo_y, r_x - r_y))
        top = min(r_y, r_x - d)
        if max(lo_y, lo_x - d) <= top:
            x2 = top
        elif d > r_x - lo_y:
            x2 = lo_y
        else:
            x2 = lo_x - d
        x1 = d + x2
        y1, y2 = x1 - s_x, x2 - s_y
        self._add(y, x, y2 - x1)
        self._add(x, y, y1 - x2)
        self._side(legs, rx, vx, x, y, x1, y1, max(0, x1 - r_x))
        self._side(legs, ry, vy, y, x, x2, y2, max(0, x2 - r_y))

    def _side(self, legs: Legs, rows: np.ndarray, v: np.ndarray, own: int, other: int, recv_other: int, pay_other: int, extra: int) -> None:
        """Legs of one side: the first `recv_other` of its receipts and `pay_other` of its payments
        are labelled with the other class, the rest with its own; `extra` is a pass-through pair."""
        if not rows.size:
            return
        recv, pay = np.maximum(v, 0), np.maximum(-v, 0)
        if extra:
            k = int(np.argmax(recv)) if recv.any() else (int(np.argmax(pay)) if pay.any() else 0)
            recv[k] += extra
            pay[k] += extra
        for amounts, other_part, sign in ((recv, recv_other, 1), (pay, pay_other, -1)):
            labelled = _take_first(amounts, other_part)
            for part, label in ((labelled, other), (amounts - labelled, own)):
                pick = np.flatnonzero(part)
                self._emit(legs, rows[pick], label, sign * part[pick])

    @staticmethod
    def _emit(legs: Legs, rows: np.ndarray, label: int, signed: np.ndarray) -> None:
        if rows.size:
            legs[0].append(rows)
            legs[1].append(np.full(rows.size, label, dtype=np.int64))
            legs[2].append(signed.astype(np.int64))


def apportion(rows: Sequence[int], cols: Sequence[int]) -> list[list[int]]:
    """An integer matrix with exactly these row and column sums (equal totals), each cell its
    pro-rata share row * col / total rounded down plus at most one: the floors, then each row's
    missing units to the columns that still miss the most, larger remainders first (bipartite
    Havel-Hakimi: the missing units form a 0/1 matrix that exists, so it cannot get stuck)."""
    total = sum(rows)
    if total != sum(cols):
        raise ValueError(f"apportion: row total {total} != column total {sum(cols)}")
    out = [[r * c // total if total else 0 for c in cols] for r in rows]
    need_col = [c - sum(out[i][j] for i in range(len(rows))) for j, c in enumerate(cols)]
    for i, r in enumerate(rows):
        need = r - sum(out[i])
        if need:
            frac = [r * c % total for c in cols]
            order = sorted(range(len(cols)), key=lambda j: (-need_col[j], -frac[j], j))
            for j in order[:need]:
                out[i][j] += 1
                need_col[j] -= 1
    if any(need_col):
        raise ArithmeticError(f"apportion: columns left unmatched {need_col}")
    return out
