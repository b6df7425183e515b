"""The datasheet chip model base: a chip in a socket, seen from its pins.

A :class:`ChipModel` answers bus cycles the way the datasheet says the part does, at the
current time of a :class:`~romtool.programmers.sim.clock.VirtualClock`:

* :meth:`ChipModel.read` / :meth:`ChipModel.write` are one read cycle (CE, OE low) and one
  write cycle (a WE pulse); each advances the clock by its cycle time.
* Power: :meth:`ChipModel.set_vcc` and :meth:`ChipModel.set_vpp` (mV; EPROMs care).
* EPROMs: :meth:`ChipModel.program_pulse` and :meth:`ChipModel.read_signature` (A9 at 12 V).
* Out of band (no bus time passes): :meth:`ChipModel.uv_erase`, :meth:`ChipModel.snapshot`,
  :meth:`ChipModel.load`.

Busy periods (a page write's tWC, a sector erase) are not waited for by the model: they are
deadlines on the virtual clock. Whoever drives the model (a simulated programmer, a test bus
adapter) lets time pass with :meth:`ChipModel.idle` or simply keeps issuing cycles, each of
which advances the clock, exactly as a real programmer polling DQ7 would.

Models implement the datasheets independently of :mod:`romtool.algorithms` (they never import
it), so an algorithm bug cannot hide behind a matching model bug.

Fault injection (:class:`Faults`): bits stuck at 0 or 1, weak bytes that need extra program
operations or never program, a dead chip and an empty socket.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from romtool.chips.spec import ChipSpec, Technology
from romtool.programmers.sim.clock import VirtualClock

READ_CYCLE_US = 0.15
"""One read cycle: tACC of the common -15 speed grade (150 ns)."""
WRITE_CYCLE_US = 0.1
"""One write cycle: the WE pulse width tWP (100 ns on 28C/29C/39SF datasheets)."""
FLOATING_BUS = 0xFF
"""What a read returns with nothing driving the data lines (programmers pull them up)."""
DEAD_CHIP_VALUE = 0x00
"""What a dead chip returns: its outputs pull the data lines low and never change."""
A9_LINE = 1 << 9
"""A9: held at 12 V for the electronic signature; a part without one sees a logic 1."""


class PinError(Exception):
    """The pins were driven in a way this part does not support (a driver bug, not a
    chip condition), e.g. a program pulse on a flash part."""


def _frozen(mapping: Mapping[int, Any] | None) -> Mapping[int, Any]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True)
class Faults:
    """Injected defects.

    Attributes:
        stuck0: address -> mask of bits that always read 0 (blank-check failures).
        stuck1: address -> mask of bits that always read 1 (cannot be programmed).
        weak: address -> number of extra program operations (EPROM: pulses of the spec's
            width; flash/EEPROM: write or program commands) the byte ignores before it
            takes; ``None`` means the byte never programs.
        dead: the chip answers every read with :data:`DEAD_CHIP_VALUE` and ignores writes.
        empty: nothing in the socket: reads float to :data:`FLOATING_BUS`, writes vanish.
    """

    stuck0: Mapping[int, int] = field(default_factory=dict)
    stuck1: Mapping[int, int] = field(default_factory=dict)
    weak: Mapping[int, int | None] = field(default_factory=dict)
    dead: bool = False
    empty: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "stuck0", _frozen(self.stuck0))
        object.__setattr__(self, "stuck1", _frozen(self.stuck1))
        object.__setattr__(self, "weak", _frozen(self.weak))

    def apply(self, address: int, value: int) -> int:
        """``value`` as the data pins show it, with stuck bits forced."""
        value &= ~self.stuck0.get(address, 0) & 0xFF
        return value | self.stuck1.get(address, 0)


@dataclass
class Counters:
    """What happened on the pins (for tests and benchmarks)."""

    reads: int = 0
    writes: int = 0
    pulses: int = 0
    busy_us: float = 0.0
    """Total modeled busy time (write cycles, program and erase operations)."""


class ChipModel:
    """Base of every datasheet model; subclasses implement one :class:`Technology`.

    Args:
        spec: the part being modeled.
        clock: shared virtual clock (a new one when omitted).
        faults: injected defects.
        data: initial contents (default: blank); shorter data fills from address 0.
    """

    technologies: tuple[Technology, ...] = ()

    def __init__(
        self,
        spec: ChipSpec,
        *,
        clock: VirtualClock | None = None,
        faults: Faults | None = None,
        data: bytes | None = None,
    ) -> None:
        self.spec = spec
        self.clock = clock if clock is not None else VirtualClock()
        self.faults = faults if faults is not None else Faults()
        self.array = bytearray([spec.blank]) * spec.size
        if data is not None:
            self.load(data)
        self.vcc_mv: int = spec.voltages.vcc_read_mv
        self.vpp_mv: int | None = None
        self.damaged = False
        self.counters = Counters()
        self._weak_left: dict[int, int] = {}

    # --- bus cycles ----------------------------------------------------------------------

    @property
    def present(self) -> bool:
        """False for an empty socket or a powered-off chip."""
        return not self.faults.empty and self.vcc_mv > 0

    def read(self, address: int) -> int:
        """One read cycle at ``address`` (upper address bits the part lacks are ignored)."""
        self.clock.advance(READ_CYCLE_US)
        self.counters.reads += 1
        if not self.present:
            return FLOATING_BUS
        if self.faults.dead or self.damaged:
            return DEAD_CHIP_VALUE
        self._update()
        addr = address & self.spec.address_mask
        return self.faults.apply(addr, self._read(addr)) & 0xFF

    def write(self, address: int, value: int) -> None:
        """One write cycle (WE pulse) of ``value`` at ``address``."""
        self.clock.advance(WRITE_CYCLE_US)
        self.counters.writes += 1
        if not self.present or self.faults.dead or self.damaged:
            return
        self._update()
        self._write(address, value & 0xFF)

    def idle(self, us: float) -> None:
        """Let ``us`` µs pass with the chip selected but no cycles (a programmer's delay)."""
        self.clock.advance(us)
        self._update()

    def set_vcc(self, mv: int) -> None:
        """Set VCC in mV (0 powers the socket off)."""
        self.vcc_mv = mv

    def set_vpp(self, mv: int | None) -> None:
        """Apply ``mv`` to the VPP pin, or return it to its read level with None."""
        self.vpp_mv = mv

    def program_pulse(self, address: int, value: int, width_us: float) -> None:
        """An EPROM program pulse; only EPROM models support it.

        Raises:
            PinError: this part is not an EPROM.
        """
        raise PinError(f"{self.spec.name} ({self.spec.technology}) has no program pulse")

    def read_signature(self, address: int) -> int:
        """A read with A9 at 12 V. Parts without a high-voltage detector just see A9 = 1."""
        return self.read(address | A9_LINE)

    @property
    def locked(self) -> bool:
        """True while software data protection is enabled (always False without SDP)."""
        return False

    def set_locked(self, locked: bool) -> None:
        """Set the SDP state out of band (a part as it came from the previous owner).

        Raises:
            PinError: the part has no software data protection.
        """
        raise PinError(f"{self.spec.name} has no software data protection")

    @property
    def busy(self) -> bool:
        """True while an internal write, program or erase operation is running."""
        self._update()
        return self._busy()

    # --- out of band ---------------------------------------------------------------------

    def uv_erase(self, minutes: float = 20.0) -> None:
        """Expose the die to UV light for ``minutes``.

        Raises:
            PinError: the part has no window (only UV EPROMs can be UV-erased).
        """
        raise PinError(f"{self.spec.name} ({self.spec.technology}) cannot be UV-erased")

    def snapshot(self) -> bytes:
        """The committed contents of the array (no bus time passes, faults not applied)."""
        return bytes(self.array)

    def load(self, data: bytes) -> None:
        """Set the array contents out of band (a pre-programmed chip); ``data`` from 0.

        Raises:
            ValueError: ``data`` is larger than the part.
        """
        if len(data) > self.spec.size:
            raise ValueError(f"{len(data)} bytes do not fit {self.spec.name} ({self.spec.size})")
        self.array[: len(data)] = data

    # --- for subclasses ------------------------------------------------------------------

    def _update(self) -> None:
        """Advance internal state to the clock's current time (finish busy periods)."""

    def _busy(self) -> bool:
        return False

    def _read(self, address: int) -> int:
        return self.array[address]

    def _write(self, address: int, value: int) -> None:
        """A write cycle; ``address`` is the full bus address (models mask it themselves)."""

    def _weak_blocks(self, address: int) -> bool:
        """Consume one program attempt on a weak byte; True when the attempt is lost."""
        weak = self.faults.weak
        if address not in weak:
            return False
        remaining = weak[address]
        if remaining is None:
            return True
        if remaining <= 0:
            return False
        # Faults are frozen per run; the per-byte countdown lives on the model.
        left = self._weak_left.get(address, remaining)
        if left > 0:
            self._weak_left[address] = left - 1
            return True
        return False

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.spec.name} t={self.clock.now_us():.1f}µs>"


