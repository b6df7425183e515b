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
import os
import select
import signal
import socket
import sys
import time
import tty
from collections.abc import Callable
from pathlib import Path

from romtool.chips import get_chip
from romtool.errors import RomtoolError
from romtool.fileio import write_atomic
from romtool.programmers.sim.chips import ChipModel, model_for
from romtool.programmers.sim.clock import VirtualClock
from romtool.programmers.sim.romprog.device import RomprogDevice
from romtool.programmers.sim.simprog import load_state

POLL_S = 0.2
"""How often the serving loop checks for a stop request while idle."""
READ_CHUNK = 65536


class Server:
    """A board plus its chip, fed from a file descriptor or socket."""

    def __init__(self, chip: ChipModel, state: Path | None) -> None:
        self.chip = chip
        self.state = state
        self.device = RomprogDevice(chip)
        self.t0 = time.monotonic()
        self.stop = False

    def now_us(self) -> float:
        # The board's clock never runs behind real time (it may run ahead: modeled busy time).
        return max(self.chip.clock.now_us(), (time.monotonic() - self.t0) * 1e6)

    def feed(self, data: bytes, send: Callable[[bytes], None]) -> None:
        self.device.output = lambda out, _t: send(out)
        self.device.receive(data, self.now_us())

    def save(self) -> None:
        if self.state is not None:
            write_atomic(self.state, self.chip.snapshot(), force=True)

    def serve_pty(self) -> None:
        master, slave = os.openpty()
        tty.setraw(master)
        print(f"romprog:{os.ttyname(slave)}", flush=True)

        def send(out: bytes) -> None:
            view = memoryview(out)
            while view:
                n = os.write(master, view)
                view = view[n:]

        try:
            while not self.stop:
                ready, _, _ = select.select([master], [], [], POLL_S)
                if not ready:
                    continue
                try:
                    data = os.read(master, READ_CHUNK)
                except OSError:
                    continue  # no client has the slave open right now
                if data:
                    self.feed(data, send)
        finally:
            os.close(master)
            os.close(slave)

    def serve_tcp(self, port: int, *, once: bool) -> None:
        with socket.create_server(("127.0.0.1", port)) as server:
            server.settimeout(POLL_S)
            print(f"romprog:socket://127.0.0.1:{server.getsockname()[1]}", flush=True)
            while not self.stop:
                try:
                    conn, _ = server.accept()
                except TimeoutError:
                    continue
                with conn:
                    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    conn.settimeout(POLL_S)
                    self.device = RomprogDevice(self.chip)
                    while not self.stop:
                        try:
                            data = conn.recv(READ_CHUNK)
                        except TimeoutError:
                            continue
                        except OSError:
                            break
                        if not data:
                            break
                        self.feed(data, conn.sendall)
                self.save()
                if once:
                    return


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
        spec = get_chip(args.part)
        initial = load_state(args.state, spec) if args.state else None
    except RomtoolError as exc:
        print(f"romtool: error: {exc}", file=sys.stderr)
        return exc.exit_status
    server = Server(model_for(spec, clock=VirtualClock(), data=initial), args.state)

    def stop(_signum: int, _frame: object) -> None:
        server.stop = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        if args.pty:
            server.serve_pty()
        else:
            server.serve_tcp(args.tcp, once=args.once)
    finally:
        server.save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
