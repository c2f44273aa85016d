"""Where the money went: the hole at collapse split by final holder class and cause, exactly.

The hole is customer liabilities (positive customer balances) less custody, each asset's units summed
and valued once at the collapse day's prices. Every posting up to the end of that day moves one of the
two: a leg on a customer account changes the positive part of its balance, a leg on custody changes
custody. Summing those changes per (asset, holder class, cause, year) and valuing each asset's groups by
largest-remainder apportionment gives rows that add up to the hole in integer minor units.

Customer money that reached the house's treasury (its withdrawals from custody and the deposits routed
to its bank, less what it paid back in) sits in a pooled account with the house's own capital and loans.
Which uses it paid for depends on a tracing rule, so that part is split twice: pro rata (every payment
out carries the pool's current customer share) and lowest intermediate balance (the house spends its own
money first; customer money spent is gone and later inflows do not restore it). Both splits sum to the
same pooled amount, so each rule's rows sum exactly to the hole; the spread between them is the tracing
uncertainty. Money the house still held at collapse is a row of its own.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

import pyarrow as pa

from hollow.analysis.run import RunTables, end_of_day_ns
from hollow.errors import HollowError
from hollow.money import asset as lookup_asset

RULES = ("pro_rata", "lowest_intermediate_balance")
TREASURY, CUSTODY = "house:treasury", "custody"
CUSTOMER_IN = {CUSTODY, "external:depositors"}  # the treasury's inflows that are customer money
SOLD = "house:sell"  # the house selling coins it withdrew from custody: the proceeds are customer money
AT_RECOVERY = {"venture": "ventures", "insider_loan": "insider_loans"}  # cause -> the summary's loss bucket
FILE = "hole_flows.parquet"

LEGS_SQL = """
with legs as (
  select seq, ts_ns, asset, cause, counterparty_class cp, from_account acct, -amount_minor::hugeint d from ledger where ts_ns < $cut
  union all
  select seq, ts_ns, asset, cause, counterparty_class cp, to_account acct, amount_minor::hugeint d from ledger where ts_ns < $cut),
k as (select l.*, a.kind, a.class from legs l join accounts a on a.account = l.acct where a.kind in ('customer', 'custody')),
c as (select *, case when kind = 'customer' then greatest(sum(d) over w, 0) - greatest(sum(d) over w - d, 0) else -d end u
      from k window w as (partition by acct, asset order by seq rows unbounded preceding))
