"""Ledger throughput: 1,000,000 postings in batches across ~10k accounts and 3 assets, then check().

Prints postings/s for `post_many` batches, the time of a full `check()` (replay of every posting,
sums, floors), single-`post` throughput, two-leg batches (the shape of a deposit, a withdrawal or
a fee flush, where per-call validation dominates), Parquet export time and peak RSS (VmHWM).
Targets: >= 1,000,000 postings/s in batches, check() of 1M postings < 1 s, RSS < 500 MB.

    PYTHONPATH=src .venv/bin/python benchmarks/bench_ledger.py [--postings N] [--batch B]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from hollow.ledger import Custody, Journal, open_standard_accounts

CLASSES = np.array(["retail", "trading_firm", "arbitrageur", "house"])


def vm_hwm_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postings", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--single", type=int, default=100_000, help="postings for the single-post figure")
    args = parser.parse_args()
    rng = np.random.default_rng(1)

    j = Journal(("USD", "BTC", "ETH"))
    ids = open_standard_accounts(j)
    customers = np.array(
        [j.open_account(f"customer:{i}", "customer", str(CLASSES[i % 3])) for i in range(args.accounts)]
    )
    n_assets = len(j.assets)

    # Fund every customer in every asset: one deposit (holdings leg + claim leg) each.
    funding = 10**13
    cust_rep = np.repeat(customers, n_assets)
    asset_rep = np.tile(np.arange(n_assets), args.accounts)
    m = cust_rep.size
    t0 = time.perf_counter()
    j.post_many(
        0,
        np.full(m, ids["external:depositors"]),
        np.full(m, ids["custody"]),
        asset_rep,
        np.full(m, funding),
        "deposit",
        "depositor",
    )
    j.post_many(0, np.full(m, j.claims_issued), cust_rep, asset_rep, np.full(m, funding), "deposit", "retail")
    t_fund = time.perf_counter() - t0

    # Random customer-to-customer transfers (trades, fees, funding move claims between claim accounts).
    t_post = 0.0
    done = 0
    while done < args.postings:
        n = min(args.batch, args.postings - done)
        f = rng.choice(customers, n)
        t = rng.choice(customers, n)
        t = np.where(t == f, customers[(np.searchsorted(customers, f) + 1) % args.accounts], t)
        assets = rng.integers(0, n_assets, n)
        amounts = rng.integers(1, 1_000_000, n)
        classes = CLASSES[rng.integers(0, len(CLASSES), n)]
        ts = np.full(n, done, dtype=np.int64)
        s = time.perf_counter()
        j.post_many(ts, f, t, assets, amounts, "trade", classes)
        t_post += time.perf_counter() - s
        done += n

    s = time.perf_counter()
    j.check()
    t_check = time.perf_counter() - s

    with tempfile.TemporaryDirectory() as tmp:
        s = time.perf_counter()
        j.write_parquet(Path(tmp))
        t_export = time.perf_counter() - s
        size_mb = sum(p.stat().st_size for p in Path(tmp).iterdir()) / 2**20
    rss = vm_hwm_mb()

    # Single posts on a fresh journal (information only).
    js = Journal(("USD",))
    a = js.open_account("external:depositors", "external", "depositor")
    b = js.open_account("custody", "custody", "exchange")
    s = time.perf_counter()
    for i in range(args.single):
        js.post(i, a, b, "USD", 1 + (i & 1023), "deposit", "depositor")
    t_single = time.perf_counter() - s

    # Two-leg batches from Python lists, and deposits through Custody (one transaction each).
    c = js.open_account("customer:c", "customer", "retail")
    d = js.open_account("customer:d", "customer", "retail")
    js.post_many(0, [js.claims_issued] * 2, [c, d], "USD", [10**15] * 2, "deposit", "retail")
    n_small = args.single // 10
    s = time.perf_counter()
    for i in range(n_small):
        js.post_many(i, [c, d], [d, c], "USD", [5, 3], "trade", "retail")
    t_small = time.perf_counter() - s
    custody = Custody(js)
    s = time.perf_counter()
    for i in range(n_small):
        custody.deposit(i, c, "USD", 1 + (i & 1023))
    t_deposit = time.perf_counter() - s

    print(f"accounts                 {j.n_accounts:,} ({n_assets} assets)")
    print(f"postings                 {len(j):,} ({2 * m:,} funding + {args.postings:,} transfers)")
    print(f"funding batches          {2 * m / t_fund:,.0f} postings/s")
    print(f"post_many ({args.batch:,}/batch)  {args.postings / t_post:,.0f} postings/s  ({t_post:.3f} s)")
    print(f"check() of {len(j):,}     {t_check:.3f} s")
    print(f"write_parquet            {t_export:.3f} s ({size_mb:.1f} MiB zstd)")
    print(f"single post()            {args.single / t_single:,.0f} postings/s")
    print(f"post_many (2/batch)      {n_small / t_small:,.0f} batches/s")
    print(f"Custody.deposit()        {n_small / t_deposit:,.0f} deposits/s")
    print(f"peak RSS (VmHWM)         {rss:.0f} MB")


if __name__ == "__main__":
    main()
