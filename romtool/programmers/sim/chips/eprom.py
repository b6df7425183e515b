"""UV and OTP EPROM model (27xx / 27Cxxx), per the programming sections of their datasheets.

What it models:

* **1 -> 0 only.** A program pulse moves charge into the cells of the bits that are 0 in the
  data; nothing but UV light (:meth:`EpromModel.uv_erase`) brings a 1 back.
* **Per-byte pulse model.** Each byte has a charge threshold between
  :data:`THRESHOLD_MIN` and :data:`THRESHOLD_MAX` times the spec's nominal pulse width
  (deterministic from the address), so a byte needs one or two nominal pulses; a weak byte
  (fault) needs ``extra`` more pulses, or never programs.
* **Verify margin.** A cell reads as programmed when its charge reaches the threshold scaled
  by ``VCC / 5 V``: the program-verify read at 6.25 V is stricter than the 5 V read, which is
  why quick-pulse verifies at the raised VCC.
* **VPP/VCC window.** A pulse only moves charge when VPP and VCC are inside the datasheet
  programming window; VPP above the absolute maximum damages the part for good.
* **Signature.** Readable only with A9 at 12 V (:meth:`EpromModel.read_signature`); a part
  without one returns whatever its array holds at that address.
"""

from __future__ import annotations

from romtool.chips.spec import ChipSpec, Technology
from romtool.programmers.sim.chips.base import (
    A9_LINE,
    FLOATING_BUS,
    ChipModel,
    Faults,
    PinError,
)
from romtool.programmers.sim.clock import VirtualClock

THRESHOLD_MIN = 0.3
"""Easiest byte: programmed by 30 % of one nominal pulse at 5 V."""
THRESHOLD_MAX = 0.9
"""Hardest normal byte: 90 % of one nominal pulse at 5 V (1.125 pulses at the 6.25 V verify)."""
REFERENCE_VCC_MV = 5000
"""Read level at which the thresholds above are defined."""
UV_FULL_ERASE_MIN = 15.0
"""Minutes of UV (2537 Å) for a full erase; datasheets quote 15-20 minutes."""
A9_ID_MASK = 0x1
"""With A9 at 12 V only A0 matters: 0 -> manufacturer, 1 -> device."""
VCC_MIN_WITH_VPP_MV = 4500
"""EPROM datasheets: VCC must be applied before (or with) VPP and removed after it. VPP on a
part whose VCC is below 4.5 V latches it up; the model marks it damaged."""
SIGNATURE_READ_US = 0.15
"""A signature read is an ordinary read cycle (tACC 150 ns)."""


def _threshold_fraction(address: int) -> float:
    """Deterministic per-byte threshold in [THRESHOLD_MIN, THRESHOLD_MAX] (Knuth hash)."""
    h = ((address * 2654435761) >> 11) & 0xFF
    return THRESHOLD_MIN + (THRESHOLD_MAX - THRESHOLD_MIN) * h / 255.0


