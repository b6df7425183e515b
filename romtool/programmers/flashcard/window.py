"""Where a FlashCard may sit in the PC's memory, checked before any access.

The FlashCard puts its flash chip into the upper memory area in place of a NIC's boot ROM.
The rules come from Etherboot's ``flashimg`` and from how the board wires the chip:

* The base is a physical address on an **8 KiB boundary** between **0xC8000 and 0xE6000**
  (segments C800..E600), the addresses flashimg accepts. Below C8000 sits the VGA BIOS; the
  system BIOS begins at F0000.
* The base must also be on a **32 KiB boundary**. The chip takes its unlock addresses 0x5555
  and 0x2AAA from its address lines A0-A14, which the board wires straight to the ISA
  address lines SA0-SA14. The command cycles are written at ``base + 0x5555`` and
  ``base + 0x2AAA``; only when the low 15 bits of ``base`` are zero do they reach the chip as
  0x5555 and 0x2AAA. At any other base the unlock sequence lands on the wrong chip address,
  the chip ignores it, and nothing can be identified, erased or programmed.
* The window is ``size`` bytes (32 KiB steps, as the board decodes), and ends at or below
  0xF0000. Nothing outside ``[base, base + size)`` is touched; the transport additionally
  refuses anything outside 0xC0000-0xEFFFF.

These checks raise :class:`WindowError` (exit status 2) before ``/dev/mem`` is opened.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from romtool.errors import UsageError
from romtool.programmers.transports.mmio import ISA_ROM_AREA
from romtool.ranges import Range

BASE_STEP = 0x2000
"""8 KiB: flashimg accepts only segments with ``seg & 0x1FF == 0``."""
LOWEST_BASE = 0xC8000
"""Segment C800: the first address above the 32 KiB VGA BIOS at C0000."""
HIGHEST_BASE = 0xE6000
"""Segment E600: the highest base flashimg accepts (and where its autoprobe starts)."""
COMMAND_ALIGN = 0x8000
"""32 KiB: the span of chip address lines A0-A14, which carry the 0x5555/0x2AAA unlock
addresses; the board passes them straight from the ISA bus."""
WINDOW_STEP = 0x8000
"""The board selects its window in 32 KiB steps."""
MAX_WINDOW = 0x20000
"""128 KiB: the largest chip the board takes (Am29F010)."""
DEFAULT_WINDOW = 0x8000
"""32 KiB: the smallest window the board decodes; larger windows must be asked for with
``size=`` so that romtool never reads or writes memory the card does not own."""
WINDOW_LIMIT = ISA_ROM_AREA.stop
"""0xF0000: the system BIOS starts here; a window must end at or below it."""


class WindowError(UsageError):
    """A FlashCard address or window size breaks the board's rules (exit status 2)."""


@dataclass(frozen=True)
class Window:
    """A checked FlashCard memory window.

    Attributes:
        base: physical address of window offset 0.
        size: window length in bytes.
    """

    base: int
    size: int

    @property
    def range(self) -> Range:
        """The physical addresses of the window, half-open."""
        return Range.sized(self.base, self.size)

    @property
    def segment(self) -> int:
        """The real-mode segment of the base (``0xD0000`` -> ``0xD000``)."""
        return self.base >> 4

    def __str__(self) -> str:
        return f"{self.range} (segment {self.segment:04X}, {self.size // 1024} KiB)"


_SEGMENT_RE = re.compile(r"^(?P<seg>[0-9a-f]{4})(?::0+)?$", re.IGNORECASE)
_PHYS_RE = re.compile(r"^(?:0x(?P<hex>[0-9a-f]+)|(?P<bare>[0-9a-f]{5})h?)$", re.IGNORECASE)


