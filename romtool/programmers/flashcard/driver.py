"""The FlashCard driver: a raw bus into the card's memory window, opened safely.

The driver only moves bus cycles (:class:`~.bus.WindowBus`); the host runs the JEDEC
algorithms on that bus (through the bus-programmer adapter). What the driver adds is the
board's safety and diagnosis:

1. **Rules before access.** The base and size are checked (:mod:`.window`) before ``/dev/mem``
   is opened, and only the window is mapped.
2. **Read-only survey.** On open the window is read (never written) and classified: all 0xFF
   (open bus, or an erased chip), all 0x00 (RAM the kernel hides, or nothing), an option ROM,
   or other data.
3. **Identify with a safety net** (:meth:`FlashCardDriver.identify_with`). Before the id
   command cycles the bytes at the command addresses are saved. If no chip answers (the id
   reads the same as the array), whatever was there is written back (RAM at that address gets
   its bytes again; a ROM or a flash chip in read mode ignores lone writes), and the error says
   why, from the survey: nothing decoded, zeros, a ROM, or a write-protected card.
4. **Auto probe** (``flashcard:auto``): the candidate bases (:func:`.window.probe_bases`) are
   tried in flashimg's order, each with the same safety net, until a chip answers.

Programming and erasing are refused until :meth:`FlashCardDriver.identify_with` has seen a chip
answer (see :attr:`FlashCardDriver.identified`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from romtool.algorithms.bus import ParallelBus
from romtool.chips.spec import ChipId, ChipSpec, Technology
from romtool.errors import ChipIdMismatch, DeviceError, UsageError
from romtool.programmers.flashcard.bus import BusClock, HostClock, WindowBus
from romtool.programmers.flashcard.window import (
    DEFAULT_WINDOW,
    LOWEST_BASE,
    MAX_WINDOW,
    WINDOW_LIMIT,
    Window,
    check_window,
    probe_bases,
)
from romtool.programmers.transports.mmio import DEV_MEM, IsaMemory, MappedMemory
from romtool.ranges import Range

MemoryOpener = Callable[[Range, bool], IsaMemory]
"""Opens physical memory for ``(region, writable)``: ``/dev/mem``, a file, or the simulator."""
IdReader = Callable[[ParallelBus], ChipId]
"""Runs the software id sequence on a bus and returns what was read at offsets 0 and 1."""

COMMAND_ADDRESSES = (0x5555, 0x2AAA, 0x0000)
"""Window offsets the JEDEC id sequence writes to (unlock cycles, and the single-cycle reset)."""
JEDEC_ROM_SIGNATURE = b"\x55\xaa"
"""The option-ROM signature at offset 0 of a ROM the BIOS would run."""
BOARD_VCC_MV = 5000
"""The ISA bus powers the socket from +5 V; 3.3 V parts would be overdriven."""


class NoChipError(DeviceError):
    """No flash chip answered the id sequence in the window (exit status 3)."""


class Contents(StrEnum):
    """What the read-only survey found in the window."""

    ALL_FF = "all 0xFF"
    ALL_00 = "all 0x00"
    OPTION_ROM = "an option ROM"
    DATA = "data"


@dataclass(frozen=True)
class Survey:
    """The read-only look at a window before any write.

    Attributes:
        window: where.
        contents: the classification.
        first: the bytes at offsets 0 and 1 in read-array mode.
    """

    window: Window
    contents: Contents
    first: bytes

    def explain_no_answer(self) -> str:
        """Why no chip answered, as far as the window's contents tell."""
        if self.contents is Contents.ALL_FF:
            return (
                "the window reads all 0xFF: no card is decoded there -- check the card's "
                "address switches, and turn BIOS shadowing off for this range"
            )
        if self.contents is Contents.ALL_00:
            return (
                "the window reads all 0x00: no card is decoded there, or the kernel hides "
                "this range (CONFIG_STRICT_DEVMEM shows RAM as zeros; iomem=relaxed lifts "
                "only the IO_STRICT_DEVMEM part) -- check the switches and /proc/iomem"
            )
        if self.contents is Contents.OPTION_ROM:
            return (
                "an option ROM is there but does not take commands: another adapter's ROM, "
                "an EPROM, a write-protected card (jumper), or BIOS shadowing left on"
            )
        return (
            "something answers reads but not the id command: RAM or another device, a "
            "write-protected card, or a card whose WE# is not wired to MEMW#"
        )


