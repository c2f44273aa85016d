"""Money between the perp clearing account and the accounts: fees, realised PnL, funding, liquidation.

Every posting is one leg between `exchange:perp_clearing` and a real account (an account of the
engine, the fee account or the insurance fund), and its counterparty class names the real other
side (`attribution.py` chooses the labels; a class pair's receipts and payments then agree).
A payer never goes below what it may pay (`CollateralBook.payment_room`): what it cannot pay stays
in its perp balance as a debt, which the liquidation waterfall must cover. Per account the amount
posted is exactly the net of its class columns, so labelling never changes anyone's balance.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from hollow.errors import LedgerError
from hollow.risk.attribution import Attribution
from hollow.risk.positions import EXCHANGE_CLASS

if TYPE_CHECKING:
    from hollow.risk.margin import MarginEngine


def shares(total: int, weights: Sequence[int]) -> list[int]:
    """`total` split in proportion to non-negative `weights`, exactly (largest remainders, ties first)."""
    weights = list(weights)
    weight = sum(weights)
    if weight == 0:
        return [0] * len(weights)
    out = [total * w // weight for w in weights]
    order = sorted(range(len(weights)), key=lambda k: (-(total * weights[k] % weight), k))
    for k in order[: total - sum(out)]:
        out[k] += 1
    return out


class Settlement:
    """The engine's postings, and the attribution book they keep."""

    def __init__(self, engine: MarginEngine) -> None:
        self.engine = engine
        self.attribution = Attribution()
        self._fees = np.zeros(16, dtype=np.int64)  # per slot: fees charged to perp balances, not yet posted

    # -- fees ---------------------------------------------------------------------------------
    def charge_fees(self, slots: np.ndarray, fees: np.ndarray) -> None:
        n = self.engine.n
        if self._fees.shape[0] < n:
            self._fees = np.concatenate([self._fees, np.zeros(2 * n - self._fees.shape[0], dtype=np.int64)])
        np.add.at(self._fees, slots, fees)

    def flush_fees(self, ts_ns: int) -> None:
        """Post the fees charged since the last flush, one posting per account (fees first, then
        rebates, so the fee account never dips). Fees are advanced by the clearing account and charged
        to the payer's perp balance (against the exchange), so a fee never fails for want of cash."""
        e = self.engine
        e.sync()
        pending = np.flatnonzero(self._fees[: e.n])
        if not pending.size:
            return
        fee = self._fees[pending]
        self._fees[pending] = 0
        order = np.lexsort((pending, fee < 0))
        pending, fee = pending[order], fee[order]
        cls = e.cls_idx[pending]
        lid = e.ledger_id[pending]
        src = np.where(fee > 0, e.clearing, e.fees_account)
        dst = np.where(fee > 0, e.fees_account, e.clearing)
        e.journal.post_many(ts_ns, src, dst, e.quote, np.abs(fee), "fee", [e.classes[c] for c in cls.tolist()], lid)
        for c, f in zip(cls.tolist(), fee.tolist()):
            if f > 0:
                self.attribution.paid_out(c, EXCHANGE_CLASS, f)
            else:
                self.attribution.paid_in(EXCHANGE_CLASS, c, -f)

    def check_flushed(self) -> None:
        if self._fees[: self.engine.n].any():
            raise LedgerError("margin: fees charged but not posted; call flush_fees first")

    # -- exchange accounts --------------------------------------------------------------------
    def exchange_leg(self, ts_ns: int, s: int, account: int, amount: int, cause: str) -> tuple:
        """A posting between the clearing account and an exchange account (the insurance fund) on
        behalf of slot `s` (+: the exchange account pays toward `s`, -: it receives from `s`); the
        perp balance of `s` against the exchange moves with it. Returns the posting, not yet posted."""
        e = self.engine
        c = int(e.cls_idx[s])
        e.table.book(s, EXCHANGE_CLASS, amount)
        if amount > 0:
            self.attribution.paid_in(EXCHANGE_CLASS, c, amount)
            return (ts_ns, account, e.clearing, e.quote, amount, cause, e.classes[c], int(e.ledger_id[s]))
        self.attribution.paid_out(c, EXCHANGE_CLASS, -amount)
        return (ts_ns, e.clearing, account, e.quote, -amount, cause, e.classes[c], int(e.ledger_id[s]))

    def exchange_legs_in(self, slots: np.ndarray, amounts: np.ndarray) -> dict[int, int]:
        """Many slots each pay `amounts` (> 0) toward the exchange: their perp balances against the
        exchange drop; returns the total per class, for the caller to post out of the clearing."""
        e = self.engine
        cls = e.cls_idx[slots]
        np.add.at(e.table.basis, (slots, EXCHANGE_CLASS), -amounts)
        np.add.at(e.table.cash, slots, -amounts)
        totals = {}
        for c in np.unique(cls).tolist():
            totals[c] = int(amounts[cls == c].sum())
            self.attribution.paid_out(c, EXCHANGE_CLASS, totals[c])
        return totals

    # -- realisation --------------------------------------------------------------------------
    def settle_all(self, ts_ns: int, cause: str) -> np.ndarray:
        """Realise every account's unrealised PnL (every account takes part, so any of them can carry
        a pass-through pair and every class pair can be brought to zero)."""
        rows = np.arange(self.engine.n)
        return self.settle(ts_ns, rows, [cause] * rows.size, every_pool=True)

    def settle(self, ts_ns: int, rows: np.ndarray, causes: Sequence[str], *, every_pool: bool = False) -> np.ndarray:
        """Realise the full unrealised PnL of `rows`; returns what each posted (+ received)."""
        e = self.engine
        e.sync()
        rows = np.asarray(rows, dtype=np.int64)
        return self.realise(ts_ns, rows, e.table.upnl_by_class(rows, e.mark_cash()), causes, every_pool=every_pool)

    def pay(self, ts_ns: int, rows: np.ndarray, amounts: np.ndarray, cause: str) -> np.ndarray:
        """Book zero-sum amounts (rows x classes) to perp balances, then realise exactly them."""
        e = self.engine
        rows = np.asarray(rows, dtype=np.int64)
        amounts = np.asarray(amounts, dtype=np.int64)
        np.add.at(e.table.basis, rows, amounts)
        np.add.at(e.table.cash, rows, amounts.sum(axis=1))
        return self.realise(ts_ns, rows, amounts, [cause] * rows.size)

    def realise(self, ts_ns: int, rows: np.ndarray, amounts: np.ndarray, causes: Sequence[str], *,
                every_pool: bool = False) -> np.ndarray:
        """Post `amounts` (rows x classes; +: the account receives) between the clearing account and
        each account's quote claim, a payer capped at its payment room; the perp balances drop by what
        was posted. Returns the net posted per row."""
        e = self.engine
        self.flush_fees(ts_ns)
        if not rows.size:
            return np.zeros(0, dtype=np.int64)
        amounts = self._capped(rows, amounts.copy())
        posted = amounts.sum(axis=1)
        legs_row, legs_label, legs_amount = self.attribution.label(amounts, e.cls_idx[rows], every_pool=every_pool)
        if legs_row.size:
            order = np.lexsort((legs_row, legs_amount < 0))  # receipts before payments: floors hold
            legs_row, legs_label, legs_amount = legs_row[order], legs_label[order], legs_amount[order]
            lid = e.ledger_id[rows[legs_row]]
            src = np.where(legs_amount > 0, e.clearing, lid)
            dst = np.where(legs_amount > 0, lid, e.clearing)
            classes = [e.classes[c] for c in legs_label.tolist()]
            e.journal.post_many(ts_ns, src, dst, e.quote, np.abs(legs_amount), [causes[k] for k in legs_row.tolist()], classes, lid)
        np.subtract.at(e.table.basis, rows, amounts)
        np.subtract.at(e.table.cash, rows, posted)
        return posted

    def _capped(self, rows: np.ndarray, amounts: np.ndarray) -> np.ndarray:
        """Scale down the payments of rows that cannot pay their net in full: receipts are kept, the
        payments shrink pro rata (exactly) to receipts + room."""
        e = self.engine
        net = amounts.sum(axis=1)
        owing = np.flatnonzero(net < 0)
        if not owing.size:
            return amounts
        r = rows[owing]
        room = e.collateral_book.payment_room(e.ledger_id[r], e.floor[r], e.credit_limit[r])
        for k, can in zip(owing.tolist(), room.tolist()):
            row = amounts[k]
            if -int(net[k]) > can:
                pay = np.maximum(-row, 0)
                allowed = int(np.maximum(row, 0).sum()) + can
                row[pay > 0] = -np.asarray(shares(allowed, pay[pay > 0].tolist()), dtype=np.int64)
        return amounts

    # -- invariants ---------------------------------------------------------------------------
    def check_pools(self) -> None:
        """For every pair of classes, the PnL its accounts still have against each other equals what
        the clearing account owes the pair (attribution.owed): money cannot leak between pairs."""
        e = self.engine
        n, C = e.n, len(e.classes)
        upnl = e.table.upnl_by_class(np.arange(n), e.mark_cash())
        by_pair = np.zeros((C, C), dtype=object)
        for x in range(C):
            rows = np.flatnonzero(e.cls_idx == x)
            if rows.size:
                by_pair[x] = [sum(v) for v in upnl[rows].T.tolist()]
        for x in range(C):
            for y in range(x, C):
                have = by_pair[x, y] + (by_pair[y, x] if x != y else 0)
                if have != self.attribution.pool(x, y):
                    raise LedgerError(f"margin: class pair ({e.classes[x]}, {e.classes[y]}) holds {have} "
                                      f"but the clearing owes it {self.attribution.pool(x, y)}")
