"""JEDEC byte-program flash: SST39SF0x0A, Am29F010, SST39VF512, AT49BV512.

Command set (see :mod:`.commands`): AA/55/A0 + data programs one byte, AA/55/80/AA/55 + 30@SA
erases a sector, + 10@5555 the chip, AA/55/90 enters id mode (manufacturer at A0 = 0, device
at A0 = 1), F0 at any address or AA/55/F0 leaves it. Unlock addresses are compared on the
lines the part decodes for commands (A14..A0).

Programming only clears bits: the array gets ``old & data``. While an operation runs:

* Data# polling: DQ7 reads as the complement of the programmed bit 7 (0 during an erase);
* toggle bit: DQ6 flips on every read;
* AMD embedded algorithms (vendor "AMD") add DQ5 = 1 when an operation exceeds its time
  limit -- which is what happens when a program asks for a 0 -> 1 change: the part keeps
  trying, sets DQ5 after ``byte_program_max_us`` and stays in that state until a reset (F0);
  and DQ3, the sector-erase timer: 0 during the window in which more 30@SA commands are
  accepted, 1 once the erase has started.
* SST parts have no DQ5: a 0 -> 1 program "completes" normally and leaves the bit 0 (only a
  verify read catches it).
"""

from __future__ import annotations

from romtool.chips.spec import ChipSpec, Technology
from romtool.programmers.sim.chips.base import A9_LINE, READ_CYCLE_US, ChipModel, Faults
from romtool.programmers.sim.chips.commands import Action, Cmd, Cycle, Decoder
from romtool.programmers.sim.clock import VirtualClock

DQ7 = 0x80
DQ6 = 0x40
DQ5 = 0x20
DQ3 = 0x08
SECTOR_ERASE_WINDOW_US = 50.0
"""AMD: after a 30@SA command the part waits 50 µs for further sector addresses (DQ3 = 0)."""
DEFAULT_PROGRAM_MAX_FACTOR = 10.0
"""When the spec lacks a maximum byte-program time, DQ5 trips at 10x the typical."""


