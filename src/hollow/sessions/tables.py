"""A settled session's tables: fills, hedges, PnL by agent (read from the ledger), the house's markouts
and the house's result split into buckets. Every sum is an exact Python int (int64 sums can wrap)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from hollow.market.reference import PricePath
from hollow.sessions.build import HOUSE, NS, SessionWorld
from hollow.sessions.flows import ClassFlows

MARKOUT_HORIZONS_S = (1, 10, 60)
HOUSE_BUCKETS = ("spread", "adverse_selection", "fees", "funding", "liquidation")


def exact_sum(values: np.ndarray) -> int:
    """Sum of integer values (int64 or Python-int object arrays) as a Python int: never wraps."""
    return sum(int(v) for v in values.tolist())


def class_names(world: SessionWorld) -> np.ndarray:
    """Counterparty class of every kernel address (venue, reference and feeds are 'exchange'/'market')."""
    kernel = world.kernel
    names = np.array(["market"] * len(kernel.names()), dtype=object)
    names[kernel.address_of(world.venue.name)] = "exchange"
    for agent in world.agents:
        names[kernel.address_of(agent.name)] = agent.cls
    return names


def fills_table(world: SessionWorld, f: dict[str, np.ndarray], classes: np.ndarray) -> pa.Table:
    names = world.kernel.names()
    buy = f["aggressor"] == 0
    return pa.table({
        "ts_ns": f["ts_ns"], "taker": pa.array([names[i] for i in f["taker"]], pa.string()),
        "maker": pa.array([names[i] for i in f["maker"]], pa.string()),
        "taker_class": pa.array(classes[f["taker"]].tolist(), pa.string()),
        "maker_class": pa.array(classes[f["maker"]].tolist(), pa.string()),
        "aggressor": pa.array(np.where(buy, "buy", "sell").tolist(), pa.string()),
        "price_ticks": f["price_ticks"], "qty_lots": f["qty_lots"], "notional_minor": f["notional_minor"],
        "taker_fee_minor": f["taker_fee_minor"], "maker_fee_minor": f["maker_fee_minor"],
        "reference_price_ticks": world.path.at(f["ts_ns"]).astype(np.int64),
    })


def hedges_table(world: SessionWorld) -> pa.Table:
    names = world.kernel.names()
    h = {k: np.frombuffer(v, dtype=np.int64) for k, v in world.reference.hedges.items()}
    return pa.table({
        "ts_ns": h["ts_ns"], "agent": pa.array([names[i] for i in h["agent"]], pa.string()),
        "counterparty_class": pa.array(["market"] * len(h["ts_ns"]), pa.string()),
        "side": pa.array(np.where(h["side"] == 0, "buy", "sell").tolist(), pa.string()),
        "price_ticks": h["price_ticks"], "qty_lots": h["qty_lots"],
        "notional_minor": h["price_ticks"] * h["qty_lots"] * world.engine.mult,
    })


def pnl_table(world: SessionWorld, deposits: dict[int, int], volume: dict[str, int]) -> pa.Table:
    """Each agent's result read from the ledger: its exchange account and off-venue book, less what it
    deposited, plus what it still owes (a perp balance the waterfall left unpaid); and the market's."""
    j, e, kernel = world.journal, world.engine, world.kernel
    quote = e.quote
    rows: dict[str, list] = {k: [] for k in ("agent", "class", "pnl_minor", "fees_paid_minor", "volume_minor", "position_lots")}
    fees = fees_by_address(world)
    for agent in world.agents:
        a = kernel.address_of(agent.name)
        s = e.slot[a]
        lid = int(e.ledger_id[s])
        pnl = j.balance(lid, quote) - deposits.get(lid, 0) + e.unrealised_minor(s)
        if a in world.offvenue:
            pnl += j.balance(world.offvenue[a], quote)
        rows["agent"].append(agent.name)
        rows["class"].append(agent.cls)
        rows["pnl_minor"].append(pnl)
        rows["fees_paid_minor"].append(fees.get(a, 0))
        rows["volume_minor"].append(volume.get(agent.name, 0))
        rows["position_lots"].append(agent.settled_position_lots())
    market = j.account_id("external:market")
    rows["agent"].append("market")
    rows["class"].append("market")
    rows["pnl_minor"].append(j.balance(market, quote))
    rows["fees_paid_minor"].append(0)
    rows["volume_minor"].append(volume.get("market", 0))
    rows["position_lots"].append(-sum(rows["position_lots"]))
    types = {"agent": pa.string(), "class": pa.string()}
    return pa.table({k: pa.array(v, types.get(k, pa.int64())) for k, v in rows.items()})


