"""The :class:`Programmer` interface every driver implements, and its capabilities.

Lifecycle (a context manager)::

    with programmer:                      # open(): port/USB/window opened, handshake done
        programmer.select(chip)           # the chosen part (smart programmers get a profile)
        programmer.identify()             # when SOFTWARE_ID or A9_ID is in capabilities
        programmer.read(...) / program(...) / erase(...) / blank_check(...) / crc32(...)
                                          # close(): VPP and VCC off, port released

Two kinds of drivers implement it:

* **Smart programmers** (romprog firmware, TL866) run the chip algorithms themselves; the
  driver sends the chip profile from :meth:`select` and the data.
* **Raw-bus programmers** (FlashCard, serprog parallel) only move bus cycles. They implement
  :class:`~romtool.programmers.busadapter.RawBus` and are wrapped by its ``BusProgrammer``,
  which runs :mod:`romtool.algorithms` on their bus and presents the same :class:`Programmer`
  interface.

:mod:`romtool.ops` branches on :attr:`Programmer.capabilities`, never on the class. Methods a
driver cannot do natively have honest fallbacks here (CRC, blank check and "can program"
computed from a read), so ops can always call them; the capability says whether it is cheap.

Conventions: addresses are chip byte offsets; ranges are half-open; progress goes to the
:class:`~romtool.events.Reporter` in bytes; failures are :class:`~romtool.errors.RomtoolError`
subclasses (``ProgrammerError`` for the link and device, exit status 3).
"""

from __future__ import annotations

import time
import zlib
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from types import TracebackType
from typing import Any

from romtool.chips.spec import ChipId, ChipSpec
from romtool.errors import DeviceTimeout, ProgrammerError, UsageError
from romtool.events import NullReporter, Reporter
from romtool.ranges import Range


class StreamStalled(DeviceTimeout):
    """A bulk transfer stopped making progress although the programmer still answers; the
    operation may be started again from its last committed byte."""


class Capability(StrEnum):
    """What a programmer can do. ``ops`` decides by these, never by driver class."""

    VPP = "vpp"
    """Programmable VPP: can program UV/OTP EPROMs."""
    A9_ID = "a9-id"
    """12 V on A9: reads EPROM electronic signatures."""
    SOFTWARE_ID = "software-id"
    """JEDEC software id (AA/55/90) for EEPROM and flash."""
    ERASE = "erase"
    """Electrical chip erase (EEPROM, page and JEDEC flash)."""
    SECTOR_ERASE = "sector-erase"
    """Electrical erase of one sector."""
    DEVICE_CRC = "device-crc"
    """CRC-32 and per-block CRC computed on the device, without moving the data."""
    BLANK_CHECK = "blank-check"
    """Blank check on the device."""
    CAN_PROGRAM = "can-program"
    """The device answers "can this be written without erase" for a block."""
    PAGE_WRITE = "page-write"
    """Page-mode algorithms (28C pages, AT29 sectors)."""
    DEVICE_ALGORITHMS = "device-algorithms"
    """The chip algorithms run on the programmer (a smart programmer)."""
    RAW_BUS = "raw-bus"
    """Exposes a parallel bus; the host runs the algorithms."""
    RESUMABLE = "resumable"
    """A write can continue from a committed offset after the link was lost."""
    UV_ERASE = "uv-erase"
    """Simulator only: the simulated chip can be put under a UV lamp."""


@dataclass(frozen=True)
class ProgrammerInfo:
    """What :meth:`Programmer.info` reports after :meth:`Programmer.open`.

    Attributes:
        kind: the spec type (``"romprog"``, ``"sim"``, ``"tl866"``).
        description: one line for humans (board, firmware version, port).
        capabilities: the capability set.
        limits: driver-specific numbers (max payload, window, baud, VPP range) for
            ``--json`` and ``-v`` output.
    """

    kind: str
    description: str
    capabilities: frozenset[Capability]
    limits: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ProgramReport:
    """What a :meth:`Programmer.program` call did.

    Attributes:
        committed: bytes programmed and verified by the device (equal to the data length on
            success).
        max_pulses: most program pulses one byte needed (EPROMs; 0 when not applicable).
        retried_frames: frames the link had to resend (noise, drops).
        retried_bytes: bytes the device reported as needing extra program attempts.
    """

    committed: int
    max_pulses: int = 0
    retried_frames: int = 0
    retried_bytes: int = 0


@dataclass(frozen=True)
class BlankResult:
    """Blank-check answer: how many bytes differ from the blank value, and the first one."""

    nonblank: int
    first: int | None

    @property
    def blank(self) -> bool:
        return self.nonblank == 0


@dataclass(frozen=True)
class BlockInfo:
    """Per-block digest used for write planning: CRC-32 of the chip bytes, all-0xFF flag."""

    range: Range
    crc32: int
    blank: bool


@dataclass(frozen=True)
class ProgramConflict:
    """Answer of :meth:`Programmer.can_program`: bytes needing a 0 -> 1 change."""

    count: int
    first: int | None


CommitCallback = Callable[[int], None]
"""Called with the number of bytes committed (programmed and verified) so far in a write."""


