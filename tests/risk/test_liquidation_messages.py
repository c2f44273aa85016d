"""Takeovers and ADL tell both parties with a LiquidationExecution: their own books follow, an
arbitrageur re-hedges, and nobody mistakes it for a fill of an order of its own."""

from __future__ import annotations

import numpy as np

from hollow.agents.arbitrageur import Arbitrageur, ArbitrageurConfig
from hollow.agents.holder import Holder
from hollow.ledger.journal import AccountKind
from hollow.market.book import OrderType, Side
from hollow.market.messages import Execution, LiquidationExecution, NewOrder
from hollow.market.reference import PricePath, ReferenceVenue
from hollow.risk.liquidation import Backstop
from tests.risk.test_margin import USD1, World
from tests.risk.test_waterfall_fixes import AT_ONCE


def _join(w: World, agent, usd: int) -> int:
    lid = w.journal.open_account(f"customer:{agent.name}", AccountKind.CUSTOMER, agent.cls)
    w.custody.deposit(0, lid, "USD", usd * USD1)
    return w.engine.add_account(w.kernel.add(agent), lid)


def test_backstop_and_adl_reach_both_parties_and_their_own_books_follow() -> None:
    w = World(orderly=AT_ONCE)
    w.kernel.add(ReferenceVenue("reference", 0, PricePath(np.array([0]), np.array([95])), half_spread_bps=0))
    house = Holder("house", "house", "exchange")
    arb = Arbitrageur("arb", "exchange", "reference", 0, ArbitrageurConfig(count=1), taker_fee_ppm=0, hedge_cost_bps=0)
    victim = Holder("victim", "retail", "exchange")
    h, s_arb, v = _join(w, house, 100_000), _join(w, arb, 10_000), _join(w, victim, 60)
    w.liquidator.backstops.append(Backstop(h, "customer:house", 300 * USD1, 300 * USD1, max_position_lots=3))
    w.engine.open_position(v, s_arb, 10, 100)
    victim.position_lots = 10
    arb.position_lots = -10  # their own books start from the position it opened (hedged long on the reference)
    arb.hedged_lots = 10
    w.kernel.run(until_ns=10**6)
    w.engine.mark_ticks = 95  # victim: equity $10 below ACMF: all 10 lots, 3 to the house (its limit), 7 to ADL
    arb.in_flight = True  # an order of its own still on its way
    w.liquidator.run(w.kernel.now_ns)
    w.kernel.run(until_ns=w.kernel.now_ns + 10**8)
    assert (w.engine.position_lots[h], w.engine.position_lots[s_arb], w.engine.position_lots[v]) == (3, -3, 0)
    assert (house.position_lots, arb.position_lots, victim.position_lots) == (3, -3, 0)
    assert arb.in_flight  # not cleared: a liquidation is not an execution of its order
    assert arb.hedged_lots == 3  # it sold 7 of its hedge back: the hedge matches the perp again
    w.engine.check()
    w.journal.check()


def test_an_orderly_slice_is_reported_once_as_a_liquidation_not_as_an_execution() -> None:
    w = World()
    a, b, m = w.account("a", 59), w.account("b", 1000), w.account("maker", 1000)
    w.engine.open_position(a, b, 10, 100)
    w.venue.on_message(w.engine.address[m], NewOrder(0, 1, Side.BUY, OrderType.LIMIT, 97, 5))
    w.engine.mark_ticks = 97
    w.liquidator.run(1)
    to_a = [msg for _, to, _, msg in w.kernel.in_flight() if to == w.engine.address[a]]
    kinds = {type(msg) for msg in to_a}
    assert LiquidationExecution in kinds and Execution in kinds  # the venue's report of the IOC, and ours
    (liq,) = [msg for msg in to_a if type(msg) is LiquidationExecution]
    assert (liq.step, liq.side, liq.qty_lots, liq.price_ticks, liq.notional_minor) == ("market", Side.SELL, 1, 97, 97 * USD1)
    w.kernel.run(until_ns=10**9)
    assert w.agents["a"].position_lots == -1 and w.agents["maker"].position_lots == 1  # counted once
