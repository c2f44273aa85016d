"""Checks of what callers hand the ledger, and of a batch's balances as if posted one by one.

Why so strict: Python and numpy coerce quietly (`True` is 1, `[True, 2]` becomes an int64 array,
`["fee", 1]` a string array holding "1", `2**63` in a list a float64, a huge scalar an
OverflowError halfway through a write), and each coercion would be a posting nobody meant. Every
check here raises `LedgerError` naming the reason, before anything is changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from hollow.errors import LedgerError

if TYPE_CHECKING:
    from hollow.ledger.accounts import Account, AccountRegistry

MAX_BALANCE_MINOR = 2**62
"""Largest magnitude any balance, credit limit or single amount may reach (4.6e18 minor units:
4.6 trillion USD at 6 decimals). Keeping balances inside +/-2**62 lets batch checks use int64
arithmetic that provably cannot wrap."""

INT64_MAX = 2**63 - 1
SMALL_BATCH = 8  # below this, a batch is judged with plain Python ints (faster than numpy setup)


def is_int(x: object) -> bool:
    """An integer that is not a bool: a Python int (or subclass) or a numpy integer."""
    return type(x) is int or (isinstance(x, (int, np.integer)) and not isinstance(x, bool))


def is_bool(x: object) -> bool:
    return isinstance(x, (bool, np.bool_))


def require_int(value: object, what: str, lo: int, hi: int, prefix: str) -> int:
    """`value` as a Python int if it is an int (not a bool) in [lo, hi]."""
    if not is_int(value) or not lo <= value <= hi:  # type: ignore[operator]
        raise LedgerError(f"{prefix}: {what} must be an int in [{_bound(lo)}, {_bound(hi)}], got {value!r}")
    return int(value)  # type: ignore[call-overload]


def require_name(value: object, what: str, prefix: str) -> str:
    if not isinstance(value, str) or not value:
        raise LedgerError(f"{prefix}: {what} must be a non-empty string, got {value!r}")
    return value


def _bound(x: int) -> str:
    for name, v in (("2**62", MAX_BALANCE_MINOR), ("2**63-1", INT64_MAX), ("-2**62", -MAX_BALANCE_MINOR)):
        if x == v:
            return name
    return str(x)


_PLAIN_INTS = frozenset({int, np.int64, np.int32, np.int16, np.int8, np.uint64, np.uint32, np.uint16, np.uint8})


def _non_int_types(values: Any) -> list[type]:
    types = set(map(type, values))
    if types <= _PLAIN_INTS:
        return []
    return [t for t in types if not issubclass(t, (int, np.integer)) or issubclass(t, bool)]


def _first_of_type(values: Any, bad: list[type]) -> tuple[int, Any]:
    return next((i, x) for i, x in enumerate(values) if type(x) in bad)


def int_column(values: Any, n: int | None, what: str) -> np.ndarray:
    """`values` as an int64 array (length `n` if given; a scalar int is repeated when `n` is
    given). Bools, floats (NaN included), strings and values outside int64 are refused."""
    if type(values) is np.ndarray and values.dtype.kind == "i" and values.ndim == 1:
        arr = values.astype(np.int64, copy=False)  # the common case, already exact
    elif type(values) in (list, tuple) or (isinstance(values, Sequence) and not isinstance(values, (str, bytes))):
        arr = _int_sequence(values, what)
    elif is_int(values):
        if n is None:
            raise LedgerError(f"batch refused: {what} must be a sequence of integers, got the scalar {values!r}")
        return np.full(n, require_int(values, what, -INT64_MAX - 1, INT64_MAX, "batch refused"), dtype=np.int64)
    elif isinstance(values, np.ndarray):
        arr = _int_array(values, what)
    else:
        raise LedgerError(f"batch refused: {what} must hold integers (a sequence, an array or one int), got {values!r}")
    if n is not None and arr.shape[0] != n:
        raise LedgerError(f"batch refused: {what} has length {arr.shape[0]}, expected {n}")
    return arr


def _int_sequence(values: Sequence[Any], what: str) -> np.ndarray:
    """A list or tuple of ints, each checked as given (numpy would turn True into 1, 2**63 into a
    float and "2" into a string)."""
    bad = _non_int_types(values)
    if bad:
        i, x = _first_of_type(values, bad)
        raise LedgerError(f"batch refused at index {i}: {what} must hold integers, got {x!r}")
    try:
        return np.array(values, dtype=np.int64)
    except OverflowError:
        i, x = next((i, x) for i, x in enumerate(values) if not -INT64_MAX - 1 <= x <= INT64_MAX)
        raise LedgerError(f"batch refused at index {i}: {what} has {x}, outside int64") from None


def _int_array(arr: np.ndarray, what: str) -> np.ndarray:
    if arr.ndim != 1:
        raise LedgerError(f"batch refused: {what} must be one-dimensional, got shape {arr.shape}")
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    if arr.dtype.kind == "O":
        return _int_sequence(arr.tolist(), what)
    if arr.dtype.kind == "b":
        raise LedgerError(f"batch refused: {what} must hold integers, got a bool array")
    if arr.dtype.kind != "u":
        raise LedgerError(f"batch refused: {what} must hold integers, got dtype {arr.dtype}")
    if int(arr.max()) > INT64_MAX:
        i = int(np.argmax(arr))
        raise LedgerError(f"batch refused at index {i}: {what} has {arr[i]}, outside int64")
    return arr.astype(np.int64)


def first_outside(col: np.ndarray, lo: int, hi: int) -> int | None:
    """Index of the first value of `col` outside [lo, hi], or None. Tiny columns are checked with
    Python ints, several times faster than numpy's per-call overhead."""
    if col.shape[0] <= SMALL_BATCH:
        values = col.tolist()
        if not values or (lo <= min(values) and max(values) <= hi):
            return None
        return next(i for i, x in enumerate(values) if not lo <= x <= hi)
    bad = (col < lo) | (col > hi)
    return int(np.flatnonzero(bad)[0]) if bad.any() else None


