"""Wire one session: the journal and every agent's accounts, the venue, the reference venue, the margin
engine (always: it is where positions live), and the risk process when the regime has margin rules.

Every trader has a claims-layer account on the exchange (`customer:<name>`, the house's is
`house:exchange`), funded at time 0 from its own external source (the house from its owners, not
from the depositors). An arbitrageur's hedges on the reference venue are off the exchange: they settle
against `external:market` in its own holdings-layer book `offvenue:<name>`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np

from hollow.agents.arbitrageur import Arbitrageur
from hollow.agents.base import Agent
from hollow.agents.holder import Holder
from hollow.agents.house_maker import HouseMaker
from hollow.agents.retail import Retail
from hollow.agents.trading_firm import TradingFirm
from hollow.config import to_ppm
from hollow.ledger import HOUSE_OWNERS, Custody, Journal, open_standard_accounts
from hollow.ledger.journal import AccountKind
from hollow.market.kernel import Kernel, Latency, stream
from hollow.market.reference import PricePath, ReferenceVenue, SignalFeed
from hollow.market.venue import InstrumentSpec, Venue
from hollow.money import asset
from hollow.risk.liquidation import Backstop, Liquidator, MarginVenue, OrderlyParams, RiskEngine
from hollow.risk.margin import MarginEngine
from hollow.sessions.regime import Regime
from hollow.sessions.risk_config import COLLATERAL_Z_MAX, MarginConfig

NS = 1_000_000_000
VENUE, REFERENCE, SIGNALS, RISK = "exchange", "reference", "signals", "risk"
HOUSE = "house"
EXCHANGE_CAPITAL = "external:exchange_capital"  # what seeds the insurance fund
FTX_MIN_ORDER_USD = 1_000  # liquidation orders are at least min($1000, position) (exchange-mechanics.md 1.4)


def latency(us: float) -> Latency:
    """A link of `us` microseconds with exponential jitter of a quarter of it."""
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
    journal: Journal
    custody: Custody
    venue: Venue
    reference: ReferenceVenue
    path: PricePath
    engine: MarginEngine
    house: HouseMaker
    agents: list[Agent] = field(default_factory=list)
    offvenue: dict[int, int] = field(default_factory=dict)  # kernel address of a hedger -> its off-venue book
    liquidator: Liquidator | None = None
    risk: RiskEngine | None = None
    insurance_fund_start_minor: int = 0


class _Funding:
    """Opening deposits, collected and posted as one batch: the same two legs as `Custody.deposit`."""

    def __init__(self, journal: Journal, custody: Custody) -> None:
        self.journal, self.custody = journal, custody
        self.rows: list[tuple[int, int, str, int]] = []  # (source, account, asset, amount)

    def add(self, source: int, account: int, code: str, amount: int) -> None:
        if amount > 0:
            self.rows.append((source, account, code, amount))

    def post(self) -> None:
        j, c = self.journal, self.custody
        for code in sorted({r[2] for r in self.rows}):
            rows = [r for r in self.rows if r[2] == code]
            n = len(rows)
            classes = [j.account(r[1]).cls for r in rows]
            j.post_many(
                0, [r[0] for r in rows] + [j.claims_issued] * n, [c.custody] * n + [r[1] for r in rows], code,
                [r[3] for r in rows] * 2, "deposit", classes * 2,
            )


def build(regime: Regime, seed: int, path: PricePath) -> SessionWorld:
    """Create the journal, kernel, venues, margin engine and agents of a regime, with every link's latency."""
    instrument = regime.instrument.instrument()
    usd = asset(instrument.quote)
    start = int(path.price_ticks[0])
    ha = regime.house_account
    journal = Journal([instrument.quote] + [c.asset for c in regime.collateral])
    ids = open_standard_accounts(
        journal, house_allow_negative_balance=ha.allow_negative_balance,
        house_credit_limit_minor=None if ha.credit_limit_usd is None else usd.to_minor(ha.credit_limit_usd),
        house_liquidation_exempt=ha.liquidation_exempt, house_fast_order_entry=ha.fast_order_entry,
    )
    journal.open_account(EXCHANGE_CAPITAL, AccountKind.EXTERNAL, "exchange_owner")
    custody = Custody(journal)
    funding = _Funding(journal, custody)
    depositors, owners = custody.depositors, journal.account_id(HOUSE_OWNERS)  # the house's own money

    fees = regime.venue.fee_schedule()
    holders_link = None if regime.longs is None else latency(regime.longs.order_entry_ms * 1_000)
    kernel = Kernel(seed, default_latency=holders_link)  # the venue's links to seeded holders, made on first use
    band = start * regime.venue.band_bps // 10_000
    venue_cls = MarginVenue if regime.margin is not None else Venue
    venue = venue_cls(VENUE, [InstrumentSpec(instrument, band_ticks=band)], fees, conflation_ns=regime.venue.conflation_us * 1_000)
    v = kernel.add(venue)
    reference = ReferenceVenue(REFERENCE, 0, path, half_spread_bps=regime.reference.half_spread_bps)
    r = kernel.add(reference)
    margin = regime.margin
    params = (margin or MarginConfig()).params()  # without margin rules only positions are kept
    engine = MarginEngine(journal, instrument, params, [c.collateral() for c in regime.collateral], mark_ticks=start)
    engine.attach_venue(venue)
    if margin is None:
        venue.pre_trade_check = None  # no margin rules: every order goes to the book

    house = HouseMaker(HOUSE, VENUE, REFERENCE, 0, regime.house, instrument)
    world = SessionWorld(regime, seed, kernel, journal, custody, venue, reference, path, engine, house)

    def join(agent: Agent, to_venue_us: float, from_venue_us: float, ledger_id: int, trailing_usd: Decimal = Decimal(0)) -> int:
        a = kernel.add(agent)
        kernel.connect(a, v, latency(to_venue_us), latency(from_venue_us))
        engine.add_account(a, ledger_id)
        if trailing_usd:
            venue.set_trailing_volume(a, usd.to_minor(trailing_usd))
        world.agents.append(agent)
        return a

    def customer(name: str, cls: str, usd_amount: Decimal) -> int:
        lid = journal.open_account(f"customer:{name}", AccountKind.CUSTOMER, cls)
        funding.add(depositors, lid, usd.code, usd.to_minor(usd_amount))
        return lid

    entry_us = regime.house_order_entry_us()
    h = join(house, entry_us, regime.house.feed_us, ids["house:exchange"], regime.house.trailing_volume_usd)
    kernel.connect(h, r, latency(entry_us), latency(regime.house.feed_us))
    funding.add(owners, ids["house:exchange"], usd.code, usd.to_minor(ha.collateral_usd))
    for code, units in ha.collateral_units.items():
        funding.add(owners, ids["house:exchange"], code, asset(code).to_minor(units))

    _join_takers(world, regime, seed, join, customer, fees, usd, v, r)
    ret = regime.retail
    chooser = stream(seed, "retail-leverage")
    for i in range(ret.count):
        leveraged = bool(chooser.random() < ret.leveraged_fraction)
        agent = Retail(f"retail-{i}", VENUE, 0, ret, leveraged=leveraged)
        join(agent, ret.order_entry_ms * 1_000, ret.order_entry_ms * 1_000, customer(agent.name, agent.cls, regime.accounts.retail_usd))

    if regime.longs is not None:
        _seed_positions(world, funding, start)
    fund_start = usd.to_minor(regime.insurance_fund_usd)
    funding.add(journal.account_id(EXCHANGE_CAPITAL), ids["exchange:insurance_fund"], usd.code, fund_start)
    world.insurance_fund_start_minor = fund_start
    funding.post()
    if margin is not None:
        _add_risk_process(world, ids, r)
    return world


