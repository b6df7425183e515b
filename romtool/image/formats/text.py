"""Shared helpers for the line-based formats (Intel HEX, S-records)."""

from __future__ import annotations

import re

from romtool.errors import FormatError

_NOT_TEXT = re.compile(rb"[^\x20-\x7e\t\r\n\x1a]")
"""Bytes that never occur in a HEX or S-record file (0x1A is a DOS end-of-file mark)."""
UTF8_BOM = b"\xef\xbb\xbf"


def text_lines(data: bytes, path: str, what: str) -> list[str]:
    """Decode a record file into lines (whitespace-stripped, line numbers = index + 1).

    Raises:
        FormatError: the file holds binary bytes (names the line of the first one) or
            nothing but whitespace.
    """
    if data.startswith(UTF8_BOM):
        # Some Windows editors save a byte-order mark; the records themselves are ASCII.
        data = data[len(UTF8_BOM) :]
    bad = _NOT_TEXT.search(data)
    if bad is not None:
        line = data.count(b"\n", 0, bad.start()) + 1
        raise FormatError(
            f"binary data where {what} records should be (byte 0x{data[bad.start()]:02X} at offset"
            f" 0x{bad.start():X})",
            path=path,
            line=line,
            hint="a binary image wants a .bin or .rom name (or --from raw)",
        )
    lines = [s.strip() for s in data.decode("ascii").replace("\x1a", "").splitlines()]
    if not any(lines):
        raise FormatError(f"no {what} records, only whitespace", path=path)
    return lines
