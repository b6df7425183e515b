"""The JEDEC-style command sequences the 28C, 29C, 39SF and 29F parts recognise.

Every sequence starts with the unlock cycles AA@5555, 55@2AAA. The parts compare only the
address lines they decode for commands (A14..A0, or fewer on small parts), so the model masks
each cycle's address with :attr:`~romtool.chips.spec.ChipSpec.command_mask` before comparing:
0xFFFE5555 (serprog's top-of-4G window) and 0x1555 on an 8 KiB part both hit "5555".

Table (address @ data), from the datasheets' command definitions:

========================  ====================================================
program / SDP write       AA@5555 55@2AAA A0@5555, then data
software id entry         AA@5555 55@2AAA 90@5555
software id exit          AA@5555 55@2AAA F0@5555 (JEDEC flash also: F0@any)
chip erase                AA@5555 55@2AAA 80@5555 AA@5555 55@2AAA 10@5555
sector erase              AA@5555 55@2AAA 80@5555 AA@5555 55@2AAA 30@SA
SDP disable (28C, 29C)    AA@5555 55@2AAA 80@5555 AA@5555 55@2AAA 20@5555
========================  ====================================================
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum, StrEnum


class Cmd(IntEnum):
    """Command bytes (datasheet command tables of AT28C256, AT29C256, SST39SF010A)."""

    UNLOCK1 = 0xAA
    UNLOCK2 = 0x55
    PROGRAM = 0xA0
    ERASE_SETUP = 0x80
    CHIP_ERASE = 0x10
    SECTOR_ERASE = 0x30
    SDP_DISABLE = 0x20
    ID_ENTRY = 0x90
    ID_EXIT = 0xF0


ADDR_5555 = 0x5555
ADDR_2AAA = 0x2AAA


class Action(StrEnum):
    PROGRAM = "program"
    ID_ENTRY = "id-entry"
    ID_EXIT = "id-exit"
    CHIP_ERASE = "chip-erase"
    SECTOR_ERASE = "sector-erase"
    SDP_DISABLE = "sdp-disable"


_ANY = -1
_PREFIX = ((ADDR_5555, Cmd.UNLOCK1), (ADDR_2AAA, Cmd.UNLOCK2))
_ERASE_PREFIX = (*_PREFIX, (ADDR_5555, Cmd.ERASE_SETUP), *_PREFIX)

SEQUENCES: dict[Action, tuple[tuple[int, int], ...]] = {
    Action.PROGRAM: (*_PREFIX, (ADDR_5555, Cmd.PROGRAM)),
    Action.ID_ENTRY: (*_PREFIX, (ADDR_5555, Cmd.ID_ENTRY)),
    Action.ID_EXIT: (*_PREFIX, (ADDR_5555, Cmd.ID_EXIT)),
    Action.CHIP_ERASE: (*_ERASE_PREFIX, (ADDR_5555, Cmd.CHIP_ERASE)),
    Action.SECTOR_ERASE: (*_ERASE_PREFIX, (_ANY, Cmd.SECTOR_ERASE)),
    Action.SDP_DISABLE: (*_ERASE_PREFIX, (ADDR_5555, Cmd.SDP_DISABLE)),
}


@dataclass(frozen=True)
class Cycle:
    """One write cycle as the part saw it."""

    address: int
    value: int
    t_us: float


@dataclass
class Decoder:
    """Matches write cycles against :data:`SEQUENCES`.

    Args:
        mask: address bits the part compares in command cycles.
        actions: the sequences this part recognises.
    """

    mask: int
    actions: frozenset[Action]
    pending: list[Cycle] = field(default_factory=list)

    def feed(self, cycle: Cycle) -> tuple[Action | None, list[Cycle]]:
        """Add a cycle.

        Returns:
            ``(action, [])`` when a sequence completed (the cycles are consumed);
            ``(None, [])`` while the cycles so far are a prefix of some sequence;
            ``(None, cycles)`` when they are not: those cycles are plain writes.
        """
        self.pending.append(cycle)
        steps = [(c.address & self.mask, c.value) for c in self.pending]
        prefix_of_any = False
        for action in self.actions:
            seq = SEQUENCES[action]
            if len(steps) > len(seq):
                continue
            if all(
                (want_addr == _ANY or addr == want_addr & self.mask) and value == want_value
                for (addr, value), (want_addr, want_value) in zip(steps, seq, strict=False)
            ):
                if len(steps) == len(seq):
                    self.pending = []
                    return action, []
                prefix_of_any = True
        if prefix_of_any:
            return None, []
        broken, self.pending = self.pending, []
        return None, broken

    def expire(self, now_us: float, limit_us: float) -> list[Cycle]:
        """Drop a pending prefix whose last cycle is older than ``limit_us``; return it."""
        if self.pending and now_us - self.pending[-1].t_us > limit_us:
            stale, self.pending = self.pending, []
            return stale
        return []
