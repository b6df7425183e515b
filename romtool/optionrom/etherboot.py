"""Etherboot mode: finalise a ROM exactly as Etherboot 5.4's ``makerom.pl`` does.

The algorithm is restated from the facts in our option-ROM notes (makerom 5.4, section 1.3)
and reproduces that tool's output byte for byte on the inputs it accepts, with a few
deliberate differences (all but the last only refuse, never change bytes):

* numbers come in already parsed (``0x``/decimal, ``V:D``): there is no Perl ``oct()``;
* a size byte of 0 (ROMs of 128 KiB and more) is refused, since every BIOS rejects it,
  unless ``strict=False`` (then the makerom bytes, size byte 0 included, are produced);
* a size that is not a multiple of 512 is refused (makerom truncates the size byte and the
  checksum no longer covers what the BIOS sums);
* an ident that does not fit the blank tail is an error (makerom silently leaves it out), and
  the ident ``"0"`` is text (Perl's truthiness made makerom skip it).

What makerom does, in order: pad with 0xFF to a power of two from 8 KiB (or to the given
size), write the size byte, place the ident 2 bytes before the end when the $PnP product
pointer reads 0 (the pointer at 0x1A is read blindly, so in ISA images code bytes decide),
set the PCIR ids and image length when both PCIR and $PnP look valid and ids were given, set
the PnP product pointer and fix the PnP checksum over 0x20 bytes, fix the UNDI checksum over
0x16 bytes, apply the 3c503 fix-up, then the ROM checksum at byte 5 over the whole file.

The alias-ROM second pass (running it again on a finished ROM with other ids) keeps the size
and the original ident, because the size byte and the product pointer are already set.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from romtool.errors import BuildError, RomFormatError
from romtool.optionrom.fields import fix_sum8
from romtool.optionrom.headers import BLOCK, MAX_SIZE_BYTE

MIN_SIZE = 8 * 1024
"""makerom's smallest ROM (a 2764)."""
MAX_SIZE = 256 * 1024
"""makerom's largest ROM; it reads at most MAX_SIZE + 1 bytes of input."""

CHECKSUM_AT = 0x05
"""Etherboot's ROM checksum byte (gPXE/iPXE use 6)."""
OFF_SIZE = 0x02
OFF_UNDI_PTR = 0x16
OFF_PCIR_PTR = 0x18
OFF_PNP_PTR = 0x1A

PNP_PRODUCT = 0x10
"""$PnP product-name pointer (also the word makerom tests for 0)."""
PNP_CHECKSUM = 0x09
PNP_SUM_LEN = 0x20
"""makerom sums exactly 32 PnP bytes, whatever the header's length field says."""
UNDI_CHECKSUM = 0x05
UNDI_SUM_LEN = 0x16
"""makerom sums exactly 22 UNDI bytes."""
PCIR_VENDOR = 0x04
PCIR_DEVICE = 0x06
PCIR_IMAGE_LEN = 0x10
PCIR_INDICATOR = 0x15
LAST_IMAGE = 0x80
"""PCIR indicator bit 7: the last image of a chain."""
NEAR_JUMPS = (0xE9, 0xE8)
"""``E9``/``E8 rel16`` at 3 cover byte 5, so such an image cannot be an Etherboot one."""

THREE_C503_SIZE = 8192
"""The 3c503 fix-up applies only to an 8 KiB ROM."""
THREE_C503_BYTES = (0x1FFE, 0x1FFF)
THREE_C503_VALUE = 0x80
"""The 3c503 ASIC returns 80 80 in the last two bytes of its 8 KiB window."""


@dataclass(frozen=True)
class MakeromResult:
    """A finished Etherboot ROM and what makerom would have said about it.

    Attributes:
        data: the ROM, padded to :attr:`size`.
        size: its length in bytes.
        pcir: offset of the PCIR when PCIR and $PnP both looked valid, else None.
        pnp: offset of the $PnP header under the same condition.
        undi: offset of the UNDI ROM ID when it was found.
        ident_at: where the ident string was written, or None.
        notes: what was done, in makerom's order.
    """

    data: bytes
    size: int
    pcir: int | None
    pnp: int | None
    undi: int | None
    ident_at: int | None
    notes: tuple[str, ...]


def _u16(rom: bytearray, at: int) -> int:
    """makerom's ``unpack('v', substr(...))``: bytes past the end read as missing (0)."""
    chunk = bytes(rom[at : at + 2]) if at >= 0 else b""
    return int.from_bytes(chunk.ljust(2, b"\0")[:2], "little") if chunk else 0


