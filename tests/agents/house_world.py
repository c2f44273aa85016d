"""A small market for the house's tests: the venue, a reference venue on a given path, the house,
arbitrageurs and (optionally) retail, wired as a session wires them, without the session's accounting."""

from __future__ import annotations

from decimal import Decimal

import numpy as np

from hollow.agents.arbitrageur import Arbitrageur, ArbitrageurConfig
from hollow.agents.house_maker import HouseConfig, HouseMaker
from hollow.agents.retail import Retail, RetailConfig
from hollow.market.fees import FeeSchedule, FeeTier
from hollow.market.kernel import Kernel, Latency
from hollow.market.reference import PricePath, ReferenceVenue
from hollow.market.venue import InstrumentSpec, Venue
from hollow.money import Instrument

BTC = Instrument("BTC-PERP", "BTC", "USD", Decimal("0.5"), Decimal("0.0001"), perpetual=True)
FEES = FeeSchedule((FeeTier(0, 0, 150),))  # 0 bp maker, 1.5 bp taker
MS = 1_000_000


def link(us: float) -> Latency:
    fixed = max(1, int(us * 1_000))
    return Latency(fixed_ns=fixed, jitter_mean_ns=fixed // 4)


def step_path(start_ticks: int, jump_at_ns: int, jump_bps: float) -> PricePath:
    """A flat price that jumps once by `jump_bps`."""
    after = int(round(start_ticks * (1 + jump_bps / 10_000)))
    return PricePath(np.array([0, jump_at_ns], dtype=np.int64), np.array([start_ticks, after], dtype=np.int64))


class World:
    def __init__(self, path: PricePath, house: HouseConfig, *, arbitrageurs: int = 1, retail: int = 0,
                 arb: ArbitrageurConfig | None = None, seed: int = 1, trace: bool = False) -> None:
        self.kernel = kernel = Kernel(seed, trace=trace)
        self.path = path
        self.venue = Venue("exchange", [InstrumentSpec(BTC)], FEES)
        v = kernel.add(self.venue)
        self.reference = ReferenceVenue("reference", 0, path, half_spread_bps=0.5)
        r = kernel.add(self.reference)
        self.house = HouseMaker("house", "exchange", "reference", 0, house, BTC)
        h = kernel.add(self.house)
        kernel.connect(h, v, link(house.order_entry_us), link(house.feed_us))
        kernel.connect(h, r, link(house.order_entry_us), link(house.feed_us))
        arb = arb or ArbitrageurConfig(clip_lots=10_000, max_position_lots=10**6, threshold_bps=1.0)
        self.arbitrageurs = []
        for i in range(arbitrageurs):
            a = Arbitrageur(f"arbitrageur-{i}", "exchange", "reference", 0, arb, taker_fee_ppm=150, hedge_cost_bps=0.5)
            x = kernel.add(a)
            kernel.connect(x, v, link(arb.order_entry_us), link(arb.feed_us))
            kernel.connect(x, r, link(arb.order_entry_us), link(arb.feed_us))
            self.arbitrageurs.append(a)
        retail_config = RetailConfig(orders_per_hour=3_600, min_lots=1, max_lots=200, leveraged_fraction=0.0)
        for i in range(retail):
            x = kernel.add(Retail(f"retail-{i}", "exchange", 0, retail_config, leveraged=False))
            kernel.connect(x, v, link(50_000), link(50_000))

    def run(self, until_ns: int) -> "World":
        self.kernel.run(until_ns=until_ns)
        return self

    def house_fills(self) -> dict[str, np.ndarray]:
        f = self.venue.fills.to_numpy()
        house = self.kernel.address_of("house")
        mask = f["maker"] == house
        return {k: v[mask] for k, v in f.items()}

    def picked_off(self, after_ns: int) -> int:
        """Arbitrageur orders that took house quotes after `after_ns`: how often it was picked off."""
        f = self.house_fills()
        arbs = {self.kernel.address_of(a.name) for a in self.arbitrageurs}
        taken = {(int(t), int(o)) for t, o, ts in zip(f["taker"], f["taker_order_id"], f["ts_ns"]) if t in arbs and ts > after_ns}
        return len(taken)

    def house_pnl_minor(self) -> int:
        """The house's cash plus its position at the last reference price (its own books, exact)."""
        last = int(self.path.price_ticks[-1])
        return self.house.cash_minor + self.house.position_lots * last * BTC.minor_per_tick_lot
