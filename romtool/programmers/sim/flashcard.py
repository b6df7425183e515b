"""A simulated PC upper memory area with a FlashCard in it (``flashcard:sim``).

The simulator stands where ``/dev/mem`` stands: it is an
:class:`~romtool.programmers.transports.mmio.IsaMemory`, so the FlashCard driver runs the same
code over it as over the real window, guard included. Behind the guard sits a model of the
ISA bus between 0xC0000 and 0xEFFFF:

* a :class:`SimFlashCard` decoded the way the documented rebuild does it
  (hardware/flashcard/README.md): a comparator on SA15..SA19 against the base switches selects
  a 32 KiB (or, in 64 KiB mode, 64 KiB) block; chip A0..A14 come straight from SA0..SA14;
  A15/A16 come from the bank switches (or SA15 in 64 KiB mode); WE# follows MEMW# unless the
  write-protect jumper is set. The chip is a datasheet model from
  :mod:`romtool.programmers.sim.chips` (Am29F010 by default), on a shared virtual clock;
* other adapters' ROMs (read-only bytes, e.g. a VGA BIOS at C0000), RAM (a NIC's shared
  memory), and ranges that read as zeros (what a kernel with STRICT_DEVMEM shows for RAM);
* everything else floats: reads return 0xFF, writes vanish (the ISA data lines are pulled up).

Each byte access costs one 8-bit ISA memory cycle of modeled time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from romtool.programmers.sim.chips.base import ChipModel
from romtool.programmers.sim.clock import VirtualClock
from romtool.programmers.transports.mmio import ISA_ROM_AREA, IsaMemory
from romtool.ranges import Range

ISA_MEMORY_CYCLE_US = 0.72
"""One 8-bit ISA memory cycle: 6 BCLK periods (2 plus the 4 default wait states of an 8-bit
memory access) at 8.33 MHz."""
OPEN_BUS = 0xFF
"""What a read returns where no card decodes the address (pull-ups on SD0..SD7)."""
COMPARE_BLOCK = 0x8000
"""The rebuild's comparator looks at SA15..SA19: 32 KiB blocks."""


@dataclass
class SimFlashCard:
    """The card's switches and jumpers, and the chip in its socket.

    Attributes:
        chip: the datasheet model in the socket.
        base: physical base set with the switches (a multiple of 32 KiB; 64 KiB in 64K mode).
        size: window size: 0x8000 (the rebuild's 32 KiB mode), 0x10000 (its 64 KiB mode) or
            0x20000 (the original board's "up to 128 kB", whose decoding is not known; here
            the window's 32 KiB blocks drive A15/A16 in order).
        bank: chip address bits above the window (A15/A16 from the bank switches), as a
            byte offset into the chip: a multiple of ``size``.
        write_protect: the WE# jumper is open; writes never reach the chip.
        erase_fault: an injected erase failure, modeled on the card's data lines because the
            chip model only knows stuck bits: ``"dq5"``, the embedded erase gives up (DQ7 = 0,
            DQ6 toggling, DQ5 = 1, as in the datasheet's status table) until a reset (F0);
            ``"hang"``, the part toggles DQ6 forever and never raises DQ5.
    """

    chip: ChipModel
    base: int = 0xD0000
    size: int = 0x8000
    bank: int = 0
    write_protect: bool = False
    erase_fault: str | None = None
    _erasing: bool = field(default=False, repr=False)

    def __post_init__(self) -> None:
        if self.size not in (0x8000, 0x10000, 0x20000):
            raise ValueError(f"the card decodes 32, 64 or 128 KiB, not {self.size:#x}")
        if self.base % COMPARE_BLOCK or not ISA_ROM_AREA.contains_range(self.window):
            raise ValueError(f"switches cannot select base {self.base:#x} for {self.size:#x}")
        if self.erase_fault not in (None, "dq5", "hang"):
            raise ValueError(f"unknown erase fault {self.erase_fault!r}: expected dq5 or hang")
        if self.bank % self.size or self.bank + self.size > self.chip.spec.size:
            raise ValueError(f"bank offset {self.bank:#x} does not fit the chip")

    @property
    def window(self) -> Range:
        return Range.sized(self.base, self.size)

    def decode(self, phys: int) -> int | None:
        """The chip address the card drives for physical ``phys``, or None when not selected."""
        if phys not in self.window:
            return None
        # A0..A14 come straight from SA0..SA14 (base is 32 KiB aligned); the 32 KiB block
        # inside the window drives A15/A16, on top of the bank switches.
        return self.bank + (phys - self.base)


class _Commands:
    """Watches the cycles for the JEDEC erase command so the erase fault can start."""

    UNLOCK = ((0x5555, 0xAA), (0x2AAA, 0x55))
    ERASE_SETUP = 0x80
    ERASE_CONFIRM = (0x10, 0x30)

    def __init__(self) -> None:
        self.history: list[tuple[int, int]] = []

    def saw_erase(self, address: int, value: int) -> bool:
        self.history = [*self.history[-5:], (address & 0x7FFF, value)]
        h = self.history
        return (
            len(h) == 6
            and h[0:2] == list(self.UNLOCK)
            and h[2] == (0x5555, self.ERASE_SETUP)
            and h[3:5] == list(self.UNLOCK)
            and h[5][1] in self.ERASE_CONFIRM
        )


