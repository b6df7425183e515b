"""Etherboot mode against makerom 5.4 as our notes restate it (section 1.3-1.5).

Expected bytes are derived here step by step from the spec on synthetic prefixes, not by
calling the module's own helpers.
"""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from romtool.errors import BuildError, RomFormatError
from romtool.optionrom.etherboot import makerom
from tests.build.synth import (
    EB_PCIR,
    EB_PNP,
    EB_UNDI,
    etherboot_isa,
    etherboot_pci,
    ipxe_image,
    sum8,
)

IDENT = "rtl8139.zrom 5.4.4 (GPL) etherboot.org"


def expected_pci(raw: bytes, size: int, vendor: int, device: int, ident: str | None) -> bytes:
    """makerom 5.4 -s/-p/-i on an Etherboot PCI prefix, straight from the spec's pseudo-code."""
    rom = bytearray(raw) + b"\xff" * (size - len(raw))
    rom[2] = (size // 512) % 256
    identoff = 0
    if ident:
        s = ident.encode() + b"\0"
        pos = len(rom) - len(s) - 2
        rom[pos : pos + len(s)] = s
        identoff = pos
    struct.pack_into("<HH", rom, EB_PCIR + 4, vendor, device)
    struct.pack_into("<H", rom, EB_PCIR + 0x10, len(rom) // 512)
    struct.pack_into("<H", rom, EB_PNP + 0x10, identoff & 0xFFFF)
    rom[EB_PNP + 9] = 0
    rom[EB_PNP + 9] = (256 - sum8(rom[EB_PNP : EB_PNP + 0x20])) & 0xFF
    rom[EB_UNDI + 5] = 0
    rom[EB_UNDI + 5] = (256 - sum8(rom[EB_UNDI : EB_UNDI + 0x16])) & 0xFF
    rom[5] = 0
    rom[5] = (256 - sum8(rom)) & 0xFF
    return bytes(rom)


@pytest.mark.parametrize(
    ("length", "size", "ident"),
    [
        (8191, 8192, None),
        (8192, 8192, None),
        (8193, 16384, None),
        (65536, 65536, None),
        (8100, 8192, IDENT),
        (8193, 16384, IDENT),
        (40000, 65536, IDENT),
    ],
)
def test_pci_prefix_matches_the_spec(length: int, size: int, ident: str | None) -> None:
    raw = etherboot_pci(length)
    got = makerom(raw, pci=(0x10EC, 0x8139), ident=ident)
    assert got.data == expected_pci(raw, size, 0x10EC, 0x8139, ident)
    assert got.size == size
    assert got.data[2] == size // 512
    pad_end = got.ident_at if ident else size
    assert got.data[length:pad_end] == b"\xff" * (pad_end - length)
    assert got.data[-2:] == b"\xff\xff" or length > size - 2
    assert sum8(got.data) == 0
    assert (got.pcir, got.pnp, got.undi) == (EB_PCIR, EB_PNP, EB_UNDI)
    if ident:
        text = ident.encode() + b"\0"
        assert got.data[-2 - len(text) : -2] == text
        assert got.ident_at == size - 2 - len(text)


def test_explicit_size_and_truncated_division() -> None:
    raw = etherboot_pci(5000)
    got = makerom(raw, size=0x4000, pci=(0x8086, 0x1229))
    assert got.size == 0x4000 and got.data[2] == 32
    assert struct.unpack_from("<H", got.data, EB_PCIR + 0x10)[0] == 32
    with pytest.raises(BuildError, match="multiple of 512"):
        makerom(raw, size=0x2100)


def test_size_byte_zero_is_refused_unless_a_fitting_size_is_given() -> None:
    raw = etherboot_pci(70000)  # makerom picks 128 KiB -> size byte 0
    with pytest.raises(BuildError, match="size byte 0") as exc:
        makerom(raw, pci=(0x10EC, 0x8139))
    assert "--size 130560" in str(exc.value)
    fits = makerom(raw, pci=(0x10EC, 0x8139), size=130560)
    assert fits.data[2] == 255 and sum8(fits.data) == 0
    # strict=False reproduces makerom's invalid ROM: size byte 0, PCIR length 0x100.
    loose = makerom(raw, pci=(0x10EC, 0x8139), strict=False)
    assert loose.data[2] == 0 and len(loose.data) == 131072
    assert struct.unpack_from("<H", loose.data, EB_PCIR + 0x10)[0] == 0x100


def test_ident_past_64k_wraps_the_product_pointer() -> None:
    raw = etherboot_pci(66000)
    got = makerom(raw, size=130560, ident="x", pci=(1, 2))
    assert got.ident_at == 130560 - 4
    assert struct.unpack_from("<H", got.data, EB_PNP + 0x10)[0] == (130560 - 4) & 0xFFFF


def test_alias_second_pass_keeps_size_and_original_ident() -> None:
    first = makerom(etherboot_pci(9000), pci=(0x10EC, 0x8139), ident=IDENT).data
    second = makerom(first, pci=(0x1186, 0x1300), ident="dfe538.zrom 5.4.4 (GPL) etherboot.org")
    out = second.data
    assert len(out) == len(first) == 16384 and out[2] == 32
    assert IDENT.encode() in out and b"dfe538" not in out
    assert out[EB_PNP : EB_PNP + 0x20] == first[EB_PNP : EB_PNP + 0x20]  # not recomputed
    assert struct.unpack_from("<HH", out, EB_PCIR + 4) == (0x1186, 0x1300)
    assert sum8(out[EB_UNDI : EB_UNDI + 0x16]) == 0
    assert sum8(out) == 0
    changed = [i for i in range(len(out)) if out[i] != first[i]]
    assert set(changed) <= {5, EB_PCIR + 4, EB_PCIR + 5, EB_PCIR + 6, EB_PCIR + 7}
    assert any(n.startswith("ident not added") for n in second.notes)


def test_isa_prefix_gets_no_ident_when_the_code_word_is_not_zero() -> None:
    raw = etherboot_isa(6000, word_1a=0x0300, at_ptr=b"\xa5\xb3")
    got = makerom(raw, ident="3c509.zrom 5.4.4 (GPL) etherboot.org")
    assert got.ident_at is None
    expected = bytearray(raw) + b"\xff" * (8192 - 6000)
    expected[2] = 16
    expected[5] = 0
    expected[5] = (256 - sum8(expected)) & 0xFF
    assert got.data == bytes(expected)


def test_isa_prefix_gets_the_ident_when_the_code_word_lands_on_zero() -> None:
    raw = etherboot_isa(6000, word_1a=0x0400, at_ptr=b"\0\0")
    got = makerom(raw, ident="isa")
    assert got.ident_at == 8192 - 4 - 2
    assert got.data[got.ident_at : got.ident_at + 4] == b"isa\0"
    assert got.pcir is None and sum8(got.data) == 0


def test_ids_on_an_isa_rom_are_refused() -> None:
    with pytest.raises(BuildError, match="ISA"):
        makerom(etherboot_isa(3000), pci=(0x10EC, 0x8139))
    # "-p ," (no ids, only the PCIR length) is simply not applicable to an ISA ROM
    assert sum8(makerom(etherboot_isa(3000), pci=(None, None)).data) == 0


def test_3c503_fixup_only_at_8k() -> None:
    got = makerom(etherboot_isa(5000), three_c503=True)
    assert got.data[0x1FFE:0x2000] == b"\x80\x80" and sum8(got.data) == 0
    big = makerom(etherboot_isa(9000), three_c503=True)
    plain = makerom(etherboot_isa(9000))
    assert big.size == 16384 and big.data == plain.data
    assert any("skipped" in n for n in big.notes)


def test_no_pci_option_leaves_pcir_length() -> None:
    raw = etherboot_pci(3000)
    got = makerom(raw)
    assert struct.unpack_from("<H", got.data, EB_PCIR + 0x10)[0] == 0
    assert sum8(got.data) == 0


def test_bad_inputs() -> None:
    with pytest.raises(RomFormatError, match="truncated"):
        makerom(b"\x55\xaa")
    with pytest.raises(RomFormatError, match="not an option ROM"):
        makerom(b"MZ\x90\x00" + bytes(100))
    with pytest.raises(BuildError, match="ident too long"):
        makerom(etherboot_pci(8150), ident="x" * 60)
    with pytest.raises(BuildError, match="ident too long"):
        makerom(etherboot_pci(8191), ident=IDENT)
    with pytest.raises(BuildError, match="ASCII"):
        makerom(etherboot_pci(3000), ident="caf\u00e9")
    with pytest.raises(BuildError, match="jump at 3"):
        makerom(ipxe_image(4))
    chained = bytearray(etherboot_pci(3000))
    chained[EB_PCIR + 0x15] = 0
    with pytest.raises(BuildError, match="more images"):
        makerom(bytes(chained))
    with pytest.raises(BuildError, match="256 KiB"):
        makerom(b"\x55\xaa" + bytes(262150))


@settings(max_examples=40, deadline=None)
@given(
    length=st.integers(min_value=EB_UNDI + 0x16, max_value=70000),
    seed=st.integers(0, 2**16),
    ident=st.one_of(st.none(), st.text(alphabet="abcXYZ019 .()", min_size=1, max_size=40)),
    pci=st.one_of(st.none(), st.tuples(st.integers(1, 0xFFFF), st.integers(1, 0xFFFF))),
)
def test_every_build_sums_to_zero_and_rebuilding_is_idempotent(
    length: int, seed: int, ident: str | None, pci: tuple[int, int] | None
) -> None:
    raw = etherboot_pci(length, seed)
    size = 130560 if length > 65536 else None
    try:
        first = makerom(raw, ident=ident, pci=pci, size=size)
    except BuildError as exc:  # only when the blank tail cannot hold the ident
        assert ident and "ident too long" in str(exc)
        return
    assert sum8(first.data) == 0
    assert first.data[2] * 512 == len(first.data)
    again = makerom(first.data, ident=ident, pci=pci)
    assert again.data == first.data