def fees_by_address(world: SessionWorld) -> dict[int, int]:
    """Fees each kernel address paid (negative: rebates), from the venue's fill log."""
    f = world.venue.fills.columns
    out: dict[int, int] = {}
    for who, fee in ((f["taker"], f["taker_fee_minor"]), (f["maker"], f["maker_fee_minor"])):
        for a, x in zip(who, fee):
            out[a] = out.get(a, 0) + x
    return out


def volume_by_agent(world: SessionWorld, f: dict[str, np.ndarray]) -> dict[str, int]:
    """Notional each agent traded on the exchange (both sides of every fill) and the market's (hedges on
    the reference venue, kept apart so class volumes add up to twice the exchange's volume)."""
    names = world.kernel.names()
    out: dict[str, int] = {}
    for who in (f["taker"], f["maker"]):
        for a, n in zip(who.tolist(), f["notional_minor"].tolist()):
            out[names[a]] = out.get(names[a], 0) + n
    h = world.reference.hedges
    out["market"] = sum(p * q for p, q in zip(h["price_ticks"], h["qty_lots"])) * world.engine.mult
    return out


def house_markouts(f: dict[str, np.ndarray], path: PricePath, house: int, classes: np.ndarray, mult: int) -> pa.Table:
    """The house's PnL on each of its fills against the reference at +1 s, +10 s, +60 s, by counterparty class."""
    is_maker, is_taker = f["maker"] == house, f["taker"] == house
    mask = is_maker | is_taker
    taker_bought = f["aggressor"][mask] == 0
    sign = np.where(np.where(is_maker[mask], ~taker_bought, taker_bought), 1, -1)
    counterparty = np.where(is_maker[mask], f["taker"][mask], f["maker"][mask])
    cp_class = classes[counterparty]
    price, qty, ts = f["price_ticks"][mask].astype(object), f["qty_lots"][mask].astype(object), f["ts_ns"][mask]
    rows: dict[str, list] = {"horizon_s": [], "counterparty_class": [], "fills": [], "qty_lots": [], "notional_minor": [], "markout_minor": []}
    for horizon in MARKOUT_HORIZONS_S:
        later = path.at(ts + horizon * NS).astype(object)
        markout = sign * (later - price) * qty * mult
        for cls in sorted(set(cp_class.tolist())):
            pick = cp_class == cls
            rows["horizon_s"].append(horizon)
            rows["counterparty_class"].append(cls)
            rows["fills"].append(int(pick.sum()))
            rows["qty_lots"].append(exact_sum(qty[pick]))
            rows["notional_minor"].append(exact_sum(price[pick] * qty[pick] * mult))
            rows["markout_minor"].append(exact_sum(markout[pick]))
    return pa.table({k: pa.array(v, pa.string() if k == "counterparty_class" else pa.int64()) for k, v in rows.items()})


def house_result(world: SessionWorld, f: dict[str, np.ndarray], flows: ClassFlows, total_minor: int, final_ticks: int) -> dict[str, int]:
    """The house's result in buckets that add up exactly to `total_minor`:
    spread (fill price against the reference at the fill), adverse selection (the reference at the fill
    against the close: what the takers knew), fees and rebates, funding, and liquidation (backstop
    takeovers, ADL and socialised charges, marked to the close: what is left, zero without a risk process)."""
    house = world.kernel.address_of(HOUSE)
    mult = world.engine.mult
    is_maker, is_taker = f["maker"] == house, f["taker"] == house
    mask = is_maker | is_taker
    taker_bought = f["aggressor"][mask] == 0
    sign = np.where(np.where(is_maker[mask], ~taker_bought, taker_bought), 1, -1)
    price, qty = f["price_ticks"][mask].astype(object), f["qty_lots"][mask].astype(object)  # exact products
    ref = world.path.at(f["ts_ns"][mask]).astype(object)
    fees = exact_sum(np.where(is_maker[mask], f["maker_fee_minor"][mask], f["taker_fee_minor"][mask]))
    out = {
        "spread": exact_sum(sign * (ref - price) * qty) * mult,
        "adverse_selection": exact_sum(sign * (final_ticks - ref) * qty) * mult,
        "fees": -fees,
        "funding": sum(a if b == "house" else -a for (x, b, _, c), a in flows.received.items() if c == "funding" and "house" in (x, b) and x != b),
    }
    out["liquidation"] = total_minor - sum(out.values())
    return out