class SimIsaMemory(IsaMemory):
    """The simulated upper memory area; see the module docstring.

    Args:
        card: the FlashCard, or None for a machine without one.
        clock: the shared virtual clock (the card's chip model must use the same one).
        roms: physical address -> bytes of other adapters' ROMs.
        ram: ranges of RAM (read/write, starts as 0x00).
        zeros: ranges that always read 0x00 and ignore writes.
        region: what this view may touch (a window, or the whole ISA ROM area).
        writable: whether this view may write.
    """

    def __init__(
        self,
        card: SimFlashCard | None,
        *,
        clock: VirtualClock | None = None,
        roms: dict[int, bytes] | None = None,
        ram: list[Range] | None = None,
        zeros: list[Range] | None = None,
        region: Range = ISA_ROM_AREA,
        writable: bool = True,
    ) -> None:
        super().__init__(region, writable=writable)
        self.card = card
        if clock is None:
            clock = card.chip.clock if card is not None else VirtualClock()
        if card is not None and card.chip.clock is not clock:
            raise ValueError("the card's chip must run on the machine's clock")
        self.clock = clock
        self.roms = dict(roms or {})
        self.ram = {r: bytearray(len(r)) for r in (ram or [])}
        self.zeros = list(zeros or [])
        self.commands = _Commands()
        self._cycles = [0]  # shared with every view of this machine

    @property
    def cycles(self) -> int:
        """ISA memory cycles so far (all views of the machine together)."""
        return self._cycles[0]

    def view(self, region: Range, *, writable: bool) -> SimIsaMemory:
        """Another guarded view of the same machine, restricted to ``region``."""
        other = SimIsaMemory.__new__(SimIsaMemory)
        other.__dict__.update(self.__dict__)
        IsaMemory.__init__(other, region, writable=writable)
        return other

    # --- time ---------------------------------------------------------------------------

    def _cycle(self, chip_time_us: float) -> None:
        self._cycles[0] += 1
        if chip_time_us < ISA_MEMORY_CYCLE_US:
            self.clock.advance(ISA_MEMORY_CYCLE_US - chip_time_us)

    def now_us(self) -> float:
        return self.clock.now_us()

    def delay_us(self, us: float) -> None:
        """Let ``us`` µs of virtual time pass (the chip finishes busy periods on its own)."""
        if us <= 0:
            return
        if self.card is not None:
            self.card.chip.idle(us)
        else:
            self.clock.advance(us)

    # --- decoding -----------------------------------------------------------------------

    def _read_byte(self, address: int) -> int:
        card = self.card
        chip_addr = card.decode(address) if card is not None else None
        if card is not None and chip_addr is not None:
            before = self.clock.now_us()
            if card._erasing:
                # The embedded erase is stuck: DQ7 reads 0 (not done) and DQ6 keeps toggling;
                # with "dq5" the part also raises DQ5 (exceeded timing limits).
                value = (0x40 if self.cycles % 2 else 0) | (
                    0x20 if card.erase_fault == "dq5" else 0
                )
            else:
                value = card.chip.read(chip_addr)
            self._cycle(self.clock.now_us() - before)
            return value
        self._cycle(0.0)
        for base, data in self.roms.items():
            if base <= address < base + len(data):
                return data[address - base]
        for rng, buf in self.ram.items():
            if address in rng:
                return buf[address - rng.start]
        if any(address in z for z in self.zeros):
            return 0x00
        return OPEN_BUS

    def _write_byte(self, address: int, value: int) -> None:
        card = self.card
        chip_addr = card.decode(address) if card is not None else None
        if card is not None and chip_addr is not None:
            before = self.clock.now_us()
            if not card.write_protect:
                if card._erasing and value == 0xF0:
                    # A reset command ends the failed erase and returns to read mode.
                    card._erasing = False
                card.chip.write(chip_addr, value)
                if card.erase_fault is not None and self.commands.saw_erase(chip_addr, value):
                    card._erasing = True
            self._cycle(self.clock.now_us() - before)
            return
        self._cycle(0.0)
        for rng, buf in self.ram.items():
            if address in rng:
                buf[address - rng.start] = value
                return


def sim_machine(
    chip: ChipModel,
    *,
    card_base: int = 0xD0000,
    size: int = 0x8000,
    bank: int = 0,
    write_protect: bool = False,
    erase_fault: str | None = None,
    roms: dict[int, bytes] | None = None,
    ram: list[Range] | None = None,
    zeros: list[Range] | None = None,
    with_card: bool = True,
) -> SimIsaMemory:
    """A simulated upper memory area with a FlashCard holding ``chip`` at ``card_base``.

    Args:
        chip: the datasheet model in the socket (its clock becomes the machine's clock).
        card_base: the base set on the card's switches.
        size: 0x8000 (32 KiB mode), 0x10000 (64 KiB mode) or 0x20000 (128 KiB window).
        bank: chip offset selected by the bank switches (a multiple of ``size``).
        write_protect: the write-protect jumper is set.
        erase_fault: ``"dq5"`` (erase gives up with DQ5) or ``"hang"`` (never finishes).
        roms, ram, zeros: other things in the upper memory area (see :class:`SimIsaMemory`).
        with_card: False for a machine without a FlashCard (the chip only sets the clock).
    """
    card = None
    if with_card:
        card = SimFlashCard(
            chip,
            base=card_base,
            size=size,
            bank=bank,
            write_protect=write_protect,
            erase_fault=erase_fault,
        )
    return SimIsaMemory(card, clock=chip.clock, roms=roms, ram=ram, zeros=zeros)
