"""Benchmark the order book: messages/s and peak RSS for each path, each in its own process.

    python benchmarks/bench_book.py [--messages N] [--seed S]

Paths: the pure-Python baseline book, the C `Book` driven from Python, `replay_csv` in-process, and
the full `hollow book replay` command on a CSV of the same stream. The stream (seeded numpy) is about
60% limit adds around a random-walk mid, 30% cancels of resting orders, 10% market orders.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

ADD, CANCEL, MARKET_ADD = 0, 1, 2
TAKE_EVERY = 1024  # how often the drive loop collects fills, for both books


def proc_status_mib(field: str) -> float:
    """A memory figure of this process from /proc/self/status (VmHWM = peak RSS, VmRSS = now), in MiB."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mib() -> float:
    return proc_status_mib("VmHWM")


# Cancels (30%) and markets (10%, ~3 resting orders each) about balance the limit adds (60%); these bounds
# (a rare add turned into a cancel or back) keep the book at a few thousand resting orders.
MIN_RESTING, MAX_RESTING = 1000, 5000


def generate(n: int, seed: int) -> dict[str, np.ndarray]:
    """Builds the stream by simulating it on the C book, so every cancel names a resting order."""
    from hollow.market.book import Book

    rng = np.random.default_rng(seed)
    kind = rng.choice(3, size=n, p=[0.6, 0.3, 0.1])
    side = rng.integers(0, 2, size=n)
    offset = rng.geometric(0.05, size=n)  # ticks away from the mid (mean 20): a deep book that rarely crosses
    limit_qty = rng.integers(1, 11, size=n)
    market_qty = rng.integers(1, 31, size=n)  # ~3 resting orders each: cancels + markets ~ balance adds
    owner = rng.integers(1, 101, size=n)
    steps = rng.choice([-1, 0, 1], size=n, p=[0.02, 0.96, 0.02]).cumsum() + 100_000
    pick = rng.random(size=n)

    out_kind = np.empty(n, np.int64)
    out_id = np.empty(n, np.int64)
    out_price = np.zeros(n, np.int64)
    out_qty = np.zeros(n, np.int64)
    book = Book()
    live: list[int] = []
    where: dict[int, int] = {}

    def drop(oid: int) -> None:
        i = where.pop(oid)
        last = live.pop()
        if last != oid:
            live[i] = last
            where[last] = i

    next_id = 1
    for i in range(n):
        k = int(kind[i])
        if k == ADD and len(live) > MAX_RESTING:
            k = CANCEL
        elif k == CANCEL and len(live) < MIN_RESTING:
            k = ADD
        if k == CANCEL:
            oid = live[int(pick[i] * len(live))]
            book.cancel(oid)
            drop(oid)
            out_kind[i], out_id[i] = CANCEL, oid
            continue
        oid, next_id = next_id, next_id + 1
        s = int(side[i])
        if k == ADD:
            px = int(steps[i] - offset[i]) if s == 0 else int(steps[i] + offset[i])
            q = int(limit_qty[i])
            book.add(oid, int(owner[i]), s, 0, px, q)
        else:
            px, q = 0, int(market_qty[i])
            book.add(oid, int(owner[i]), s, 2, 0, q)
        for f in book.take_fills():
            if f[7] == 0:
                drop(f[1])
        if k == ADD and book.order(oid) is not None:
            where[oid] = len(live)
            live.append(oid)
        out_kind[i], out_id[i], out_price[i], out_qty[i] = k, oid, px, q
    return {
        "kind": out_kind,
        "order_id": out_id,
        "owner": owner.astype(np.int64),
        "side": side.astype(np.int64),
        "price_ticks": out_price,
        "qty_lots": out_qty,
        "resting_at_end": np.array([len(book)]),
    }


