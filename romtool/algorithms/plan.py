"""Write planning: decide per block what a write must do before the chip is touched.

For each block (an erase sector for flash, a page for EEPROM, :data:`EPROM_BLOCK` bytes for
EPROMs) the wanted data (an :class:`~romtool.image.Image`, holes keep the chip's bytes) is
compared with what the chip holds:

* equal: **skip**;
* EPROM: ``have & want == want`` for every byte -> **program**; otherwise the block
  **needs UV erase** and the plan is refused (only UV light can set bits back to 1);
* JEDEC flash: the same test -> **program**, else **erase** the sector and program it (the
  bytes of the sector the image does not cover are restored from the chip's contents);
* EEPROM and AT29 page flash: **program** (the part erases internally), never an erase.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from romtool.chips.spec import ChipSpec, Technology
from romtool.errors import PlanRefused
from romtool.image.model import Image
from romtool.ranges import Range

EPROM_BLOCK = 256
"""Reporting granularity for EPROMs, which have no pages or sectors."""
EEPROM_BYTE_BLOCK = 64
"""Reporting granularity for byte-write EEPROMs (page size 1)."""


class BlockAction(StrEnum):
    SKIP = "skip"
    PROGRAM = "program"
    ERASE = "erase"
    """Erase the sector, then program it."""
    NEEDS_UV_ERASE = "needs-uv-erase"


def block_action(tech: Technology, *, same: bool, blank: bool, conflicts: int) -> BlockAction:
    """The rule above for one block, shared by every planner.

    Args:
        tech: the part's technology.
        same: the chip already holds the wanted bytes.
        blank: the block reads erased (nothing can conflict).
        conflicts: bytes where a 0 would have to become 1 (only asked when it matters).
    """
    if same:
        return BlockAction.SKIP
    if blank or conflicts == 0 or tech in (Technology.EEPROM, Technology.PAGE_FLASH):
        return BlockAction.PROGRAM
    if tech is Technology.JEDEC_FLASH:
        return BlockAction.ERASE
    return BlockAction.NEEDS_UV_ERASE


def overlay(have: bytes, image: Image, rng: Range) -> bytes:
    """The bytes of ``rng`` after writing ``image``: ``have`` (the chip's bytes of ``rng``)
    where the image has holes, the image's bytes elsewhere."""
    out = bytearray(have)
    for seg in image.segments:
        part = rng.intersection(seg.range)
        if part is not None:
            out[part.start - rng.start : part.stop - rng.start] = seg.data[
                part.start - seg.start : part.stop - seg.start
            ]
    return bytes(out)


@dataclass(frozen=True)
class PlannedBlock:
    """One block of the plan.

    Attributes:
        range: the block's addresses.
        action: what to do.
        data: the block's full new contents (chip bytes where the image has holes).
        changed: how many bytes differ from the chip.
        before: the chip's contents of the block when planned (None: not known).
    """

    range: Range
    action: BlockAction
    data: bytes
    changed: int
    before: bytes | None = None


@dataclass(frozen=True)
class WritePlan:
    """The blocks of one write, lowest address first."""

    spec: ChipSpec
    blocks: tuple[PlannedBlock, ...]

    def with_action(self, action: BlockAction) -> list[PlannedBlock]:
        return [b for b in self.blocks if b.action is action]

    @property
    def bytes_to_write(self) -> int:
        return sum(b.changed for b in self.blocks if b.action is not BlockAction.SKIP)

    @property
    def refused(self) -> list[PlannedBlock]:
        return self.with_action(BlockAction.NEEDS_UV_ERASE)

    def check(self) -> None:
        """Raise when the plan cannot succeed.

        Raises:
            PlanRefused: an EPROM block needs a UV erase (first such address given).
        """
        bad = self.refused
        if bad:
            first = bad[0]
            raise PlanRefused(
                f"{len(bad)} block(s) need bits set back to 1",
                op="plan",
                address=first.range.start,
                hint="UV-erase the chip first (or write to a blank one)",
            )

    def summary(self) -> dict[str, int]:
        """Block counts per action (for ``--dry-run`` output)."""
        out = {a.value: 0 for a in BlockAction}
        for b in self.blocks:
            out[b.action.value] += 1
        return out


def _blocks(spec: ChipSpec) -> list[Range]:
    if spec.sectors and spec.technology is Technology.JEDEC_FLASH:
        return list(spec.sector_ranges())
    if spec.technology is Technology.PAGE_FLASH:
        return list(Range(0, spec.size).chunks(spec.page_size))
    if spec.technology is Technology.EEPROM:
        size = spec.page_size if spec.page_size > 1 else EEPROM_BYTE_BLOCK
        return list(Range(0, spec.size).chunks(size))
    return list(Range(0, spec.size).chunks(EPROM_BLOCK))


def plan_write(spec: ChipSpec, have: bytes, want: Image) -> WritePlan:
    """Plan writing ``want`` into a chip that holds ``have``.

    Args:
        spec: the part.
        have: the chip's current contents (all ``spec.size`` bytes).
        want: the data to write; holes are left as the chip has them.

    Raises:
        PlanRefused: ``have`` is not the chip's size, or ``want`` reaches past the chip.
    """
    if len(have) != spec.size:
        raise PlanRefused("chip contents have the wrong size", expected=spec.size, actual=len(have))
    span = want.span
    if span is not None and span.stop > spec.size:
        raise PlanRefused(
            f"data does not fit {spec.name}",
            expected=f"at most {spec.size} bytes",
            actual=f"data up to 0x{span.stop:X}",
        )
    tech = spec.technology
    blocks: list[PlannedBlock] = []
    for rng in _blocks(spec):
        old = have[rng.start : rng.stop]
        new_b = overlay(old, want, rng)
        changed = sum(1 for a, b in zip(old, new_b, strict=True) if a != b)
        conflicts = sum(1 for a, b in zip(old, new_b, strict=True) if a & b != b)
        action = block_action(tech, same=changed == 0, blank=False, conflicts=conflicts)
        blocks.append(PlannedBlock(rng, action, new_b, changed, old))
    return WritePlan(spec, tuple(blocks))
