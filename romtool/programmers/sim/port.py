"""In-process serial ports: a host driver's end of a simulated cable to a simulated device.

Both ports implement :class:`romtool.programmers.transports.serial.ByteLink` over a
:class:`~romtool.programmers.sim.link.Link` (baud, latency, faults on a virtual clock), so the
real drivers run unchanged against the simulators. The host side lives on the link's clock;
the device consumes each byte at its arrival time as soon as the host has written it and
answers through its ``output(data, t_us)`` attribute, stamping its answers with its own time.
A host read advances the host clock to the next arrival (or its timeout), so a 10 s EPROM
write costs no real time and its modeled duration is exact.

The ports differ only in how much one read returns:

* :class:`StreamPort` (serprog device, TommyPROM sketch) knows no frame delimiter: a read
  returns everything that has arrived by the end of the first contiguous run of bytes (an
  answer sent in one go arrives in one read, as from a USB-serial bridge). A device with
  ``next_event()`` and ``tick(t_us)`` methods gets to act on its own timers (TommyPROM's
  XMODEM start characters, its timeouts) while the host waits, one event at a time.
* :class:`romtool.programmers.sim.romprog.port.SimPort` reads up to the end of the next
  romprog frame.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from romtool.programmers.sim.link import US, Link, LinkLost

FLUSH_LIMIT = 1 << 30
"""Bytes dropped at most by :meth:`LinkPort.flush_input` (in practice: all of them)."""


class PortDevice(Protocol):
    """A simulated device on the far end of the cable."""

    output: Callable[[bytes, float], None]

    def receive(self, data: bytes, t0_us: float, dt_us: float) -> None:
        """Bytes from the host: byte ``i`` arrives at ``t0_us + i * dt_us`` (µs)."""
        ...


class LinkPort:
    """The host's end of a simulated cable; subclasses decide where a read stops.

    Args:
        link: the cable; its clock is the host clock.
        device: the device; its ``output`` is wired to the cable here.
    """

    read_limit = 1 << 24
    """Most bytes one :meth:`read_some` returns."""

    def __init__(self, link: Link, device: PortDevice) -> None:
        self.link = link
        self.device = device
        device.output = self._from_device
        self.closed = False

    def _from_device(self, data: bytes, t_us: float) -> None:
        self.link.to_host.send(data, t_us)

    # --- ByteLink interface ------------------------------------------------------------------

    def now(self) -> float:
        """Host time in seconds (virtual)."""
        return self.link.clock.now_s()

    def write(self, data: bytes) -> None:
        """Send ``data`` now; the device consumes it at its arrival times.

        Raises:
            LinkLost: the cable is gone (before or while sending).
        """
        self._check()
        wire = self.link.to_device
        wire.send(data, self.link.clock.now_us())
        for run in wire.take_runs():
            self.device.receive(run.data, run.t0_us, run.dt_us)
        self._check()

    def read_some(self, timeout_s: float) -> bytes:
        """Wait up to ``timeout_s`` (negative: 0) for bytes; return what arrived.

        Returns b"" on timeout, with the host clock at the deadline.

        Raises:
            LinkLost: the cable is gone.
        """
        self._check()
        clock = self.link.clock
        wire = self.link.to_host
        deadline = clock.now_us() + max(0.0, timeout_s) * US
        self._before_read(deadline)
        first = wire.next_arrival()
        if first is None or first > deadline:
            clock.advance_to(deadline)
            return b""
        until = min(self._read_end(), deadline)
        clock.advance_to(max(first, until))
        return wire.take_until(clock.now_us(), self.read_limit)

    def _before_read(self, deadline_us: float) -> None:
        """Let the device act on its own before the host looks (nothing by default)."""

    def _read_end(self) -> float:
        """Arrival time (µs) of the last byte one read should return."""
        run = self.link.to_host.runs[0]
        return run.time_of(len(run.data) - 1)

    def set_baud(self, baud: int) -> None:
        """The host switched its UART (the device switches its own)."""
        self.link.set_baud(baud)

    def flush_input(self) -> None:
        """Drop bytes that already arrived."""
        self.link.to_host.take_until(self.link.clock.now_us(), FLUSH_LIMIT)

    def sleep(self, seconds: float) -> None:
        """Let ``seconds`` of host time pass (virtual: costs no real time)."""
        self.link.clock.advance(seconds * US)

    def close(self) -> None:
        self.closed = True

    def _check(self) -> None:
        if not self.link.alive or self.closed:
            raise LinkLost("simulated link lost (cable pulled)")


class StreamPort(LinkPort):
    """A port to a stream device: a read ends with the first contiguous run of bytes."""

    def _before_read(self, deadline_us: float) -> None:
        """Run the device's own timers up to the first thing the host could read.

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
            if when is None or when > deadline_us or (first is not None and first <= when):
                return
            tick(when)
