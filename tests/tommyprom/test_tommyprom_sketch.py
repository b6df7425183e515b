"""The simulated TommyPROM sketch, driven character by character like a terminal would."""

from __future__ import annotations

import binascii

import pytest

from romtool.chips import get_chip
from romtool.programmers.sim.chips import model_for
from romtool.programmers.sim.clock import VirtualClock
from romtool.programmers.sim.tommyprom.prom import Family
from romtool.programmers.sim.tommyprom.sketch import (
    QUIET_US,
    START_DELAY_US,
    START_EVERY_US,
    Ctl,
    SketchConfig,
    TommyPromSketch,
)

AT28 = get_chip("AT28C256")
SST = get_chip("SST39SF010A")


class Term:
    def __init__(self, part=AT28, config: SketchConfig | None = None, **chip_kw) -> None:
        self.chip = model_for(part, clock=VirtualClock(), **chip_kw)
        self.out = bytearray()
        self.sketch = TommyPromSketch(self.chip, config, output=lambda d, t: self.out.extend(d))

    def type(self, text: str | bytes) -> bytes:
        self.out.clear()
        self.sketch.receive(text.encode() if isinstance(text, str) else text)
        return bytes(self.out)

    def line(self, text: str) -> str:
        return self.type(text + "\r").decode("latin-1")

    def wait(self, us: float) -> bytes:
        self.out.clear()
        target = self.sketch.now + us
        self.sketch.tick(target)
        self.chip.clock.advance_to(target)
        return bytes(self.out)


def packet(seq: int, data: bytes, crc: bool = False) -> bytes:
    check = binascii.crc_hqx(data, 0).to_bytes(2, "big") if crc else bytes([sum(data) & 0xFF])
    return bytes([Ctl.SOH, seq & 0xFF, (seq & 0xFF) ^ 0xFF]) + data + check


def test_echo_prompt_and_banner() -> None:
    t = Term()
    text = t.line("")
    assert text.startswith("\r\r\n")
    assert "TommyPROM 3.5 - 28C series EEPROM" in text
    assert "Valid commands are:" in text
    assert text.endswith("\n>")


def test_backspace_edits_the_line() -> None:
    t = Term(data=bytes(range(16)))
    text = t.type(b"cx\x080 f\r").decode()
    assert "Checksum 0000-000f" in text


def test_checksum_is_a_sum_of_big_endian_words() -> None:
    t = Term(data=bytes([0x12, 0x34, 0x56, 0x78, 0x9A]))
    text = t.line("C0 3")
    assert "Checksum 0000-0003 = 68ac" in text  # 0x1234 + 0x5678
    # An odd range reads one byte more.
    assert "= 03ab" in t.line("C0 4")  # + 0x9AFF, modulo 2**16


def test_dump_format() -> None:
    t = Term(data=b"ABCDEFGHIJKLMNOP")
    text = t.line("d0 f")
    assert "00000: 41 42 43 44  45 46 47 48  49 4a 4b 4c  4d 4e 4f 50" in text
    assert "ABCDEFGH IJKLMNOP" in text


def test_blank_check_status_lines() -> None:
    t = Term(data=b"\xff\xff\x12")
    assert "INFO: Block is erased" in t.line("B0 1")
    text = t.line("B0 ff")
    assert "ERROR: Block is not erased  addr=0x2  value=0x12" in text
    assert "ERROR: Block is not erased" in t.line("/")


def test_poke_and_fill_burn_pages() -> None:
    t = Term()
    assert "INFO: Poke successful" in t.line("P100 de ad be ef")
    assert t.chip.snapshot()[0x100:0x104] == b"\xde\xad\xbe\xef"
    t.line("F200 27f 5a")
    assert t.chip.snapshot()[0x200:0x280] == b"\x5a" * 0x80
    assert t.sketch.prom.writes_burned >= 3