def write_csv(stream: dict[str, np.ndarray], path: Path) -> None:
    """The same stream as an orders CSV for replay (agents named a1..a100)."""
    n = len(stream["kind"])
    action = np.where(stream["kind"] == CANCEL, "cancel", "add")
    side = np.where(stream["side"] == 0, "buy", "sell")
    otype = np.where(stream["kind"] == MARKET_ADD, "market", "limit")
    with open(path, "w") as fh:
        fh.write("ts_ns,order_id,agent,action,side,type,price_ticks,qty_lots\n")
        ts = np.arange(n, dtype=np.int64) * 1000
        lines = []
        for i in range(n):
            if stream["kind"][i] == CANCEL:
                lines.append(f"{ts[i]},{stream['order_id'][i]},,cancel,,,,\n")
            else:
                lines.append(
                    f"{ts[i]},{stream['order_id'][i]},a{stream['owner'][i]},{action[i]},{side[i]},{otype[i]},"
                    f"{stream['price_ticks'][i]},{stream['qty_lots'][i]}\n"
                )
        fh.write("".join(lines))


def messages(data: Path) -> list[tuple[int, ...]]:
    z = np.load(data / "stream.npz")
    otype = np.where(z["kind"] == MARKET_ADD, 2, 0)
    cols = [z["kind"], z["order_id"], z["owner"], z["side"], otype, z["price_ticks"], z["qty_lots"]]
    return list(zip(*(c.tolist() for c in cols)))


def drive(book, msgs: list[tuple[int, ...]], every_message: bool) -> tuple[float, int]:
    """Feeds the stream to a book; returns (seconds, fills). Fills are taken every TAKE_EVERY messages,
    or after every add when `every_message` (what a venue does)."""
    add, cancel, take = book.add, book.cancel, book.take_fills
    n_fills = 0
    t0 = time.perf_counter()
    if every_message:
        for kind, oid, owner, side, otype, px, q in msgs:
            if kind == CANCEL:
                cancel(oid)
            else:
                add(oid, owner, side, otype, px, q)
                n_fills += len(take())
    else:
        for i, (kind, oid, owner, side, otype, px, q) in enumerate(msgs):
            if kind == CANCEL:
                cancel(oid)
            else:
                add(oid, owner, side, otype, px, q)
            if not i % TAKE_EVERY:
                n_fills += len(take())
        n_fills += len(take())
    return time.perf_counter() - t0, n_fills


def worker(path: str, data: Path) -> dict:
    if path in ("baseline", "book", "baseline_each", "book_each"):
        msgs = messages(data)
        if path.startswith("baseline"):
            from baseline_book import BaselineBook as cls
        else:
            from hollow.market.book import Book as cls
        book = cls()
        # the message list itself is most of the peak: reset the high-water mark (clear_refs 5) so that
        # the growth figure is what matching added on top of it
        try:
            Path("/proc/self/clear_refs").write_text("5")
        except OSError:
            pass
        rss_before = proc_status_mib("VmRSS")
        seconds, n_fills = drive(book, msgs, every_message=path.endswith("_each"))
        return {"messages": len(msgs), "seconds": seconds, "fills": n_fills, "volume": book.volume(),
                "resting": len(book), "rss_mib": peak_rss_mib(), "growth_mib": peak_rss_mib() - rss_before}
    if path == "replay":
        from hollow.market import _engine

        t0 = time.perf_counter()
        rows, fills, rejects, bad, _ = _engine.replay_csv(
            str(data / "orders.csv"), str(data / "fills_inproc.csv"), str(data / "fills_inproc.rejects.csv"), 0
        )
        seconds = time.perf_counter() - t0
        return {"messages": rows, "seconds": seconds, "fills": fills, "rejects": rejects, "bad_rows": bad,
                "rss_mib": peak_rss_mib()}
    raise SystemExit(f"unknown worker path {path!r}")


def run_worker(path: str, data: Path) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--worker", path, "--data", str(data)], capture_output=True,
                          text=True, check=False)
    if proc.returncode:
        raise SystemExit(f"worker {path} failed:\n{proc.stderr}")
    return json.loads(proc.stdout)


