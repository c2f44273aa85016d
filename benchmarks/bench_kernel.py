"""Kernel throughput: 1,000 agents passing messages over latency links with jitter and bursts.

Prints events processed, events/s and peak RSS. Usage: python benchmarks/bench_kernel.py [--events N]
"""

from __future__ import annotations

import argparse
import resource
import time

from hollow.market.kernel import Context, Kernel, Latency

PEERS = 8


class Relay:
    """Forwards every message to one of its peers, chosen from its own RNG stream in blocks."""

    def __init__(self, name: str, peers: list[str]) -> None:
        self.name = name
        self._peer_names = peers
        self._choices: list[int] = []

    def attach(self, ctx: Context) -> None:
        self.ctx = ctx

    def on_message(self, sender: int, message: int) -> None:
        if not self._choices:
            self._choices = self.ctx.rng.integers(0, PEERS, 4096).tolist()
            self._peers = [self.ctx.address_of(n) for n in self._peer_names]
        self.ctx.send(self._peers[self._choices.pop()], message + 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=2_000_000)
    parser.add_argument("--agents", type=int, default=1_000)
    args = parser.parse_args()
    n = args.agents
    kernel = Kernel(seed=7)
    names = [f"relay-{i}" for i in range(n)]
    relays = [Relay(names[i], [names[(i + k * 37 + 1) % n] for k in range(PEERS)]) for i in range(n)]
    addresses = [kernel.add(r) for r in relays]
    latency = Latency(fixed_ns=50_000, jitter_mean_ns=20_000, burst_enter=0.01, burst_exit=0.2)
    for i, relay in enumerate(relays):
        for peer in relay._peer_names:
            kernel.connect(addresses[i], kernel.address_of(peer), latency)
    for a in addresses:
        kernel.timer(a, 0, 0)
    start = time.perf_counter()
    processed = kernel.run(max_events=args.events)
    wall = time.perf_counter() - start
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"kernel: {n} agents, {processed:,} events in {wall:.2f} s = {processed / wall:,.0f} events/s; peak RSS {rss_mb:.0f} MB")


if __name__ == "__main__":
    main()
