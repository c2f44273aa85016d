"""A trader who only holds a position opened before the session (a leveraged long or its short).

It receives the venue's reports (cancels, liquidation notices) through its books and sends nothing,
so what happens to it is the exchange's doing: the margin engine and the liquidation waterfall.
"""

from __future__ import annotations

from hollow.agents.base import Agent


class Holder(Agent):
    def __init__(self, name: str, cls: str, venue: str, instrument: int = 0) -> None:
        super().__init__(name, venue, instrument)
        self.cls = cls
