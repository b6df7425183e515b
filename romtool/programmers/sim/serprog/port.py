"""An in-process serial port between a host driver and a simulated stream device.

:class:`StreamPort` implements :class:`romtool.programmers.transports.serial.ByteLink` over a
:class:`~romtool.programmers.sim.link.Link` (baud, latency, faults on a virtual clock), for any
device that takes ``receive(data, t0_us, dt_us)`` and answers through its ``output(data,
t_us)`` attribute: the serprog device here and the TommyPROM sketch in
:mod:`romtool.programmers.sim.tommyprom`. Unlike the romprog port it knows no frame delimiter:
a read returns everything that has arrived by the end of the first contiguous run of bytes (an
answer sent in one go arrives in one read, as from a USB-serial bridge). A device with
``next_event()`` and ``tick(t_us)`` methods gets to act on its own timers (TommyPROM's XMODEM
start characters, its timeouts) while the host waits, one event at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from romtool.programmers.sim.link import US, Link, LinkLost


class StreamDevice(Protocol):
    """A simulated device on the far end of the cable."""

    output: Callable[[bytes, float], None]

    def receive(self, data: bytes, t0_us: float | None = None, dt_us: float = 0.0) -> None:
        """Bytes from the host: byte ``i`` arrives at ``t0_us + i * dt_us``."""
        ...


class StreamPort:
    """The host's end of a simulated cable to a stream device.

    Args:
        link: the cable; its clock is the host clock.
        device: the device; its ``output`` is wired to the cable here.
    """

    def __init__(self, link: Link, device: StreamDevice) -> None:
        self.link = link
        self.device = device
        device.output = self._from_device
        self.closed = False

    def _from_device(self, data: bytes, t_us: float) -> None:
        self.link.to_host.send(data, t_us)

    def now(self) -> float:
        return self.link.clock.now_s()

    def write(self, data: bytes) -> None:
        self._check()
        wire = self.link.to_device
        wire.send(data, self.link.clock.now_us())
        for run in wire.take_runs():
            self.device.receive(run.data, run.t0_us, run.dt_us)
        self._check()

    def read_some(self, timeout_s: float) -> bytes:
        self._check()
        clock = self.link.clock
        wire = self.link.to_host
        deadline = clock.now_us() + max(0.0, timeout_s) * US
        self._run_device_timers(deadline)
        first = wire.next_arrival()
        if first is None or first > deadline:
            clock.advance_to(deadline)
            return b""
        run = wire.runs[0]
        until = min(run.time_of(len(run.data) - 1), deadline)
        clock.advance_to(max(first, until))
        return wire.take_until(clock.now_us(), 1 << 24)

    def _run_device_timers(self, deadline: float) -> None:
        """Let the device act on its own up to the first thing the host could read.

        Events are run one at a time, so a device that repeats itself (a start character
        every 3 s) only gets as far as the host's next chance to answer.
        """
        next_event = getattr(self.device, "next_event", None)
        tick = getattr(self.device, "tick", None)
        if not callable(next_event) or not callable(tick):
            return
        wire = self.link.to_host
        while True:
            when = next_event()
            first = wire.next_arrival()
            if when is None or when > deadline or (first is not None and first <= when):
                return
            tick(when)

    def set_baud(self, baud: int) -> None:
        self.link.set_baud(baud)

    def flush_input(self) -> None:
        self.link.to_host.take_until(self.link.clock.now_us(), 1 << 30)

    def sleep(self, seconds: float) -> None:
        self.link.clock.advance(seconds * US)

    def close(self) -> None:
        self.closed = True

    def _check(self) -> None:
        if not self.link.alive or self.closed:
            raise LinkLost("simulated link lost (cable pulled)")
