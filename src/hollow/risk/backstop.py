"""The waterfall's parameters and record: backstop providers, the FTX liquidation rules, the log."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import pyarrow as pa

from hollow.money import PPM

LIQUIDATION_COLUMNS = ("ts_ns", "account", "class", "step", "qty_lots", "price_ticks", "amount_minor",
                       "counterparty", "fund_minor")
_MINUTE_NS, _HOUR_NS = 60 * 10**9, 3600 * 10**9


@dataclass
class Backstop:
    """A backstop liquidity provider. FTX's programme set MINIMUMS, not caps: a provider "must absorb
    at least $0.1M per minute and $0.3M per hour" [6]. So `per_minute_minor` / `per_hour_minor` are
    what it has committed to take in any rolling minute / hour whatever its margin; beyond them it
    takes whatever its initial margin allows (the waterfall asks the margin engine), within its own
    position limit `max_position_lots` when it has one (None: none)."""

    slot: int
    name: str
    per_minute_minor: int
    per_hour_minor: int
    max_position_lots: int | None = None
    _minute: deque[tuple[int, int]] = field(default_factory=deque)
    _hour: deque[tuple[int, int]] = field(default_factory=deque)
    _minute_sum: int = 0
    _hour_sum: int = 0

    def committed(self, ts_ns: int) -> int:
        """Notional (quote minor units) it must still take in the current minute and hour."""
        while self._minute and self._minute[0][0] <= ts_ns - _MINUTE_NS:
            self._minute_sum -= self._minute.popleft()[1]
        while self._hour and self._hour[0][0] <= ts_ns - _HOUR_NS:
            self._hour_sum -= self._hour.popleft()[1]
        return max(0, min(self.per_minute_minor - self._minute_sum, self.per_hour_minor - self._hour_sum))

    def room_lots(self, committed_lots: int, margin_lots: int, position_lots: int, direction: int) -> int:
        """Lots it takes now in `direction`: its commitment, or more if its margin and limit allow."""
        limit = margin_lots
        if self.max_position_lots is not None:
            limit = min(limit, max(0, self.max_position_lots - position_lots * direction))
        return max(committed_lots, limit)

    def use(self, ts_ns: int, notional_minor: int) -> None:
        for window in (self._minute, self._hour):
            window.append((ts_ns, notional_minor))
        self._minute_sum += notional_minor
        self._hour_sum += notional_minor


@dataclass(frozen=True, slots=True)
class OrderlyParams:
    """FTX's documented liquidation rules [1]; defaults are the documented values.

    Orderly (MMF > MF > ACMF): each pass, for each future, with chance `chance_ppm` (1/6: "about every
    6 s" at one pass a second) a budget of `budget_ppm` of the daily volume (unlimited when the volume
    is not given) is shared by the liquidating accounts, taken in random order; each sends an IOC for
    `slice_ppm` (10%) of its position, at least min(`min_order_minor`, position) and `min_slice_lots`,
    capped by the budget left, times U(1 - jitter, 1 + jitter), priced U(`min_through_ppm`,
    `band_ppm`) through the best opposite quote. Auto-close (MF < ACMF): each pass closes
    (1 - MF/ACMF) of the position, at least min(`min_order_minor`, position), all of it when MF < 0.
    """

    slice_ppm: int = 100_000
    min_slice_lots: int = 1
    band_ppm: int = 500
    min_through_ppm: int = 100
    chance_ppm: int = PPM // 6
    size_jitter_ppm: int = 500_000
    min_order_minor: int = 0
    budget_ppm: int = 100
    daily_volume_minor: int | None = None

    def __post_init__(self) -> None:
        if not (0 < self.slice_ppm <= PPM and self.min_slice_lots >= 1 and 0 <= self.min_through_ppm <= self.band_ppm
                and 0 < self.chance_ppm <= PPM and 0 <= self.size_jitter_ppm < PPM and self.min_order_minor >= 0):
            raise ValueError(f"orderly liquidation parameters out of range: {self}")


class LiquidationLog:
    """One row per waterfall step, columnar. `fund_minor` is the insurance fund after the step."""

    def __init__(self) -> None:
        self.columns: dict[str, list] = {c: [] for c in LIQUIDATION_COLUMNS}

    def add(self, ts_ns: int, account: str, cls: str, step: str, qty_lots: int, price_ticks: int,
            amount_minor: int, counterparty: str, fund_minor: int) -> None:
        for c, v in zip(LIQUIDATION_COLUMNS, (ts_ns, account, cls, step, qty_lots, price_ticks, amount_minor, counterparty, fund_minor)):
            self.columns[c].append(v)

    def extend(self, rows: dict[str, list]) -> None:
        """Many rows at once, column by column."""
        for c in LIQUIDATION_COLUMNS:
            self.columns[c].extend(rows[c])

    def __len__(self) -> int:
        return len(self.columns["ts_ns"])

    def to_arrow(self) -> pa.Table:
        types = {"account": pa.string(), "class": pa.string(), "step": pa.string(), "counterparty": pa.string()}
        return pa.table({c: pa.array(v, types.get(c, pa.int64())) for c, v in self.columns.items()})
