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

from romtool.programmers.transports.mmio import DEV_MEM, ISA_ROM_AREA, IsaMemory, MappedMemory
from romtool.ranges import Range

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
