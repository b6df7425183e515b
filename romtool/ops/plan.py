"""Plan a write from digests, before the chip is touched.

The chip is compared with the image block by block without moving the chip's data over the
link where the programmer can avoid it:

1. :meth:`Programmer.block_info` gives each block's CRC-32 and a blank flag (computed on the
   device when it has ``DEVICE_CRC``; read and computed on the host otherwise).
2. A block whose CRC equals the image's is **skipped**; a blank block is **programmed**.
3. Only blocks that differ and are not blank need more: EEPROM and page flash are simply
   reprogrammed (they erase internally); for EPROMs and JEDEC flash
   :meth:`Programmer.can_program` counts the bytes that would need a 0 -> 1 change: none ->
   **program**, some -> **needs UV erase** (EPROM: the plan is refused) or **erase** the sector
   first (JEDEC flash).
4. Blocks only partly covered by the image are read, so the bytes the image does not cover are
   kept as the chip has them (needed to rewrite a whole AT29 sector or an erased JEDEC sector).

The action names are those of :mod:`romtool.algorithms.plan`, which plans from full contents
for host-side (raw-bus) writes.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

from romtool.algorithms.plan import EPROM_BLOCK, BlockAction, block_action, overlay
from romtool.chips.spec import ChipSpec, Technology
from romtool.errors import PlanRefused
from romtool.events import Reporter
from romtool.image.model import Image
from romtool.programmers.base import Programmer, conflicts, nullable
from romtool.ranges import Range, merge

__all__ = ["BlockAction", "BlockPlan", "Plan", "Run", "block_ranges", "check_fits", "plan_write"]


@dataclass(frozen=True)
class BlockPlan:
    """One block of a plan.

    Attributes:
        range: the block's chip addresses.
        action: skip, program, erase (then program), or needs UV erase.
        data: the block's full new contents (chip bytes where the image has holes).
        conflicts: bytes that need a 0 -> 1 change.
        first_conflict: the first such address.
    """

    range: Range
    action: BlockAction
    data: bytes = b""
    conflicts: int = 0
    first_conflict: int | None = None


@dataclass(frozen=True)
class Run:
    """Contiguous blocks written in one stream; ``erase`` lists sectors to erase first."""

    range: Range
    data: bytes
    erase: tuple[Range, ...] = ()


@dataclass(frozen=True)
class Plan:
    """A write plan over the blocks the image touches.

    Attributes:
        chip: the part.
        image_ranges: the chip ranges the image covers.
        blocks: every block the image touches, lowest first.
        untouched: chip ranges the write leaves as they are.
    """

    chip: ChipSpec
    image_ranges: tuple[Range, ...]
    blocks: tuple[BlockPlan, ...]
    untouched: tuple[Range, ...] = field(default_factory=tuple)

    def count(self, action: BlockAction) -> int:
        return sum(1 for b in self.blocks if b.action is action)

    @property
    def bytes_to_program(self) -> int:
        return sum(len(b.range) for b in self.blocks if b.action is not BlockAction.SKIP)

    @property
    def refused(self) -> list[BlockPlan]:
        return [b for b in self.blocks if b.action is BlockAction.NEEDS_UV_ERASE]

    @property
    def needs_erase(self) -> list[BlockPlan]:
        return [b for b in self.blocks if b.action is BlockAction.ERASE]

    def summary(self) -> dict[str, int]:
        """Block counts per action, for ``--dry-run`` and ``--json``."""
        return {a.value: self.count(a) for a in BlockAction}

    def check(self, *, can_erase: bool) -> None:
        """Refuse a plan that cannot succeed, saying how many bytes and where.

        Raises:
            PlanRefused: EPROM blocks need a UV erase, or flash sectors need an erase the
                programmer cannot do.
        """
        bad = self.refused or ([] if can_erase else self.needs_erase)
        if not bad:
            return
        nbytes = sum(b.conflicts for b in bad)
        first = next((b.first_conflict for b in bad if b.first_conflict is not None), None)
        spans = merge(b.range for b in bad)
        where = ", ".join(str(r) for r in spans[:3]) + (" ..." if len(spans) > 3 else "")
        chip = self.chip
        if self.refused:
            if chip.technology is Technology.OTP_EPROM:
                hint = f"{chip.name} is one-time programmable: use a blank chip"
            else:
                hint = "UV-erase the chip first, or use a blank one"
            what = "the chip holds 0 bits where the image needs 1 (only UV light sets them)"
        else:
            hint = "erase the chip first (romtool erase), or use a programmer that can erase"
            what = "flash sectors need an erase this programmer cannot do"
        raise PlanRefused(
            f"write refused: {what}: {nbytes} bytes in {len(bad)} blocks ({where})",
            op="plan",
            address=first,
            hint=hint,
        )

    def runs(self) -> list[Run]:
        """Maximal runs of blocks to write, each one program stream."""
        out: list[Run] = []
        cur: list[BlockPlan] = []

        def flush() -> None:
            if cur:
                rng = Range(cur[0].range.start, cur[-1].range.stop)
                erase = tuple(b.range for b in cur if b.action is BlockAction.ERASE)
                out.append(Run(rng, b"".join(b.data for b in cur), erase))
                cur.clear()

        for block in self.blocks:
            if block.action is BlockAction.SKIP:
                flush()
            elif cur and cur[-1].range.stop != block.range.start:
                flush()
                cur.append(block)
            else:
                cur.append(block)
        flush()
        return out


def program_unit(chip: ChipSpec) -> int:
    """The smallest whole unit a write must cover (AT29 sectors, 28C pages)."""
    if chip.technology in (Technology.EEPROM, Technology.PAGE_FLASH):
        return max(1, chip.page_size, chip.write_granularity)
    return 1


def block_ranges(chip: ChipSpec, span: Range) -> list[Range]:
    """Planning blocks that cover ``span``: erase sectors for JEDEC flash, else aligned
    blocks of :data:`~romtool.algorithms.plan.EPROM_BLOCK` bytes (whole pages/sectors)."""
    if chip.technology is Technology.JEDEC_FLASH and chip.sectors:
        return [r for r in chip.sector_ranges() if r.overlaps(span)]
    unit = program_unit(chip)
    size = max(EPROM_BLOCK, unit)
    size -= size % unit
    start = span.start - span.start % size
    stop = min(chip.size, -(-span.stop // size) * size)
    return list(Range(start, stop).chunks(size))


def check_fits(chip: ChipSpec, image: Image) -> Range:
    """The image's span, after checking that it is not empty and fits the chip.

    Raises:
        PlanRefused: empty, or data beyond the chip's last address.
    """
    span = image.span
    if span is None:
        raise PlanRefused("nothing to write: the image is empty", op="plan")
    if span.stop > chip.size:
        raise PlanRefused(
            f"the image does not fit {chip.name}",
            op="plan",
            expected=f"at most {chip.size} bytes (0x0-0x{chip.size - 1:X})",
            actual=f"data up to 0x{span.stop - 1:X}",
            hint="choose the right part with -c, or check --offset",
        )
    return span


def plan_write(
    programmer: Programmer,
    chip: ChipSpec,
    image: Image,
    reporter: Reporter | None = None,
) -> Plan:
    """Plan writing ``image`` (chip addresses) into the chip in ``programmer``.

    Raises:
        PlanRefused: the image is empty or reaches past the chip.
    """
    rep = nullable(reporter)
    span = check_fits(chip, image)
    covered = tuple(seg.range for seg in image.segments)
    blocks = block_ranges(chip, span)
    sizes = {len(b) for b in blocks}
    rep.stage("plan", sum(len(b) for b in blocks))
    if len(sizes) == 1:
        infos = programmer.block_info(Range(blocks[0].start, blocks[-1].stop), sizes.pop())
    else:
        infos = [programmer.block_info(b, len(b))[0] for b in blocks]
    tech = chip.technology
    planned: list[BlockPlan] = []
    done = 0
    for rng, info in zip(blocks, infos, strict=True):
        full = _covers(covered, rng)
        if full:
            want = image.read(rng.start, len(rng))
        else:
            have = programmer.read(rng)
            want = overlay(have, image, rng)
        same = zlib.crc32(want) == info.crc32
        if same or info.blank or tech in (Technology.EEPROM, Technology.PAGE_FLASH):
            # No conflict count needed: skip, or a block the part can always take.
            action = block_action(tech, same=same, blank=info.blank, conflicts=0)
            planned.append(BlockPlan(rng, action, b"" if same else want))
        else:
            if full:
                conflict = programmer.can_program(rng.start, want)
            else:
                conflict = conflicts(rng.start, have, want)
            action = block_action(tech, same=False, blank=False, conflicts=conflict.count)
            if action is BlockAction.PROGRAM:
                planned.append(BlockPlan(rng, action, want))
            else:
                planned.append(BlockPlan(rng, action, want, conflict.count, conflict.first))
        done += len(rng)
        rep.progress(done)
    untouched = image.holes(Range(0, chip.size))
    return Plan(chip, covered, tuple(planned), tuple(untouched))


def _covers(covered: tuple[Range, ...], rng: Range) -> bool:
    """True when one segment covers ``rng`` wholly."""
    return any(seg.contains_range(rng) for seg in covered)
