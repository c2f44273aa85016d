"""Margin rules in exact integers: FTX margin fractions, the per-account figures they give, the mark.

Weights and margin fractions are ppm, square roots are integer square roots (`isqrt_vec`), and
products that could pass 2**63 are split so they cannot wrap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from hollow.market.book import Book
from hollow.money import PPM


def isqrt_vec(x: np.ndarray) -> np.ndarray:
    """Exact floor square root of non-negative int64 values (a float guess, corrected by one)."""
    s = np.sqrt(x.astype(np.float64)).astype(np.int64)
    s = np.where(s * s > x, s - 1, s)
    return np.where((s + 1) * (s + 1) <= x, s + 1, s)


def ceil_ppm(amount: np.ndarray, rate_ppm: np.ndarray) -> np.ndarray:
    """ceil(amount * rate_ppm / 1e6) for amount >= 0 and 0 <= rate_ppm <= 1e6, without overflow."""
    q, r = np.divmod(amount, PPM)
    return q * rate_ppm + -((-r * rate_ppm) // PPM)


@dataclass(frozen=True, slots=True)
class MarginParams:
    """FTX margin fractions: IMF = max(1/max_leverage, IMF_factor * sqrt(size)); MMF and ACMF keep
    their ratio to IMF, so all three grow with position size."""

    base_imf_ppm: int
    imf_factor_ppm: int
    base_mmf_ppm: int
    base_acmf_ppm: int

    def __post_init__(self) -> None:
        if not 0 < self.base_acmf_ppm <= self.base_mmf_ppm <= self.base_imf_ppm <= PPM:
            raise ValueError("margin fractions must satisfy 0 < ACMF <= MMF <= IMF <= 100%")

    def imf_ppm(self, size_micro: np.ndarray) -> np.ndarray:
        grown = self.imf_factor_ppm * isqrt_vec(size_micro) // 1000
        return np.minimum(PPM, np.maximum(self.base_imf_ppm, grown))

    def imf_ppm_one(self, size_micro: int) -> int:
        """`imf_ppm` for one position, in Python ints (the pre-trade check runs on every order)."""
        return min(PPM, max(self.base_imf_ppm, self.imf_factor_ppm * math.isqrt(size_micro) // 1000))

    def scaled(self, imf_ppm: np.ndarray, base_ppm: int) -> np.ndarray:
        """MMF or ACMF for a position whose IMF is `imf_ppm`."""
        return imf_ppm * base_ppm // self.base_imf_ppm


@dataclass(frozen=True, slots=True)
class MarginState:
    """Per-account figures at one set of marks (arrays indexed by slot), in quote minor units."""

    equity_minor: np.ndarray  # quote-asset claim + unrealised PnL (what the waterfall works on)
    weighted_equity_minor: np.ndarray  # plus non-quote collateral at haircut total weights (for MF)
    notional_minor: np.ndarray
    mmf_minor: np.ndarray
    acmf_minor: np.ndarray

    @property
    def below_maintenance(self) -> np.ndarray:
        return (self.notional_minor > 0) & (self.weighted_equity_minor < self.mmf_minor)


def median_mark(book: Book, index_ticks: int) -> int:
    """FTX mark price: median of last trade, best bid and best ask; the index when one is missing."""
    values = [book.last_trade(), book.best_bid(), book.best_ask()]
    if any(v is None for v in values):
        return index_ticks
    return sorted(values)[1]
