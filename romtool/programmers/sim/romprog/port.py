"""An in-process "serial port" wired to a simulated romprog board through a :class:`Link`.

:class:`SimPort` has the byte-link interface the romprog driver uses
(:class:`romtool.programmers.transports.serial.ByteLink`), so ``sim:PART`` runs the real driver
code. The cable and its virtual clock are those of every in-process port
(:class:`~romtool.programmers.sim.port.LinkPort`); what is romprog's own is that a read stops
at the end of the next frame, and that the board's SET_BAUD handler switches the cable.
"""

from __future__ import annotations

from romtool.programmers.romprog.protocol import DELIMITER
from romtool.programmers.sim.link import Link
from romtool.programmers.sim.port import LinkPort
from romtool.programmers.sim.romprog.device import RomprogDevice


class SimPort(LinkPort):
    """The host's end of the simulated cable.

    Args:
        link: the cable (its clock is the host clock).
        device: the board at the other end (a :class:`RomprogDevice` or anything with its
            ``receive``/``output``/``on_baud`` interface).
    """

    read_limit = 1 << 20

    def __init__(self, link: Link, device: RomprogDevice) -> None:
        super().__init__(link, device)
        device.on_baud = link.set_baud
        self.name = "sim"

    def _read_end(self) -> float:
        # Deliver up to the end of the next frame (as an OS delivers a USB packet), so a read
        # returns a useful amount instead of one byte at a time.
        last = 0.0
        for run in self.link.to_host.runs:
            idx = run.data.find(DELIMITER)
            if idx >= 0:
                return run.time_of(idx)
            last = run.time_of(len(run.data) - 1)
        return last
