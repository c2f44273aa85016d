"""The cascade session: leveraged longs on a perpetual, a crash on the reference venue, the waterfall.

The house quotes the perp on its stale view (so during the crash its bids are too high and it buys
one-way toxic flow, liquidations included) and is the backstop liquidity provider; the insurance
fund is seeded from the regime. Positions are open at time 0 (longs against a pool of shorts at the
start price), so the run is the crash and what the exchange does about it. Everything lands in one
journal, and the run fails unless `Journal.check()` and the margin engine's own check pass.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import Field, model_validator

from hollow.agents.arbitrageur import Arbitrageur
from hollow.agents.house_maker import HouseMaker
from hollow.config import (
    IntervalS,
    LatencyUs,
    Name,
    Seed,
    Strict,
    load_toml_model,
)
from hollow.config import to_ppm as _ppm
from hollow.ledger import BalanceSheet, Custody, Journal, open_standard_accounts
from hollow.ledger.journal import AccountKind
from hollow.market.kernel import Context, Kernel, stream
from hollow.market.reference import PricePath, ReferenceVenue, jump_diffusion
from hollow.market.venue import InstrumentSpec
from hollow.money import PPM, asset
from hollow.risk.liquidation import (
    Backstop,
    Liquidator,
    MarginVenue,
    OrderlyParams,
    RiskEngine,
)
from hollow.risk.margin import MarginEngine
from hollow.sessions.regime import (
    ArbitrageurConfig,
    HouseConfig,
    InstrumentConfig,
    ReferenceConfig,
    VenueConfig,
)
from hollow.sessions.risk_config import (
    CollateralConfig,
    CrashConfig,
    HouseAccountConfig,
    LongsConfig,
    MarginConfig,
    ShortsConfig,
)
from hollow.sessions.session import NS, REFERENCE, VENUE, _latency

RISK = "risk"
FTX_MIN_ORDER_USD = 1_000  # liquidation orders are at least min($1000, position) [1]


class CascadeReferenceConfig(ReferenceConfig):
    crash: CrashConfig = CrashConfig()


class CascadeRegime(Strict):
    name: Name
    description: str = ""
    duration_s: Annotated[IntervalS, Field(le=7 * 24 * 3600)]
    seed: Seed = 0
    instrument: InstrumentConfig = InstrumentConfig()
    reference: CascadeReferenceConfig = CascadeReferenceConfig()
    venue: VenueConfig = VenueConfig()
    house: HouseConfig = HouseConfig()
    house_account: HouseAccountConfig = HouseAccountConfig()
    arbitrageurs: ArbitrageurConfig = ArbitrageurConfig()
    arbitrageur_collateral_usd: Annotated[Decimal, Field(ge=0)] = Decimal(5_000_000)
    standard_order_entry_us: LatencyUs = 2_000.0  # what the house gets without fast_order_entry
    margin: MarginConfig = MarginConfig()
    collateral: list[CollateralConfig] = []
    insurance_fund_usd: Annotated[Decimal, Field(ge=0)] = Decimal(1_000_000)
    longs: LongsConfig = LongsConfig()
    shorts: ShortsConfig = ShortsConfig()

    @model_validator(mode="after")
    def _collateral_of_house(self) -> CascadeRegime:
        known = {c.asset for c in self.collateral}
        missing = set(self.house_account.collateral_units) - known
        if missing:
            raise ValueError(f"house_account.collateral_units names {sorted(missing)}, not in [[collateral]]")
        return self


def load_cascade(path: Path | str) -> CascadeRegime:
    return load_toml_model(path, CascadeRegime)


class Holder:
    """A trader who only holds its position: it receives the venue's reports and ignores them."""

    def __init__(self, name: str, cls: str) -> None:
        self.name, self.cls = name, cls

    def attach(self, ctx: Context) -> None:
        self.ctx = ctx

    def routes(self) -> dict:
        """No routes: the kernel drops every message to it without calling back into Python."""
        return {}

    def on_message(self, sender: int, message: Any) -> None:
        pass


