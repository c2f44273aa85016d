"""The world's seam: one uncached `trade_day` (a 10-minute session of the 2021 regime, run and settled
on the ledger) and one cached `trade_day` (from memory, and from disk in a fresh cache object).

Usage: python benchmarks/bench_day.py [--duration-s 600] [--calls 2000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from hollow.sessions.cache import SessionCache
from hollow.sessions.day import DayConditions, Opening, trade_day
from hollow.sessions.regime import load_regime

REGIME = Path(__file__).resolve().parents[1] / "scenarios" / "regimes" / "2021_sharks.toml"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration-s", type=float, default=600.0)
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    regime = load_regime(REGIME).model_copy(update={"duration_s": args.duration_s})
    day = DayConditions(dt.date(2021, 5, 19), regime, Decimal(42000), Decimal(37000), 1.1, Decimal(3_000_000_000))
    with tempfile.TemporaryDirectory() as tmp:
        cache = SessionCache(tmp)
        start = time.perf_counter()
        first = trade_day(day, Opening(), 1, cache)
        cold = time.perf_counter() - start
        print(f"uncached trade_day ({args.duration_s:.0f} s session, {first.session['events']:,} events): {cold:.2f} s")
        start = time.perf_counter()
        for _ in range(args.calls):
            trade_day(day, Opening(), 1, cache)
        warm = (time.perf_counter() - start) / args.calls
        print(f"cached trade_day, in memory: {warm * 1e3:.3f} ms per day ({len(first.flows)} flows)")
        start = time.perf_counter()
        for _ in range(args.calls // 10):
            trade_day(day, Opening(), 1, SessionCache(tmp))
        disk = (time.perf_counter() - start) / (args.calls // 10)
        print(f"cached trade_day, from disk: {disk * 1e3:.3f} ms per day")


if __name__ == "__main__":
    main()
