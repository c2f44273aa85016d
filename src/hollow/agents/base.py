"""What every trading agent shares: addresses by name, its own order ids, position from its fills."""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

from hollow.market.kernel import Context
from hollow.market.messages import (
    LIQUIDATOR_ORDER_IDS,
    Execution,
    LiquidationExecution,
    OrderClosed,
)


class _Start(NamedTuple):
    """An agent's first timer, at time 0 of the run: its own type, so it is routed like any message."""


_START = _Start()


class Agent:
    """An entity that trades one instrument on one venue; subclasses add handlers per message type.

    It knows the venue only by name and reaches it through messages: no references to other entities.
    """

    cls = "agent"  # the counterparty class, set by each subclass

    def __init__(self, name: str, venue: str, instrument: int) -> None:
        self.name = name
        self.venue_name = venue
        self.instrument = instrument
        self.position_lots = 0
        self.fees_paid_minor = 0  # from its own executions: the session checks the venue's log against it
        self._next_order_id = 0
        self._handlers: dict[type, Callable[[Any], None]] = {
            Execution: self._on_execution, LiquidationExecution: self._on_liquidation, _Start: self._on_start,
        }
        self.ctx: Context

    def attach(self, ctx: Context) -> None:
        self.ctx = ctx
        self.venue = ctx.address_of(self.venue_name)
        ctx.timer(0, _START)  # start once the run begins, when every link exists

    def start(self) -> None:
        """Called at time 0 of the run: subscribe, set the first timers."""

    def _on_start(self, m: _Start) -> None:
        self.start()

    def handle(self, message_type: type, handler: Callable[[Any], None]) -> None:
        if message_type is OrderClosed:  # the liquidator's IOC remainders are not the agent's orders
            own = handler

            def handler(m: OrderClosed) -> None:
                if m.order_id < LIQUIDATOR_ORDER_IDS:
                    own(m)

        self._handlers[message_type] = handler

    def routes(self) -> dict[type, Callable[[Any], None]] | None:
        """The kernel dispatches on the message type itself (see `Entity`), unless a subclass
        overrides `on_message`."""
        return self._handlers if type(self).on_message is Agent.on_message else None

    def on_message(self, sender: int, message: Any) -> None:
        handler = self._handlers.get(type(message))
        if handler is not None:
            handler(message)

    def new_order_id(self) -> int:
        self._next_order_id += 1
        return self._next_order_id

    def _on_execution(self, m: Execution) -> None:
        if m.order_id >= LIQUIDATOR_ORDER_IDS:
            return  # the liquidator's order as this account: its LiquidationExecution reports the fill
        self.position_lots += m.qty_lots if m.side == 0 else -m.qty_lots
        self.fees_paid_minor += m.fee_minor
        self.on_execution(m)

    def on_execution(self, m: Execution) -> None:
        """Subclasses react to their own fills here."""

    def _on_liquidation(self, m: LiquidationExecution) -> None:
        self.position_lots += m.qty_lots if m.side == 0 else -m.qty_lots
        self.fees_paid_minor += m.fee_minor
        self.on_liquidation(m)

    def on_liquidation(self, m: LiquidationExecution) -> None:
        """Subclasses react here to a position change the exchange imposed (never an order fill)."""

    def settled_position_lots(self) -> int:
        """Everything this agent holds, by its own books (an arbitrageur adds its hedges)."""
        return self.position_lots


def bps_of(price_ticks: int, bps: float) -> int:
    """`bps` basis points of a price, in whole ticks (rounded down): spreads and thresholds."""
    return int(price_ticks * bps) // 10_000
