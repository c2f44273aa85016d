"""Non-quote collateral (e.g. FTT): weights with the FTX size haircut, and value-based credit.

Why here and not in the ledger: the journal keeps exact balances per asset and a floor per account
that it applies to each asset in that asset's own units; what a coin is worth, how much of it counts
as margin, and how far an account may borrow across assets *in USD value* are risk decisions, so the
margin engine makes them from the journal's balances and the account's credit limit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from hollow.ledger import MAX_BALANCE_MINOR, Journal
from hollow.money import PPM, asset

_HAIRCUT_NUMERATOR_PPM = 1_100_000  # FTX size haircut: weight = min(table, 1.1 / (1 + f * sqrt(qty)))


def micro_units(qty_minor: int, code: str) -> int:
    """A quantity of an asset in millionths of a whole unit (floor): what size-dependent rates take."""
    return qty_minor * PPM // asset(code).scale


def haircut_weight_ppm(table_weight_ppm: int, imf_factor_ppm: int, qty_micro: int) -> int:
    """FTX collateral weight with the size haircut: min(table, 1.1 / (1 + IMF_factor * sqrt(qty)))."""
    if qty_micro <= 0:
        return table_weight_ppm
    sqrt_milli = math.isqrt(qty_micro)  # sqrt(qty) * 1000
    weight = _HAIRCUT_NUMERATOR_PPM * 10**9 // (10**9 + imf_factor_ppm * sqrt_milli)
    return min(table_weight_ppm, weight)


@dataclass(frozen=True, slots=True)
class CollateralAsset:
    """A non-quote collateral asset: total weight (maintenance), initial weight (opening), IMF factor."""

    code: str
    weight_ppm: int
    initial_weight_ppm: int
    imf_factor_ppm: int
    price_minor: int  # quote minor units for one whole unit

    def value(self, qty_minor: int) -> int:
        """Full (unweighted) value in quote minor units, floor."""
        return qty_minor * self.price_minor // asset(self.code).scale

    def weight(self, qty_minor: int, *, initial: bool = False) -> int:
        """The weight (ppm) a holding of `qty_minor` counts at, size haircut included."""
        table = self.initial_weight_ppm if initial else self.weight_ppm
        return haircut_weight_ppm(table, self.imf_factor_ppm, micro_units(qty_minor, self.code))

    def weighted(self, qty_minor: int, *, initial: bool = False) -> int:
        """What a balance counts for as margin: a holding at its weight, a borrow in full."""
        raw = self.value(qty_minor)
        if qty_minor <= 0:
            return raw
        return raw * self.weight(qty_minor, initial=initial) // PPM

    def units_for(self, amount_minor: int, weight_ppm: int) -> int:
        """Fewest units (minor) whose sale at the haircut price (price x weight) raises `amount_minor`."""
        scale = asset(self.code).scale
        per_unit = self.price_minor * weight_ppm  # quote minor x ppm for one whole unit
        return -((-amount_minor * scale * PPM) // per_unit) if per_unit > 0 else 0

    def units_worth(self, cash_minor: int, weight_ppm: int) -> int:
        """Most units (minor) whose sale at the haircut price raises at most `cash_minor`."""
        per_unit = self.price_minor * weight_ppm
        return ((cash_minor + 1) * asset(self.code).scale * PPM - 1) // per_unit if per_unit > 0 else 0

    def proceeds(self, qty_minor: int, weight_ppm: int) -> int:
        """Quote raised by selling `qty_minor` at the haircut price (floor)."""
        return qty_minor * self.price_minor * weight_ppm // (asset(self.code).scale * PPM)


class CollateralBook:
    """Values every account's non-quote holdings and its payment room, cached between postings."""

    def __init__(self, journal: Journal, quote: str, assets: Sequence[CollateralAsset]) -> None:
        self.journal = journal
        self.quote = quote
        self.assets = {c.code: c for c in assets}
        for code in self.assets:
            journal.asset_index(code)
        self._key: tuple[int, int] = (-1, -1)
        self._initial = np.zeros(0, dtype=np.int64)
        self._total = np.zeros(0, dtype=np.int64)

    def set_price(self, code: str, price_minor: int) -> None:
        """Re-mark a collateral asset (the cached values are dropped)."""
        c = self.assets[code]
        self.assets[code] = CollateralAsset(c.code, c.weight_ppm, c.initial_weight_ppm, c.imf_factor_ppm, price_minor)
        self._key = (-1, -1)

    def values(self, lids: np.ndarray, *, initial: bool) -> np.ndarray:
        """Quote balance plus weighted non-quote collateral of each ledger account in `lids`."""
        return self._current(initial)[lids]

    def value(self, lid: int, *, initial: bool) -> int:
        """`values` of one account (the pre-trade check asks on every order: cached between postings)."""
        if len(self.journal) != self._key[0] or lid >= self._initial.size:
            self._current(initial)
        return int((self._initial if initial else self._total)[lid])

    def _current(self, initial: bool) -> np.ndarray:
        key = (len(self.journal), self.journal.n_accounts)
        if key != self._key:
            self._refresh()
            self._key = key
        return self._initial if initial else self._total

    def _refresh(self) -> None:
        quote = self.journal.balances(self.quote)
        initial, total = quote.copy(), quote.copy()
        for c in self.assets.values():
            held = self.journal.balances(c.code)
            for k in np.flatnonzero(held).tolist():  # few holders: exact Python ints
                initial[k] += c.weighted(int(held[k]), initial=True)
                total[k] += c.weighted(int(held[k]))
        self._initial, self._total = initial, total

    def borrowed_value(self, lid: int) -> int:
        """Full value of what an account has borrowed in non-quote assets (negative balances)."""
        return sum(c.value(-b) for c in self.assets.values() if (b := self.journal.balance(lid, c.code)) < 0)

    def payment_room(self, lids: np.ndarray, floors: np.ndarray, limits: np.ndarray) -> np.ndarray:
        """How much quote each account can pay now: down to zero, or for an account allowed
        negative down to minus its credit limit counted in USD value across every asset it borrows
        (`limits` < 0: unlimited)."""
        balance = self.journal.balances(self.quote)[lids]
        room = np.maximum(balance - floors, 0)
        for k in np.flatnonzero(limits >= 0).tolist():
            borrowed = self.borrowed_value(int(lids[k]))
            room[k] = max(0, min(int(room[k]), int(balance[k]) + int(limits[k]) - borrowed))
        return room


def credit_columns(journal: Journal, lids: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """(floor, credit limit) per account, read from the journal: the floor in quote minor units
    (0, or -2**62 when unlimited) and the limit (-1: none applies, i.e. no credit or unlimited)."""
    floors, limits = [], []
    for lid in lids:
        acct = journal.account(int(lid))
        limited = acct.allow_negative_balance and acct.credit_limit_minor is not None
        floors.append(-MAX_BALANCE_MINOR if acct.allow_negative_balance and not limited else (
            -acct.credit_limit_minor if limited else 0))
        limits.append(acct.credit_limit_minor if limited else -1)
    return np.asarray(floors, dtype=np.int64), np.asarray(limits, dtype=np.int64)
