"""Proof of reserves on a run: the liabilities tree at a date, reserves counted two ways, and the
monthly reserve ratio over the whole run.

Honest: liabilities are every customer's positive balances (the tree's root); reserves are custody
valued at the day's prices *without* the exchange's own token (an issuer's token is no reserve against
its own claims). Flattering, the way a captured exchange would publish it: the token counted at market
and the house's negative balances netted against everyone else's claims.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from hollow.analysis.merkle import SumTree
from hollow.analysis.run import RunTables, end_of_day_ns
from hollow.errors import HollowError
from hollow.money import PPM
from hollow.money import asset as lookup_asset

BALANCES_SQL = """
with legs as (
  select to_account acct, asset, amount_minor::hugeint d from ledger where ts_ns < $cut
  union all select from_account, asset, -amount_minor::hugeint from ledger where ts_ns < $cut)
select l.acct, a.kind, l.asset, sum(d)::varchar from legs l join accounts a on a.account = l.acct
where a.kind = 'customer' or l.acct in ('custody', 'house:exchange') group by all having sum(d) <> 0 order by all
"""


@dataclass(frozen=True)
class Audit:
    date: dt.date
    tree: SumTree
    salts: dict[str, str]
    liabilities_minor: int
    reserves_honest_minor: int
    reserves_flattering_minor: int
    liabilities_flattering_minor: int

    def ratio_ppm(self, honest: bool = True) -> int:
        num, den = ((self.reserves_honest_minor, self.liabilities_minor) if honest
                    else (self.reserves_flattering_minor, self.liabilities_flattering_minor))
        return num * PPM // den if den > 0 else PPM

    def proof(self, customer: str) -> dict:
        if customer not in self.salts:
            raise HollowError(f"--customer {customer}: no customer account of that name holds a balance on {self.date}")
        return self.tree.proof(self.tree.customers.index(customer), self.salts[customer], self.date.isoformat())


def _salt(secret: str, customer: str) -> str:
    """Per-customer salt: deterministic for the run, unguessable without the ledger's digest."""
    return hashlib.sha256(f"hollow:salt|{secret}|{customer}".encode()).hexdigest()


def _value(units: dict[str, int], prices: dict[str, int], skip: str | None = None) -> int:
    return sum(u * prices[a] // lookup_asset(a).scale for a, u in units.items() if a != skip)


def audit(run: RunTables, day: dt.date) -> Audit:
    """The tree over every customer account with a balance at the end of `day`, and both counts."""
    run.check_date(day)
    prices = run.prices(day)
    customers: dict[str, dict[str, int]] = {}
    custody: dict[str, int] = {}
    house_neg: dict[str, int] = {}
    for acct, kind, asset, bal in run.rows(BALANCES_SQL, {"cut": end_of_day_ns(day)}):
        b = int(bal)
        if kind == "customer":
            if b > 0:  # a negative customer balance is a receivable, never netted into the liabilities
                customers.setdefault(acct, {})[asset] = b
        elif acct == "custody":
            custody[asset] = b
        elif b < 0:
            house_neg[asset] = -b
    assets = sorted({a for c in customers.values() for a in c})
    secret = run.manifest["files"]["ledger.parquet"]["sha256"]
    salts = {c: _salt(secret, c) for c in customers}
    tree = SumTree.build(assets, [(c, salts[c], [customers[c].get(a, 0) for a in assets]) for c in sorted(customers)])
    owed = dict(zip(assets, tree.root[1], strict=True))
    liabilities = _value(owed, prices)
    return Audit(day, tree, salts, liabilities, _value(custody, prices, skip=run.token), _value(custody, prices),
                 liabilities - _value(house_neg, prices))


MONTHLY_SQL = """
with c as (
  select date_trunc('month', make_timestamp((ts_ns // 1000)::bigint))::date m, asset, acct, sum(d) d from (
    select ts_ns, asset, to_account acct, amount_minor::hugeint d from ledger where to_account in ('custody', 'house:exchange')
    union all select ts_ns, asset, from_account, -amount_minor::hugeint from ledger where from_account in ('custody', 'house:exchange'))
  group by all)
select m, asset, acct, (sum(d) over (partition by asset, acct order by m))::varchar from c order by all
"""


def monthly(run: RunTables) -> list[dict]:
    """Month-end reserve ratios both ways (ppm), from the daily sheet and month-end custody and house units."""
    ends = {}
    for d in run.dates:
        ends[d.year, d.month] = d
    units: dict[tuple[int, int], dict[tuple[str, str], int]] = {}
    for m, asset, acct, bal in run.rows(MONTHLY_SQL):
        units.setdefault((m.year, m.month), {})[acct, asset] = int(bal)
    out, carried = [], {}
    for (y, mo), day in sorted(ends.items()):
        carried.update(units.get((y, mo), {}))
        row = run.rows("select customer_liabilities_minor, custody_minor from daily where date = ?", [day])[0]
        prices = run.prices(day)
        token_units = carried.get(("custody", run.token), 0) if run.token else 0
        token_value = token_units * prices.get(run.token, 0) // lookup_asset(run.token).scale if token_units else 0
        neg = {a: -u for (acct, a), u in carried.items() if acct == "house:exchange" and u < 0}
        owed, custody = row
        flat_owed = owed - _value(neg, prices)
        out.append({"date": day, "liabilities_minor": owed, "reserves_honest_minor": custody - token_value,
                    "reserves_flattering_minor": custody,
                    "honest_ppm": (custody - token_value) * PPM // owed if owed > 0 else PPM,
                    "flattering_ppm": custody * PPM // flat_owed if flat_owed > 0 else PPM})
    return out


def first_hole(rows: list[dict]) -> dt.date | None:
    """The first month-end on which an honest proof shows reserves short of liabilities."""
    return next((r["date"] for r in rows if r["honest_ppm"] < PPM), None)
