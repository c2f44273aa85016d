"""The full default world run (`hollow run ftx`, 1,341 days), cold (an empty session cache) and warm (the
same cache again), each in a fresh process: wall time, peak RSS, and where the cold time goes (running
sessions, the rest of the daily loop, writing the run's tables).

Targets on the 2-core machine: cold < 120 s, warm < 15 s, peak RSS < 2 GB.

Usage: python benchmarks/bench_world.py [--scenario ftx] [--set FIELD=VALUE ...]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile

CHILD = r"""
import json, resource, sys, tempfile, time
from pathlib import Path
import hollow.sessions.day as day
from hollow.sessions.cache import SessionCache
from hollow.world import outputs
from hollow.world.load import load_scenario
from hollow.world.timeline import run_world

scenario, cache_dir, sets = sys.argv[1], sys.argv[2], sys.argv[3:]
spent = {"sessions": 0.0}
run_session = day.run_session

def timed(*args, **kwargs):
    start = time.perf_counter()
    try:
        return run_session(*args, **kwargs)
    finally:
        spent["sessions"] += time.perf_counter() - start

day.run_session = timed
start = time.perf_counter()
s = load_scenario(scenario, sets).scenario
result = run_world(s, SessionCache(cache_dir))
loop = time.perf_counter() - start
with tempfile.TemporaryDirectory() as out:
    t = time.perf_counter()
    outputs.write(result, Path(out))
    write = time.perf_counter() - t
print(json.dumps({"wall_s": loop + write, "sessions_s": spent["sessions"], "loop_s": loop - spent["sessions"],
                  "write_s": write, "sessions_run": result.cache_misses, "sessions_cached": result.cache_hits,
                  "postings": len(result.books.journal), "accounts": result.books.journal.n_accounts,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "collapse": None if result.halt_date is None else result.halt_date.isoformat()}))
"""


def measure(scenario: str, cache: str, sets: list[str]) -> dict:
    done = subprocess.run([sys.executable, "-c", CHILD, scenario, cache, *sets], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="ftx")
    parser.add_argument("--set", dest="sets", action="append", default=[])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cache:
        for label in ("cold", "warm"):
            m = measure(args.scenario, cache, args.sets)
            print(f"{label}: {m['wall_s']:.1f} s wall (sessions {m['sessions_s']:.1f} s for {m['sessions_run']} run, "
                  f"{m['sessions_cached']} cached; daily loop {m['loop_s']:.1f} s; tables {m['write_s']:.1f} s), "
                  f"peak RSS {m['peak_rss_mb']:.0f} MB; {m['postings']:,} postings, {m['accounts']:,} accounts; "
                  f"collapse {m['collapse']}")


if __name__ == "__main__":
    main()
