"""A world run's tables and summary: `daily.parquet` (one row per day), `sessions.parquet` (one row per
session used), `flows.parquet` (who paid whom, by class and cause, over the run), the journal's
`ledger.parquet` and `accounts.parquet`, and `summary.json` (the headline: collapse date, the hole at
collapse, the house's losses by bucket). Everything is a pure function of the run, sorted, so a rerun
writes the same bytes."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from hollow.sessions.flows import class_flows
from hollow.world.timeline import WorldResult

FLOAT_COLUMNS = {"news", "token_fall"}
TEXT_COLUMNS = {"regime"}


def daily_table(rows: list[dict]) -> pa.Table:
    """The daily rows with fixed types: date, ints (minor units, ppm, units), bools, a few floats."""
    columns = {}
    for name in rows[0]:
        values = [r[name] for r in rows]
        if name == "date":
            kind = pa.date32()
        elif name in FLOAT_COLUMNS:
            kind = pa.float64()
        elif name in TEXT_COLUMNS:
            kind = pa.string()
        elif isinstance(values[0], bool):
            kind = pa.bool_()
        else:
            kind = pa.int64()
        columns[name] = pa.array(values, type=kind)
    return pa.table(columns)


def sessions_table(result: WorldResult) -> pa.Table:
    rows = sorted(result.market.sessions.values(), key=lambda r: (r["first_day"], r["session_key"]))
    classes = sorted({c for r in rows for c in r["pnl_by_class_minor"]})
    cols: dict[str, pa.Array] = {
        "session_key": pa.array([r["session_key"] for r in rows], pa.string()),
        "regime": pa.array([r["regime"] for r in rows], pa.string()),
        "seed": pa.array([r["seed"] for r in rows], pa.int64()),
        "stress": pa.array([r["stress"] for r in rows], pa.bool_()),
        "first_day": pa.array([r["first_day"] for r in rows], pa.date32()),
        "days": pa.array([r["days"] for r in rows], pa.int64()),
        "events": pa.array([r["events"] for r in rows], pa.int64()),
        "house_volume_minor": pa.array([r["house_volume_minor"] for r in rows], pa.int64()),
    }
    for c in classes:
        pnl = [r["pnl_by_class_minor"].get(c) for r in rows]
        cols[f"pnl_{c}_minor"] = pa.array(pnl, pa.int64())
        cols[f"pnl_{c}_per_million_house_usd"] = pa.array(
            [None if p is None or not r["house_volume_minor"] else p * 1_000_000 / r["house_volume_minor"] for p, r in zip(pnl, rows)],
            pa.float64())
    return pa.table(cols)


def markouts_table(result: WorldResult) -> pa.Table:
    """The house's markouts by year, horizon and taker class (exact sums), with its volume that year."""
    m = result.market
    keys = sorted(m.markouts)
    return pa.table({
        "year": pa.array([k[0] for k in keys], pa.int64()),
        "horizon_s": pa.array([k[1] for k in keys], pa.int64()),
        "counterparty_class": pa.array([k[2] for k in keys], pa.string()),
        "markout_minor": pa.array([m.markouts[k] for k in keys], pa.int64()),
        "house_volume_minor": pa.array([m.markout_volume[k[0]] for k in keys], pa.int64()),
    }, schema=pa.schema([("year", pa.int64()), ("horizon_s", pa.int64()), ("counterparty_class", pa.string()),
                         ("markout_minor", pa.int64()), ("house_volume_minor", pa.int64())]))


def first_day(rows: list[dict], column: str, threshold: int) -> str | None:
    for r in rows:
        if r[column] > threshold:
            return r["date"].isoformat()
    return None


def summary(result: WorldResult) -> dict:
    """The headline and the record-facing figures (docs/calibration.md compares them)."""
    rows, s, collapse = result.rows, result.scenario, result.collapse
    at = collapse["row"]
    threshold = s.hole_threshold_usd * 10**6
    lenders = {
        st.config.name: {"drawn_minor": st.drawn, "repaid_minor": st.repaid, "recalled_minor": st.recalled,
                         "interest_minor": st.interest, "seized_minor": st.seized_value,
                         "owed_at_collapse_minor": collapse["owed"][st.config.name],
                         "defaulted_on": None if st.defaulted_on is None else st.defaulted_on.isoformat()}
        for st in result.lending.lenders
    }
    return {
        "scenario": s.name,
        "description": s.description,
        "seed": s.seed,
        "start": s.start.isoformat(),
        "end": s.end.isoformat(),
        "collapse_date": None if result.halt_date is None else result.halt_date.isoformat(),
        "hole_at_collapse_minor": at["hole_minor"],
        "hole_at_fire_sale_at_collapse_minor": at["hole_at_fire_sale_minor"],
        "house_borrowed_at_collapse_minor": at["house_borrowed_minor"],
        "customer_liabilities_at_collapse_minor": at["customer_liabilities_minor"],
        "custody_at_collapse_minor": at["custody_minor"],
        "liquid_coverage_at_collapse_ppm": at["liquid_coverage_ppm"],
        "hole_opened_date": first_day(rows, "hole_at_fire_sale_minor", int(threshold)),
        "insolvent_date": first_day(rows, "group_shortfall_minor", int(threshold)),
        "house_failed_date": None if result.house.failed_on is None else result.house.failed_on.isoformat(),
        "house_losses_by_bucket_minor": collapse["losses"],
        "house_taken_from_customers_minor": result.house.from_customers,
        "absorbed_minor": dict(sorted(result.absorbed.items())),
        "lenders": lenders,
        "spending_minor": {k: {"spent": result.house.spent.get(k, 0), "unpaid": result.house.unpaid.get(k, 0)}
                           for k in sorted({k for k, _ in result.house.items()})},
        "token": {"burned_units": result.token.burned, "supply_units": result.token.supply(),
                  "house_units_at_collapse": at["house_token_units"], "price_at_collapse_minor": at["token_price_minor"]},
        "run_withdrawals_by_class_minor": dict(sorted(result.run_withdrawals.items())),
        "depositor_accounts": result.population.accounts,
        "sessions": len(result.market.sessions),
        "postings": len(result.books.journal),
        "journal_check_passed": True,
    }


def write(result: WorldResult, folder: Path) -> None:
    """Every table and the summary into `folder` (zstd Parquet, sorted JSON)."""
    pq.write_table(daily_table(result.rows), folder / "daily.parquet", compression="zstd")
    pq.write_table(sessions_table(result), folder / "sessions.parquet", compression="zstd")
    pq.write_table(markouts_table(result), folder / "markouts.parquet", compression="zstd")
    pq.write_table(class_flows(result.books.journal, skip_causes=()).to_arrow(), folder / "flows.parquet", compression="zstd")
    result.books.journal.write_parquet(folder)
    (folder / "summary.json").write_text(json.dumps(summary(result), indent=2, sort_keys=True) + "\n")
