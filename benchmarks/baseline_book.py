"""A straightforward pure-Python order book: the yardstick the C book is measured against.

Dict of price -> deque per side, heaps for the best price, lazy removal of cancelled orders. It supports
what the benchmark stream uses (limit, IOC, market, cancel, cancel-taker self-trade prevention) with the
same call shapes and fill tuples as `hollow.market.book.Book`, so one loop can drive either.
"""

from __future__ import annotations

from collections import deque
from heapq import heappop, heappush

BUY, SELL = 0, 1
LIMIT, IOC, MARKET = 0, 1, 2


class BaselineBook:
    """Price-time priority with dict-of-deques levels and heaps of active prices."""

    def __init__(self) -> None:
        # order: [order_id, owner, side, price, remaining]; remaining == 0 marks a cancelled order
        self.orders: dict[int, list[int]] = {}
        self.levels: tuple[dict[int, list], dict[int, list]] = ({}, {})  # price -> [deque, live count]
        self.heaps: tuple[list[int], list[int]] = ([], [])  # bids as -price, asks as price
        self.in_heap: tuple[set[int], set[int]] = (set(), set())
        self.fills: list[tuple[int, ...]] = []
        self.volume_lots = 0

    def _best(self, side: int) -> int | None:
        heap, levels = self.heaps[side], self.levels[side]
        while heap:
            price = -heap[0] if side == BUY else heap[0]
            if price in levels:
                return price
            heappop(heap)
            self.in_heap[side].discard(price)
        return None

    def add(self, order_id: int, owner: int, side: int, otype: int, price: int, qty: int) -> int:
        if qty <= 0:
            return 2
        if otype != MARKET and price <= 0:
            return 3
        if order_id in self.orders:
            return 7
        opp = 1 - side
        opp_levels = self.levels[opp]
        fills = self.fills
        while qty:
            best = self._best(opp)
            if best is None or (otype != MARKET and (best > price if side == BUY else best < price)):
                break
            level = opp_levels[best]
            queue = level[0]
            stop = False
            while queue and qty:
                maker = queue[0]
                if maker[4] == 0:  # cancelled earlier: drop lazily
                    queue.popleft()
                    continue
                if owner and maker[1] == owner:  # self-trade prevention: cancel the taker
                    stop = True
                    break
                q = qty if qty < maker[4] else maker[4]
                maker[4] -= q
                qty -= q
                self.volume_lots += q
                fills.append((order_id, maker[0], owner, maker[1], best, q, side, maker[4]))
                if maker[4] == 0:
                    queue.popleft()
                    del self.orders[maker[0]]
                    level[1] -= 1
            if level[1] == 0:
                del opp_levels[best]
            if stop:
                return 0
        if qty and otype == LIMIT:
            order = [order_id, owner, side, price, qty]
            self.orders[order_id] = order
            levels = self.levels[side]
            level = levels.get(price)
            if level is None:
                levels[price] = [deque([order]), 1]
                if price not in self.in_heap[side]:
                    self.in_heap[side].add(price)
                    heappush(self.heaps[side], -price if side == BUY else price)
            else:
                level[0].append(order)
                level[1] += 1
        return 0

    def cancel(self, order_id: int) -> int:
        order = self.orders.pop(order_id, None)
        if order is None:
            return 1
        order[4] = 0
        levels = self.levels[order[2]]
        level = levels[order[3]]
        level[1] -= 1
        if level[1] == 0:
            del levels[order[3]]
        return 0

    def take_fills(self) -> list[tuple[int, ...]]:
        fills, self.fills = self.fills, []
        return fills

    def volume(self) -> int:
        return self.volume_lots

    def __len__(self) -> int:
        return len(self.orders)
