"""Early-warning signals dated against the collapse: for each, the first day it crossed its threshold
and how many days before the halt that was. Thresholds (and why) are in THRESHOLDS; docs/reading-the-report.md
says more.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from hollow.analysis.reserves import monthly
from hollow.analysis.run import RunTables
from hollow.money import PPM
from hollow.money import asset as lookup_asset

WINDOW_DAYS = 90

THRESHOLDS = {
    "house_markout_trend": (0.0, "below", ("90-day house trading result per $1M traded below zero: a market maker that loses "
                                          "on its flow for a quarter is being picked off, not unlucky")),
    "honest_reserve_ratio": (1.0, "below", ("month-end reserves without the own token below liabilities: an honest monthly "
                                           "proof of reserves would show the hole")),
    "house_token_share": (0.5, "above", ("more than half the house's honest assets in the exchange's own token: one fall of "
                                        "the token takes its collateral and its solvency together")),
    "house_borrowing_share": (0.10, "above", ("the house owes more than 10% of liquid custody to the exchange: customer money "
                                             "is funding an affiliate at a scale no margin desk would allow")),
}


@dataclass(frozen=True)
class Signal:
    name: str
    threshold: float
    direction: str
    why: str
    series: list[tuple[dt.date, float]]
    first: dt.date | None
    lead_days: int | None


def _series(run: RunTables) -> dict[str, list[tuple[dt.date, float]]]:
    rows = run.rows("""select date, house_trading_minor, house_volume_minor, house_token_units, token_price_minor,
                              house_assets_honest_minor, house_borrowed_minor, liquid_custody_minor from daily order by date""")
    scale = lookup_asset(run.token).scale if run.token else 1
    trend, token, borrow = [], [], []
    pnl = vol = 0
    for i, (d, t, v, units, price, assets, borrowed, liquid) in enumerate(rows):
        pnl, vol = pnl + t, vol + v
        if i >= WINDOW_DAYS:
            pnl, vol = pnl - rows[i - WINDOW_DAYS][1], vol - rows[i - WINDOW_DAYS][2]
        trend.append((d, pnl * 1_000_000 / vol if vol else 0.0))
        held = (units or 0) * (price or 0) // scale
        token.append((d, held / (assets + held) if assets + held > 0 else 0.0))
        borrow.append((d, borrowed / liquid if liquid > 0 else 0.0))
    honest = [(r["date"], r["honest_ppm"] / PPM) for r in monthly(run)]
    return {"house_markout_trend": trend, "honest_reserve_ratio": honest, "house_token_share": token,
            "house_borrowing_share": borrow}


def signals(run: RunTables) -> list[Signal]:
    collapse = run.summary.get("collapse_date")
    halt = dt.date.fromisoformat(collapse) if collapse else None
    out = []
    for name, series in _series(run).items():
        threshold, direction, why = THRESHOLDS[name]
        sign = -1 if direction == "below" else 1
        first = next((d for d, x in series if sign * (x - threshold) > 0 and (halt is None or d <= halt)), None)
        lead = None if first is None or halt is None else (halt - first).days
        out.append(Signal(name, threshold, direction, why, series, first, lead))
    return out
