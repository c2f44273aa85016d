"""Perpetual futures on cross-margined accounts: positions per instrument, marks, collateral, IMF/MMF.

Why this shape. A perp fill moves no money, only a position and a "perp balance" (the signed cash of
every fill, fee and deleveraging not yet realised), so an account's unrealised PnL is
`perp balance + sum over instruments of position * mark * minor_per_tick_lot`. Positions and perp
balances each sum to zero over all accounts, so unrealised PnL does too, at any mark. Money reaches
the journal only through one claims-layer account, `exchange:perp_clearing` (allowed negative), by
`Settlement` (fees, realised PnL, funding, liquidation steps), each posting naming the real class
on the other side. Invariant, checked by `check()`: the clearing balance equals the sum of all perp
balances, and each class pair's PnL equals what the clearing owes it.

Every amount is an exact integer (`rules.py`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from hollow.errors import LedgerError
from hollow.ledger import AccountKind, Journal
from hollow.market.book import Reject, Side
from hollow.money import PPM, Instrument
from hollow.risk import initial_margin
from hollow.risk.collateral import CollateralAsset, CollateralBook, credit_columns
from hollow.risk.funding import funding_by_class
from hollow.risk.orders import MarginVenue, OpenOrders
from hollow.risk.positions import EXCHANGE_CLASS, PositionTable
from hollow.risk.rules import (
    MarginParams,
    MarginState,
    ceil_ppm,
    isqrt_vec,
    median_mark,
)
from hollow.risk.settlement import Settlement

CLEARING = "exchange:perp_clearing"
_BUY = int(Side.BUY)
_OK = int(Reject.OK)
__all__ = ["CLEARING", "CollateralAsset", "MarginEngine", "MarginParams", "MarginState", "isqrt_vec", "median_mark"]


_PER_ACCOUNT = (("ledger_id", np.int64), ("cls_idx", np.int64), ("liquidating", bool), ("exempt", bool),
                ("floor", np.int64), ("credit_limit", np.int64))


class MarginEngine:
    """Positions, perp balances and margin of every account trading perpetuals on one venue,
    cross-margined in one quote asset. Accounts are registered by kernel address (slot order =
    registration order); instruments by `add_instrument` (the first one at construction). The
    engine is the venue's pre-trade check and listens to its fills."""

    def __init__(self, journal: Journal, instrument: Instrument, params: MarginParams,
                 collateral: Sequence[CollateralAsset] = (), *, mark_ticks: int) -> None:
        self.journal = journal
        self.quote = instrument.quote
        self.collateral_book = CollateralBook(journal, self.quote, collateral)
        self.collateral = self.collateral_book.assets
        if journal.has_account(CLEARING):
            self.clearing = journal.account_id(CLEARING)
        else:
            self.clearing = journal.open_account(CLEARING, AccountKind.EXCHANGE, "exchange", allow_negative_balance=True)
        self.fees_account = journal.account_id("exchange:fees")
        self.classes: list[str] = ["exchange"]
        self.table = PositionTable(0, 1)
        self.instruments: list[Instrument] = []
        self.params: list[MarginParams] = []
        self.marks: list[int] = []
        self.indexes: list[int] = []
        self.mults: list[int] = []  # minor units per tick-lot, per instrument
        self.lot_micro: list[int] = []  # millionths of the underlying in one lot, per instrument
        self.bypass = False  # set by the liquidator while it sends orders on an account's behalf
        self.slot: dict[int, int] = {}  # kernel address -> slot
        self.address: list[int] = []
        self.names: list[str] = []  # ledger account name by slot
        self._columns = {name: np.zeros(16, dtype=t) for name, t in _PER_ACCOUNT}
        self._slot_of = np.full(16, -1, dtype=np.int64)  # kernel address -> slot, for fill batches
        self._refresh_views()
        self.open_orders: OpenOrders | None = None
        self._fill_columns: dict | None = None
        self._venue_to_engine: dict[int, int] = {}
        self._venue_specs: tuple = ()
        self._synced = 0  # fill-log rows whose class columns are applied
        self.settlement = Settlement(self)
        self.add_instrument(instrument, params, mark_ticks)

    # -- instruments --------------------------------------------------------------------------
    def add_instrument(self, instrument: Instrument, params: MarginParams, mark_ticks: int) -> int:
        """Another perpetual on the same cross-margined accounts; returns its engine index."""
        lot_micro = instrument.lot_size * PPM
        if lot_micro != int(lot_micro) or lot_micro <= 0 or instrument.quote != self.quote:
            raise ValueError(f"{instrument.symbol}: lot size must be whole millionths of {instrument.base}, quote {self.quote}")
        self.instruments.append(instrument)
        self.params.append(params)
        self.marks.append(mark_ticks)
        self.indexes.append(mark_ticks)
        self.mults.append(instrument.minor_per_tick_lot)
        self.lot_micro.append(int(lot_micro))
        self.table.add_instrument()
        self._map_venue()
        return len(self.instruments) - 1

    @property
    def mult(self) -> int:
        return self.mults[0]

    def mult_of(self, i: int) -> int:
        return self.mults[i]

    @property
    def mark_ticks(self) -> int:
        return self.marks[0]

    @mark_ticks.setter
    def mark_ticks(self, ticks: int) -> None:
        self.marks[0] = ticks

    def mark_cash(self) -> np.ndarray:
        """Minor units of one lot at the mark, per instrument."""
        return np.array([m * k for m, k in zip(self.marks, self.mults)], dtype=np.int64)

    # -- accounts -----------------------------------------------------------------------------
    @property
    def n(self) -> int:
        return len(self.address)

    def _refresh_views(self) -> None:
        n = len(self.address)
        for name, _ in _PER_ACCOUNT:
            setattr(self, name, self._columns[name][:n])

    def class_index(self, cls: str) -> int:
        if cls not in self.classes:
            self.classes.append(cls)
            self.table.widen(len(self.classes))
        return self.classes.index(cls)

    def add_account(self, address: int, ledger_id: int) -> int:
        """Register a trader (its kernel address and its claims-layer ledger account); returns its slot."""
        self.add_accounts([address], [ledger_id])
        return self.n - 1

    def add_accounts(self, addresses: Sequence[int], ledger_ids: Sequence[int]) -> None:
        """Register many traders at once (a cascade has thousands)."""
        accounts = [self.journal.account(int(i)) for i in ledger_ids]
        start = self.n
        for k, (address, acct) in enumerate(zip(addresses, accounts)):
            if not acct.claim or address in self.slot or address < 0:
                raise ValueError(f"margin: cannot register {acct.name!r} at address {address}")
            self.slot[address] = start + k
        n = start + len(accounts)
        cap = self._columns["ledger_id"].shape[0]
        while cap < n:
            cap *= 2
        for name, t in _PER_ACCOUNT:
            old = self._columns[name]
            if old.shape[0] < cap:
                self._columns[name] = np.concatenate([old, np.zeros(cap - old.shape[0], dtype=t)])
        floors, limits = credit_columns(self.journal, ledger_ids)
        values = {"ledger_id": ledger_ids, "cls_idx": [self.class_index(a.cls) for a in accounts],
                  "liquidating": [False] * len(accounts), "exempt": [a.liquidation_exempt for a in accounts],
                  "floor": floors, "credit_limit": limits}
        for name, v in values.items():
            self._columns[name][start:n] = v
        self.address.extend(int(a) for a in addresses)
        self.names.extend(a.name for a in accounts)
        top = max(addresses, default=-1) + 1
        if top > self._slot_of.shape[0]:
            self._slot_of = np.concatenate([self._slot_of, np.full(2 * top - self._slot_of.shape[0], -1, dtype=np.int64)])
        self._slot_of[np.asarray(addresses, dtype=np.int64)] = np.arange(start, n)
        self.table.grow(n)
        self._refresh_views()

    def name(self, slot: int) -> str:
        return self.names[slot]

    def cls(self, slot: int) -> str:
        return self.classes[int(self.cls_idx[slot])]

    # -- positions (all zero-sum) -------------------------------------------------------------
    @property
    def position_lots(self) -> np.ndarray:
        """Net position of every account in the first instrument (a view)."""
        return self.table.lots[: self.n, 0]

    @property
    def basis_minor(self) -> np.ndarray:
        """Every account's perp balance, all classes together (a view)."""
        return self.table.cash[: self.n]

    def lots(self, s: int, i: int = 0) -> int:
        return int(self.table.lots[s, i])

    def move(self, buyer: int, seller: int, qty_lots: int, cash_minor: int, instrument: int = 0) -> None:
        """Move `qty_lots` of an instrument from seller to buyer for `cash_minor` (no money moves)."""
        self.sync()
        c = self.cls_idx
        self.table.move(buyer, seller, int(c[buyer]), int(c[seller]), instrument, qty_lots, cash_minor)

    def move_many(self, buyer: np.ndarray, seller: np.ndarray, qty: np.ndarray, cash: np.ndarray, instrument: int = 0) -> None:
        """`move` for many (buyer, seller, lots, cash) pieces of one instrument at once."""
        self.sync()
        c = self.cls_idx
        self.table.move_many(buyer, seller, c[buyer], c[seller], instrument, qty, cash)

    def entries(self) -> np.ndarray:
        """Signed entry value of every position at its average entry price (n x instruments)."""
        self.sync()
        return self.table.entries()[: self.n]

    def position_pnl(self, rows: np.ndarray) -> np.ndarray:
        """PnL of the open positions of `rows` against their average entry."""
        self.sync()
        return self.table.position_pnl(rows, self.mark_cash())

    def owe(self, debtor: int, creditor: int, amount_minor: int) -> None:
        """A debt between two accounts booked to their perp balances (realised by the next settlement)."""
        self.table.book(debtor, int(self.cls_idx[creditor]), -amount_minor)
        self.table.book(creditor, int(self.cls_idx[debtor]), amount_minor)

    def open_position(self, buyer: int, seller: int, qty_lots: int, price_ticks: int, instrument: int = 0) -> None:
        """Seed a position opened before the run (no fill, no money moves)."""
        self.move(buyer, seller, qty_lots, qty_lots * price_ticks * self.mults[instrument], instrument)

    # -- the venue hooks ----------------------------------------------------------------------
    def attach_venue(self, venue) -> None:
        """Become `venue`'s pre-trade check and book its fills; instruments are matched by symbol."""
        venue.pre_trade_check = self.pre_trade_check
        venue.on_fill(self.on_fill)
        self._fill_columns = venue.fills.columns
        self._venue_specs = venue.specs
        self._map_venue()
        self.open_orders = venue.open_orders if isinstance(venue, MarginVenue) else None

    def _map_venue(self) -> None:
        symbols = [x.symbol for x in self.instruments]
        self._venue_to_engine = {k: symbols.index(s.instrument.symbol) for k, s in enumerate(self._venue_specs)
                                 if s.instrument.symbol in symbols}

    def engine_instrument(self, venue_instrument: int) -> int:
        return self._venue_to_engine[venue_instrument]

    def venue_instrument(self, i: int) -> int:
        return next(k for k, v in self._venue_to_engine.items() if v == i)

    def on_fill(self, instrument: int, taker: int, maker: int, aggressor: int, price: int, qty: int, ts_ns: int) -> None:
        """Net position and perp balance now (the pre-trade check needs them); class columns later."""
        i = self._venue_to_engine[instrument]
        slot = self.slot
        t, m = slot[taker], slot[maker]
        buyer, seller = (t, m) if aggressor == _BUY else (m, t)
        cash = price * qty * self.mults[i]
        table = self.table
        lots, c = table.lots, table.cash
        lots[buyer, i] += qty
        lots[seller, i] -= qty
        cols = self._fill_columns
        c[buyer] -= cash
        c[seller] += cash
        c[t] -= cols["taker_fee_minor"][-1]
        c[m] -= cols["maker_fee_minor"][-1]

    def sync(self) -> None:
        """Apply the class columns, entries and fees of fills seen since the last sync, in bulk."""
        cols = self._fill_columns
        if cols is None or len(cols["ts_ns"]) == self._synced:
            return
        start, self._synced = self._synced, len(cols["ts_ns"])
        f = {k: np.frombuffer(cols[k], dtype=np.int64)[start:].copy() for k in (
            "instrument", "taker", "maker", "aggressor", "price_ticks", "qty_lots", "taker_fee_minor", "maker_fee_minor")}
        taker, maker = self._slot_of[f["taker"]], self._slot_of[f["maker"]]
        buy = f["aggressor"] == Side.BUY
        buyer, seller = np.where(buy, taker, maker), np.where(buy, maker, taker)
        inst = np.array([self._venue_to_engine[int(k)] for k in f["instrument"].tolist()], dtype=np.int64)
        cash = f["price_ticks"] * f["qty_lots"] * np.asarray(self.mults, dtype=np.int64)[inst]
        c = self.cls_idx
        self.table.apply_fills(buyer, seller, c[buyer], c[seller], inst, f["qty_lots"], cash)
        for who, fee in ((taker, f["taker_fee_minor"]), (maker, f["maker_fee_minor"])):
            np.add.at(self.table.basis, (who, EXCHANGE_CLASS), -fee)
            self.settlement.charge_fees(who, fee)

    def pre_trade_check(self, agent: int, instrument: int, side: int, order_type: int, price: int, qty: int) -> int:
        """Refuse an order that would increase the account's open size (position plus resting orders
        on the side that adds to it) beyond the leverage limit or the size-dependent IMF (initial
        weights, notional at mark, across all instruments); orders that do not add always pass."""
        if self.bypass:
            return _OK
        s = self.slot.get(agent)
        if s is None:
            return Reject.INSUFFICIENT_MARGIN
        if self.liquidating[s]:
            return Reject.ACCOUNT_IN_LIQUIDATION
        i = self._venue_to_engine[instrument]
        pos = int(self.table.lots[s, i])
        tracker = self.open_orders
        buy = sell = 0
        if tracker is not None:
            tally = tracker.open.get((agent, instrument))
            if tally is not None:
                buy, sell = tracker.lots(agent, instrument) if tracker.replacing[1] else tally
        old = max(abs(pos + buy), abs(pos - sell))
        if side == _BUY:
            new = pos + buy + qty
            if new <= old:
                return _OK
        else:
            new = sell + qty - pos
            if new <= old:
                return _OK
        if len(self.params) == 1:
            p, lot_cash = self.params[0], self.marks[0] * self.mults[0]
            notional = new * lot_cash
            base, full = notional * p.base_imf_ppm, notional * p.imf_ppm_one(new * self.lot_micro[0])
            upnl = int(self.table.cash[s]) + pos * lot_cash
        else:
            base, full = initial_margin.requirement(self, agent, s, i, new)
            upnl = self.unrealised_minor(s)
        equity = (self.collateral_book.value(int(self.ledger_id[s]), initial=True) + upnl) * PPM
        if base > equity:
            return Reject.LEVERAGE_LIMIT
        if full > equity:
            return Reject.INSUFFICIENT_MARGIN
        return _OK

    def room_lots(self, s: int, i: int, direction: int) -> int:
        """Most lots account `s` can take in `direction` (+1 buy, -1 sell) of instrument `i` within
        initial margin (`initial_margin.room_lots`)."""
        return initial_margin.room_lots(self, s, i, direction)

    # -- valuation ----------------------------------------------------------------------------
    def unrealised_minor(self, s: int) -> int:
        t = self.table
        return int(t.cash[s]) + sum(int(t.lots[s, i]) * m * k for i, (m, k) in enumerate(zip(self.marks, self.mults)))

    def quote_balance(self, s: int) -> int:
        return self.journal.balance(int(self.ledger_id[s]), self.quote)

    def collateral_value(self, s: int, *, initial: bool = False) -> int:
        """Quote balance plus non-quote collateral at its (initial or total) weight with the size haircut."""
        return self.collateral_book.value(int(self.ledger_id[s]), initial=initial)

    def state(self, slots: np.ndarray | None = None) -> MarginState:
        """Margin figures of every account (or of `slots`) at the current marks, vectorised in int64.
        Over every account, the size-dependent fractions are worked out only where a position is open."""
        slots = np.arange(self.n) if slots is None else np.asarray(slots, dtype=np.int64)
        lots = self.table.lots[slots]
        value = lots * self.mark_cash()
        upnl = self.table.cash[slots] + value.sum(axis=1)
        lids = self.ledger_id[slots]
        equity = self.journal.balances(self.quote)[lids] + upnl
        weighted = self.collateral_book.values(lids, initial=False) + upnl
        notional = np.abs(value)
        mmf = np.zeros(slots.size, dtype=np.int64)
        acmf = np.zeros(slots.size, dtype=np.int64)
        for i, p in enumerate(self.params):
            held = np.flatnonzero(lots[:, i])
            size = np.abs(lots[held, i])
            imf = p.imf_ppm(size * self.lot_micro[i])
            mmf[held] += ceil_ppm(notional[held, i], p.scaled(imf, p.base_mmf_ppm))
            acmf[held] += ceil_ppm(notional[held, i], p.scaled(imf, p.base_acmf_ppm))
        return MarginState(equity, weighted, notional.sum(axis=1), mmf, acmf)

    # -- money to and from the ledger (see settlement.py) -------------------------------------
    def flush_fees(self, ts_ns: int) -> None:
        self.settlement.flush_fees(ts_ns)

    def settle_all(self, ts_ns: int, cause: str = "realised_pnl") -> np.ndarray:
        """Realise every account's unrealised PnL at the current marks (variation margin)."""
        return self.settlement.settle_all(ts_ns, cause)

    def pay(self, ts_ns: int, slots: np.ndarray, amounts: np.ndarray, cause: str) -> np.ndarray:
        """Zero-sum amounts owed between accounts (funding; positive: receives), split pro rata
        across the other side's classes, booked to perp balances, then realised; returns what each
        account posted (a payer that cannot pay keeps the rest as a debt)."""
        slots = np.asarray(slots, dtype=np.int64)
        by_class = funding_by_class(np.asarray(amounts, dtype=np.int64), self.cls_idx[slots], len(self.classes))
        return self.settlement.pay(ts_ns, slots, by_class, cause)

    def check(self) -> None:
        """Positions net to zero per instrument, the class columns add up to the net figures, the
        clearing balance equals the sum of perp balances, and every class pair's PnL equals what
        the clearing owes it."""
        self.sync()
        self.settlement.check_flushed()
        t, n = self.table, self.n
        clearing = self.journal.balance(self.clearing, self.quote)
        cash = int(t.cash[:n].sum())
        if t.lots[:n].sum(axis=0).any() or clearing != cash:
            raise LedgerError(f"margin: net positions {t.lots[:n].sum(axis=0).tolist()}, clearing {clearing} != perp balances {cash}")
        if (t.pos[:n].sum(axis=2) != t.lots[:n]).any() or (t.basis[:n].sum(axis=1) != t.cash[:n]).any():
            raise LedgerError("margin: class columns do not add up to net positions and perp balances")
        self.settlement.check_pools()
