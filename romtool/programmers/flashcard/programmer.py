"""The FlashCard as a :class:`~romtool.programmers.base.Programmer`.

:class:`FlashCardProgrammer` is the bus-programmer adapter (which runs the host-side JEDEC and
AT29 algorithms) with the board's rules on top:

* **identify** goes through the driver's safety net (:meth:`.FlashCardDriver.identify_with`),
  so "nothing answers" comes out as a specific error instead of an id of FF:FF, and ``auto``
  finds the card first;
* **nothing is written before a chip answered**: program and erase identify first when the
  session has not;
* **the window is the device**: a range outside the window is refused with the sizes in the
  message; when the window shows only part of the chip (a 32 KiB window on a 128 KiB chip, the
  other banks behind the bank switches), an erase clears only the sectors behind the window;
* **parts the board cannot take** are refused (:func:`.driver.check_part`, the driver's
  ``check_part`` hook), before anything is written.
"""

from __future__ import annotations

from romtool.chips.spec import ChipId, Technology
from romtool.errors import UsageError
from romtool.events import Reporter
from romtool.programmers.base import (
    BlankResult,
    Capability,
    CommitCallback,
    ProgramReport,
    nullable,
)
from romtool.programmers.busadapter import BusProgrammer
from romtool.programmers.flashcard.driver import FlashCardDriver
from romtool.ranges import Range

FLASHCARD_CAPABILITIES = frozenset(
    {
        Capability.RAW_BUS,
        Capability.SOFTWARE_ID,
        Capability.ERASE,
        Capability.SECTOR_ERASE,
        Capability.PAGE_WRITE,
        Capability.RESUMABLE,
    }
)
"""The host algorithms on a 5 V byte-wide window; a write can resume from its journal."""
JEDEC_RESET = 0xF0
"""The single-cycle reset / read-array command of JEDEC flash (Am29F010, SST39SF010A)."""


class FlashCardProgrammer(BusProgrammer):
    """The FlashCard driver behind the bus-programmer adapter.

    Args:
        driver: the opened-on-demand raw-bus driver.
    """

    def __init__(self, driver: FlashCardDriver) -> None:
        super().__init__(driver, FLASHCARD_CAPABILITIES)
        self.card = driver

    # --- lifecycle ----------------------------------------------------------------------

    def now(self) -> float:
        # The driver's clock works before ``auto`` has found the card (bus() would not).
        return self.card.clock.now_us() / 1_000_000.0

    # --- identify -----------------------------------------------------------------------

    def identify(self) -> ChipId | None:
        """Identify through the driver's safety net (and locate the card for ``auto``).

        Raises:
            NoChipError: no chip answers (the message says what the window shows).
        """
        chip = self._need_chip("identify")

        def read_id(bus: object) -> ChipId:
            # The adapter runs the part's id algorithm on the driver's current window, which
            # is ``bus`` (locate attaches each candidate before calling this).
            assert bus is self.card.bus()
            if chip.technology is Technology.JEDEC_FLASH:
                # flashimg sends a reset first, and so do we: a write cut short mid-command
                # leaves the command state machine mid-sequence, and the next unlock cycle
                # would only reset it. One F0 at any address returns JEDEC flash to read
                # mode (Am29F010/SST39SF datasheets). Not for AT29 page flash: without SDP
                # a lone write there starts a sector load. The driver restores offset 0 if
                # nothing answers (RAM).
                self.card.bus().write_byte(0, JEDEC_RESET)
            chip_id = BusProgrammer.identify(self)
            if chip_id is None:
                raise UsageError(
                    f"{chip.name} has no software id; the FlashCard finds chips by id",
                    op="identify",
                    hint="choose the flash part in the socket with -c",
                )
            return chip_id

        return self.card.locate(read_id)

    def _ensure_identified(self) -> None:
        if self.card.identified is None:
            self.identify()
        self.card.require_identified("write")

    def _ensure_located(self) -> None:
        if self.card.window is None or self.card.survey is None:
            self.identify()

    # --- the window is the device -------------------------------------------------------

    def _check_window(self, rng: Range, op: str) -> None:
        self._ensure_located()
        chip = self._check_range(rng, op)
        window = self.card.window
        assert window is not None
        if rng.stop > window.size:
            raise UsageError(
                f"{rng} is outside the {window.size // 1024} KiB FlashCard window at "
                f"{window.base:#x}: the card shows {window.size // 1024} KiB of the "
                f"{chip.size // 1024} KiB {chip.name}",
                op=op,
                address=max(rng.start, window.size),
                hint=f"use --length {window.size // 1024}K, or set size= to the window the "
                "card's switches decode",
            )

    def read(self, rng: Range, reporter: Reporter | None = None) -> bytes:
        self._check_window(rng, "read")
        return super().read(rng, reporter)

    def blank_check(
        self, rng: Range, value: int = 0xFF, reporter: Reporter | None = None
    ) -> BlankResult:
        """Blank check of ``rng``; the part beyond a smaller window is skipped with a warning
        (after an erase of the window's sectors it was not touched and cannot be seen)."""
        self._ensure_located()
        window = self.card.window
        assert window is not None
        if rng.stop > window.size and rng.start < window.size:
            nullable(reporter).warn(
                f"only the {window.size // 1024} KiB window was checked; the chip beyond it "
                "is not visible"
            )
            rng = Range(rng.start, window.size)
        return super().blank_check(rng, value, reporter)

    def program(
        self,
        address: int,
        data: bytes,
        reporter: Reporter | None = None,
        on_commit: CommitCallback | None = None,
    ) -> ProgramReport:
        # Before the identify below: a part the card cannot write is refused untouched.
        self._check_part(self._need_chip("program"), writing=True)
        self._check_window(Range.sized(address, len(data)), "program")
        self._ensure_identified()
        return super().program(address, data, reporter, on_commit)

    def erase(self, reporter: Reporter | None = None, *, sector: Range | None = None) -> None:
        """Erase the chip, or ``sector``; with a window smaller than the chip only the
        sectors behind the window (the other banks keep their contents).

        Raises:
            UsageError: a sector outside the window, or a chip erase of a part without
                sectors through a partial window (it would clear every bank).
        """
        chip = self._need_chip("erase")
        self._check_part(chip, writing=True)
        self._ensure_identified()
        window = self.card.window
        assert window is not None
        if sector is not None:
            self._check_window(sector, "erase")
            super().erase(reporter, sector=sector)
            return
        if window.size >= chip.size:
            super().erase(reporter)
            return
        if chip.technology is not Technology.JEDEC_FLASH:
            raise UsageError(
                f"{chip.name} has no sector erase, and a chip erase would clear all of it, "
                f"not only the {window.size // 1024} KiB window",
                op="erase",
                hint="page-mode flash needs no erase: each sector write erases that sector",
            )
        nullable(reporter).note(
            f"erasing the sectors behind the {window.size // 1024} KiB window only"
        )
        super().erase(reporter, sector=Range(0, window.size))