def _join_takers(world: SessionWorld, regime: Regime, seed: int, join, customer, fees, usd, v: int, r: int) -> None:
    """Arbitrageurs (with their off-venue hedge books) and trading firms (fed by the signal feed)."""
    kernel, journal = world.kernel, world.journal
    arb = regime.arbitrageurs
    for i in range(arb.count):
        name = f"arbitrageur-{i}"
        k, threshold_k = _individual(seed, name, arb.heterogeneity)
        own = arb.model_copy(update={"threshold_bps": arb.threshold_bps * threshold_k})
        fee = fees.tier_for(usd.to_minor(arb.trailing_volume_usd)).taker_ppm
        agent = Arbitrageur(name, VENUE, REFERENCE, 0, own, taker_fee_ppm=fee, hedge_cost_bps=regime.reference.half_spread_bps)
        a = join(agent, arb.order_entry_us * k, arb.feed_us * k, customer(name, agent.cls, regime.accounts.arbitrageur_usd), arb.trailing_volume_usd)
        kernel.connect(a, r, latency(arb.order_entry_us * k), latency(arb.feed_us * k))
        world.offvenue[a] = journal.open_account(f"offvenue:{name}", AccountKind.EXTERNAL, agent.cls)

    firm = regime.trading_firms
    if not firm.count:
        return
    feed = SignalFeed(
        SIGNALS, 0, world.path, interval_ns=int(firm.signal_interval_ms * 1e6), horizon_ns=int(firm.horizon_ms * 1e6),
        skill=firm.skill, noise_bps=firm.noise_bps,
    )
    s = kernel.add(feed)
    for i in range(firm.count):
        name = f"trading_firm-{i}"
        k, threshold_k = _individual(seed, name, firm.heterogeneity)
        own = firm.model_copy(update={"threshold_bps": firm.threshold_bps * threshold_k})
        fee = fees.tier_for(usd.to_minor(firm.trailing_volume_usd)).taker_ppm
        agent = TradingFirm(name, VENUE, 0, own, taker_fee_ppm=fee)
        lid = customer(name, agent.cls, regime.accounts.trading_firm_usd)
        a = join(agent, firm.order_entry_us * k, firm.order_entry_us * k, lid, firm.trailing_volume_usd)
        kernel.connect(s, a, Latency(fixed_ns=1_000))
        feed.add_firm(a)
    feed.start()


