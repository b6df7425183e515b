"""Digests of images and dumps: CRC-32, MD5, SHA-256 and the 8-bit option-ROM sum.

The 8-bit sum is what a BIOS checks before it runs an option ROM (all bytes of the image added
modulo 256 must be 0). Summing 16 MiB with ``sum()`` costs a Python step per byte, so
:func:`sum8` gets the exact sum of each chunk from two C-speed digests instead (see there).
"""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass

_ADLER_MOD = 65521
"""Adler-32's modulus (RFC 1950): the low 16 bits of adler32 are 1 + the byte sum mod 65521."""

_DIGIT_MOD = 255
"""256 ≡ 1 (mod 255), so a number's value mod 255 equals its base-256 digit sum mod 255."""

SUM_CHUNK = 65520
"""Largest chunk whose byte sum (at most 255 * 65520 = 16 707 600) is below 65521 * 255 =
16 707 855, so the two residues above pin the exact sum by the Chinese remainder theorem."""

_CRT_M = _ADLER_MOD * _DIGIT_MOD
_INV_ADLER_MOD_255 = pow(_ADLER_MOD, -1, _DIGIT_MOD)


def _chunk_sum(chunk: bytes) -> int:
    """Exact sum of the bytes of ``chunk`` (at most :data:`SUM_CHUNK` bytes long)."""
    r1 = (zlib.adler32(chunk, 0) & 0xFFFF) % _ADLER_MOD  # sum mod 65521 (adler's A part)
    r2 = int.from_bytes(chunk, "little") % _DIGIT_MOD  # sum mod 255
    # CRT: s = r1 + 65521 * k with s ≡ r2 (mod 255).
    k = ((r2 - r1) * _INV_ADLER_MOD_255) % _DIGIT_MOD
    return (r1 + _ADLER_MOD * k) % _CRT_M


def byte_sum(data: bytes) -> int:
    """Exact sum of all bytes of ``data`` (no modulus), at C speed."""
    view = memoryview(data)
    return sum(_chunk_sum(bytes(view[i : i + SUM_CHUNK])) for i in range(0, len(data), SUM_CHUNK))


def sum8(data: bytes) -> int:
    """The 8-bit sum of ``data``: 0 for an option ROM with a correct checksum byte."""
    return byte_sum(data) & 0xFF


@dataclass(frozen=True)
class Digests:
    """Digests of one byte string.

    Attributes:
        size: length in bytes.
        crc32: CRC-32 (zlib/PKZIP polynomial, the value ``crc32`` tools print).
        md5: MD5 as lowercase hex.
        sha256: SHA-256 as lowercase hex.
        sum8: sum of all bytes modulo 256.
    """

    size: int
    crc32: int
    md5: str
    sha256: str
    sum8: int

    def as_dict(self) -> dict[str, object]:
        return {
            "size": self.size,
            "crc32": f"{self.crc32:08x}",
            "md5": self.md5,
            "sha256": self.sha256,
            "sum8": self.sum8,
        }


def digests(data: bytes) -> Digests:
    """CRC-32, MD5, SHA-256 and the 8-bit sum of ``data``."""
    return Digests(
        size=len(data),
        crc32=zlib.crc32(data) & 0xFFFFFFFF,
        md5=hashlib.md5(data, usedforsecurity=False).hexdigest(),
        sha256=hashlib.sha256(data).hexdigest(),
        sum8=sum8(data),
    )
