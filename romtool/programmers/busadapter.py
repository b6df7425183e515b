"""The bus-programmer adapter: a :class:`Programmer` over a raw-bus driver.

Raw-bus drivers (serprog's parallel mode, the FlashCard window) only move bus cycles. This
adapter runs :mod:`romtool.algorithms` on the driver's
:class:`~romtool.algorithms.bus.ParallelBus` and presents the ordinary
:class:`~romtool.programmers.base.Programmer` interface to :mod:`romtool.ops`. It is the one
place in :mod:`romtool.programmers` allowed to import the algorithms (see the import-linter
contracts).

A driver plugged in here needs ``open()``, ``close()``, ``bus()`` and a ``kind``; optional
hooks, used when present:

* ``check_part(chip, writing=...)``: refuse parts the hardware cannot take (an EPROM on a
  board without VPP); called by :meth:`BusProgrammer.select` with ``writing=False`` and
  before every program/erase with ``writing=True``;
* ``description()`` and ``limits()``: for ``romtool programmers -v`` and ``--json``.

Writing: software-data-protection parts get the AA/55/A0 prefix on every page (they work
whether the part was locked or not, and are left protected, as the romprog firmware does);
progress is committed per chunk of :data:`COMMIT_CHUNK` bytes (whole pages/sectors), so a
lost link resumes at a chunk boundary.
"""

from __future__ import annotations

import time
from typing import Any, Protocol

from romtool.algorithms import dispatch, jedec
from romtool.algorithms.bus import ParallelBus, read_range
from romtool.algorithms.paged import SdpAction
from romtool.chips.spec import Algorithm, ChipId, ChipSpec, SdpMode, Technology
from romtool.errors import ProgrammerError, UsageError
from romtool.events import Reporter
from romtool.programmers.base import (
    Capability,
    CommitCallback,
    Programmer,
    ProgrammerInfo,
    ProgramReport,
    nullable,
)
from romtool.ranges import Range

COMMIT_CHUNK = 4096
"""Bytes programmed between commit callbacks (a multiple of every page and sector size in the
chip DB up to 4 KiB; larger sectors are committed whole)."""
READ_CHUNK = 4096
"""Bytes read between progress updates."""
_PAGED = (Algorithm.EEPROM_BYTE, Algorithm.EEPROM_PAGE, Algorithm.AT29_PAGE)

RAW_BUS_CAPABILITIES = frozenset(
    {
        Capability.RAW_BUS,
        Capability.SOFTWARE_ID,
        Capability.ERASE,
        Capability.SECTOR_ERASE,
        Capability.PAGE_WRITE,
    }
)
"""What the host-side algorithms give any 5 V raw bus."""


class RawBus(Protocol):
    """What the adapter needs from a driver."""

    kind: str

    def open(self) -> None: ...

    def close(self) -> None: ...

    def bus(self) -> ParallelBus: ...


class BusProgrammer(Programmer):
    """A :class:`Programmer` running the host algorithms on ``driver``'s bus.

    Args:
        driver: the raw-bus driver.
        capabilities: what to advertise (default :data:`RAW_BUS_CAPABILITIES`).
    """

    def __init__(
        self, driver: RawBus, capabilities: frozenset[Capability] = RAW_BUS_CAPABILITIES
    ) -> None:
        super().__init__()
        self.driver = driver
        self.kind = driver.kind
        self.capabilities = capabilities
        self._open = False

    # --- lifecycle -----------------------------------------------------------------------

    def open(self) -> None:
        self.driver.open()
        self._open = True

    def close(self) -> None:
        self._open = False
        self.driver.close()

    def info(self) -> ProgrammerInfo:
        describe = getattr(self.driver, "description", None)
        limits = getattr(self.driver, "limits", None)
        return ProgrammerInfo(
            self.kind,
            describe() if callable(describe) else self.kind,
            self.capabilities,
            dict(limits()) if callable(limits) else {},
        )

    def now(self) -> float:
        if self._open:
            return self.driver.bus().now_us() / 1_000_000.0
        return time.monotonic()

    def select(self, chip: ChipSpec) -> None:
        self._check_part(chip, writing=False)
        super().select(chip)

    def _check_part(self, chip: ChipSpec, *, writing: bool) -> None:
        check: Any = getattr(self.driver, "check_part", None)
        if callable(check):
            check(chip, writing=writing)

    # --- operations ----------------------------------------------------------------------

    def identify(self) -> ChipId | None:
        chip = self._need_chip("identify")
        return dispatch.identify(self.driver.bus(), chip)

    def read(self, rng: Range, reporter: Reporter | None = None) -> bytes:
        self._check_range(rng, "read")
        rep = nullable(reporter)
        rep.stage("read", len(rng))
        bus = self.driver.bus()
        out = bytearray()
        for piece in rng.chunks(READ_CHUNK):
            out += read_range(bus, piece.start, len(piece))
            rep.progress(piece.stop - rng.start, len(rng))
        return bytes(out)

    def program(
        self,
        address: int,
        data: bytes,
        reporter: Reporter | None = None,
        on_commit: CommitCallback | None = None,
    ) -> ProgramReport:
        chip = self._check_range(Range.sized(address, len(data)), "program")
        self._check_part(chip, writing=True)
        rep = nullable(reporter)
        rep.stage("write", len(data))
        bus = self.driver.bus()
        sdp = (
            SdpAction.PROTECT
            if chip.algorithm in _PAGED and chip.sdp is not SdpMode.NONE
            else SdpAction.LEAVE
        )
        step = max(COMMIT_CHUNK, chip.write_granularity, chip.page_size)
        retried = 0
        for piece in Range.sized(address, len(data)).chunks(step):
            part = data[piece.start - address : piece.stop - address]
            result = dispatch.program(bus, chip, piece.start, part, sdp=sdp)
            retried += result.retries
            done = piece.stop - address
            rep.progress(done, len(data))
            if on_commit is not None:
                on_commit(done)
        return ProgramReport(committed=len(data), retried_bytes=retried)

    def erase(self, reporter: Reporter | None = None, *, sector: Range | None = None) -> None:
        chip = self._need_chip("erase")
        if chip.technology.is_eprom:
            raise UsageError(
                f"{chip.name} is an EPROM: erase it with UV light",
                op="erase",
                hint="about 20 minutes under a UV eraser, out of the socket",
            )
        self._check_part(chip, writing=True)
        bus = self.driver.bus()
        if sector is None:
            dispatch.erase(bus, chip)
            return
        if chip.technology is not Technology.JEDEC_FLASH:
            raise ProgrammerError(f"{chip.name} has no sector erase", op="erase")
        for rng in chip.sector_ranges():
            if rng.start < sector.stop and sector.start < rng.stop:
                jedec.erase_sector(bus, chip, rng.start)
