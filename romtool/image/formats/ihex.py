"""Intel HEX via the ``intelhex`` library (the only module that imports it).

Input: I8HEX (types 00/01), extended segment (02) and extended linear (04) address records;
start-address records (03/05) are accepted and ignored (an EPROM has no entry point). Output:
plain I8HEX when every address fits in 16 bits, otherwise extended linear records, which is
what ``intelhex`` writes by itself (the smallest record type that covers the range).

Every problem becomes a :class:`~romtool.errors.FormatError` naming the file and line: bad
checksums (with the expected and the stored byte), bad lengths, unknown types, overlapping
records, binary junk, a missing end-of-file record (a truncated file) and records after it.
"""

from __future__ import annotations

import io

import intelhex

from romtool.errors import FormatError, ImageError
from romtool.image.formats.text import text_lines
from romtool.image.model import Image

MAX_ADDRESS = 1 << 32
"""Extended linear records reach 4 GiB."""
RECORD_EOF = "01"
"""Record type of the end-of-file record (``:00000001FF``)."""
BYTES_PER_RECORD = 16
"""Data bytes per output record: 16 is what most burner software writes and reads."""

_MESSAGES: tuple[tuple[type[Exception], str], ...] = (
    (intelhex.AddressOverlapError, "record overlaps data from an earlier record"),
    (intelhex.RecordChecksumError, "bad record checksum"),
    (intelhex.RecordLengthError, "record length does not match its data"),
    (intelhex.RecordTypeError, "unknown record type"),
    (intelhex.EOFRecordError, "bad end-of-file record"),
    (intelhex.ExtendedAddressRecordError, "bad extended address record"),
    (intelhex.StartAddressRecordError, "bad start address record"),
    (intelhex.DuplicateStartAddressRecordError, "more than one start address record"),
)


def _record_bytes(line: str) -> bytes | None:
    try:
        return bytes.fromhex(line[1:])
    except ValueError:
        return None


def _translate(exc: intelhex.IntelHexError, lines: list[str], path: str) -> FormatError:
    line_no = getattr(exc, "line", None)
    text = lines[line_no - 1] if isinstance(line_no, int) and 0 < line_no <= len(lines) else ""
    message = "not an Intel HEX record"
    for cls, msg in _MESSAGES:
        if isinstance(exc, cls):
            message = msg
            break
    expected = actual = None
    if isinstance(exc, intelhex.RecordChecksumError):
        raw = _record_bytes(text)
        if raw:
            expected = f"0x{(-sum(raw[:-1])) & 0xFF:02X}"
            actual = f"0x{raw[-1]:02X}"
    elif isinstance(exc, intelhex.AddressOverlapError):
        message += f" at 0x{getattr(exc, 'address', 0):X}"
    elif message == "not an Intel HEX record" and text and not text.startswith(":"):
        message = "junk where a record should be (records start with ':')"
    return FormatError(message, path=path, line=line_no, expected=expected, actual=actual)


def parse_ihex(data: bytes, path: str = "<data>") -> Image:
    """Parse an Intel HEX file into an :class:`Image` (holes stay holes).

    Raises:
        FormatError: see the module docstring.
    """
    lines = text_lines(data, path, "Intel HEX")
    eof = next((i for i, s in enumerate(lines) if s.startswith(":") and s[7:9] == RECORD_EOF), None)
    ih = intelhex.IntelHex()
    body = lines if eof is None else lines[: eof + 1]
    try:
        ih.loadhex(io.StringIO("\n".join(body) + "\n"))
    except intelhex.IntelHexError as exc:
        raise _translate(exc, lines, path) from None
    if eof is None:
        last = max(i for i, s in enumerate(lines) if s) + 1
        raise FormatError(
            "no end-of-file record (:00000001FF): the file looks truncated", path=path, line=last
        )
    for i in range(eof + 1, len(lines)):
        if lines[i]:
            raise FormatError("data after the end-of-file record", path=path, line=i + 1)
    image = Image()
    for start, stop in ih.segments():
        image.add(start, ih.tobinstr(start, stop - 1))
    return image


def render_ihex(image: Image) -> bytes:
    """Intel HEX text for ``image``: I8HEX up to 64 KiB, extended linear records above.

    Raises:
        ImageError: an address at or above 4 GiB.
    """
    if image and image.stop > MAX_ADDRESS:
        raise ImageError("Intel HEX cannot hold addresses above 4 GiB", address=image.stop - 1)
    ih = intelhex.IntelHex()
    for seg in image.segments:
        ih.frombytes(seg.data, offset=seg.start)
    out = io.StringIO()
    ih.write_hex_file(out, write_start_addr=False, byte_count=BYTES_PER_RECORD)
    return out.getvalue().encode("ascii")
