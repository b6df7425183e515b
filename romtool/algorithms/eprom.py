"""EPROM programming over a :class:`~romtool.algorithms.bus.ProgrammingBus`.

Quick-pulse (CMOS 27C parts; Intel "Quick-Pulse", ST "Presto II", Atmel "rapid"):

1. VCC to the program level (6.25 V, Atmel 6.5 V), VPP to 12.75 V (Atmel 13 V).
2. For each byte that is not 0xFF: a ``pulse_us`` (100 µs) pulse, then a verify read at the
   raised VCC; repeat up to ``max_pulses`` (25). A byte that never verifies is a failure
   reported with its address.
3. VPP off, VCC back to 5 V, and a final verify of everything at 5 V.

Standard (old NMOS parts): the same loop with the spec's pulse width and count -- one 50 ms
pulse for a 21 V 2764, or 1 ms "intelligent" pulses -- followed, when
``overprogram_factor`` is set, by one extra pulse of ``factor x pulses used x pulse_us``.

On a 28-pin 27C512 OE and VPP share pin 22, so VPP is removed for every verify read and
re-applied before the next pulse.

Before any pulse the byte is read: a byte that would need a 0 -> 1 change cannot be programmed
(only UV light erases) and the run stops before touching it.
"""

from __future__ import annotations

from collections import Counter

from romtool.algorithms.bus import ProgrammingBus
from romtool.algorithms.common import WriteReport, verify_range
from romtool.chips.spec import Algorithm, ChipId, ChipSpec
from romtool.errors import PlanRefused, ProgramFailure, UsageError
from romtool.events import NullReporter, Reporter

ALGORITHMS = frozenset({Algorithm.EPROM_QUICKPULSE, Algorithm.EPROM_STANDARD})
"""The chip algorithms this module carries out."""


class _Power:
    """VCC/VPP handling for one run, including the OE/VPP shared-pin dance."""

    def __init__(self, bus: ProgrammingBus, spec: ChipSpec) -> None:
        self.bus = bus
        self.spec = spec
        self.vpp_on = False

    def program_levels(self) -> None:
        volts = self.spec.voltages
        self.bus.set_vcc(volts.vcc_program_mv)
        self.vpp(True)

    def vpp(self, on: bool) -> None:
        if on != self.vpp_on:
            self.bus.set_vpp(self.spec.voltages.vpp_mv if on else None)
            self.vpp_on = on

    def verify_read(self, address: int) -> int:
        if self.spec.oe_vpp_shared:
            self.vpp(False)
        return self.bus.read_byte(address)

    def pulse(self, address: int, value: int, width_us: float) -> None:
        self.vpp(True)
        self.bus.program_pulse(address, value, width_us)

    def read_levels(self) -> None:
        self.vpp(False)
        self.bus.set_vcc(self.spec.voltages.vcc_read_mv)


def read_signature(bus: ProgrammingBus, spec: ChipSpec) -> ChipId:
    """Read the electronic signature with A9 at 12 V (A0 = 0: manufacturer, 1: device), at
    the part's read VCC."""
    bus.set_vpp(None)
    bus.set_vcc(spec.voltages.vcc_read_mv)
    return ChipId(bus.read_signature(0), bus.read_signature(1))


def program_range(
    bus: ProgrammingBus,
    spec: ChipSpec,
    start: int,
    data: bytes,
    *,
    reporter: Reporter | None = None,
    final_verify: bool = True,
) -> WriteReport:
    """Program ``data`` at ``start`` with the spec's EPROM algorithm.

    Raises:
        PlanRefused: a byte needs a 0 -> 1 change (UV erase first); nothing was pulsed at or
            after that address.
        ProgramFailure: a byte did not verify within ``max_pulses`` (address, wanted and
            read values in the error).
        VerifyError: the final 5 V verify found a difference.
        UsageError: the spec is not an EPROM with complete programming data.
    """
    if spec.algorithm not in ALGORITHMS:
        raise UsageError(f"{spec.name} is not an EPROM ({spec.algorithm})")
    t = spec.timing
    if t.pulse_us is None or t.max_pulses is None or spec.voltages.vpp_mv is None:
        raise UsageError(f"{spec.name}: the chip data lacks pulse width, count or VPP")
    pulse_us, max_pulses, factor = t.pulse_us, t.max_pulses, t.overprogram_factor
    rep = reporter or NullReporter()
    rep.stage("program", len(data))
    power = _Power(bus, spec)
    t0 = bus.now_us()
    histogram: Counter[int] = Counter()
    programmed = skipped = total_pulses = 0
    worst: tuple[int, int] | None = None
    power.program_levels()
    try:
        for i, want in enumerate(data):
            addr = start + i
            have = power.verify_read(addr)
            if have == want:
                skipped += 1
                rep.progress(i + 1, len(data))
                continue
            if want & ~have & 0xFF:
                raise PlanRefused(
                    "byte needs bits set back to 1",
                    op="program",
                    address=addr,
                    expected=f"0x{want:02X}",
                    actual=f"0x{have:02X}",
                    hint="UV-erase the chip first",
                )
            got = have
            used = 0
            while used < max_pulses:
                power.pulse(addr, want, pulse_us)
                used += 1
                got = power.verify_read(addr)
                if got == want:
                    break
            total_pulses += used
            if got != want:
                # Failure signature: not a single bit moved means no programming happened at
                # all (no VPP, empty socket, chip the wrong way round), not a weak cell.
                nothing = got == have
                raise ProgramFailure(
                    f"byte did not verify after {used} pulses of {pulse_us:g} us",
                    op="program",
                    address=addr,
                    expected=f"0x{want:02X}",
                    actual=f"0x{got:02X}",
                    hint=(
                        "no bit changed: check VPP, the socket and the chip's orientation"
                        if nothing
                        else "weak cell or wrong VPP/VCC; the chip may be worn out"
                    ),
                )
            if factor > 0:
                power.pulse(addr, want, factor * used * pulse_us)
                total_pulses += 1
            histogram[used] += 1
            if worst is None or used > worst[1]:
                worst = (addr, used)
            programmed += 1
            rep.progress(i + 1, len(data))
    finally:
        power.read_levels()
    if final_verify:
        rep.stage("verify", len(data))
        verify_range(bus, start, data, op="final verify at 5 V")
        rep.progress(len(data), len(data))
    return WriteReport(
        programmed=programmed,
        skipped=skipped,
        pulses=total_pulses,
        worst=worst,
        elapsed_us=bus.now_us() - t0,
        histogram=tuple(sorted(histogram.items())),
    )
