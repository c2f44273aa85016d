"""The accounts every exchange scenario opens, and the names other modules look them up by."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hollow.ledger.accounts import AccountKind

if TYPE_CHECKING:
    from hollow.ledger.journal import Journal

HOUSE_OWNERS = "external:house_owners"
"""Where the house's own capital comes from: its owners, never the depositors."""
HOUSE_RECEIVABLE = "exchange:receivable:house"
"""Holdings-layer asset of the exchange: customer deposits it let the house receive (fiat@ftx.com)."""
HOUSE_PAYABLE = "house:payable:exchange"
"""The house's side of `HOUSE_RECEIVABLE`: allowed negative, it is what the house owes for them."""


def open_standard_accounts(
    journal: Journal,
    *,
    house_allow_negative_balance: bool = False,
    house_credit_limit_minor: int | None = None,
    house_liquidation_exempt: bool = False,
    house_fast_order_entry: bool = False,
) -> dict[str, int]:
    """Open the accounts every exchange scenario uses (custody, externals, exchange corporate, the
    house's exchange account and off-exchange books, the house's owners, and the receivable /
    payable pair for deposits routed to the house) and return {name: id}. The house privileges
    are off unless asked for. All or nothing: if one is refused, none is opened."""
    K = AccountKind
    house_exchange = {
        "allow_negative_balance": house_allow_negative_balance,
        "credit_limit_minor": house_credit_limit_minor,
        "liquidation_exempt": house_liquidation_exempt,
        "fast_order_entry": house_fast_order_entry,
    }
    specs: list[tuple[str, AccountKind, str, dict[str, Any]]] = [
        ("custody", K.CUSTODY, "exchange", {}),
        ("exchange:fees", K.EXCHANGE, "exchange", {}),
        ("exchange:insurance_fund", K.EXCHANGE, "exchange", {}),
        ("house:exchange", K.HOUSE, "house", house_exchange),
        ("house:treasury", K.HOUSE, "house", {}),
        ("house:ventures", K.HOUSE, "house", {}),
        ("house:longs", K.HOUSE, "house", {}),
        ("house:loans", K.HOUSE, "house", {}),
        ("external:depositors", K.EXTERNAL, "depositor", {}),
        ("external:market", K.EXTERNAL, "market", {}),
        ("external:lenders", K.EXTERNAL, "lender", {}),
        ("external:ventures", K.EXTERNAL, "venture", {}),
        (HOUSE_OWNERS, K.EXTERNAL, "house_owner", {}),
        (HOUSE_RECEIVABLE, K.EXCHANGE, "exchange", {"claim": False}),
        (HOUSE_PAYABLE, K.HOUSE, "house", {"allow_negative_balance": True}),
    ]
    ids = journal.open_accounts([(name, kind, cls, kw) for name, kind, cls, kw in specs])
    return {name: i for (name, *_), i in zip(specs, ids, strict=True)}
