"""The house's markouts over a run, from what a world run keeps: each session's PnL by taker class per
$1M the house traded (the markout at the session's horizon) and the daily split of the house's trading
result into spread earned and adverse selection paid.

The markout curves (`curves`) come from `markouts.parquet`: each day's sessions' house markouts at
+1 s / +10 s / +60 s by taker class, scaled to the day like every other flow and summed by year.
"""

from __future__ import annotations

from collections import defaultdict

from hollow.analysis.run import RunTables

TAKERS = ("arbitrageur", "trading_firm", "retail")


def by_class_and_year(run: RunTables) -> list[dict]:
    """(year, taker class, USD per $1M of house volume the class took off the house), day-weighted."""
    cols = {r[0] for r in run.rows("select column_name from (describe sessions)")}
    takers = [t for t in TAKERS if f"pnl_{t}_minor" in cols]
    if not takers:
        return []
    select = ", ".join(f"pnl_{t}_minor" for t in takers)
    pnl: dict[tuple[int, str], int] = defaultdict(int)
    volume: dict[int, int] = defaultdict(int)
    for first, days, house_volume, *values in run.rows(f"select first_day, days, house_volume_minor, {select} from sessions where not stress"):
        volume[first.year] += days * house_volume
        for t, v in zip(takers, values, strict=True):
            pnl[first.year, t] += days * (v or 0)
    return [{"year": y, "taker_class": t, "usd_per_million": pnl[y, t] * 1_000_000 / volume[y]}
            for y in sorted(volume) for t in takers if volume[y]]


def curves(run: RunTables) -> list[dict]:
    """(year, taker class, horizon s, the house's markout in USD per $1M it traded that year)."""
    rows = run.rows("select year, counterparty_class, horizon_s, markout_minor, house_volume_minor from markouts order by 1, 2, 3")
    return [{"year": y, "taker_class": c, "horizon_s": h, "markout_minor": int(m),
             "usd_per_million": int(m) * 1_000_000 / int(v) if v else 0.0} for y, c, h, m, v in rows]


def house_by_year(run: RunTables) -> list[dict]:
    """The house's trading result, spread and adverse selection per $1M of its volume, by year (exact sums)."""
    rows = run.rows("""select year(date) y, sum(house_volume_minor), sum(house_trading_minor), sum(house_spread_minor),
                              sum(house_adverse_selection_minor) from daily group by 1 order by 1""")
    return [{"year": y, "house_volume_minor": int(v), "trading_minor": int(t), "spread_minor": int(s),
             "adverse_selection_minor": int(a),
             "trading_per_million": int(t) * 1_000_000 / int(v) if v else 0.0,
             "spread_per_million": int(s) * 1_000_000 / int(v) if v else 0.0,
             "adverse_per_million": int(a) * 1_000_000 / int(v) if v else 0.0} for y, v, t, s, a in rows]
