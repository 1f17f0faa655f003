"""Each toxic's behaviour on one link, in virtual time (no sockets)."""

from __future__ import annotations

import random

import pytest

from chaoslab.clock import VirtualClock
from chaoslab.proxy._link import HIGH_WATER
from chaoslab.proxy.testing import LinkHarness


class TimedHarness(LinkHarness):
    """Records (clock time, size) of each write into the sink."""

    def __init__(self, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.writes: list[tuple[float, int]] = []
        sink_write = self.sink.write

        def write(data: bytes) -> None:
            self.writes.append((self.clock.now(), len(data)))
            sink_write(data)

        self.sink.write = write  # type: ignore[method-assign]


async def test_latency_delays_each_chunk_from_its_read_time_and_keeps_throughput() -> None:
    h = TimedHarness()
    h.add("latency", {"latency": 100})
    start = h.clock.now()
    for _ in range(10):  # ten chunks read 10 ms apart
        h.link.feed(b"x" * 100)
        await h.clock.sleep_async(0.010)
    await h.until(lambda: len(h.sink.data) == 1000)
    times = [t - start for t, _ in h.writes]
    assert times == pytest.approx([0.100 + 0.010 * i for i in range(10)], abs=1e-9)


async def test_latency_jitter_stays_within_bounds_and_is_seeded() -> None:
    async def delays(seed: int) -> list[float]:
        h = TimedHarness(seed=seed)
        h.add("latency", {"latency": 100, "jitter": 20})
        out = []
        for _ in range(50):
            t0 = h.clock.now()
            h.link.feed(b"x")
            n = len(h.sink.data)
            await h.until(lambda n=n: len(h.sink.data) > n)  # type: ignore[misc]
            out.append(h.clock.now() - t0)
        return out

    first = await delays(3)
    assert all(0.080 - 1e-9 <= d < 0.120 + 0.006 for d in first)
    assert len({round(d, 3) for d in first}) > 5
    assert first == await delays(3)


async def test_stacked_latencies_add_up() -> None:
    h = TimedHarness()
    h.add("latency", {"latency": 50}, name="a")
    h.add("latency", {"latency": 30}, name="b")
    start = h.clock.now()
    h.link.feed(b"abc")
    await h.until(lambda: bool(h.sink.data))
    assert h.writes[0][0] - start == pytest.approx(0.080)


async def test_removing_latency_sends_the_held_chunk_at_once_without_loss() -> None:
    h = TimedHarness()
    toxic = h.add("latency", {"latency": 10_000})
    h.link.feed(b"held")
    await h.clock.sleep_async(1.0)
    assert h.sink.data == b""
    h.remove(toxic.name)
    h.link.feed(b"+after")
    await h.until(lambda: len(h.sink.data) == 10)
    assert h.sink.data == b"held+after"
    assert h.clock.now() < 2.0


async def test_bandwidth_paces_to_the_rate() -> None:
    h = TimedHarness()
    h.add("bandwidth", {"rate": 100})  # 100 KB/s
    start = h.clock.now()
    h.link.feed(b"x" * 50_000)
    await h.until(lambda: len(h.sink.data) == 50_000)
    assert h.clock.now() - start == pytest.approx(0.5, rel=0.02)
    # big chunks leave in 100 ms slices of rate*100 bytes
    assert {size for _, size in h.writes} == {10_000}


async def test_bandwidth_zero_stalls_until_removed() -> None:
    h = LinkHarness()
    toxic = h.add("bandwidth", {"rate": 0})
    h.link.feed(b"stuck")
    await h.clock.sleep_async(60)
    assert h.sink.data == b""
    h.remove(toxic.name)
    await h.until(lambda: h.sink.data == b"stuck")


def _slices(seed: int, average: int, variation: int, size: int) -> list[int]:
    import asyncio

    async def run() -> list[int]:
        h = TimedHarness(seed=seed)
        h.add("slicer", {"average_size": average, "size_variation": variation, "delay": 10})
        h.link.feed(bytes(size))
        await h.until(lambda: len(h.sink.data) == size)
        return [n for _, n in h.writes]

    return asyncio.run(run())


@pytest.mark.parametrize(("average", "variation"), [(10, 0), (100, 30), (7, 6)])
def test_slicer_piece_sizes(average: int, variation: int) -> None:
    sizes = _slices(1, average, variation, 10_000)
    assert sum(sizes) == 10_000
    assert max(sizes) <= average + variation
    # halving never produces pieces smaller than about half the smallest allowed span
    assert min(sizes) >= (average - variation) // 2 - variation


async def test_slicer_waits_delay_between_pieces() -> None:
    h = TimedHarness()
    h.add("slicer", {"average_size": 10, "delay": 1000})  # 1 ms
    start = h.clock.now()
    h.link.feed(bytes(80))
    await h.until(lambda: len(h.sink.data) == 80)
    assert [round(t - start, 6) for t, _ in h.writes] == [i / 1000 for i in range(8)]


async def test_limit_data_passes_exactly_n_bytes_then_ends_and_counts_across_updates() -> None:
    h = LinkHarness()
    h.add("limit_data", {"bytes": 1000})
    h.link.feed(b"a" * 600)
    await h.until(lambda: len(h.sink.data) == 600)
    h.update("limit_data_downstream", attributes={"bytes": 1500})
    h.link.feed(b"b" * 2000)
    await h.until(lambda: h.sink.eof)
    h.link.feed(b"c" * 10)  # after the end: dropped, and no write after write_eof
    h.link.feed_eof()
    await h.clock.sleep_async(1)
    assert h.sink.data == b"a" * 600 + b"b" * 900
    assert (h.finished, h.closed) == (True, False)


async def test_limit_data_zero_ends_at_once() -> None:
    h = LinkHarness()
    h.add("limit_data", {"bytes": 0})
    assert h.sink.eof


async def test_timeout_drops_data_and_closes_after_the_quiet_period() -> None:
    h = LinkHarness()
    start = h.clock.now()
    h.add("timeout", {"timeout": 500})
    await h.clock.sleep_async(0.3)
    h.link.feed(b"dropped")  # restarts the timer
    await h.until(lambda: h.closed)
    assert h.sink.data == b""
    assert h.clock.now() - start == pytest.approx(0.8, abs=0.01)


async def test_timeout_zero_never_closes_and_removal_closes() -> None:
    h = LinkHarness()
    h.add("timeout", {"timeout": 0})
    h.link.feed(b"gone")
    await h.clock.sleep_async(3600)
    assert not h.closed
    assert h.sink.data == b""
    h.remove("timeout_downstream")
    assert h.closed  # the stream has a gap: going on would corrupt it


async def test_reset_peer_resets_timeout_after_first_data() -> None:
    h = LinkHarness()
    h.add("reset_peer", {"timeout": 200})
    await h.clock.sleep_async(5)
    assert not h.closed  # no data yet: nothing happens
    start = h.clock.now()
    h.link.feed(b"x")
    await h.until(lambda: h.closed)
    assert h.reset
    assert h.clock.now() - start == pytest.approx(0.2, abs=0.01)
    assert h.sink.data == b""


async def test_slow_close_delays_only_the_end_of_stream() -> None:
    h = LinkHarness()
    h.add("slow_close", {"delay": 700})
    h.link.feed(b"data")
    start = h.clock.now()
    h.link.feed_eof()
    await h.until(lambda: h.sink.data == b"data")
    assert not h.sink.eof
    await h.until(lambda: h.sink.eof)
    assert h.clock.now() - start == pytest.approx(0.7, abs=0.01)


async def test_blackhole_swallows_data_and_end_of_stream() -> None:
    h = LinkHarness()
    h.add("blackhole")
    h.link.feed(b"into the void")
    h.link.feed_eof()
    await h.clock.sleep_async(60)
    assert (bytes(h.sink.data), h.sink.eof, h.closed) == (b"", False, False)


async def test_corrupt_flips_bits_at_the_rate_deterministically() -> None:
    async def run(seed: int) -> bytes:
        h = LinkHarness(seed=seed)
        h.add("corrupt", {"probability": 0.05})
        for _ in range(100):
            h.link.feed(bytes(1000))
        await h.until(lambda: len(h.sink.data) == 100_000)
        return bytes(h.sink.data)

    out = await run(5)
    flipped = sum(1 for b in out if b)
    assert 4000 < flipped < 6000
    assert all(bin(b).count("1") <= 1 for b in out)  # one bit per corrupted byte
    assert out == await run(5)
    assert out != await run(6)


async def test_drop_after_bytes_delivers_then_resets() -> None:
    h = LinkHarness()
    h.add("drop", {"bytes": 1500})
    h.link.feed(b"a" * 1000)
    h.link.feed(b"b" * 1000)
    await h.until(lambda: h.closed)
    assert h.sink.data == b"a" * 1000 + b"b" * 500
    assert h.reset


async def test_drop_after_time() -> None:
    h = LinkHarness()
    start = h.clock.now()
    h.add("drop", {"after": 250})
    h.link.feed(b"ok")
    await h.until(lambda: h.closed)
    assert h.reset
    assert h.sink.data == b"ok"
    assert h.clock.now() - start == pytest.approx(0.25, abs=0.01)


async def test_sse_cut_passes_n_events_after_the_head() -> None:
    h = LinkHarness()
    h.add("sse_cut", {"events": 2})
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n"
    events = b"data: one\n\n" + b"data: two\r\n\r\n" + b"data: three\n\n"
    h.link.feed(head + events[:15])
    h.link.feed(events[15:])
    await h.until(lambda: h.closed)
    assert h.sink.data == head + b"data: one\n\ndata: two\r\n\r\n"
    assert h.reset


async def test_toxicity_is_rolled_per_link_from_the_seed() -> None:
    async def actives(seed: int) -> list[bool]:
        out = []
        for i in range(40):
            h = LinkHarness(seed=seed * 1000 + i)
            h.add("noop", toxicity=0.5)
            out.append(bool(h.applied))
        return out

    first = await actives(1)
    assert 8 < sum(first) < 32
    assert first == await actives(1)


async def test_queue_is_bounded_while_a_toxic_holds_data() -> None:
    h = LinkHarness()
    h.add("latency", {"latency": 1000})
    fed = 0
    while not h.source.paused:
        h.link.feed(bytes(64 * 1024))
        fed += 64 * 1024
        assert fed <= HIGH_WATER + 64 * 1024
    await h.until(lambda: not h.source.paused)
    await h.until(lambda: len(h.sink.data) == fed)


def _paused(h: LinkHarness) -> bool:
    # a function, so that mypy does not narrow the attribute between asserts
    return h.source.paused


async def test_slow_sink_pauses_the_source_on_the_fast_path_and_with_toxics() -> None:
    h = LinkHarness(capacity=100_000)
    h.link.feed(bytes(150_000))
    assert _paused(h)
    h.sink.read()
    assert not _paused(h)
    h.add("slicer", {"average_size": 10_000})
    h.link.feed(bytes(300_000))
    await h.until(lambda: h.source.paused)
    sent = len(h.sink.data)
    await h.clock.sleep_async(10)
    assert len(h.sink.data) == sent  # the pump waits for the reader
    while len(h.sink.data) < 450_000:
        h.sink.read()
        await h.clock.sleep_async(0.01)
    assert len(h.sink.data) == 450_000


async def test_churn_in_memory_keeps_every_byte_in_order() -> None:
    rng = random.Random(42)
    h = LinkHarness(seed=42)
    payload = rng.randbytes(400_000)
    kinds = [
        ("latency", {"latency": 5, "jitter": 3}),
        ("bandwidth", {"rate": 2000}),
        ("slicer", {"average_size": 500, "size_variation": 100, "delay": 50}),
        ("slow_close", {"delay": 5}),
        ("noop", {}),
        ("http_delay", {"delay": 3}),
    ]
    names: list[str] = []
    pos = 0
    while pos < len(payload):
        n = rng.randint(1, 8000)
        h.link.feed(payload[pos : pos + n])
        pos += n
        roll = rng.random()
        if roll < 0.2:
            kind, attrs = rng.choice(kinds)
            name = f"t{pos}"
            h.add(kind, attrs, name=name, toxicity=rng.choice([0.0, 0.5, 1.0]))
            names.append(name)
        elif roll < 0.3 and names:
            h.remove(names.pop(rng.randrange(len(names))))
        elif roll < 0.4 and names:
            h.update(rng.choice(names), toxicity=rng.random())
        await h.clock.sleep_async(rng.random() * 0.01)
    h.link.feed_eof()
    assert await h.settle()
    assert bytes(h.sink.data) == payload


def test_virtual_clock_is_what_the_harness_uses_by_default() -> None:
    import asyncio

    async def run() -> bool:
        return isinstance(LinkHarness().clock, VirtualClock)

    assert asyncio.run(run())


async def test_sse_cut_count_survives_an_update() -> None:
    h = LinkHarness()
    h.add("sse_cut", {"events": 3})
    h.link.feed(b"data: 1\n\ndata: 2\n\n")
    await h.until(lambda: len(h.sink.data) == 18)
    h.update("sse_cut_downstream", attributes={"events": 2})
    assert h.closed
    assert h.reset
