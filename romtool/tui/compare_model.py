"""The compare screen's model: rows of two images side by side, classes, navigation, density.

No Textual here (the widgets draw what this computes), so all of it is tested without a
terminal. Rows are computed on demand from two flat byte strings, so a 16 MiB dump costs its
bytes and nothing per row; the diff report arrives later (from a worker) and only adds
navigation and the minimap; per-byte classes are computed per row as it is drawn.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from romtool.analysis import CompareReport, DiffClass, Wanted, byte_class
from romtool.image.model import Image
from romtool.ranges import Range

FILL = 0xFF
"""Byte used in the flat copies for holes (never shown: holes are drawn as ``--``)."""


@dataclass(frozen=True)
class Cell:
    """One byte position of a row.

    Attributes:
        address: its address.
        a: A's byte, None in a hole (or past A's end).
        b: B's byte, None in a hole.
        cls: the class of the difference, None when equal.
    """

    address: int
    a: int | None
    b: int | None
    cls: DiffClass | None


def _flat(image: Image, start: int, stop: int) -> bytes:
    """The bytes of ``[start, stop)``; a dump that is one segment covering it is used as it is
    (no copy of 16 MiB), anything else is flattened with :data:`FILL` in the holes."""
    segs = image.segments
    if len(segs) == 1 and segs[0].start == start and segs[0].stop == stop:
        return segs[0].data
    return image.to_bytes(fill=FILL, start=start, stop=stop)


def _presence(image: Image) -> tuple[list[int], list[int]]:
    segs = image.segments
    return [s.start for s in segs], [s.stop for s in segs]


class CompareModel:
    """Two images laid out in rows of ``width`` bytes.

    Args:
        a: the first image.
        b: the second image.
        wanted: which side is the wanted image (decides the classes).
        width: bytes per row.
    """

    def __init__(self, a: Image, b: Image, *, wanted: Wanted = Wanted.NONE, width: int = 16):
        self.a = a
        self.b = b
        self.wanted = wanted
        spans = [s for s in (a.span, b.span) if s is not None]
        lo = min((s.start for s in spans), default=0)
        hi = max((s.stop for s in spans), default=0)
        self.start = lo - lo % 16
        self.stop = hi
        self.flat_a = _flat(a, self.start, self.stop)
        self.flat_b = _flat(b, self.start, self.stop)
        self._pa = _presence(a)
        self._pb = _presence(b)
        self.width = width
        self.report: CompareReport | None = None
        self._starts: list[int] = []

    # --- layout ----------------------------------------------------------------------

    @property
    def size(self) -> int:
        return self.stop - self.start

    @property
    def rows(self) -> int:
        return (self.size + self.width - 1) // self.width

    @property
    def address_digits(self) -> int:
        """Hex digits needed for the highest address (at least 6, as in 0x0FFFFF)."""
        return max(6, len(f"{max(self.stop - 1, 0):X}"))

    def row_of(self, address: int) -> int:
        return (address - self.start) // self.width

    def row_address(self, row: int) -> int:
        return self.start + row * self.width

    def clamp(self, address: int) -> int:
        return min(max(address, self.start), max(self.stop - 1, self.start))

    # --- cells -----------------------------------------------------------------------

    @staticmethod
    def _has(presence: tuple[list[int], list[int]], address: int, stop: int | None = None) -> bool:
        """True when one segment holds ``address`` (and everything up to ``stop``)."""
        starts, stops = presence
        i = bisect.bisect_right(starts, address) - 1
        return i >= 0 and max(address + 1, stop or 0) <= stops[i]

    def _classify(self, a: int | None, b: int | None) -> DiffClass | None:
        if a is None and b is None:
            return None
        if a is None:
            return DiffClass.ONLY_B
        if b is None:
            return DiffClass.ONLY_A
        if a == b:
            return None
        if self.wanted is Wanted.A:
            return byte_class(a, b)
        if self.wanted is Wanted.B:
            return byte_class(b, a)
        return DiffClass.DIFFERENT

    def cell(self, address: int) -> Cell:
        """The byte pair at ``address``."""
        off = address - self.start
        a = self.flat_a[off] if self._has(self._pa, address) else None
        b = self.flat_b[off] if self._has(self._pb, address) else None
        return Cell(address, a, b, self._classify(a, b))

    def row(self, row: int) -> list[Cell]:
        """The cells of row ``row`` (the last row may be short)."""
        first = self.row_address(row)
        last = min(first + self.width, self.stop)
        off = first - self.start
        fa = self.flat_a[off : off + last - first]
        fb = self.flat_b[off : off + last - first]
        whole_a = self._has(self._pa, first, last)
        whole_b = self._has(self._pb, first, last)
        if whole_a and whole_b and fa == fb:
            # The common case, fast: no hole boundary and nothing differs in this row.
            return [Cell(first + i, v, v, None) for i, v in enumerate(fa)]
        cells = []
        for i in range(last - first):
            addr = first + i
            a = fa[i] if whole_a or self._has(self._pa, addr) else None
            b = fb[i] if whole_b or self._has(self._pb, addr) else None
            cells.append(Cell(addr, a, b, self._classify(a, b)))
        return cells

    # --- the diff --------------------------------------------------------------------

    def set_report(self, report: CompareReport | None) -> None:
        """Attach the diff (computed elsewhere) for navigation and density; None clears it."""
        self.report = report
        self._starts = [c.range.start for c in report.ranges] if report else []

    @property
    def ranges(self) -> list[Range]:
        if self.report is None:
            return []
        return [c.range for c in self.report.ranges]

    def next_diff(self, address: int) -> int | None:
        """Start of the first differing range that starts after ``address``."""
        i = bisect.bisect_right(self._starts, address)
        return self._starts[i] if i < len(self._starts) else None

    def prev_diff(self, address: int) -> int | None:
        """Start of the last differing range that starts before ``address``, or of the range
        that holds ``address`` when the cursor is inside one but not at its start."""
        i = bisect.bisect_left(self._starts, address) - 1
        return self._starts[i] if i >= 0 else None

    def diff_index(self, address: int) -> int | None:
        """0-based index of the differing range holding ``address``, None outside."""
        if self.report is None:
            return None
        i = bisect.bisect_right(self._starts, address) - 1
        if i >= 0 and address < self.report.ranges[i].range.stop:
            return i
        return None

    def density(self, buckets: int) -> list[tuple[float, DiffClass | None]]:
        """Split the address space into ``buckets`` equal parts; for each, the share of bytes
        that differ (0.0 to 1.0) and the class holding most of them.

        One sweep over the ranges (sorted), so the cost is ranges + buckets, not bytes.
        """
        if buckets <= 0:
            return []
        share = [0] * buckets
        weight: list[dict[DiffClass, int]] = [{} for _ in range(buckets)]
        size = max(self.size, 1)
        per = size / buckets
        if self.report is not None:
            for c in self.report.ranges:
                lo, hi = c.range.start - self.start, c.range.stop - self.start
                first = min(int(lo / per), buckets - 1)
                last = min(int((hi - 1) / per), buckets - 1)
                for k in range(first, last + 1):
                    b_lo, b_hi = int(k * per), int((k + 1) * per)
                    n = min(hi, b_hi) - max(lo, b_lo)
                    if n > 0:
                        share[k] += n
                        weight[k][c.cls] = weight[k].get(c.cls, 0) + n
        out: list[tuple[float, DiffClass | None]] = []
        for k in range(buckets):
            b_len = max(int((k + 1) * per) - int(k * per), 1)
            top = max(weight[k], key=lambda cls: weight[k][cls]) if weight[k] else None
            out.append((min(share[k] / b_len, 1.0), top))
        return out
