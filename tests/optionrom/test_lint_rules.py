"""Lint rules and BIOS verdicts on synthetic ROMs, one flaw at a time."""

from __future__ import annotations

import struct
from types import ModuleType

import pytest

from romtool.errors import RomFormatError
from romtool.optionrom.fix import fix_all
from romtool.optionrom.lint import (
    Severity,
    check_pointers,
    isa_verdict,
    lint_chain,
    lint_image,
    seabios_verdict,
)
from romtool.optionrom.report import inspect_rom, trailing_ident
from romtool.optionrom.rom import Family, RomImage, walk_chain


def codes(buf: bytes | bytearray, severity: Severity | None = None) -> set[str]:
    chain = walk_chain(buf, strict=False)
    return {f.code for f in lint_chain(buf, chain) if severity is None or f.severity is severity}


def refix(buf: bytearray) -> bytearray:
    fix_all(buf)
    return buf


def test_clean_roms_have_no_errors(roms: ModuleType) -> None:
    for rom in (roms.ipxe(), roms.etherboot(), roms.isa(), roms.chain(roms.ipxe(), roms.efi())):
        assert codes(rom, Severity.ERROR) == set(), rom[:4]
        assert codes(rom, Severity.WARNING) == set()


def test_checksum_error_names_the_byte(roms: ModuleType) -> None:
    rom = roms.etherboot()
    rom[0x400] ^= 0x10
    (f,) = [f for f in lint_image(RomImage(rom)) if f.code == "checksum"]
    assert f.severity is Severity.ERROR
    assert "byte 0x5 (etherboot) should be" in f.message
    assert f"should be 0x{(rom[5] - sum(rom)) & 0xFF:02X}" in f.message


def test_unknown_family_checksum_error_says_so(roms: ModuleType) -> None:
    rom = roms.isa()
    rom[10] ^= 1
    (f,) = [f for f in lint_image(RomImage(rom)) if f.code == "checksum"]
    assert "family unknown" in f.message


def test_size_zero(roms: ModuleType) -> None:
    rom = roms.isa()
    rom[2] = 0
    assert "size-zero" in codes(rom, Severity.ERROR)
    assert not isa_verdict(rom).accepted


def test_pcir_flaws(roms: ModuleType) -> None:
    rom = roms.ipxe()
    rom[0x1C + 0x14] = 1  # code type Open Firmware on a legacy image
    assert "code-type" in codes(refix(rom), Severity.WARNING)
    rom = roms.ipxe()
    rom[0x1C + 0x15] = 0  # last-image bit clear on the only image
    found = codes(refix(rom), Severity.ERROR)
    assert {"last-image", "chain"} <= found
    rom = roms.ipxe()
    struct.pack_into("<H", rom, 0x1C + 0x10, 15)  # PCIR length != size byte
    assert "pcir-image-length" in codes(refix(rom), Severity.WARNING)
    rom = roms.etherboot()
    assert "class-reversed" in codes(rom, Severity.INFO)


def test_misaligned_pcir(roms: ModuleType) -> None:
    rom = roms.ipxe()
    pcir = bytes(rom[0x1C : 0x1C + 0x1C])
    rom[0x1C : 0x1C + 0x1C] = b"\xff" * 0x1C
    rom[0x1D : 0x1D + 0x1C] = pcir
    struct.pack_into("<H", rom, 0x18, 0x1D)
    rom[0x1D + 8 : 0x1D + 10] = b"\0\0"  # no device list (it moved)
    assert "pcir-align" in codes(refix(rom), Severity.WARNING)


def test_inner_structure_checksums_are_warnings(roms: ModuleType) -> None:
    rom = roms.ipxe()
    rom[0x49] ^= 1  # PnP
    rom[0x85] ^= 1  # UNDI
    rom[0xA1] ^= 1  # iPXE
    buf = bytearray(rom)
    img = RomImage(buf)
    from romtool.optionrom.fix import fix_rom_checksum

    fix_rom_checksum(img)
    found = codes(buf, Severity.WARNING)
    assert {"pnp-checksum", "undi-checksum", "ipxe-checksum"} <= found
    assert codes(buf, Severity.ERROR) == set()


def test_pnp_without_vectors(roms: ModuleType) -> None:
    rom = roms.ipxe(bev=0)
    assert "pnp-vectors" in codes(rom, Severity.WARNING)


def test_certain_pointer_without_signature(roms: ModuleType) -> None:
    rom = roms.ipxe()
    rom[0x80:0x84] = b"XXXX"  # UNDI signature gone
    found = codes(refix(rom), Severity.WARNING)
    assert "pointer" in found


