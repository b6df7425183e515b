"""TommyPROM's terminal, scripted: command lines, the prompt, status lines and XMODEM.

TommyPROM is made for a human at a terminal: it prints ``"\\n>"``, echoes what is typed and
ends a line on CR or LF. :class:`Terminal` is the one chokepoint that talks to it:

* :meth:`Terminal.run` sends one command line (ending in CR only: a CR LF pair would be two
  lines, and the empty second one prints the whole help text) and returns the text the sketch
  printed before its next prompt, without the echo;
* :meth:`Terminal.receive` (``R``) and :meth:`Terminal.send` (``W``) run the XMODEM transfers
  that follow those commands;
* status lines (``"INFO: ..."``, ``"ERROR: ...  label=value"``) are parsed into
  :class:`Status`, and an ``ERROR`` becomes an exception naming the command.

XMODEM swallows the sketch's messages, so after a failed transfer the reason is read from the
status line the sketch prints when it returns to its prompt.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from romtool.errors import DeviceError, DeviceTimeout, ProtocolError, TransportError
from romtool.programmers.tommyprom import xmodem
from romtool.programmers.tommyprom.xmodem import PACKET, Ctl, PacketError
from romtool.programmers.transports.serial import ByteLink
from romtool.settings import Settings
from romtool.timeout import scaled_timeout

PROMPT = b"\n>"
"""What the sketch prints when it waits for a command."""
EOL = b"\r"
"""Line end the host sends."""
ECHO_END = b"\r\r\n"
"""How the echo of a command line ends: the CR sent, then the sketch's own CR LF."""
BOOT_S = 2.5
"""An Arduino resets when the port opens (DTR) and its bootloader waits before the sketch
starts: give it this long to print its first prompt."""
START_WAIT_S = 10.0
"""How long W may take to send its start character: the sketch waits 2 s, then repeats it
every 3 s; 10 s covers the first two."""
ACK_WAIT_S = 5.0
"""XMODEM: the longest wait for one ACK or packet (TommyPROM's own per-packet limit)."""
QUIET_S = 3.5
"""After an aborted transfer the sketch eats input until the line is quiet for 3 s, then
prints its status and prompt."""
PACKET_RETRIES = 3
"""Resends of one packet answered with NAK."""
BANNER = re.compile(r"TommyPROM\s+(?P<version>[\w.]+)\s+-\s+(?P<name>[^\r\n]*)")
STATUS = re.compile(r"^(?P<level>INFO|ERROR): (?P<text>.*?)((?:  \w[\w ]*=\S+)*)\s*$", re.M)
VALUE = re.compile(r"  (?P<label>\w[\w ]*)=(?P<value>\S+)")


@dataclass(frozen=True)
class Status:
    """A status line: level, message and ``label=value`` pairs (hex values as ints)."""

    level: str
    message: str
    values: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.level != "ERROR"


def parse_status(text: str) -> Status | None:
    """The last status line in ``text``, or None."""
    found = list(STATUS.finditer(text))
    if not found:
        return None
    m = found[-1]
    values: dict[str, int] = {}
    for v in VALUE.finditer(m.group(0)):
        raw = v.group("value")
        try:
            values[v.group("label")] = int(raw, 16) if raw.lower().startswith("0x") else int(raw)
        except ValueError:
            continue
    return Status(m.group("level"), m.group("text").strip(), values)


@dataclass(frozen=True)
class Banner:
    """What the help text says about the sketch."""

    version: str
    name: str


