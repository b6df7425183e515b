"""What a difference between the wanted image and a chip dump means.

EPROMs, EEPROMs and flash all erase to 1s and program 0s, so the direction of each differing
bit says what can be done about it:

* the chip has 1 where the image wants 0: programming again can fix it (**programmable**);
* the chip has 0 where the image wants 1: only an erase can fix it (**needs erase**: UV for a
  27C EPROM, an erase command for flash);
* the chip reads 0xFF over the whole difference: nothing was written there (**blank**).

Beyond single ranges, whole-dump patterns point at the cause: the image found at another offset
(wrong placement, or a socket that does not decode an address line), the image repeated, an
address line that has no effect, a data line stuck at 0 or 1, scattered single-bit errors
(weak cells), or a dump that is blank or all 0x00.

Everything here works on flat bytes with C-speed primitives (slices, ``bytes.find``,
``bytes.translate``/``count``, big-int bit operations).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from romtool.analysis.diff import ImageDiff, per_bit_counts
from romtool.image.model import Image
from romtool.ranges import Range, total_length
from romtool.units import format_size

ERASED = 0xFF
"""The erased state of EPROM, EEPROM and flash cells: every bit 1."""

MAX_OFFSETS = 16
"""Report at most this many places where the image was found elsewhere."""

MIN_PROBE = 16
"""Do not search for an image whose meaningful content is shorter than this many bytes: a
short probe matches by chance in a 16 MiB dump."""

SCATTERED_SHARE = 0.8
"""Call the differences "scattered single-bit errors" when at least this share of the
differing bytes differ in exactly one bit."""

OTHER_DATA_SHARE = 0.5
"""Call the dump "other data" when at least this share of the compared bytes differ (random
data differs from an image in 255 of 256 bytes; a partly failed write in far fewer)."""

COLUMN_LIMIT = 64
"""Address-line checks on lines with a block size below this compare strided columns
(``data[j::2s]``, at most 64 Python steps); above it they compare blocks."""


QUICK_REJECT = 4096
"""Bytes checked first for an address-line hypothesis before the whole dump is."""


class DiffClass(StrEnum):
    """The class of one differing range (or byte)."""

    DIFFERENT = "different"
    """The bytes differ; no side was named as the wanted image."""
    PROGRAMMABLE = "programmable"
    """Only 1→0 changes are needed: programming again can fix it."""
    NEEDS_ERASE = "needs-erase"
    """At least one 0→1 change is needed: erase first."""
    BLANK = "blank"
    """The dump reads erased (0xFF) over the whole range: nothing was written."""
    ONLY_A = "only-a"
    """Only A holds data here (B is shorter or has a hole)."""
    ONLY_B = "only-b"
    """Only B holds data here."""


def byte_class(wanted: int, dump: int) -> DiffClass | None:
    """The class of one byte pair, or None when equal."""
    if wanted == dump:
        return None
    if dump == ERASED:
        return DiffClass.BLANK
    if wanted & ~dump & 0xFF:
        return DiffClass.NEEDS_ERASE
    return DiffClass.PROGRAMMABLE


class FindingKind(StrEnum):
    """Whole-dump observations."""

    SIZES_DIFFER = "sizes-differ"
    DUMP_BLANK = "dump-blank"
    DUMP_CONSTANT = "dump-constant"
    NOT_WRITTEN = "not-written"
    NEEDS_ERASE = "needs-erase"
    PROGRAMMABLE = "programmable"
    IMAGE_ELSEWHERE = "image-elsewhere"
    IMAGE_REPEATED = "image-repeated"
    PARTIAL_IMAGE = "partial-image"
    ADDRESS_LINE = "address-line"
    DATA_BIT_STUCK = "data-bit-stuck"
    SCATTERED_BITS = "scattered-bits"
    OTHER_DATA = "other-data"


@dataclass(frozen=True)
class Finding:
    """One observation about the dump, with the facts behind it.

    Attributes:
        kind: what was found.
        message: one line for people.
        address: the address it is about (an offset where the image was found, ...).
        value: a number that goes with it (an address line, a data bit, a count).
    """

    kind: FindingKind
    message: str
    address: int | None = None
    value: int | None = None

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"kind": str(self.kind), "message": self.message}
        if self.address is not None:
            out["address"] = self.address
        if self.value is not None:
            out["value"] = self.value
        return out


@dataclass(frozen=True)
class ClassifiedRange:
    """A differing range and what it means.

    Attributes:
        range: the addresses.
        cls: its class.
        to_program: bits that are 1 in the dump and 0 in the wanted image.
        to_erase: bits that are 0 in the dump and 1 in the wanted image.
    """

    range: Range
    cls: DiffClass
    to_program: int = 0
    to_erase: int = 0


@dataclass(frozen=True)
class Classification:
    """The meaning of a diff between a wanted image and a dump.

    Attributes:
        ranges: every differing range, classified (``only_*`` ranges included).
        bit_program: per data bit 0..7, how many bytes have that bit 1 in the dump but 0 in
            the image.
        bit_erase: per data bit 0..7, how many bytes have that bit 0 in the dump but 1 in the
            image.
        findings: whole-dump observations, most telling first.
    """

    ranges: tuple[ClassifiedRange, ...]
    bit_program: tuple[int, ...] = (0,) * 8
    bit_erase: tuple[int, ...] = (0,) * 8
    findings: tuple[Finding, ...] = field(default=())

    def counts(self) -> dict[str, int]:
        """Bytes per class."""
        out: dict[str, int] = {}
        for r in self.ranges:
            out[str(r.cls)] = out.get(str(r.cls), 0) + len(r.range)
        return out


def _bytes(n: int) -> str:
    return "1 byte" if n == 1 else f"{n} bytes"


def classify_range(r: Range, wanted: bytes, dump: bytes) -> ClassifiedRange:
    """Classify one differing range given its bytes on both sides."""
    n = len(wanted)
    w = int.from_bytes(wanted, "big")
    d = int.from_bytes(dump, "big")
    mask = (1 << (8 * n)) - 1
    to_program = (d & (w ^ mask)).bit_count()
    to_erase = (w & (d ^ mask)).bit_count()
    if dump.count(ERASED) == n:
        cls = DiffClass.BLANK
    elif to_erase:
        cls = DiffClass.NEEDS_ERASE
    else:
        cls = DiffClass.PROGRAMMABLE
    return ClassifiedRange(r, cls, to_program, to_erase)


def _line_mirrors(dump: bytes, wanted: bytes, size: int, high: bool) -> bool:
    """True when ``dump[x] == wanted[x with address bit log2(size) forced low/high]``.

    ``size`` is the block size of the line (1 << line). ``high`` selects stuck-at-1.
    """
    n = len(dump)
    step = 2 * size
    if size < COLUMN_LIMIT:
        for j in range(size):
            src = wanted[j + size :: step] if high else wanted[j::step]
            if dump[j::step] != src or dump[j + size :: step] != src:
                return False
        return True
    for i in range(0, n, step):
        src = wanted[i + size : i + step] if high else wanted[i : i + size]
        if dump[i : i + size] != src or dump[i + size : i + step] != src:
            return False
    return True


def _address_line_findings(wanted: bytes, dump: bytes) -> list[Finding]:
    n = len(dump)
    if n != len(wanted) or n < 2 or n & (n - 1):
        return []
    out: list[Finding] = []
    for line in range(n.bit_length() - 1):
        size = 1 << line
        # A cheap look at the first pages rejects almost every line before the full check.
        head = max(2 * size, QUICK_REJECT)
        for high in (False, True):
            if head < n and not _line_mirrors(dump[:head], wanted[:head], size, high):
                continue
            if _line_mirrors(dump, wanted, size, high):
                level = "1 (high)" if high else "0 (low)"
                out.append(
                    Finding(
                        FindingKind.ADDRESS_LINE,
                        f"address line A{line} has no effect: the dump equals the image read "
                        f"with A{line} stuck at {level} (bent pin, bad socket contact, or a "
                        f"jumper that ties it)",
                        value=line,
                    )
                )
    return out


def _data_bit_findings(
    wanted: bytes, dump: bytes, bit_program: tuple[int, ...], bit_erase: tuple[int, ...]
) -> list[Finding]:
    """A data line stuck at 0 or 1: every difference is in that one bit and the dump never
    shows the other value of it."""
    touched = [b for b in range(8) if bit_program[b] or bit_erase[b]]
    if len(touched) != 1:
        return []
    bit = touched[0]
    table = bytes((v >> bit) & 1 for v in range(256))
    ones = dump.translate(table).count(1)
    if 0 < ones < len(dump):
        return []
    level = 1 if ones else 0
    wanted_ones = wanted.translate(table).count(1)
    if wanted_ones in (0, len(wanted)):
        return []
    return [
        Finding(
            FindingKind.DATA_BIT_STUCK,
            f"data bit D{bit} reads {level} everywhere while the image uses both values: "
            f"data line D{bit} is stuck at {level} (pin, socket, or a dead cell column)",
            value=bit,
        )
    ]


def _placement_findings(
    wanted: bytes, wanted_base: int, dump: bytes, dump_base: int
) -> list[Finding]:
    out: list[Finding] = []
    probe = wanted.rstrip(bytes([ERASED]))
    if len(probe) >= MIN_PROBE and len(probe) <= len(dump):
        offsets: list[int] = []
        pos = dump.find(probe)
        while pos >= 0 and len(offsets) < MAX_OFFSETS:
            offsets.append(pos)
            pos = dump.find(probe, pos + 1)
        elsewhere = [o for o in offsets if dump_base + o != wanted_base]
        tiles = len(dump) // len(wanted) if len(dump) % len(wanted) == 0 else 0
        if tiles > 1 and dump == wanted * tiles:
            out.append(
                Finding(
                    FindingKind.IMAGE_REPEATED,
                    f"the dump is the image repeated {tiles} times: a chip larger than the "
                    f"image with the copies the socket's address decoding expects, or a socket "
                    f"that ignores the upper address lines",
                    value=tiles,
                )
            )
        elif elsewhere:
            where = ", ".join(f"0x{dump_base + o:X}" for o in elsewhere)
            out.append(
                Finding(
                    FindingKind.IMAGE_ELSEWHERE,
                    f"the image is in the dump at {where} instead of 0x{wanted_base:X}: wrong "
                    f"placement (program it at the offset the NIC decodes) or address "
                    f"aliasing in the socket",
                    address=dump_base + elsewhere[0],
                    value=len(offsets),
                )
            )
    if len(dump) < len(wanted) and len(dump) >= MIN_PROBE:
        pos = wanted.find(dump)
        if pos >= 0:
            part = "first" if pos == 0 else ("last" if pos + len(dump) == len(wanted) else "")
            what = f"the {part} {format_size(len(dump))}" if part else "a part"
            out.append(
                Finding(
                    FindingKind.PARTIAL_IMAGE,
                    f"the dump is {what} of the image (image offset 0x{pos:X}): the chip is "
                    f"smaller than the image, or the top address line is not connected",
                    address=wanted_base + pos,
                    value=len(dump),
                )
            )
    return out


def classify(wanted: Image, dump: Image, diff: ImageDiff, *, wanted_is_a: bool) -> Classification:
    """Classify ``diff`` (of A against B) with one side named as the wanted image.

    Args:
        wanted: the image that should be in the chip.
        dump: what was read from the chip.
        diff: ``diff_images(a, b)``; ``wanted_is_a`` says which of the two is ``wanted``.
        wanted_is_a: True when A is the wanted image, False when B is.

    Returns:
        Classified ranges (``only_a``/``only_b`` included, as such), per-bit counts over the
        differing bytes, and findings.
    """
    ranges: list[ClassifiedRange] = []
    wanted_parts: list[bytes] = []
    dump_parts: list[bytes] = []
    for r in diff.differ:
        w = wanted.read(r.start, len(r), fill=None)
        d = dump.read(r.start, len(r), fill=None)
        ranges.append(classify_range(r, w, d))
        wanted_parts.append(w)
        dump_parts.append(d)
    # Per-bit counts once over all differing bytes (not per range: a wrong image has tens of
    # thousands of ranges).
    w_all, d_all = b"".join(wanted_parts), b"".join(dump_parts)
    n = len(w_all)
    wi, di = int.from_bytes(w_all, "big"), int.from_bytes(d_all, "big")
    mask = (1 << (8 * n)) - 1
    bp = per_bit_counts(di & (wi ^ mask), n) if n else (0,) * 8
    be = per_bit_counts(wi & (di ^ mask), n) if n else (0,) * 8
    xor = (wi ^ di).to_bytes(n, "big")
    only_wanted = diff.only_a if wanted_is_a else diff.only_b
    only_dump = diff.only_b if wanted_is_a else diff.only_a
    for r in only_wanted:
        ranges.append(ClassifiedRange(r, DiffClass.ONLY_A if wanted_is_a else DiffClass.ONLY_B))
    for r in only_dump:
        ranges.append(ClassifiedRange(r, DiffClass.ONLY_B if wanted_is_a else DiffClass.ONLY_A))
    ranges.sort(key=lambda c: c.range)
    findings = _findings(wanted, dump, diff, ranges, bp, be, xor)
    return Classification(tuple(ranges), bp, be, tuple(findings))


def _findings(
    wanted: Image,
    dump: Image,
    diff: ImageDiff,
    ranges: list[ClassifiedRange],
    bit_program: tuple[int, ...],
    bit_erase: tuple[int, ...],
    xor: bytes,
) -> list[Finding]:
    if diff.same or not wanted or not dump:
        return []
    out: list[Finding] = []
    w = wanted.to_bytes(fill=ERASED)
    d = dump.to_bytes(fill=ERASED)
    if len(wanted) != len(dump):
        out.append(
            Finding(
                FindingKind.SIZES_DIFFER,
                f"sizes differ: the image holds {format_size(len(wanted))}, the dump "
                f"{format_size(len(dump))}",
                value=len(dump) - len(wanted),
            )
        )
    first = d[0]
    if d.count(first) == len(d):
        if first == ERASED:
            out.append(
                Finding(
                    FindingKind.DUMP_BLANK,
                    "the dump is blank (all 0xFF): nothing was written, or the chip did not "
                    "answer (an empty socket also reads 0xFF on most programmers)",
                )
            )
        else:
            out.append(
                Finding(
                    FindingKind.DUMP_CONSTANT,
                    f"the dump is 0x{first:02X} everywhere: no chip, a chip not enabled "
                    f"(/CE, /OE), or a shorted data bus",
                    value=first,
                )
            )
        return out
    placement = _placement_findings(w, wanted.start, d, dump.start)
    out.extend(placement)
    common = total_length(diff.common)
    if not placement and common and diff.bytes_differ >= OTHER_DATA_SHARE * common:
        out.append(
            Finding(
                FindingKind.OTHER_DATA,
                f"{100 * diff.bytes_differ / common:.1f} % of the bytes differ: the chip holds "
                f"other data (another image, or it was not erased before this one)",
                value=diff.bytes_differ,
            )
        )
    out.extend(_address_line_findings(w, d))
    out.extend(_data_bit_findings(w, d, bit_program, bit_erase))
    blank = [r.range for r in ranges if r.cls is DiffClass.BLANK]
    if blank:
        # Where the dump turns 0xFF for good: a write that stopped there leaves exactly this.
        tail = dump.start + len(d.rstrip(bytes([ERASED])))
        after = [r for r in blank if r.start >= tail]
        if after:
            out.append(
                Finding(
                    FindingKind.NOT_WRITTEN,
                    f"the dump reads 0xFF from 0x{after[0].start:X} to its end where the image "
                    f"has data ({_bytes(total_length(after))} differ): the write stopped early "
                    f"there, or the chip ends there",
                    address=after[0].start,
                    value=total_length(after),
                )
            )
        inside = [r for r in blank if r.start < tail]
        if inside:
            out.append(
                Finding(
                    FindingKind.NOT_WRITTEN,
                    f"{_bytes(total_length(inside))} in {len(inside)} ranges read 0xFF where "
                    f"the image has data: not written (skipped blocks?)",
                    address=inside[0].start,
                    value=total_length(inside),
                )
            )
    needs_erase = [r for r in ranges if r.cls is DiffClass.NEEDS_ERASE]
    if needs_erase:
        out.append(
            Finding(
                FindingKind.NEEDS_ERASE,
                f"{_bytes(total_length(c.range for c in needs_erase))} need a 0 turned back "
                f"into 1: erase the chip first (UV for an EPROM), then program",
                address=needs_erase[0].range.start,
                value=sum(c.to_erase for c in needs_erase),
            )
        )
    programmable = [r for r in ranges if r.cls is DiffClass.PROGRAMMABLE]
    if programmable:
        out.append(
            Finding(
                FindingKind.PROGRAMMABLE,
                f"{_bytes(total_length(c.range for c in programmable))} need only 1→0 "
                f"changes: programming again without erase can fix them",
                address=programmable[0].range.start,
                value=sum(c.to_program for c in programmable),
            )
        )
    if xor and not any(f.kind is FindingKind.DATA_BIT_STUCK for f in out):
        single = sum(xor.count(1 << bit) for bit in range(8))
        if len(diff.differ) > 1 and single >= SCATTERED_SHARE * len(xor):
            out.append(
                Finding(
                    FindingKind.SCATTERED_BITS,
                    f"{single} of {len(xor)} differing bytes are off by one bit, scattered: "
                    f"weak cells or marginal programming (check with `romtool stability`, "
                    f"erase longer, or try another chip)",
                    value=single,
                )
            )
    return out
