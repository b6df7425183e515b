"""Run the romprog C firmware's host build against a datasheet chip model.

The host build (``make -C firmware/romprog host``) is the real firmware with a HAL whose UART
is a pty and whose bus goes over a stream socket to this module. :class:`BusServer` answers
the firmware's pin-level messages (read and write cycles, program pulses, delays, VCC, VPP,
the VPP ADC) with a :class:`~romtool.programmers.sim.chips.base.ChipModel`, whose virtual
clock is the board's clock, exactly as :class:`~romtool.programmers.sim.romprog.device.
RomprogDevice` uses it.

Two ways to run it:

* :class:`FirmwareProcess` (real time): the firmware runs freely, a thread serves its bus,
  and the driver opens ``romprog:/dev/pts/N`` like any serial port.
* :class:`LockstepDevice`: the firmware takes part in a simulated link's virtual time. It has
  the :class:`RomprogDevice` interface (``receive``/``output``/``on_baud``), so
  :class:`~romtool.programmers.sim.romprog.port.SimPort` and the link model work unchanged,
  and modeled times compare one to one with the Python simulated board.

Wire format of the bus (firmware -> server): one opcode byte, then fixed little-endian
arguments (:data:`ARGS`); only reads, time and idle get an answer. See
``firmware/romprog/hal/host/hal_host.c`` for the other end.
"""

from __future__ import annotations

import contextlib
import os
import socket
import struct
import subprocess
import threading
import tty
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path

from romtool.errors import DeviceError
from romtool.programmers.sim.chips.base import ChipModel, PinError
from romtool.programmers.sim.serving import write_all

NS_PER_US = 1000.0
START_TIMEOUT_S = 10.0
"""How long the firmware may take to print its pty name (a cold start on a loaded machine)."""
STOP_TIMEOUT_S = 5.0
"""How long a stopped firmware process may take to exit before it is killed."""


class Op(IntEnum):
    """Bus message opcodes (hal_host.c ``enum bus_op``)."""

    READ = ord("r")
    BLOCK = ord("b")
    WRITE = ord("w")
    PULSE = ord("p")
    DELAY = ord("d")
    VCC = ord("c")
    VPP = ord("v")
    MEASURE = ord("m")
    SIGNATURE = ord("s")
    OVERCURRENT = ord("o")
    SETUP = ord("k")
    TIME = ord("t")
    TX = ord("x")
    RX = ord("a")
    IDLE = ord("i")
    BAUD = ord("u")
    UV = ord("U")


ARGS: dict[int, struct.Struct] = {
    Op.READ: struct.Struct("<I"),
    Op.BLOCK: struct.Struct("<IHH"),
    Op.WRITE: struct.Struct("<IB"),
    Op.PULSE: struct.Struct("<IBI"),
    Op.DELAY: struct.Struct("<I"),
    Op.VCC: struct.Struct("<H"),
    Op.VPP: struct.Struct("<H"),
    Op.MEASURE: struct.Struct(""),
    Op.SIGNATURE: struct.Struct("<I"),
    Op.OVERCURRENT: struct.Struct(""),
    Op.SETUP: struct.Struct("<BIBB"),
    Op.TIME: struct.Struct(""),
    Op.TX: struct.Struct("<H"),
    Op.RX: struct.Struct("<HH"),
    Op.IDLE: struct.Struct(""),
    Op.BAUD: struct.Struct("<I"),
    Op.UV: struct.Struct("<H"),
}
"""Argument layout per opcode (after the opcode byte)."""


@dataclass
class SocketSetup:
    """What the firmware told the socket in its last ``hal_socket_setup``."""

    pins: int
    size: int
    algorithm: int
    flags: int


@dataclass
class BoardFaults:
    """Faults of the simulated shield (not of the chip).

    Attributes:
        vpp_offset_mv: added to the VPP the ADC reports (a regulator out of calibration).
        overcurrent: rail (1 VPP, 2 VCC) whose current limit trips at the next check; the
            server reports it once and clears it.
    """

    vpp_offset_mv: int = 0
    overcurrent: int = 0


@dataclass
class BusLog:
    """What the firmware did on the bus (tests look at it)."""

    vpp_history: list[int | None] = field(default_factory=list)
    vcc_history: list[int] = field(default_factory=list)
    setups: list[SocketSetup] = field(default_factory=list)
    pin_errors: list[str] = field(default_factory=list)