class Terminal:
    """A TommyPROM on a byte link.

    Args:
        link: the port.
        settings: timeouts.
        trace: receives each line sent and a summary of each answer.
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
        self._rx = bytearray()
        self.packets_resent = 0

    # --- bytes -------------------------------------------------------------------------------

    def _log(self, text: str) -> None:
        if self.trace is not None:
            self.trace(f"{self.link.now():12.6f} {text}")

    def _write(self, data: bytes, op: str) -> None:
        try:
            self.link.write(data)
        except OSError as exc:
            raise TransportError(f"TommyPROM link lost: {exc}", op=op) from None

    def _fill(self, timeout_s: float, op: str) -> bool:
        try:
            got = self.link.read_some(max(0.0, timeout_s))
        except OSError as exc:
            raise TransportError(f"TommyPROM link lost: {exc}", op=op) from None
        self._rx += got
        return bool(got)

    def _take(self, n: int, timeout_s: float, op: str) -> bytes:
        deadline = self.link.now() + timeout_s
        while len(self._rx) < n:
            if not self._fill(deadline - self.link.now(), op) and self.link.now() >= deadline:
                raise DeviceTimeout(
                    f"TommyPROM stopped answering ({len(self._rx)} of {n} bytes)", op=op
                )
        out = bytes(self._rx[:n])
        del self._rx[:n]
        return out

    def _until(self, marker: bytes, timeout_s: float, op: str) -> bytes:
        deadline = self.link.now() + timeout_s
        while True:
            idx = self._rx.find(marker)
            if idx >= 0:
                out = bytes(self._rx[: idx + len(marker)])
                del self._rx[: idx + len(marker)]
                return out
            if not self._fill(deadline - self.link.now(), op) and self.link.now() >= deadline:
                raise DeviceTimeout(
                    "no prompt from TommyPROM",
                    op=op,
                    hint="is it a TommyPROM sketch at 115200 baud on this port?",
                )

    def _drop_input(self) -> None:
        self._rx.clear()
        try:
            self.link.flush_input()
        except OSError as exc:
            raise TransportError(f"TommyPROM link lost: {exc}", op="flush") from None

    def _timeout(self, nbytes: int = 0) -> float:
        t = self.settings.timeouts
        return scaled_timeout(t.command_s, t.per_byte_s, nbytes)

    # --- lines -------------------------------------------------------------------------------

    def hello(self) -> Banner:
        """Wait for the sketch, send an empty line and read the banner from the help text.

        Raises:
            ProtocolError: the answer is not TommyPROM's.
            DeviceTimeout: nothing answers.
        """
        self.link.sleep(0.0)
        self._drop_input()
        text = ""
        for wait in (BOOT_S, self._timeout()):
            self._write(EOL, "hello")
            try:
                text = self._until(PROMPT, wait, "hello").decode("latin-1")
            except DeviceTimeout:
                continue
            if BANNER.search(text):
                break
            # The first prompt may have been the boot prompt: ask once more.
        m = BANNER.search(text)
        if m is None:
            raise ProtocolError(
                "no TommyPROM banner on this port",
                op="hello",
                hint="is it a TommyPROM sketch at 115200 baud on this port?",
            )
        self._drop_input()
        return Banner(m.group("version"), m.group("name").strip())

    def _send_line(self, line: str, op: str, *, transfer: bool = False) -> None:
        """Send a command line and check the sketch's echo of it.

        The sketch runs a line as soon as it sees the CR, so a line damaged on the way (line
        noise) has already run when its echo shows it. The error then says what the sketch
        received; a transfer it started (R, W) is cancelled first, so nothing is written.

        Raises:
            DeviceError: the echo differs from the line sent.
        """
        self._drop_input()
        self._log(f"> {line}")
        data = line.encode("ascii") + EOL
        self._write(data, op)
        # The echo: the line, the CR, then the sketch's CR LF.
        echo = self._until(ECHO_END, self._timeout(len(data)), op)
        if echo == data + b"\r\n":
            return
        got = echo[: -len(ECHO_END)].decode("latin-1")
        if transfer:
            self._write(bytes([Ctl.CAN]), op)
        with contextlib.suppress(DeviceTimeout):
            self._until(PROMPT, QUIET_S + self._timeout(), op)
        raise DeviceError(
            f"line noise: TommyPROM received {got!r} instead of {line!r}",
            op=op,
            hint="check the cable and the baud rate; read the chip back before trusting it",
        )

    def run(self, line: str, *, timeout_s: float | None = None) -> str:
        """Run one command line; return what it printed (without echo and prompt).

        Raises:
            DeviceError: the command ended with an ERROR status.
        """
        op = f"command {line!r}"
        self._send_line(line, op)
        raw = self._until(PROMPT, timeout_s or self._timeout(), op)
        text = raw[: -len(PROMPT)].decode("latin-1")
        self._log(f"< {text.strip()[:60]!r}")
        status = parse_status(text)
        if status is not None and not status.ok:
            raise _error(status, op)
        return text

    # --- XMODEM --------------------------------------------------------------------------

    def receive(self, start: int, end: int, progress: Callable[[int], None] | None = None) -> bytes:
        """``R start end``: receive the bytes of ``start..end`` (inclusive) via XMODEM-CRC.

        Raises:
            ProtocolError: a damaged packet (the transfer is cancelled; retry the read).
            DeviceTimeout: the sketch stopped sending.
        """
        op = f"read 0x{start:X}-0x{end:X}"
        self._send_line(f"R{start:x} {end:x}", op, transfer=True)
        crc = True
        self._write(bytes([Ctl.CRC]), op)
        out = bytearray()
        seq = 1
        want = end - start + 1
        while True:
            head = self._take(1, ACK_WAIT_S + self._timeout(PACKET), op)[0]
            if head == Ctl.EOT:
                self._write(bytes([Ctl.ACK]), op)
                break
            if head != Ctl.SOH:
                self._cancel(op)
                raise ProtocolError(
                    "unexpected byte in the XMODEM stream",
                    op=op,
                    expected="SOH or EOT",
                    actual=f"0x{head:02X}",
                )
            raw = bytes([head]) + self._take(xmodem.packet_size(crc) - 1, ACK_WAIT_S, op)
            try:
                packet = xmodem.decode(raw, crc=crc)
            except PacketError as exc:
                self._cancel(op)
                raise ProtocolError(
                    f"damaged XMODEM packet {seq}: {exc}", op=op, address=start + len(out)
                ) from None
            if packet.seq != seq & 0xFF:
                self._cancel(op)
                raise ProtocolError(
                    "XMODEM packets out of order",
                    op=op,
                    expected=str(seq & 0xFF),
                    actual=str(packet.seq),
                )
            out += packet.data
            seq += 1
            self._write(bytes([Ctl.ACK]), op)
            if progress is not None:
                progress(min(len(out), want))
        tail = self._until(PROMPT, self._timeout(), op).decode("latin-1")
        status = parse_status(tail)
        if status is not None and not status.ok:
            raise _error(status, op)
        if len(out) < want:
            raise ProtocolError(
                "the transfer ended early", op=op, expected=f"{want} bytes", actual=str(len(out))
            )
        return bytes(out[:want])

    def send(
        self,
        start: int,
        data: bytes,
        *,
        packet_timeout_s: float,
        on_packet: Callable[[int], None] | None = None,
    ) -> int:
        """``W start``: send ``data`` (a multiple of 128 bytes) for the sketch to burn.

        Args:
            start: chip address of the first byte.
            data: whole packets.
            packet_timeout_s: how long burning one packet may take before its ACK.
            on_packet: called with the bytes acknowledged (burned) so far.

        Returns:
            The byte count the sketch reported.

        Raises:
            DeviceError: the sketch aborted (its status line is in the message).
            DeviceTimeout: no start character or no ACK.
        """
        if len(data) % PACKET:
            raise ValueError("XMODEM sends whole 128-byte packets")
        op = f"write at 0x{start:X}"
        self._send_line(f"W{start:x}", op, transfer=True)
        first = self._take(1, START_WAIT_S, op)[0]
        if first not in (Ctl.NAK, Ctl.CRC):
            raise ProtocolError(
                "TommyPROM did not start the transfer",
                op=op,
                expected="NAK or 'C'",
                actual=f"0x{first:02X}",
            )
        crc = first == Ctl.CRC
        self._log(f"< start {'CRC' if crc else 'checksum'}")
        for index in range(len(data) // PACKET):
            chunk = data[index * PACKET : (index + 1) * PACKET]
            packet = xmodem.encode(index + 1, chunk, crc=crc)
            address = start + index * PACKET
            for attempt in range(PACKET_RETRIES + 1):
                self._write(packet, op)
                answer = self._take(1, packet_timeout_s + ACK_WAIT_S, op)[0]
                if answer == Ctl.ACK:
                    break
                if answer == Ctl.CAN:
                    self._after_abort(op, address)
                if attempt == PACKET_RETRIES:
                    self._write(bytes([Ctl.CAN]), op)
                    self._after_abort(op, address)
                self.packets_resent += 1
            if on_packet is not None:
                on_packet((index + 1) * PACKET)
        self._write(bytes([Ctl.EOT]), op)
        answer = self._take(1, ACK_WAIT_S, op)[0]
        if answer != Ctl.ACK:
            raise ProtocolError(
                "EOT not acknowledged", op=op, expected="ACK", actual=f"0x{answer:02X}"
            )
        tail = self._until(PROMPT, self._timeout(), op).decode("latin-1")
        status = parse_status(tail)
        if status is None:
            return len(data)
        if not status.ok:
            raise _error(status, op)
        return status.values.get("NumBytes", len(data))

    def _cancel(self, op: str) -> None:
        """Cancel a transfer and wait for the sketch's prompt."""
        self._write(bytes([Ctl.CAN]), op)
        with contextlib.suppress(DeviceTimeout):
            self._until(PROMPT, QUIET_S + self._timeout(), op)
        self.resync(op)

    def resync(self, op: str) -> None:
        """Bring the sketch back to an empty command line after a failed exchange.

        A CAN sent when the sketch had already left the transfer (its end of it failed
        first) lands in its command line; an empty line runs whatever is there as an
        unknown command, which only prints the menu.
        """
        self.link.sleep(0.0)
        self._drop_input()
        self._write(EOL, op)
        with contextlib.suppress(DeviceTimeout):
            self._until(PROMPT, QUIET_S + self._timeout(), op)
        self._drop_input()

    def _after_abort(self, op: str, address: int) -> None:
        """The sketch sent CAN: collect its status line and raise it."""
        text = self._until(PROMPT, QUIET_S + self._timeout(), op).decode("latin-1")
        status = parse_status(text)
        if status is not None and not status.ok:
            raise _error(status, op, address)
        raise DeviceError("TommyPROM cancelled the transfer", op=op, address=address)


def _error(status: Status, op: str, address: int | None = None) -> DeviceError:
    addr = status.values.get("address", status.values.get("addr", address))
    detail = "".join(f", {k} {v:#x}" for k, v in status.values.items() if k not in ("address",))
    return DeviceError(f"TommyPROM: {status.message}{detail}", op=op, address=addr)
