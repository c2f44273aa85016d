"""Session throughput with every movement on the ledger: one simulated hour, 1 house maker,
10 arbitrageurs, 20 trading firms, 200 retail (scenarios/regimes/2021_sharks.toml with those counts).

Prints events, events/s, wall time, the settlement's share and peak RSS. With `--baseline REV` (default
a844d8a, the faucet session before it moved onto the ledger) it also runs that commit's own benchmark
in the same run and prints the ratio. Usage:
    python benchmarks/bench_session.py [--duration-s 3600] [--seed 1] [--repeat 3] [--baseline REV | --no-baseline]
"""

from __future__ import annotations

import argparse
import re
import resource
import time
from pathlib import Path

from hollow.sessions.build import NS, build
from hollow.sessions.paths import reference_path
from hollow.sessions.regime import load_regime
from hollow.sessions.runner import settle

REGIME = Path(__file__).resolve().parents[1] / "scenarios" / "regimes" / "2021_sharks.toml"


def one_run(regime, seed: int) -> tuple[int, int, float, float]:
    """(events, fills, event-loop seconds, settlement seconds) of one session."""
    start = time.perf_counter()
    world = build(regime, seed, reference_path(regime, seed))
    duration_ns = int(regime.duration_s * NS)
    world.kernel.run_in_chunks(duration_ns, None, 1)
    loop = time.perf_counter()
    result = settle(world, duration_ns)
    end = time.perf_counter()
    return result.summary["events"], result.summary["fills"], loop - start, end - loop


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration-s", type=float, default=3600.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline", default="a844d8a")
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()
    base = load_regime(REGIME)
    regime = base.model_copy(update={
        "duration_s": args.duration_s,
        "arbitrageurs": base.arbitrageurs.model_copy(update={"count": 10}),
        "trading_firms": base.trading_firms.model_copy(update={"count": 20}),
        "retail": base.retail.model_copy(update={"count": 200}),
    })
    rates = []
    for _ in range(args.repeat):
        events, fills, loop_s, settle_s = one_run(regime, args.seed)
        rates.append(events / (loop_s + settle_s))
        print(f"ledger session: {events:,} events, {fills:,} fills; run {loop_s:.2f} s + settle {settle_s:.2f} s "
              f"= {rates[-1]:,.0f} events/s")
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"ledger session: best {max(rates):,.0f}, worst {min(rates):,.0f} events/s; peak RSS {rss_mb:.0f} MB")
    if args.no_baseline:
        return
    from baseline import run_baseline

    old = []
    for _ in range(args.repeat):
        out = run_baseline(args.baseline, "bench_session.py", "--duration-s", str(args.duration_s), "--seed", str(args.seed))
        old.append(float(re.search(r"= ([\d,]+) events/s", out).group(1).replace(",", "")))
        print(f"baseline {args.baseline}: {out.strip()}")
    print(f"ratio (ledger session / baseline faucet session): best {max(rates) / max(old):.2f}x, "
          f"median {sorted(rates)[len(rates) // 2] / sorted(old)[len(old) // 2]:.2f}x")


if __name__ == "__main__":
    main()
