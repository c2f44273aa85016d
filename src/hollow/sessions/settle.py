"""Close a session: a last risk pass, every position marked to the final reference price through the
margin engine, every hedge settled against the market, all on the ledger; then the checks.

The run fails (`ReconciliationError`) unless the journal and the margin engine pass their own checks,
every class pair's flows agree from both ends, each agent's own books (built from the messages it
received) agree with the logs, and the house's result splits exactly into its buckets.
"""

from __future__ import annotations

import numpy as np

from hollow.market.messages import LIQUIDATOR_ORDER_IDS, Execution, HedgeFill, LiquidationExecution
from hollow.sessions.build import HOUSE, SessionWorld
from hollow.sessions.tables import fees_by_address

MARKET_ACCOUNT = "external:market"


class ReconciliationError(RuntimeError):
    """The books do not agree: a bug, never a user error."""


def close_session(world: SessionWorld, duration_ns: int) -> int:
    """Settle everything at the final reference price; returns that price in ticks."""
    e = world.engine
    if world.risk is not None:
        world.risk.risk_pass(duration_ns)
    final_ticks = int(world.path.at(duration_ns))
    e.flush_fees(duration_ns)
    e.mark_ticks = final_ticks
    e.settle_all(duration_ns)
    _settle_hedges(world, duration_ns, final_ticks)
    e.check()
    world.journal.check()
    return final_ticks


def _settle_hedges(world: SessionWorld, ts_ns: int, final_ticks: int) -> None:
    """Each hedge is a trade with the wider market, marked to the final price: one posting per hedge
    between `external:market` and the hedger's off-venue book."""
    h = world.reference.hedges
    agent = np.frombuffer(h["agent"], dtype=np.int64)
    if agent.size == 0:
        return
    side = np.frombuffer(h["side"], dtype=np.int64)
    price = np.frombuffer(h["price_ticks"], dtype=np.int64).astype(object)  # exact products
    qty = np.frombuffer(h["qty_lots"], dtype=np.int64).astype(object)
    mult = world.engine.mult
    pnl = np.where(side == 0, 1, -1) * (final_ticks - price) * qty * mult
    pick = np.flatnonzero(pnl != 0)
    if not pick.size:
        return
    j = world.journal
    market = j.account_id(MARKET_ACCOUNT)
    book = np.array([world.offvenue[int(a)] for a in agent[pick].tolist()], dtype=np.int64)
    gain = np.array([x > 0 for x in pnl[pick]], dtype=bool)
    src = np.where(gain, market, book)
    dst = np.where(gain, book, market)
    classes = [("market" if g else j.account(int(b)).cls) for g, b in zip(gain.tolist(), book.tolist())]
    j.post_many(ts_ns, src, dst, world.engine.quote, [abs(int(x)) for x in pnl[pick]], "hedge", classes)


def check_against_agents(world: SessionWorld) -> None:
    """The engine's positions and the venue's fees, settled, must agree with each agent's own books
    built from the messages it received: a fill booked to the wrong side, or an execution never sent,
    breaks this even though the ledger alone would still balance."""
    kernel, e = world.kernel, world.engine
    lots_in_flight: dict[int, int] = {}
    hedge_in_flight: dict[int, int] = {}
    fees_in_flight: dict[int, int] = {}
    for _, to, _, m in kernel.in_flight():  # reports still on their way when the run stopped
        kind = type(m)
        if kind is LiquidationExecution:
            kind = Execution  # a position change the exchange imposed counts like a fill
        elif kind is Execution and m.order_id >= LIQUIDATOR_ORDER_IDS:
            continue  # the liquidator's order as the agent: its LiquidationExecution reports it
        if kind is Execution or kind is HedgeFill:
            signed = m.qty_lots if m.side == 0 else -m.qty_lots
            target = lots_in_flight if kind is Execution else hedge_in_flight
            target[to] = target.get(to, 0) + signed
        if kind is Execution:
            fees_in_flight[to] = fees_in_flight.get(to, 0) + m.fee_minor
    fees_by_agent = fees_by_address(world)
    hedged = _hedged_lots(world)
    for agent in world.agents:
        a = kernel.address_of(agent.name)
        own_venue = agent.position_lots + lots_in_flight.get(a, 0)
        own_total = agent.settled_position_lots() + lots_in_flight.get(a, 0) + hedge_in_flight.get(a, 0)
        engine_lots = int(e.position_lots[e.slot[a]])
        own_fees = agent.fees_paid_minor + fees_in_flight.get(a, 0)
        if (engine_lots != own_venue or engine_lots + hedged.get(a, 0) != own_total
                or fees_by_agent.get(a, 0) != own_fees):
            raise ReconciliationError(
                f"{agent.name}: engine position {engine_lots} (hedges {hedged.get(a, 0)}), venue fees "
                f"{fees_by_agent.get(a, 0)} vs its own books {own_venue} / {own_total} and {own_fees}"
            )
    if kernel.address_of(HOUSE) not in {kernel.address_of(x.name) for x in world.agents}:
        raise ReconciliationError("the house is not among the session's agents")


def _hedged_lots(world: SessionWorld) -> dict[int, int]:
    h = world.reference.hedges
    out: dict[int, int] = {}
    for a, side, q in zip(h["agent"], h["side"], h["qty_lots"]):
        out[a] = out.get(a, 0) + (q if side == 0 else -q)
    return out