def parse_card_address(text: str) -> int:
    """Parse a FlashCard address the way users write it.

    * ``0xD0000`` or ``D0000`` (five hex digits): a physical address;
    * ``D000`` or ``D000:0`` (four hex digits): a real-mode segment, as flashimg asks for.

    Raises:
        WindowError: anything else, with examples.
    """
    s = text.strip()
    m = _SEGMENT_RE.match(s)
    if m:
        return int(m.group("seg"), 16) << 4
    m = _PHYS_RE.match(s)
    if m:
        return int(m.group("hex") or m.group("bare"), 16)
    raise WindowError(
        f"bad FlashCard address {text!r}: expected a physical address like 0xD0000, "
        "a segment like D000, or auto"
    )


def check_base(base: int) -> None:
    """Check the flashimg placement rules and the 32 KiB command alignment.

    Raises:
        WindowError: off an 8 KiB boundary, outside C8000..E6000, or not 32 KiB aligned
            (the message explains why the board needs it and names the nearest bases).
    """
    if base < ISA_ROM_AREA.start and base << 4 in range(LOWEST_BASE, HIGHEST_BASE + 1):
        raise WindowError(
            f"FlashCard address {base:#x} is below the option-ROM area",
            hint=f"did you mean the segment {base:04X}, that is {base << 4:#x}?",
        )
    if base % BASE_STEP:
        raise WindowError(
            f"FlashCard address {base:#x} is not on an 8 KiB boundary",
            hint=f"the board decodes 8 KiB steps; try {base - base % BASE_STEP:#x}",
        )
    if not LOWEST_BASE <= base <= HIGHEST_BASE:
        raise WindowError(
            f"FlashCard address {base:#x} is outside the range the board may use",
            expected=f"{LOWEST_BASE:#x}..{HIGHEST_BASE:#x}",
            actual=f"{base:#x}",
            hint="C0000-C7FFF holds the VGA BIOS and F0000 up the system BIOS",
        )
    if base % COMMAND_ALIGN:
        lower = base - base % COMMAND_ALIGN
        raise WindowError(
            f"FlashCard address {base:#x} is not on a 32 KiB boundary: the chip takes its "
            "unlock addresses 0x5555/0x2AAA from A0-A14, which the card wires straight to "
            "the ISA bus, so from this base the command cycles would reach the chip at "
            f"0x{(base + 0x5555) % COMMAND_ALIGN:04X}/0x{(base + 0x2AAA) % COMMAND_ALIGN:04X} "
            "and it would ignore them",
            hint=f"set the card's switches to a 32 KiB boundary such as {lower:#x}",
        )


def check_window(base: int, size: int = DEFAULT_WINDOW) -> Window:
    """Check ``base`` (see :func:`check_base`) and the window ``size`` in bytes.

    Raises:
        WindowError: a bad base, a size that is not a multiple of 32 KiB up to 128 KiB, or
            a window that would reach the system BIOS at 0xF0000.
    """
    check_base(base)
    if size <= 0 or size % WINDOW_STEP or size > MAX_WINDOW:
        raise WindowError(
            f"bad FlashCard window size {size:#x}: expected 32K, 64K, 96K or 128K "
            "(the board decodes 32 KiB steps)"
        )
    if base + size > WINDOW_LIMIT:
        raise WindowError(
            f"a {size // 1024} KiB window at {base:#x} would reach the system BIOS",
            expected=f"an end at or below {WINDOW_LIMIT:#x}",
            actual=f"{base + size:#x}",
            hint="use a lower base or a smaller size=",
        )
    return Window(base, size)


def probe_bases() -> list[int]:
    """The bases ``auto`` tries, in order: flashimg's E6000 down to C8000 in 8 KiB steps,
    each taken to its 32 KiB-aligned base (where the command cycles work), duplicates
    dropped: E0000, D8000, D0000, C8000."""
    out: list[int] = []
    for base in range(HIGHEST_BASE, LOWEST_BASE - 1, -BASE_STEP):
        aligned = base - base % COMMAND_ALIGN
        if aligned >= LOWEST_BASE and aligned not in out:
            out.append(aligned)
    return out
