"""The Serial Flasher Protocol ("serprog", interface version 1) on the wire.

Facts from flashrom's protocol description (serprog-protocol.rst) and its host (serprog.c),
as summarised in our notes; no code was taken from flashrom. The rules that shape everything
here:

* The host sends an opcode byte and fixed-length parameters; the device answers ACK (0x06)
  plus a fixed-length return value, or NAK (0x15). There is no framing, no length prefix and
  no checksum, so each side must know every command's parameter and answer lengths
  (:data:`PARAMS`, :data:`ANSWER`).
* Multi-byte values are little-endian; addresses and lengths are 24 bits.
* Only NOP, Q_IFACE and SYNCNOP may be sent before the command map (Q_CMDMAP) is known.
* Operation-buffer commands (O_WRITEB, O_WRITEN, O_DELAY) are queued by the device and run by
  O_EXEC, which always clears the buffer; each costs :func:`opbuf_cost` bytes of it.

This module is shared by the host driver and the simulated device: it holds only the table of
the protocol, not behaviour.
"""

from __future__ import annotations

from enum import IntEnum, IntFlag

ACK = 0x06
"""Positive answer (ASCII ACK)."""
NAK = 0x15
"""Negative answer (ASCII NAK): unknown or refused command."""
INTERFACE_VERSION = 1
"""The only serprog interface version (Q_IFACE)."""
CMDMAP_BYTES = 32
"""Q_CMDMAP answers 32 bytes: command n is bit n % 8 of byte n // 8."""
PGMNAME_BYTES = 16
"""Q_PGMNAME answers a 16-byte NUL-padded name."""
MAX_24BIT = 1 << 24
"""24-bit quantities: a length or max-length of 0 means 2**24."""
ADDRESS_MASK_24 = MAX_24BIT - 1
"""Addresses on the wire are the low 24 bits of the host's address."""


class Cmd(IntEnum):
    """Command opcodes (serprog-protocol.rst, command table)."""

    NOP = 0x00
    Q_IFACE = 0x01
    Q_CMDMAP = 0x02
    Q_PGMNAME = 0x03
    Q_SERBUF = 0x04
    Q_BUSTYPE = 0x05
    Q_CHIPSIZE = 0x06
    Q_OPBUF = 0x07
    Q_WRNMAXLEN = 0x08
    R_BYTE = 0x09
    R_NBYTES = 0x0A
    O_INIT = 0x0B
    O_WRITEB = 0x0C
    O_WRITEN = 0x0D
    O_DELAY = 0x0E
    O_EXEC = 0x0F
    SYNCNOP = 0x10
    Q_RDNMAXLEN = 0x11
    S_BUSTYPE = 0x12
    O_SPIOP = 0x13
    S_SPI_FREQ = 0x14
    S_PIN_STATE = 0x15
    S_SPI_CS = 0x16
    S_SPI_MODE = 0x17
    S_CS_MODE = 0x18


class BusType(IntFlag):
    """Q_BUSTYPE / S_BUSTYPE flags."""

    PARALLEL = 0x01
    LPC = 0x02
    FWH = 0x04
    SPI = 0x08


PARAMS: dict[Cmd, int] = {
    Cmd.NOP: 0,
    Cmd.Q_IFACE: 0,
    Cmd.Q_CMDMAP: 0,
    Cmd.Q_PGMNAME: 0,
    Cmd.Q_SERBUF: 0,
    Cmd.Q_BUSTYPE: 0,
    Cmd.Q_CHIPSIZE: 0,
    Cmd.Q_OPBUF: 0,
    Cmd.Q_WRNMAXLEN: 0,
    Cmd.R_BYTE: 3,
    Cmd.R_NBYTES: 6,
    Cmd.O_INIT: 0,
    Cmd.O_WRITEB: 4,
    Cmd.O_WRITEN: 6,  # u24 length, u24 address; then `length` data bytes follow
    Cmd.O_DELAY: 4,
    Cmd.O_EXEC: 0,
    Cmd.SYNCNOP: 0,
    Cmd.Q_RDNMAXLEN: 0,
    Cmd.S_BUSTYPE: 1,
    Cmd.O_SPIOP: 6,  # u24 send length, u24 receive length; then the bytes to send
    Cmd.S_SPI_FREQ: 4,
    Cmd.S_PIN_STATE: 1,
    Cmd.S_SPI_CS: 1,
    Cmd.S_SPI_MODE: 1,
    Cmd.S_CS_MODE: 1,
}
"""Fixed parameter bytes after the opcode (variable data of O_WRITEN/O_SPIOP not counted)."""

