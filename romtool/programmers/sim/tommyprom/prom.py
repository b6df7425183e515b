"""The PROM side of the simulated TommyPROM: bus cycles and the per-family write code.

TommyPROM keeps this in its ``PromDevice`` classes, one per family chosen at compile time;
this module is the simulator's equivalent, written from the behaviour in our notes: 28C block
writes with data polling (no SDP prefix), SST39SF byte programs and 4 KiB sector erases with
toggle polling, the SDP lock/unlock sequences, and read-only families. Every cycle costs a
74HC595 address shift plus the sketch's strobe delays on the chip model's virtual clock.
"""

from __future__ import annotations

from enum import Enum, IntEnum

from romtool.chips.spec import ChipSpec, Technology
from romtool.programmers.sim.chips.base import ChipModel

ADDRESS_SET_US = 10.0
"""Shifting 16 address bits into the 74HC595 chain with direct port writes (estimate)."""
STROBE_US = 2.0
"""The sketch's two 1 µs delays around each WE or OE strobe."""
MAX_WRITE_MS_28C = 10
"""PromDevice28C's max write time (ms): 10 ms for the 28C256."""
BLOCK_28C = 64
"""PromDevice28C's block size for the 28C256."""
SST_SECTOR = 4096
"""SST39SF sector size erased by E."""
SST_SECTOR_ERASE_MAX_US = 25_000.0
"""Polling limit for one sector erase (datasheet 18 ms typical; margin)."""
SST_PROGRAM_MAX_US = 30.0
"""Polling limit for one byte program (datasheet 20 µs max)."""
LOAD_CLOSE_US = 10.0
"""Margin past tBLC before the first data poll (see :meth:`PromDevice.write_data`)."""
DEFAULT_TBLC_US = 150.0
"""tBLC when the part's spec has none (AT28C256: 150 µs)."""


class Cycle(IntEnum):
    """Command-cycle data bytes (JEDEC/SST39SF and AT28C256 datasheet command tables)."""

    UNLOCK1 = 0xAA
    UNLOCK2 = 0x55
    PROGRAM = 0xA0
    """Byte program (flash); SDP enable / protected write (28C)."""
    SETUP = 0x80
    """Erase setup (flash); first half of SDP disable (28C)."""
    SDP_OFF = 0x20
    SECTOR_ERASE = 0x30


ADDR1 = 0x5555
"""First unlock address."""
ADDR2 = 0x2AAA
"""Second unlock address."""
UNLOCK = ((ADDR1, Cycle.UNLOCK1), (ADDR2, Cycle.UNLOCK2))
UNLOCK_PROGRAM = (*UNLOCK, (ADDR1, Cycle.PROGRAM))
DQ6_TOGGLE = 0x40
"""Toggle bit: flips on every read while the part is busy."""


class Family(Enum):
    """The compile-time PROM type of the sketch."""

    EEPROM_28C = "28C series EEPROM"
    SST39SF = "SST39SF series flash"
    READ_ONLY = "27 series EPROM"

    @staticmethod
    def for_part(spec: ChipSpec) -> Family:
        if spec.technology is Technology.EEPROM:
            return Family.EEPROM_28C
        if spec.technology is Technology.JEDEC_FLASH:
            return Family.SST39SF
        return Family.READ_ONLY


class PromDevice:
    """The chip behind the sketch's address shift registers.

    Args:
        chip: the part (its clock is the Arduino's clock).
        family: the compiled-in family.
    """

    def __init__(self, chip: ChipModel, family: Family) -> None:
        self.chip = chip
        self.family = family
        self.writes_burned = 0
        self._tblc_us = chip.spec.timing.tblc_us or DEFAULT_TBLC_US

    def read(self, address: int) -> int:
        self.chip.clock.advance(ADDRESS_SET_US + STROBE_US)
        return self.chip.read(address)

    def write(self, address: int, value: int) -> None:
        self.chip.clock.advance(ADDRESS_SET_US + STROBE_US)
        self.chip.write(address, value)

    def wait_28c(self, address: int, last: int) -> bool:
        """PromDevice28C-style data polling: two equal reads of the last value."""
        for _ in range(MAX_WRITE_MS_28C * 1000 // 2):
            self.chip.clock.advance(STROBE_US)
            b1 = self.chip.read(address)
            self.chip.clock.advance(STROBE_US)
            b2 = self.chip.read(address)
            if b1 == b2 == last:
                return True
        return False

    def wait_toggle(self, address: int, limit_us: float) -> bool:
        deadline = self.chip.clock.now_us() + limit_us
        previous = self.chip.read(address)
        while self.chip.clock.now_us() < deadline:
            self.chip.clock.advance(STROBE_US)
            current = self.chip.read(address)
            if (previous ^ current) & DQ6_TOGGLE == 0:
                return True
            previous = current
        return False

    def write_data(self, data: bytes, address: int) -> bool:
        """PromDevice::writeData: whole blocks (28C) or byte programs (SST)."""
        if self.family is Family.READ_ONLY:
            return False
        if self.family is Family.SST39SF:
            for i, value in enumerate(data):
                for addr, val in UNLOCK_PROGRAM:
                    self.write(addr, val)
                self.write(address + i, value)
                if not self.wait_toggle(address + i, SST_PROGRAM_MAX_US):
                    return False
            return True
        pos = 0
        while pos < len(data):
            here = address + pos
            n = min(BLOCK_28C - here % BLOCK_28C, len(data) - pos)
            for i in range(n):
                self.write(here + i, data[pos + i])
            self.writes_burned += 1
            # The real sketch polls right after the last byte, inside the part's byte-load
            # window. How a 28C answers a read there is not in our sources; our model would
            # show the old byte, which can equal the new one and end the poll before the page
            # is written. The model waits for the window to close first (see the docs).
            self.chip.idle(self._tblc_us + LOAD_CLOSE_US)
            if not self.wait_28c(here + n - 1, data[pos + n - 1]):
                return False
            pos += n
        return True

    def erase(self, start: int, end: int) -> bool:
        if self.family is not Family.SST39SF:
            return False
        sector = start - start % SST_SECTOR
        while sector <= end:
            for addr, val in (
                *UNLOCK,
                (ADDR1, Cycle.SETUP),
                *UNLOCK,
                (sector, Cycle.SECTOR_ERASE),
            ):
                self.write(addr, val)
            if not self.wait_toggle(sector, SST_SECTOR_ERASE_MAX_US):
                return False
            sector += SST_SECTOR
        return True

    def erase_answer(self) -> str:
        return "FAILED\r\n" if self.family is Family.SST39SF else "NOT SUPPORTED\r\n"

    def sdp(self, *, lock: bool) -> str:
        if self.family is not Family.EEPROM_28C:
            return "NOT SUPPORTED"
        prefix = [(ADDR1, Cycle.UNLOCK1), (ADDR2, Cycle.UNLOCK2)]
        tail = [(ADDR1, Cycle.SETUP), *prefix, (ADDR1, Cycle.SDP_OFF)]
        seq = [*prefix, (ADDR1, Cycle.PROGRAM)] if lock else [*prefix, *tail]
        for addr, val in seq:
            self.write(addr, val)
        # The part runs a write cycle after the sequence; the sketch returns at once.
        return "OK"
