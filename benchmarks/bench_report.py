"""The report for the full FTX run: time and size (target: under 10 s, under 10 MB), and `hollow audit` of
one date over every customer account (target: under 5 s). Run: .venv/bin/python benchmarks/bench_report.py [RUN_DIR]

Without RUN_DIR it runs `hollow run ftx` into a temporary folder first (about 20 s with a warm session cache).
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

from hollow.analysis.reserves import audit
from hollow.analysis.run import RunTables
from hollow.report.html import write_report


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        if len(sys.argv) > 1:
            run_dir = sys.argv[1]
        else:
            from hollow.cli import main as hollow

            run_dir = str(Path(tmp) / "ftx")
            try:
                hollow(["run", "ftx", "--out", run_dir, "--quiet"])
            except SystemExit as done:
                if done.code:
                    raise
        for png in (False, True):
            out = Path(tmp) / f"report-{png}"
            out.mkdir()
            started = time.perf_counter()
            write_report(out, run_dir, None, png)
            took = time.perf_counter() - started
            size = (out / "report.html").stat().st_size
            print(f"report{' + PNGs' if png else ''}: {took:.2f} s, report.html {size / 1e6:.2f} MB")
        run = RunTables(run_dir)
        day = dt.date.fromisoformat(run.summary["collapse_date"] or run.dates[-1].isoformat())
        started = time.perf_counter()
        a = audit(run, day)
        print(f"audit {day}: {len(a.tree.customers):,} customer accounts in {time.perf_counter() - started:.2f} s")


if __name__ == "__main__":
    main()
