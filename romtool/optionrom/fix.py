"""Checksum repair, family-aware, inner structures first.

The order matters: the $PnP, UNDI and iPXE headers each carry their own checksum, and the ROM
checksum covers those bytes too, so the inner ones are fixed first and the ROM checksum last
(iPXE's ``fixrom.pl`` does the same per image of a chain).

All functions work in place on a ``bytearray`` and return what they changed as :class:`Fix`
records, which ``romtool checksum`` prints and the builders log.
"""

from __future__ import annotations

from dataclasses import dataclass

from romtool.errors import RomFormatError
from romtool.optionrom.fields import ChecksummedView, fix_sum8
from romtool.optionrom.headers import EfiHeader, Pcir
from romtool.optionrom.rom import Family, RomImage, walk_chain


@dataclass(frozen=True)
class Fix:
    """One checksum byte that was (re)computed.

    Attributes:
        image: 0-based index of the image in the chain.
        what: ``"PnP"``, ``"UNDI"``, ``"iPXE"`` or ``"ROM"``.
        address: absolute offset of the checksum byte in the buffer.
        old: the byte before.
        new: the byte after (equal to ``old`` when it was already right).
    """

    image: int
    what: str
    address: int
    old: int
    new: int

    @property
    def changed(self) -> bool:
        return self.old != self.new


def _fix_view(img: RomImage, what: str, view: ChecksummedView, length: int | None) -> Fix:
    at = view.offset + view.CHECKSUM_AT
    old = img.buf[at]
    new = view.fix_checksum(length)
    return Fix(img.index, what, at, old, new)


def fix_inner_checksums(
    img: RomImage, *, pnp_length: int | None = None, undi_length: int | None = None
) -> list[Fix]:
    """Fix the $PnP (every header in the ``next`` chain), UNDI and iPXE header checksums.

    Args:
        img: an image over a ``bytearray``.
        pnp_length: bytes the PnP checksum covers; None = the header's ``length * 16``
            (iPXE). Etherboot's makerom passes 0x20.
        undi_length: bytes the UNDI checksum covers; None = its length byte (iPXE).
            Etherboot's makerom passes 0x16.

    Returns:
        One :class:`Fix` per structure found (EFI images have none).

    Raises:
        RomFormatError: a structure's length runs past the end of the image, or its
            ``next`` chain loops.
    """
    fixes: list[Fix] = []
    if img.is_efi:
        return fixes
    for pnp in img.pnp_headers():
        fixes.append(_fix_view(img, "PnP", pnp, pnp_length))
    undi = img.undi
    if undi is not None:
        fixes.append(_fix_view(img, "UNDI", undi, undi_length))
    ipxe = img.ipxe
    if ipxe is not None:
        fixes.append(_fix_view(img, "iPXE", ipxe, None))
    return fixes


def efi_checksum_offset(img: RomImage) -> int:
    """Where an EFI image keeps its checksum byte: 0x34, in efirom's layout only.

    iPXE's efirom puts a rev-0 PCIR (0x18 bytes) at 0x1C and the checksum in the padding
    right after it; any other layout has no free byte we can know of.

    Raises:
        RomFormatError: the image does not have efirom's layout.
    """
    pcir = img.pcir
    at = EfiHeader.CHECKSUM_AT
    if pcir is None or pcir.offset - img.offset + pcir.struct_length > at:
        raise RomFormatError(
            f"image {img.index + 1}: EFI image without efirom's layout, no spare checksum byte",
            address=img.offset,
        )
    return at


def fix_rom_checksum(img: RomImage, family: Family | None = None, at: int | None = None) -> Fix:
    """Set the image's ROM checksum byte so its :attr:`RomImage.size` bytes sum to 0.

    Args:
        img: an image over a ``bytearray``.
        family: where the byte lives (Etherboot 5, iPXE 6, generic last byte, EFI 0x34);
            None detects the family.
        at: the caller's own image-relative offset (overrides ``family``).

    Raises:
        RomFormatError: unknown family and no ``at``; the image is truncated or has size 0.
    """
    if not isinstance(img.buf, bytearray):
        raise TypeError("fix_rom_checksum needs a bytearray")
    if at is None and (family is Family.EFI or (family is None and img.is_efi)):
        at = efi_checksum_offset(img)
    rel = img.checksum_offset(family, at)
    img.checksum_sum()  # raises for size 0 / truncated before anything is written
    address = img.offset + rel
    old = img.buf[address]
    new = fix_sum8(img.buf, img.offset, img.size, address)
    return Fix(img.index, "ROM", address, old, new)


def fix_image(img: RomImage, family: Family | None = None, at: int | None = None) -> list[Fix]:
    """Inner checksums, then the ROM checksum, of one image (see :func:`fix_rom_checksum`)."""
    fixes = fix_inner_checksums(img)
    fixes.append(fix_rom_checksum(img, family, at))
    return fixes


def fix_all(buf: bytearray, family: Family | None = None, at: int | None = None) -> list[Fix]:
    """Fix every image of the chain in ``buf``.

    ``family`` and ``at`` apply to the legacy (x86) images; EFI images in the chain always use
    efirom's byte at 0x34.

    Raises:
        RomFormatError: the chain is broken, or a family cannot be told (give one).
    """
    fixes: list[Fix] = []
    for img in walk_chain(buf):
        if img.is_efi:
            fixes.extend(fix_image(img, Family.EFI))
        else:
            fixes.extend(fix_image(img, family, at))
    return fixes


def set_last_image(img: RomImage, last: bool) -> Pcir:
    """Set or clear the PCIR last-image bit (what chaining images with ``cat`` needs).

    The ROM checksum covers the PCIR, so callers fix it afterwards
    (:func:`fix_rom_checksum`).

    Raises:
        RomFormatError: the image has no PCIR.
    """
    pcir = img.pcir
    if pcir is None:
        raise RomFormatError(
            f"image {img.index + 1} has no PCIR, so it cannot be chained", address=img.offset
        )
    pcir.last = last
    return pcir