class EpromModel(ChipModel):
    """A 27xx EPROM (windowed or OTP)."""

    technologies = (Technology.UV_EPROM, Technology.OTP_EPROM)

    def __init__(
        self,
        spec: ChipSpec,
        *,
        clock: VirtualClock | None = None,
        faults: Faults | None = None,
        data: bytes | None = None,
    ) -> None:
        # Charge per bit (µs of in-window pulse time) for bytes that have seen pulses since
        # the last load/erase; bytes not in the dict read from the array as they are.
        self._charge: dict[int, list[float]] = {}
        super().__init__(spec, clock=clock, faults=faults, data=data)
        pulse = spec.timing.pulse_us or 100.0
        self._nominal_pulse_us = pulse

    # --- pins --------------------------------------------------------------------------

    def set_vcc(self, mv: int) -> None:
        super().set_vcc(mv)
        self._check_sequencing()

    def set_vpp(self, mv: int | None) -> None:
        super().set_vpp(mv)
        self._check_sequencing()

    def _check_sequencing(self) -> None:
        if self.faults.empty or self.vpp_mv is None:
            return
        if self.vcc_mv < VCC_MIN_WITH_VPP_MV:
            self.damaged = True

    def program_pulse(self, address: int, value: int, width_us: float) -> None:
        """Apply a program pulse of ``width_us`` with ``value`` on the data lines.

        Nothing is programmed when VPP or VCC is outside the datasheet window; VPP above the
        absolute maximum damages the part (all reads return 0x00 from then on).
        """
        self.clock.advance(width_us)
        self.counters.pulses += 1
        self.counters.busy_us += width_us
        if not self.present or self.faults.dead:
            return
        volts = self.spec.voltages
        abs_max = volts.vpp_abs_max_mv
        if self.vpp_mv is not None and abs_max is not None and self.vpp_mv > abs_max:
            self.damaged = True
        if self.damaged or not self._in_window():
            return
        addr = address & self.spec.address_mask
        if self._weak_blocks_pulse(addr, width_us):
            return
        # Bits already 0 stay 0; 1-bits with data 0 collect charge.
        to_program = ~value & self.array[addr] & 0xFF
        if not to_program:
            return
        cells = self._charge.setdefault(addr, [0.0] * 8)
        for bit in range(8):
            if to_program >> bit & 1:
                cells[bit] += width_us

    def read_signature(self, address: int) -> int:
        """Read with A9 at 12 V: manufacturer (A0 = 0) or device (A0 = 1) code."""
        chip_id = self.spec.chip_id
        if chip_id is None or self.faults.empty or self.faults.dead or self.damaged:
            return self.read(address | A9_LINE)
        self.clock.advance(SIGNATURE_READ_US)
        self.counters.reads += 1
        return chip_id.dev if address & A9_ID_MASK else chip_id.mfr

    def uv_erase(self, minutes: float = 20.0) -> None:
        """UV-erase for ``minutes``; shorter than :data:`UV_FULL_ERASE_MIN` erases partly.

        A partial erase removes charge in proportion, so weakly programmed bytes come back
        first, as on a real die.

        Raises:
            PinError: an OTP part (no window).
        """
        if self.spec.technology is Technology.OTP_EPROM:
            raise PinError(f"{self.spec.name} is OTP: it has no window and cannot be erased")
        if minutes >= UV_FULL_ERASE_MIN:
            self.array[:] = bytes([0xFF]) * self.spec.size
            self._charge.clear()
            return
        # An incomplete erase: each programmed bit has come back with probability
        # minutes / UV_FULL_ERASE_MIN (deterministic per bit), the rest still read 0.
        self.array[:] = self.snapshot()
        self._charge.clear()
        fraction = max(0.0, minutes) / UV_FULL_ERASE_MIN
        for addr, value in enumerate(self.array):
            if value == 0xFF:
                continue
            for bit in range(8):
                if not value >> bit & 1 and _threshold_fraction(addr * 8 + bit + 1) < (
                    THRESHOLD_MIN + (THRESHOLD_MAX - THRESHOLD_MIN) * fraction
                ):
                    value |= 1 << bit
            self.array[addr] = value

    def load(self, data: bytes) -> None:
        super().load(data)
        for addr in range(len(data)):
            self._charge.pop(addr, None)

    def snapshot(self) -> bytes:
        """Contents as a 5 V read would show them (charges resolved, faults not applied)."""
        out = bytearray(self.array)
        for addr in self._charge:
            out[addr] = self._resolve(addr, REFERENCE_VCC_MV)
        return bytes(out)

    # --- internals ---------------------------------------------------------------------

    def _in_window(self) -> bool:
        volts = self.spec.voltages
        vpp = self.vpp_mv
        if vpp is None or volts.vpp_min_mv is None or volts.vpp_max_mv is None:
            return False
        if not volts.vpp_min_mv <= vpp <= volts.vpp_max_mv:
            return False
        lo = volts.vcc_program_min_mv or volts.vcc_program_mv
        hi = volts.vcc_program_max_mv or volts.vcc_program_mv
        return lo <= self.vcc_mv <= hi

    def _weak_blocks_pulse(self, address: int, width_us: float) -> bool:
        weak = self.faults.weak
        if address not in weak:
            return False
        extra = weak[address]
        if extra is None:
            return True
        # A weak byte swallows `extra` nominal pulses worth of charge before it takes any.
        owed = self._weak_left.get(address, int(extra * self._nominal_pulse_us))
        if owed <= 0:
            return False
        self._weak_left[address] = int(max(0.0, owed - width_us))
        return True

    def _threshold_us(self, address: int, vcc_mv: int) -> float:
        base = _threshold_fraction(address) * self._nominal_pulse_us
        return base * vcc_mv / REFERENCE_VCC_MV

    def _resolve(self, address: int, vcc_mv: int) -> int:
        value = self.array[address]
        cells = self._charge.get(address)
        if cells is None:
            return value
        need = self._threshold_us(address, vcc_mv)
        for bit in range(8):
            if cells[bit] >= need:
                value &= ~(1 << bit)
        return value

    def _read(self, address: int) -> int:
        if self.spec.oe_vpp_shared and self.vpp_mv is not None:
            return FLOATING_BUS
        if address in self._charge:
            return self._resolve(address, self.vcc_mv)
        return self.array[address]