def auto_size(n: int) -> int:
    """makerom's size for an ``n``-byte input with size byte 0: the smallest power of two
    from 8 KiB to 256 KiB that holds it (256 KiB when nothing does)."""
    size = MAX_SIZE
    while size > MIN_SIZE and size >= 2 * n:
        size //= 2
    return size


def makerom(
    raw: bytes,
    *,
    size: int | None = None,
    ident: str | None = None,
    pci: tuple[int | None, int | None] | None = None,
    three_c503: bool = False,
    checksum: bool = True,
    strict: bool = True,
) -> MakeromResult:
    """Finalise an Etherboot ROM like ``makerom.pl [-s size] [-i ident] [-p V,D] [-3]``.

    Args:
        raw: the driver binary (``.rom``/``.zrom``/``.lzrom`` as built, or a finished ROM for
            an alias second pass).
        size: ``-s``: the ROM size in bytes, a multiple of 512; None uses the size byte, or
            the smallest power of two >= the input when the size byte is 0.
        ident: ``-i``: ASCII text placed 2 bytes before the end (with its NUL) when the PnP
            product pointer reads 0; None or ``""`` means no ident.
        pci: ``-p V,D``: vendor and device; a None part leaves that field alone (``(None,
            None)`` is ``-p ,``: only the PCIR image length). Applied only when PCIR and $PnP
            both look valid, as makerom does; ids for a ROM without them are an error, while
            ``(None, None)`` is then ignored.
        three_c503: ``-3``: put ``80 80`` at 0x1FFE when the ROM is 8 KiB.
        checksum: False skips the PnP, UNDI and ROM checksums (romtool's ``--no-checksum``).
        strict: refuse a size byte of 0 (ROMs >= 128 KiB); False reproduces makerom.

    Returns:
        The ROM and notes.

    Raises:
        RomFormatError: fewer than 3 bytes, or no ``55 AA``.
        BuildError: a near jump at 3 (byte 5 is code), a PCIR saying more images follow,
            a size that is not a multiple of 512 or does not fit the size byte,
            an input larger than 256 KiB, an ident that is not ASCII or does not fit the
            blank space at the end, ids given for a ROM without valid PCIR/$PnP headers.
    """
    notes: list[str] = []
    n = len(raw)
    if n < 3:
        raise RomFormatError("driver binary is truncated", expected=">= 3 bytes", actual=n)
    if raw[:2] != b"\x55\xaa":
        raise RomFormatError(
            "not an option ROM", address=0, expected="55 AA", actual=raw[:2].hex(" ").upper()
        )
    if n > MAX_SIZE:
        raise BuildError(
            "driver binary larger than makerom's 256 KiB limit", expected=f"<= {MAX_SIZE}", actual=n
        )
    if n > 3 and raw[3] in NEAR_JUMPS:
        raise BuildError(
            f"byte 5 is part of the {raw[3]:02X} rel16 jump at 3: not an Etherboot layout",
            hint="use --mode ipxe for iPXE/gPXE images",
        )
    rom = bytearray(raw)
    pci_at = _u16(rom, OFF_PCIR_PTR)
    if (
        rom[pci_at : pci_at + 4] == b"PCIR"
        and pci_at + PCIR_INDICATOR < n
        and not rom[pci_at + PCIR_INDICATOR] & LAST_IMAGE
    ):
        raise BuildError(
            "the PCIR says more images follow: Etherboot mode finalises a single image",
            hint="finalise each image, then chain them with `romtool cat`",
        )

    if size is not None:
        if size <= 0 or size % BLOCK:
            raise BuildError(f"ROM size {size} is not a positive multiple of {BLOCK} bytes")
        final = size
    else:
        final = rom[OFF_SIZE] * BLOCK
        if final == 0:
            final = auto_size(n)
    if n > final:
        notes.append(f"ROM size of {final} not big enough for {n} bytes; using {_round512(n)}")
        final = _round512(n)
    blocks = final // BLOCK
    if strict and blocks > MAX_SIZE_BYTE:
        raise BuildError(
            f"a {final}-byte ROM gets size byte {blocks % 256}, which every BIOS rejects",
            expected=f"<= {MAX_SIZE_BYTE * BLOCK} bytes",
            actual=final,
            hint=f"give --size {MAX_SIZE_BYTE * BLOCK} (or less) if the driver fits",
        )
    rom += b"\xff" * (final - n)
    rom[OFF_SIZE] = blocks % 256
    notes.append(f"ROM size {final} bytes, size byte {rom[OFF_SIZE]}")

    # ident: only when the word at the PnP pointer + 0x10 reads 0 (read blindly).
    p = _u16(rom, OFF_PNP_PTR)
    ident_off: int | None = None
    ident_at: int | None = None
    if bytes(rom[p + PNP_PRODUCT : p + PNP_PRODUCT + 2]) == b"\0\0":
        ident_off = 0
        if ident:
            text = _ident_bytes(ident) + b"\0"
            pos = len(rom) - len(text) - 2
            if pos < 0 or rom[pos : pos + len(text)] != b"\xff" * len(text):
                free = _blank_tail(rom)
                raise BuildError(
                    f"ident too long for the free space: {len(text)} bytes with its NUL, "
                    f"{free} blank bytes before the last two",
                    hint="shorten --ident or give a larger --size",
                )
            rom[pos : pos + len(text)] = text
            ident_off = ident_at = pos
            notes.append(f"ident at 0x{pos:X}")
    elif ident:
        notes.append("ident not added: the $PnP product pointer is already set (kept)")

    # PCI + PnP: both must look valid or neither is touched.
    length = len(rom)
    pci_at = _u16(rom, OFF_PCIR_PTR)
    pnp_at = _u16(rom, OFF_PNP_PTR)
    valid = (
        0x1A <= pci_at <= length - 0x18
        and 0x1C <= pnp_at <= length - 0x20
        and rom[pci_at : pci_at + 4] == b"PCIR"
        and rom[pnp_at : pnp_at + 4] == b"$PnP"
    )
    if valid:
        notes.append(f"PCI header at 0x{pci_at:X} and PnP header at 0x{pnp_at:X}")
    if pci is not None and not valid:
        if pci != (None, None):
            raise BuildError(
                "PCI ids given, but the ROM has no valid PCIR and $PnP headers (an ISA ROM?)",
                hint="drop --pci for an ISA driver",
            )
        pci = None
    if pci is not None:
        struct.pack_into("<H", rom, pci_at + PCIR_IMAGE_LEN, (length // BLOCK) & 0xFFFF)
        vendor, device = pci
        if vendor is not None:
            struct.pack_into("<H", rom, pci_at + PCIR_VENDOR, vendor & 0xFFFF)
        if device is not None:
            struct.pack_into("<H", rom, pci_at + PCIR_DEVICE, device & 0xFFFF)
        v, d = struct.unpack_from("<HH", rom, pci_at + PCIR_VENDOR)
        notes.append(f"PCI vendor {v:04x} device {d:04x}, image length {length // BLOCK}")
    if valid and ident_off is not None:
        # A 16-bit field: an ident past 64 KiB points at offset & 0xFFFF, as makerom writes.
        struct.pack_into("<H", rom, pnp_at + PNP_PRODUCT, ident_off & 0xFFFF)
        if checksum:
            fix_sum8(rom, pnp_at, PNP_SUM_LEN, pnp_at + PNP_CHECKSUM)

    undi_at = _u16(rom, OFF_UNDI_PTR)
    undi: int | None = None
    if 0x18 <= undi_at <= length - 0x16 and rom[undi_at : undi_at + 4] == b"UNDI":
        undi = undi_at
        notes.append(f"UNDI header at 0x{undi_at:X}")
        if checksum:
            fix_sum8(rom, undi_at, UNDI_SUM_LEN, undi_at + UNDI_CHECKSUM)

    if three_c503:
        if final == THREE_C503_SIZE:
            for at in THREE_C503_BYTES:
                rom[at] = THREE_C503_VALUE
            notes.append("3c503 fix-up: 80 80 at 0x1FFE")
        else:
            notes.append(f"3c503 fix-up skipped: the ROM is {final} bytes, not 8 KiB")
    if checksum:
        fix_sum8(rom, 0, length, CHECKSUM_AT)
    return MakeromResult(
        bytes(rom),
        final,
        pci_at if valid else None,
        pnp_at if valid else None,
        undi,
        ident_at,
        tuple(notes),
    )


def _round512(n: int) -> int:
    return (n + BLOCK - 1) & ~(BLOCK - 1)


def _ident_bytes(ident: str) -> bytes:
    try:
        data = ident.encode("ascii")
    except UnicodeEncodeError:
        raise BuildError(f"ident {ident!r} is not plain ASCII") from None
    if b"\0" in data:
        raise BuildError("ident contains a NUL byte")
    return data


def _blank_tail(rom: bytearray) -> int:
    """Blank (0xFF) bytes before the last two: the room an ident plus NUL can take."""
    end = len(rom) - 2
    pos = end
    while pos > 0 and rom[pos - 1] == 0xFF:
        pos -= 1
    return end - pos
