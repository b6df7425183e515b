"""Chip specifications: what romtool knows about one EPROM, EEPROM or flash part.

A :class:`ChipSpec` is plain data (frozen). The values come from the TOML files in
``romtool/chips/data/`` through :mod:`romtool.chips.db`; nothing here talks to hardware.

Units, everywhere in this module:

* sizes and addresses in bytes;
* times in microseconds (µs), as ``float`` so sub-µs bus timings fit;
* voltages in millivolts (mV), as ``int`` (the unit the programmer protocols use).

``None`` in a timing or voltage field means "not applicable to this part" or "not known from
our sources"; :attr:`ChipSpec.notes` says which where it matters. Algorithms that need a value
that is ``None`` fall back to a named, documented default rather than guessing silently.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum

from romtool.ranges import Range


class Technology(StrEnum):
    """How the cells are erased and how a byte gets programmed."""

    UV_EPROM = "uv-eprom"
    """Windowed EPROM: bits go 1->0 with VPP pulses; only UV light restores 1s."""
    OTP_EPROM = "otp-eprom"
    """The same die in a package without a window: programmable once, never erasable."""
    EEPROM = "eeprom"
    """28C-style EEPROM: each byte or page write erases its bytes internally."""
    PAGE_FLASH = "page-flash"
    """AT29C/W29/SST29EE-style flash: a sector write auto-erases the whole sector first."""
    JEDEC_FLASH = "jedec-flash"
    """39SF/29F-style flash: command-driven byte program (1->0 only), sector and chip erase."""

    @property
    def is_eprom(self) -> bool:
        """True for UV and OTP EPROMs (programmed with VPP pulses, no command set)."""
        return self in (Technology.UV_EPROM, Technology.OTP_EPROM)

    @property
    def electrically_erasable(self) -> bool:
        """True when the programmer itself can erase the part."""
        return self in (Technology.EEPROM, Technology.PAGE_FLASH, Technology.JEDEC_FLASH)


class IdMethod(StrEnum):
    """How the manufacturer/device id is read."""

    JEDEC = "jedec"
    """Software sequence AA@5555, 55@2AAA, 90@5555; manufacturer at 0, device at 1."""
    A9_HV = "a9"
    """Electronic signature: A9 at 12 V, A0 selects manufacturer (0) or device (1)."""
    NONE = "none"
    """The part has no readable id."""


class Algorithm(StrEnum):
    """Programming algorithm names, shared with the programmer protocols (chip profiles)."""

    EPROM_QUICKPULSE = "eprom-quickpulse"
    """Short pulses (typically 100 µs), verify after each, up to ``max_pulses`` per byte."""
    EPROM_STANDARD = "eprom-standard"
    """Old NMOS parts: long pulses (50 ms) or 1 ms "intelligent" pulses plus overprogram."""
    EEPROM_BYTE = "eeprom-byte"
    """28C byte write: one byte, then wait out tWC (DQ7 polling)."""
    EEPROM_PAGE = "eeprom-page"
    """28C page write: load up to ``page_size`` bytes within tBLC each, then tWC busy."""
    AT29_PAGE = "at29-page"
    """Page-mode flash: load a whole sector within tBLC per byte; the part auto-erases it."""
    JEDEC_BYTE = "jedec-byte"
    """AA/55/A0 + data per byte, then DQ7/DQ6 polling; erase with sector/chip commands."""


class SdpMode(StrEnum):
    """Software data protection (write-protect by command sequence)."""

    NONE = "none"
    """No SDP: plain write cycles program the part (28C64, EPROMs)."""
    OPTIONAL = "optional"
    """SDP can be enabled (AA/55/A0 before each write) and disabled (AA/55/80/AA/55/20)."""
    ALWAYS = "always"
    """Every program command needs the unlock prefix (JEDEC flash command set)."""


class Status(StrEnum):
    """How far an operation on a part has been checked."""

    UNTESTED = "untested"
    SIMULATED = "simulated"
    """Checked against romtool's datasheet model of the part, not on a real chip."""
    TESTED = "tested"
    """Checked on a real chip with a real programmer."""
    KNOWN_BAD = "known-bad"
    """Known not to work; romtool refuses the operation."""


