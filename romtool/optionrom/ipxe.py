"""iPXE mode: finalise a ROM the way iPXE's ``padimg.pl`` and ``fixrom.pl`` leave it.

For every image of the chain: optional new PCI ids, then the $PnP, UNDI and "iPXE" header
checksums (each over its own length field), then the ROM checksum at byte 6. The file is padded
with 0xFF to a multiple of 512 bytes; an unfinalised image (size byte 0) gets
``ceil(len / 512)`` blocks and the same PCIR image length, as iPXE's ``zbin`` would have set.

Two guards that iPXE's scripts do not have:

* an Etherboot image (checksum at 5, a jump at byte 6) is refused, as is any legacy image whose
  byte 6 may be code (no ``E9``/``E8`` rel16 at 3 and no iPXE header);
* EFI images keep their own rules: they are only touched when new ids are written, and then
  their checksum byte is efirom's at 0x34 (an EFI image of another layout is refused).
"""

from __future__ import annotations

from dataclasses import dataclass

from romtool.errors import BuildError, RomFormatError
from romtool.optionrom.fields import sum8
from romtool.optionrom.fix import Fix, fix_inner_checksums, fix_rom_checksum
from romtool.optionrom.headers import BLOCK, MAX_SIZE_BYTE
from romtool.optionrom.rom import Family, RomImage, walk_chain
from romtool.units import format_pci_id

NEAR_JUMPS = (0xE9, 0xE8)
"""``E9 rel16`` / ``E8 rel16`` at 3 end at byte 5, so byte 6 is free for the checksum."""


@dataclass(frozen=True)
class IpxeResult:
    """A finalised iPXE-style ROM.

    Attributes:
        data: the whole file (every image of the chain).
        images: number of images in the chain.
        fixes: every checksum byte written, inner ones first, per image.
        notes: what was done, one line each.
    """

    data: bytes
    images: int
    fixes: tuple[Fix, ...]
    notes: tuple[str, ...]


def byte6_is_free(img: RomImage) -> str | None:
    """Why byte 6 of a legacy image may hold the checksum, or None if it may be code."""
    if img.locate_ipxe().view is not None:
        return "iPXE header present"
    code = img.buf[img.offset + 3] if img.offset + 4 <= img.limit else None
    if code in NEAR_JUMPS:
        return f"{code:02X} rel16 jump at 3 ends at byte 5"
    return None


