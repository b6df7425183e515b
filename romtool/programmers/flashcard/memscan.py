"""Read the live ISA option-ROM area (0xC0000-0xEFFFF) for ``romtool scan --memory``.

This is what Etherboot's ``rom-scan`` did through ``/dev/kmem``: look at the option ROMs the
BIOS can see right now. It maps the area **read-only** through the mmio transport (so it can
never write, and never reads outside 0xC0000-0xEFFFF), copies it once, and hands the bytes,
with their physical base address, to the option-ROM scanner and its lint.

Typical findings: the VGA BIOS at C0000, a NIC's boot ROM at C8000-DFFFF, and, on a PC with a
FlashCard, the image in the card's window.
"""

from __future__ import annotations

from dataclasses import dataclass

from romtool.errors import UsageError
from romtool.optionrom.scan import STEPS, ScanResult, scan_roms
from romtool.programmers.transports.mmio import DEV_MEM, ISA_ROM_AREA, IsaMemory, MappedMemory
from romtool.ranges import Range

BIOS_SCAN_STEP = 2048
"""The classic BIOS looks for ``55 AA`` every 2 KiB from C8000 (rom-scan does the same)."""

ALL_FF_NOTE = "the whole area reads 0xFF: nothing is decoded there, or this is not a PC"
ALL_00_NOTE = (
    "the whole area reads 0x00: the kernel hides it (CONFIG_STRICT_DEVMEM shows RAM as "
    "zeros), or the memory image is empty"
)


@dataclass(frozen=True)
class MemorySnapshot:
    """One read of a physical-memory range.

    Attributes:
        base: physical address of ``data[0]``.
        data: the bytes as read.
        source: where they came from (``/dev/mem`` or the memory image's path).
    """

    base: int
    data: bytes
    source: str

    @property
    def range(self) -> Range:
        return Range.sized(self.base, len(self.data))

    def note(self) -> str | None:
        """A remark when the snapshot is uniform (all 0xFF or all 0x00), else None."""
        if self.data and self.data.count(0xFF) == len(self.data):
            return ALL_FF_NOTE
        if self.data and self.data.count(0x00) == len(self.data):
            return ALL_00_NOTE
        return None


def read_rom_area(
    mem_device: str = DEV_MEM,
    region: Range = ISA_ROM_AREA,
    *,
    memory: IsaMemory | None = None,
) -> MemorySnapshot:
    """Copy ``region`` (default: the whole ISA option-ROM area) of physical memory, read-only.

    Args:
        mem_device: ``/dev/mem`` or a file standing for physical memory from address 0.
        region: the physical range to read; must lie in 0xC0000-0xEFFFF.
        memory: an already open transport (the simulator); ``mem_device`` is then unused.

    Raises:
        MemoryAccessRefused: ``region`` leaves the ISA option-ROM area.
        DevMemError: ``/dev/mem`` cannot be opened or mapped (the message says what to do).
    """
    if memory is not None:
        return MemorySnapshot(region.start, memory.read(region.start, len(region)), "simulator")
    with MappedMemory(region, path=mem_device, writable=False) as mem:
        return MemorySnapshot(region.start, mem.read(region.start, len(region)), mem_device)


def scan_memory(
    mem_device: str = DEV_MEM,
    *,
    step: int = BIOS_SCAN_STEP,
    memory: IsaMemory | None = None,
) -> tuple[MemorySnapshot, ScanResult]:
    """List the option ROMs in the live ISA option-ROM area, read-only, with our lint.

    The area is copied once (:func:`read_rom_area`) and scanned with
    :func:`romtool.optionrom.scan.scan_roms` at its physical base, so addresses print as
    ``0xC8000`` and the alignment, checksum, truncation (a ROM that claims to run past
    0xEFFFF) and mirror warnings apply unchanged. A uniform area adds a warning that says what
    it likely means.

    Args:
        mem_device: ``/dev/mem`` or a file standing for physical memory from address 0.
        step: 2048 (BIOS) or 512 (iPXE's UNDI loader).
        memory: an open transport instead of ``mem_device`` (the simulator).

    Raises:
        DevMemError: ``/dev/mem`` cannot be opened or mapped (the message says what to do).
        UsageError: a bad ``step``.
    """
    if step not in STEPS:
        raise UsageError(f"bad scan step {step}: expected 512 or 2048")
    snap = read_rom_area(mem_device, memory=memory)
    result = scan_roms(snap.data, step=step, base=snap.base)
    note = snap.note()
    if note is not None:
        result.warnings.append(note)
    return snap, result