def crash_path(path: PricePath, start_ns: int, over_ns: int, drop_ppm: int) -> PricePath:
    """Multiply a path by (1 - drop) ** progress, progress going 0 -> 1 over the crash window."""
    progress = np.clip((path.times_ns - start_ns) / over_ns, 0.0, 1.0)
    factor = (1.0 - drop_ppm / PPM) ** progress
    return PricePath(path.times_ns, np.maximum(1, np.rint(path.price_ticks * factor)).astype(np.int64))


@dataclass
class CascadeWorld:
    regime: CascadeRegime
    seed: int
    kernel: Kernel
    journal: Journal
    venue: MarginVenue
    path: PricePath
    engine: MarginEngine
    liquidator: Liquidator
    risk: RiskEngine
    house: HouseMaker
    insurance_fund_start_minor: int


def build(regime: CascadeRegime, seed: int) -> CascadeWorld:
    """Wire the journal, venue, margin engine, agents, seeded positions and the risk process."""
    instrument = regime.instrument.instrument()
    usd = asset(instrument.quote)
    start = regime.instrument.start_ticks()
    duration_ns = int(regime.duration_s * NS)
    ref = regime.reference
    path = jump_diffusion(
        stream(seed, "reference-path"), start_ticks=start, duration_ns=duration_ns,
        annual_volatility=ref.annual_volatility, update_interval_ns=int(ref.update_interval_ms * 1e6),
        jumps_per_day=ref.jumps_per_day, jump_std=ref.jump_std, drift_per_year=ref.drift_per_year,
    )
    path = crash_path(path, int(ref.crash.start_s * NS), int(ref.crash.over_s * NS), _ppm(ref.crash.drop_pct / 100, "drop_pct"))

    ha = regime.house_account
    journal = Journal([instrument.quote] + [c.asset for c in regime.collateral if c.asset != instrument.quote])
    ids = open_standard_accounts(
        journal, house_allow_negative_balance=ha.allow_negative_balance,
        house_credit_limit_minor=None if ha.credit_limit_usd is None else usd.to_minor(ha.credit_limit_usd),
        house_liquidation_exempt=ha.liquidation_exempt, house_fast_order_entry=ha.fast_order_entry,
    )
    custody = Custody(journal)
    fund_start = usd.to_minor(regime.insurance_fund_usd)
    if fund_start:
        custody.deposit(0, "exchange:insurance_fund", usd.code, fund_start)

    kernel = Kernel(seed, default_latency=_latency(regime.longs.order_entry_ms * 1_000))  # links to the holders
    venue = MarginVenue(VENUE, [InstrumentSpec(instrument)], regime.venue.fee_schedule(), conflation_ns=regime.venue.conflation_us * 1_000)
    v = kernel.add(venue)
    r = kernel.add(ReferenceVenue(REFERENCE, 0, path, half_spread_bps=ref.half_spread_bps))
    engine = MarginEngine(journal, instrument, regime.margin.params(), [c.collateral() for c in regime.collateral], mark_ticks=start)
    engine.attach_venue(venue)

    def join(entity: Any, ledger_id: int, latency_us: float) -> int:
        a = kernel.add(entity)
        kernel.connect(a, v, _latency(latency_us))
        engine.add_account(a, ledger_id)
        return a

    house = HouseMaker("house", VENUE, REFERENCE, 0, regime.house, instrument)
    entry_us = regime.house.order_entry_us if ha.fast_order_entry else regime.standard_order_entry_us
    h = join(house, ids["house:exchange"], entry_us)
    kernel.connect(h, r, _latency(entry_us), _latency(regime.house.feed_us))
    venue.set_trailing_volume(h, usd.to_minor(regime.house.trailing_volume_usd))
    if ha.collateral_usd:
        custody.deposit(0, "house:exchange", usd.code, usd.to_minor(ha.collateral_usd))
    for code, units in ha.collateral_units.items():
        if units:
            custody.deposit(0, "house:exchange", code, asset(code).to_minor(units))

    arb = regime.arbitrageurs
    fees = regime.venue.fee_schedule()
    for i in range(arb.count):
        name = f"arbitrageur-{i}"
        fee = fees.tier_for(usd.to_minor(arb.trailing_volume_usd)).taker_ppm
        agent = Arbitrageur(name, VENUE, REFERENCE, 0, arb, taker_fee_ppm=fee, hedge_cost_bps=ref.half_spread_bps)
        lid = journal.open_account(f"customer:{name}", AccountKind.CUSTOMER, "arbitrageur")
        a = join(agent, lid, arb.order_entry_us)
        kernel.connect(a, r, _latency(arb.order_entry_us), _latency(arb.feed_us))
        venue.set_trailing_volume(a, usd.to_minor(arb.trailing_volume_usd))
        if regime.arbitrageur_collateral_usd:
            custody.deposit(0, lid, usd.code, usd.to_minor(regime.arbitrageur_collateral_usd))

    _seed_positions(regime, seed, kernel, journal, custody, engine, start)

    backstops = []
    if ha.backstop_per_minute_usd and ha.backstop_per_hour_usd:
        backstops.append(Backstop(engine.slot[h], "house:exchange", usd.to_minor(ha.backstop_per_minute_usd),
                                  usd.to_minor(ha.backstop_per_hour_usd), regime.house.max_position_lots))
    m = regime.margin
    orderly = OrderlyParams(
        _ppm(m.orderly_slice_pct / 100, "orderly_slice_pct"), m.orderly_min_slice_lots, _ppm(m.orderly_band_bps / 10_000, "orderly_band_bps"),
        min_order_minor=usd.to_minor(FTX_MIN_ORDER_USD),
    )
    liquidator = Liquidator(engine, venue, ids["exchange:insurance_fund"], backstops, orderly, rng=stream(seed, "liquidator"))
    risk = RiskEngine(RISK, liquidator, REFERENCE, interval_ns=int(m.risk_interval_ms * 1e6), funding_interval_ns=m.funding_interval_s * NS)
    k = kernel.add(risk)
    kernel.connect(k, r, _latency(100.0))
    return CascadeWorld(regime, seed, kernel, journal, venue, path, engine, liquidator, risk, house, fund_start)


