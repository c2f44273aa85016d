"""One session: a regime run for one seed, from the kernel up to the fills, PnL and markouts.

Everything is read from the venue's fill log and the reference venue's hedge log, with integer
arithmetic, and reconciled: the sum of every agent's PnL (the market's too) plus the fees the venue
collected is exactly zero, or the run fails.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Callable

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from hollow.agents.arbitrageur import Arbitrageur
from hollow.agents.base import Agent
from hollow.agents.house_maker import HouseMaker
from hollow.agents.retail import Retail
from hollow.agents.trading_firm import TradingFirm
from hollow.market.kernel import Kernel, Latency, stream
from hollow.market.messages import Execution, HedgeFill
from hollow.market.reference import (
    PricePath,
    ReferenceVenue,
    SignalFeed,
    jump_diffusion,
)
from hollow.market.venue import InstrumentSpec, Venue
from hollow.money import asset
from hollow.sessions.regime import Regime

NS = 1_000_000_000
MARKOUT_HORIZONS_S = (1, 10, 60)
VENUE, REFERENCE, SIGNALS = "exchange", "reference", "signals"
MARKET_CLASS = "market"


class ReconciliationError(RuntimeError):
    """PnL and fees did not sum to zero: a bug, never a user error."""


def _latency(us: float) -> Latency:
    fixed = max(1, int(us * 1_000))
    return Latency(fixed_ns=fixed, jitter_mean_ns=fixed // 4)


def _individual(seed: int, name: str, sigma: float) -> tuple[float, float]:
    """A firm's own multipliers on its latency and on its threshold (independent lognormals): no two
    competitors are clones, so each entrant can lower the best latency or threshold the house faces."""
    if not sigma:
        return 1.0, 1.0
    latency_k, threshold_k = stream(seed, "heterogeneity", name).lognormal(0.0, sigma, 2)
    return float(latency_k), float(threshold_k)


@dataclass
class SessionWorld:
    """Everything a session wires together, before it runs."""

    regime: Regime
    seed: int
    kernel: Kernel
    venue: Venue
    reference: ReferenceVenue
    path: PricePath
    agents: list[Agent] = field(default_factory=list)
    house: HouseMaker | None = None


def build(regime: Regime, seed: int) -> SessionWorld:
    """Create the kernel, venues and agents of a regime, with every link's latency."""
    instrument = regime.instrument.instrument()
    duration_ns = int(regime.duration_s * NS)
    start = regime.instrument.start_ticks()
    ref_cfg = regime.reference
    path = jump_diffusion(
        stream(seed, "reference-path"), start_ticks=start, duration_ns=duration_ns,
        annual_volatility=ref_cfg.annual_volatility, update_interval_ns=int(ref_cfg.update_interval_ms * 1e6),
        jumps_per_day=ref_cfg.jumps_per_day, jump_std=ref_cfg.jump_std, drift_per_year=ref_cfg.drift_per_year,
    )
    fees = regime.venue.fee_schedule()
    kernel = Kernel(seed)
    venue = Venue(
        VENUE, [InstrumentSpec(instrument, band_ticks=start * regime.venue.band_bps // 10_000)], fees,
        conflation_ns=regime.venue.conflation_us * 1_000,
    )
    v = kernel.add(venue)
    reference = ReferenceVenue(REFERENCE, 0, path, half_spread_bps=ref_cfg.half_spread_bps)
    r = kernel.add(reference)
    world = SessionWorld(regime, seed, kernel, venue, reference, path)
    usd = asset(instrument.quote)

    def join(agent: Agent, to_venue_us: float, from_venue_us: float, trailing_volume_usd: Decimal) -> int:
        a = kernel.add(agent)
        kernel.connect(a, v, _latency(to_venue_us), _latency(from_venue_us))
        venue.set_trailing_volume(a, usd.to_minor(trailing_volume_usd))
        world.agents.append(agent)
        return a

    h = regime.house
    world.house = HouseMaker("house", VENUE, REFERENCE, 0, h, instrument)
    a = join(world.house, h.order_entry_us, h.feed_us, h.trailing_volume_usd)
    kernel.connect(a, r, _latency(h.order_entry_us), _latency(h.feed_us))

    arb = regime.arbitrageurs
    for i in range(arb.count):
        name = f"arbitrageur-{i}"
        k, threshold_k = _individual(seed, name, arb.heterogeneity)
        own = arb.model_copy(update={"threshold_bps": arb.threshold_bps * threshold_k})
        fee = fees.tier_for(usd.to_minor(arb.trailing_volume_usd)).taker_ppm
        agent = Arbitrageur(name, VENUE, REFERENCE, 0, own, taker_fee_ppm=fee, hedge_cost_bps=ref_cfg.half_spread_bps)
        a = join(agent, arb.order_entry_us * k, arb.feed_us * k, arb.trailing_volume_usd)
        kernel.connect(a, r, _latency(arb.order_entry_us * k), _latency(arb.feed_us * k))

    firm = regime.trading_firms
    if firm.count:
        feed = SignalFeed(
            SIGNALS, 0, path, interval_ns=int(firm.signal_interval_ms * 1e6), horizon_ns=int(firm.horizon_ms * 1e6),
            skill=firm.skill, noise_bps=firm.noise_bps,
        )
        s = kernel.add(feed)
        for i in range(firm.count):
            name = f"trading_firm-{i}"
            k, threshold_k = _individual(seed, name, firm.heterogeneity)
            own = firm.model_copy(update={"threshold_bps": firm.threshold_bps * threshold_k})
            fee = fees.tier_for(usd.to_minor(firm.trailing_volume_usd)).taker_ppm
            a = join(TradingFirm(name, VENUE, 0, own, taker_fee_ppm=fee), firm.order_entry_us * k, firm.order_entry_us * k, firm.trailing_volume_usd)
            kernel.connect(s, a, Latency(fixed_ns=1_000))
            feed.add_firm(a)
        feed.start()

    ret = regime.retail
    chooser = stream(seed, "retail-leverage")
    for i in range(ret.count):
        leveraged = bool(chooser.random() < ret.leveraged_fraction)
        join(Retail(f"retail-{i}", VENUE, 0, ret, leveraged=leveraged), ret.order_entry_ms * 1_000, ret.order_entry_ms * 1_000, Decimal(0))
    return world


@dataclass
class SessionResult:
    regime: Regime
    seed: int
    fills: pa.Table
    hedges: pa.Table
    pnl: pa.Table
    markouts: pa.Table
    summary: dict

    def write(self, out_dir: Path) -> None:
        """fills.parquet, hedges.parquet, pnl.parquet, markouts.parquet and summary.json (zstd)."""
        out_dir.mkdir(parents=True, exist_ok=True)
        for name, table in (("fills", self.fills), ("hedges", self.hedges), ("pnl", self.pnl), ("markouts", self.markouts)):
            pq.write_table(table, out_dir / f"{name}.parquet", compression="zstd")
        (out_dir / "summary.json").write_text(json.dumps(self.summary, indent=2, sort_keys=True) + "\n")


def run_session(regime: Regime, seed: int | None = None, progress: Callable[[int, int], None] | None = None, chunks: int = 50) -> SessionResult:
    """Run a regime for one seed; `progress(done_ns, total_ns)` is called between chunks."""
    seed = regime.seed if seed is None else seed
    world = build(regime, seed)
    duration_ns = int(regime.duration_s * NS)
    world.kernel.run_in_chunks(duration_ns, progress, chunks)
    return settle(world, duration_ns)


def settle(world: SessionWorld, duration_ns: int) -> SessionResult:
    """Turn the logs into tables, mark everyone to the final reference price, and reconcile."""
    regime, kernel = world.regime, world.kernel
    mult = regime.instrument.instrument().minor_per_tick_lot
    names = kernel.names()
    n_addr = len(names)
    classes = [MARKET_CLASS] * n_addr
    classes[kernel.address_of(VENUE)] = "exchange"
    for agent in world.agents:
        classes[kernel.address_of(agent.name)] = agent.cls
    final_ticks = int(world.path.at(duration_ns))

    f = world.venue.fills.to_numpy()
    h = {k: np.frombuffer(v, dtype=np.int64).copy() for k, v in world.reference.hedges.items()}
    market = n_addr  # one extra row: the wider market, counterparty of every hedge
    cash = np.zeros(n_addr + 1, dtype=np.int64)
    position = np.zeros(n_addr + 1, dtype=np.int64)
    fees = np.zeros(n_addr + 1, dtype=np.int64)
    volume = np.zeros(n_addr + 1, dtype=np.int64)
    buy = f["aggressor"] == 0
    signed_qty = np.where(buy, f["qty_lots"], -f["qty_lots"])
    signed_cash = np.where(buy, -f["notional_minor"], f["notional_minor"])
    np.add.at(position, f["taker"], signed_qty)
    np.add.at(position, f["maker"], -signed_qty)
    np.add.at(cash, f["taker"], signed_cash)
    np.add.at(cash, f["maker"], -signed_cash)
    np.add.at(fees, f["taker"], f["taker_fee_minor"])
    np.add.at(fees, f["maker"], f["maker_fee_minor"])
    np.add.at(volume, f["taker"], f["notional_minor"])
    np.add.at(volume, f["maker"], f["notional_minor"])
    hedge_buy = h["side"] == 0
    hedge_qty = np.where(hedge_buy, h["qty_lots"], -h["qty_lots"])
    hedge_notional = h["price_ticks"] * h["qty_lots"] * mult
    hedge_cash = np.where(hedge_buy, -hedge_notional, hedge_notional)
    np.add.at(position, h["agent"], hedge_qty)
    np.add.at(cash, h["agent"], hedge_cash)
    position[market] -= int(hedge_qty.sum())
    cash[market] -= int(hedge_cash.sum())
    volume[market] += int(hedge_notional.sum())
    pnl = cash - fees + position * final_ticks * mult

    fees_collected = world.venue.fees_collected_minor
    if int(pnl.sum()) + fees_collected != 0 or int(fees.sum()) != fees_collected or int(position.sum()) != 0:
        raise ReconciliationError(
            f"PnL {int(pnl.sum())} + fees {fees_collected} != 0 (fees by agent {int(fees.sum())}, net position {int(position.sum())})"
        )
    _check_against_agents(world, position, cash, fees, f, h)

    rows = [i for i in range(n_addr) if classes[i] not in (MARKET_CLASS, "exchange")] + [market]
    row_names = names + ["market"]
    row_classes = classes + [MARKET_CLASS]
    pnl_table = pa.table({
        "agent": [row_names[i] for i in rows],
        "class": [row_classes[i] for i in rows],
        "pnl_minor": pa.array([int(pnl[i]) for i in rows], pa.int64()),
        "fees_paid_minor": pa.array([int(fees[i]) for i in rows], pa.int64()),
        "volume_minor": pa.array([int(volume[i]) for i in rows], pa.int64()),
        "position_lots": pa.array([int(position[i]) for i in rows], pa.int64()),
    })

    class_names = np.array(row_classes, dtype=object)
    ref_at_fill = world.path.at(f["ts_ns"]).astype(np.int64)
    fills_table = pa.table({
        "ts_ns": f["ts_ns"], "taker": pa.array([names[i] for i in f["taker"]], pa.string()),
        "maker": pa.array([names[i] for i in f["maker"]], pa.string()),
        "taker_class": pa.array(class_names[f["taker"]].tolist(), pa.string()),
        "maker_class": pa.array(class_names[f["maker"]].tolist(), pa.string()),
        "aggressor": pa.array(np.where(buy, "buy", "sell").tolist(), pa.string()),
        "price_ticks": f["price_ticks"], "qty_lots": f["qty_lots"], "notional_minor": f["notional_minor"],
        "taker_fee_minor": f["taker_fee_minor"], "maker_fee_minor": f["maker_fee_minor"],
        "reference_price_ticks": ref_at_fill,
    })
    hedges_table = pa.table({
        "ts_ns": h["ts_ns"], "agent": pa.array([names[i] for i in h["agent"]], pa.string()),
        "counterparty_class": pa.array([MARKET_CLASS] * len(h["ts_ns"]), pa.string()),
        "side": pa.array(np.where(hedge_buy, "buy", "sell").tolist(), pa.string()),
        "price_ticks": h["price_ticks"], "qty_lots": h["qty_lots"], "notional_minor": hedge_notional,
    })
    house = kernel.address_of(world.house.name)
    markouts = house_markouts(f, world.path, house, class_names, mult)
    summary = _summary(world, pnl, fees_collected, volume, classes, row_classes, f, house, duration_ns, markouts)
    return SessionResult(regime, world.seed, fills_table, hedges_table, pnl_table, markouts, summary)


def _check_against_agents(world: SessionWorld, position, cash, fees, f, h) -> None:
    """The logs, settled, must agree with each agent's own books built from the messages it received:
    a fill booked to the wrong side, or an execution never sent, breaks this even though the logs
    alone would still sum to zero."""
    kernel = world.kernel
    agent_addresses = {kernel.address_of(a.name) for a in world.agents}
    counterparties = set(np.unique(np.concatenate([f["taker"], f["maker"], h["agent"]])).tolist())
    if not counterparties <= agent_addresses:
        raise ReconciliationError(f"fills or hedges booked to non-agents: {sorted(counterparties - agent_addresses)}")
    # reports still on their way when the run stopped count as received
    lots_in_flight: dict[int, int] = {}
    fees_in_flight: dict[int, int] = {}
    cash_in_flight: dict[int, int] = {}
    mult = world.regime.instrument.instrument().minor_per_tick_lot
    for _, to, _, m in kernel.in_flight():
        if type(m) in (Execution, HedgeFill):
            signed = m.qty_lots if m.side == 0 else -m.qty_lots
            lots_in_flight[to] = lots_in_flight.get(to, 0) + signed
        if type(m) is Execution:
            fees_in_flight[to] = fees_in_flight.get(to, 0) + m.fee_minor
            cash_in_flight[to] = cash_in_flight.get(to, 0) - signed * m.price_ticks * mult - m.fee_minor
    for agent in world.agents:
        a = kernel.address_of(agent.name)
        own_position = agent.settled_position_lots() + lots_in_flight.get(a, 0)
        own_fees = agent.fees_paid_minor + fees_in_flight.get(a, 0)
        if int(position[a]) != own_position or int(fees[a]) != own_fees:
            raise ReconciliationError(
                f"{agent.name}: settled position {int(position[a])} and fees {int(fees[a])} vs its own books "
                f"(in-flight reports included) {own_position} and {own_fees}"
            )
    house = kernel.address_of(world.house.name)
    own_cash = world.house.cash_minor + cash_in_flight.get(house, 0)
    if int(cash[house]) - int(fees[house]) != own_cash:
        raise ReconciliationError(f"house cash {int(cash[house]) - int(fees[house])} vs its own books {own_cash}")


def house_markouts(f: dict[str, np.ndarray], path: PricePath, house: int, class_names: np.ndarray, mult: int) -> pa.Table:
    """The house's PnL on each of its fills against the reference at +1 s, +10 s, +60 s, by counterparty class."""
    is_maker, is_taker = f["maker"] == house, f["taker"] == house
    mask = is_maker | is_taker
    taker_bought = f["aggressor"][mask] == 0
    house_bought = np.where(is_maker[mask], ~taker_bought, taker_bought)
    sign = np.where(house_bought, 1, -1)
    counterparty = np.where(is_maker[mask], f["taker"][mask], f["maker"][mask])
    cp_class = class_names[counterparty]
    price, qty, ts = f["price_ticks"][mask], f["qty_lots"][mask], f["ts_ns"][mask]
    rows: dict[str, list] = {"horizon_s": [], "counterparty_class": [], "fills": [], "qty_lots": [], "notional_minor": [], "markout_minor": []}
    for horizon in MARKOUT_HORIZONS_S:
        later = path.at(ts + horizon * NS).astype(np.int64)
        markout = sign * (later - price) * qty * mult
        for cls in sorted(set(cp_class.tolist())):
            pick = cp_class == cls
            rows["horizon_s"].append(horizon)
            rows["counterparty_class"].append(cls)
            rows["fills"].append(int(pick.sum()))
            rows["qty_lots"].append(int(qty[pick].sum()))
            rows["notional_minor"].append(int((price[pick] * qty[pick] * mult).sum()))
            rows["markout_minor"].append(int(markout[pick].sum()))
    return pa.table({k: pa.array(v, pa.string() if k == "counterparty_class" else pa.int64()) for k, v in rows.items()})


def _summary(world, pnl, fees_collected, volume, classes, row_classes, f, house, duration_ns, markouts) -> dict:
    house_pnl, house_volume = int(pnl[house]), int(volume[house])
    by_class: dict[str, int] = {}
    for i, cls in enumerate(row_classes):
        if cls != "exchange":
            by_class[cls] = by_class.get(cls, 0) + int(pnl[i])
    return {
        "regime": world.regime.name,
        "seed": world.seed,
        "duration_s": duration_ns / NS,
        "events": world.kernel.events,
        "fills": int(len(f["ts_ns"])),
        "volume_minor": int(f["notional_minor"].sum()),
        "house_volume_minor": house_volume,
        "house_pnl_minor": house_pnl,
        "house_pnl_per_million_usd": round(house_pnl / house_volume * 1_000_000, 2) if house_volume else 0.0,
        "house_switched_off_at_s": None if world.house.stopped_at_ns is None else world.house.stopped_at_ns / NS,
        "fees_collected_minor": fees_collected,
        "pnl_by_class_minor": by_class,
        "house_markout_minor": {
            f"{h}s": int(sum(m for hz, m in zip(markouts["horizon_s"].to_pylist(), markouts["markout_minor"].to_pylist()) if hz == h))
            for h in MARKOUT_HORIZONS_S
        },
        "reconciled": True,
    }