def _seed_positions(world: SessionWorld, funding: _Funding, start: int) -> None:
    """Leveraged longs with drawn collateral and leverage, each opened against one short (round robin)
    at the start price; each short's collateral is its notional over the shorts' leverage. Registered in
    bulk (a cascade has thousands): the venue reaches each holder over the kernel's default link."""
    regime, journal, engine, kernel = world.regime, world.journal, world.engine, world.kernel
    L, S = regime.longs, regime.shorts
    usd = asset(regime.instrument.quote)
    lot_cash = start * engine.mult
    rng = stream(world.seed, "cascade-longs")
    z = np.clip(rng.standard_normal(L.count), -COLLATERAL_Z_MAX, COLLATERAL_Z_MAX)
    collateral_usd = np.maximum(1, np.rint(L.collateral_median_usd * np.exp(L.collateral_sigma * z)))
    leverage_tenths = rng.integers(int(L.leverage_min * 10), int(L.leverage_max * 10) + 1, L.count)
    names = [(f"short-{j:05d}", "trader") for j in range(S.count)] + [(f"retail-{i:05d}", "retail") for i in range(L.count)]
    lids = journal.open_accounts([(f"customer:{name}", AccountKind.CUSTOMER, cls, {}) for name, cls in names])
    holders = [Holder(name, cls, VENUE) for name, cls in names]
    addresses = [kernel.add(h) for h in holders]
    engine.add_accounts(addresses, lids)
    world.agents.extend(holders)
    collateral = [usd.to_minor(int(x)) for x in collateral_usd.tolist()]
    lots = [c * int(k) // 10 // lot_cash for c, k in zip(collateral, leverage_tenths.tolist())]
    short_lots = [0] * S.count
    pieces = []
    for i, q in enumerate(lots):
        if q:
            j = i % S.count
            pieces.append((engine.slot[addresses[S.count + i]], engine.slot[addresses[j]], q))
            holders[S.count + i].position_lots += q  # its own books start from the position it opened
            holders[j].position_lots -= q
            short_lots[j] += q
    if pieces:
        buyer, seller, qty = (np.asarray(x, dtype=np.int64) for x in zip(*pieces))
        engine.move_many(buyer, seller, qty, qty * lot_cash)
    lev_tenths = int(S.leverage * 10)
    shorts_collateral = [-((-q * lot_cash * 10) // lev_tenths) for q in short_lots]
    for lid, amount in zip(lids, shorts_collateral + collateral):
        funding.add(world.custody.depositors, lid, usd.code, amount)


def _add_risk_process(world: SessionWorld, ids: dict[str, int], r: int) -> None:
    """The liquidator (house as backstop provider within its capacity) and the risk process's timer."""
    regime, engine, kernel = world.regime, world.engine, world.kernel
    usd = asset(regime.instrument.quote)
    ha, m = regime.house_account, regime.margin
    backstops = []
    if ha.backstop_per_minute_usd and ha.backstop_per_hour_usd:
        h = engine.slot[kernel.address_of(HOUSE)]
        backstops.append(Backstop(h, "house:exchange", usd.to_minor(ha.backstop_per_minute_usd),
                                  usd.to_minor(ha.backstop_per_hour_usd), regime.house.max_position_lots))
    orderly = OrderlyParams(
        to_ppm(m.orderly_slice_pct / 100, "orderly_slice_pct"), m.orderly_min_slice_lots, to_ppm(m.orderly_band_bps / 10_000, "orderly_band_bps"),
        min_order_minor=usd.to_minor(FTX_MIN_ORDER_USD),
    )
    world.liquidator = Liquidator(engine, world.venue, ids["exchange:insurance_fund"], backstops, orderly, rng=stream(world.seed, "liquidator"))
    world.risk = RiskEngine(RISK, world.liquidator, REFERENCE, interval_ns=int(m.risk_interval_ms * 1e6), funding_interval_ns=m.funding_interval_s * NS)
    k = kernel.add(world.risk)
    kernel.connect(k, r, latency(100.0))