class JedecFlashModel(ChipModel):
    """A JEDEC byte-program flash part."""

    technologies = (Technology.JEDEC_FLASH,)

    def __init__(
        self,
        spec: ChipSpec,
        *,
        clock: VirtualClock | None = None,
        faults: Faults | None = None,
        data: bytes | None = None,
    ) -> None:
        super().__init__(spec, clock=clock, faults=faults, data=data)
        self.embedded_dq5 = spec.vendor.upper() == "AMD"
        actions = frozenset(
            {
                Action.PROGRAM,
                Action.ID_ENTRY,
                Action.ID_EXIT,
                Action.CHIP_ERASE,
                Action.SECTOR_ERASE,
            }
        )
        self._decoder = Decoder(spec.command_mask, actions)
        self._program_next = False
        self._id_mode = False
        self._busy_until: float | None = None
        self._on_done: list[tuple[int, int]] = []  # (address, value) to store when done
        self._erase_ranges: list[range] = []
        self._erase_start: float | None = None
        self._erase_window_until: float | None = None
        self._poll_value = 0
        self._toggle = 0
        self._dq5 = False
        self.programs = 0
        self.erases = 0

    # --- time --------------------------------------------------------------------------

    def _update(self) -> None:
        now = self.clock.now_us()
        if self._erase_window_until is not None and now >= self._erase_window_until:
            # The sector-erase window closed: the erase runs for one sector time per sector.
            per = self.spec.timing.sector_erase_typ_us or 0.0
            start = self._erase_window_until
            self._erase_window_until = None
            self._busy_until = start + per * len(self._erase_ranges)
            self.counters.busy_us += per * len(self._erase_ranges)
        if self._busy_until is not None and not self._dq5 and now >= self._busy_until:
            for rng in self._erase_ranges:
                self.array[rng.start : rng.stop] = bytes([self.spec.blank]) * len(rng)
            self._erase_ranges = []
            for addr, value in self._on_done:
                self.array[addr] &= value
            self._on_done = []
            self._busy_until = None

    def _busy(self) -> bool:
        return self._busy_until is not None or self._erase_window_until is not None

    # --- cycles ------------------------------------------------------------------------

    def _read(self, address: int) -> int:
        if self._busy():
            self._toggle ^= DQ6
            status = (~self._poll_value & DQ7) | self._toggle
            if self.embedded_dq5:
                if self._dq5 and self.clock.now_us() >= (self._busy_until or 0.0):
                    status |= DQ5
                if self._erase_ranges and self._erase_window_until is None:
                    status |= DQ3
            return status
        if self._id_mode:
            chip_id = self.spec.chip_id
            if chip_id is not None:
                return chip_id.dev if address & 1 else chip_id.mfr
        return self.array[address]

    def read_signature(self, address: int) -> int:
        """AMD parts answer the A9 = 12 V autoselect read; others see A9 as a logic 1."""
        chip_id = self.spec.chip_id
        if self.embedded_dq5 and chip_id is not None and self.present and not self.faults.dead:
            self.clock.advance(READ_CYCLE_US)
            self.counters.reads += 1
            return chip_id.dev if address & 1 else chip_id.mfr
        return self.read(address | A9_LINE)

    def _write(self, address: int, value: int) -> None:
        now = self.clock.now_us()
        if self._dq5:
            if value == Cmd.ID_EXIT:  # reset clears the DQ5 error state
                self._dq5 = False
                self._busy_until = None
                self._on_done = []
            return
        if self._erase_window_until is not None:
            # AMD: more sector addresses may follow inside the timer window.
            if value == Cmd.SECTOR_ERASE:
                self._queue_sector(address)
                self._erase_window_until = now + SECTOR_ERASE_WINDOW_US
            return
        if self._busy_until is not None:
            return  # writes during an embedded operation are ignored
        if self._program_next:
            self._program_next = False
            self._program(address & self.spec.address_mask, value)
            return
        if value == Cmd.ID_EXIT and not self._decoder.pending:
            self._id_mode = False  # single-cycle reset
            return
        action, _plain = self._decoder.feed(Cycle(address, value, now))
        # Plain writes outside a command do nothing on these parts.
        if action is Action.PROGRAM:
            self._program_next = True
        elif action is Action.ID_ENTRY:
            self._id_mode = True
        elif action is Action.ID_EXIT:
            self._id_mode = False
        elif action is Action.CHIP_ERASE:
            self.erases += 1
            self._erase_ranges = [range(0, self.spec.size)]
            self._poll_value = 0xFF  # erase ends with 0xFF, so DQ7 reads its complement 0
            duration = self.spec.timing.chip_erase_typ_us or 0.0
            self._busy_until = now + duration
            self.counters.busy_us += duration
        elif action is Action.SECTOR_ERASE:
            self.erases += 1
            self._poll_value = 0xFF
            self._erase_ranges = []
            self._queue_sector(address)
            self._erase_window_until = now + SECTOR_ERASE_WINDOW_US

    def _queue_sector(self, address: int) -> None:
        rng = self.spec.sector_at(address & self.spec.address_mask)
        self._erase_ranges.append(range(rng.start, rng.stop))

    def _program(self, address: int, value: int) -> None:
        self.programs += 1
        now = self.clock.now_us()
        typ = self.spec.timing.byte_program_typ_us or 0.0
        self._poll_value = value
        old = self.array[address]
        wants_one = bool(value & ~old & 0xFF)
        if self.embedded_dq5 and wants_one:
            # The embedded algorithm cannot reach the data and gives up with DQ5 = 1.
            limit = self.spec.timing.byte_program_max_us or typ * DEFAULT_PROGRAM_MAX_FACTOR
            self._busy_until = now + limit
            self.counters.busy_us += limit
            self._dq5 = True
            self.array[address] = old & value
            return
        self._busy_until = now + typ
        self.counters.busy_us += typ
        if not self._weak_blocks(address):
            self._on_done = [(address, value)]
