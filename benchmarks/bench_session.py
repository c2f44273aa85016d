"""Session throughput: one simulated hour, 1 house maker, 10 arbitrageurs, 20 trading firms, 200 retail.

Based on scenarios/regimes/2021_sharks.toml with the counts above. Prints events processed, events/s,
wall time and peak RSS. Usage: python benchmarks/bench_session.py [--duration-s 3600] [--seed 1]
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

from hollow.sessions.regime import load_regime
from hollow.sessions.session import run_session

REGIME = Path(__file__).resolve().parents[1] / "scenarios" / "regimes" / "2021_sharks.toml"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration-s", type=float, default=3600.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    base = load_regime(REGIME)
    regime = base.model_copy(
        update={
            "duration_s": args.duration_s,
            "arbitrageurs": base.arbitrageurs.model_copy(update={"count": 10}),
            "trading_firms": base.trading_firms.model_copy(update={"count": 20}),
            "retail": base.retail.model_copy(update={"count": 200}),
        }
    )
    start = time.perf_counter()
    result = run_session(regime, args.seed)
    wall = time.perf_counter() - start
    s = result.summary
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"session: {args.duration_s:.0f} s simulated, 1 house + 10 arbitrageurs + 20 trading firms + 200 retail; "
        f"{s['events']:,} events, {s['fills']:,} fills in {wall:.2f} s = {s['events'] / wall:,.0f} events/s; "
        f"peak RSS {rss_mb:.0f} MB"
    )


if __name__ == "__main__":
    main()
