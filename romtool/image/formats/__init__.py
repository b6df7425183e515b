"""Image file formats: raw binary, Intel HEX, Motorola S-records, with auto-detection.

:func:`load_image` and :func:`save_image` are the two calls everything else uses. The format
comes from the caller, else from the file name's extension, else (for reading) from the
content. A known extension is trusted, so a ``.hex`` file full of binary bytes is reported as
exactly that rather than silently read as raw.

Addresses: a raw file has no addresses of its own; ``base`` says which address its first byte
is (reading) or which address becomes file offset 0 (writing). HEX and S-record files carry
their own addresses, so ``base`` does not move them.
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path

from romtool.errors import FormatError, ImageError, UsageError
from romtool.fileio import check_writable, read_input, write_atomic
from romtool.image.formats.raw import parse_raw, render_raw
from romtool.image.model import Image


class Format(StrEnum):
    """The file formats romtool reads and writes."""

    RAW = "raw"
    IHEX = "ihex"
    SREC = "srec"


EXTENSIONS: dict[str, Format] = {
    ".bin": Format.RAW,
    ".rom": Format.RAW,
    ".img": Format.RAW,
    ".hex": Format.IHEX,
    ".ihex": Format.IHEX,
    ".ihx": Format.IHEX,
    ".s19": Format.SREC,
    ".s28": Format.SREC,
    ".s37": Format.SREC,
    ".srec": Format.SREC,
    ".mot": Format.SREC,
}
"""File-name extensions (lower case) and the format they mean."""

NAMES: dict[str, Format] = {
    "raw": Format.RAW,
    "bin": Format.RAW,
    "binary": Format.RAW,
    "ihex": Format.IHEX,
    "hex": Format.IHEX,
    "intel": Format.IHEX,
    "srec": Format.SREC,
    "s19": Format.SREC,
    "s28": Format.SREC,
    "s37": Format.SREC,
    "mot": Format.SREC,
    "motorola": Format.SREC,
}
"""Names a user may give for ``--from``/``--to``."""

_SNIFF_BYTES = 4096
"""Bytes looked at when telling text record files from binary by content."""


def parse_format(name: str) -> Format:
    """The format for a user-given name (``hex``, ``ihex``, ``s19``, ``bin``, ...).

    Raises:
        UsageError: an unknown name (the message lists the known ones).
    """
    fmt = NAMES.get(name.strip().lower())
    if fmt is None:
        raise UsageError(f"unknown format {name!r}: expected one of {', '.join(NAMES)}")
    return fmt


def format_from_name(path: str | os.PathLike[str]) -> Format | None:
    """The format the file name's extension implies, or None."""
    return EXTENSIONS.get(Path(path).suffix.lower())


def sniff_format(data: bytes) -> Format:
    """Tell the format from the content: ``:`` records, ``S<digit>`` records, else raw."""
    head = data[:_SNIFF_BYTES].lstrip(b" \t\r\n")
    if not head or any(b >= 0x80 or (b < 0x20 and b not in b"\t\r\n") for b in head):
        return Format.RAW
    if head.startswith(b":"):
        return Format.IHEX
    if len(head) > 1 and head[0:1] == b"S" and head[1:2].isdigit():
        return Format.SREC
    return Format.RAW


def detect_format(path: str | os.PathLike[str], data: bytes) -> Format:
    """The format of an input file: by extension when known, else by content."""
    return format_from_name(path) or sniff_format(data)


def parse_image(data: bytes, fmt: Format, *, base: int = 0, path: str = "<data>") -> Image:
    """Parse bytes already read from a file (see :func:`load_image`)."""
    # The record codecs import their libraries (bincopy pulls in elftools), so they are
    # loaded only when a text format is actually read or written.
    if fmt is Format.IHEX:
        from romtool.image.formats.ihex import parse_ihex

        return parse_ihex(data, path)
    if fmt is Format.SREC:
        from romtool.image.formats.srec import parse_srec

        return parse_srec(data, path)
    return parse_raw(data, base)


def load_image(
    path: str | os.PathLike[str], fmt: Format | str | None = None, base: int = 0
) -> Image:
    """Read an image file.

    Args:
        path: the file.
        fmt: the format (a :class:`Format` or a name); None detects it.
        base: address of the first byte of a raw file (ignored for HEX/S-records).

    Raises:
        InputError: missing, empty, a directory, unreadable.
        FormatError: the content does not parse (path and line in the message).
    """
    data = read_input(path)
    if isinstance(fmt, str):
        fmt = parse_format(fmt)
    fmt = fmt or detect_format(path, data)
    try:
        return parse_image(data, fmt, base=base, path=str(path))
    except ImageError as exc:  # an overlap the parser did not see as such
        raise FormatError(exc.message, path=str(path), address=exc.address) from None


def render_image(
    image: Image, fmt: Format, *, fill: int = 0xFF, base: int = 0, size: int | None = None
) -> bytes:
    """The file contents for ``image`` in ``fmt`` (``fill``/``base``/``size``: raw only)."""
    if fmt is Format.IHEX:
        from romtool.image.formats.ihex import render_ihex

        return render_ihex(image)
    if fmt is Format.SREC:
        from romtool.image.formats.srec import render_srec

        return render_srec(image)
    return render_raw(image, fill=fill, base=base, size=size)


def save_image(
    path: str | os.PathLike[str],
    image: Image,
    fmt: Format | str | None = None,
    fill: int = 0xFF,
    force: bool = False,
    *,
    base: int = 0,
    size: int | None = None,
) -> Format:
    """Write an image file atomically; an existing file is replaced only with ``force``.

    Args:
        path: the output file.
        image: what to write.
        fmt: the format; None takes it from the extension.
        fill: byte for holes in a raw output (HEX and S-records keep holes as holes).
        force: replace an existing file.
        base: (raw) the address that becomes file offset 0.
        size: (raw) exact output length, padded with ``fill``.

    Returns:
        The format written.

    Raises:
        UsageError: no format given and the extension says nothing.
        OutputExistsError: the file exists and not ``force``.
        ImageError: the data does not fit the format or the raw window.
    """
    if isinstance(fmt, str):
        fmt = parse_format(fmt)
    fmt = fmt or format_from_name(path)
    if fmt is None:
        raise UsageError(
            f"cannot tell the output format from the name {os.fspath(path)!r}",
            hint="use an extension like .bin, .hex or .s19, or say --to",
        )
    check_writable(path, force=force)
    try:
        data = render_image(image, fmt, fill=fill, base=base, size=size)
    except ImageError as exc:
        exc.path = str(path)
        raise
    write_atomic(path, data, force=force)
    return fmt


__all__ = [
    "EXTENSIONS",
    "Format",
    "detect_format",
    "format_from_name",
    "load_image",
    "parse_format",
    "parse_image",
    "render_image",
    "save_image",
    "sniff_format",
]
