"""A simulated TommyPROM: the Arduino sketch's terminal and XMODEM, over a datasheet chip model.

Written from TommyPROM's documentation and the behaviour described in our protocol notes (no
sketch code was taken). What the host sees:

* **Terminal.** 115200 8N1, no flow control. The sketch prints ``"\\n>"`` and reads a line,
  echoing every character (backspace edits); CR or LF ends it and is answered with CRLF. The
  first character is the command, then up to three hex fields (start, end, value; defaults
  0, 0xFF, 0). After the command's own output, a status line (``"INFO: ..."``, ``"ERROR:
  ..."`` with ``"  label=value"`` pairs) is printed when the command set one; ``/`` prints the
  status of the last command. Anything else prints the banner (``"TommyPROM 3.5 - NAME"``)
  and the command list.
* **Commands** modeled: B (blank check), C (16-bit sum of big-endian words), D (hex dump), E
  (erase a range: SST39SF sketches), F (fill), L/U (SDP lock/unlock: 28C sketches), P (poke up
  to 32 bytes and verify), R (send via XMODEM), W (receive via XMODEM and burn), Z (32-byte test
  pattern), I (debug info).
* **XMODEM receive (W).** The sketch waits 2 s, then sends its start character (NAK for the
  8-bit checksum, 'C' with the compile-time CRC option) every 3 s, 20 times. Each 128-byte
  packet is burned before it is ACKed; a repeat of the previous packet is ACKed again without
  burning; a bad checksum or sequence number aborts with CAN (no NAK retries); stray bytes
  between packets after the first are answered with NAK. After an abort the sketch eats input
  until the line has been quiet for 3 s.
* **XMODEM send (R).** Waits for the receiver's NAK (checksum) or 'C' (CRC-16), sends 128-byte
  packets (reading past ``end`` to fill the last one), each within 5 s of an ACK, then EOT.
* **Families** (compile-time in the real sketch, from the part here): 28C EEPROMs (64-byte
  block writes, data polling, no SDP prefix: a locked part must be unlocked with U first),
  SST39SF flash (AA/55/A0 byte program, 4 KiB sector erase with E) and read-only sketches
  (27-series and mask ROMs as far as romtool is concerned).

Time: every character on the line, every bus cycle (a 74HC595 address shift plus the strobe)
and every busy period runs on the chip model's virtual clock. Output is stamped with that time;
scheduled output (the XMODEM start characters) goes out from :meth:`TommyPromSketch.tick`.
"""

from __future__ import annotations

import binascii
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum, IntEnum

from romtool.programmers.sim.chips.base import ChipModel
from romtool.programmers.sim.tommyprom.prom import Family, PromDevice

VERSION = "3.5"
"""The sketch version the banner shows (the notes describe v2.5 and later; 3.x adds the
SST families)."""
LINE_MAX = 120
"""The sketch's command-line buffer."""
PACKET = 128
"""XMODEM data bytes per packet."""
CHAR_US = 2.0
"""Sketch time to handle one received character (echo, buffer) on a 16 MHz AVR (estimate)."""
START_DELAY_US = 2_000_000.0
"""W waits 2 s before its first start character."""
START_EVERY_US = 3_000_000.0
"""...then repeats it every 3 s..."""
START_TRIES = 20
"""...20 times (about 60 s) before giving up."""
QUIET_US = 3_000_000.0
"""After an abort, input is discarded until the line has been quiet this long."""
ACK_WAIT_US = 5_000_000.0
"""R: how long the sketch waits for the ACK of each packet."""
POKE_MAX = 32
"""P takes up to 32 data bytes."""
ZAP_PATTERN = (
    b"ABCDEFGH"
    + bytes([1, 2, 4, 8, 16, 32, 64, 128])
    + bytes([0x7F, 0xBF, 0xDF, 0xEF, 0xF7, 0xFB, 0xFD, 0xFE])
    + bytes([0x00, 0xFF, 0x55, 0xAA])
    + b"0123"
)
"""Z's test pattern: text, a walking 1, a walking 0, and mixed values."""