def _strings(values: Any, n: int, what: str) -> np.ndarray:
    """A 1-D array of `n` strings; refuses anything numpy would have turned into a string."""
    try:
        arr = np.asarray(values)
    except (ValueError, TypeError) as exc:
        raise LedgerError(f"batch refused: {what} must be a string or {n} strings ({exc})") from None
    if arr.ndim != 1 or arr.shape[0] != n:
        raise LedgerError(f"batch refused: {what} must be a string or have length {n}")
    if n == 0:
        return arr.astype(str)  # [] arrives as float64
    if arr.dtype.kind not in "UO":
        raise LedgerError(f"batch refused: {what} must hold strings, got dtype {arr.dtype}")
    if arr.dtype.kind == "O" or not isinstance(values, np.ndarray):
        items = values if isinstance(values, Sequence) else arr.tolist()
        bad = [t for t in set(map(type, items)) if not issubclass(t, str)]
        if bad:
            i, x = _first_of_type(items, bad)
            raise LedgerError(f"batch refused at index {i}: {what} must hold strings, got {x!r}")
    return arr.astype(str)


def _numeric(values: Any) -> bool:
    """True for asset indices (ints, or bools to be refused as such) rather than codes."""
    if is_int(values) or is_bool(values):
        return True
    if isinstance(values, np.ndarray):
        return values.dtype.kind in "iub"
    return isinstance(values, Sequence) and len(values) > 0 and all(is_int(x) or is_bool(x) for x in values)


def asset_column(values: Any, n: int, index: dict[str, int], codes: Sequence[str]) -> np.ndarray:
    """Asset indices for a batch from one code, one index, or a column of either."""
    if isinstance(values, str):
        return np.full(n, asset_index(values, index, codes), dtype=np.int64)
    if _numeric(values):
        ids = int_column(values, n, "assets")
    else:
        arr = _strings(values, n, "assets")
        uniq, inv = np.unique(arr, return_inverse=True)
        lut = np.empty(len(uniq), dtype=np.int64)
        for j, code in enumerate(uniq.tolist()):
            k = index.get(code)
            if k is None:
                i = int(np.flatnonzero(inv == j)[0])
                raise LedgerError(
                    f"batch refused at index {i}: unknown asset {code!r}; this journal has {', '.join(codes)}"
                )
            lut[j] = k
        return lut[inv.reshape(-1)]
    bad = (ids < 0) | (ids >= len(codes))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise LedgerError(f"batch refused at index {i}: unknown asset index {ids[i]}")
    return ids


def asset_index(code: object, index: dict[str, int], codes: Sequence[str]) -> int:
    found = index.get(code) if isinstance(code, str) else None
    if found is None:
        raise LedgerError(f"unknown asset {code!r} in this journal; it has {', '.join(codes)}")
    return found


def string_column(
    values: Any, n: int, what: str, index: dict[str, int], size: int
) -> tuple[np.ndarray, list[str]]:
    """Ids for interned strings and the new strings to intern on success (ids assigned from
    `size` on), without touching the table."""
    if isinstance(values, str):
        uniq_list, inv = [values], np.zeros(n, dtype=np.int64)
    else:
        uniq, inv = np.unique(_strings(values, n, what), return_inverse=True)
        uniq_list, inv = uniq.tolist(), inv.reshape(-1)
    lut = np.empty(len(uniq_list), dtype=np.int64)
    new: list[str] = []
    for j, s in enumerate(uniq_list):
        if not s:
            i = int(np.flatnonzero(inv == j)[0]) if n else 0
            raise LedgerError(f"batch refused at index {i}: {what} must be non-empty strings")
        k = index.get(s)
        if k is None:
            k = size + len(new)
            new.append(s)
        lut[j] = k
    return lut[inv], new