select asset, kind, class, cause, cp, year(make_timestamp((ts_ns // 1000)::bigint)) yr, sum(u)::varchar
from c group by all having sum(u) <> 0 order by all
"""

TREASURY_SQL = """
select l.seq, year(make_timestamp((l.ts_ns // 1000)::bigint)) yr, l.from_account, l.to_account, l.amount_minor, l.cause,
       f.class, t.class
from ledger l join accounts f on f.account = l.from_account join accounts t on t.account = l.to_account
where l.ts_ns < $cut and l.asset = 'USD' and (l.from_account = $tr or l.to_account = $tr) order by l.seq
"""


@dataclass(frozen=True)
class HoleFlows:
    """The decomposition: `rows[rule]` maps (holder_class, cause, year) to USD minor units."""

    date: dt.date
    hole_minor: int
    rows: dict[str, dict[tuple[str, str, int], int]]

    def totals(self, rule: str) -> dict[tuple[str, str], int]:
        out: dict[tuple[str, str], int] = defaultdict(int)
        for (holder, cause, _), v in self.rows[rule].items():
            out[holder, cause] += v
        return {k: v for k, v in out.items() if v}

    def to_arrow(self) -> pa.Table:
        keys = [(rule, *k, v) for rule in RULES for k, v in sorted(self.rows[rule].items()) if v]
        return pa.table({
            "rule": pa.array([k[0] for k in keys], pa.string()),
            "holder_class": pa.array([k[1] for k in keys], pa.string()),
            "cause": pa.array([k[2] for k in keys], pa.string()),
            "year": pa.array([k[3] for k in keys], pa.int32()),
            "amount_minor": pa.array([k[4] for k in keys], pa.int64()),
        })


def _label(kind: str, cls: str, cause: str, cp: str) -> tuple[str, str]:
    """(holder class, cause) of one group of legs; ('pool', ...) marks customer money taken by the house."""
    if cause in ("deposit", "withdrawal"):
        if cp == "house":
            return "pool", "house_withdrawals_net"
        return (cls if kind == "customer" else cp), "deposits_not_in_custody"
    if kind == "customer":
        if cause == "realised_pnl":
            return cls, "trading_against_house" if cp == "house" else "trading_among_customers"
        if cause == "fee":
            return "exchange", "fees_earned"
        return cls, cause
    if cause == "token:mint":
        return cp, "own_token_in_custody"
    if cause.startswith("loan:"):
        return cp, "own_token_pledged_net"
    return cp, cause


def _apportion(units: dict[tuple, int], price: int, scale: int, target: int) -> dict[tuple, int]:
    """Each group's value, floored, plus one unit to the largest remainders so the total is `target`."""
    values = {k: u * price // scale for k, u in units.items()}
    short = target - sum(values.values())
    if not 0 <= short <= len(values):
        raise HollowError(f"flows: valuation residual {short} outside 0..{len(values)}")
    for k in sorted(units, key=lambda k: (-(units[k] * price % scale), k))[:short]:
        values[k] += 1
    return values


Posting = tuple[int, str, str, int, str, str]  # (year, from account, to account, amount, cause, to-account class)


def trace(postings: list[Posting], rule: str, year: int) -> tuple[int, int, dict[tuple[str, str, int], int]]:
    """Customer money through the house treasury under `rule`, posting by posting, in integers:
    (net customer money in, proceeds of customer coins sold, customer money per (holder, cause, year))."""
    rows: dict[tuple[str, str, int], int] = defaultdict(int)
    total = customer = net = sold = 0
    for yr, src, dst, amount, cause, dst_cls in postings:
        if dst == TREASURY:
            total += amount
            if src in CUSTOMER_IN or cause == SOLD:
                customer += amount
                net += amount
                sold += amount if cause == SOLD else 0
            continue
        if rule == "pro_rata":
            share = amount * customer // total if total > 0 else 0
        else:  # lowest intermediate balance: own money is spent first
            share = max(0, amount - (total - customer))
        share = min(share, customer)
        total -= amount
        customer -= share
        if dst == CUSTODY:  # paid back in: the customer part undoes a withdrawal, the own part offsets the hole
            net -= amount
            rows["house", "own_money_paid_into_custody", yr] -= amount - share
        else:
            rows[dst_cls, cause, yr] += share
    rows["house", "held_in_treasury_at_collapse", year] += customer
    return net, sold, dict(rows)


def trace_pool(run: RunTables, cut: int, year: int) -> tuple[int, int, dict[str, dict[tuple[str, str, int], int]]]:
    """The house treasury's USD postings up to `cut`, traced under each rule."""
    postings = [(yr, src, dst, amount, cause, dst_cls)
                for _, yr, src, dst, amount, cause, _, dst_cls in run.rows(TREASURY_SQL, {"cut": cut, "tr": TREASURY})]
    out = {}
    for rule in RULES:
        net, sold, out[rule] = trace(postings, rule, year)
    return net, sold, out


def hole_flows(run: RunTables) -> HoleFlows:
    """Decompose the hole at collapse (or at the run's last day when it never halted)."""
    day = dt.date.fromisoformat(run.summary["collapse_date"]) if run.summary["collapse_date"] else run.dates[-1]
    cut = end_of_day_ns(day)
    prices = run.prices(day)
    by_asset: dict[str, dict[tuple, int]] = defaultdict(lambda: defaultdict(int))
    owed, held = defaultdict(int), defaultdict(int)
    for asset, kind, cls, cause, cp, yr, units in run.rows(LEGS_SQL, {"cut": cut}):
        u = int(units)
        holder, label = _label(kind, cls, cause, cp)
        if holder != "pool" and label == "deposits_not_in_custody" and asset == "USD":
            holder, label = "pool", "routed_deposits"
        by_asset[asset][holder, label, yr] += u
        (owed if kind == "customer" else held)[asset] += u
    rows: dict[tuple[str, str, int], int] = defaultdict(int)
    raw = 0
    for asset, units in sorted(by_asset.items()):
        if asset not in prices:
            raise HollowError(f"flows: no price for {asset} on {day}")
        scale = lookup_asset(asset).scale
        target = owed[asset] * prices[asset] // scale - (-held[asset]) * prices[asset] // scale
        raw += target
        for key, v in _apportion(units, prices[asset], scale, target).items():
            rows[key] += v
    sheet = run.rows("select customer_liabilities_minor - custody_minor, hole_minor from daily where date = ?", [day])[0]
    if raw != sheet[0] or max(0, raw) != sheet[1]:
        raise HollowError(f"flows: the ledger gives owed - custody = {raw} on {day}, the daily table {sheet[0]}")
    pooled = sum(v for (h, _, _), v in rows.items() if h == "pool")
    pooled_usd = sum(u for (h, _, _), u in by_asset.get("USD", {}).items() if h == "pool")
    net, sold, traced = trace_pool(run, cut, day.year)
    if net - sold != pooled_usd:
        raise HollowError(f"flows: the treasury took {net - sold} of customer USD net, the custody legs say {pooled_usd}")
    base = {k: v for k, v in rows.items() if k[0] != "pool"}
    if pooled != pooled_usd or sold:  # coins withdrawn and sold: their value at collapse less the proceeds traced
        base["house", "customer_coins_sold_price_change", day.year] = pooled - pooled_usd - sold
    if raw < 0:
        base["exchange", "custody_surplus", day.year] = -raw
    spent = dict(run.rows("select cause, sum(amount_minor)::hugeint from ledger where ts_ns < $cut and from_account = $tr "
                          "group by 1", {"cut": cut, "tr": TREASURY}))
    losses = run.summary.get("house_losses_by_bucket_minor", {})
    return HoleFlows(day, sheet[1], {rule: _at_recovery(_merge(base, traced[rule]), spent, losses) for rule in RULES})


def _at_recovery(rows: dict, spent: dict, losses: dict) -> dict:
    """Ventures and insider loans split into the part a fire sale recovers and the part lost, in the
    proportion the house lost on all of them (exact: the lost part is floored, the rest recoverable)."""
    out = {}
    for (holder, cause, yr), v in rows.items():
        gross, lost = int(spent.get(cause) or 0), losses.get(AT_RECOVERY.get(cause, ""), 0)
        if cause in AT_RECOVERY and gross > 0 and 0 <= lost <= gross:
            part = v * lost // gross
            out[holder, f"{cause}:lost_at_recovery", yr] = part
            out[holder, f"{cause}:recoverable", yr] = v - part
        else:
            out[holder, cause, yr] = v
    return out


def _merge(a: dict, b: dict) -> dict:
    out = defaultdict(int, a)
    for k, v in b.items():
        out[k] += v
    return dict(out)


def write(run: RunTables, folder) -> HoleFlows:
    """`hole_flows.parquet` into `folder` (a RunFolder's temporary folder or a report folder)."""
    import pyarrow.parquet as pq

    flows = hole_flows(run)
    pq.write_table(flows.to_arrow(), folder / FILE, compression="zstd")
    return flows
