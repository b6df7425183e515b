"""The :class:`Image`: bytes at addresses, with explicit holes.

An image is a sorted list of non-overlapping :class:`Segment` s. Holes between segments are
real: a HEX file that only covers 0x0000-0x00FF and 0x7F00-0x7FFF has a hole in between, and
nothing invents bytes for it until an export names the fill byte. Segments hold ``bytes``
(never a Python object per byte), so multi-MiB dumps cost what their bytes cost.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import Enum

from romtool.errors import ImageError
from romtool.ranges import Range


@dataclass(frozen=True)
class Segment:
    """Contiguous bytes starting at ``start``."""

    start: int
    data: bytes

    @property
    def stop(self) -> int:
        return self.start + len(self.data)

    @property
    def range(self) -> Range:
        return Range(self.start, self.stop)


class Overlap(Enum):
    """What :meth:`Image.add` does when new data overlaps existing data."""

    ERROR = "error"
    """Refuse (the default: an overlap in an input file is usually a mistake)."""
    REPLACE = "replace"
    """The new data wins."""
    KEEP = "keep"
    """The existing data wins."""
    SAME = "same"
    """Allow an overlap only where the bytes are identical."""


class Image:
    """Bytes at addresses with holes; addresses are non-negative integers.

    Adjacent segments are coalesced, so ``segments`` is the minimal description.
    """

    def __init__(self, segments: Iterable[Segment] = ()) -> None:
        self._segments: list[Segment] = []
        for seg in segments:
            self.add(seg.start, seg.data)

    # --- construction ----------------------------------------------------------------

    @classmethod
    def from_bytes(cls, data: bytes, base: int = 0) -> Image:
        """One segment holding ``data`` at ``base``."""
        img = cls()
        if data:
            img._segments.append(Segment(base, bytes(data)))
        return img

    @classmethod
    def from_records(
        cls, records: Iterable[tuple[int, bytes]], overlap: Overlap = Overlap.ERROR
    ) -> Image:
        """An image from many small ``(address, data)`` records (file records, read blocks).

        Runs of records that follow each other exactly are joined in a ``bytearray`` first and
        added as one piece, so thousands of 16-byte records cost one copy, not one copy of a
        growing segment per record (which would be quadratic). Other records go through
        :meth:`add` with ``overlap``.

        Raises:
            ImageError: as :meth:`add` (negative address, refused overlap).
        """
        img = cls()
        run_start = -1
        run = bytearray()
        for address, data in records:
            if run and address == run_start + len(run):
                run += data
                continue
            if run:
                img.add(run_start, bytes(run), overlap)
            run_start, run = address, bytearray(data)
        if run:
            img.add(run_start, bytes(run), overlap)
        return img

    def copy(self) -> Image:
        img = Image()
        img._segments = list(self._segments)
        return img

    def add(self, address: int, data: bytes, overlap: Overlap = Overlap.ERROR) -> None:
        """Put ``data`` at ``address``.

        Raises:
            ImageError: a negative address, or an overlap with ``Overlap.ERROR`` (or with
                different bytes under ``Overlap.SAME``); the error names the first
                overlapping address.
        """
        if address < 0:
            raise ImageError("negative address", address=address)
        if not data:
            return
        data = bytes(data)
        new = Range(address, address + len(data))
        lo = self._first_touching(new.start)
        hi = lo
        while hi < len(self._segments) and self._segments[hi].start <= new.stop:
            hi += 1
        touching = self._segments[lo:hi]
        overlapping = [s for s in touching if s.range.overlaps(new)]
        if overlapping:
            if overlap is Overlap.ERROR:
                first = max(overlapping[0].start, new.start)
                raise ImageError("data overlaps existing data", address=first)
            if overlap is Overlap.SAME:
                for s in overlapping:
                    common = s.range.intersection(new)
                    assert common is not None
                    a = s.data[common.start - s.start : common.stop - s.start]
                    b = data[common.start - new.start : common.stop - new.start]
                    if a != b:
                        diff = next(i for i in range(len(a)) if a[i] != b[i])
                        raise ImageError(
                            "data overlaps existing data with different bytes",
                            address=common.start + diff,
                        )
        # Build the merged segment from the touching ones and the new data.
        start = min([new.start] + [s.start for s in touching])
        stop = max([new.stop] + [s.stop for s in touching])
        buf = bytearray(stop - start)
        if overlap is Overlap.KEEP:
            buf[new.start - start : new.stop - start] = data
            for s in touching:
                buf[s.start - start : s.stop - start] = s.data
        else:
            for s in touching:
                buf[s.start - start : s.stop - start] = s.data
            buf[new.start - start : new.stop - start] = data
        self._segments[lo:hi] = [Segment(start, bytes(buf))]

    def _first_touching(self, address: int) -> int:
        """Index of the first segment whose stop >= address.

        A binary search on the segments themselves (no list of stops is built), so adding
        many records to a file-sized image stays O(log n) per add to find the spot.
        """
        return bisect.bisect_left(self._segments, address, key=lambda s: s.stop)

    # --- queries ----------------------------------------------------------------------

    @property
    def segments(self) -> tuple[Segment, ...]:
        return tuple(self._segments)

    def __len__(self) -> int:
        """Number of bytes present (holes do not count)."""
        return sum(len(s.data) for s in self._segments)

    def __bool__(self) -> bool:
        return bool(self._segments)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Image) and self._segments == other._segments

    def __repr__(self) -> str:
        segs = ", ".join(str(s.range) for s in self._segments)
        return f"Image([{segs}])"

    @property
    def span(self) -> Range | None:
        """From the lowest to one past the highest address present; None when empty."""
        if not self._segments:
            return None
        return Range(self._segments[0].start, self._segments[-1].stop)

    @property
    def start(self) -> int:
        return self._segments[0].start if self._segments else 0

    @property
    def stop(self) -> int:
        return self._segments[-1].stop if self._segments else 0

    def holes(self, within: Range | None = None) -> list[Range]:
        """Ranges with no data, inside ``within`` (default: the span)."""
        area = within or self.span
        if area is None:
            return []
        out: list[Range] = []
        pos = area.start
        for s in self._segments:
            if s.stop <= pos:
                continue
            if s.start >= area.stop:
                break
            if s.start > pos:
                out.append(Range(pos, min(s.start, area.stop)))
            pos = max(pos, s.stop)
        if pos < area.stop:
            out.append(Range(pos, area.stop))
        return out

    def is_contiguous(self) -> bool:
        return len(self._segments) <= 1

    def read(self, address: int, length: int, fill: int | None = 0xFF) -> bytes:
        """``length`` bytes from ``address``, holes filled with ``fill``.

        Raises:
            ImageError: a hole is read and ``fill`` is None.
        """
        return self.to_bytes(fill=fill, start=address, stop=address + length)

    def to_bytes(
        self, fill: int | None = 0xFF, start: int | None = None, stop: int | None = None
    ) -> bytes:
        """The bytes of ``[start, stop)`` (default: the span) with holes set to ``fill``.

        The fill byte is explicit on purpose: 0xFF is the erased state of EPROMs and flash,
        which is what a burner expects for "nothing here".

        Raises:
            ImageError: a hole would be exported and ``fill`` is None.
        """
        span = self.span
        lo = start if start is not None else (span.start if span else 0)
        hi = stop if stop is not None else (span.stop if span else lo)
        if hi < lo:
            raise ImageError(f"bad range [0x{lo:X}, 0x{hi:X})")
        if fill is None:
            gaps = self.holes(Range(lo, hi))
            if gaps:
                raise ImageError("no data and no fill byte given", address=gaps[0].start)
            fill = 0
        buf = bytearray([fill]) * (hi - lo)
        for s in self._segments:
            if s.stop <= lo:
                continue
            if s.start >= hi:
                break
            a, b = max(lo, s.start), min(hi, s.stop)
            buf[a - lo : b - lo] = s.data[a - s.start : b - s.start]
        return bytes(buf)

    def crop(self, start: int, stop: int) -> Image:
        """A new image with only the bytes inside ``[start, stop)``."""
        img = Image()
        for s in self._segments:
            a, b = max(start, s.start), min(stop, s.stop)
            if a < b:
                img._segments.append(Segment(a, s.data[a - s.start : b - s.start]))
        return img

    def shifted(self, offset: int) -> Image:
        """A new image with every address moved by ``offset``.

        Raises:
            ImageError: an address would become negative.
        """
        if self._segments and self._segments[0].start + offset < 0:
            raise ImageError("shift would move data below address 0", address=self.start)
        img = Image()
        img._segments = [Segment(s.start + offset, s.data) for s in self._segments]
        return img

    def pages(self, page_size: int, fill: int = 0xFF) -> Iterator[tuple[int, bytes]]:
        """Yield ``(address, data)`` for every ``page_size``-aligned page that holds data.

        Pages only partly covered are filled with ``fill``; pages with no data at all are
        skipped (a programmer need not touch them).
        """
        if page_size <= 0:
            raise ImageError(f"bad page size {page_size}")
        last = -1
        for s in self._segments:
            first_page = s.start // page_size
            last_page = (s.stop - 1) // page_size
            for page in range(max(first_page, last + 1), last_page + 1):
                addr = page * page_size
                yield addr, self.read(addr, page_size, fill)
                last = page
