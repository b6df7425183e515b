"""Synthetic driver binaries laid out as our option-ROM notes describe them.

Etherboot 5.x prefixes (section 1.7): ISA (code at 0x10-0x1B) and PCI (PCIR rev 0 at 0x1C,
$PnP at 0x34, UNDI ROM ID at 0x54, "Etherboot" at 8), both shipped with size byte 0 and
checksum 0. iPXE images (section 3.1): E9 rel16 at 3, checksum at 6, iPXE header, UNDI, PCIR
rev 3, $PnP. An efirom-style EFI image (section 3.5). Payload bytes are filled from a seed so
tests can vary them.
"""

from __future__ import annotations

import random
import struct

EB_PCIR = 0x1C
EB_PNP = 0x34
EB_UNDI = 0x54
EB_CODE = 0x6A


def _payload(n: int, seed: int) -> bytes:
    rng = random.Random(seed)
    return bytes(rng.randrange(256) for _ in range(n))


def etherboot_pci(length: int, seed: int = 1, *, product_ptr: int = 0) -> bytes:
    """An unfinalised Etherboot 5.4 PCI prefix + payload, ``length`` bytes in all."""
    assert length >= EB_CODE
    rom = bytearray(_payload(length, seed))
    rom[0:8] = b"\x55\xaa\x00\xeb\x40\x00\xe9\x10"
    rom[8:18] = b"Etherboot\x00"
    rom[0x12:0x16] = bytes(4)
    struct.pack_into("<HHH", rom, 0x16, EB_UNDI, EB_PCIR, EB_PNP)
    # PCIR rev 0: ids 0, VPD 0, length 0x18, rev 0, class reversed 02 00 00, image length 0,
    # code revision 1, code type 0, indicator 0x80, reserved.
    rom[EB_PCIR : EB_PCIR + 0x18] = (
        b"PCIR" + struct.pack("<HHHHB", 0, 0, 0, 0x18, 0) + b"\x02\x00\x00"
        + struct.pack("<HHBBH", 0, 1, 0, 0x80, 0)
    )  # fmt: skip
    # $PnP rev 1, length 2, next 0, reserved, checksum 0, device id 0, manufacturer ptr 9,
    # product ptr, device type 02 00 00, indicators 0x14, BCV 0, DV 0, BEV 0x60, res, 0.
    rom[EB_PNP : EB_PNP + 0x20] = (
        b"$PnP" + bytes([1, 2]) + struct.pack("<HBB", 0, 0, 0) + struct.pack("<I", 0)
        + struct.pack("<HH", 9, product_ptr) + b"\x02\x00\x00\x14"
        + struct.pack("<HHHHH", 0, 0, 0x60, 0, 0)
    )  # fmt: skip
    # UNDI ROM ID: length 0x16, checksum 0, rev 0, version 0 1 2, loader, stack, data, code, PCIR.
    rom[EB_UNDI : EB_UNDI + 0x16] = (
        b"UNDI" + bytes([0x16, 0, 0, 0, 1, 2]) + struct.pack("<HHHH", 0x80, 0x600, 0x400, 0x1000)
        + b"PCIR"
    )  # fmt: skip
    return bytes(rom)


def etherboot_isa(
    length: int, seed: int = 2, *, word_1a: int = 0x0300, at_ptr: bytes = b""
) -> bytes:
    """An unfinalised Etherboot ISA prefix: code where PCI prefixes keep pointers.

    ``word_1a`` is the code word makerom reads as a PnP pointer; ``at_ptr`` is written at
    that pointer + 0x10 (``b"\\0\\0"`` makes makerom add the ident).
    """
    rom = bytearray(_payload(length, seed))
    rom[0:8] = b"\x55\xaa\x00\xeb\x40\x00\xe9\x10"
    # no "UNDI" at the word at 0x16 and no PCIR/$PnP: random code plus the chosen word.
    struct.pack_into("<H", rom, 0x16, 0x0200)
    struct.pack_into("<H", rom, 0x1A, word_1a)
    if at_ptr:
        rom[word_1a + 0x10 : word_1a + 0x10 + len(at_ptr)] = at_ptr
    elif rom[word_1a + 0x10 : word_1a + 0x12] == b"\0\0":
        rom[word_1a + 0x10] = 0xA5
    return bytes(rom)


IPXE_PCIR = 0x1C
IPXE_PNP = 0x40
IPXE_UNDI = 0x60
IPXE_HDR = 0x78


def ipxe_image(
    blocks: int, seed: int = 3, *, vendor: int = 0x8086, device: int = 0x100E, last: bool = True
) -> bytes:
    """A finished-looking iPXE image of ``blocks`` * 512 bytes (checksums left wrong)."""
    n = blocks * 512
    rom = bytearray(_payload(n, seed))
    rom[0:3] = bytes([0x55, 0xAA, blocks])
    rom[3:6] = b"\xe9\xa0\x00"
    rom[6] = 0
    rom[7:0x10] = bytes(9)
    struct.pack_into("<HHHHHH", rom, 0x10, IPXE_HDR, 0, 0, IPXE_UNDI, IPXE_PCIR, IPXE_PNP)
    rom[IPXE_PCIR : IPXE_PCIR + 0x1C] = (
        b"PCIR" + struct.pack("<HHHHB", vendor, device, 0, 0x1C, 3) + b"\x00\x00\x02"
        + struct.pack("<HHBBHHH", blocks, 1, 0, 0x80 if last else 0, 1, 0, 0)
    )  # fmt: skip
    rom[IPXE_PNP : IPXE_PNP + 0x20] = (
        b"$PnP" + bytes([1, 2]) + struct.pack("<HBB", 0, 0, 0) + struct.pack("<I", 0)
        + struct.pack("<HH", 0, 0) + b"\x02\x00\x00\xf4" + struct.pack("<HHHHH", 0, 0, 0x90, 0, 0)
    )  # fmt: skip
    rom[IPXE_UNDI : IPXE_UNDI + 0x16] = (
        b"UNDI" + bytes([0x16, 0, 0, 0, 1, 2]) + struct.pack("<HHHH", 0x80, 0x600, 0x400, 0x1000)
        + b"PCIR"
    )  # fmt: skip
    rom[IPXE_HDR : IPXE_HDR + 12] = b"iPXE" + bytes([12, 0, 1, 0]) + struct.pack("<I", 0x1234)
    return bytes(rom)


def efi_image(blocks: int, seed: int = 4, *, vendor: int = 0x8086, device: int = 0x100E) -> bytes:
    """An efirom-style EFI image (PCIR rev 0 at 0x1C, checksum byte 0x34), summing to 0."""
    n = blocks * 512
    rom = bytearray(_payload(n, seed))
    rom[0:2] = b"\x55\xaa"
    struct.pack_into("<HIHHH", rom, 2, blocks, 0x0EF1, 11, 0x8664, 0)
    rom[0x0E:0x16] = bytes(8)
    struct.pack_into("<HH", rom, 0x16, 0x38, 0x1C)
    rom[0x1A:0x1C] = bytes(2)
    rom[0x1C:0x34] = (
        b"PCIR" + struct.pack("<HHHHB", vendor, device, 0, 0x18, 0) + b"\x00\x00\x02"
        + struct.pack("<HHBBH", blocks, 1, 3, 0x80, 0)
    )  # fmt: skip
    rom[0x34:0x38] = bytes(4)
    rom[0x34] = -sum(rom) & 0xFF
    return bytes(rom)


def sum8(data: bytes) -> int:
    return sum(data) & 0xFF
