"""A finished run folder opened for analysis: verified against its manifest, from this version of hollow,
with every table the analysis reads, and DuckDB over its Parquet files (exact 128-bit sums)."""

from __future__ import annotations

import datetime as dt
import json
from functools import cached_property
from pathlib import Path

import duckdb

from hollow import __version__
from hollow.errors import HollowError
from hollow.io.run_folder import verify_run
from hollow.money import asset as lookup_asset
from hollow.world import books as _books  # noqa: F401  registers VENTURE and NOTE
from hollow.world import data

TABLES = ("daily", "ledger", "accounts", "sessions", "flows", "markouts")
AT_PAR = ("USD", "VENTURE", "NOTE")
NS_PER_DAY = 86_400 * 10**9
EPOCH = dt.date(1970, 1, 1)


class RunTables:
    """One world run: its summary, its tables as DuckDB views, and the day's prices."""

    def __init__(self, folder: Path | str, flag: str | None = None, *, manifest: dict | None = None) -> None:
        """`manifest` given: a run being written (inside its RunFolder), so not yet verifiable."""
        self.folder = Path(folder)
        self.manifest = verify_run(self.folder, flag) if manifest is None else manifest
        where = f"{flag} {self.folder}" if flag else str(self.folder)
        version = self.manifest.get("hollow_version")
        if version != __version__:
            raise HollowError(f"{where}: written by hollow {version}, this is {__version__}; rerun it with this version")
        missing = [f"{t}.parquet" for t in TABLES if not (self.folder / f"{t}.parquet").is_file()]
        if missing or not (self.folder / "summary.json").is_file():
            raise HollowError(f"{where}: not a world run (missing {', '.join(missing) or 'summary.json'})")
        self.summary = json.loads((self.folder / "summary.json").read_text())
        self.db = duckdb.connect()
        for t in TABLES:
            path = str(self.folder / f"{t}.parquet").replace("'", "''")
            self.db.execute(f"create view {t} as select * from read_parquet('{path}')")

    def rows(self, sql: str, params: list | None = None) -> list[tuple]:
        return self.db.execute(sql, params or []).fetchall()

    @cached_property
    def dates(self) -> list[dt.date]:
        return [r[0] for r in self.rows("select date from daily order by date")]

    @cached_property
    def token(self) -> str | None:
        """The exchange's own token: the asset the world mints."""
        found = self.rows("select distinct asset from ledger where cause = 'token:mint'")
        return found[0][0] if found else None

    @cached_property
    def assets(self) -> list[str]:
        return [r[0] for r in self.rows("select distinct asset from ledger order by asset")]

    def check_date(self, day: dt.date, flag: str = "--date") -> dt.date:
        if not self.dates or not self.dates[0] <= day <= self.dates[-1]:
            raise HollowError(f"{flag} {day}: outside the run ({self.dates[0]} .. {self.dates[-1]})")
        return day

    def prices(self, day: dt.date) -> dict[str, int]:
        """USD minor units per whole unit of each asset on `day`, as the world valued them."""
        out: dict[str, int] = {}
        token = self.rows("select token_price_minor from daily where date = ?", [day])
        for code in self.assets:
            if code in AT_PAR:
                out[code] = lookup_asset(code).scale
            elif code == self.token:
                if token and token[0][0] is not None:
                    out[code] = int(token[0][0])
            else:
                price = data.close_minor(code, day)
                if price is not None:
                    out[code] = price
        return out


def end_of_day_ns(day: dt.date) -> int:
    """The first posting time after `day` (postings are stamped midnight UTC plus a step)."""
    return ((day - EPOCH).days + 1) * NS_PER_DAY
