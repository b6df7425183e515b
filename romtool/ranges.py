"""Half-open address ranges ``[start, stop)``.

Every range in romtool is half-open: ``Range(0, 0x2000)`` is 8 KiB and holds addresses
0..0x1FFF. Empty ranges (``start == stop``) are allowed; negative or reversed ones are not.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from romtool.errors import ImageError


@dataclass(frozen=True, order=True)
class Range:
    """A half-open address range.

    Raises:
        ImageError: ``start`` is negative or ``stop < start``.
    """

    start: int
    stop: int

    def __post_init__(self) -> None:
        if self.start < 0 or self.stop < self.start:
            raise ImageError(f"bad range [0x{self.start:X}, 0x{self.stop:X})")

    @classmethod
    def sized(cls, start: int, length: int) -> Range:
        """The range of ``length`` bytes from ``start``."""
        return cls(start, start + length)

    def __len__(self) -> int:
        return self.stop - self.start

    @property
    def length(self) -> int:
        return self.stop - self.start

    def __contains__(self, address: object) -> bool:
        return isinstance(address, int) and self.start <= address < self.stop

    def contains_range(self, other: Range) -> bool:
        """True when ``other`` lies wholly inside this range (empty ranges included)."""
        return self.start <= other.start and other.stop <= self.stop

    def overlaps(self, other: Range) -> bool:
        """True when the two ranges share at least one address."""
        return self.start < other.stop and other.start < self.stop

    def intersection(self, other: Range) -> Range | None:
        """The shared part, or None when the ranges do not overlap."""
        lo, hi = max(self.start, other.start), min(self.stop, other.stop)
        return Range(lo, hi) if lo < hi else None

    def shifted(self, offset: int) -> Range:
        return Range(self.start + offset, self.stop + offset)

    def chunks(self, size: int, *, align: bool = True) -> Iterator[Range]:
        """Split into pieces of at most ``size`` bytes.

        With ``align`` the cuts fall on multiples of ``size`` (page boundaries), so the first
        and last piece may be shorter.
        """
        if size <= 0:
            raise ImageError(f"bad chunk size {size}")
        pos = self.start
        while pos < self.stop:
            end = ((pos // size) + 1) * size if align else pos + size
            end = min(end, self.stop)
            yield Range(pos, end)
            pos = end

    def __str__(self) -> str:
        if self.stop == self.start:
            return f"[0x{self.start:X}, empty)"
        return f"0x{self.start:X}-0x{self.stop - 1:X}"


def merge(ranges: Iterable[Range], *, gap: int = 0) -> list[Range]:
    """Sort and merge ranges that overlap, touch, or are at most ``gap`` bytes apart."""
    out: list[Range] = []
    for r in sorted(r for r in ranges if len(r)):
        if out and r.start <= out[-1].stop + gap:
            last = out[-1]
            out[-1] = Range(last.start, max(last.stop, r.stop))
        else:
            out.append(r)
    return out


def total_length(ranges: Iterable[Range]) -> int:
    """Sum of the lengths (ranges assumed not to overlap)."""
    return sum(len(r) for r in ranges)
