"""An in-process "serial port" wired to a simulated romprog board through a :class:`Link`.

:class:`SimPort` has the byte-link interface the romprog driver uses
(:class:`romtool.programmers.transports.serial.ByteLink`), so ``sim:PART`` runs the real driver
code. The host side lives on its own virtual clock (the link's); the board runs on the chip
model's clock and processes each frame as soon as it has arrived, stamping its answers with its
own time. A host read advances the host clock to the next arrival (or its timeout), so a 10 s
EPROM write costs no real time and its modeled duration is exact.
"""

from __future__ import annotations

from romtool.programmers.sim.link import US, Link, LinkLost
from romtool.programmers.sim.romprog.device import RomprogDevice


class SimPort:
    """The host's end of the simulated cable.

    Args:
        link: the cable (its clock is the host clock).
        device: the board at the other end.
    """

    def __init__(self, link: Link, device: RomprogDevice) -> None:
        self.link = link
        self.device = device
        device.output = self._from_device
        device.on_baud = link.set_baud
        self.name = "sim"
        self.closed = False

    def _from_device(self, data: bytes, t_us: float) -> None:
        self.link.to_host.send(data, t_us)

    # --- ByteLink interface ------------------------------------------------------------------

    def now(self) -> float:
        """Host time in seconds (virtual)."""
        return self.link.clock.now_s()

    def write(self, data: bytes) -> None:
        """Send ``data`` now; the board consumes it at its arrival times."""
        self._check()
        wire = self.link.to_device
        wire.send(data, self.link.clock.now_us())
        for run in wire.take_runs():
            self.device.receive(run.data, run.t0_us, run.dt_us)
        self._check()

    def read_some(self, timeout_s: float) -> bytes:
        """Wait up to ``timeout_s`` for bytes; return what arrived, up to a frame delimiter.

        Returns b"" on timeout. Raises :class:`LinkLost` when the cable is gone.
        """
        self._check()
        clock = self.link.clock
        wire = self.link.to_host
        deadline = clock.now_us() + timeout_s * US
        first = wire.next_arrival()
        if first is None or first > deadline:
            clock.advance_to(deadline)
            self._check()
            return b""
        # Deliver up to the end of the next frame (as an OS delivers a USB packet), so a read
        # returns a useful amount instead of one byte at a time.
        until = min(self._next_delimiter_time(), deadline)
        clock.advance_to(max(first, until))
        return wire.take_until(clock.now_us(), 1 << 20)

    def _next_delimiter_time(self) -> float:
        last = 0.0
        for run in self.link.to_host.runs:
            idx = run.data.find(0)
            if idx >= 0:
                return run.time_of(idx)
            last = run.time_of(len(run.data) - 1)
        return last

    def set_baud(self, baud: int) -> None:
        """The host switched its UART (the board already did in its SET_BAUD handler)."""
        self.link.set_baud(baud)

    def flush_input(self) -> None:
        """Drop bytes that already arrived."""
        self.link.to_host.take_until(self.link.clock.now_us(), 1 << 30)

    def sleep(self, seconds: float) -> None:
        self.link.clock.advance(seconds * US)

    def close(self) -> None:
        self.closed = True

    def _check(self) -> None:
        if not self.link.alive or self.closed:
            raise LinkLost("simulated link lost (cable pulled)")