class Operation(StrEnum):
    """The operations a per-operation :class:`Status` is kept for."""

    READ = "read"
    PROGRAM = "program"
    ERASE = "erase"
    IDENTIFY = "identify"


@dataclass(frozen=True)
class ChipId:
    """A manufacturer/device id pair as the part returns it (each one byte)."""

    mfr: int
    dev: int

    def __str__(self) -> str:
        return f"{self.mfr:02X}:{self.dev:02X}"


@dataclass(frozen=True)
class SectorGroup:
    """``count`` consecutive erase sectors of ``size`` bytes each."""

    count: int
    size: int

    @property
    def total(self) -> int:
        return self.count * self.size


@dataclass(frozen=True)
class Voltages:
    """Supply levels in mV. ``vpp_*`` are None for parts that need no programming voltage.

    Attributes:
        vcc_read_mv: VCC for normal reads and the final verify (5 V parts: 5000).
        vcc_program_mv: VCC while pulsing and during the program-verify reads (6250 for
            most 27C quick-pulse parts, 6500 for Atmel "rapid" programming).
        vpp_mv: nominal programming voltage on the VPP pin.
        vpp_min_mv: lowest VPP that programs per the datasheet window.
        vpp_max_mv: highest VPP of the datasheet programming window.
        vpp_abs_max_mv: absolute maximum rating; above it the part is damaged.
        vcc_program_min_mv: lowest VCC at which program pulses take effect.
        vcc_program_max_mv: highest VCC allowed while programming.
    """

    vcc_read_mv: int = 5000
    vcc_program_mv: int = 5000
    vpp_mv: int | None = None
    vpp_min_mv: int | None = None
    vpp_max_mv: int | None = None
    vpp_abs_max_mv: int | None = None
    vcc_program_min_mv: int | None = None
    vcc_program_max_mv: int | None = None

    @property
    def needs_vpp(self) -> bool:
        return self.vpp_mv is not None


@dataclass(frozen=True)
class Timing:
    """Programming and erase timings in µs (None: not applicable or not known).

    Attributes:
        pulse_us: EPROM program pulse width.
        max_pulses: EPROM pulses per byte before the byte is declared failed.
        overprogram_factor: EPROM standard algorithm: after a byte verifies with N pulses,
            apply one more pulse of ``factor * N * pulse_us`` (0: no overprogram).
        byte_program_typ_us / byte_program_max_us: JEDEC flash embedded byte program.
        write_cycle_typ_us / write_cycle_max_us: tWC, the busy time after an EEPROM byte or
            page write, or an AT29 sector program.
        tblc_us: byte load cycle limit: the longest gap between two bytes of one page load
            (and between the bytes of an SDP sequence) before the part starts writing.
        sector_erase_typ_us / sector_erase_max_us: one sector erase.
        chip_erase_typ_us / chip_erase_max_us: whole-chip erase.
        id_entry_us: wait after entering software-id mode before reading the id (some Atmel
            parts need 10 ms).
    """

    pulse_us: float | None = None
    max_pulses: int | None = None
    overprogram_factor: float = 0.0
    byte_program_typ_us: float | None = None
    byte_program_max_us: float | None = None
    write_cycle_typ_us: float | None = None
    write_cycle_max_us: float | None = None
    tblc_us: float | None = None
    sector_erase_typ_us: float | None = None
    sector_erase_max_us: float | None = None
    chip_erase_typ_us: float | None = None
    chip_erase_max_us: float | None = None
    id_entry_us: float | None = None

    @property
    def write_cycle_us(self) -> float | None:
        """tWC the way a model or an ETA uses it: typical when known, else the maximum."""
        return (
            self.write_cycle_typ_us
            if self.write_cycle_typ_us is not None
            else (self.write_cycle_max_us)
        )


