"""XMODEM as TommyPROM speaks it: 128-byte packets, 8-bit checksum or CRC-16.

Packet: ``SOH, seq, 255 - seq, data[128], check`` where ``check`` is the 8-bit sum of the data
(classic XMODEM, TommyPROM's default since v2.5) or, in XMODEM-CRC (a compile-time option,
and the only mode before v2.5), the CRC-16/XMODEM of the data (polynomial 0x1021, initial 0,
big-endian). The receiver chooses the mode with its start character: NAK for the checksum,
'C' for CRC. Sequence numbers start at 1 and wrap at 256.
"""

from __future__ import annotations

import binascii
from dataclasses import dataclass
from enum import IntEnum

PACKET = 128
"""Data bytes per packet."""


class Ctl(IntEnum):
    """XMODEM control characters."""

    SOH = 0x01
    EOT = 0x04
    ACK = 0x06
    NAK = 0x15
    CAN = 0x18
    CRC = 0x43  # 'C': "send with CRC-16"


def crc16(data: bytes) -> int:
    """CRC-16/XMODEM (CCITT polynomial 0x1021, initial value 0)."""
    return binascii.crc_hqx(data, 0)


def checksum8(data: bytes) -> int:
    """The classic XMODEM check: the sum of the data bytes modulo 256."""
    return sum(data) & 0xFF


def packet_size(crc: bool) -> int:
    """Bytes of a whole packet including SOH."""
    return 3 + PACKET + (2 if crc else 1)


def encode(seq: int, data: bytes, *, crc: bool) -> bytes:
    """One packet carrying ``data`` (exactly 128 bytes) with sequence number ``seq``.

    Raises:
        ValueError: ``data`` is not 128 bytes.
    """
    if len(data) != PACKET:
        raise ValueError(f"an XMODEM packet carries {PACKET} bytes, not {len(data)}")
    s = seq & 0xFF
    check = crc16(data).to_bytes(2, "big") if crc else bytes([checksum8(data)])
    return bytes([Ctl.SOH, s, s ^ 0xFF]) + data + check


@dataclass(frozen=True)
class Packet:
    """A decoded packet."""

    seq: int
    data: bytes


class PacketError(ValueError):
    """A packet that does not decode (the message says why)."""


def decode(raw: bytes, *, crc: bool) -> Packet:
    """Decode one whole packet (``raw`` starts with SOH).

    Raises:
        PacketError: wrong length, bad sequence complement or bad check.
    """
    if len(raw) != packet_size(crc) or raw[0] != Ctl.SOH:
        raise PacketError(f"expected a {packet_size(crc)}-byte packet starting with SOH")
    seq, inv = raw[1], raw[2]
    if seq ^ inv != 0xFF:
        raise PacketError(f"sequence {seq} and its complement {inv} disagree")
    data = raw[3 : 3 + PACKET]
    if crc:
        want, got = crc16(data), int.from_bytes(raw[3 + PACKET :], "big")
        label = "CRC"
    else:
        want, got = checksum8(data), raw[3 + PACKET]
        label = "checksum"
    if want != got:
        raise PacketError(f"bad {label}: expected 0x{want:X}, but got 0x{got:X}")
    return Packet(seq, data)
