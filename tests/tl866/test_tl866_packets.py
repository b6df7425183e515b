"""Packet-level tests: the exact bytes of TL866II+/T48 packets for the boot-ROM parts.

Expected bytes are written out by hand from the layout tables of the protocol notes
(section 1.4), never computed with the codec under test.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from romtool.errors import ProtocolError
from romtool.programmers.tl866 import infoic
from romtool.programmers.tl866 import protocol as p
from romtool.programmers.tl866.profiles import Tl866Profile, find_builtin

SAMPLE = Path(__file__).parent / "data" / "infoic_sample.xml"


def packet(length: int, *pieces: tuple[int, str]) -> bytes:
    """``length`` zero bytes with hex ``pieces`` placed at their offsets."""
    buf = bytearray(length)
    for offset, text in pieces:
        raw = bytes.fromhex(text)
        buf[offset : offset + len(raw)] = raw
    return bytes(buf)


def sample(name: str) -> Tl866Profile:
    return infoic.load(SAMPLE).find(name)


BEGIN = {
    # part: (profile, expected 64-byte packet)
    "AT27C256R": (
        lambda: find_builtin("AT27C256R"),
        packet(
            64,
            (0, "03 07 11 00 70 50 06 16"),
            (8, "00 00 00 00 64 00 00 00"),
            (16, "00 80 00 00 00 00 70"),
            (40, "00 00 00 1C 00 04"),
            (56, "68 00 00 00"),
        ),
    ),
    "AT27C512R": (
        lambda: sample("AT27C512R"),
        packet(
            64,
            (0, "03 07 17 00 70 50 06 17"),
            (12, "64 00"),
            (16, "00 00 01 00 00 00 70"),
            (40, "00 00 00 1C 00 04"),
            (56, "68 00 00 00"),
        ),
    ),
    "AT28C256": (
        lambda: sample("AT28C256"),
        packet(
            64,
            (0, "03 07 26 00 00 02 00 20"),
            (8, "00 00 40 00 10 27 00 00"),
            (16, "00 80 00 00 00 00 00"),
            (40, "00 00 00 1C 00 02"),
            (56, "10 C0 00 00"),
        ),
    ),
    "AT28C64B": (
        lambda: sample("AT28C64B"),
        packet(
            64,
            (0, "03 07 26 00 00 02 00 21"),
            (8, "00 00 40 00 10 27 00 00"),
            (16, "00 20 00 00"),
            (40, "00 00 00 1C 00 02"),
            (56, "10 C0 00 00"),
        ),
    ),
    "AT29C256": (
        lambda: sample("AT29C256@DIP28"),
        packet(
            64,
            (0, "03 05 01 00 00 00 00 22"),
            (8, "00 00 40 00 20 4E 00 00"),
            (16, "00 80 00 00"),
            (40, "00 00 00 1C 00 10"),
            (56, "78 C0 40 00"),
        ),
    ),
    "AT29C010A": (
        lambda: sample("AT29C010A@DIP32"),
        packet(
            64,
            (0, "03 05 00 00 00 00 00 01"),
            (8, "00 00 80 00 20 4E 00 00"),
            (16, "00 00 02 00"),
            (40, "00 00 00 20 00 10"),
            (56, "78 C0 40 00"),
        ),
    ),
    "SST39SF010A": (
        lambda: sample("SST39SF010A@DIP32"),
        packet(
            64,
            (0, "03 08 27 00 00 00 00 02"),
            (12, "14 00"),
            (16, "00 00 02 00"),
            (40, "00 00 00 20 00 10"),
            (56, "78 00 00 00"),
        ),
    ),
}


@pytest.mark.parametrize("part", sorted(BEGIN))
def test_begin_transaction_bytes(part: str) -> None:
    make, expected = BEGIN[part]
    profile = make()
    assert profile is not None
    assert p.encode_begin_transaction(profile.begin_params()) == expected


def test_begin_transaction_vpp_all_ones_rule() -> None:
    # (voltages & 0xF0) == 0xF0: byte 21 stays 0 and byte 22 is the whole low byte.
    got = p.encode_begin_transaction(sample("T48ONLY@DIP28").begin_params())
    assert got[4:6] == bytes.fromhex("F3 00")
    assert got[20:23] == bytes.fromhex("00 00 F3")


def test_begin_transaction_bit31_rule() -> None:
    # Bit 31 set: byte 22 becomes (voltages >> 16) & 0x0F, after rule 2 had put 0x70 there.
    got = p.encode_begin_transaction(sample("FORCED@DIP28").begin_params())
    assert got[4:6] == bytes.fromhex("70 50")
    assert got[20:23] == bytes.fromhex("03 00 03")


def test_begin_transaction_icsp_byte() -> None:
    params = find_builtin("AT27C256R").begin_params()  # type: ignore[union-attr]
    got = p.encode_begin_transaction(params, icsp=p.ICSP_ENABLE | p.ICSP_SUPPLIES_VCC)
    assert got[3] == 0x81


def test_short_commands() -> None:
    assert p.encode_system_info_request() == bytes(5)
    assert p.encode_end_transaction() == bytes.fromhex("04 00 00 00 00 00 00 00")
    assert p.encode_status_request() == bytes.fromhex("39 00 00 00 00 00 00 00")
    assert p.encode_chip_id_request() == bytes.fromhex("05 00 00 00 00 00 00 00")
    assert p.encode_protect(False) == bytes.fromhex("18 00 00 00 00 00 00 00")
    assert p.encode_protect(True) == bytes.fromhex("19 00 00 00 00 00 00 00")
    assert p.encode_erase() == bytes.fromhex("0E 00 01") + bytes(12)


@pytest.mark.parametrize(
    ("part", "address", "length", "expected"),
    [
        ("AT27C256R", 0x0000, 0x400, "0D 00 00 04 00 00 00 00"),
        ("AT27C256R", 0x7C00, 0x400, "0D 00 00 04 00 7C 00 00"),
        ("AT27C512R", 0xFC00, 0x400, "0D 00 00 04 00 FC 00 00"),
        ("AT28C256", 0x7E00, 0x200, "0D 00 00 02 00 7E 00 00"),
        ("AT28C64B", 0x1E00, 0x200, "0D 00 00 02 00 1E 00 00"),
        ("AT29C256", 0x7000, 0x1000, "0D 00 00 10 00 70 00 00"),
        ("AT29C010A", 0x1F000, 0x1000, "0D 00 00 10 00 F0 01 00"),
        ("SST39SF010A", 0x1F000, 0x1000, "0D 00 00 10 00 F0 01 00"),
    ],
)
def test_read_block_header(part: str, address: int, length: int, expected: str) -> None:
    assert p.encode_block_header(p.Command.READ_CODE, length, address) == bytes.fromhex(expected)


def test_read_transfers_per_model() -> None:
    tl, t48 = p.Model.TL866II_PLUS, p.Model.T48
    assert p.read_transfers(tl, 0x400) == [(0x82, 0x200), (0x83, 0x200)]
    assert p.read_transfers(tl, 0x1000) == [(0x82, 0x800), (0x83, 0x800)]
    assert p.read_transfers(tl, 0x20) == [(0x82, 64)]
    assert p.read_transfers(tl, 64) == [(0x82, 64)]
    assert p.read_transfers(t48, 0x400) == [(0x82, 0x400)]
    assert p.read_transfers(t48, 0x10) == [(0x82, 64)]
    with pytest.raises(ProtocolError):
        p.read_transfers(tl, 0xC0)


def test_deinterleave_alternates_64_byte_packets() -> None:
    ep2 = bytes([0] * 64 + [2] * 64)
    ep3 = bytes([1] * 64 + [3] * 64)
    assert p.deinterleave(ep2, ep3) == bytes([0] * 64 + [1] * 64 + [2] * 64 + [3] * 64)
    with pytest.raises(ProtocolError):
        p.deinterleave(ep2, ep3[:64])


@given(st.integers(1, 16).flatmap(lambda n: st.binary(min_size=128 * n, max_size=128 * n)))
def test_deinterleave_inverts_the_device_alternation(data: bytes) -> None:
    packets = [data[i : i + 64] for i in range(0, len(data), 64)]
    ep2 = b"".join(packets[0::2])
    ep3 = b"".join(packets[1::2])
    assert p.deinterleave(ep2, ep3) == data


@pytest.mark.parametrize(
    ("length", "ep2", "ep3"),
    [(256, 128, 128), (128, 64, 64), (200, 128, 72), (100, 64, 36), (192, 64, 128), (64, 64, 0)],
)
def test_write_split(length: int, ep2: int, ep3: int) -> None:
    data = bytes(range(256))[:length]
    a, b = p.split_write(data)
    assert (len(a), len(b)) == (ep2, ep3)
    assert a + b == data


def test_write_block_tl866_splits_header_and_payload() -> None:
    data = bytes(range(128))
    got = p.encode_write_block(p.Model.TL866II_PLUS, p.Command.WRITE_CODE, 0x100, data)
    assert got.transfers == (
        (0x01, bytes.fromhex("0C 00 80 00 00 01 00 00")),
        (0x02, data[:64]),
        (0x03, data[64:]),
    )


def test_write_block_t48_one_ep2_transfer() -> None:
    data = bytes(range(128))
    got = p.encode_write_block(p.Model.T48, p.Command.WRITE_CODE, 0x1FF80, data)
    assert got.transfers == (
        (0x01, bytes.fromhex("0C 00 80 00 80 FF 01 00")),
        (0x02, data),
    )


def test_write_block_64_bytes_ep2_only() -> None:
    # AT29C256: write buffer 0x40 = one sector; over 56 bytes, so header and payload split.
    data = bytes([0x5A]) * 64
    got = p.encode_write_block(p.Model.TL866II_PLUS, p.Command.WRITE_CODE, 0x7FC0, data)
    assert got.transfers == ((0x01, bytes.fromhex("0C 00 40 00 C0 7F 00 00")), (0x02, data))


def test_write_block_inline_below_57_bytes() -> None:
    # AT28C64 (non-B): write buffer 0x20, header and data in one EP1 packet.
    data = bytes(range(0x20))
    for model in (p.Model.TL866II_PLUS, p.Model.T48):
        got = p.encode_write_block(model, p.Command.WRITE_CODE, 0x20, data)
        assert got.transfers == ((0x01, bytes.fromhex("0C 00 20 00 20 00 00 00") + data),)
    assert len(p.encode_write_block(p.Model.T48, 0x0C, 0, bytes(56)).transfers) == 1
    assert len(p.encode_write_block(p.Model.T48, 0x0C, 0, bytes(57)).transfers) == 2


def test_status_decode() -> None:
    reply = packet(32, (0, "01 00 12 00 34 00 00 00 78 56 34 12 01"))
    st_ = p.decode_status(reply)
    assert st_ == p.Status(1, 0x12, 0x34, 0x12345678, True)
    assert not p.decode_status(bytes(32)).overcurrent
    with pytest.raises(ProtocolError):
        p.decode_status(bytes(12))


def test_chip_id_decode() -> None:
    assert p.decode_chip_id(bytes.fromhex("01 00 1E 8C 00 00"), 2) == (1, 0x1E8C)
    assert p.decode_chip_id(bytes.fromhex("05 00 EF 40 18 00"), 3) == (5, 0xEF4018)
    assert p.decode_chip_id(bytes.fromhex("03 00 3F 12 00 00"), 2) == (3, 0x1220)
    assert p.decode_chip_id(bytes.fromhex("04 00 3F 12 00 00"), 2, rev_bits=4) == (4, 0x1230)
    with pytest.raises(ProtocolError):
        p.decode_chip_id(bytes.fromhex("09 00 1E 8C 00 00"), 2)
    assert p.chip_id_byte_count(0x1E8C) == 2
    assert p.chip_id_byte_count(0) == 0


def test_system_info_tl866ii_plus() -> None:
    reply = packet(
        64,
        (4, "80 02 05"),
        (8, "41 42 43 44 45 46 47 48"),
        (16, b"0123456789ABCDEFGHIJ".hex()),
        (40, "04"),
    )
    info = p.decode_system_info(reply)
    assert info.model == p.Model.TL866II_PLUS
    assert info.firmware == "04.2.128"
    assert info.serial == "0123456789ABCDEFGHIJ"
    assert info.device_code == "ABCDEFGH"
    assert not info.in_bootloader


def test_system_info_t48_and_bootloader() -> None:
    reply = packet(
        64,
        (4, "00 01 07"),
        (24, b"T48DEV01".hex()),
        (32, b"SERIAL-T48".hex()),
        (56, "F8 05 00 00"),
        (60, "01"),
    )
    info = p.decode_system_info(reply)
    assert info.model == p.Model.T48
    assert info.serial == "SERIAL-T48"
    assert info.firmware == "1.00"  # no hardware-version field in the T48 reply
    assert info.in_bootloader
    assert info.usb_high_speed
    assert info.supply_volts == pytest.approx(5.02, abs=0.01)
    with pytest.raises(ProtocolError):
        p.decode_system_info(bytes(6))


@pytest.mark.parametrize(
    ("part", "header", "split"),
    [
        # Last write block of each part: header bytes, then the EP2/EP3 sizes on the TL866II+.
        ("AT27C256R", "0C 00 80 00 80 7F 00 00", (64, 64)),
        ("AT27C512R", "0C 00 80 00 80 FF 00 00", (64, 64)),
        ("AT28C256", "0C 00 80 00 80 7F 00 00", (64, 64)),
        ("AT28C64B", "0C 00 80 00 80 1F 00 00", (64, 64)),
        ("AT29C256", "0C 00 40 00 C0 7F 00 00", (64, 0)),
        ("AT29C010A", "0C 00 80 00 80 FF 01 00", (64, 64)),
        ("SST39SF010A", "0C 00 80 00 80 FF 01 00", (64, 64)),
    ],
)
def test_write_packets_per_part(part: str, header: str, split: tuple[int, int]) -> None:
    make, _begin = BEGIN[part]
    profile = make()
    assert profile is not None
    block = profile.write_buffer_size
    assert block == sum(split)
    address = profile.code_memory_size - block
    data = bytes((i * 3) & 0xFF for i in range(block))
    tl = p.encode_write_block(p.Model.TL866II_PLUS, p.Command.WRITE_CODE, address, data)
    want = [(0x01, bytes.fromhex(header)), (0x02, data[: split[0]])]
    if split[1]:
        want.append((0x03, data[split[0] :]))
    assert list(tl.transfers) == want
    t48 = p.encode_write_block(p.Model.T48, p.Command.WRITE_CODE, address, data)
    assert list(t48.transfers) == [(0x01, bytes.fromhex(header)), (0x02, data)]