@dataclass(frozen=True)
class ChipSpec:
    """Everything romtool knows about one part.

    Attributes:
        name: canonical part name, e.g. ``"AT27C256R"`` or the generic ``"27C256"``.
        vendor: manufacturer, or ``"generic"`` for a family entry that accepts every
            vendor's id.
        aliases: other names the user may type (``"M27C256B"``, ``"AT27C256R@DIP28"``).
        size: bytes.
        package: e.g. ``"DIP28"``, ``"DIP32"``.
        pins: pin count of the package.
        technology: see :class:`Technology`.
        ids: ids the part answers with; the first is its own. Empty: the part has no id or
            ours are unknown (see ``notes``).
        id_method: how :attr:`ids` are read.
        blank: value of an erased byte (0xFF for every part here).
        write_granularity: smallest unit that can be written (1 for byte-writable parts, the
            sector size for page-mode flash that must get whole sectors).
        page_size: bytes per page load (EEPROM, page flash); 1 when there are no pages.
        sectors: erase-sector layout, lowest address first; empty when the part has no
            electrical sector erase (EPROM, EEPROM).
        algorithm: programming algorithm (see :class:`Algorithm`).
        timing: see :class:`Timing`.
        voltages: see :class:`Voltages`.
        sdp: software data protection support.
        vpp_pin: the pin that takes VPP (None when there is none); on 27C512 it is the
            shared OE/VPP pin 22.
        status: per-operation :class:`Status`.
        notes: facts and caveats worth showing, including which values are not known.
    """

    name: str
    vendor: str
    size: int
    package: str
    pins: int
    technology: Technology
    algorithm: Algorithm
    aliases: tuple[str, ...] = ()
    ids: tuple[ChipId, ...] = ()
    id_method: IdMethod = IdMethod.NONE
    blank: int = 0xFF
    write_granularity: int = 1
    page_size: int = 1
    sectors: tuple[SectorGroup, ...] = ()
    timing: Timing = field(default_factory=Timing)
    voltages: Voltages = field(default_factory=Voltages)
    sdp: SdpMode = SdpMode.NONE
    vpp_pin: int | None = None
    status: tuple[tuple[Operation, Status], ...] = ()
    notes: tuple[str, ...] = ()

    # --- identity ------------------------------------------------------------------------

    @property
    def chip_id(self) -> ChipId | None:
        """The part's own id (the first of :attr:`ids`), or None."""
        return self.ids[0] if self.ids else None

    @property
    def names(self) -> tuple[str, ...]:
        """Canonical name first, then the aliases."""
        return (self.name, *self.aliases)

    def answers_to(self, mfr: int, dev: int) -> bool:
        """True when ``mfr:dev`` is one of the ids this entry accepts."""
        return ChipId(mfr, dev) in self.ids

    def status_of(self, op: Operation) -> Status:
        """The status of ``op``; operations not listed are :attr:`Status.UNTESTED`."""
        for key, value in self.status:
            if key == op:
                return value
        return Status.UNTESTED

    # --- geometry ------------------------------------------------------------------------

    @property
    def address_mask(self) -> int:
        """Mask of the address lines the part decodes (size is a power of two here)."""
        return self.size - 1

    @property
    def command_mask(self) -> int:
        """Address bits the part compares in a command cycle (5555/2AAA unlock addresses).

        These parts decode at most A14..A0 for commands (so 0x5555 and 0x2AAA fit) and
        smaller parts only their own lines: an AT28C64 sees 0x5555 as 0x1555.
        """
        return min(self.size - 1, 0x7FFF)

    def sector_ranges(self) -> Iterator[Range]:
        """Every erase sector as a half-open range, lowest first (none for EPROM/EEPROM)."""
        pos = 0
        for group in self.sectors:
            for _ in range(group.count):
                yield Range(pos, pos + group.size)
                pos += group.size

    def sector_at(self, address: int) -> Range:
        """The erase sector containing ``address``.

        Raises:
            ValueError: the part has no sectors or the address is outside the part.
        """
        for rng in self.sector_ranges():
            if address in rng:
                return rng
        raise ValueError(f"{self.name}: no sector contains 0x{address:X}")

    @property
    def oe_vpp_shared(self) -> bool:
        """True when VPP shares the OE pin (28-pin 27C512: pin 22), so program-verify reads
        need VPP removed first."""
        return self.technology.is_eprom and self.pins == 28 and self.vpp_pin == 22

    @property
    def sectors_total(self) -> int:
        """Sum of the sector layout (must equal :attr:`size` when there are sectors)."""
        return sum(group.total for group in self.sectors)

    @property
    def erase_unit(self) -> int | None:
        """Largest sector size, or None when the part has no sectors."""
        return max((g.size for g in self.sectors), default=None)

    def __str__(self) -> str:
        return self.name
