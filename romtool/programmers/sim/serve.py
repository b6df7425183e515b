"""Serve a simulated romprog board on a pty or a TCP port, in real time.

::

    python -m romtool.programmers.sim.serve 27C256 --state chip.bin --pty
    romprog:/dev/pts/7                       <- first line: the spec to give romtool
    romtool write -p romprog:/dev/pts/7 -c 27C256 3c509.rom

    python -m romtool.programmers.sim.serve 27C256 --tcp 7000
    romtool id -p romprog:socket://127.0.0.1:7000 -c 27C256

The board is the same :class:`~romtool.programmers.sim.romprog.device.RomprogDevice` that
``sim:`` uses in-process, so tests and users can point the real ``romprog:`` driver (and
pyserial) at it like at hardware. Frames are answered as soon as they arrive (the chip's
programming time is modeled on its virtual clock, not slept); the host-silence watchdog uses
real time. The chip contents are saved to ``--state`` when the server stops (SIGINT/SIGTERM)
and after each TCP connection.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from romtool.chips import get_chip
from romtool.errors import RomtoolError
from romtool.programmers.sim.chips import ChipModel
from romtool.programmers.sim.inprocess import socket_chip
from romtool.programmers.sim.romprog.device import RomprogDevice
from romtool.programmers.sim.serving import DeviceServer, serve_until_signalled


class Server(DeviceServer):
    """A board plus its chip, behind a pty or a loopback TCP port.

    Each TCP connection meets a freshly reset board (as when a USB-serial bridge's DTR resets
    the board on open); the pty keeps one board for the server's life.

    Args:
        chip: the chip model in the board's socket.
        state: file the chip contents are saved to after each connection and at stop.
        once: TCP only: stop after the first connection.
    """

    thread_name = "romprog-sim"

    def __init__(self, chip: ChipModel, state: Path | None, *, once: bool = False) -> None:
        super().__init__(chip, state)
        self.device = RomprogDevice(chip)
        self.once = once

    @property
    def spec(self) -> str:
        """The romtool programmer spec that reaches this server."""
        if self.address is not None:
            return f"romprog:socket://{self.address[0]}:{self.address[1]}"
        return f"romprog:{self.pty_name}"

    def _attach(self, output: Callable[[bytes, float], None]) -> None:
        self.device.output = output

    def _on_connection(self) -> None:
        self.device = RomprogDevice(self.chip)

    def _deliver(self, data: bytes) -> None:
        # The board's clock never runs behind real time (it may run ahead: modeled busy time);
        # its host-silence watchdog therefore sees real gaps.
        self.device.receive(data, max(self.chip.clock.now_us(), self.real_now_us()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m romtool.programmers.sim.serve",
        description="Serve a simulated romprog board on a pty or TCP port.",
    )
    parser.add_argument("part", help="the part in the simulated socket, e.g. 27C256")
    parser.add_argument("--state", type=Path, help="chip contents file (kept between runs)")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--pty", action="store_true", help="serve on a new pseudo-terminal")
    where.add_argument("--tcp", type=int, metavar="PORT", help="serve on 127.0.0.1:PORT (0: any)")
    parser.add_argument("--once", action="store_true", help="TCP: stop after one connection")
    args = parser.parse_args(argv)
    try:
        chip = socket_chip(get_chip(args.part), args.state)
    except RomtoolError as exc:
        print(f"romtool: error: {exc}", file=sys.stderr)
        return exc.exit_status
    server = Server(chip, args.state, once=args.once)
    if args.pty:
        server.open_pty()
    else:
        server.listen_tcp("127.0.0.1", args.tcp)
    serve_until_signalled(server, lambda: print(server.spec, flush=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