class Ctl(IntEnum):
    """XMODEM control characters (Christensen's protocol, and the CRC variant's 'C')."""

    SOH = 0x01
    EOT = 0x04
    ACK = 0x06
    NAK = 0x15
    CAN = 0x18
    ESC = 0x1B
    CRC = 0x43  # 'C'


class Mode(Enum):
    LINE = "line"
    RECEIVE = "receive"
    SEND = "send"
    QUIET = "quiet"


@dataclass(frozen=True)
class SketchConfig:
    """Compile-time choices of the sketch.

    Attributes:
        family: the PROM type (``None``: from the part in the socket).
        crc: XMODEM-CRC (the compile-time option) instead of the 8-bit checksum.
        debug_commands: I, S, T and Z are compiled in.
    """

    family: Family | None = None
    crc: bool = False
    debug_commands: bool = True


Output = Callable[[bytes, float], None]


class TommyPromSketch:
    """The sketch running on the Arduino, with ``chip`` in the socket.

    Args:
        chip: the part (its clock is the Arduino's clock).
        config: compile-time choices.
        output: where characters go (``output(data, t_us)``); set by the port or server.
    """

    def __init__(
        self, chip: ChipModel, config: SketchConfig | None = None, output: Output | None = None
    ) -> None:
        self.chip = chip
        self.config = config or SketchConfig()
        self.family = self.config.family or Family.for_part(chip.spec)
        self.prom = PromDevice(chip, self.family)
        self.output: Output = output or (lambda data, t: None)
        self.mode = Mode.LINE
        self._line = bytearray()
        self._rx: deque[int] = deque()
        self._status: tuple[str, str, list[tuple[str, int, bool]]] = ("none", "OK", [])
        self._pending_out: list[tuple[float, bytes]] = []
        # XMODEM state
        self._seq = 1
        self._count = 0
        self._addr = 0
        self._end = 0
        self._packet_seen = False
        self._starts_left = 0
        self._next_start = 0.0
        self._use_crc = self.config.crc
        self._quiet_until = 0.0
        self._ack_deadline = 0.0
        self._prompt()

    # --- time and output ---------------------------------------------------------------------

    @property
    def now(self) -> float:
        return self.chip.clock.now_us()

    def _say(self, text: str | bytes) -> None:
        data = text.encode("latin-1") if isinstance(text, str) else text
        self.output(data, self.now)

    def _println(self, text: str = "") -> None:
        self._say(text + "\r\n")

    def _prompt(self) -> None:
        self._say("\n>")

    def next_event(self) -> float | None:
        """Virtual time of the next thing the sketch does on its own, or None."""
        if self.mode is Mode.RECEIVE and not self._packet_seen:
            return self._next_start
        if self.mode is Mode.SEND and self._ack_deadline != float("inf"):
            return self._ack_deadline
        if self.mode is Mode.QUIET:
            return self._quiet_until
        return None

    def tick(self, t_us: float) -> None:
        """Let time pass up to ``t_us`` with no input: scheduled output and timeouts."""
        clock = self.chip.clock
        while self.mode is Mode.RECEIVE and not self._packet_seen and self._next_start <= t_us:
            clock.advance_to(self._next_start)
            if self._starts_left == 0:
                self._error("Timeout waiting for transfer to start.")
                self._end_command()
                return
            self._starts_left -= 1
            self._say(bytes([Ctl.CRC if self.config.crc else Ctl.NAK]))
            self._next_start += START_EVERY_US
        if self.mode is Mode.SEND and t_us >= self._ack_deadline:
            clock.advance_to(self._ack_deadline)
            self._error("Expected XModem ACK.", [("char", -1, False)])
            self._end_command()
        if self.mode is Mode.QUIET and t_us >= self._quiet_until:
            clock.advance_to(self._quiet_until)
            self._end_command()

    # --- input -------------------------------------------------------------------------------

    def receive(self, data: bytes, t0_us: float | None = None, dt_us: float = 0.0) -> None:
        """Characters from the host: byte ``i`` arrives at ``t0_us + i * dt_us``."""
        t0 = self.now if t0_us is None else t0_us
        for i, byte in enumerate(data):
            arrival = t0 + i * dt_us
            self.tick(arrival)
            self.chip.clock.advance_to(arrival)
            self.chip.clock.advance(CHAR_US)
            self._feed(byte)

    def _feed(self, byte: int) -> None:
        if self.mode is Mode.LINE:
            self._line_char(byte)
        elif self.mode is Mode.RECEIVE:
            self._rx.append(byte)
            self._receive_step()
        elif self.mode is Mode.SEND:
            self._send_step(byte)
        else:  # QUIET: eat input until the line is quiet
            self._quiet_until = self.now + QUIET_US

    def _line_char(self, byte: int) -> None:
        if byte in (0x0D, 0x0A):
            self._say(bytes([byte]))
            line = self._line.decode("latin-1")
            self._line.clear()
            self._println()
            self._command(line)
            return
        if byte == 0x08 and self._line:
            self._line.pop()
        elif len(self._line) < LINE_MAX - 1:
            self._line.append(byte)
        self._say(bytes([byte]))

    # --- status --------------------------------------------------------------------------

    def _info(self, message: str, values: list[tuple[str, int, bool]] | None = None) -> None:
        self._status = ("info", message, values or [])

    def _error(self, message: str, values: list[tuple[str, int, bool]] | None = None) -> None:
        self._status = ("error", message, values or [])

    def _print_status(self) -> None:
        level, message, values = self._status
        if level == "none":
            self._println("OK")
            return
        text = ("INFO: " if level == "info" else "ERROR: ") + message
        for label, value, is_hex in values:
            text += f"  {label}=" + (f"0x{value:X}" if is_hex else str(value))
        self._println(text)

    def _end_command(self, show_status: bool | None = None) -> None:
        self.mode = Mode.LINE
        if show_status if show_status is not None else self._status[0] != "none":
            self._println()
            self._print_status()
        self._prompt()

    # --- commands ------------------------------------------------------------------------

    def _command(self, line: str) -> None:
        letter = line[:1].lower()
        fields = _hex_fields(line[1:])
        start = fields[0] if len(fields) > 0 else 0
        end = fields[1] if len(fields) > 1 else 0xFF
        value = fields[2] if len(fields) > 2 else 0
        known = "bcdeflpruw/" + ("izst" if self.config.debug_commands else "")
        if letter and letter in known and letter != "/":
            self._status = ("none", "OK", [])
        size = self.chip.spec.size
        if letter == "b":
            self._blank(start, end)
        elif letter == "c":
            self._checksum(start, end)
        elif letter == "d":
            self._dump(start, end)
        elif letter == "e":
            self._say("OK\r\n" if self.prom.erase(start, end) else self.prom.erase_answer())
        elif letter == "f":
            self._fill(start, end, value)
        elif letter == "l":
            self._say("Writing the lock code to enable Software Data Protection: ")
            self._println(self.prom.sdp(lock=True))
        elif letter == "u":
            self._say("Writing the unlock code to disable Software Data Protection: ")
            self._println(self.prom.sdp(lock=False))
        elif letter == "p":
            self._poke(line[1:])
        elif letter == "r":
            self._start_send(start, end)
            return
        elif letter == "w":
            self._start_receive(start)
            return
        elif letter == "/":
            self._println("Status of last command:")
            self._end_command(show_status=True)
            return
        elif letter == "i" and self.config.debug_commands:
            self._println(f"Device: {self.family.value}, {size} bytes")
            self._println(f"Blocks burned: {self.prom.writes_burned}")
        elif letter == "z" and self.config.debug_commands:
            self._zap(start)
        else:
            self._banner()
        self._end_command()

    def _banner(self) -> None:
        self._println(f"TommyPROM {VERSION} - {self.family.value}")
        self._println()
        self._println("Valid commands are:")
        for text in (
            "  Bsssss eeeee    - Check to see if device range is Blank/erased (all FF)",
            "  Csssss eeeee    - Compute checksum from device",
            "  Dsssss eeeee    - Dump bytes from device to terminal",
            "  Esssss eeeee    - Erase address range on device (needed for some Flash)",
            "  Fsssss eeeee dd - Fill block on device with fixed value",
            "  L               - Lock (enable) device Software Data Protection",
            "  Psssss dd dd... - Poke (write) values to device (up to 32 values)",
            "  Rsssss eeeee    - Read from device and save to XMODEM file",
            "  U               - Unlock (disable) device Software Data Protection",
            "  Wsssss          - Write to device from XMODEM file",
        ):
            self._println(text)

    # --- simple commands -----------------------------------------------------------------

    def _blank(self, start: int, end: int) -> None:
        for addr in range(start, end + 1):
            value = self.prom.read(addr)
            if value != 0xFF:
                self._error("Block is not erased", [("addr", addr, True), ("value", value, True)])
                return
        self._info("Block is erased")

    def _checksum(self, start: int, end: int) -> None:
        total = 0
        for addr in range(start, end + 1, 2):
            total = (total + (self.prom.read(addr) << 8 | self.prom.read(addr + 1))) & 0xFFFF
        self._println(f"Checksum {start & 0xFFFF:04x}-{end & 0xFFFF:04x} = {total:04x}")

    def _dump(self, start: int, end: int) -> None:
        addr = start
        while addr <= end:
            n = min(16, end - addr + 1)
            data = bytes(self.prom.read(addr + i) for i in range(n))
            hexes = ""
            for i, b in enumerate(data):
                hexes += f"{b:02x} " + (" " if i % 4 == 3 else "")
            text = "".join(chr(b) if 32 <= b < 127 else "." for b in data)
            text = " ".join(text[i : i + 8] for i in range(0, len(text), 8))
            self._println(f"{addr & 0xFFFFF:05x}: {hexes:<52}{text}")
            addr += n

    def _fill(self, start: int, end: int, value: int) -> None:
        addr = start
        while addr <= end:
            n = min(32, end - addr + 1)
            if not self.prom.write_data(bytes([value & 0xFF]) * n, addr):
                self._error("Write failed")
                return
            addr += n

    def _poke(self, rest: str) -> None:
        fields = _hex_fields(rest)
        if len(fields) < 2:
            self._error("Missing address or data")
            return
        start, data = fields[0], bytes(v & 0xFF for v in fields[1 : 1 + POKE_MAX])
        if not self.prom.write_data(data, start):
            self._error("Write failed")
            return
        self.chip.idle(100_000.0)
        for i, want in enumerate(data):
            got = self.prom.read(start + i)
            if got != want:
                self._error(
                    "Verify failed",
                    [("addr", start + i, True), ("read", got, True), ("expected", want, True)],
                )
                return
        self._info("Poke successful")

    def _zap(self, start: int) -> None:
        if not self.prom.write_data(ZAP_PATTERN, start):
            self._error("Write failed")
            return
        self.chip.idle(100_000.0)
        for i, want in enumerate(ZAP_PATTERN):
            got = self.prom.read(start + i)
            if got != want:
                self._error("Verify failed", [("addr", start + i, True), ("read", got, True)])
                return
        self._info("Write test successful")

    # --- XMODEM receive (W) --------------------------------------------------------------

    def _start_receive(self, start: int) -> None:
        self.mode = Mode.RECEIVE
        self._rx.clear()
        self._seq = 1
        self._count = 0
        self._addr = start
        self._packet_seen = False
        self._starts_left = START_TRIES
        self._next_start = self.now + START_DELAY_US
        self._use_crc = self.config.crc

    def _packet_len(self) -> int:
        return 3 + PACKET + (2 if self._use_crc else 1)

    def _receive_step(self) -> None:
        rx = self._rx
        while rx:
            head = rx[0]
            if head == Ctl.SOH:
                if len(rx) < self._packet_len():
                    return
                packet = bytes(rx.popleft() for _ in range(self._packet_len()))
                self._packet_seen = True
                if not self._packet(packet):
                    return
            elif head == Ctl.EOT:
                rx.popleft()
                self._say(bytes([Ctl.ACK]))
                self._info("Success writing to EEPROM device.", [("NumBytes", self._count, False)])
                self._end_command()
                return
            elif head in (Ctl.CAN, Ctl.ESC):
                rx.popleft()
                self._error("Transfer canceled by sender.", [("seq", self._seq, False)])
                self._end_command()
                return
            elif self._packet_seen:
                rx.popleft()
                self._say(bytes([Ctl.NAK]))
            else:
                rx.popleft()
                self._error(
                    "Unexpected character received waiting for next packet.",
                    [("char", head, False), ("seq", self._seq, False)],
                )
                self._abort()
                return

    def _packet(self, packet: bytes) -> bool:
        seq, inv, data, check = packet[1], packet[2], packet[3 : 3 + PACKET], packet[3 + PACKET :]
        if self._use_crc:
            good = int.from_bytes(check, "big") == binascii.crc_hqx(data, 0)
        else:
            good = check[0] == sum(data) & 0xFF
        if seq ^ inv != 0xFF or not good:
            self._error("Bad checksum or sequence number.", [("seq", self._seq, False)])
            self._abort()
            return False
        if seq == (self._seq - 1) & 0xFF:
            self._say(bytes([Ctl.ACK]))  # a repeat of the packet already burned
            return True
        if seq != self._seq & 0xFF:
            self._error("Bad checksum or sequence number.", [("seq", self._seq, False)])
            self._abort()
            return False
        if not self.prom.write_data(data, self._addr):
            self._error("Write failed", [("address", self._addr, True)])
            self._abort()
            return False
        self._seq += 1
        self._count += PACKET
        self._addr += PACKET
        self._say(bytes([Ctl.ACK]))
        return True

    def _abort(self) -> None:
        self._say(bytes([Ctl.CAN]))
        self._rx.clear()
        self.mode = Mode.QUIET
        self._quiet_until = self.now + QUIET_US

    # --- XMODEM send (R) -----------------------------------------------------------------

    def _start_send(self, start: int, end: int) -> None:
        self.mode = Mode.SEND
        self._addr = start
        self._end = end
        self._seq = 1
        self._count = 0
        self._packet_seen = False
        self._ack_deadline = float("inf")

    def _send_step(self, byte: int) -> None:
        if not self._packet_seen:
            if byte not in (Ctl.NAK, Ctl.CRC):
                self._error("Expected XModem start char.", [("char", byte, False)])
                self._end_command()
                return
            self._use_crc = byte == Ctl.CRC
            self._packet_seen = True
            self._send_packet()
            return
        if byte != Ctl.ACK:
            self._error("Expected XModem ACK.", [("char", byte, False)])
            self._end_command()
            return
        if self._seq == -1:
            self._info(
                "Send complete.", [("NumBytes", self._end - self._start_of_send() + 1, False)]
            )
            self._end_command()
            return
        if self._addr > self._end:
            self._say(bytes([Ctl.EOT]))
            self._seq = -1
            self._ack_deadline = self.now + ACK_WAIT_US
            return
        self._send_packet()

    def _start_of_send(self) -> int:
        return self._addr - self._count

    def _send_packet(self) -> None:
        data = bytes(self.prom.read(self._addr + i) for i in range(PACKET))
        seq = self._seq & 0xFF
        if self._use_crc:
            check = binascii.crc_hqx(data, 0).to_bytes(2, "big")
        else:
            check = bytes([sum(data) & 0xFF])
        self._say(bytes([Ctl.SOH, seq, seq ^ 0xFF]) + data + check)
        self._seq += 1
        self._addr += PACKET
        self._count += PACKET
        self._ack_deadline = self.now + ACK_WAIT_US


def _hex_fields(text: str) -> list[int]:
    """Hex numbers separated by spaces (the sketch's getHex32: stops at a non-hex character)."""
    out: list[int] = []
    for token in text.split():
        digits = ""
        for ch in token:
            if ch in "0123456789abcdefABCDEF":
                digits += ch
            else:
                break
        if not digits:
            break
        out.append(int(digits[-8:], 16))
    return out
