"""Discrete-event kernel: integer-nanosecond clock, latency links, timers, per-agent RNG streams.

Entities (agents and venues) never hold references to each other: they exchange messages through
the kernel by numeric address. Ties in time are broken by a global sequence number, so who wins a
latency race depends only on arrival times, never on an entity's id.
"""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass
from functools import partial
from typing import Any, Callable, Protocol

import numpy as np

from hollow.market._queue import EventQueue

Handler = Callable[[int, Any], None]  # (sender address, message)
_BLOCK = 1024  # jitter draws are made in blocks: one numpy call per 1024 messages


Route = Callable[[Any], None]  # (message): a handler for one message type


class Entity(Protocol):
    """Anything attached to the kernel: it gets an address and a context, and receives messages.

    An entity may also offer `routes() -> dict[type, Route] | None`: the kernel then calls
    `routes[type(message)](message)` itself (in C, no Python frame in between) and drops messages of
    other types; the dict is read at each event, so routes added later count. `None`: `on_message`.
    """

    name: str

    def attach(self, ctx: "Context") -> None: ...

    def on_message(self, sender: int, message: Any) -> None: ...


@dataclass(frozen=True, slots=True)
class Latency:
    """One-way delay of a link: fixed part plus exponential jitter, with optional bursts.

    In a burst (entered with probability `burst_enter` per message, left with `burst_exit`) the jitter
    is multiplied by `burst_factor`: queues build up under load, as on real exchange gateways.
    """

    fixed_ns: int
    jitter_mean_ns: int = 0
    burst_enter: float = 0.0
    burst_exit: float = 0.5
    burst_factor: int = 10

    def __post_init__(self) -> None:
        if self.fixed_ns < 0 or self.jitter_mean_ns < 0:
            raise ValueError("latency must not be negative")
        if not (0.0 <= self.burst_enter <= 1.0 and 0.0 < self.burst_exit <= 1.0) or self.burst_factor < 1:
            raise ValueError("burst probabilities must be in [0, 1] and the factor at least 1")


class LinkDelays:
    """Delays of one directed link, drawn in growing blocks from the link's own RNG stream.

    The event queue (C) consumes the blocks and keeps deliveries on a link in order (FIFO, like TCP).
    """

    __slots__ = ("latency", "_rng", "_block", "_in_burst", "_state_left")

    def __init__(self, latency: Latency, rng: np.random.Generator) -> None:
        self.latency = latency
        self._rng = rng
        self._block = 16  # grows to _BLOCK: quiet links draw little, busy ones draw in bulk
        self._in_burst = False
        self._state_left = -1  # messages left in the current burst/normal run; -1: not started

    def next_block(self) -> bytes:
        lat, n = self.latency, self._block
        self._block = min(2 * n, _BLOCK)
        if lat.jitter_mean_ns == 0:
            return np.full(n, lat.fixed_ns, dtype=np.int64).tobytes()
        jitter = self._rng.exponential(lat.jitter_mean_ns, n)
        if lat.burst_enter > 0.0:
            jitter *= self._burst_multipliers(n)
        return (np.rint(jitter).astype(np.int64) + lat.fixed_ns).tobytes()

    def _burst_multipliers(self, n: int) -> np.ndarray:
        """Two-state Markov chain over messages, drawn as geometric run lengths (one draw per run)."""
        lat = self.latency
        multipliers = np.ones(n)
        pos = 0
        while pos < n:
            if self._state_left <= 0:
                if self._state_left == 0:
                    self._in_burst = not self._in_burst
                p = lat.burst_exit if self._in_burst else lat.burst_enter
                self._state_left = int(self._rng.geometric(p)) if p > 0 else n
            take = min(self._state_left, n - pos)
            if self._in_burst:
                multipliers[pos : pos + take] = lat.burst_factor
            pos += take
            self._state_left -= take
        return multipliers


def stream(seed: int, *names: str) -> np.random.Generator:
    """An RNG stream keyed by names, not by creation order: adding an agent leaves others' draws alone."""
    key = tuple(zlib.crc32(n.encode()) for n in names)
    return np.random.default_rng(np.random.SeedSequence(entropy=seed, spawn_key=key))


class Context:
    """What an entity may use: its address, the clock, its RNG, sending and timers."""

    __slots__ = ("address", "name", "rng", "send", "broadcast", "timer", "_kernel", "_queue")

    def __init__(self, kernel: "Kernel", address: int, name: str) -> None:
        self._kernel = kernel
        self._queue = kernel._queue
        self.address = address
        self.name = name
        self.rng = stream(kernel.seed, "agent", name)
        # bound once, straight to C: send(to, message), broadcast(tos, message) (one send per address
        # of the list, in order) and timer(delay_ns, message) are on every hot path
        self.send = partial(kernel._queue.send, address)
        self.broadcast = partial(kernel._queue.send_many, address)
        self.timer = partial(kernel._queue.timer, address)

    @property
    def now_ns(self) -> int:
        return self._queue.now

    def address_of(self, name: str) -> int:
        return self._kernel.address_of(name)