class Programmer(ABC):
    """Base of every programmer driver. See the module docstring for the lifecycle.

    Subclasses set :attr:`kind` and :attr:`capabilities`, implement :meth:`open`,
    :meth:`close`, :meth:`read` and :meth:`program`, and override the fallbacks they can do
    better on the device.
    """

    kind: str = "?"
    capabilities: frozenset[Capability] = frozenset()

    def __init__(self) -> None:
        self.chip: ChipSpec | None = None

    # --- lifecycle -------------------------------------------------------------------------

    @abstractmethod
    def open(self) -> None:
        """Open the link and handshake. Raises ``TransportError``/``ProtocolError``."""

    @abstractmethod
    def close(self) -> None:
        """Remove VPP and VCC from the socket and release the link. Never raises."""

    def __enter__(self) -> Programmer:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def info(self) -> ProgrammerInfo:
        """Describe the (opened) programmer."""
        return ProgrammerInfo(self.kind, self.kind, self.capabilities)

    def has(self, cap: Capability) -> bool:
        return cap in self.capabilities

    def now(self) -> float:
        """The programmer's clock in seconds: monotonic wall time for hardware, the virtual
        clock for simulators (so durations, rates and ETAs are the modeled ones)."""
        return time.monotonic()

    # --- chip selection ----------------------------------------------------------------------

    def select(self, chip: ChipSpec) -> None:
        """Choose the part in the socket. Smart programmers send its profile here.

        Raises:
            ProgrammerError: the programmer cannot handle this part (for example an EPROM on a
                programmer without VPP, or a part larger than its address lines).
        """
        self.chip = chip

    def _need_chip(self, op: str) -> ChipSpec:
        if self.chip is None:
            raise UsageError("no part selected", op=op, hint="choose one with -c PART")
        return self.chip

    def _check_range(self, rng: Range, op: str) -> ChipSpec:
        chip = self._need_chip(op)
        if rng.stop > chip.size:
            raise UsageError(f"range {rng} is outside the {chip.size}-byte {chip.name}", op=op)
        return chip

    # --- operations ----------------------------------------------------------------------------

    def identify(self) -> ChipId | None:
        """Read the chip id with the part's id method; None when the part has none.

        Raises:
            ProgrammerError: the programmer cannot read this kind of id.
        """
        raise ProgrammerError(f"{self.kind} cannot read chip ids", op="identify")

    @abstractmethod
    def read(self, rng: Range, reporter: Reporter | None = None) -> bytes:
        """Read ``rng`` of the chip."""

    @abstractmethod
    def program(
        self,
        address: int,
        data: bytes,
        reporter: Reporter | None = None,
        on_commit: CommitCallback | None = None,
    ) -> ProgramReport:
        """Program ``data`` at ``address`` and verify each unit as it goes.

        The caller has planned the write: the bytes can be programmed without erase (EPROM and
        JEDEC flash only turn 1s into 0s), and for page-mode flash the range covers whole
        sectors. ``on_commit`` is called with cumulative committed bytes, so a lost link can be
        resumed from there.

        Raises:
            ProgramFailure: a byte would not program (address, wanted and read value in fields).
            TransportError, DeviceTimeout: the link was lost; ``committed`` bytes are done.
        """

    def erase(self, reporter: Reporter | None = None, *, sector: Range | None = None) -> None:
        """Erase the chip electrically (or one sector when ``sector`` is given)."""
        raise ProgrammerError(f"{self.kind} cannot erase chips electrically", op="erase")

    def uv_erase(self, minutes: int = 20) -> None:
        """Simulator only (:attr:`Capability.UV_ERASE`): put the EPROM under a UV lamp."""
        raise ProgrammerError(
            "UV erase needs a UV eraser, not the programmer: take the chip out, erase it "
            "under UV light for about 20 minutes, and put it back",
            op="erase",
        )

    # --- digests with honest fallbacks -------------------------------------------------------

    def crc32(self, rng: Range, reporter: Reporter | None = None) -> int:
        """CRC-32 (zlib) of the chip bytes in ``rng``; by reading unless DEVICE_CRC."""
        return zlib.crc32(self.read(rng, reporter))

    def block_info(self, rng: Range, block: int) -> list[BlockInfo]:
        """Per-block CRC-32 and blank flag over ``rng`` (blocks aligned to ``block``)."""
        data = self.read(rng)
        out: list[BlockInfo] = []
        for piece in rng.chunks(block):
            chunk = data[piece.start - rng.start : piece.stop - rng.start]
            out.append(BlockInfo(piece, zlib.crc32(chunk), chunk.count(0xFF) == len(chunk)))
        return out

    def blank_check(
        self, rng: Range, value: int = 0xFF, reporter: Reporter | None = None
    ) -> BlankResult:
        """Count bytes in ``rng`` that differ from ``value``."""
        data = self.read(rng, reporter)
        bad = len(data) - data.count(value)
        if not bad:
            return BlankResult(0, None)
        first = next(i for i, b in enumerate(data) if b != value)
        return BlankResult(bad, rng.start + first)

    def can_program(self, address: int, data: bytes) -> ProgramConflict:
        """Bytes in ``data`` that would need a 0 -> 1 change over what the chip holds."""
        have = self.read(Range.sized(address, len(data)))
        return conflicts(address, have, data)


def conflicts(address: int, have: bytes, want: bytes) -> ProgramConflict:
    """Where ``want`` needs bits set that are 0 in ``have`` (``have & want != want``)."""
    count = 0
    first: int | None = None
    for i, (h, w) in enumerate(zip(have, want, strict=True)):
        if h & w != w:
            count += 1
            if first is None:
                first = address + i
    return ProgramConflict(count, first)


def refuse_eprom_erase(chip: ChipSpec) -> None:
    """Refuse an electrical erase of a UV EPROM (or OTP part): only UV light erases it.

    For drivers whose :meth:`Programmer.erase` runs the part's erase on the device or the bus.

    Raises:
        UsageError: ``chip`` is an EPROM.
    """
    if chip.technology.is_eprom:
        raise UsageError(
            f"{chip.name} is an EPROM: erase it with UV light",
            op="erase",
            hint="about 20 minutes under a UV eraser, out of the socket",
        )


def nullable(reporter: Reporter | None) -> Reporter:
    """``reporter`` or a :class:`~romtool.events.NullReporter`."""
    return reporter if reporter is not None else NullReporter()