def model_for(
    spec: ChipSpec,
    *,
    clock: VirtualClock | None = None,
    data: bytes | None = None,
    locked: bool = False,
    **faults: Any,
) -> ChipModel:
    """A datasheet model for ``spec``'s technology.

    Args:
        spec: the part.
        clock: shared virtual clock (new when omitted).
        data: initial contents (blank when omitted).
        locked: parts with optional SDP start with software data protection enabled.
        **faults: :class:`Faults` fields (``stuck0``, ``stuck1``, ``weak``, ``dead``,
            ``empty``).

    Raises:
        TypeError: an unknown fault name.
    """
    # Imported here: the technology modules import this one.
    from romtool.programmers.sim.chips.eprom import EpromModel
    from romtool.programmers.sim.chips.jedec import JedecFlashModel
    from romtool.programmers.sim.chips.paged import EepromModel, PageFlashModel

    fault_set = Faults(**faults)
    kinds: dict[Technology, type[ChipModel]] = {}
    classes: tuple[type[ChipModel], ...] = (
        EpromModel,
        EepromModel,
        PageFlashModel,
        JedecFlashModel,
    )
    for kind in classes:
        for tech in kind.technologies:
            kinds[tech] = kind
    model = kinds[spec.technology](spec, clock=clock, faults=fault_set, data=data)
    if locked:
        model.set_locked(True)
    return model
