"""What one liquidation pass will post, kept in order and committed at the end in two batches.

Why: a crash puts thousands of accounts through the waterfall in the same second. Posting each step
as it happens costs a journal call per step; instead the pass records its legs (in order, so the
insurance fund is never below zero at any point of the sequence: `fund()` is what it will hold) and
the accounts whose PnL must be realised, then posts the legs in one `post_many` and realises every
touched account in one labelled batch (`Settlement.realise`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from hollow.risk import adl

if TYPE_CHECKING:
    from hollow.risk.liquidation import Liquidator


class PassBatch:
    """Legs, fund balance and realisations of one pass."""

    def __init__(self, liquidator: Liquidator, ts_ns: int) -> None:
        self.liq, self.ts = liquidator, ts_ns
        self._legs: list[tuple] = []  # columns chunks: (from, to, asset, amount, cause, class, ref)
        self.fund_delta = 0
        self.sold: dict[tuple[int, str], int] = {}  # (ledger id, asset) -> collateral units sold or seized
        self.spent: dict[int, int] = {}  # backstop slot -> quote spent on collateral this pass
        self.settle: dict[int, str] = {}  # slot -> cause of realising its whole PnL at the commit
        self.closed_by: dict[int, str] = {}  # slot -> cause of its last close-out step this pass
        self.explicit: dict[int, tuple[str, np.ndarray]] = {}  # slot -> (cause, amounts by class) to realise
        self.budget: list[int | None] = []  # orderly budget per instrument this pass (0: none)
        self.rank: dict[tuple[int, int], list[int]] = {}

    def fund(self) -> int:
        """What the insurance fund holds once every leg recorded so far is posted."""
        e = self.liq.engine
        return e.journal.balance(self.liq.fund, e.quote) + self.fund_delta

    def opposing(self, i: int, sign: int) -> list[int]:
        """ADL candidates for a `sign` position in instrument `i`, ranked once per pass."""
        if (i, sign) not in self.rank:
            self.rank[(i, sign)] = adl.opposing(self.liq.engine, i, sign, self.liq.mode)
        return self.rank[(i, sign)]

    def leg(self, src: int, dst: int, asset: str, amount: int, cause: str, cls: str, ref: int) -> None:
        self._legs.append(([src], [dst], [asset], [amount], [cause], [cls], [ref]))

    def fund_leg(self, s: int, amount: int, cause: str) -> None:
        """The fund pays `amount` toward slot `s` (negative: it receives from `s`)."""
        e, liq = self.liq.engine, self.liq
        self._legs.append(tuple([v] for v in e.settlement.exchange_leg(self.ts, s, liq.fund, amount, cause)[1:]))
        self._fund_moved(amount)

    def fund_legs(self, slots: np.ndarray, amounts: np.ndarray, cause: str) -> None:
        """Many accounts pay the fund (amounts > 0): booked per account, posted as one leg per class
        (the log has each account's share)."""
        e, liq = self.liq.engine, self.liq
        by_class = e.settlement.exchange_legs_in(slots, amounts)
        classes = sorted(by_class)
        n = len(classes)
        self._legs.append(([e.clearing] * n, [liq.fund] * n, [e.quote] * n, [by_class[c] for c in classes],
                           [cause] * n, [e.classes[c] for c in classes], [-1] * n))
        self._fund_moved(-int(amounts.sum()))

    def _fund_moved(self, paid_by_fund: int) -> None:
        self.fund_delta -= paid_by_fund
        if paid_by_fund > 0:
            self.liq.fund_paid_minor += paid_by_fund
        else:
            self.liq.fund_received_minor -= paid_by_fund

    def commit(self) -> None:
        e = self.liq.engine
        if self._legs:
            cols = [np.concatenate([np.asarray(c[k], dtype=np.int64) for c in self._legs]) if k in (0, 1, 3, 6)
                    else [x for c in self._legs for x in c[k]] for k in range(7)]
            e.journal.post_many(self.ts, cols[0], cols[1], cols[2], cols[3], cols[4], cols[5], cols[6])
        rows = np.asarray(sorted(set(self.settle) | set(self.explicit)), dtype=np.int64)
        if rows.size:
            e.sync()
            amounts = e.table.upnl_by_class(rows, e.mark_cash())
            causes = []
            for k, r in enumerate(rows.tolist()):
                if r in self.settle:
                    causes.append(self.settle[r])
                else:
                    causes.append(self.explicit[r][0])
                    amounts[k] = self.explicit[r][1]
            e.settlement.realise(self.ts, rows, amounts, causes)
