"""``romtool cat``: chain option-ROM images into one file (legacy + EFI, several legacy, ...).

A BIOS walks a chain by each image's PCIR image length and stops at the image whose PCIR
indicator has bit 7 ("last image") set. So every image but the last needs a PCIR with bit 7
clear and a length that reaches exactly to the next image; the last has bit 7 set. Changing
the indicator changes the image's sum, so each legacy image's checksums are fixed again at its
family's byte (Etherboot 5, iPXE 6); an EFI image is re-summed at efirom's byte 0x34 only when
it summed to 0 before (UEFI itself does not check the 8-bit sum).

Unlike Etherboot's catrom.pl, only bit 7 is touched (catrom cleared the whole indicator) and
checksums are fixed afterwards (catrom left them wrong).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from romtool.errors import BuildError, RomFormatError
from romtool.optionrom.fields import sum8
from romtool.optionrom.fix import Fix, fix_image, fix_rom_checksum, set_last_image
from romtool.optionrom.headers import BLOCK
from romtool.optionrom.rom import Family, RomImage, walk_chain
from romtool.optionrom.selftest import is_selftest
from romtool.units import format_pci_id


@dataclass(frozen=True)
class CatResult:
    """The chained file.

    Attributes:
        data: all images back to back.
        images: one line per image (source, offset, kind, length).
        fixes: checksum bytes written.
        notes: anything else worth saying.
    """

    data: bytes
    images: tuple[str, ...]
    fixes: tuple[Fix, ...]
    notes: tuple[str, ...]


def _family(img: RomImage, name: str) -> Family:
    if is_selftest(bytes(img.buf[img.offset : img.offset + 0x70])):
        return Family.IPXE
    guess = img.detect_family()
    if guess.family is Family.UNKNOWN:
        raise BuildError(
            f"{name}: image {img.index + 1}: cannot tell where its checksum byte is "
            f"({guess.reason})",
            hint="finalise it first with `romtool build FILE --mode etherboot|ipxe`",
        )
    return guess.family


def cat_images(parts: Sequence[tuple[str, bytes]]) -> CatResult:
    """Chain the images of every input, in order.

    Args:
        parts: (name, file contents) pairs; each file may itself be a chain.

    Raises:
        RomFormatError: an input is not an option ROM, is truncated or its chain is broken.
        BuildError: fewer than two images, an image without PCIR that is not last, a length
            that does not match, bytes after an input's chain, an image whose checksum byte
            cannot be located.
    """
    buf = bytearray()
    starts: list[tuple[str, int]] = []
    for name, data in parts:
        try:
            chain = walk_chain(data)
        except RomFormatError as exc:
            raise RomFormatError(exc.message, path=name, address=exc.address) from None
        last = chain.images[-1]
        end = last.offset + max(last.length, last.size)
        if end != len(data):
            raise BuildError(
                f"{name}: the image chain covers {end} bytes but the file has {len(data)}",
                hint="trim the file to its images (or give the finished ROM, not a chip dump)",
            )
        for img in chain:
            starts.append((name, len(buf) + img.offset))
        buf += data
    if len(starts) < 2:
        raise BuildError("cat needs at least two images")

    fixes: list[Fix] = []
    lines: list[str] = []
    notes: list[str] = []
    for i, (name, start) in enumerate(starts):
        stop = starts[i + 1][1] if i + 1 < len(starts) else len(buf)
        img = RomImage(buf, start, stop, index=i)
        is_last = i == len(starts) - 1
        pcir = img.pcir
        if pcir is None:
            if not is_last:
                raise BuildError(
                    f"{name}: image {i + 1} has no PCIR, so no image can follow it",
                    hint="put it last",
                )
        else:
            if pcir.image_blocks * BLOCK != stop - start:
                raise BuildError(
                    f"{name}: image {i + 1}: PCIR length does not reach the next image",
                    expected=stop - start,
                    actual=pcir.image_blocks * BLOCK,
                )
        kind = "EFI" if img.is_efi else "legacy x86"
        ids = f" {format_pci_id(pcir.vendor, pcir.device)}" if pcir is not None else ""
        lines.append(f"image {i + 1}: 0x{start:X} {kind}{ids} {stop - start} bytes from {name}")
        if pcir is None:
            continue
        before = sum8(buf, start, start + img.size) if img.checksum_covered() else None
        was_last = pcir.last
        set_last_image(img, is_last)
        if img.is_efi:
            if was_last != is_last:
                if before == 0:
                    fixes.append(fix_rom_checksum(img, Family.EFI))
                else:
                    notes.append(f"image {i + 1} (EFI): its sum was not 0; left as is")
            continue
        fixes.extend(fix_image(img, _family(img, name)))
    return CatResult(bytes(buf), tuple(lines), tuple(fixes), tuple(notes))
