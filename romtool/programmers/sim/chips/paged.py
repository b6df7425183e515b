"""Page-load parts: 28C EEPROMs and AT29C-style page-mode flash.

Both load bytes into a page buffer: every write cycle must follow the previous one within
tBLC (the byte load cycle limit). When tBLC passes without a new byte, the load window closes
and the internal write cycle (tWC) starts; while it runs:

* a read returns the complement of the last loaded byte's DQ7 (Data# polling) and DQ6 toggles
  on every read (toggle bit); the other bits are the last loaded byte's;
* write cycles are ignored.

The page is the one of the first byte loaded; bytes for another page during the same load are
ignored (the parts latch the page address; a mixed load is outside the datasheet).

Software data protection (SDP): while locked, plain write cycles are ignored; only a load that
follows AA@5555 55@2AAA A0@5555 is accepted (and that sequence also locks an unlocked part).
AA@5555 55@2AAA 80@5555 AA@5555 55@2AAA 20@5555 unlocks. The command cycles are held until
the sequence completes or breaks; on an unlocked part a broken sequence's cycles are ordinary
data writes.

:class:`EepromModel` (28C): loaded bytes replace theirs, the rest of the page is untouched.
:class:`PageFlashModel` (AT29C, SST29EE, W29EE): the whole sector is erased first, loaded bytes
are programmed, and bytes that were not loaded come out indeterminate. These parts also have
software id mode and a chip-erase command.
"""

from __future__ import annotations

from romtool.chips.spec import ChipSpec, IdMethod, SdpMode, Technology
from romtool.programmers.sim.chips.base import ChipModel, Faults, PinError
from romtool.programmers.sim.chips.commands import Action, Cycle, Decoder
from romtool.programmers.sim.clock import VirtualClock

DQ7 = 0x80
DQ6 = 0x40
TBLC_DEFAULT_US = 150.0
"""Byte load limit when the spec has none (Atmel's 150 µs; only byte-mode parts lack it)."""
TWC_DEFAULT_US = 10_000.0
"""Write cycle when the spec has none (the 10 ms maximum common to these parts)."""


