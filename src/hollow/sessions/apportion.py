"""Exact integer scaling: multiply many amounts by num/den so that their total comes out as asked
(largest remainder, ties by position). A scaled set of transfers stays a set of transfers, so every
zero-sum relation between them survives the scaling."""

from __future__ import annotations

from collections.abc import Sequence


def apportion(values: Sequence[int], num: int, den: int, target: int | None = None) -> list[int]:
    """Each value times num/den, floored, then one more unit to the largest remainders until the sum is
    `target` (default floor(sum * num / den)). Signed values are fine; `den` must be positive."""
    if den <= 0 or num < 0:
        raise ValueError(f"scale {num}/{den}: need num >= 0 and den > 0")
    values = [int(v) for v in values]
    if target is None:
        target = sum(values) * num // den
    base = [v * num // den for v in values]
    if not values:
        if target:
            raise ValueError("cannot apportion a nonzero target over no values")
        return []
    extra = target - sum(base)
    order = sorted(range(len(values)), key=lambda i: (-(values[i] * num - base[i] * den), i))
    if extra < 0:
        order.reverse()  # take units back from the smallest remainders first
    whole, rest = divmod(abs(extra), len(values))
    sign = 1 if extra > 0 else -1
    for rank, i in enumerate(order):
        base[i] += sign * (whole + (rank < rest))
    return base
