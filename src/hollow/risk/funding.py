"""Perpetual funding, FTX style: each interval longs pay shorts TWAP(mark - index) / index / 24.

Why exact: funding is a transfer between traders, so the amounts must sum to zero to the minor unit.
Payers' shares are rounded up, and the total is split among receivers pro rata to position size;
the rounding remainder goes one unit at a time to the largest fractional shares, ties by slot.
Who paid whom (`funding_by_class`): every payer's payment is split across the receivers' classes,
and every receipt across the payers' classes, pro rata and exactly, so each class pair balances.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from hollow.risk.attribution import apportion


class PremiumTwap:
    """Time-weighted average of (mark - index) over equally spaced samples since the last payment."""

    def __init__(self, periods_per_day: int = 24) -> None:
        self.periods_per_day = periods_per_day
        self.premium_sum_ticks = 0
        self.samples = 0

    def sample(self, mark_ticks: int, index_ticks: int) -> None:
        self.premium_sum_ticks += mark_ticks - index_ticks
        self.samples += 1

    def take_rate(self, index_ticks: int) -> Fraction:
        """The rate for the interval just ended (positive: longs pay), and start a new interval."""
        rate = Fraction(0)
        if self.samples and index_ticks > 0:
            rate = Fraction(self.premium_sum_ticks, self.samples * index_ticks * self.periods_per_day)
        self.premium_sum_ticks = self.samples = 0
        return rate


def allocate_funding(position_lots: np.ndarray, index_ticks: int, minor_per_tick_lot: int, rate: Fraction) -> np.ndarray:
    """Funding per account (positive: receives), summing to exactly zero.

    Payer i (long when rate > 0) owes ceil(|pos_i| * index * mult * |rate|); receivers share the total
    in proportion to |pos|.
    """
    out = np.zeros(len(position_lots), dtype=np.int64)
    if rate == 0:
        return out
    sign = 1 if rate > 0 else -1
    size = position_lots.tolist()
    payers = [i for i, p in enumerate(size) if p * sign > 0]
    receivers = [i for i, p in enumerate(size) if p * sign < 0]
    if not payers or not receivers:
        return out
    num, den = abs(rate.numerator) * index_ticks * minor_per_tick_lot, rate.denominator
    total = 0
    for i in payers:
        owed = -((-abs(size[i]) * num) // den)
        out[i] = -owed
        total += owed
    weight = sum(abs(size[j]) for j in receivers)
    shares = [(total * abs(size[j]), j) for j in receivers]
    given = 0
    for scaled, j in shares:
        out[j] = scaled // weight
        given += scaled // weight
    by_remainder = sorted(shares, key=lambda sj: (-(sj[0] % weight), sj[1]))
    for _, j in by_remainder[: total - given]:
        out[j] += 1
    return out


def funding_by_class(amounts: np.ndarray, cls: np.ndarray, n_classes: int) -> np.ndarray:
    """Per-account funding (positive: receives) as (accounts x counterparty classes): class totals
    pro rata (payer class x receiver class), then each class's total split across its members."""
    out = np.zeros((len(amounts), n_classes), dtype=np.int64)
    values, classes = amounts.tolist(), cls.tolist()
    paid, got = [0] * n_classes, [0] * n_classes
    for v, c in zip(values, classes):
        if v < 0:
            paid[c] -= v
        elif v > 0:
            got[c] += v
    flows = apportion(paid, got)  # flows[x][y]: what class x pays class y
    for side, totals in ((-1, flows), (1, [list(col) for col in zip(*flows)])):
        for c in range(n_classes):
            rows = [k for k, (v, k_cls) in enumerate(zip(values, classes)) if v * side > 0 and k_cls == c]
            if rows:
                split = apportion([abs(values[k]) for k in rows], totals[c])
                out[rows] = side * np.asarray(split, dtype=np.int64)
    return out
