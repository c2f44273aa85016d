"""Event kernel: ordering, tie-breaking, latency links, timers, RNG streams, determinism."""

from __future__ import annotations

import numpy as np
import pytest

from hollow.market.kernel import Context, Kernel, Latency, LinkDelays, stream


class Recorder:
    """Records (time, sender, message) for every delivery; optionally replies after a delay."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.seen: list[tuple[int, int, object]] = []

    def attach(self, ctx: Context) -> None:
        self.ctx = ctx

    def on_message(self, sender: int, message: object) -> None:
        self.seen.append((self.ctx.now_ns, sender, message))


class Racer(Recorder):
    """On a timer, sends its name to the target: used to stage latency races."""

    def __init__(self, name: str, target: str) -> None:
        super().__init__(name)
        self.target = target

    def on_message(self, sender: int, message: object) -> None:
        if message == "go":
            self.ctx.send(self.ctx.address_of(self.target), self.name)
        else:
            super().on_message(sender, message)


def test_equal_arrival_times_break_ties_by_send_order_not_by_address() -> None:
    kernel = Kernel(seed=1)
    venue = Recorder("venue")
    v = kernel.add(venue)
    # The racer with the HIGHER address is scheduled first: it must win the tie.
    late_id = Racer("a", "venue")
    early_id = Racer("b", "venue")
    a, b = kernel.add(late_id), kernel.add(early_id)
    kernel.connect(a, v, Latency(fixed_ns=1000))
    kernel.connect(b, v, Latency(fixed_ns=1000))
    kernel.timer(b, 5, "go")
    kernel.timer(a, 5, "go")
    kernel.run()
    assert [m for _, _, m in venue.seen] == ["b", "a"]
    assert [t for t, _, _ in venue.seen] == [1005, 1005]


def test_lower_latency_wins_the_race() -> None:
    kernel = Kernel(seed=1)
    venue = Recorder("venue")
    v = kernel.add(venue)
    slow, fast = Racer("slow", "venue"), Racer("fast", "venue")
    s, f = kernel.add(slow), kernel.add(fast)
    kernel.connect(s, v, Latency(fixed_ns=5_000_000))
    kernel.connect(f, v, Latency(fixed_ns=1_000))
    kernel.timer(s, 0, "go")
    kernel.timer(f, 1_000_000, "go")  # sends a full millisecond later and still arrives first
    kernel.run()
    assert [m for _, _, m in venue.seen] == ["fast", "slow"]
    assert venue.seen[0][1] == f


def test_link_is_fifo_even_with_jitter() -> None:
    kernel = Kernel(seed=3)
    venue = Recorder("venue")
    v = kernel.add(venue)
    sender = Recorder("sender")
    s = kernel.add(sender)
    kernel.connect(s, v, Latency(fixed_ns=100, jitter_mean_ns=10_000, burst_enter=0.2, burst_exit=0.3))
    for i in range(500):
        kernel.send(s, v, i)
    kernel.run()
    assert [m for _, _, m in venue.seen] == list(range(500))
    times = [t for t, _, _ in venue.seen]
    assert times == sorted(times) and times[0] >= 100


def test_timers_fire_in_time_order_and_run_stops_at_until() -> None:
    kernel = Kernel(seed=1)
    clock = Recorder("clock")
    c = kernel.add(clock)
    for delay in (30, 10, 20, 10):
        kernel.timer(c, delay, delay)
    assert kernel.run(until_ns=20) == 3
    assert [(t, m) for t, _, m in clock.seen] == [(10, 10), (10, 10), (20, 20)]
    assert kernel.now_ns == 20 and kernel.pending() == 1
    kernel.run(until_ns=25)
    assert kernel.now_ns == 25  # the clock advances to `until` when nothing is due
    kernel.run()
    assert clock.seen[-1][:1] == (30,)
    with pytest.raises(ValueError):
        kernel.timer(c, -1, "past")


def test_missing_link_is_an_error_unless_a_default_latency_is_given() -> None:
    kernel = Kernel(seed=1)
    a, b = kernel.add(Recorder("a")), kernel.add(Recorder("b"))
    with pytest.raises(KeyError):
        kernel.send(a, b, "x")
    kernel = Kernel(seed=1, default_latency=Latency(fixed_ns=7))
    r = Recorder("b")
    a, b = kernel.add(Recorder("a")), kernel.add(r)
    kernel.send(a, b, "x")
    kernel.run()
    assert r.seen == [(7, a, "x")]


def test_jitter_has_the_configured_mean_and_bursts_raise_it() -> None:
    plain = LinkDelays(Latency(fixed_ns=1000, jitter_mean_ns=5000), stream(1, "x"))
    bursty = LinkDelays(Latency(fixed_ns=1000, jitter_mean_ns=5000, burst_enter=0.05, burst_exit=0.2, burst_factor=20), stream(1, "x"))
    draw = lambda d: np.concatenate([np.frombuffer(d.next_block(), dtype=np.int64) for _ in range(40)])
    p, q = draw(plain), draw(bursty)
    assert p.min() >= 1000 and abs(p.mean() - 6000) < 300
    # stationary burst share = 0.05 / (0.05 + 0.2) = 20%: mean jitter about 5000 * (0.8 + 0.2 * 20) = 24000
    assert 15_000 < q.mean() - 1000 < 35_000


def test_rng_streams_depend_on_names_not_on_creation_order() -> None:
    k1, k2 = Kernel(seed=42), Kernel(seed=42)
    a1 = Recorder("alice")
    k1.add(a1)
    k2.add(Recorder("zed"))  # an extra agent added first must not change alice's draws
    a2 = Recorder("alice")
    k2.add(a2)
    assert a1.ctx.rng.random(5).tolist() == a2.ctx.rng.random(5).tolist()
    assert Kernel(seed=43).seed != k1.seed


def _traced_run(seed: int) -> str:
    kernel = Kernel(seed=seed, trace=True)
    venue = Recorder("venue")
    v = kernel.add(venue)
    racers = [Racer(f"r{i}", "venue") for i in range(20)]
    for r in racers:
        a = kernel.add(r)
        kernel.connect(a, v, Latency(fixed_ns=1000, jitter_mean_ns=3000, burst_enter=0.1))
        for j in range(5):
            kernel.timer(a, j * 700, "go")
    kernel.run()
    return kernel.trace_digest()


def test_same_seed_same_event_log_hash_and_other_seed_differs() -> None:
    assert _traced_run(5) == _traced_run(5)
    assert _traced_run(5) != _traced_run(6)


def test_re_timing_a_link_takes_effect_on_the_next_message() -> None:
    kernel = Kernel(seed=1)
    r = Recorder("r")
    s, t = kernel.add(Recorder("s")), kernel.add(r)
    kernel.connect(s, t, Latency(fixed_ns=1_000_000))
    kernel.send(s, t, "slow")
    kernel.run()
    kernel.connect(s, t, Latency(fixed_ns=10))
    start = kernel.now_ns
    kernel.send(s, t, "fast")
    kernel.run()
    assert r.seen[-1][0] - start == 10


def test_a_finished_kernel_is_garbage_collected() -> None:
    import gc
    import weakref

    kernel = Kernel(seed=1)
    a, b = kernel.add(Recorder("a")), kernel.add(Recorder("b"))
    kernel.connect(a, b, Latency(fixed_ns=5, jitter_mean_ns=5))
    kernel.send(a, b, "pending message")
    ref = weakref.ref(kernel)
    del kernel
    gc.collect()
    assert ref() is None


def test_a_bad_delay_block_is_refused_and_the_link_still_works() -> None:
    kernel = Kernel(seed=1)
    r = Recorder("r")
    s, t = kernel.add(Recorder("s")), kernel.add(r)
    kernel.connect(s, t, Latency(fixed_ns=7))
    good = kernel._refill
    kernel._queue.set_link_callbacks(lambda link: np.full(4, -1, dtype=np.int64).tobytes(), None)
    with pytest.raises(ValueError, match="negative delay"):
        kernel.send(s, t, "x")
    kernel._queue.set_link_callbacks(good, None)
    kernel.send(s, t, "y")
    kernel.run()
    assert r.seen == [(7, s, "y")]


class Routed:
    """An entity that offers routes: the kernel calls the route of the message's type itself."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.ints: list[int] = []
        self.strs: list[str] = []
        self.table: dict[type, object] = {int: self.ints.append}

    def attach(self, ctx: Context) -> None:
        self.ctx = ctx

    def routes(self) -> dict[type, object]:
        return self.table

    def on_message(self, sender: int, message: object) -> None:
        raise AssertionError("routed entities are not called through on_message")