def finalize_ipxe(
    raw: bytes,
    *,
    pci: tuple[int, int] | None = None,
    size: int | None = None,
    checksum: bool = True,
) -> IpxeResult:
    """Finalise every image of an iPXE-family ROM.

    Args:
        raw: the ROM file (one image or a chain).
        pci: new (vendor, device) for every image that has a PCIR.
        size: new length in bytes for a single-image ROM (a multiple of 512, at least the
            current image); the added space is 0xFF inside the checksum.
        checksum: False writes ids/sizes only and leaves every checksum byte alone.

    Raises:
        RomFormatError: not an option ROM, truncated, a broken chain.
        BuildError: an Etherboot image or one whose byte 6 may be code, ids for an image
            without PCIR, a size that does not fit, an EFI image without efirom's layout.
    """
    if len(raw) < 3 or raw[:2] != b"\x55\xaa":
        raise RomFormatError(
            "not an option ROM", address=0, expected="55 AA", actual=raw[:2].hex(" ").upper()
        )
    notes: list[str] = []
    buf = bytearray(raw)
    pad = (-len(buf)) % BLOCK
    if pad:
        buf += b"\xff" * pad
        notes.append(f"padded with {pad} bytes of 0xFF to a multiple of 512")
    first = RomImage(buf)
    pcir = first.pcir
    if buf[2] == 0 and (pcir is None or pcir.image_blocks == 0):
        blocks = len(buf) // BLOCK
        _check_blocks(blocks)
        buf[2] = blocks
        if pcir is not None:
            pcir.image_blocks = blocks
        notes.append(f"unfinalised image: size byte and PCIR length set to {blocks} blocks")
    chain = walk_chain(buf)
    if size is not None:
        _resize(buf, chain.images, size, notes)
        chain = walk_chain(buf)
    end = chain.images[-1].offset + max(chain.images[-1].length, chain.images[-1].size)
    if end < len(buf):
        notes.append(f"{len(buf) - end} bytes after the last image are not part of any image")

    fixes: list[Fix] = []
    for img in chain:
        n = img.index + 1
        if img.is_efi:
            before = sum8(buf, img.offset, img.offset + img.size) if img.checksum_covered() else 1
            changed = _set_ids(img, pci, notes)
            if changed and checksum:
                if before == 0:
                    fixes.append(fix_rom_checksum(img, Family.EFI))
                else:
                    notes.append(f"image {n} (EFI): its sum was not 0 before; left as is")
            continue
        guess = img.detect_family()
        if guess.family is Family.ETHERBOOT:
            raise BuildError(
                f"image {n} is an Etherboot image ({guess.reason}): iPXE mode would overwrite "
                "the jump at byte 6",
                hint="use --mode etherboot",
            )
        why = byte6_is_free(img)
        if why is None:
            raise BuildError(
                f"image {n}: byte 6 may be code ({img.header.init_kind()} at 3, no iPXE header)",
                hint="use --mode etherboot if it is an Etherboot image",
            )
        _set_ids(img, pci, notes)
        if checksum:
            fixes.extend(fix_inner_checksums(img))
            fixes.append(fix_rom_checksum(img, Family.IPXE))
        notes.append(f"image {n}: {img.size} bytes, checksum at 6 ({why})")
    return IpxeResult(bytes(buf), len(chain), tuple(fixes), tuple(notes))


def _check_blocks(blocks: int) -> None:
    if blocks > MAX_SIZE_BYTE:
        raise BuildError(
            f"image of {blocks} blocks does not fit the size byte",
            expected=f"<= {MAX_SIZE_BYTE * BLOCK} bytes",
            actual=blocks * BLOCK,
        )


def _resize(buf: bytearray, images: list[RomImage], size: int, notes: list[str]) -> None:
    if len(images) != 1:
        raise BuildError("--size applies to a single-image ROM; this one is a chain")
    img = images[0]
    if size % BLOCK:
        raise BuildError(f"size {size} is not a multiple of {BLOCK} bytes")
    current = max(img.size, img.length)
    if size < current:
        raise BuildError("size smaller than the image", expected=f">= {current}", actual=size)
    blocks = size // BLOCK
    _check_blocks(blocks)
    if len(buf) < size:
        buf += b"\xff" * (size - len(buf))
    buf[2] = blocks
    pcir = img.pcir
    if pcir is not None:
        pcir.image_blocks = blocks
    notes.append(f"resized to {size} bytes ({blocks} blocks)")


def _set_ids(img: RomImage, pci: tuple[int, int] | None, notes: list[str]) -> bool:
    """Write new ids into the image's PCIR; True if a byte changed."""
    if pci is None:
        return False
    pcir = img.pcir
    if pcir is None:
        raise BuildError(
            f"image {img.index + 1} has no PCIR, so it cannot take PCI ids (an ISA ROM?)",
            hint="drop --pci for an ISA ROM",
        )
    vendor, device = pci
    old = (pcir.vendor, pcir.device)
    pcir.vendor = vendor
    pcir.device = device
    if old != pci:
        notes.append(
            f"image {img.index + 1}: PCI ids {format_pci_id(*old)}"
            f" -> {format_pci_id(vendor, device)}"
        )
    devices = pcir.device_list(img.offset)
    if devices and device not in devices:
        listed = ", ".join(f"{d:04x}" for d in devices)
        notes.append(
            f"image {img.index + 1}: its PCI 3.0 device list ({listed}) does not name "
            f"{device:04x}; SeaBIOS and most BIOSes match the PCIR ids only"
        )
    return old != pci