def survey(bus: WindowBus) -> Survey:
    """Read the whole window (read-only) and classify it."""
    data = bus.read_block(0, bus.window.size)
    if data.count(0xFF) == len(data):
        contents = Contents.ALL_FF
    elif data.count(0x00) == len(data):
        contents = Contents.ALL_00
    elif data.startswith(JEDEC_ROM_SIGNATURE):
        contents = Contents.OPTION_ROM
    else:
        contents = Contents.DATA
    return Survey(bus.window, contents, data[:2])


def devmem_opener(path: str = DEV_MEM) -> MemoryOpener:
    """A :data:`MemoryOpener` mapping ``path`` (``/dev/mem`` or a memory image)."""

    def opener(region: Range, writable: bool) -> IsaMemory:
        return MappedMemory(region, path=path, writable=writable)

    return opener


class FlashCardDriver:
    """The FlashCard as a raw-bus driver.

    Args:
        address: physical base of the window, or None for ``auto``.
        size: window size in bytes (what the card decodes; 32 KiB by default).
        memory: opens physical memory (default: ``/dev/mem``).
        clock: bus time (default: the host clock; the simulator passes its virtual clock).
        source: what ``memory`` maps, for messages (``/dev/mem``, a file, the simulator).

    Raises:
        WindowError: a bad address or size (before anything is opened).
    """

    kind = "flashcard"

    def __init__(
        self,
        address: int | None,
        *,
        size: int = DEFAULT_WINDOW,
        memory: MemoryOpener | None = None,
        clock: BusClock | None = None,
        source: str = DEV_MEM,
    ) -> None:
        self.address = address
        self.source = source
        self.size = size
        self.memory = memory if memory is not None else devmem_opener()
        self.clock = clock if clock is not None else HostClock()
        # auto: the size is checked at the lowest candidate, where every valid size fits.
        fixed = check_window(address if address is not None else LOWEST_BASE, size)
        self.window: Window | None = fixed if address is not None else None
        self.located: Window | None = None
        """``auto``: the window where a chip answered (probing is not repeated)."""
        self._mem: IsaMemory | None = None
        self._bus: WindowBus | None = None
        self.survey: Survey | None = None
        self.identified: ChipId | None = None
        self.notes: list[str] = []
        """What the auto probe saw at each base (for ``-v`` output)."""

    # --- lifecycle ----------------------------------------------------------------------

    def open(self) -> None:
        """Map the window (a fixed address) and survey it read-only.

        With ``auto`` nothing is mapped until :meth:`locate` finds the card.
        """
        if self.window is not None and self._bus is None:
            self._attach(self.window)

    def close(self) -> None:
        """Unmap the window (idempotent, never raises)."""
        if self._mem is not None:
            self._mem.close()
        self._mem = None
        self._bus = None

    def _attach(self, window: Window) -> WindowBus:
        self.close()
        self._mem = self.memory(window.range, True)
        self._bus = WindowBus(self._mem, window, self.clock)
        self.window = window
        self.survey = survey(self._bus)
        return self._bus

    def bus(self) -> WindowBus:
        """The open window as a :class:`~romtool.algorithms.bus.ParallelBus`.

        Raises:
            DeviceError: not open, or ``auto`` has not found the card yet.
        """
        if self._bus is None:
            raise DeviceError(
                "the FlashCard window is not open"
                + (" (auto: no card located yet)" if self.address is None else ""),
                op="flashcard",
            )
        return self._bus

    # --- identify -----------------------------------------------------------------------

    def identify_with(self, read_id: IdReader, expected: ChipId | None = None) -> ChipId:
        """Run ``read_id`` on the window with the safety net described in the module.

        Args:
            read_id: the software id algorithm (reads offsets 0 and 1 in id mode).
            expected: the id of the chosen part; a different answering id is refused.

        Raises:
            NoChipError: the id read equals the array contents: nothing took the command.
            ChipIdMismatch: a chip answered, but not with ``expected``.
        """
        bus = self.bus()
        assert self.window is not None and self.survey is not None
        saved = {a: bus.read_byte(a) for a in COMMAND_ADDRESSES if a < self.window.size}
        chip_id = read_id(bus)
        # After the id exit a chip reads its array again, which differs from its id. Memory
        # that ignored the commands (or RAM that stored them) reads the same as "the id".
        array = bytes([bus.read_byte(0), bus.read_byte(1)])
        answered = bytes([chip_id.mfr, chip_id.dev]) != array
        if not answered:
            # Put back whatever the id cycles may have changed (RAM keeps writes; a flash in
            # read mode or a ROM ignores these lone writes).
            for addr, value in saved.items():
                if bus.read_byte(addr) != value:
                    bus.write_byte(addr, value)
            self.identified = None
            raise NoChipError(
                f"no flash chip answers in the window {self.window}: "
                + self.survey.explain_no_answer(),
                op="identify",
                address=self.window.base,
            )
        self.identified = chip_id
        if expected is not None and chip_id != expected:
            raise ChipIdMismatch(
                f"wrong chip id in the FlashCard at {self.window.base:#x}",
                op="identify",
                expected=str(expected),
                actual=str(chip_id),
                hint="check -c PART against the chip in the card's socket",
            )
        return chip_id

    def locate(self, read_id: IdReader, expected: ChipId | None = None) -> ChipId:
        """``auto``: try each candidate base until a chip answers, and stay there.

        Bases whose window would not fit below 0xF0000 at this size are skipped. Each try is
        read-only apart from the id command cycles, whose targets are restored when nothing
        answers.

        Raises:
            NoChipError: no base answered (the message lists what each one showed).
            ChipIdMismatch: a chip answered with an id other than ``expected``.
        """
        if self.address is not None:
            self.open()
            return self.identify_with(read_id, expected)
        if self.located is not None:
            if self._bus is None:
                self._attach(self.located)
            return self.identify_with(read_id, expected)
        self.notes = []
        for base in probe_bases():
            if base + self.size > WINDOW_LIMIT:
                self.notes.append(
                    f"{base:#x}: skipped, a {self.size // 1024} KiB window ends past 0xEFFFF"
                )
                continue
            try:
                self._attach(check_window(base, self.size))
                chip_id = self.identify_with(read_id, expected)
            except NoChipError:
                assert self.survey is not None
                self.notes.append(f"{base:#x}: no answer ({self.survey.contents})")
                self.close()
                continue
            except ChipIdMismatch:
                self.located = self.window
                raise
            self.notes.append(f"{base:#x}: chip {chip_id} answered")
            self.located = self.window
            return chip_id
        raise NoChipError(
            "no FlashCard answered at any of " + ", ".join(f"{b:#x}" for b in probe_bases()),
            op="identify",
            hint="give the address set on the card's switches, e.g. flashcard:0xD0000; "
            + "; ".join(self.notes),
        )

    # --- guard for writes -----------------------------------------------------------------

    def check_part(self, chip: ChipSpec, *, writing: bool) -> None:
        """The bus adapter's hook: refuse parts the board cannot take (see :func:`check_part`)."""
        check_part(chip, writing=writing)

    def require_identified(self, op: str) -> None:
        """Refuse ``op`` (program, erase) until a chip has answered the id sequence.

        Raises:
            NoChipError: identify has not succeeded in this session.
        """
        if self.identified is None:
            raise NoChipError(
                "refusing to write before a chip has answered the id sequence",
                op=op,
                hint="the FlashCard driver identifies the chip first; run romtool id",
            )

    def description(self) -> str:
        """One line for ``romtool programmers -v`` and the session log."""
        where = str(self.window) if self.window is not None else "auto (not located yet)"
        return f"FlashCard at {where} via {self.source}"

    def limits(self) -> dict[str, object]:
        """Window facts for ``--json`` and ``-v`` output."""
        out: dict[str, object] = {"window_size": self.size}
        if self.window is not None:
            out["window_base"] = self.window.base
            out["segment"] = f"{self.window.segment:04X}"
        if self.survey is not None:
            out["window_contents"] = str(self.survey.contents)
        return out


