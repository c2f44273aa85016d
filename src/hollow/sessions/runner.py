"""Run one session (a regime for one seed) and settle it on the ledger: the result every command and the
world's `trade_day` read."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pyarrow as pa
import pyarrow.parquet as pq

from hollow.ledger import BalanceSheet, Journal
from hollow.market.reference import PricePath
from hollow.sessions import tables
from hollow.sessions.build import HOUSE, NS, SessionWorld, build
from hollow.sessions.flows import ClassFlows, class_flows
from hollow.sessions.paths import reference_path
from hollow.sessions.regime import Regime
from hollow.sessions.settle import ReconciliationError, check_against_agents, close_session


@dataclass
class SessionResult:
    regime: Regime
    seed: int
    journal: Journal
    fills: pa.Table
    hedges: pa.Table
    pnl: pa.Table
    markouts: pa.Table
    flows: ClassFlows
    liquidations: pa.Table | None
    house_result: dict[str, int]
    summary: dict

    def write(self, out_dir: Path) -> None:
        """fills, hedges, pnl, markouts, flows, liquidations (with margin), ledger and accounts as
        Parquet (zstd), and summary.json."""
        out_dir.mkdir(parents=True, exist_ok=True)
        named = {"fills": self.fills, "hedges": self.hedges, "pnl": self.pnl, "markouts": self.markouts, "flows": self.flows.to_arrow()}
        if self.liquidations is not None:
            named["liquidations"] = self.liquidations
        for name, table in named.items():
            pq.write_table(table, out_dir / f"{name}.parquet", compression="zstd")
        self.journal.write_parquet(out_dir)
        (out_dir / "summary.json").write_text(json.dumps(self.summary, indent=2, sort_keys=True) + "\n")


def run_session(
    regime: Regime,
    seed: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    chunks: int = 50,
    *,
    path: PricePath | None = None,
) -> SessionResult:
    """Run a regime for one seed on its own path (or a given one); `progress(done_ns, total_ns)` is
    called between chunks."""
    seed = regime.seed if seed is None else seed
    path = reference_path(regime, seed) if path is None else path
    world = build(regime, seed, path)
    duration_ns = int(regime.duration_s * NS)
    world.kernel.run_in_chunks(duration_ns, progress, chunks)
    return settle(world, duration_ns)


def settle(world: SessionWorld, duration_ns: int) -> SessionResult:
    """Close the session on the ledger, check it, and build its tables and summary."""
    deposits = _deposits(world.journal)
    check_against_agents(world)  # before the close, so a corrupted log is named as such
    final_ticks = close_session(world, duration_ns)
    f = world.venue.fills.to_numpy()
    classes = tables.class_names(world)
    volume = tables.volume_by_agent(world, f)
    pnl = tables.pnl_table(world, deposits, volume)
    flows = class_flows(world.journal)
    _check_zero_sum(world, pnl, flows)
    house_row = pnl.column("agent").to_pylist().index(HOUSE)
    house_pnl = pnl.column("pnl_minor")[house_row].as_py()
    house = tables.house_result(world, f, flows, house_pnl, final_ticks)
    if world.risk is None and house["liquidation"] != 0:
        raise ReconciliationError(f"house result does not split into its buckets: {house}")
    markouts = tables.house_markouts(f, world.path, world.kernel.address_of(HOUSE), classes, world.engine.mult)
    liquidations = world.liquidator.log.to_arrow() if world.liquidator is not None else None
    summary = _summary(world, duration_ns, f, pnl, house, markouts, liquidations, final_ticks)
    return SessionResult(
        world.regime, world.seed, world.journal, tables.fills_table(world, f, classes), tables.hedges_table(world),
        pnl, markouts, flows, liquidations, house, summary,
    )


def _deposits(journal: Journal) -> dict[int, int]:
    """Opening deposits by account (quote asset): what each trader brought, not what it made."""
    p = journal.postings()
    cause = journal.causes().index("deposit") if "deposit" in journal.causes() else -1
    out: dict[int, int] = {}
    for to, c, a, amount in zip(p["to_account"].tolist(), p["cause"].tolist(), p["asset"].tolist(), p["amount_minor"].tolist()):
        if c == cause and a == 0:
            out[to] = out.get(to, 0) + amount
    return out


def _check_zero_sum(world: SessionWorld, pnl: pa.Table, flows: ClassFlows) -> None:
    """Every agent's result, the market's and the exchange's (fees, insurance fund) sum to exactly zero,
    and once nobody owes anything each class pair's flows agree from both ends."""
    j, e = world.journal, world.engine
    exchange = j.balance(j.account_id("exchange:fees"), e.quote)
    exchange += j.balance(j.account_id("exchange:insurance_fund"), e.quote) - world.insurance_fund_start_minor
    total = sum(pnl.column("pnl_minor").to_pylist()) + exchange
    if total != 0:
        raise ReconciliationError(f"session results sum to {total}, not zero (exchange {exchange})")
    owed = sum(abs(e.unrealised_minor(s)) for s in range(len(e.address)))
    if owed == 0 and flows.unsettled():
        raise ReconciliationError(f"class flows disagree between payers and payees: {flows.unsettled()}")


