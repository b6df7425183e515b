"""Where two byte strings or images differ, as half-open ranges, computed at C speed.

A chip dump is up to 16 MiB and usually differs from its image in a handful of places, so the
search narrows down instead of walking bytes: equal 64 KiB blocks are skipped with one
``memcmp`` (``bytes ==``), differing blocks are split into 4 KiB and then 256-byte pieces, and
only the differing 256-byte pieces are XORed (``int.from_bytes``) and scanned for their non-zero
runs with ``bytes.translate`` + ``bytes.find``. No Python loop ever visits every byte; the
number of Python steps grows with the number of *differences*, not with the size.

For dumps that differ almost everywhere (the wrong image) the same code degrades gracefully:
every leaf is XORed and scanned, which is still a C scan per 256 bytes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from romtool.image.model import Image
from romtool.ranges import Range, merge, total_length

LEVELS = (1 << 16, 1 << 12, 1 << 8)
"""Block sizes tried from the top, in bytes. 64 KiB blocks make the equal-case a few hundred
``memcmp`` calls for 16 MiB; a fan-out of 16 per level keeps the Python steps per difference
small (16 compares per level); 256-byte leaves are cheap to XOR."""

_NONZERO_TO_ONE = bytes([0] + [1] * 255)
"""``bytes.translate`` table: 0x00 stays 0x00, every other value becomes 0x01, so that
``find(b"\\x01")`` finds the next non-zero byte of an XOR."""


def xor_bytes(a: bytes, b: bytes) -> bytes:
    """Byte-wise XOR of two equal-length byte strings (big-int XOR, C speed)."""
    n = len(a)
    return (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).to_bytes(n, "big")


def nonzero_runs(data: bytes, base: int = 0) -> Iterator[Range]:
    """Yield the runs of non-zero bytes of ``data`` as ranges offset by ``base``.

    Two ``bytes.find`` calls per run; the bytes in between are scanned in C.
    """
    marks = data.translate(_NONZERO_TO_ONE)
    pos = marks.find(1)
    while pos >= 0:
        end = marks.find(0, pos)
        if end < 0:
            end = len(marks)
        yield Range(base + pos, base + end)
        pos = marks.find(1, end)


def _diff_leaf(a: bytes, b: bytes, base: int, out: list[Range]) -> None:
    for r in nonzero_runs(xor_bytes(a, b), base):
        if out and out[-1].stop == r.start:
            out[-1] = Range(out[-1].start, r.stop)
        else:
            out.append(r)


def _diff_level(a: bytes, b: bytes, lo: int, hi: int, level: int, out: list[Range]) -> None:
    size = LEVELS[level]
    last = level == len(LEVELS) - 1
    for start in range(lo, hi, size):
        stop = min(start + size, hi)
        # bytes slices compare with memcmp; memoryview comparison goes item by item and is
        # about 20x slower, so the copies are the cheaper choice.
        pa, pb = a[start:stop], b[start:stop]
        if pa == pb:
            continue
        if last:
            _diff_leaf(pa, pb, start, out)
        else:
            _diff_level(a, b, start, stop, level + 1, out)


def diff_bytes(a: bytes, b: bytes, base: int = 0) -> list[Range]:
    """The ranges where ``a`` and ``b`` differ, over their common length.

    Args:
        a: first byte string.
        b: second byte string; bytes beyond the shorter of the two are not compared (see
            :func:`diff_images` for the size difference).
        base: the address of ``a[0]`` and ``b[0]``; added to every range.

    Returns:
        Sorted, non-overlapping, non-touching ranges of differing bytes (adjacent differing
        bytes form one range).
    """
    n = min(len(a), len(b))
    if len(a) != n:
        a = a[:n]
    if len(b) != n:
        b = b[:n]
    if a == b:
        return []
    out: list[Range] = []
    _diff_level(a, b, 0, n, 0, out)
    if base:
        out = [r.shifted(base) for r in out]
    return out


def count_bits(a: bytes, b: bytes) -> int:
    """Number of bits that differ between two equal-length byte strings."""
    return (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).bit_count()


def per_bit_counts(value: int, n: int) -> tuple[int, ...]:
    """For data bits 0..7: how many of the ``n`` bytes of the big integer ``value`` (as
    ``int.from_bytes(..., "big")`` gives it) have that bit set."""
    return tuple(
        (value & int.from_bytes(bytes([1 << bit]) * n, "big")).bit_count() for bit in range(8)
    )


@dataclass(frozen=True)
class ImageDiff:
    """How two images differ.

    Attributes:
        differ: ranges where both images hold data and the bytes differ.
        only_a: ranges where only A holds data (B has a hole or ends earlier).
        only_b: ranges where only B holds data.
        span_a: A's span (lowest to one past the highest address), None when empty.
        span_b: B's span.
        bytes_differ: total length of ``differ``.
        bits_differ: number of differing bits inside ``differ``.
    """

    differ: tuple[Range, ...]
    only_a: tuple[Range, ...] = ()
    only_b: tuple[Range, ...] = ()
    span_a: Range | None = None
    span_b: Range | None = None
    bytes_differ: int = 0
    bits_differ: int = 0
    size_a: int = 0
    size_b: int = 0
    common: tuple[Range, ...] = field(default=())

    @property
    def same(self) -> bool:
        """True when both images hold the same bytes at the same addresses."""
        return not (self.differ or self.only_a or self.only_b)

    @property
    def sizes_differ(self) -> bool:
        return self.size_a != self.size_b


def common_ranges(a: Image, b: Image) -> list[Range]:
    """Ranges where both images hold data."""
    out: list[Range] = []
    segs_b = b.segments
    j = 0
    for sa in a.segments:
        while j < len(segs_b) and segs_b[j].stop <= sa.start:
            j += 1
        k = j
        while k < len(segs_b) and segs_b[k].start < sa.stop:
            both = sa.range.intersection(segs_b[k].range)
            if both is not None:
                out.append(both)
            k += 1
    return out


def _subtract(ranges: list[Range], minus: list[Range]) -> list[Range]:
    out: list[Range] = []
    for r in ranges:
        pos = r.start
        for m in minus:
            if m.stop <= pos or m.start >= r.stop:
                continue
            if m.start > pos:
                out.append(Range(pos, m.start))
            pos = max(pos, m.stop)
        if pos < r.stop:
            out.append(Range(pos, r.stop))
    return out


def diff_images(a: Image, b: Image) -> ImageDiff:
    """Compare two images address by address.

    Holes are not filled: where only one image holds data, the range is listed in
    ``only_a``/``only_b`` rather than compared against an invented fill byte. A raw dump is one
    segment at address 0, so two dumps of different length give the tail as ``only_a`` or
    ``only_b``.
    """
    common = common_ranges(a, b)
    differ: list[Range] = []
    bits = 0
    for r in common:
        da = a.read(r.start, len(r), fill=None)
        db = b.read(r.start, len(r), fill=None)
        found = diff_bytes(da, db, base=r.start)
        differ.extend(found)
        for d in found:
            lo, hi = d.start - r.start, d.stop - r.start
            bits += count_bits(da[lo:hi], db[lo:hi])
    differ = merge(differ)
    only_a = _subtract([s.range for s in a.segments], common)
    only_b = _subtract([s.range for s in b.segments], common)
    return ImageDiff(
        differ=tuple(differ),
        only_a=tuple(only_a),
        only_b=tuple(only_b),
        span_a=a.span,
        span_b=b.span,
        bytes_differ=total_length(differ),
        bits_differ=bits,
        size_a=len(a),
        size_b=len(b),
        common=tuple(common),
    )