ANSWER: dict[Cmd, int] = {
    Cmd.Q_IFACE: 2,
    Cmd.Q_CMDMAP: CMDMAP_BYTES,
    Cmd.Q_PGMNAME: PGMNAME_BYTES,
    Cmd.Q_SERBUF: 2,
    Cmd.Q_BUSTYPE: 1,
    Cmd.Q_CHIPSIZE: 1,
    Cmd.Q_OPBUF: 2,
    Cmd.Q_WRNMAXLEN: 3,
    Cmd.R_BYTE: 1,
    Cmd.Q_RDNMAXLEN: 3,
    Cmd.S_SPI_FREQ: 4,
}
"""Bytes returned after ACK (commands not listed return none; R_NBYTES returns its length)."""

OPBUF_WRITEB = 5
"""Operation-buffer bytes an O_WRITEB takes (opcode byte + u24 address + data byte)."""
OPBUF_WRITEN_BASE = 7
"""Operation-buffer bytes an O_WRITEN takes before its data (opcode + u24 len + u24 addr)."""
OPBUF_DELAY = 5
"""Operation-buffer bytes an O_DELAY takes (opcode + u32 µs)."""

PRE_CMDMAP = frozenset({Cmd.NOP, Cmd.Q_IFACE, Cmd.SYNCNOP})
"""The only commands a host may send before it knows the command map."""
PARALLEL_REQUIRED = (Cmd.O_INIT, Cmd.O_DELAY, Cmd.R_BYTE, Cmd.R_NBYTES, Cmd.O_WRITEB)
"""What a parallel-bus host needs besides the queries (flashrom refuses a device without)."""


def u24(value: int) -> bytes:
    """``value`` as 3 little-endian bytes (masked to 24 bits)."""
    return (value & ADDRESS_MASK_24).to_bytes(3, "little")


def u16(value: int) -> bytes:
    return (value & 0xFFFF).to_bytes(2, "little")


def u32(value: int) -> bytes:
    return (value & 0xFFFF_FFFF).to_bytes(4, "little")


def le(data: bytes) -> int:
    """Little-endian bytes as an unsigned number."""
    return int.from_bytes(data, "little")


def max_len(value: int) -> int:
    """A 24-bit max-length answer: 0 means 2**24."""
    return value if value else MAX_24BIT


def encode_cmdmap(commands: set[Cmd] | frozenset[Cmd]) -> bytes:
    """The 32-byte Q_CMDMAP bitmap for ``commands``."""
    out = bytearray(CMDMAP_BYTES)
    for cmd in commands:
        out[cmd // 8] |= 1 << (cmd % 8)
    return bytes(out)


def decode_cmdmap(data: bytes) -> frozenset[int]:
    """Opcodes present in a Q_CMDMAP bitmap (unknown opcodes kept as ints)."""
    return frozenset(n for n in range(len(data) * 8) if data[n // 8] >> (n % 8) & 1)


def opbuf_cost(cmd: Cmd, length: int = 0) -> int:
    """Operation-buffer bytes ``cmd`` takes (``length``: data bytes of an O_WRITEN)."""
    if cmd is Cmd.O_WRITEB:
        return OPBUF_WRITEB
    if cmd is Cmd.O_WRITEN:
        return OPBUF_WRITEN_BASE + length
    if cmd is Cmd.O_DELAY:
        return OPBUF_DELAY
    raise ValueError(f"{cmd.name} is not an operation-buffer command")
