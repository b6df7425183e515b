"""Verify a chip against an image: digest first, bytes only on mismatch, failures diagnosed.

With ``DEVICE_CRC`` the programmer computes the CRC-32 of each image segment on the device, so a
good chip costs only chip-read time. Only a segment whose CRC differs is read back and compared
byte by byte, and the difference is named by its signature:

* every differing byte reads 0xFF: **nothing was written** there;
* the chip has 0 bits where the image has 1 (and no 1 where the image has 0): **0 -> 1
  needed**, the chip was not erased before;
* bits wrong in both directions: the chip holds **different data** (another image, or the
  image at another offset);
* the same bit is wrong in the same direction everywhere: a **stuck data bit** (a bent pin, a
  dead data line, a stuck cell column);
* otherwise bits that should be 0 read 1: **bits did not program** (weak cells, VPP too low).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

from romtool.errors import VerifyError
from romtool.events import Reporter
from romtool.image.model import Image
from romtool.programmers.base import Capability, Programmer, nullable
from romtool.ranges import Range, merge

MAX_LISTED = 3
"""Differing ranges named in a message."""


@dataclass(frozen=True)
class Diagnosis:
    """What a byte-level comparison found.

    Attributes:
        differing: number of bytes that differ.
        first: first differing address.
        kind: ``"nothing-written"``, ``"needs-erase"``, ``"different-data"``, ``"stuck-bit"``,
            ``"not-programmed"``.
        text: one line for humans.
        ranges: the differing addresses, merged into ranges.
        first_expected / first_actual: the bytes at ``first``.
    """

    differing: int
    first: int
    kind: str
    text: str
    ranges: tuple[Range, ...] = ()
    first_expected: int = 0
    first_actual: int = 0


def diagnose(start: int, have: bytes, want: bytes) -> Diagnosis | None:
    """Compare ``have`` (chip) with ``want`` at chip address ``start``; None when equal."""
    if have == want:
        return None
    diffs = [i for i, (h, w) in enumerate(zip(have, want, strict=True)) if h != w]
    first = diffs[0]
    ranges = tuple(merge(Range(start + i, start + i + 1) for i in diffs))
    where = ", ".join(str(r) for r in ranges[:MAX_LISTED]) + (
        " ..." if len(ranges) > MAX_LISTED else ""
    )
    n = len(diffs)
    need_one = [i for i in diffs if want[i] & ~have[i]]
    extra_one = [i for i in diffs if have[i] & ~want[i]]
    if all(have[i] == 0xFF for i in diffs):
        kind = "nothing-written"
        text = f"{n} bytes read 0xFF where the image has data ({where}): nothing was written"
    elif need_one and extra_one:
        kind = "different-data"
        text = (
            f"{n} bytes differ ({where}) in both directions: the chip holds other data "
            "(another image, or the image at another --offset)"
        )
    elif need_one:
        kind = "needs-erase"
        text = (
            f"{n} bytes differ ({where}); {len(need_one)} need a 0 -> 1 change: "
            "the chip was not erased"
        )
    else:
        masks = {have[i] ^ want[i] for i in extra_one}
        common = 0xFF
        for m in masks:
            common &= m
        if len(diffs) >= 2 and len(masks) == 1 and bin(common).count("1") == 1:
            kind = "stuck-bit"
            bit = common.bit_length() - 1
            text = f"{n} bytes differ ({where}), all in D{bit} reading 1: a stuck data bit"
        else:
            kind = "not-programmed"
            text = f"{n} bytes differ ({where}): bits that should be 0 read 1 (did not program)"
    return Diagnosis(
        n, start + first, kind, text, ranges, first_expected=want[first], first_actual=have[first]
    )


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of :func:`verify_image`.

    Attributes:
        ok: the chip holds the image.
        how: ``"device CRC-32"`` or ``"read-back"``.
        checked: bytes compared.
        ranges: the chip ranges compared.
        diagnosis: set when not ok.
    """

    ok: bool
    how: str
    checked: int
    ranges: tuple[Range, ...] = field(default_factory=tuple)
    diagnosis: Diagnosis | None = None

    def check(self) -> None:
        """Raise when the chip does not hold the image.

        Raises:
            VerifyError: the diagnosis, with the first differing address and bytes.
        """
        if self.ok:
            return
        d = self.diagnosis
        assert d is not None
        raise VerifyError(
            d.text, op="verify", address=d.first, expected=d.first_expected, actual=d.first_actual
        )


def verify_image(
    programmer: Programmer, image: Image, reporter: Reporter | None = None
) -> VerifyResult:
    """Check that the chip holds ``image`` (segments at chip addresses; holes not checked)."""
    rep = nullable(reporter)
    device_crc = Capability.DEVICE_CRC in programmer.capabilities
    how = "device CRC-32" if device_crc else "read-back"
    total = len(image)
    rep.stage("verify", total)
    done = 0
    ranges = tuple(seg.range for seg in image.segments)
    for seg in image.segments:
        if device_crc:
            if programmer.crc32(seg.range) == zlib.crc32(seg.data):
                done += len(seg.data)
                rep.progress(done, total)
                continue
            rep.note(f"CRC-32 differs in {seg.range}; reading it back to find where")
        have = programmer.read(seg.range, NestedReporter(rep, done, total))
        found = diagnose(seg.start, have, seg.data)
        if found is not None:
            return VerifyResult(False, how, done, ranges, found)
        done += len(seg.data)
        rep.progress(done, total)
    return VerifyResult(True, how, done, ranges)


class NestedReporter:
    """A nested call's reporter: its notes and warnings go through, its stages do not.

    Its progress is shifted by ``base`` bytes into the outer stage of ``total`` bytes, or
    dropped when ``total`` is None (the outer operation reports progress its own way).
    """

    def __init__(self, inner: Reporter, base: int = 0, total: int | None = None) -> None:
        self.inner, self.base, self.total = inner, base, total

    def stage(self, name: str, total: int | None = None) -> None:
        pass

    def progress(self, done: int, total: int | None = None) -> None:
        if self.total is not None:
            self.inner.progress(self.base + done, self.total)

    def note(self, message: str) -> None:
        self.inner.note(message)

    def warn(self, message: str) -> None:
        self.inner.warn(message)
