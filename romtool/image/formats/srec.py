"""Motorola S-records (S19/S28/S37) via the ``bincopy`` library's record codec.

Input: S0 header (ignored), S1/S2/S3 data, S5/S6 record count (checked), S7/S8/S9
termination. A file must end with a count or a termination record (srec_cat writes only the
count), or it is reported as truncated. Each line is decoded by ``bincopy.unpack_srec`` so
every error names its line; consecutive records are gathered into one chunk before they
reach the :class:`Image`, so a multi-MiB file loads in linear time.

Output: S19 up to 64 KiB, S28 up to 16 MiB, S37 above (the smallest address size that covers
the range), with an ``S0`` header, an ``S5``/``S6`` count and a termination record.
"""

from __future__ import annotations

import itertools

import bincopy

from romtool.errors import FormatError, ImageError
from romtool.image.formats.text import text_lines
from romtool.image.model import Image

HEADER = "romtool"
"""Text of the S0 header record we write."""
BYTES_PER_RECORD = 16
"""Data bytes per output record (what burner software commonly writes)."""
ADDRESS_BITS = ((1 << 16, 16), (1 << 24, 24), (1 << 32, 32))
"""(end of the range, address bits): S1/S9 records, S2/S8, S3/S7."""
DATA_TYPES = "123"
COUNT_TYPES = "56"
END_TYPES = "789"


def _checksum_facts(line: str) -> tuple[str | None, str | None]:
    try:
        raw = bytes.fromhex(line[2:])
    except ValueError:
        return None, None
    if len(raw) < 2:
        return None, None
    return f"0x{0xFF - (sum(raw[:-1]) & 0xFF):02X}", f"0x{raw[-1]:02X}"


def _decode(line: str, number: int, path: str) -> tuple[str, int, bytes]:
    if not line.startswith("S") or len(line) < 2:
        raise FormatError(
            "junk where a record should be (records start with 'S')", path=path, line=number
        )
    if line[1] not in "0123456789":
        raise FormatError(f"unknown record type {line[:2]!r}", path=path, line=number)
    try:
        kind, address, _size, data = bincopy.unpack_srec(line)
    except ValueError:
        raise FormatError("non-hex characters in record", path=path, line=number) from None
    except bincopy.Error as exc:
        text = str(exc)
        if "crc" in text:
            expected, actual = _checksum_facts(line)
            raise FormatError(
                "bad record checksum", path=path, line=number, expected=expected, actual=actual
            ) from None
        if "size" in text:
            raise FormatError(
                "record length does not match its data", path=path, line=number
            ) from None
        raise FormatError(f"bad record: {text}", path=path, line=number) from None
    if kind == "4":
        raise FormatError("unknown record type 'S4'", path=path, line=number)
    return kind, address, bytes(data or b"")


def parse_srec(data: bytes, path: str = "<data>") -> Image:
    """Parse an S-record file into an :class:`Image` (holes stay holes).

    Raises:
        FormatError: bad checksum, bad length, junk, binary data, overlapping records, a
            wrong record count, a missing termination record (truncated file) or records
            after it; each names the line.
    """
    lines = text_lines(data, path, "S-record")
    # chunks: [start, bytearray, first line number]
    chunks: list[tuple[int, bytearray, int]] = []
    records = 0
    end_line: int | None = None
    count_line: int | None = None
    for number, line in enumerate(lines, 1):
        if not line:
            continue
        if end_line is not None:
            raise FormatError("data after the termination record", path=path, line=number)
        kind, address, payload = _decode(line, number, path)
        if kind in DATA_TYPES:
            if count_line is not None:
                raise FormatError("data record after the record count", path=path, line=number)
            records += 1
            if not payload:
                continue
            if chunks and chunks[-1][0] + len(chunks[-1][1]) == address:
                chunks[-1][1].extend(payload)
            else:
                chunks.append((address, bytearray(payload), number))
        elif kind in COUNT_TYPES:
            if address != records & ((1 << (16 if kind == "5" else 24)) - 1):
                raise FormatError(
                    "record count does not match",
                    path=path,
                    line=number,
                    expected=records,
                    actual=address,
                )
            count_line = number
        elif kind in END_TYPES:
            end_line = number
    if end_line is None and count_line is None:
        # srec_cat ends its files with the count record and no termination record, so
        # either one marks a complete file; a file with neither was cut short.
        last = max(i for i, s in enumerate(lines) if s) + 1
        raise FormatError(
            "no count or termination record (S5/S6, S7/S8/S9): the file looks truncated",
            path=path,
            line=last,
        )
    ordered = sorted(chunks, key=lambda c: c[0])
    for prev, nxt in itertools.pairwise(ordered):
        if nxt[0] < prev[0] + len(prev[1]):
            later = max(prev, nxt, key=lambda c: c[2])
            raise FormatError(
                f"record overlaps data from an earlier record at 0x{nxt[0]:X}",
                path=path,
                line=later[2],
            )
    return Image.from_records((start, bytes(buf)) for start, buf, _line in ordered)


def render_srec(image: Image) -> bytes:
    """S-record text: S19 up to 64 KiB, S28 up to 16 MiB, S37 up to 4 GiB.

    Raises:
        ImageError: an address at or above 4 GiB.
    """
    stop = image.stop if image else 0
    bits = next((b for limit, b in ADDRESS_BITS if stop <= limit), None)
    if bits is None:
        raise ImageError("S-records cannot hold addresses above 4 GiB", address=stop - 1)
    bf = bincopy.BinFile()
    for seg in image.segments:
        bf.add_binary(seg.data, address=seg.start)
    bf.header = HEADER
    # A termination record is written only when a start address is set; 0 is the
    # customary "no entry point" value.
    bf.execution_start_address = 0
    text: str = bf.as_srec(number_of_data_bytes=BYTES_PER_RECORD, address_length_bits=bits)
    return text.encode("ascii")
