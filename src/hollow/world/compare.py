"""Reading finished runs: the differences that matter between two (`hollow compare`) and DuckDB over one
run's tables (`hollow query`). Both verify the run folder first, so a partial or changed run is refused."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from hollow.errors import HollowError
from hollow.io.run_folder import verify_run

TABLES = ("daily", "ledger", "accounts", "sessions", "flows", "markouts", "hole_flows")


def _summary(run: str, flag: str) -> dict:
    verify_run(run, flag)
    try:
        return json.loads((Path(run) / "summary.json").read_text())
    except (OSError, ValueError) as exc:
        raise HollowError(f"{run}: summary.json cannot be read ({exc}); is it a world run?") from None


def _usd(minor: int | None) -> str:
    return "-" if minor is None else f"{minor / 1e6:,.0f}"


def differences(run_a: str, run_b: str) -> list[tuple[str, str, str, str]]:
    """(what, A, B, B - A) rows: collapse date, the hole at collapse, the house's losses by bucket (USD)."""
    a, b = _summary(run_a, "RUN_A"), _summary(run_b, "RUN_B")
    if "house_losses_by_bucket_minor" not in a or "house_losses_by_bucket_minor" not in b:
        raise HollowError("compare: both folders must be world runs (hollow run)")
    rows = [("collapse date", str(a["collapse_date"]), str(b["collapse_date"]), _days(a["collapse_date"], b["collapse_date"]))]
    for key, label in (("hole_at_collapse_minor", "hole at collapse (USD)"),
                       ("hole_at_fire_sale_at_collapse_minor", "hole at fire-sale values (USD)"),
                       ("house_borrowed_at_collapse_minor", "customer money at the house (USD)")):
        rows.append((label, _usd(a[key]), _usd(b[key]), _usd(b[key] - a[key])))
    for key in ("hole_opened_date", "insolvent_date", "house_failed_date"):
        rows.append((key.removesuffix("_date").replace("_", " "), str(a[key]), str(b[key]), _days(a[key], b[key])))
    la, lb = a["house_losses_by_bucket_minor"], b["house_losses_by_bucket_minor"]
    for bucket in sorted(set(la) | set(lb), key=lambda k: (k == "total", k)):
        x, y = la.get(bucket, 0), lb.get(bucket, 0)
        rows.append((f"house loss: {bucket} (USD)", _usd(x), _usd(y), _usd(y - x)))
    return rows


def _days(a: str | None, b: str | None) -> str:
    if a is None or b is None:
        return "-" if a == b else "one never"
    return f"{(dt.date.fromisoformat(b) - dt.date.fromisoformat(a)).days:+d} days"


def run_query(run: str, sql: str) -> list[str]:
    """The result of `sql` over the run's tables as CSV lines (header first)."""
    import csv
    import io

    import duckdb

    verify_run(run, "RUN")
    con = duckdb.connect(":memory:")
    try:
        for name in TABLES:
            path = Path(run) / f"{name}.parquet"
            if path.exists():
                quoted = str(path).replace("'", "''")
                con.execute(f"create view {name} as select * from read_parquet('{quoted}')")
        try:
            cursor = con.execute(sql)
        except duckdb.Error as exc:
            raise HollowError(f"query: {str(exc).splitlines()[0]}") from None
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow([d[0] for d in cursor.description or []])
        writer.writerows(cursor.fetchall())
        return buffer.getvalue().splitlines()
    finally:
        con.close()
