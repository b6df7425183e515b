"""Header codecs, chain walking, family detection and checksum repair on synthetic ROMs."""

from __future__ import annotations

from types import ModuleType

import pytest

from romtool.errors import RomFormatError
from romtool.optionrom import (
    Family,
    Pcir,
    PnpHeader,
    RomImage,
    Where,
    fix_all,
    fix_rom_checksum,
    sum8,
    walk_chain,
)
from romtool.optionrom.fix import set_last_image


def test_ipxe_fields_read_in_place(roms: ModuleType) -> None:
    buf = roms.ipxe(vendor=0x10EC, device=0x8139, blocks=16)
    img = RomImage(buf)
    assert img.size == 16 * 512
    assert img.header.size_blocks == 16
    assert img.header.init_kind() == "jmp near"
    assert img.header.init_target() == 0xA8
    pcir = img.pcir
    assert pcir is not None
    assert (pcir.vendor, pcir.device) == (0x10EC, 0x8139)
    assert pcir.revision == 3 and pcir.struct_length == 0x1C
    assert pcir.class_value == 0x020000
    assert pcir.device_list() == [0x100E]
    assert pcir.runtime_blocks == 1 and pcir.last
    pnp = img.pnp
    assert pnp is not None and pnp.checksum_ok()
    assert img.string_at(pnp.manufacturer_ptr) == "http://ipxe.org"
    assert img.string_at(pnp.product_ptr) == "iPXE"
    assert pnp.bev == 0x0385 and pnp.device_type_value == 0x020000
    undi = img.undi
    assert undi is not None and undi.version == "2.1.0" and undi.checksum_ok()
    ipxe = img.ipxe
    assert ipxe is not None and ipxe.build_id == 0x12345678 and ipxe.checksum_ok()
    assert img.checksum_ok()
    assert img.detect_family().family is Family.IPXE


def test_writes_go_into_the_callers_buffer(roms: ModuleType) -> None:
    buf = roms.ipxe()
    pcir = RomImage(buf).pcir
    assert pcir is not None
    pcir.vendor = 0x1234
    assert buf[0x1C + 4 : 0x1C + 6] == b"\x34\x12"
    fix = fix_rom_checksum(RomImage(buf))
    assert fix.address == 6 and fix.changed
    assert sum8(buf, 0, 16 * 512) == 0


def test_read_only_view_refuses_writes(roms: ModuleType) -> None:
    pcir = RomImage(bytes(roms.ipxe())).pcir
    assert pcir is not None
    with pytest.raises(TypeError):
        pcir.vendor = 1


def test_rev0_pcir_has_no_rev3_fields(roms: ModuleType) -> None:
    img = RomImage(roms.etherboot())
    pcir = img.pcir
    assert pcir is not None
    assert pcir.revision == 0
    assert pcir.runtime_blocks is None and pcir.config_ptr is None and pcir.clp_ptr is None
    assert pcir.device_list() is None
    assert [f.name for f in Pcir.FIELDS][:3] == ["signature", "vendor", "device"]


def test_etherboot_family_and_checksum_at_5(roms: ModuleType) -> None:
    buf = roms.etherboot()
    img = RomImage(buf)
    guess = img.detect_family()
    assert guess.family is Family.ETHERBOOT and "Etherboot" in guess.reason
    assert img.checksum_offset() == 5
    buf[0x100] ^= 0xFF
    fixes = fix_all(buf)
    assert [f.what for f in fixes] == ["PnP", "UNDI", "ROM"]
    assert fixes[-1].address == 5 and fixes[-1].changed
    assert RomImage(buf).checksum_ok()


def test_isa_rom_is_unknown_and_pointers_are_not_followed(roms: ModuleType) -> None:
    img = RomImage(roms.isa())
    assert img.detect_family().family is Family.UNKNOWN
    assert img.locate_pcir().status in (Where.NO_SIGNATURE, Where.OUTSIDE)
    assert img.pcir is None and img.pnp is None
    assert img.checksum_ok()
    with pytest.raises(RomFormatError, match="family unknown"):
        img.checksum_offset()
    assert img.checksum_offset(Family.GENERIC) == img.size - 1


def test_inner_checksums_fixed_before_rom_checksum(roms: ModuleType) -> None:
    buf = roms.ipxe()
    buf[0x49] ^= 0x11  # PnP checksum
    buf[0x85] ^= 0x22  # UNDI checksum
    buf[0xA1] ^= 0x33  # iPXE checksum
    img = RomImage(buf)
    assert not (img.pnp and img.pnp.checksum_ok())
    fixes = fix_all(buf)
    assert [f.what for f in fixes] == ["PnP", "UNDI", "iPXE", "ROM"]
    assert all(f.changed for f in fixes[:3])
    img = RomImage(buf)
    assert img.pnp is not None and img.pnp.checksum_ok()
    assert img.undi is not None and img.undi.checksum_ok()
    assert img.ipxe is not None and img.ipxe.checksum_ok()
    assert img.checksum_ok()