class BusServer:
    """Answers one firmware process's bus messages with ``chip``.

    Args:
        sock: the server's end of the bus socket.
        chip: the chip in the socket (its clock is the board's clock).
        faults: shield faults to inject.
    """

    def __init__(self, sock: socket.socket, chip: ChipModel, faults: BoardFaults | None = None):
        self.sock = sock
        self.chip = chip
        self.clock = chip.clock
        self.faults = faults or BoardFaults()
        self.log = BusLog()
        self._buf = bytearray()
        self._pos = 0
        self.on_tx: Callable[[int], None] | None = None
        """Lockstep: the firmware sends ``n`` pty bytes now."""
        self.on_rx: Callable[[int, float], None] | None = None
        """Lockstep: the firmware took ``n`` pty bytes, each costing ``cpu_us``."""
        self.on_baud: Callable[[int], None] | None = None

    # --- socket ------------------------------------------------------------------------------

    def _fill(self, need: int) -> bool:
        while len(self._buf) - self._pos < need:
            if self._pos:
                del self._buf[: self._pos]
                self._pos = 0
            try:
                data = self.sock.recv(65536)
            except OSError:
                return False
            if not data:
                return False
            self._buf += data
        return True

    def _take(self, n: int) -> bytes:
        out = bytes(self._buf[self._pos : self._pos + n])
        self._pos += n
        return out

    def _reply(self, data: bytes) -> None:
        self.sock.sendall(data)

    # --- serving -----------------------------------------------------------------------------

    def serve(self, *, until_idle: bool = False) -> bool:
        """Handle messages until the firmware goes idle (``until_idle``) or the socket closes.

        Returns:
            True when the firmware said it is idle; False when the socket closed.

        Raises:
            DeviceError: the firmware sent an opcode this server does not know.
        """
        chip = self.chip
        while True:
            if not self._fill(1):
                return False
            op = self._buf[self._pos]
            self._pos += 1
            spec = ARGS.get(op)
            if spec is None:
                raise DeviceError(f"firmware bus: unknown opcode 0x{op:02X}", op="bus")
            if spec.size and not self._fill(spec.size):
                return False
            args = spec.unpack_from(self._buf, self._pos)
            self._pos += spec.size
            if op == Op.READ:
                self._reply(bytes([chip.read(args[0])]))
            elif op == Op.BLOCK:
                addr, n, cpu_ns = args
                data = bytes(chip.read(addr + i) for i in range(n))
                chip.idle(n * cpu_ns / NS_PER_US)
                self._reply(data)
            elif op == Op.WRITE:
                chip.write(args[0], args[1])
            elif op == Op.PULSE:
                try:
                    chip.program_pulse(args[0], args[1], float(args[2]))
                except PinError as exc:
                    self.log.pin_errors.append(str(exc))
            elif op == Op.DELAY:
                chip.idle(args[0] / NS_PER_US)
            elif op == Op.VCC:
                chip.set_vcc(args[0])
                self.log.vcc_history.append(args[0])
            elif op == Op.VPP:
                chip.set_vpp(args[0] or None)
                self.log.vpp_history.append(args[0] or None)
            elif op == Op.MEASURE:
                mv = chip.vpp_mv + self.faults.vpp_offset_mv if chip.vpp_mv else 0
                self._reply(struct.pack("<H", max(0, min(mv, 0xFFFF))))
            elif op == Op.SIGNATURE:
                self._reply(bytes([chip.read_signature(args[0])]))
            elif op == Op.OVERCURRENT:
                rail, self.faults.overcurrent = self.faults.overcurrent, 0
                self._reply(bytes([rail]))
            elif op == Op.SETUP:
                self.log.setups.append(SocketSetup(*args))
            elif op == Op.TIME:
                self._reply(struct.pack("<Q", int(self.clock.now_us() * NS_PER_US)))
            elif op == Op.TX:
                if self.on_tx is not None:
                    self.on_tx(args[0])
            elif op == Op.RX:
                if self.on_rx is not None:
                    self.on_rx(args[0], args[1] / NS_PER_US)
            elif op == Op.BAUD:
                if self.on_baud is not None:
                    self.on_baud(args[0])
            elif op == Op.UV:
                try:
                    chip.uv_erase(float(args[0]))
                    self._reply(b"\x01")
                except PinError:
                    self._reply(b"\x00")
            elif op == Op.IDLE and until_idle:
                return True


def _start(binary: Path, extra: list[str]) -> tuple[subprocess.Popen[bytes], str, socket.socket]:
    """Start the firmware with its bus on a new socket pair; return the process, its pty
    slave and our end of the bus."""
    ours, theirs = socket.socketpair()
    try:
        proc, port = _launch(binary, theirs, extra)
    except BaseException:
        ours.close()
        raise
    finally:
        theirs.close()
    return proc, port, ours


