"""XMODEM packets and TommyPROM status lines (host side)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from romtool.programmers.tommyprom import xmodem
from romtool.programmers.tommyprom.terminal import parse_status


def test_crc16_is_crc_xmodem() -> None:
    # The standard check value of CRC-16/XMODEM.
    assert xmodem.crc16(b"123456789") == 0x31C3


@given(st.integers(0, 1000), st.binary(min_size=128, max_size=128), st.booleans())
def test_round_trip(seq: int, data: bytes, crc: bool) -> None:
    raw = xmodem.encode(seq, data, crc=crc)
    assert len(raw) == xmodem.packet_size(crc)
    packet = xmodem.decode(raw, crc=crc)
    assert packet.seq == seq & 0xFF and packet.data == data


@given(st.binary(min_size=128, max_size=128), st.integers(1, 131), st.booleans())
def test_any_damaged_byte_is_caught(data: bytes, where: int, crc: bool) -> None:
    raw = bytearray(xmodem.encode(7, data, crc=crc))
    where = min(where, len(raw) - 1)
    raw[where] ^= 0x01
    with pytest.raises(xmodem.PacketError):
        xmodem.decode(bytes(raw), crc=crc)


def test_wrong_length() -> None:
    with pytest.raises(ValueError):
        xmodem.encode(1, b"short", crc=False)
    with pytest.raises(xmodem.PacketError, match="132-byte"):
        xmodem.decode(b"\x01\x01\xfe", crc=False)


@pytest.mark.parametrize(
    ("text", "level", "message", "values"),
    [
        ("\r\nINFO: Block is erased\r\n", "INFO", "Block is erased", {}),
        (
            "ERROR: Block is not erased  addr=0x2  value=0x12\r\n",
            "ERROR",
            "Block is not erased",
            {"addr": 2, "value": 0x12},
        ),
        (
            "INFO: Success writing to EEPROM device.  NumBytes=256\r\n",
            "INFO",
            "Success writing to EEPROM device.",
            {"NumBytes": 256},
        ),
        ("ERROR: Write failed  address=0x40", "ERROR", "Write failed", {"address": 0x40}),
    ],
)
def test_status_lines(text: str, level: str, message: str, values: dict[str, int]) -> None:
    status = parse_status(text)
    assert status is not None
    assert (status.level, status.message, status.values) == (level, message, values)
    assert status.ok is (level == "INFO")


def test_no_status_line() -> None:
    assert parse_status("Checksum 0000-00ff = 1234\r\n") is None
