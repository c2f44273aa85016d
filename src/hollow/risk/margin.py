"""Perpetual futures on a cross-margined account: positions, mark price, collateral, IMF/MMF, PnL.

Why this shape. A perp fill moves no money, only a position and a "perp balance" (`basis_minor`:
the signed cash of every fill, fee and deleveraging not yet realised), so an account's unrealised
PnL is `basis + position * mark * minor_per_tick_lot`. Positions and perp balances each sum to zero
over all accounts, so unrealised PnL does too, at any mark. Money reaches the journal only through
one claims-layer account, `exchange:perp_clearing` (allowed negative): fees are advanced from it at
each fill (cause `fee`), and `realise` moves PnL between it and each account's quote-asset claim
(cause `realised_pnl`, `funding` or `liquidation:*`). Invariant, checked by `check()`: the clearing
balance equals the sum of all perp balances, i.e. minus what accounts still owe in unrealised losses.
A payer never goes below its ledger floor: what it cannot pay stays in its perp balance as a debt,
which the liquidation waterfall must cover.

Every amount is an exact integer: weights and margin fractions are ppm, square roots are integer
square roots (`isqrt_vec`), and products that could pass 2**63 are split so they cannot wrap.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from hollow.errors import LedgerError
from hollow.ledger.journal import AccountKind, Journal
from hollow.market.book import Book, Reject, Side
from hollow.money import PPM, Instrument, asset

CLEARING = "exchange:perp_clearing"
_HAIRCUT_NUMERATOR_PPM = 1_100_000  # FTX size haircut: weight = min(table, 1.1 / (1 + f * sqrt(qty)))


def isqrt_vec(x: np.ndarray) -> np.ndarray:
    """Exact floor square root of non-negative int64 values (a float guess, corrected by one)."""
    s = np.sqrt(x.astype(np.float64)).astype(np.int64)
    s = np.where(s * s > x, s - 1, s)
    return np.where((s + 1) * (s + 1) <= x, s + 1, s)


def ceil_ppm(amount: np.ndarray, rate_ppm: np.ndarray) -> np.ndarray:
    """ceil(amount * rate_ppm / 1e6) for amount >= 0 and 0 <= rate_ppm <= 1e6, without overflow."""
    q, r = np.divmod(amount, PPM)
    return q * rate_ppm + -((-r * rate_ppm) // PPM)


def micro_units(qty_minor: int, code: str) -> int:
    """A quantity of an asset in millionths of a whole unit (floor): what size-dependent rates take."""
    return qty_minor * PPM // asset(code).scale


def haircut_weight_ppm(table_weight_ppm: int, imf_factor_ppm: int, qty_micro: int) -> int:
    """FTX collateral weight with the size haircut: min(table, 1.1 / (1 + IMF_factor * sqrt(qty)))."""
    if qty_micro <= 0:
        return table_weight_ppm
    sqrt_milli = math.isqrt(qty_micro)  # sqrt(qty) * 1000
    weight = _HAIRCUT_NUMERATOR_PPM * 10**9 // (10**9 + imf_factor_ppm * sqrt_milli)
    return min(table_weight_ppm, weight)


@dataclass(frozen=True, slots=True)
class CollateralAsset:
    """A non-quote collateral asset: total weight (maintenance), initial weight (opening), IMF factor."""

    code: str
    weight_ppm: int
    initial_weight_ppm: int
    imf_factor_ppm: int
    price_minor: int  # quote minor units for one whole unit


@dataclass(frozen=True, slots=True)
class MarginParams:
    """FTX margin fractions: IMF = max(1/max_leverage, IMF_factor * sqrt(size)); MMF and ACMF keep
    their ratio to IMF, so all three grow with position size."""

    base_imf_ppm: int
    imf_factor_ppm: int
    base_mmf_ppm: int
    base_acmf_ppm: int

    def __post_init__(self) -> None:
        if not 0 < self.base_acmf_ppm <= self.base_mmf_ppm <= self.base_imf_ppm <= PPM:
            raise ValueError("margin fractions must satisfy 0 < ACMF <= MMF <= IMF <= 100%")

    def imf_ppm(self, size_micro: np.ndarray) -> np.ndarray:
        grown = self.imf_factor_ppm * isqrt_vec(size_micro) // 1000
        return np.minimum(PPM, np.maximum(self.base_imf_ppm, grown))

    def imf_ppm_one(self, size_micro: int) -> int:
        """`imf_ppm` for one position, in Python ints (the pre-trade check runs on every order)."""
        return min(PPM, max(self.base_imf_ppm, self.imf_factor_ppm * math.isqrt(size_micro) // 1000))

    def scaled(self, imf_ppm: np.ndarray, base_ppm: int) -> np.ndarray:
        """MMF or ACMF for a position whose IMF is `imf_ppm`."""
        return imf_ppm * base_ppm // self.base_imf_ppm


@dataclass(frozen=True, slots=True)
class MarginState:
    """Per-account figures at one mark (arrays indexed by slot), in quote minor units."""

    equity_minor: np.ndarray  # quote-asset claim + unrealised PnL (what the waterfall works on)
    weighted_equity_minor: np.ndarray  # plus non-quote collateral at haircut total weights (for MF)
    notional_minor: np.ndarray
    mmf_minor: np.ndarray
    acmf_minor: np.ndarray

    @property
    def below_maintenance(self) -> np.ndarray:
        return (self.notional_minor > 0) & (self.weighted_equity_minor < self.mmf_minor)


def median_mark(book: Book, index_ticks: int) -> int:
    """FTX mark price: median of last trade, best bid and best ask; the index when one is missing."""
    values = [book.last_trade(), book.best_bid(), book.best_ask()]
    if any(v is None for v in values):
        return index_ticks
    return sorted(values)[1]


class MarginEngine:
    """Positions, perp balances and margin of every account trading one perpetual on one venue.

    Accounts are registered by kernel address (slot order = registration order). The engine is the
    venue's pre-trade check and listens to its fills.
    """

    def __init__(
        self,
        journal: Journal,
        instrument: Instrument,
        params: MarginParams,
        collateral: Sequence[CollateralAsset] = (),
        *,
        mark_ticks: int,
    ) -> None:
        self.journal = journal
        self.instrument = instrument
        self.params = params
        self.quote = instrument.quote
        self.mult = instrument.minor_per_tick_lot
        self.lot_micro = int(instrument.lot_size * PPM)
        if self.lot_micro != instrument.lot_size * PPM or self.lot_micro <= 0:
            raise ValueError(f"{instrument.symbol}: lot size must be a whole number of millionths of {instrument.base}")
        self.collateral = {c.code: c for c in collateral}
        for code in self.collateral:
            journal.asset_index(code)
        if journal.has_account(CLEARING):
            self.clearing = journal.account_id(CLEARING)
        else:
            self.clearing = journal.open_account(CLEARING, AccountKind.EXCHANGE, "exchange", allow_negative_balance=True)
        self.fees_account = journal.account_id("exchange:fees")
        self.mark_ticks = mark_ticks
        self.index_ticks = mark_ticks
        self.bypass = False  # set by the liquidator while it sends orders on an account's behalf
        self.slot: dict[int, int] = {}  # kernel address -> slot
        self.address: list[int] = []
        self.ledger_id = np.zeros(0, dtype=np.int64)
        self.cls: list[str] = []
        self.position_lots = np.zeros(0, dtype=np.int64)
        self.basis_minor = np.zeros(0, dtype=np.int64)
        self.liquidating = np.zeros(0, dtype=bool)
        self.exempt = np.zeros(0, dtype=bool)
        self._floor = np.zeros(0, dtype=np.int64)
        self._fill_columns: dict | None = None
        self._pending_fees: dict[int, int] = {}  # slot -> fees charged to its perp balance, not yet posted

    # -- accounts ---------------------------------------------------------------------------
    def add_account(self, address: int, ledger_id: int) -> int:
        """Register a trader (its kernel address and its claims-layer ledger account); returns its slot."""
        self.add_accounts([address], [ledger_id])
        return len(self.address) - 1

    def add_accounts(self, addresses: Sequence[int], ledger_ids: Sequence[int]) -> None:
        """Register many traders at once (a cascade has thousands)."""
        accounts = [self.journal.account(i) for i in ledger_ids]
        start = len(self.address)
        for k, (address, acct) in enumerate(zip(addresses, accounts)):
            if not acct.claim or address in self.slot:
                raise ValueError(f"margin: cannot register {acct.name!r} at address {address}")
            self.slot[address] = start + k
        self.address.extend(addresses)
        self.cls.extend(a.cls for a in accounts)
        n = len(accounts)
        self.ledger_id = np.concatenate([self.ledger_id, np.asarray(ledger_ids, dtype=np.int64)])
        self.position_lots = np.concatenate([self.position_lots, np.zeros(n, dtype=np.int64)])
        self.basis_minor = np.concatenate([self.basis_minor, np.zeros(n, dtype=np.int64)])
        self.liquidating = np.concatenate([self.liquidating, np.zeros(n, dtype=bool)])
        self.exempt = np.concatenate([self.exempt, np.array([a.liquidation_exempt for a in accounts], dtype=bool)])
        self._floor = np.concatenate([self._floor, np.array([a.floor_minor for a in accounts], dtype=np.int64)])

    def name(self, slot: int) -> str:
        return self.journal.account(int(self.ledger_id[slot])).name

    # -- position changes (all zero-sum) ----------------------------------------------------
    def transfer(self, buyer: int, seller: int, qty_lots: int, buyer_pays_minor: int, seller_gets_minor: int) -> None:
        """Move `qty_lots` from seller to buyer. When the two cash legs differ, the caller posts the
        difference between the clearing account and whoever bridges it (fund, fees)."""
        self.position_lots[buyer] += qty_lots
        self.position_lots[seller] -= qty_lots
        self.basis_minor[buyer] -= buyer_pays_minor
        self.basis_minor[seller] += seller_gets_minor

    def open_position(self, buyer: int, seller: int, qty_lots: int, price_ticks: int) -> None:
        """Seed a position opened before the run (no fill, no money moves)."""
        cash = qty_lots * price_ticks * self.mult
        self.transfer(buyer, seller, qty_lots, cash, cash)

    # -- the venue hooks --------------------------------------------------------------------
    def attach_venue(self, venue) -> None:
        """Become `venue`'s pre-trade check and book its fills (fees read from its fill log)."""
        venue.pre_trade_check = self.pre_trade_check
        venue.on_fill(self.on_fill)
        self._fill_columns = venue.fills.columns

    def on_fill(self, instrument: int, taker: int, maker: int, aggressor: int, price: int, qty: int, ts_ns: int) -> None:
        t, m = self.slot[taker], self.slot[maker]
        cash = price * qty * self.mult
        buyer, seller = (t, m) if aggressor == Side.BUY else (m, t)
        self.transfer(buyer, seller, qty, cash, cash)
        cols = self._fill_columns
        for slot, fee in ((t, cols["taker_fee_minor"][-1]), (m, cols["maker_fee_minor"][-1])):
            if fee:
                self.basis_minor[slot] -= fee
                self._pending_fees[slot] = self._pending_fees.get(slot, 0) + fee

    def flush_fees(self, ts_ns: int) -> None:
        """Post the fees charged since the last flush, one posting per account (fees first, then
        rebates, so the fee account never dips). Fees are advanced by the clearing account and charged
        to the payer's perp balance, so a fee never fails for want of cash; batching keeps fills cheap."""
        if not self._pending_fees:
            return
        items = sorted(self._pending_fees.items(), key=lambda kv: (kv[1] < 0, kv[0]))
        self._pending_fees = {}
        legs = [
            (ts_ns, *((self.clearing, self.fees_account) if fee > 0 else (self.fees_account, self.clearing)),
             self.quote, abs(fee), "fee", self.cls[s], int(self.ledger_id[s]))
            for s, fee in items if fee
        ]
        if legs:
            self.journal.post_all(legs)

    def pre_trade_check(self, agent: int, instrument: int, side: int, order_type: int, price: int, qty: int) -> int:
        """Refuse an order that would increase a position beyond the leverage limit or the
        size-dependent IMF (initial weights, notional at mark); reducing orders always pass."""
        if self.bypass:
            return Reject.OK
        s = self.slot.get(agent)
        if s is None:
            return Reject.INSUFFICIENT_MARGIN
        if self.liquidating[s]:
            return Reject.ACCOUNT_IN_LIQUIDATION
        pos = int(self.position_lots[s])
        new = pos + (qty if side == Side.BUY else -qty)
        if abs(new) <= abs(pos) and new * pos >= 0:
            return Reject.OK
        equity = self.collateral_value(s, initial=True) + self.unrealised_minor(s)
        notional = abs(new) * self.mark_ticks * self.mult
        if notional * self.params.base_imf_ppm > equity * PPM:
            return Reject.LEVERAGE_LIMIT
        imf = self.params.imf_ppm_one(abs(new) * self.lot_micro)
        if notional * imf > equity * PPM:
            return Reject.INSUFFICIENT_MARGIN
        return Reject.OK

    # -- valuation --------------------------------------------------------------------------
    def unrealised_minor(self, s: int) -> int:
        return int(self.basis_minor[s]) + int(self.position_lots[s]) * self.mark_ticks * self.mult

    def quote_balance(self, s: int) -> int:
        return self.journal.balance(int(self.ledger_id[s]), self.quote)

    def collateral_value(self, s: int, *, initial: bool = False) -> int:
        """Quote balance plus non-quote collateral at its (initial or total) weight with the size haircut."""
        lid = int(self.ledger_id[s])
        value = self.journal.balance(lid, self.quote)
        for code, c in self.collateral.items():
            value += self._weighted(c, self.journal.balance(lid, code), initial)
        return value

    @staticmethod
    def _weighted(c: CollateralAsset, qty_minor: int, initial: bool) -> int:
        raw = qty_minor * c.price_minor // asset(c.code).scale
        if qty_minor <= 0:
            return raw  # a borrow counts in full
        table = c.initial_weight_ppm if initial else c.weight_ppm
        return raw * haircut_weight_ppm(table, c.imf_factor_ppm, micro_units(qty_minor, c.code)) // PPM

    def state(self, slots: np.ndarray | None = None) -> MarginState:
        """Margin figures of every account (or of `slots`) at the current mark, vectorised in int64."""
        slots = np.arange(len(self.address)) if slots is None else slots
        lids = self.ledger_id[slots]
        position = self.position_lots[slots]
        upnl = self.basis_minor[slots] + position * (self.mark_ticks * self.mult)
        equity = self.journal.balances(self.quote)[lids] + upnl
        weighted = equity.copy()
        for code, c in self.collateral.items():
            held = self.journal.balances(code)[lids]
            for k in np.flatnonzero(held).tolist():  # few holders: exact Python ints
                weighted[k] += self._weighted(c, int(held[k]), False)
        size = np.abs(position)
        notional = size * (self.mark_ticks * self.mult)
        imf = self.params.imf_ppm(size * self.lot_micro)
        mmf = ceil_ppm(notional, self.params.scaled(imf, self.params.base_mmf_ppm))
        acmf = ceil_ppm(notional, self.params.scaled(imf, self.params.base_acmf_ppm))
        return MarginState(equity, weighted, notional, mmf, acmf)

    # -- money to and from the ledger -------------------------------------------------------
    def realise(self, ts_ns: int, slots: np.ndarray, amounts: np.ndarray, cause: str) -> np.ndarray:
        """Post `amounts` (positive: the account receives) between clearing and each account's quote
        claim, capped for a payer at what its floor allows; returns what was posted. The perp balance
        drops by what was posted, so any unpaid part stays owed."""
        slots = np.asarray(slots, dtype=np.int64)
        amounts = np.asarray(amounts, dtype=np.int64)
        lids = self.ledger_id[slots]
        room = np.maximum(self.journal.balances(self.quote)[lids] - self._floor[slots], 0)
        paid = np.where(amounts >= 0, amounts, -np.minimum(-amounts, room))
        pick = np.flatnonzero(paid)
        if pick.size:
            p, lid = paid[pick], lids[pick]
            src = np.where(p > 0, self.clearing, lid)
            dst = np.where(p > 0, lid, self.clearing)
            classes = [self.cls[s] for s in slots[pick].tolist()]
            self.journal.post_many(ts_ns, src, dst, self.quote, np.abs(p), cause, classes, lid)
            np.subtract.at(self.basis_minor, slots[pick], p)
        return paid

    def pay(self, ts_ns: int, slots: np.ndarray, amounts: np.ndarray, cause: str) -> np.ndarray:
        """Zero-sum amounts owed between accounts (funding): booked to perp balances, then realised."""
        np.add.at(self.basis_minor, np.asarray(slots, dtype=np.int64), np.asarray(amounts, dtype=np.int64))
        return self.realise(ts_ns, slots, amounts, cause)

    def settle_all(self, ts_ns: int, cause: str = "realised_pnl") -> np.ndarray:
        """Realise every account's unrealised PnL at the current mark (variation margin)."""
        upnl = self.basis_minor + self.position_lots * (self.mark_ticks * self.mult)
        slots = np.flatnonzero(upnl)
        return self.realise(ts_ns, slots, upnl[slots], cause)

    def check(self) -> None:
        """Positions net to zero and the clearing balance equals the sum of perp balances."""
        if self._pending_fees:
            raise LedgerError("margin: fees charged but not posted; call flush_fees first")
        clearing = self.journal.balance(self.clearing, self.quote)
        basis = int(self.basis_minor.sum())
        if int(self.position_lots.sum()) != 0 or clearing != basis:
            raise LedgerError(
                f"margin: net position {int(self.position_lots.sum())} lots, clearing {clearing} != perp balances {basis}"
            )
