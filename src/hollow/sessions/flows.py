"""Who paid whom: flows between counterparty classes, read from the journal's postings.

A posting between two real accounts is a flow from the payer's class to the payee's class. A posting
that passes through an intermediary (the perp clearing account, the claims contra) names the real other
side in its `counterparty_class`: a payer's posting into the clearing account says whom it paid, a
payee's posting out of it says who paid it. Flows are read from the payee's side (money that arrived),
except the exchange's: its own leg (fee account, insurance fund) says why it paid (a rebate, a fund
payment), while the payee's leg only says when the money was realised (`realised_pnl`). The other side
is kept to prove the two agree, class pair by class pair, once a session is settled.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from hollow.ledger import CLAIMS_ISSUED, Journal

PASS_THROUGH = ("exchange:perp_clearing", CLAIMS_ISSUED)
EXCHANGE = "exchange"  # the class of the fee account and the insurance fund
FLOW_COLUMNS = ("from_class", "to_class", "asset", "cause", "amount_minor")

FlowKey = tuple[str, str, str, str]  # (from class, to class, asset, cause)


@dataclass(frozen=True, slots=True)
class ClassFlows:
    """Flows by (from class, to class, asset, cause), all amounts positive, in minor units of the asset.

    `paid` is the same money seen from the payers' side, by (from class, to class, asset); it differs from
    `received` only by what a payer still owes through the clearing account (`unsettled`)."""

    received: dict[FlowKey, int]
    paid: dict[tuple[str, str, str], int]

    def by_pair(self) -> dict[tuple[str, str, str], int]:
        out: dict[tuple[str, str, str], int] = defaultdict(int)
        for (a, b, code, _), amount in self.received.items():
            out[(a, b, code)] += amount
        return dict(out)

    def unsettled(self) -> dict[tuple[str, str, str], int]:
        """Per (from, to, asset): received minus paid, where nonzero (money fronted by the clearing)."""
        got, paid = self.by_pair(), self.paid
        keys = set(got) | set(paid)
        return {k: got.get(k, 0) - paid.get(k, 0) for k in sorted(keys) if got.get(k, 0) != paid.get(k, 0)}

    def net(self, cls: str, asset: str) -> int:
        """What `cls` received minus what it paid, in `asset`."""
        total = 0
        for (a, b, code, _), amount in self.received.items():
            if code == asset:
                total += (amount if b == cls else 0) - (amount if a == cls else 0)
        return total

    def to_arrow(self) -> pa.Table:
        keys = sorted(self.received)
        return pa.table({
            "from_class": pa.array([k[0] for k in keys], pa.string()),
            "to_class": pa.array([k[1] for k in keys], pa.string()),
            "asset": pa.array([k[2] for k in keys], pa.string()),
            "cause": pa.array([k[3] for k in keys], pa.string()),
            "amount_minor": pa.array([self.received[k] for k in keys], pa.int64()),
        })


def class_flows(journal: Journal, start: int = 0, *, skip_causes: tuple[str, ...] = ("deposit",)) -> ClassFlows:
    """Aggregate postings [start, end) into class flows (exact Python-int sums); `skip_causes` are
    movements that are not trading results (opening deposits)."""
    p = journal.postings(start)
    accounts = journal.accounts()
    acc_cls = [a.cls for a in accounts]
    through = np.zeros(len(accounts), dtype=bool)
    for name in PASS_THROUGH:
        if journal.has_account(name):
            through[journal.account_id(name)] = True
    causes, classes, assets = journal.causes(), journal.classes(), journal.assets
    skip = np.isin(p["cause"], [i for i, c in enumerate(causes) if c in skip_causes])
    f, t = p["from_account"].astype(np.int64), p["to_account"].astype(np.int64)
    f_real, t_real = ~through[f], ~through[t]
    received: dict[FlowKey, int] = defaultdict(int)
    paid: dict[tuple[str, str, str], int] = defaultdict(int)
    rows = np.flatnonzero(~skip)
    for fa, ta, fr, tr, a, c, cp, amount in zip(
        f[rows].tolist(), t[rows].tolist(), f_real[rows].tolist(), t_real[rows].tolist(),
        p["asset"][rows].tolist(), p["cause"][rows].tolist(), p["counterparty_class"][rows].tolist(),
        p["amount_minor"][rows].tolist(),
    ):
        code = assets[a]
        if fr and tr:
            received[(acc_cls[fa], acc_cls[ta], code, causes[c])] += amount
            paid[(acc_cls[fa], acc_cls[ta], code)] += amount
        elif tr:
            key = (classes[cp], acc_cls[ta], code)
            if classes[cp] == EXCHANGE:  # the exchange's own leg names the cause (a rebate, a fund payment)
                paid[key] += amount
            else:
                received[(*key, causes[c])] += amount
        elif fr:
            key = (acc_cls[fa], classes[cp], code)
            if acc_cls[fa] == EXCHANGE:
                received[(*key, causes[c])] += amount
            else:
                paid[key] += amount
    return ClassFlows(dict(received), dict(paid))
