"""The whole answer to "how do these two images differ": diff, meaning, digests.

:func:`compare` is what ``romtool compare`` and the TUI's compare screen call. It digests
both sides first and only byte-diffs when the digests differ (the cheap answer to "same?"
comes first), then classifies the differences when one side is named as the wanted image.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from romtool.analysis.classify import Classification, ClassifiedRange, DiffClass, classify
from romtool.analysis.diff import ImageDiff, diff_images
from romtool.analysis.hashes import Digests, digests
from romtool.analysis.roms import RomListing, list_roms
from romtool.image.model import Image
from romtool.ranges import total_length


class Wanted(StrEnum):
    """Which side of a comparison is the image that should be in the chip."""

    NONE = "none"
    A = "a"
    B = "b"


@dataclass(frozen=True)
class Side:
    """One side of a comparison.

    Attributes:
        name: what to call it (usually its file name).
        image: its contents.
        digests: digests of its bytes from its lowest to its highest address, holes as 0xFF.
        roms: option ROMs found in it.
    """

    name: str
    image: Image
    digests: Digests
    roms: RomListing

    def as_dict(self) -> dict[str, object]:
        span = self.image.span
        return {
            "name": self.name,
            "start": span.start if span else 0,
            "stop": span.stop if span else 0,
            "bytes": len(self.image),
            "holes": len(self.image.holes()),
            **self.digests.as_dict(),
            "roms": self.roms.as_dict(),
        }


@dataclass(frozen=True)
class CompareReport:
    """Everything :func:`compare` found.

    Attributes:
        a: the first side.
        b: the second side.
        diff: the address-by-address difference.
        wanted: which side is the wanted image.
        ranges: every differing range with its class (``DIFFERENT`` when no side is wanted).
        classification: the meaning of the differences when a side is wanted, else None.
    """

    a: Side
    b: Side
    diff: ImageDiff
    wanted: Wanted = Wanted.NONE
    ranges: tuple[ClassifiedRange, ...] = field(default=())
    classification: Classification | None = None

    @property
    def same(self) -> bool:
        return self.diff.same

    def headline(self) -> str:
        """``3 ranges: 5 bytes (7 bits) differ, 16 bytes only in B`` (or ``same``)."""
        if self.same:
            return "same"
        d = self.diff
        parts = [f"{d.bytes_differ} bytes ({d.bits_differ} bits) differ"]
        only_a, only_b = total_length(d.only_a), total_length(d.only_b)
        if only_a:
            parts.append(f"{only_a} bytes only in A")
        if only_b:
            parts.append(f"{only_b} bytes only in B")
        n = len(self.ranges)
        return f"{n} range{'s' if n != 1 else ''}: " + ", ".join(parts)

    def as_dict(self, *, max_ranges: int | None = None) -> dict[str, object]:
        """A JSON-ready summary; ``max_ranges`` caps the listed ranges (the count is kept)."""
        listed = self.ranges if max_ranges is None else self.ranges[:max_ranges]
        out: dict[str, object] = {
            "same": self.same,
            "wanted": str(self.wanted),
            "a": self.a.as_dict(),
            "b": self.b.as_dict(),
            "bytes_differ": self.diff.bytes_differ,
            "bits_differ": self.diff.bits_differ,
            "ranges_total": len(self.ranges),
            "ranges": [
                {
                    "start": c.range.start,
                    "stop": c.range.stop,
                    "length": len(c.range),
                    "class": str(c.cls),
                    "to_program": c.to_program,
                    "to_erase": c.to_erase,
                }
                for c in listed
            ],
        }
        if self.classification is not None:
            cl = self.classification
            out["counts"] = cl.counts()
            out["bit_program"] = {f"D{b}": n for b, n in enumerate(cl.bit_program)}
            out["bit_erase"] = {f"D{b}": n for b, n in enumerate(cl.bit_erase)}
            out["findings"] = [f.as_dict() for f in cl.findings]
        return out


def _side(name: str, image: Image) -> Side:
    flat = image.to_bytes(fill=0xFF)
    return Side(name, image, digests(flat), list_roms(image))


def _plain_ranges(diff: ImageDiff) -> tuple[ClassifiedRange, ...]:
    out = [ClassifiedRange(r, DiffClass.DIFFERENT) for r in diff.differ]
    out += [ClassifiedRange(r, DiffClass.ONLY_A) for r in diff.only_a]
    out += [ClassifiedRange(r, DiffClass.ONLY_B) for r in diff.only_b]
    out.sort(key=lambda c: c.range)
    return tuple(out)


def compare(
    a: Image,
    b: Image,
    *,
    wanted: Wanted = Wanted.NONE,
    name_a: str = "A",
    name_b: str = "B",
) -> CompareReport:
    """Compare two images; classify the differences when ``wanted`` names a side.

    Args:
        a: the first image (a file, or the wanted image).
        b: the second image (usually a chip dump).
        wanted: which side should be in the chip; the other is the dump.
        name_a: A's name in the report.
        name_b: B's name in the report.
    """
    side_a, side_b = _side(name_a, a), _side(name_b, b)
    if side_a.digests == side_b.digests and a.segments == b.segments:
        diff = ImageDiff(differ=(), span_a=a.span, span_b=b.span, size_a=len(a), size_b=len(b))
        return CompareReport(side_a, side_b, diff, wanted)
    diff = diff_images(a, b)
    if wanted is Wanted.NONE:
        return CompareReport(side_a, side_b, diff, wanted, _plain_ranges(diff))
    want, dump = (a, b) if wanted is Wanted.A else (b, a)
    cl = classify(want, dump, diff, wanted_is_a=wanted is Wanted.A)
    return CompareReport(side_a, side_b, diff, wanted, cl.ranges, cl)
