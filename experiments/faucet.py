"""The faucet experiment: how the house's PnL depends on its staleness and on the number of arbitrageurs.

    PYTHONPATH=src .venv/bin/python experiments/faucet.py [--seeds 5] [--duration-s 600] [--out docs/faucet]

Two one-dimensional sweeps around `scenarios/regimes/2021_sharks.toml` (with `duration_s` overridden),
and a grid of the house's defences:

  (a) staleness: house.signal_staleness_ms in 1 .. 2000 ms, the base regime's arbitrageurs and firms;
  (b) count:     arbitrageurs.count in 0 .. 20, the base regime's staleness, trading_firms.count = 0;
  (c) defences:  none / requote on a move of its view / learn from its fills / both, at staleness 10 and
                 1000 ms and requote interval 250 and 50 ms, the base competitors; and retail alone.

Each point is run for seeds 1..N in parallel (2 worker processes). Writes `results.parquet` (one row
per session) to --out and the chart to --chart (default docs/faucet.png), and prints the table.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from rich.console import Console
from rich.table import Table

from hollow.sessions.regime import Regime, load_regime
from hollow.sessions.sweep import regime_with, run_grid, spread

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "scenarios" / "regimes" / "2021_sharks.toml"
STALENESS_MS = (1, 10, 100, 250, 500, 1000, 2000)
ARBITRAGEURS = (0, 1, 2, 5, 10, 20)
DEFENCES = {  # the house's fields for each defence
    "none": {},
    "move": {"requote_on_move_bps": 1.0},
    "learn": {"learn_from_fills": True},
    "both": {"requote_on_move_bps": 1.0, "learn_from_fills": True},
}
DEFENCE_CASES = ((10, 250), (10, 50), (1000, 250), (1000, 50))  # (staleness ms, requote interval ms)
RETAIL_ONLY = "retail only"
MINOR_PER_USD = 1_000_000
METRICS = (
    ("house_pnl_per_million_house_volume", "PnL per $1M house vol (USD)"),
    ("house_pnl_usd", "house PnL (USD)"),
    ("house_pnl_per_million_retail_volume", "PnL per $1M retail vol (USD)"),
)


def sweep_points(base: Regime, duration_s: float) -> dict[tuple[str, int], Regime]:
    """The regimes of both sweeps, keyed by (sweep, value)."""
    points: dict[tuple[str, int], Regime] = {}
    for ms in STALENESS_MS:
        points[("staleness_ms", ms)] = regime_with(base, duration_s=duration_s, house__signal_staleness_ms=float(ms))
    for n in ARBITRAGEURS:
        points[("arbitrageurs", n)] = regime_with(base, duration_s=duration_s, arbitrageurs__count=n, trading_firms__count=0)
    return points


def defence_points(base: Regime, duration_s: float) -> dict[tuple[str, int], Regime]:
    """Sweep (c): keyed ("defences/<defence>/<staleness ms>", requote interval ms); the retail-only
    rows ("defences/<defence>/retail only", 250) show what a defence costs where nobody is informed."""
    points: dict[tuple[str, int], Regime] = {}
    for name, fields in DEFENCES.items():
        house = {f"house__{k}": v for k, v in fields.items()}
        for staleness, interval in DEFENCE_CASES:
            points[(f"defences/{name}/{staleness}", interval)] = regime_with(
                base, duration_s=duration_s, house__signal_staleness_ms=float(staleness), house__requote_interval_ms=float(interval), **house
            )
        points[(f"defences/{name}/{RETAIL_ONLY}", 250)] = regime_with(
            base, duration_s=duration_s, arbitrageurs__count=0, trading_firms__count=0, **house
        )
    return points


def defence_rows(summary: dict) -> list[tuple[str, int, list[dict]]]:
    """(staleness label, interval, [house PnL spread per defence]) in table order."""
    cases = [(str(s), i) for s, i in DEFENCE_CASES] + [(RETAIL_ONLY, 250)]
    return [(label, interval, [summary[(f"defences/{d}/{label}", interval)]["house_pnl_usd"] for d in DEFENCES]) for label, interval in cases]


def results_table(rows: dict[tuple[tuple[str, int], int], dict]) -> pa.Table:
    """One row per session, integer money exact."""
    records = [{"sweep": sweep, "value": value, **row} for ((sweep, value), _seed), row in rows.items()]
    columns = (
        "sweep", "value", "seed", "house_pnl_minor", "house_volume_minor", "retail_volume_minor",
        "house_pnl_per_million_house_volume", "house_pnl_per_million_retail_volume", "events", "fills",
    )
    types = {"sweep": pa.string(), "house_pnl_per_million_house_volume": pa.float64(), "house_pnl_per_million_retail_volume": pa.float64()}
    return pa.table({c: pa.array([r[c] for r in records], types.get(c, pa.int64())) for c in columns})


def summarise(rows: dict[tuple[tuple[str, int], int], dict]) -> dict[tuple[str, int], dict[str, dict]]:
    """For each point: spread (mean, sd, min, max) of each metric across seeds."""
    by_point: dict[tuple[str, int], list[dict]] = {}
    for (point, _seed), row in rows.items():
        by_point.setdefault(point, []).append(row)
    out = {}
    for point, sessions in by_point.items():
        values = {
            "house_pnl_per_million_house_volume": [r["house_pnl_per_million_house_volume"] for r in sessions],
            "house_pnl_usd": [r["house_pnl_minor"] / MINOR_PER_USD for r in sessions],
            "house_pnl_per_million_retail_volume": [r["house_pnl_per_million_retail_volume"] for r in sessions],
        }
        out[point] = {k: spread(v) for k, v in values.items()}
    return out


def _cell(s: dict, digits: int) -> str:
    return f"{s['mean']:,.{digits}f} ± {s['sd']:,.{digits}f}\n{s['min']:,.{digits}f} .. {s['max']:,.{digits}f}"


def print_tables(summary: dict, console: Console, seeds: int, duration_s: float) -> None:
    for sweep, label in (("staleness_ms", "house staleness (ms)"), ("arbitrageurs", "arbitrageurs (no firms)")):
        table = Table(title=f"{sweep}: mean ± sd / min .. max over {seeds} seeds, {duration_s:g} s sessions", show_lines=True)
        table.add_column(label, justify="right")
        for _key, header in METRICS:
            table.add_column(header, justify="right")
        for (s, value), metrics in summary.items():
            if s == sweep:
                table.add_row(str(value), *(_cell(metrics[k], 0) for k, _ in METRICS))
        console.print(table)


def print_defences(summary: dict, console: Console, seeds: int, duration_s: float) -> None:
    table = Table(title=f"defences: house PnL (USD), mean ± sd / min .. max over {seeds} seeds, {duration_s:g} s sessions", show_lines=True)
    table.add_column("staleness (ms)", justify="right")
    table.add_column("requote (ms)", justify="right")
    for name in DEFENCES:
        table.add_column(name, justify="right")
    for label, interval, cells in defence_rows(summary):
        table.add_row(label, str(interval), *(_cell(c, 0) for c in cells))
    console.print(table)


def markdown_tables(summary: dict) -> str:
    """The same numbers as the rich tables, as Markdown (for docs/faucet.md)."""
    lines = []
    if any(sweep.startswith("defences/") for sweep, _ in summary):
        lines += ["| staleness (ms) | requote (ms) | " + " | ".join(DEFENCES) + " |", "|---:|---:|" + "---:|" * len(DEFENCES)]
        for label, interval, cells in defence_rows(summary):
            lines.append(f"| {label} | {interval} | " + " | ".join(f"{c['mean']:,.0f} ± {c['sd']:,.0f} ({c['min']:,.0f} .. {c['max']:,.0f})" for c in cells) + " |")
        lines.append("")
    for sweep, label in (("staleness_ms", "staleness (ms)"), ("arbitrageurs", "arbitrageurs")):
        lines.append(f"| {label} | " + " | ".join(h for _, h in METRICS) + " |")
        lines.append("|---:|" + "---:|" * len(METRICS))
        for (s, value), metrics in summary.items():
            if s == sweep:
                cells = [f"{m['mean']:,.0f} ± {m['sd']:,.0f} ({m['min']:,.0f} .. {m['max']:,.0f})" for m in (metrics[k] for k, _ in METRICS)]
                lines.append(f"| {value} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def plot(summary: dict, path: Path, seeds: int, duration_s: float) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    key = "house_pnl_per_million_retail_volume"
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=False)
    for ax, sweep, xlabel in (
        (axes[0], "staleness_ms", "house signal staleness (ms, log)"),
        (axes[1], "arbitrageurs", "number of arbitrageurs (no trading firms)"),
    ):
        pts = [(value, m[key]) for (s, value), m in summary.items() if s == sweep]
        xs = [v for v, _ in pts]
        means = [m["mean"] for _, m in pts]
        lower = [m["mean"] - m["min"] for _, m in pts]
        upper = [m["max"] - m["mean"] for _, m in pts]
        ax.errorbar(xs, means, yerr=[lower, upper], fmt="o-", capsize=4, color="tab:red", ecolor="grey")
        ax.axhline(0, color="black", linewidth=0.8)
        if sweep == "staleness_ms":
            ax.set_xscale("log")
        ax.set_xticks(xs, [str(x) for x in xs])
        ax.minorticks_off()
        ax.tick_params(axis="x", labelsize=8)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("house PnL per $1M retail volume (USD)")
        ax.grid(True, alpha=0.3)
    axes[0].set_title("(a) staleness, base arbitrageurs and firms")
    axes[1].set_title("(b) arbitrageurs alone")
    fig.suptitle(f"2021_sharks, {duration_s:g} s sessions, mean and min..max over {seeds} seeds", fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="seeds 1..N per point")
    parser.add_argument("--duration-s", type=float, default=600.0, help="simulated seconds per session")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "faucet", help="folder for results.parquet")
    parser.add_argument("--chart", type=Path, default=ROOT / "docs" / "faucet.png")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--markdown", action="store_true", help="also print the tables as Markdown")
    parser.add_argument("--defences", action=argparse.BooleanOptionalAction, default=True, help="run sweep (c)")
    args = parser.parse_args(argv)

    console = Console()
    base = load_regime(BASE)
    points = sweep_points(base, args.duration_s) | (defence_points(base, args.duration_s) if args.defences else {})
    seeds = range(1, args.seeds + 1)
    started = time.perf_counter()
    rows = run_grid(points, seeds, max_workers=args.workers)
    elapsed = time.perf_counter() - started

    args.out.mkdir(parents=True, exist_ok=True)
    pq.write_table(results_table(rows), args.out / "results.parquet", compression="zstd")
    summary = summarise(rows)
    print_tables(summary, console, args.seeds, args.duration_s)
    if args.defences:
        print_defences(summary, console, args.seeds, args.duration_s)
    plot(summary, args.chart, args.seeds, args.duration_s)
    if args.markdown:
        print(markdown_tables(summary))
    console.print(
        f"{len(rows)} sessions in {elapsed:.1f} s ({args.workers} workers); "
        f"wrote {args.out / 'results.parquet'} and {args.chart}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