def test_locked_28c_fails_until_unlocked() -> None:
    t = Term(locked=True)
    assert "ERROR: Write failed" in t.line("P0 11")
    assert "OK" in t.line("U")
    t.chip.idle(20_000)
    assert "Poke successful" in t.line("P0 11")
    assert "OK" in t.line("L")
    assert t.chip.locked


def test_erase_only_on_flash_sketches() -> None:
    assert "NOT SUPPORTED" in Term().line("E0 fff")
    t = Term(SST, data=b"\x00" * 8192)
    assert "OK" in t.line("E0 fff")
    assert t.chip.snapshot()[:4096] == b"\xff" * 4096
    assert t.chip.snapshot()[4096:8192] == b"\x00" * 4096
    assert t.sketch.family is Family.SST39SF


@pytest.mark.parametrize("crc", [False, True])
def test_xmodem_receive_burns_each_packet_before_acking(crc: bool) -> None:
    t = Term(config=SketchConfig(crc=crc))
    t.line("W40")
    assert t.wait(START_DELAY_US - 1) == b""
    start = Ctl.CRC if crc else Ctl.NAK
    assert t.wait(2) == bytes([start])
    assert t.wait(START_EVERY_US) == bytes([start])
    data1, data2 = bytes(range(128)), bytes(range(128, 256))
    assert t.type(packet(1, data1, crc)) == bytes([Ctl.ACK])
    assert t.chip.snapshot()[0x40:0xC0] == data1
    # A repeat of packet 1 is ACKed again without burning.
    burned = t.sketch.prom.writes_burned
    assert t.type(packet(1, data1, crc)) == bytes([Ctl.ACK])
    assert t.sketch.prom.writes_burned == burned
    # A stray byte between packets gets a NAK.
    assert t.type(b"\x00") == bytes([Ctl.NAK])
    assert t.type(packet(2, data2, crc)) == bytes([Ctl.ACK])
    end = t.type(bytes([Ctl.EOT])).decode("latin-1")
    assert end.startswith(chr(Ctl.ACK))
    assert "INFO: Success writing to EEPROM device.  NumBytes=256" in end
    assert end.endswith("\n>")
    t.chip.idle(20_000)  # the last page's write cycle
    assert t.chip.snapshot()[0x40:0x140] == data1 + data2


def test_bad_checksum_aborts_with_can_then_reports_after_quiet() -> None:
    t = Term()
    t.line("W0")
    t.wait(START_DELAY_US + 1)
    bad = bytearray(packet(1, bytes(128)))
    bad[-1] ^= 1
    assert t.type(bytes(bad)) == bytes([Ctl.CAN])
    assert t.wait(QUIET_US / 2) == b""
    text = t.wait(QUIET_US).decode()
    assert "ERROR: Bad checksum or sequence number.  seq=1" in text
    assert text.endswith("\n>")


def test_start_timeout_after_twenty_tries() -> None:
    t = Term()
    t.line("W0")
    out = t.wait(START_DELAY_US + 20 * START_EVERY_US + 1)
    assert out.count(bytes([Ctl.NAK])) == 20
    assert b"Timeout waiting for transfer to start." in out


@pytest.mark.parametrize("start", [Ctl.NAK, Ctl.CRC])
def test_xmodem_send(start: int) -> None:
    data = bytes((i * 3) & 0xFF for i in range(512))
    t = Term(data=data)
    t.line("R0 ff")
    first = t.type(bytes([start]))
    crc = start == Ctl.CRC
    assert first == packet(1, data[:128], crc)
    assert t.type(bytes([Ctl.ACK])) == packet(2, data[128:256], crc)
    assert t.type(bytes([Ctl.ACK])) == bytes([Ctl.EOT])
    text = t.type(bytes([Ctl.ACK])).decode("latin-1")
    assert "INFO: Send complete.  NumBytes=256" in text


def test_send_gives_up_without_ack() -> None:
    t = Term()
    t.line("R0 ff")
    t.type(bytes([Ctl.NAK]))
    text = t.wait(6_000_000).decode()
    assert "ERROR: Expected XModem ACK." in text