class Kernel:
    """The event loop: pops events in (time, seq) order and calls the addressee's `on_message`."""

    def __init__(self, seed: int, *, trace: bool = False, default_latency: Latency | None = None) -> None:
        self.seed = seed
        self.events = 0
        self._queue = EventQueue()
        self._handlers: list[Handler] = []
        self._names: dict[str, int] = {}
        self._addresses: list[str] = []
        self._delays: list[LinkDelays] = []  # by link id, as numbered by the queue
        self._retimed = 0
        self._default_latency = default_latency
        self._queue.set_link_callbacks(self._refill, self._missing_link if default_latency else None)
        self._trace = hashlib.blake2b(digest_size=16) if trace else None

    @property
    def now_ns(self) -> int:
        return self._queue.now

    def add(self, entity: Entity) -> int:
        """Attach an entity and return its address."""
        if entity.name in self._names:
            raise ValueError(f"duplicate entity name {entity.name!r}")
        address = len(self._handlers)
        self._names[entity.name] = address
        self._addresses.append(entity.name)
        routes = getattr(entity, "routes", None)
        table = routes() if routes is not None else None
        self._handlers.append(table if table is not None else entity.on_message)
        entity.attach(Context(self, address, entity.name))
        return address

    def address_of(self, name: str) -> int:
        return self._names[name]

    def name_of(self, address: int) -> str:
        return self._addresses[address]

    def names(self) -> list[str]:
        """Every entity's name, indexed by address."""
        return list(self._addresses)

    def connect(self, a: int, b: int, a_to_b: Latency, b_to_a: Latency | None = None) -> None:
        """Create (or re-time) the links a→b and b→a, each with its own jitter stream."""
        self._set_link(a, b, a_to_b)
        self._set_link(b, a, b_to_a or a_to_b)

    def _set_link(self, a: int, b: int, latency: Latency) -> int:
        link_id = self._queue.add_link(a, b)
        if link_id == len(self._delays):
            self._delays.append(LinkDelays(latency, stream(self.seed, "link", self.name_of(a), self.name_of(b))))
        else:  # re-timed: a fresh stream (salted, so its draws do not repeat) from the next message on
            self._retimed += 1
            salt = f"retime-{self._retimed}"
            self._delays[link_id] = LinkDelays(latency, stream(self.seed, "link", self.name_of(a), self.name_of(b), salt))
            self._queue.reset_link(link_id)
        return link_id

    def _refill(self, link_id: int) -> bytes:
        return self._delays[link_id].next_block()

    def _missing_link(self, sender: int, to: int) -> int:
        return self._set_link(sender, to, self._default_latency)

    def send(self, sender: int, to: int, message: Any) -> None:
        """Deliver `message` to `to` after the link's latency."""
        self._queue.send(sender, to, message)

    def timer(self, owner: int, delay_ns: int, message: Any) -> None:
        """Wake `owner` after `delay_ns` with `message` (sender = owner)."""
        self._queue.timer(owner, delay_ns, message)  # ValueError for a negative delay

    def run(self, until_ns: int | None = None, max_events: int | None = None) -> int:
        """Process events up to and including `until_ns`; returns how many were processed."""
        limit = until_ns if until_ns is not None else 1 << 62
        budget = max_events if max_events is not None else 1 << 62
        queue = self._queue
        if self._trace is None:
            processed = queue.run(self._handlers, limit, budget)
        else:
            processed = self._run_traced(limit, budget)
        if until_ns is not None and queue.now < until_ns:
            next_time = queue.next_time()
            if next_time is None or next_time > until_ns:
                queue.now = until_ns
        self.events += processed
        return processed

    def run_in_chunks(self, until_ns: int, progress: Callable[[int, int], None] | None = None, chunks: int = 50) -> None:
        """Run to `until_ns` in `chunks` equal slices of simulated time, reporting `progress(done, total)`."""
        for k in range(1, chunks + 1):
            self.run(until_ns=until_ns * k // chunks)
            if progress is not None:
                progress(until_ns * k // chunks, until_ns)

    def _run_traced(self, limit: int, budget: int) -> int:
        queue, handlers, trace = self._queue, self._handlers, self._trace
        processed = 0
        while processed < budget:
            next_time = queue.next_time()
            if next_time is None or next_time > limit:
                break
            t, seq, to, sender, message = queue.pop()
            trace.update(f"{t},{seq},{to},{sender},{message!r};".encode())
            handler = handlers[to]
            if type(handler) is dict:
                route = handler.get(type(message))
                if route is not None:
                    route(message)
            else:
                handler(sender, message)
            processed += 1
        return processed

    def pending(self) -> int:
        return len(self._queue)

    def in_flight(self) -> list[tuple[int, int, int, Any]]:
        """Events not yet delivered, as (time_ns, to, sender, message), sorted by time: for end-of-run checks."""
        return sorted(self._queue.pending(), key=lambda e: e[0])

    def trace_digest(self) -> str:
        """Hash of every event processed so far (only with trace=True): equal digests, equal runs."""
        if self._trace is None:
            raise RuntimeError("kernel was created without trace=True")
        return self._trace.hexdigest()
