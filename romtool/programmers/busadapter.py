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

Known contents: the adapter remembers the chip bytes it has read (a write plan reads the
chip first) and programmed since the part was selected, and forgets them on any erase, a
failed program, identify, open and close. On a bus where every read is a round trip
(:class:`~romtool.algorithms.bus.QueuedBus`) a program then passes them to the algorithm
instead of reading the range again; the algorithm still reads back every byte it programs,
and ``ops`` verifies the whole write afterwards. Elsewhere (the FlashCard's memory window)
reading again costs next to nothing and the algorithm reads the chip itself.
"""

from __future__ import annotations

import time
from typing import Any, Protocol

from romtool.algorithms import dispatch, jedec, paged
from romtool.algorithms.bus import ParallelBus, queues_writes, read_range
from romtool.algorithms.paged import SdpAction
from romtool.chips.spec import ChipId, ChipSpec, SdpMode, Technology
from romtool.errors import ProgrammerError
from romtool.events import Reporter
from romtool.programmers.base import (
    Capability,
    CommitCallback,
    Programmer,
    ProgrammerInfo,
    ProgramReport,
    nullable,
    refuse_eprom_erase,
)
from romtool.ranges import Range

COMMIT_CHUNK = 4096
"""Bytes programmed between commit callbacks (a multiple of every page and sector size in the
chip DB up to 4 KiB; larger sectors are committed whole)."""
READ_CHUNK = 4096
"""Bytes read between progress updates."""

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


class KnownContents:
    """Chip bytes known without reading them again: what was read or programmed since the
    part was selected. Addresses are chip offsets; nothing is known at first."""

    def __init__(self, size: int = 0) -> None:
        self._data = bytearray(size)
        self._known = bytearray(size)

    def note(self, address: int, data: bytes) -> None:
        """The chip holds ``data`` at ``address`` (read, or programmed and read back)."""
        stop = min(address + len(data), len(self._data))
        if address >= stop:
            return
        self._data[address:stop] = data[: stop - address]
        self._known[address:stop] = b"\x01" * (stop - address)

    def forget(self, rng: Range | None = None) -> None:
        """Forget ``rng`` (everything when None)."""
        if rng is None:
            self._known = bytearray(len(self._known))
            return
        stop = min(rng.stop, len(self._known))
        if rng.start < stop:
            self._known[rng.start : stop] = bytes(stop - rng.start)

    def get(self, rng: Range) -> bytes | None:
        """The bytes of ``rng`` when every one of them is known, else None."""
        if rng.stop > len(self._known) or self._known.count(0, rng.start, rng.stop):
            return None
        return bytes(self._data[rng.start : rng.stop])


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
        self.known = KnownContents()

    # --- lifecycle -----------------------------------------------------------------------

    def open(self) -> None:
        self.known.forget()
        self.driver.open()
        self._open = True

    def close(self) -> None:
        self._open = False
        self.known.forget()
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
        self.known = KnownContents(chip.size)

    def _check_part(self, chip: ChipSpec, *, writing: bool) -> None:
        check: Any = getattr(self.driver, "check_part", None)
        if callable(check):
            check(chip, writing=writing)

    # --- operations ----------------------------------------------------------------------

    def identify(self) -> ChipId | None:
        chip = self._need_chip("identify")
        # Another chip may be in the socket now (and a driver may move its window here).
        self.known.forget()
        return dispatch.identify(self.driver.bus(), chip)

    def read(self, rng: Range, reporter: Reporter | None = None) -> bytes:
        self._check_range(rng, "read")
        rep = nullable(reporter)
        rep.stage("read", len(rng))
        bus = self.driver.bus()
        out = bytearray()
        for piece in rng.chunks(READ_CHUNK):
            data = read_range(bus, piece.start, len(piece))
            self.known.note(piece.start, data)
            out += data
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
            if chip.algorithm in paged.ALGORITHMS and chip.sdp is not SdpMode.NONE
            else SdpAction.LEAVE
        )
        step = max(COMMIT_CHUNK, chip.write_granularity, chip.page_size)
        use_known = queues_writes(bus)
        retried = 0
        for piece in Range.sized(address, len(data)).chunks(step):
            part = data[piece.start - address : piece.stop - address]
            have = self.known.get(piece) if use_known else None
            try:
                result = dispatch.program(bus, chip, piece.start, part, sdp=sdp, have=have)
            except BaseException:
                self.known.forget(piece)
                raise
            self.known.note(piece.start, part)
            retried += result.retries
            done = piece.stop - address
            rep.progress(done, len(data))
            if on_commit is not None:
                on_commit(done)
        return ProgramReport(committed=len(data), retried_bytes=retried)

    def erase(self, reporter: Reporter | None = None, *, sector: Range | None = None) -> None:
        chip = self._need_chip("erase")
        refuse_eprom_erase(chip)
        self._check_part(chip, writing=True)
        bus = self.driver.bus()
        # Whatever the erase leaves is read again before it is relied on.
        self.known.forget()
        if sector is None:
            dispatch.erase(bus, chip)
            return
        if chip.technology is not Technology.JEDEC_FLASH:
            raise ProgrammerError(f"{chip.name} has no sector erase", op="erase")
        for rng in chip.sector_ranges():
            if rng.overlaps(sector):
                jedec.erase_sector(bus, chip, rng.start)
