"""Raw binary images (``.bin``, ``.rom``, ``.img``): file offset 0 is address ``base``."""

from __future__ import annotations

from romtool.errors import ImageError
from romtool.image.model import Image


def parse_raw(data: bytes, base: int = 0) -> Image:
    """The whole file as one segment starting at ``base``."""
    return Image.from_bytes(data, base)


def render_raw(image: Image, *, fill: int = 0xFF, base: int = 0, size: int | None = None) -> bytes:
    """The bytes from ``base`` to the image's end (or ``base + size``), holes set to ``fill``.

    Args:
        image: what to write.
        fill: byte for holes and for padding up to ``size``.
        base: the address that becomes file offset 0.
        size: the exact output length (pads with ``fill``); None = up to the last byte.

    Raises:
        ImageError: data below ``base``, or beyond ``base + size``.
    """
    if image and image.start < base:
        raise ImageError(
            f"data starts below the output base 0x{base:X}",
            address=image.start,
            hint="give --base with the lowest address",
        )
    stop = image.stop if image else base
    if size is not None:
        if stop > base + size:
            raise ImageError(
                f"data does not fit in {size} bytes from 0x{base:X}",
                address=stop - 1,
            )
        stop = base + size
    return image.to_bytes(fill=fill, start=base, stop=stop)