def _launch(
    binary: Path, sock: socket.socket, extra: list[str]
) -> tuple[subprocess.Popen[bytes], str]:
    """Start the firmware with its bus on ``sock``; return the process and the pty slave."""
    fd = sock.fileno()
    proc = subprocess.Popen(
        [str(binary), "--bus-fd", str(fd), *extra],
        pass_fds=(fd,),
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    ready: list[bytes] = []
    reader = threading.Thread(target=lambda: ready.append(proc.stdout.readline()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    reader.join(START_TIMEOUT_S)
    line = ready[0].decode(errors="replace").strip() if ready else ""
    if not line.startswith("PTY "):
        proc.kill()
        proc.wait()
        raise DeviceError(f"firmware host build did not start: {line or 'no answer'!r}")
    return proc, line[4:]


def _end(proc: subprocess.Popen[bytes]) -> None:
    """Terminate the host build, killing it if it does not end in time."""
    proc.terminate()
    try:
        proc.wait(STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class FirmwareProcess:
    """The host build running in real time; the driver talks to :attr:`port` (a pty).

    Args:
        binary: the host build (``romprog-host``).
        chip: the chip model in the socket.
        watchdog_ms: the firmware's host-silence watchdog.
        faults: shield faults.
    """

    def __init__(
        self,
        binary: Path,
        chip: ChipModel,
        *,
        watchdog_ms: int | None = None,
        faults: BoardFaults | None = None,
    ) -> None:
        extra = ["--watchdog-ms", str(watchdog_ms)] if watchdog_ms else []
        self.proc, self.port, ours = _start(binary, extra)
        self.server = BusServer(ours, chip, faults)
        self._sock = ours
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        # The process may die mid-message when it is stopped: that ends the serving, quietly.
        with contextlib.suppress(OSError):
            self.server.serve()

    def stop(self) -> None:
        """End the firmware process and the serving thread."""
        _end(self.proc)
        self._sock.close()
        self._thread.join(STOP_TIMEOUT_S)
        if self.proc.stdout is not None:
            self.proc.stdout.close()

    def __enter__(self) -> FirmwareProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class LockstepDevice:
    """The host build as a simulated board on a virtual-time link.

    Has the interface :class:`~romtool.programmers.sim.romprog.port.SimPort` expects of a
    device: :meth:`receive` takes bytes with their arrival times, and everything the firmware
    sends goes to :attr:`output` with the time it leaves the board.

    Args:
        binary: the host build.
        chip: the chip model (its clock is the board's clock).
        watchdog_ms: the firmware's host-silence watchdog.
        faults: shield faults.
    """

    def __init__(
        self,
        binary: Path,
        chip: ChipModel,
        *,
        watchdog_ms: int | None = None,
        faults: BoardFaults | None = None,
    ) -> None:
        self.chip = chip
        self.clock = chip.clock
        self.output: Callable[[bytes, float], None] = lambda data, t: None
        self.on_baud: Callable[[int], None] | None = None
        extra = ["--lockstep"] + (["--watchdog-ms", str(watchdog_ms)] if watchdog_ms else [])
        self.proc, self.port, ours = _start(binary, extra)
        self._sock = ours
        self.server = BusServer(ours, chip, faults)
        self.server.on_tx = self._tx
        self.server.on_rx = self._rx
        self.server.on_baud = self._baud
        self._tty = os.open(self.port, os.O_RDWR | os.O_NOCTTY)
        tty.setraw(self._tty)
        self._arrivals: deque[float] = deque()
        self._alive = self.server.serve(until_idle=True)

    # --- device interface --------------------------------------------------------------------

    def receive(self, data: bytes, t0_us: float, dt_us: float = 0.0) -> None:
        """Bytes from the host, byte ``i`` arriving at ``t0_us + i * dt_us``; the firmware
        runs until it has taken them all and is idle again."""
        if not data or not self._alive:
            return
        self._arrivals.extend(t0_us + i * dt_us for i in range(len(data)))
        write_all(self._tty, data)
        self._sock.sendall(struct.pack("<I", len(data)))
        self._alive = self.server.serve(until_idle=True)

    def _tx(self, n: int) -> None:
        out = bytearray()
        while len(out) < n:
            out += os.read(self._tty, n - len(out))
        self.output(bytes(out), self.clock.now_us())

    def _rx(self, n: int, cpu_us: float) -> None:
        clock = self.clock
        for _ in range(n):
            clock.advance_to(self._arrivals.popleft())
            clock.advance(cpu_us)
        self.chip.idle(0.0)

    def _baud(self, baud: int) -> None:
        if self.on_baud is not None:
            self.on_baud(baud)

    def stop(self) -> None:
        """End the firmware process."""
        _end(self.proc)
        os.close(self._tty)
        self._sock.close()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def main(argv: list[str] | None = None) -> int:
    """``python -m romtool.programmers.sim.busserver BINARY PART``: serve a chip to the host
    build and print the pty to open with ``romprog:PTY``; Ctrl-C ends it."""
    import argparse
    import signal
    import time

    from romtool.chips import get_chip
    from romtool.errors import RomtoolError
    from romtool.programmers.sim.chips import model_for
    from romtool.programmers.sim.clock import VirtualClock

    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("binary", type=Path, help="the host build (make -C firmware/romprog host)")
    ap.add_argument("part", help="chip in the simulated socket, e.g. 27C256")
    ap.add_argument("--watchdog-ms", type=int, default=None)
    args = ap.parse_args(argv)
    try:
        chip = model_for(get_chip(args.part), clock=VirtualClock())
        fw = FirmwareProcess(args.binary, chip, watchdog_ms=args.watchdog_ms)
    except RomtoolError as exc:
        print(f"busserver: {exc}")
        return 2
    print(f"romprog firmware (host build) with a {args.part}: -p romprog:{fw.port}", flush=True)

    def stop_on_signal(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    # SIGTERM (and SIGINT, which shells ignore for background jobs) end it cleanly.
    signal.signal(signal.SIGTERM, stop_on_signal)
    signal.signal(signal.SIGINT, stop_on_signal)
    try:
        while fw.proc.poll() is None:
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        fw.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