def test_certain_pointer_outside_is_refused(roms: ModuleType) -> None:
    rom = roms.ipxe(blocks=2)
    struct.pack_into("<H", rom, 0x16, 0x7000)
    img = RomImage(rom)
    with pytest.raises(RomFormatError, match="UNDI ROM ID pointer at 0x16 points outside"):
        check_pointers(img, Family.IPXE)
    # An ISA ROM's 0x16 is code, never a pointer: nothing is refused.
    check_pointers(RomImage(roms.isa()), Family.UNKNOWN)


def test_socket_window_and_large_legacy(roms: ModuleType) -> None:
    rom = roms.isa(blocks=64)  # 32 KiB
    img = RomImage(rom)
    assert "window" in {f.code for f in lint_image(img, window=16 * 1024)}
    assert "window" not in {f.code for f in lint_image(img, window=32 * 1024)}
    big = roms.ipxe(blocks=255)
    struct.pack_into("<H", big, 0x1C + 0x10, 256)  # PCIR says 128 KiB
    big += b"\xff" * 512
    assert "too-large" in codes(refix(big), Severity.WARNING)


def test_trailing_data_note(roms: ModuleType) -> None:
    rom = roms.ipxe() + b"\xff" * 1024
    notes = [f for f in lint_chain(rom, walk_chain(rom)) if f.code == "trailing"]
    assert notes and "blank" in notes[0].message


def test_seabios_verdicts(roms: ModuleType) -> None:
    rom = roms.ipxe(vendor=0x10EC, device=0x8139)
    assert seabios_verdict(rom, 0x10EC, 0x8139).accepted
    v = seabios_verdict(rom, 0x8086, 0x100E)
    assert not v.accepted and "No more images" in v.reason
    bad = bytearray(rom)
    bad[0x300] ^= 1
    v = seabios_verdict(bad, 0x10EC, 0x8139)
    assert not v.accepted and "bad checksum" in v.reason and v.image == 0
    # The PCI 3.0 device list is not consulted.
    assert not seabios_verdict(roms.ipxe(devlist=(0x8139,)), 0x8086, 0x8139).accepted
    # The second image of a chain is found; EFI images are skipped (code type 3).
    chain = roms.chain(roms.efi(vendor=0x1234, device=1), roms.ipxe(vendor=0x1234, device=1))
    v = seabios_verdict(chain, 0x1234, 1)
    assert v.accepted and v.image == 1
    assert not seabios_verdict(roms.isa(), 0x1234, 1).accepted
    zero = roms.chain(roms.ipxe(blocks=2), roms.ipxe(blocks=2))
    struct.pack_into("<H", zero, 0x1C + 0x10, 0)
    assert "loop" in seabios_verdict(zero, 1, 2).reason


def test_isa_verdict(roms: ModuleType) -> None:
    assert isa_verdict(roms.isa()).accepted
    rom = roms.isa()
    rom[7] ^= 1
    assert not isa_verdict(rom).accepted
    assert not isa_verdict(roms.isa()[:1000]).accepted


def test_report_defaults_to_first_pcir(roms: ModuleType) -> None:
    report = inspect_rom(roms.ipxe(vendor=0x10EC, device=0x8139))
    assert report.seabios_target == (0x10EC, 0x8139) and report.seabios is not None
    assert report.seabios.accepted and report.ok
    assert inspect_rom(roms.isa()).seabios is None


def test_trailing_ident() -> None:
    size = 8192
    rom = bytearray(b"\xff" * size)
    ident = b"rtl8139.rom 5.4.4 (GPL) etherboot.org"
    pos = size - len(ident) - 1 - 2
    rom[pos : pos + len(ident) + 1] = ident + b"\0"
    assert trailing_ident(rom, 0, size) == ident.decode()
    assert trailing_ident(b"\xff" * size, 0, size) is None


def test_structure_lengths_that_cannot_hold_a_checksum(roms: ModuleType) -> None:
    rom = roms.ipxe()
    rom[0x45] = 0  # $PnP length 0 units
    rom[0x84] = 3  # UNDI length 3: shorter than its checksum byte at +5
    buf = refix_rom_only(rom)
    found = {f.code: f.message for f in lint_image(RomImage(buf))}
    assert "too short to hold its own checksum" in found["pnp-length"]
    assert "too short" in found["undi-checksum"]
    with pytest.raises(RomFormatError, match="too short"):
        fix_all(bytearray(buf))


def refix_rom_only(rom: bytearray) -> bytearray:
    from romtool.optionrom.fix import fix_rom_checksum

    buf = bytearray(rom)
    fix_rom_checksum(RomImage(buf))
    return buf
