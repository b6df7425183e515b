"""Put a finished ROM image into the chip that goes in the NIC's socket.

The image's own size byte and checksum cover only the image; the rest of the chip is filled
(0xFF by default: what an erased EPROM reads, and what programs fastest). ``place="high"`` puts
the image in the top of the chip, for sockets that hold the chip's upper address lines high
(a 27C256 in a socket wired for a 2764 shows only its top 8 KiB). A duplicate of the image in
the unused part would make a legacy BIOS run it twice, so romtool never duplicates.

Warnings (returned, never printed here):

* the image does not start on a 16 KiB boundary of the chip (Etherboot's rom-scan warns that
  not every BIOS finds such a ROM);
* the image is larger than the largest socket the driver catalog knows for the card;
* the chip is larger than that socket, so part of it is not visible.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from romtool.errors import BuildError
from romtool.optionrom.headers import BLOCK
from romtool.units import format_size

SCAN_ALIGN = 16 * 1024
"""Alignment Etherboot's rom-scan asks for (BIOSes step 2 KiB, some only find 16 KiB)."""
FILL = 0xFF

Filler = Callable[[int], bytes]
"""``filler(block_index)``: the 512 bytes for an unused chip block."""


class Place(StrEnum):
    """Where the image goes in a larger chip."""

    LOW = "low"
    HIGH = "high"


@dataclass(frozen=True)
class Placement:
    """The chip contents and where the image is in it.

    Attributes:
        data: ``chip_size`` bytes.
        offset: where the image starts in the chip.
        chip_size: bytes in the chip.
        warnings: things the user should know before burning.
    """

    data: bytes
    offset: int
    chip_size: int
    warnings: tuple[str, ...]


def image_offset(image_size: int, chip_size: int, place: Place) -> int:
    """Offset of an image of ``image_size`` bytes in the chip.

    Raises:
        BuildError: the image is larger than the chip.
    """
    if image_size > chip_size:
        raise BuildError(
            f"image larger than the chip: expected at most {chip_size} bytes, but got {image_size}",
            hint="choose a larger chip",
        )
    return 0 if place is Place.LOW else chip_size - image_size


def place_image(
    image: bytes,
    chip_size: int,
    place: Place = Place.LOW,
    *,
    socket_size: int | None = None,
    chip_name: str | None = None,
    filler: Filler | None = None,
) -> Placement:
    """Pad ``image`` to ``chip_size`` bytes, the image at the low or high end.

    Args:
        image: the finished ROM (its size byte and checksum already cover it).
        chip_size: bytes in the chip (or the ``--fill-to`` size).
        place: low or high end of the chip.
        socket_size: the largest ROM window the card is known to decode (for warnings).
        chip_name: for messages.
        filler: ``filler(block_index)`` returns the 512 bytes for an unused chip block
            (the self-test's markers); None fills with 0xFF.

    Raises:
        BuildError: the image is larger than the chip.
    """
    what = chip_name or format_size(chip_size)
    offset = image_offset(len(image), chip_size, place)
    warnings: list[str] = []
    if chip_size > len(image) and offset % SCAN_ALIGN:
        warnings.append(
            f"the image starts at 0x{offset:X} in the {what}, not on a 16 KiB boundary: "
            "some BIOSes only find ROMs on 16 KiB boundaries"
        )
    if socket_size is not None:
        if len(image) > socket_size:
            warnings.append(
                f"the image ({format_size(len(image))}) will not fit the card's boot-ROM "
                f"socket window ({format_size(socket_size)})"
            )
        elif chip_size > socket_size:
            hint = (
                "the image is in the top part"
                if place is Place.HIGH
                else "use --place high if the socket holds the upper address lines high"
            )
            warnings.append(
                f"the card decodes at most {format_size(socket_size)} of the {what}; {hint}"
            )
    if filler is None:
        data = bytes([FILL]) * offset + image + bytes([FILL]) * (chip_size - offset - len(image))
    else:
        if len(image) % BLOCK or chip_size % BLOCK:
            raise BuildError("a filled chip needs the image and chip in whole 512-byte blocks")
        out = bytearray()
        for start in range(0, chip_size, BLOCK):
            if offset <= start < offset + len(image):
                continue
            out += filler(start // BLOCK)
        data = bytes(out[:offset]) + image + bytes(out[offset:])
    return Placement(data, offset, chip_size, tuple(warnings))