LAUNCHER = """
import json, resource, subprocess, sys, time
t0 = time.perf_counter()
proc = subprocess.run(sys.argv[1:], capture_output=True, text=True)
seconds = time.perf_counter() - t0
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"rc": proc.returncode, "seconds": seconds, "rss_mib": rss, "out": proc.stdout, "err": proc.stderr}))
"""


def run_cli(data: Path) -> dict:
    """The whole command: interpreter start, imports, replay, summary. A small launcher process runs it,
    so the peak RSS it reports (RUSAGE_CHILDREN) is the command's own."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")]))
    cmd = [sys.executable, "-m", "hollow", "book", "replay", str(data / "orders.csv"), "--out", str(data / "fills_cli.csv")]
    proc = subprocess.run([sys.executable, "-c", LAUNCHER, *cmd], env=env, capture_output=True, text=True, check=True)
    r = json.loads(proc.stdout)
    if r["rc"]:
        return {"error": (r["err"] or r["out"]).strip().splitlines()[-1:]}
    return {"seconds": r["seconds"], "rss_mib": r["rss_mib"], "summary": " ".join(r["out"].split())}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--worker")
    ap.add_argument("--data", type=Path)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.data)))
        return

    with tempfile.TemporaryDirectory(prefix="bench_book_") as tmp:
        data = Path(tmp)
        t0 = time.perf_counter()
        stream = generate(args.messages, args.seed)
        np.savez(data / "stream.npz", **stream)
        write_csv(stream, data / "orders.csv")
        n = args.messages
        kinds = np.bincount(stream["kind"], minlength=3) / n
        print(f"stream: {n:,} messages (limit {kinds[0]:.0%}, cancel {kinds[1]:.0%}, market {kinds[2]:.0%}), "
              f"{int(stream['resting_at_end'][0]):,} resting at the end, "
              f"CSV {(data / 'orders.csv').stat().st_size / 2**20:.1f} MiB, built in {time.perf_counter() - t0:.1f}s")

        cli = run_cli(data)  # also pays interpreter start-up and imports
        results = {p: run_worker(p, data) for p in ("baseline", "book", "baseline_each", "book_each", "replay")}
        base = results["baseline"]
        base_rate = base["messages"] / base["seconds"]
        assert results["book"]["fills"] == base["fills"] and results["book"]["volume"] == base["volume"], (
            "C book and baseline disagree on the stream")
        assert results["replay"]["fills"] == base["fills"], "replay and in-process book disagree"
        print(f"{'path':<44} {'msgs/s':>12} {'seconds':>8} {'peak RSS':>10} {'vs baseline':>12} {'RSS growth while matching':>26}")
        labels = {
            "baseline": "baseline pure-Python book (take every 1024)",
            "book": "C Book from Python (take every 1024)",
            "baseline_each": "baseline, take_fills after every add",
            "book_each": "C Book, take_fills after every add",
            "replay": "replay_csv in-process (parse+match+write)",
        }
        for p, r in results.items():
            rate = r["messages"] / r["seconds"]
            ref = base_rate if not p.endswith("_each") else results["baseline_each"]["messages"] / results["baseline_each"]["seconds"]
            growth = f"{r['growth_mib']:>22.1f} MiB" if "growth_mib" in r else ""
            print(f"{labels[p]:<44} {rate:>12,.0f} {r['seconds']:>8.3f} {r['rss_mib']:>7.1f} MiB {rate / ref:>11.2f}x {growth}")
        if "error" in cli:
            print(f"{'hollow book replay (CLI)':<44} failed: {cli['error']}")
        else:
            rate = n / cli["seconds"]
            print(f"{'hollow book replay (whole command)':<44} {rate:>12,.0f} {cli['seconds']:>8.3f} "
                  f"{cli['rss_mib']:>7.1f} MiB {rate / base_rate:>11.2f}x")
            print(f"  CLI said: {cli['summary']}")
        print(f"fills: {base['fills']:,}, volume: {base['volume']:,} lots, resting at end: {base['resting']:,}")


if __name__ == "__main__":
    main()
