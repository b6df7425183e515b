"""The host side of serprog: synchronisation, the init queries and one command chokepoint.

:class:`SerprogClient` owns the byte link. Every command goes through :meth:`SerprogClient.
command` (answered commands) or :meth:`SerprogClient.stream` (operation-buffer commands):

* a command the device's map does not list is refused before anything is sent;
* streamed commands are written without waiting for their ACKs; the unacknowledged bytes are
  counted and drained before they could exceed the device's serial buffer (Q_SERBUF), so a
  UART without flow control never overflows;
* an answered command first drains the ACKs of everything streamed before it (they come back
  in order), then reads its own answer of known length;
* a NAK or a missing answer becomes an error naming the command and its address.

Serprog has no checksums, so there is nothing to retry at the frame level: a lost or damaged
byte shows up as a NAK, a timeout or a wrong answer length, and the operation fails with the
address. Verification (on by default in ``ops``) is what catches a silently wrong byte.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from romtool.errors import DeviceTimeout, ProtocolError, TransportError
from romtool.programmers.serprog.protocol import (
    ACK,
    ANSWER,
    INTERFACE_VERSION,
    MAX_24BIT,
    NAK,
    PARALLEL_REQUIRED,
    PRE_CMDMAP,
    BusType,
    Cmd,
    decode_cmdmap,
    le,
    max_len,
    u24,
)
from romtool.programmers.transports.serial import ByteLink
from romtool.settings import Settings
from romtool.timeout import scaled_timeout

DEFAULT_SERBUF = 16
"""Serial buffer assumed when the device does not answer Q_SERBUF (flashrom's default)."""
DEFAULT_OPBUF = 300
"""Operation buffer assumed when the device does not answer Q_OPBUF (flashrom's default)."""
SYNC_NOPS = 8
"""NOPs sent before synchronising: each completes a parameter a half-sent command waits for."""
SYNC_TRIES = 8
"""SYNCNOP attempts before giving up (flashrom tries 8 times)."""
SYNC_ANSWER_S = 0.5
"""How long one SYNCNOP may take to come back as NAK ACK (flashrom: 500 ms for the check)."""
SETTLE_S = 0.05
"""Quiet time after the NOPs so their ACKs (and any boot banner) can be flushed."""
PIN_STATE_ON = 1
"""S_PIN_STATE argument enabling the bus drivers (0 turns them off at close)."""


@dataclass(frozen=True)
class DeviceInfo:
    """What the init queries found.

    Attributes:
        name: Q_PGMNAME (empty when not supported).
        commands: opcodes in the command map.
        buses: Q_BUSTYPE.
        serbuf: serial buffer bytes the host may have in flight.
        opbuf: operation-buffer bytes.
        wrnmaxlen: longest O_WRITEN (1 when O_WRITEN is missing: single-byte writes only).
        rdnmaxlen: longest R_NBYTES.
        address_lines: Q_CHIPSIZE (None when not supported).
    """

    name: str
    commands: frozenset[int]
    buses: BusType
    serbuf: int
    opbuf: int
    wrnmaxlen: int
    rdnmaxlen: int
    address_lines: int | None

    def has(self, cmd: Cmd) -> bool:
        return int(cmd) in self.commands

    @property
    def max_chip(self) -> int | None:
        """Largest chip the address lines reach, in bytes (None: not reported)."""
        return None if self.address_lines is None else 1 << self.address_lines


class WriteStreamError(ProtocolError):
    """An operation-buffer command (a write, a delay, O_EXEC) was refused, garbled or not
    acknowledged. Unlike a failed read it is not retried: the device's parser may have been
    out of step, and nothing tells which cycles it ran."""


class SerprogClient:
    """One serprog device on a byte link.

    Args:
        link: the port (pyserial, a TCP socket URL, or the in-process simulator).
        settings: timeouts.
        trace: receives one line per command sent and answer read.
    """

    def __init__(
        self,
        link: ByteLink,
        settings: Settings | None = None,
        trace: Callable[[str], None] | None = None,
    ) -> None:
        self.link = link
        self.settings = settings or Settings()
        self.trace = trace
        self.info: DeviceInfo | None = None
        self._commands: frozenset[int] | None = None
        self._rx = bytearray()
        self._out = bytearray()
        self._out_what = ""
        self._unacked: deque[tuple[str, int, float]] = deque()
        self._unacked_bytes = 0
        self._serbuf = DEFAULT_SERBUF
        self.stats_commands = 0

    # --- low level ---------------------------------------------------------------------------

    def _log(self, text: str) -> None:
        if self.trace is not None:
            self.trace(f"{self.link.now():12.6f} {text}")

    def _send(self, cmd: Cmd, params: bytes, what: str) -> None:
        if self._commands is not None and int(cmd) not in self._commands:
            raise ProtocolError(
                f"the device does not implement {cmd.name}", op=what, hint=self._name_hint()
            )
        if self._commands is None and cmd not in PRE_CMDMAP and cmd is not Cmd.Q_CMDMAP:
            raise ProtocolError(f"{cmd.name} sent before the command map is known", op=what)
        self._log(f"> {cmd.name} {params[:16].hex()}{'...' if len(params) > 16 else ''}")
        self.stats_commands += 1
        self._out.append(cmd)
        self._out += params
        self._out_what = what

    def _flush_out(self) -> None:
        """Write the commands collected since the last read in one go (one write per round
        trip: fewer USB packets, and no Nagle delay on TCP links)."""
        if not self._out:
            return
        data = bytes(self._out)
        self._out.clear()
        try:
            self.link.write(data)
        except OSError as exc:
            raise TransportError(f"serprog link lost: {exc}", op=self._out_what) from None

    def _name_hint(self) -> str | None:
        if self.info is not None and self.info.name:
            return f"the programmer calls itself {self.info.name!r}"
        return None

    def _read_exact(self, n: int, timeout_s: float, what: str) -> bytes:
        self._flush_out()
        deadline = self.link.now() + timeout_s
        while len(self._rx) < n:
            left = deadline - self.link.now()
            if left <= 0:
                got = len(self._rx)
                raise DeviceTimeout(
                    f"no answer from the serprog device ({got} of {n} bytes)",
                    op=what,
                    hint="check the port, the baud rate and that the board runs serprog firmware",
                )
            try:
                self._rx += self.link.read_some(left)
            except OSError as exc:
                raise TransportError(f"serprog link lost: {exc}", op=what) from None
        out = bytes(self._rx[:n])
        del self._rx[:n]
        return out

    def _timeout(self, nbytes: int = 0, extra_us: float = 0.0) -> float:
        t = self.settings.timeouts
        return scaled_timeout(t.command_s, t.per_byte_s, nbytes) + extra_us / 1e6

    def _expect_ack(self, what: str, timeout_s: float) -> None:
        first = self._read_exact(1, timeout_s, what)[0]
        if first == NAK:
            raise ProtocolError("the serprog device refused the command (NAK)", op=what)
        if first != ACK:
            raise ProtocolError(
                "bad answer from the serprog device",
                op=what,
                expected="ACK (0x06)",
                actual=f"0x{first:02X}",
                hint="line noise or a wrong baud rate; the link is out of step",
            )

    # --- the chokepoints ---------------------------------------------------------------------

    def drain(self) -> None:
        """Read the ACKs of every streamed command, in order.

        Raises:
            WriteStreamError: one of them was refused, garbled or lost; the message names it.
        """
        self._drain_to(0)

    def _drain_to(self, limit: int) -> None:
        """Read ACKs, oldest first, until at most ``limit`` streamed bytes are unacknowledged.

        Raises:
            WriteStreamError: as :meth:`drain`.
        """
        while self._unacked and self._unacked_bytes > limit:
            what, size, extra_us = self._unacked.popleft()
            self._unacked_bytes -= size
            try:
                self._expect_ack(what, self._timeout(size, extra_us))
            except (ProtocolError, DeviceTimeout) as exc:
                raise WriteStreamError(
                    exc.message,
                    op=what,
                    hint="the device may have run damaged write commands: check the cable, "
                    "then write again and verify the whole chip",
                ) from None

    def stream(self, cmd: Cmd, params: bytes, what: str, extra_us: float = 0.0) -> None:
        """Send ``cmd`` without waiting for its ACK (operation-buffer commands, O_EXEC).

        ``extra_us`` is device time the command may take before its ACK (O_EXEC running
        delays), so draining its ACK waits long enough. When the device's serial buffer could
        overflow, only the oldest ACKs are collected, just enough to make room (a sliding
        window: an ACK means the device has taken the command out of its buffer), so the
        host keeps sending while the device works.
        """
        size = 1 + len(params)
        if self._unacked and self._unacked_bytes + size > self._serbuf:
            self._drain_to(max(0, self._serbuf - size))
        self._send(cmd, params, what)
        self._unacked.append((what, size, extra_us))
        self._unacked_bytes += size

    def command(
        self, cmd: Cmd, params: bytes = b"", what: str | None = None, answer: int | None = None
    ) -> bytes:
        """Send ``cmd`` and return its answer (without the ACK).

        Raises:
            ProtocolError: NAK, or a command the device does not implement.
            DeviceTimeout: the answer did not come.
        """
        label = what or cmd.name
        size = 1 + len(params)
        if self._unacked and self._unacked_bytes + size > self._serbuf:
            self.drain()
        self._send(cmd, params, label)
        self.drain()
        n = ANSWER.get(cmd, 0) if answer is None else answer
        self._expect_ack(label, self._timeout(n))
        data = self._read_exact(n, self._timeout(n), label) if n else b""
        if n:
            self._log(f"< {cmd.name} {data[:16].hex()}{'...' if n > 16 else ''}")
        return data

    # --- session -----------------------------------------------------------------------------

    def sync(self) -> None:
        """Bring the device's parser in step (SYNCNOP must answer NAK then ACK).

        Raises:
            ProtocolError: no serprog answer after :data:`SYNC_TRIES` attempts.
        """
        self._raw_write(bytes([Cmd.NOP]) * SYNC_NOPS)
        self.link.sleep(SETTLE_S)
        self._drop_input()
        for _ in range(SYNC_TRIES):
            self._raw_write(bytes([Cmd.SYNCNOP]))
            if self._await_nak_ack(SYNC_ANSWER_S):
                # A second SYNCNOP must answer exactly NAK ACK: nothing stale in between.
                self._drop_input()
                self._raw_write(bytes([Cmd.SYNCNOP]))
                try:
                    pair = self._read_exact(2, SYNC_ANSWER_S, "sync")
                except DeviceTimeout:
                    continue
                if pair == bytes([NAK, ACK]):
                    self._log("synchronised")
                    return
        raise ProtocolError(
            "no serprog device answers (SYNCNOP never came back as NAK ACK)",
            op="sync",
            hint="is it a serprog firmware, on this port, at this baud rate?",
        )

    def _raw_write(self, data: bytes) -> None:
        try:
            self.link.write(data)
        except OSError as exc:
            raise TransportError(f"serprog link lost: {exc}", op="sync") from None

    def _drop_input(self) -> None:
        self._rx.clear()
        try:
            self.link.flush_input()
        except OSError as exc:
            raise TransportError(f"serprog link lost: {exc}", op="sync") from None

    def _await_nak_ack(self, timeout_s: float) -> bool:
        deadline = self.link.now() + timeout_s
        seen = bytearray()
        while self.link.now() < deadline:
            try:
                seen += self.link.read_some(max(0.0, deadline - self.link.now()))
            except OSError as exc:
                raise TransportError(f"serprog link lost: {exc}", op="sync") from None
            if bytes([NAK, ACK]) in seen:
                return True
        return False

    def init(self) -> DeviceInfo:
        """Query the device and switch it to the parallel bus (flashrom's init order).

        Raises:
            ProtocolError: wrong interface version, no parallel bus, or a required command
                missing from the map.
        """
        iface = le(self.command(Cmd.Q_IFACE))
        if iface != INTERFACE_VERSION:
            raise ProtocolError(
                "unsupported serprog interface version",
                op="init",
                expected=str(INTERFACE_VERSION),
                actual=str(iface),
            )
        self._commands = decode_cmdmap(self.command(Cmd.Q_CMDMAP))
        has = self._commands.__contains__
        name = ""
        if has(Cmd.Q_PGMNAME):
            name = self.command(Cmd.Q_PGMNAME).split(b"\0", 1)[0].decode("ascii", "replace")
        buses = BusType(self.command(Cmd.Q_BUSTYPE)[0] & 0x0F) if has(Cmd.Q_BUSTYPE) else None
        if buses is not None and not buses & BusType.PARALLEL:
            raise ProtocolError(
                f"serprog device {name!r} has no parallel bus (it offers {_buses(buses)})",
                op="init",
                hint="romtool drives 28C/29C/39SF/29F parts, which need a parallel-bus board",
            )
        missing = [c.name for c in PARALLEL_REQUIRED if not has(c)]
        if missing:
            raise ProtocolError(
                f"serprog device {name!r} lacks parallel-bus commands: {', '.join(missing)}",
                op="init",
            )
        if has(Cmd.S_BUSTYPE):
            self.command(Cmd.S_BUSTYPE, bytes([BusType.PARALLEL]), "select the parallel bus")
        serbuf = le(self.command(Cmd.Q_SERBUF)) if has(Cmd.Q_SERBUF) else DEFAULT_SERBUF
        self._serbuf = max(serbuf, 1)
        opbuf = le(self.command(Cmd.Q_OPBUF)) if has(Cmd.Q_OPBUF) else DEFAULT_OPBUF
        wrn = max_len(le(self.command(Cmd.Q_WRNMAXLEN))) if has(Cmd.Q_WRNMAXLEN) else 1
        if not has(Cmd.O_WRITEN):
            wrn = 1
        rdn = max_len(le(self.command(Cmd.Q_RDNMAXLEN))) if has(Cmd.Q_RDNMAXLEN) else MAX_24BIT
        lines = self.command(Cmd.Q_CHIPSIZE)[0] if has(Cmd.Q_CHIPSIZE) else None
        self.command(Cmd.O_INIT, what="clear the operation buffer")
        if has(Cmd.S_PIN_STATE):
            self.command(Cmd.S_PIN_STATE, bytes([PIN_STATE_ON]), "enable the bus drivers")
        self.info = DeviceInfo(
            name,
            self._commands,
            buses if buses is not None else BusType.PARALLEL,
            self._serbuf,
            opbuf,
            wrn,
            rdn,
            lines,
        )
        return self.info

    def resync(self) -> None:
        """Recover after a lost or damaged answer: forget what was in flight, synchronise
        again and clear the operation buffer.

        Writes that were buffered and not yet executed are dropped; the algorithms read back
        what they program, so a dropped write shows up as a byte to program again.
        """
        self._log("resync")
        self._out.clear()
        self._unacked.clear()
        self._unacked_bytes = 0
        self.sync()
        self.command(Cmd.O_INIT, what="clear the operation buffer")

    def shutdown(self) -> None:
        """Collect outstanding ACKs and turn the bus drivers off (errors are not raised)."""
        try:
            self.drain()
            if self._commands is not None and int(Cmd.S_PIN_STATE) in self._commands:
                self.command(Cmd.S_PIN_STATE, b"\0", "disable the bus drivers")
        except (ProtocolError, DeviceTimeout, TransportError, OSError):
            pass

    # --- bus helpers -------------------------------------------------------------------------

    def read_byte(self, address: int) -> int:
        return self.command(Cmd.R_BYTE, u24(address), f"read at 0x{address:X}")[0]

    def read_n(self, address: int, length: int) -> bytes:
        return self.command(
            Cmd.R_NBYTES, u24(address) + u24(length), f"read at 0x{address:X}", answer=length
        )


def _buses(buses: BusType) -> str:
    names = [b.name.lower() for b in BusType if b & buses and b.name]
    return ", ".join(names) or "no bus"


def delay_chunks(us: float) -> list[int]:
    """An O_DELAY argument list covering ``us`` µs (rounded up; u32 each)."""
    total = max(0, math.ceil(us))
    limit = 0xFFFF_FFFF
    out = []
    while total > limit:
        out.append(limit)
        total -= limit
    if total:
        out.append(total)
    return out
