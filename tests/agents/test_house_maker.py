"""The house's view of fair value is the reference price as it was `signal_staleness_ms` ago."""

from __future__ import annotations

from decimal import Decimal

from hollow.agents.house_maker import HouseMaker
from hollow.market.kernel import Kernel, Latency
from hollow.market.messages import ReferencePrice
from hollow.money import Instrument
from hollow.sessions.regime import HouseConfig

BTC = Instrument("BTC-PERP", "BTC", "USD", Decimal("0.5"), Decimal("0.0001"))


class Sink:
    def __init__(self, name: str) -> None:
        self.name = name

    def attach(self, ctx) -> None:
        self.ctx = ctx

    def on_message(self, sender: int, message: object) -> None:
        pass


def test_view_lags_the_reference_by_the_staleness_not_by_the_feed() -> None:
    kernel = Kernel(seed=1)
    venue, reference = kernel.add(Sink("exchange")), kernel.add(Sink("reference"))
    house = HouseMaker("house", "exchange", "reference", 0, HouseConfig(signal_staleness_ms=1000), BTC)
    h = kernel.add(house)
    kernel.connect(h, venue, Latency(fixed_ns=1_000))
    kernel.connect(h, reference, Latency(fixed_ns=1_000))
    for t_ms, price in ((0, 100), (400, 110), (1_200, 120)):
        kernel.timer(h, t_ms * 1_000_000, ReferencePrice(0, price, t_ms))
    kernel.run(until_ns=999_000_000)
    assert house.view_ticks() is None  # nothing is a second old yet
    kernel.run(until_ns=1_000_000_000)
    assert house.view_ticks() == 100
    kernel.run(until_ns=1_500_000_000)
    assert house.view_ticks() == 110  # the 120 seen at 1.2 s is still too fresh
    kernel.run(until_ns=2_200_000_000)
    assert house.view_ticks() == 120


def test_a_takeover_moves_the_cash_its_stop_loss_watches() -> None:
    from hollow.market.messages import LiquidationExecution

    house = HouseMaker("house", "exchange", "reference", 0, HouseConfig(), BTC)
    house._on_liquidation(LiquidationExecution(0, 0, 20_000, 10, 5_000_000, 0, "backstop"))  # takes 10 lots long
    assert (house.position_lots, house.cash_minor) == (10, -5_000_000)
    house._on_liquidation(LiquidationExecution(0, 1, 20_000, 4, 2_100_000, 7, "adl"))  # 4 lots deleveraged
    assert (house.position_lots, house.cash_minor) == (6, -2_900_007)