def _seed_positions(regime, seed, kernel, journal, custody, engine, start) -> None:
    """Longs with drawn collateral and leverage, each opened against one short (round robin) at the
    start price; each short's collateral is its notional over the shorts' leverage. Registered in
    bulk: the venue reaches each holder over the kernel's default link (created on first use)."""
    L, S = regime.longs, regime.shorts
    usd = asset(regime.instrument.quote)
    lot_cash = start * engine.mult
    rng = stream(seed, "cascade-longs")
    collateral_usd = np.maximum(1, np.rint(L.collateral_median_usd * np.exp(L.collateral_sigma * rng.standard_normal(L.count))))
    lev_lo, lev_hi = int(L.leverage_min * 10), int(L.leverage_max * 10)
    leverage_tenths = rng.integers(lev_lo, lev_hi + 1, L.count)
    names = [(f"short-{j:05d}", "trader") for j in range(S.count)] + [(f"retail-{i:05d}", "retail") for i in range(L.count)]
    lids = journal.open_accounts([(f"customer:{name}", AccountKind.CUSTOMER, cls, {}) for name, cls in names])
    addresses = [kernel.add(Holder(name, cls)) for name, cls in names]
    engine.add_accounts(addresses, lids)
    short_slots = [engine.slot[a] for a in addresses[: S.count]]
    collateral = [usd.to_minor(int(x)) for x in collateral_usd.tolist()]
    lots = [c * int(t) // 10 // lot_cash for c, t in zip(collateral, leverage_tenths.tolist())]
    longs = [(engine.slot[a], short_slots[i % S.count], q) for i, (a, q) in enumerate(zip(addresses[S.count:], lots)) if q]
    buyer, seller, qty = (np.asarray(x, dtype=np.int64) for x in zip(*longs)) if longs else (np.zeros(0, dtype=np.int64),) * 3
    engine.move_many(buyer, seller, qty, qty * lot_cash)
    short_lots = [0] * S.count
    for i, q in enumerate(lots):
        short_lots[i % S.count] += q
    lev_tenths = int(S.leverage * 10)
    deposits = [-((-q * lot_cash * 10) // lev_tenths) for q in short_lots] + collateral
    _deposit_all(journal, custody, lids, deposits, usd.code)


def _deposit_all(journal: Journal, custody: Custody, lids: list[int], amounts: list[int], code: str) -> None:
    """Thousands of deposits in one batch: the same two legs per deposit as `Custody.deposit`."""
    pick = [(lid, amount) for lid, amount in zip(lids, amounts) if amount > 0]
    to = [lid for lid, _ in pick]
    amount = [a for _, a in pick]
    classes = [journal.account(lid).cls for lid in to]
    n = len(pick)
    journal.post_many(
        0, [custody.depositors] * n + [journal.claims_issued] * n, [custody.custody] * n + to, code,
        amount * 2, "deposit", classes * 2,
    )


@dataclass
class CascadeResult:
    regime: CascadeRegime
    seed: int
    journal: Journal
    liquidations: pa.Table
    summary: dict

    def write(self, out_dir: Path) -> None:
        """ledger.parquet, accounts.parquet, liquidations.parquet (zstd) and summary.json."""
        out_dir.mkdir(parents=True, exist_ok=True)
        self.journal.write_parquet(out_dir)
        pq.write_table(self.liquidations, out_dir / "liquidations.parquet", compression="zstd")
        (out_dir / "summary.json").write_text(json.dumps(self.summary, indent=2, sort_keys=True) + "\n")


def run_cascade(regime: CascadeRegime, seed: int | None = None, progress: Callable[[int, int], None] | None = None, chunks: int = 50) -> CascadeResult:
    """Run a cascade regime for one seed; `progress(done_ns, total_ns)` is called between chunks."""
    seed = regime.seed if seed is None else seed
    world = build(regime, seed)
    duration_ns = int(regime.duration_s * NS)
    world.kernel.run_in_chunks(duration_ns, progress, chunks)
    return settle(world, duration_ns)


def settle(world: CascadeWorld, duration_ns: int) -> CascadeResult:
    """A last risk pass and variation margin for everyone at the final mark, then the checks."""
    world.risk.risk_pass(duration_ns)
    e, j, liq = world.engine, world.journal, world.liquidator
    e.flush_fees(duration_ns)
    e.settle_all(duration_ns)
    e.check()
    j.check()
    table = liq.log.to_arrow()
    steps = table.column("step").to_pylist()
    amounts = table.column("amount_minor").to_pylist()

    def total(step: str) -> int:
        return sum(a for s, a in zip(steps, amounts) if s == step)

    house_slot = e.slot[world.kernel.address_of(world.house.name)]
    final_cash = e.mark_cash().tolist()
    house_backstop = sum(q * final_cash[i] - paid for slot, i, q, paid in liq.takeovers if slot == house_slot)
    usd = e.quote
    prices = {c.code: c.price_minor for c in e.collateral.values()}
    sheet = BalanceSheet.at(j, prices)
    state = e.state()
    non_exempt_below_zero = int(((state.equity_minor < 0) & ~e.exempt).sum())
    summary = {
        "regime": world.regime.name,
        "seed": world.seed,
        "duration_s": duration_ns / NS,
        "events": world.kernel.events,
        "fills": len(world.venue.fills),
        "postings": len(j),
        "accounts": len(e.address),
        "accounts_liquidated": len(liq.liquidated),
        "exempt_accounts_skipped": len(liq.exempt_skipped),
        "liquidation_rows": table.num_rows,
        "orderly_slices": steps.count("market"),
        "backstop_takeovers": steps.count("backstop"),
        "house_backstop_pnl_minor": house_backstop,
        "insurance_fund_start_minor": world.insurance_fund_start_minor,
        "insurance_fund_end_minor": j.balance(liq.fund, usd),
        "insurance_fund_paid_in_minor": liq.fund_received_minor,
        "insurance_fund_used_minor": liq.fund_paid_minor,
        "adl_events": steps.count("adl"),
        "adl_deficit_absorbed_minor": total("adl"),
        "socialized_loss_minor": total("socialized"),
        "funding_paid_minor": world.risk.funding_paid_minor,
        "fees_collected_minor": j.balance(j.account_id("exchange:fees"), usd),
        "final_mark_ticks": e.mark_ticks,
        "final_reference_ticks": int(world.path.at(duration_ns)),
        "house_exchange_balance_minor": j.balance(j.account_id("house:exchange"), usd),
        "hole_minor": sheet.hole,
        "non_exempt_accounts_below_zero": non_exempt_below_zero,
        "journal_check_passed": True,
    }
    return CascadeResult(world.regime, world.seed, j, table, summary)
