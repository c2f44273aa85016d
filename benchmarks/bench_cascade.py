"""A cascade through 10,000 leveraged accounts: wall and CPU time, the share in the risk passes,
events, events/s and peak RSS.

Targets: under 5 s and under 500 MB. Run: PYTHONPATH=src python benchmarks/bench_cascade.py
"""

from __future__ import annotations

import time
from pathlib import Path

from hollow.sessions.build import NS, build
from hollow.sessions.paths import reference_path
from hollow.sessions.regime import Regime
from hollow.sessions.runner import settle


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    regime = Regime.model_validate({
        "name": "bench_cascade", "duration_s": 900, "seed": 1, "insurance_fund_usd": "500000", "margin": {},
        "trading_firms": {"count": 0}, "retail": {"count": 0},
        "reference": {"crash": {"start_s": 60, "drop_pct": 50, "over_s": 600}},
        "house": {"size_lots": 500, "max_position_lots": 10_000_000},
        "house_account": {"liquidation_exempt": True, "allow_negative_balance": True,
                          "backstop_per_minute_usd": "100000", "backstop_per_hour_usd": "300000"},
        "longs": {"count": 10_000}, "shorts": {"count": 100},
    })
    start, cpu = time.perf_counter(), time.process_time()
    world = build(regime, regime.seed, reference_path(regime, regime.seed))
    built = time.perf_counter()
    risk_s = [0.0]
    risk_pass = world.risk.risk_pass

    def timed(ts_ns: int) -> None:
        t = time.perf_counter()
        risk_pass(ts_ns)
        risk_s[0] += time.perf_counter() - t

    world.risk.risk_pass = timed
    duration_ns = int(regime.duration_s * NS)
    world.kernel.run_in_chunks(duration_ns)
    s = settle(world, duration_ns).summary
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"accounts            {s['accounts']:,} ({s['accounts_liquidated']:,} liquidated, {s['adl_events']:,} ADL pieces, "
          f"{s['backstop_takeovers']:,} backstop pieces)")
    print(f"wall time           {wall:.2f} s (target < 5 s), CPU {cpu:.2f} s")
    print(f"  build             {built - start:.2f} s")
    print(f"  risk passes       {risk_s[0]:.2f} s ({world.risk.passes:,} passes)")
    print(f"events              {s['events']:,}")
    print(f"events/s            {s['events'] / wall:,.0f}")
    print(f"fills, postings     {s['fills']:,}, {s['postings']:,}")
    print(f"peak RSS (VmHWM)    {peak_rss_mb():.0f} MB (target < 500 MB)")


if __name__ == "__main__":
    main()