def _summary(world: SessionWorld, duration_ns: int, f, pnl: pa.Table, house: dict[str, int], markouts: pa.Table,
             liquidations: pa.Table | None, final_ticks: int) -> dict:
    j, e = world.journal, world.engine
    rows = dict(zip(pnl.column("agent").to_pylist(), zip(pnl.column("pnl_minor").to_pylist(), pnl.column("volume_minor").to_pylist())))
    house_pnl, house_volume = rows[HOUSE]
    by_class: dict[str, int] = {}
    for cls, x in zip(pnl.column("class").to_pylist(), pnl.column("pnl_minor").to_pylist()):
        by_class[cls] = by_class.get(cls, 0) + x
    horizons = markouts.column("horizon_s").to_pylist()
    values = markouts.column("markout_minor").to_pylist()
    summary = {
        "regime": world.regime.name,
        "seed": world.seed,
        "duration_s": duration_ns / NS,
        "events": world.kernel.events,
        "fills": len(f["ts_ns"]),
        "postings": len(j),
        "volume_minor": tables.exact_sum(f["notional_minor"]),
        "house_volume_minor": house_volume,
        "house_pnl_minor": house_pnl,
        "house_pnl_per_million_usd": round(house_pnl / house_volume * 1_000_000, 2) if house_volume else 0.0,
        "house_result_minor": house,
        "house_switched_off_at_s": None if world.house.stopped_at_ns is None else world.house.stopped_at_ns / NS,
        "fees_collected_minor": j.balance(j.account_id("exchange:fees"), e.quote),
        "pnl_by_class_minor": by_class,
        "house_markout_minor": {f"{h}s": sum(v for hz, v in zip(horizons, values) if hz == h) for h in tables.MARKOUT_HORIZONS_S},
        "final_reference_ticks": final_ticks,
        "journal_check_passed": True,
        "reconciled": True,
    }
    if liquidations is not None:
        summary.update(_waterfall_summary(world, liquidations, house))
    return summary


def _waterfall_summary(world: SessionWorld, table: pa.Table, house: dict[str, int]) -> dict:
    j, e, liq = world.journal, world.engine, world.liquidator
    steps = table.column("step").to_pylist()
    amounts = table.column("amount_minor").to_pylist()

    def total(step: str) -> int:
        return sum(a for s, a in zip(steps, amounts) if s == step)

    prices = {c.code: c.price_minor for c in e.collateral.values()}
    sheet = BalanceSheet.at(j, prices)
    state = e.state()
    return {
        "accounts": len(e.address),
        "accounts_liquidated": len(liq.liquidated),
        "exempt_accounts_skipped": len(liq.exempt_skipped),
        "liquidation_rows": table.num_rows,
        "orderly_slices": steps.count("market"),
        "backstop_takeovers": steps.count("backstop"),
        "insurance_fund_start_minor": world.insurance_fund_start_minor,
        "insurance_fund_end_minor": j.balance(liq.fund, e.quote),
        "insurance_fund_paid_in_minor": liq.fund_received_minor,
        "insurance_fund_used_minor": liq.fund_paid_minor,
        "house_backstop_pnl_minor": house["liquidation"],
        "adl_events": steps.count("adl"),
        "adl_deficit_absorbed_minor": total("adl"),
        "socialized_loss_minor": total("socialized"),
        "funding_paid_minor": world.risk.funding_paid_minor,
        "house_exchange_balance_minor": j.balance(j.account_id("house:exchange"), e.quote),
        "hole_minor": sheet.hole,
        "non_exempt_accounts_below_zero": int(((state.equity_minor < 0) & ~e.exempt).sum()),
    }