@pytest.mark.parametrize("trace", [False, True])
def test_routes_dispatch_by_type_drop_other_types_and_see_later_additions(trace: bool) -> None:
    kernel = Kernel(seed=1, trace=trace)
    routed = Routed("routed")
    r = kernel.add(routed)
    for delay, message in ((1, 7), (2, "early"), (3, 2.5), (4, 8)):
        kernel.timer(r, delay, message)
    kernel.run(until_ns=2)
    routed.table[str] = routed.strs.append  # added after `add`: used from the next event on
    kernel.timer(r, 1, "late")
    assert kernel.run() == 3  # a dropped message (2.5) still counts as an event
    assert routed.ints == [7, 8] and routed.strs == ["late"]


def test_an_entity_whose_routes_are_none_gets_on_message() -> None:
    class Plain(Recorder):
        def routes(self) -> None:
            return None

    kernel = Kernel(seed=1)
    plain = Plain("plain")
    p = kernel.add(plain)
    kernel.timer(p, 5, "x")
    kernel.run()
    assert plain.seen == [(5, p, "x")]


def test_broadcast_is_one_send_per_address_in_order() -> None:
    """Same arrival times, same jitter draws, same tie order as a loop of sends."""

    def arrivals(broadcast: bool) -> list[tuple[int, str, object]]:
        kernel = Kernel(seed=3)
        src = Recorder("src")
        s = kernel.add(src)
        sinks = [Recorder(f"sink{i}") for i in range(4)]
        tos = [kernel.add(x) for x in sinks]
        for to in tos:
            kernel.connect(s, to, Latency(fixed_ns=100, jitter_mean_ns=50))
        for k in range(30):
            if broadcast:
                src.ctx.broadcast(tos, k)
            else:
                for to in tos:
                    src.ctx.send(to, k)
        kernel.run()
        return sorted((t, x.name, m) for x in sinks for t, _, m in x.seen)

    assert arrivals(True) == arrivals(False)
    kernel = Kernel(seed=1)
    a = kernel.add(Recorder("a"))
    with pytest.raises(KeyError):
        kernel._queue.send_many(a, [a], "no link")