class PagedModel(ChipModel):
    """Shared page-load, busy, Data#/toggle and SDP behaviour."""

    def __init__(
        self,
        spec: ChipSpec,
        *,
        clock: VirtualClock | None = None,
        faults: Faults | None = None,
        data: bytes | None = None,
    ) -> None:
        super().__init__(spec, clock=clock, faults=faults, data=data)
        t = spec.timing
        self.page_size = max(1, spec.page_size)
        self.tblc_us = t.tblc_us if t.tblc_us is not None else TBLC_DEFAULT_US
        self.twc_us = t.write_cycle_us if t.write_cycle_us is not None else TWC_DEFAULT_US
        actions = set()
        if spec.sdp is not SdpMode.NONE:
            actions |= {Action.PROGRAM, Action.SDP_DISABLE}
        if spec.id_method is IdMethod.JEDEC:
            actions |= {Action.ID_ENTRY, Action.ID_EXIT}
        if spec.technology is Technology.PAGE_FLASH:
            actions.add(Action.CHIP_ERASE)
        self._decoder = Decoder(spec.command_mask, frozenset(actions))
        self._locked = False
        self._page: int | None = None
        self._loaded: dict[int, int] = {}
        self._last_load_us = 0.0
        self._busy_until: float | None = None
        self._committing: dict[int, int] = {}
        self._commit_page: int | None = None
        self._erase_all = False
        self._last_value = 0
        self._toggle = 0
        self._id_mode_since: float | None = None
        self._armed_at: float | None = None
        """Time of an AA/55/A0 prefix whose data has not started yet."""
        self.page_writes = 0
        self.timed_out_loads = 0
        """Loads closed by tBLC with fewer than page_size bytes (for tests)."""

    # --- SDP ---------------------------------------------------------------------------

    @property
    def locked(self) -> bool:
        return self._locked

    def set_locked(self, locked: bool) -> None:
        if self.spec.sdp is SdpMode.NONE:
            raise PinError(f"{self.spec.name} has no software data protection")
        self._locked = locked

    # --- time --------------------------------------------------------------------------

    def _update(self) -> None:
        now = self.clock.now_us()
        if self._page is not None and now - self._last_load_us > self.tblc_us:
            self._start_write(self._last_load_us + self.tblc_us)
        for cycle in self._decoder.expire(now, self.tblc_us):
            # A command prefix that stalled: on an unlocked part its cycles were data.
            if not self._locked:
                self._load(cycle)
                if self._page is not None and now - self._last_load_us > self.tblc_us:
                    self._start_write(self._last_load_us + self.tblc_us)
        if self._armed_at is not None and now - self._armed_at > self.tblc_us:
            self._armed_at = None
        if self._busy_until is not None and now >= self._busy_until:
            self._finish_write()

    def _busy(self) -> bool:
        return self._busy_until is not None

    def _start_write(self, t_us: float) -> None:
        if self._page is None:
            return
        if len(self._loaded) < self.page_size:
            self.timed_out_loads += 1
        self._committing = self._loaded
        self._commit_page = self._page
        self._page = None
        self._loaded = {}
        self._busy_until = t_us + self.twc_us
        self.counters.busy_us += self.twc_us
        self.page_writes += 1

    def _finish_write(self) -> None:
        if self._erase_all:
            self.array[:] = bytes([self.spec.blank]) * self.spec.size
            self._erase_all = False
        elif self._commit_page is not None:
            self._commit(self._commit_page, self._committing)
        self._busy_until = None
        self._committing = {}
        self._commit_page = None

    def _commit(self, page: int, loaded: dict[int, int]) -> None:
        """Apply a finished page write (technology specific)."""
        raise NotImplementedError

    # --- cycles ------------------------------------------------------------------------

    def _read(self, address: int) -> int:
        if self._busy_until is not None:
            self._toggle ^= DQ6
            last = self._last_value
            return ((~last & DQ7) | self._toggle | (last & 0x3F)) & 0xFF
        if self._id_mode_since is not None:
            chip_id = self.spec.chip_id
            entry_us = self.spec.timing.id_entry_us or 0.0
            if chip_id is not None and self.clock.now_us() - self._id_mode_since >= entry_us:
                return chip_id.dev if address & 1 else chip_id.mfr
        return self.array[address]

    def _write(self, address: int, value: int) -> None:
        if self._busy_until is not None:
            return  # the datasheets: writes during tWC are ignored
        cycle = Cycle(address, value, self.clock.now_us())
        if self._page is not None or self._armed_at is not None:
            # Inside an open load window (or right after AA/55/A0) every cycle is data,
            # whatever it looks like.
            self._armed_at = None
            self._load(cycle)
            return
        if self.page_size == 1 and self.spec.sdp is SdpMode.NONE:
            self._load(cycle)
            return
        action, plain = self._decoder.feed(cycle)
        if action is Action.PROGRAM:
            self._locked = True
            self._armed_at = cycle.t_us
        elif action is Action.SDP_DISABLE:
            self._locked = False
        elif action is Action.ID_ENTRY:
            self._id_mode_since = self.clock.now_us()
        elif action is Action.ID_EXIT:
            self._id_mode_since = None
        elif action is Action.CHIP_ERASE:
            self._erase_all = True
            self._busy_until = self.clock.now_us() + self.twc_us
            self.counters.busy_us += self.twc_us
        if self._locked:
            return  # SDP: unprotected writes are ignored
        for c in plain:
            self._load(c)

    def _load(self, cycle: Cycle) -> None:
        addr = cycle.address & self.spec.address_mask
        page = addr - addr % self.page_size
        if self._page is None:
            self._page = page
            self._loaded = {}
        if page == self._page:
            self._loaded[addr] = cycle.value
            self._last_value = cycle.value
        self._last_load_us = cycle.t_us
        if self.page_size == 1:
            self._start_write(cycle.t_us)


class EepromModel(PagedModel):
    """28C EEPROM: byte or page writes that replace only the bytes loaded."""

    technologies = (Technology.EEPROM,)

    def _commit(self, page: int, loaded: dict[int, int]) -> None:
        for addr, value in loaded.items():
            if self._weak_blocks(addr):
                continue
            self.array[addr] = value


class PageFlashModel(PagedModel):
    """AT29C-style page flash: sector auto-erase; bytes not loaded become indeterminate."""

    technologies = (Technology.PAGE_FLASH,)

    def _commit(self, page: int, loaded: dict[int, int]) -> None:
        for addr in range(page, page + self.page_size):
            if addr in loaded:
                value = self.spec.blank if self._weak_blocks(addr) else loaded[addr]
            else:
                # Indeterminate: a pattern that changes with every write of the sector, so
                # no test can pass by luck on a stale or blank value.
                value = (addr * 131 + self.page_writes * 197 + 0x5A) & 0xFF
            self.array[addr] = value
