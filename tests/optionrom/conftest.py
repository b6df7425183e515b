"""Synthetic option ROMs built from the published layouts, for the option-ROM tests.

The builders lay out headers by hand (with ``struct``), independently of the codecs under
test, so a codec bug cannot hide behind a matching builder bug. Tests get them through the
``roms`` fixture: ``roms.ipxe(vendor=0x10EC, device=0x8139)``.
"""

from __future__ import annotations

import struct
import sys
from types import ModuleType

import pytest


def _fix(buf: bytearray, start: int, length: int, at: int) -> None:
    buf[at] = 0
    buf[at] = (-sum(buf[start : start + length])) & 0xFF


def ipxe(
    *,
    vendor: int = 0x8086,
    device: int = 0x100E,
    blocks: int = 16,
    last: bool = True,
    devlist: tuple[int, ...] = (0x100E,),
    mfg: bytes = b"http://ipxe.org",
    product: bytes = b"iPXE",
    bev: int = 0x0385,
    fix: bool = True,
) -> bytearray:
    """An iPXE-shaped legacy image (E9 jump, checksum at 6, iPXE header, rev-3 PCIR)."""
    b = bytearray(b"\xff" * (blocks * 512))
    b[0:2] = b"\x55\xaa"
    b[2] = blocks & 0xFF
    b[3:6] = b"\xe9\xa2\x00"  # jmp near to 0xA8
    b[6] = 0
    b[7:0x10] = bytes(9)
    struct.pack_into("<HHHHHH", b, 0x10, 0x9C, 0, 0, 0x80, 0x1C, 0x40)
    # PCIR rev 3 at 0x1C (0x1C bytes); device list at PCIR+0x60
    struct.pack_into(
        "<4sHHHHB3sHHBBHHH",
        b,
        0x1C,
        b"PCIR",
        vendor,
        device,
        0x60 if devlist else 0,
        0x1C,
        3,
        b"\x00\x00\x02",
        blocks,
        1,
        0,
        0x80 if last else 0,
        1,
        0,
        0,
    )
    for i, d in enumerate((*devlist, 0) if devlist else ()):
        struct.pack_into("<H", b, 0x1C + 0x60 + 2 * i, d)
    # $PnP at 0x40
    struct.pack_into(
        "<4sBBHBBIHH3sBHHHHH",
        b,
        0x40,
        b"$PnP",
        1,
        2,
        0,
        0,
        0,
        0,
        0x60,
        0x70,
        b"\x02\x00\x00",
        0xF4,
        0,
        0,
        bev,
        0,
        0,
    )
    b[0x60 : 0x60 + len(mfg) + 1] = mfg + b"\0"
    b[0x70 : 0x70 + len(product) + 1] = product + b"\0"
    # UNDI ROM ID at 0x80
    struct.pack_into(
        "<4sBBB3sHHHH4s", b, 0x80, b"UNDI", 0x16, 0, 0, b"\x00\x01\x02", 0x4A4, 0, 0, 0, b"PCIR"
    )
    # iPXE header at 0x9C
    struct.pack_into("<4sBBBBI", b, 0x9C, b"iPXE", 0x0C, 0, 1, 0, 0x12345678)
    b[0xA8] = 0xCB  # init: retf
    if fix:
        _fix(b, 0x40, 0x20, 0x49)
        _fix(b, 0x80, 0x16, 0x85)
        _fix(b, 0x9C, 0x0C, 0xA1)
        _fix(b, 0, blocks * 512, 6)
    return b


def etherboot(
    *, vendor: int = 0x10EC, device: int = 0x8139, blocks: int = 16, fix: bool = True
) -> bytearray:
    """An Etherboot 5.4-shaped PCI image (EB jump, checksum at 5, rev-0 PCIR at 0x1C)."""
    b = bytearray(b"\xff" * (blocks * 512))
    b[0:2] = b"\x55\xaa"
    b[2] = blocks & 0xFF
    b[3:5] = b"\xeb\x70"  # jmp short to 0x75
    b[5] = 0
    b[6:9] = b"\xe9\x00\x00"
    b[9:0x13] = b"Etherboot\0"
    struct.pack_into("<HHH", b, 0x16, 0x54, 0x1C, 0x34)
    struct.pack_into(
        "<4sHHHHB3sHHBBH",
        b,
        0x1C,
        b"PCIR",
        vendor,
        device,
        0,
        0x18,
        0,
        b"\x02\x00\x00",
        blocks,
        1,
        0,
        0x80,
        0,
    )
    struct.pack_into(
        "<4sBBHBBIHH3sBHHHHH",
        b,
        0x34,
        b"$PnP",
        1,
        2,
        0,
        0,
        0,
        0,
        0x09,
        0,
        b"\x02\x00\x00",
        0x14,
        0,
        0,
        0x75,
        0,
        0,
    )
    struct.pack_into(
        "<4sBBB3sHHHH4s", b, 0x54, b"UNDI", 0x16, 0, 0, b"\x00\x01\x02", 0x80, 0, 0, 0, b"PCIR"
    )
    b[0x75] = 0xCB
    if fix:
        _fix(b, 0x34, 0x20, 0x3D)
        _fix(b, 0x54, 0x16, 0x59)
        _fix(b, 0, blocks * 512, 5)
    return b


def isa(*, blocks: int = 4, fix: bool = True) -> bytearray:
    """A plain ISA ROM: no PCIR, code where the pointers would be, checksum in the last byte."""
    b = bytearray(range(256)) * (blocks * 2)
    b[0:3] = bytes([0x55, 0xAA, blocks])
    b[3] = 0xCB
    if fix:
        _fix(b, 0, blocks * 512, blocks * 512 - 1)
    return b


def efi(
    *, vendor: int = 0x8086, device: int = 0x100E, blocks: int = 8, fix: bool = True
) -> bytearray:
    """An efirom-shaped EFI image (0x0EF1, rev-0 PCIR code type 3, checksum at 0x34)."""
    b = bytearray(blocks * 512)
    struct.pack_into(
        "<2sHIHHH8sHH", b, 0, b"\x55\xaa", blocks, 0x0EF1, 11, 0x8664, 0, bytes(8), 0x38, 0x1C
    )
    struct.pack_into(
        "<4sHHHHB3sHHBBH",
        b,
        0x1C,
        b"PCIR",
        vendor,
        device,
        0,
        0x18,
        0,
        b"\x00\x00\x02",
        blocks,
        0,
        3,
        0x80,
        0,
    )
    b[0x38:0x3A] = b"MZ"
    if fix:
        _fix(b, 0, blocks * 512, 0x34)
    return b


def chain(*images: bytearray) -> bytearray:
    """Concatenate images, clearing the last-image bit of all but the final one (catrom)."""
    out = bytearray()
    for i, img in enumerate(images):
        img = bytearray(img)
        pcir = struct.unpack_from("<H", img, 0x18)[0]
        if i < len(images) - 1:
            img[pcir + 0x15] &= 0x7F
        else:
            img[pcir + 0x15] |= 0x80
        is_efi = struct.unpack_from("<I", img, 4)[0] == 0x0EF1
        size = (struct.unpack_from("<H", img, 2)[0] if is_efi else img[2]) * 512
        at = 0x34 if is_efi else (5 if img[3] == 0xEB else 6)
        _fix(img, 0, size, at)
        out += img
    return out


@pytest.fixture
def roms() -> ModuleType:
    """This module: the synthetic ROM builders."""
    return sys.modules[__name__]
