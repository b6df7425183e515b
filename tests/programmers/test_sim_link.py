"""The simulated link: line timing, faults, disconnect."""

from __future__ import annotations

import pytest

from romtool.errors import UsageError
from romtool.programmers.sim.clock import VirtualClock
from romtool.programmers.sim.link import Link, LinkModel, parse_link_options


def test_bytes_arrive_after_line_time_plus_latency() -> None:
    link = Link(LinkModel(baud=115200, latency_s=0.001), VirtualClock())
    link.to_device.send(b"abcd", 0.0)
    runs = link.to_device.take_runs()
    assert len(runs) == 1
    byte_us = 10 / 115200 * 1e6
    assert runs[0].t0_us == pytest.approx(byte_us + 1000.0)
    assert runs[0].time_of(3) == pytest.approx(4 * byte_us + 1000.0)
    # A second send queues behind the first on the wire.
    link.to_device.send(b"e", 0.0)
    assert link.to_device.take_runs()[0].t0_us == pytest.approx(5 * byte_us + 1000.0)


def test_take_until_respects_arrival_times() -> None:
    link = Link(LinkModel(baud=1_000_000, latency_s=0.0), VirtualClock())
    link.to_host.send(bytes(range(10)), 0.0)
    assert link.to_host.take_until(35.0, 100) == bytes(range(3))  # 10 µs per byte
    assert link.to_host.take_until(1000.0, 100) == bytes(range(3, 10))


@pytest.mark.parametrize("fault", ["ber", "drop", "dup"])
def test_faults_are_seeded_and_reproducible(fault: str) -> None:
    def run(seed: int) -> bytes:
        link = Link(LinkModel(seed=seed, **{fault: 0.05}), VirtualClock())
        link.to_host.send(bytes(range(256)) * 4, 0.0)
        return link.to_host.take_until(1e12, 1 << 20)

    assert run(1) == run(1)
    assert run(1) != bytes(range(256)) * 4
    if fault == "drop":
        assert len(run(1)) < 1024
    if fault == "dup":
        assert len(run(1)) > 1024


def test_stall_delays_the_bytes_behind_it() -> None:
    link = Link(LinkModel(stall=1.0, stall_s=0.05, latency_s=0.0), VirtualClock())
    link.to_device.send(b"x", 0.0)
    assert link.to_device.take_runs()[0].t0_us > 50_000


def test_disconnect_kills_the_link() -> None:
    link = Link(LinkModel(disconnect_after=10), VirtualClock())
    link.to_device.send(b"0123456789", 0.0)
    assert link.alive
    link.to_device.send(b"x", 0.0)
    assert not link.alive


def test_parse_link_options() -> None:
    m = parse_link_options({"latency": "2ms", "ber": "1e-4", "disconnect": "100", "seed": "5"})
    assert m.latency_s == pytest.approx(0.002) and m.ber == 1e-4
    assert m.disconnect_after == 100 and m.seed == 5
    with pytest.raises(UsageError):
        parse_link_options({"drop": "2"})
    with pytest.raises(UsageError):
        parse_link_options({"latency": "soon"})