# ---------------------------------------------------------------------- messages


def floor_message(acct: Account, code: str, balance: int, amount: int, prefix: str) -> str:
    if acct.allow_negative_balance and acct.credit_limit_minor is None:
        limit = "-2**62, the bound on any balance"
    elif acct.allow_negative_balance:
        limit = f"its credit limit of {acct.credit_limit_minor} minor units"
    else:
        limit = "zero (account has no allow_negative_balance)"
    return (
        f"{prefix}: {acct.name!r} holds {balance} minor {code}; paying {amount} would take it "
        f"to {balance - amount}, below {limit}"
    )


def cross_layer_message(from_name: str, to_name: str) -> str:
    return (
        f"{from_name!r} -> {to_name!r} crosses layers (claims on the exchange vs. holdings of units); "
        "post the holdings leg and the claims leg (via exchange:claims_issued) as two postings"
    )


def ceiling_message(name: str, prefix: str) -> str:
    return f"{prefix}: {name!r} would hold more than 2**62 minor units"


# ---------------------------------------------------------------------- batch balances


def judge(
    bal: np.ndarray, reg: AccountRegistry, codes: Sequence[str], f: np.ndarray, t: np.ndarray, a: np.ndarray, amt: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Judge a batch exactly as if its postings were applied one by one: no account below its
    floor or above 2**62 at any point. Returns flat balance indices and their final values."""
    n = amt.shape[0]
    if n <= SMALL_BATCH or int(amt.max()) > (MAX_BALANCE_MINOR - 1) // n:
        return _judge_python(bal, reg, codes, f, t, a, amt)
    return _judge_numpy(bal, reg, codes, f, t, a, amt)


def _judge_python(
    bal: np.ndarray, reg: AccountRegistry, codes: Sequence[str], f: np.ndarray, t: np.ndarray, a: np.ndarray, amt: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Exact Python ints (small batches, or sums that could pass 2**62)."""
    cur: dict[tuple[int, int], int] = {}
    floor = reg.floor
    for i, (fi, ti, ai, x) in enumerate(zip(f.tolist(), t.tolist(), a.tolist(), amt.tolist())):
        fk, tk = (fi, ai), (ti, ai)
        fb = cur[fk] if fk in cur else int(bal[fk])
        if fb - x < floor[fi]:
            raise LedgerError(floor_message(reg.accounts[fi], codes[ai], fb, x, f"batch refused at index {i}"))
        tb = cur[tk] if tk in cur else int(bal[tk])
        if tb + x > MAX_BALANCE_MINOR:
            raise LedgerError(ceiling_message(reg.accounts[ti].name, f"batch refused at index {i}"))
        cur[fk] = fb - x
        cur[tk] = tb + x
    n_as = len(codes)
    keys = np.array([acct * n_as + asset for acct, asset in cur], dtype=np.int64)
    return keys, np.array(list(cur.values()), dtype=np.int64)


def _judge_numpy(
    bal: np.ndarray, reg: AccountRegistry, codes: Sequence[str], f: np.ndarray, t: np.ndarray, a: np.ndarray, amt: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised: every (account, asset) touched gets its running balance through the batch in
    posting order (stable sort + segmented cumsum), each point checked against the floor. The
    caller guarantees sum(amt) < 2**62, so nothing here can wrap."""
    n = f.shape[0]
    n_as = len(codes)
    keys = np.empty(2 * n, dtype=np.int64)
    keys[0::2] = f * n_as + a
    keys[1::2] = t * n_as + a
    deltas = np.empty(2 * n, dtype=np.int64)
    np.negative(amt, out=deltas[0::2])
    deltas[1::2] = amt
    order = np.argsort(keys, kind="stable")
    sk = keys[order]
    sd = deltas[order]
    run = np.cumsum(sd)
    starts = np.flatnonzero(np.concatenate(([True], sk[1:] != sk[:-1])))
    lengths = np.diff(np.append(starts, 2 * n))
    run -= np.repeat(run[starts] - sd[starts], lengths)
    run += bal.reshape(-1)[sk]  # running balance after each event
    acct = sk // n_as
    bad = (run < reg.floor_np[acct]) | (run > MAX_BALANCE_MINOR)
    if bad.any():
        first = int(order[bad].min())
        i = first // 2
        k = int(np.flatnonzero(order == first)[0])
        ai, acc, after = int(sk[k] % n_as), int(acct[k]), int(run[k])
        if after > MAX_BALANCE_MINOR:
            raise LedgerError(ceiling_message(reg.accounts[acc].name, f"batch refused at index {i}"))
        x = int(amt[i])
        raise LedgerError(floor_message(reg.accounts[acc], codes[ai], after + x, x, f"batch refused at index {i}"))
    last = np.append(starts[1:], 2 * n) - 1
    return sk[last], run[last]