def check_part(chip: ChipSpec, *, writing: bool) -> None:
    """Refuse parts the FlashCard cannot take.

    Raises:
        UsageError: not a 5 V part (always), larger than the 128 KiB the socket decodes
            (always), or, for writing, an EPROM (no VPP on the card) or a 28-pin EEPROM
            (the socket has the 32-pin flash pinout).
    """
    if chip.voltages.vcc_read_mv != BOARD_VCC_MV:
        raise UsageError(
            f"{chip.name} is a {chip.voltages.vcc_read_mv / 1000:g} V part; the FlashCard "
            "socket runs at 5 V from the ISA bus and would overdrive it"
        )
    if chip.size > MAX_WINDOW:
        raise UsageError(
            f"{chip.name} has {chip.size // 1024} KiB; the FlashCard socket decodes "
            f"A0-A16 ({MAX_WINDOW // 1024} KiB)"
        )
    if not writing:
        return
    if chip.technology.is_eprom:
        raise UsageError(
            f"{chip.name} is an EPROM: the FlashCard has no programming voltage (VPP)",
            hint="program it in an EPROM programmer; the card can still read it",
        )
    if chip.technology is Technology.EEPROM and chip.pins != 32:
        raise UsageError(
            f"{chip.name} is a {chip.pins}-pin part; the FlashCard socket has the 32-pin "
            "JEDEC flash pinout (Am29F010, SST39SF010A, AT29C010A)"
        )