def test_chain_of_legacy_and_efi(roms: ModuleType) -> None:
    buf = roms.chain(roms.ipxe(blocks=4), roms.efi(blocks=8))
    ch = walk_chain(buf)
    assert [i.offset for i in ch] == [0, 4 * 512]
    legacy, efi = ch.images
    assert legacy.pcir is not None and not legacy.pcir.last
    assert efi.is_efi and efi.efi is not None
    assert efi.efi.machine_name == "x64" and efi.size == 8 * 512
    assert efi.detect_family().family is Family.EFI
    assert legacy.checksum_ok() and efi.checksum_ok()
    # An EFI image has no legacy structures, even if bytes look like pointers.
    assert efi.pnp is None and efi.undi is None


def test_zero_image_length_is_an_error_not_a_loop(roms: ModuleType) -> None:
    buf = roms.chain(roms.ipxe(blocks=4), roms.ipxe(blocks=4))
    buf[0x1C + 0x10 : 0x1C + 0x12] = b"\0\0"
    with pytest.raises(RomFormatError, match="loop"):
        walk_chain(buf)
    lenient = walk_chain(buf, strict=False)
    assert lenient.problems and len(lenient.images) == 0


def test_truncated_chain(roms: ModuleType) -> None:
    buf = roms.chain(roms.ipxe(blocks=4), roms.ipxe(blocks=4))[: 6 * 512]
    with pytest.raises(RomFormatError, match="image 2 is truncated"):
        walk_chain(buf)


def test_next_image_without_signature(roms: ModuleType) -> None:
    buf = roms.chain(roms.ipxe(blocks=4), roms.ipxe(blocks=4))
    buf[4 * 512] = 0
    ch = walk_chain(buf)
    assert len(ch) == 1 and "last-image bit clear" in ch.problems[0]


def test_pnp_next_loop_is_reported(roms: ModuleType) -> None:
    buf = roms.ipxe()
    buf[0x46:0x48] = b"\x40\x00"  # next -> itself
    with pytest.raises(RomFormatError, match="loops"):
        RomImage(buf).pnp_headers()


def test_pointer_outside_image(roms: ModuleType) -> None:
    buf = roms.ipxe(blocks=1)
    buf[0x18:0x1A] = b"\x00\x7f"
    loc = RomImage(buf).locate_pcir()
    assert loc.status is Where.OUTSIDE and loc.view is None


def test_structure_running_past_the_end() -> None:
    buf = bytearray(b"\x55\xaa\x01" + bytes(0x17) + b"PCIR")
    buf[0x18:0x1A] = b"\x1a\x00"  # PCIR signature present, but 0x18 bytes do not fit
    loc = RomImage(buf).locate_pcir()
    assert loc.status is Where.OUTSIDE


def test_pnp_checksum_over_own_length(roms: ModuleType) -> None:
    buf = roms.ipxe()
    pnp = PnpHeader(buf, 0x40)
    assert pnp.checksum_length() == 0x20
    pnp.length_units = 0xFF  # claims 4080 bytes: still inside a 8 KiB image
    pnp.fix_checksum()
    assert pnp.checksum_sum() == 0


def test_set_last_image(roms: ModuleType) -> None:
    buf = roms.ipxe()
    img = RomImage(buf)
    pcir = set_last_image(img, False)
    assert not pcir.last and pcir.indicator == 0
    set_last_image(img, True)
    assert pcir.indicator == 0x80
    with pytest.raises(RomFormatError, match="no PCIR"):
        set_last_image(RomImage(roms.isa()), True)


def test_family_evidence(roms: ModuleType) -> None:
    # Etherboot by its $PnP manufacturer string when the mark at 8/9 is gone.
    rom = roms.etherboot()
    rom[9:0x13] = bytes(10)
    rom[0x200:0x20A] = b"Etherboot\0"
    rom[0x34 + 0x0E : 0x34 + 0x10] = b"\x00\x02"
    guess = RomImage(rom).detect_family()
    assert guess.family is Family.ETHERBOOT and "manufacturer" in guess.reason
    # An E9 jump without an iPXE header is not guessed to be iPXE.
    rom = roms.ipxe()
    rom[0x9C:0xA0] = b"XXXX"
    assert RomImage(rom).detect_family().family is Family.UNKNOWN
    # EB without any Etherboot mark stays unknown as well.
    rom = roms.etherboot()
    rom[9:0x13] = bytes(10)
    assert RomImage(rom).detect_family().family is Family.UNKNOWN
