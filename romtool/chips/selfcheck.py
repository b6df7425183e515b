"""Consistency checks over the chip database (run in CI and by ``romtool chips --check``).

Each rule returns human-readable problems instead of raising, so one run lists them all:

* names and aliases are unique across the database;
* ids are unique within a vendor;
* sizes are powers of two and agree with the sector layout and the page size;
* algorithm names are known and fit the technology;
* parts that need VPP have a complete voltage window;
* every algorithm has the timings it needs;
* the id method agrees with the ids;
* every operation has a status (untested, simulated, tested on hardware, known bad).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from romtool.chips.spec import Algorithm, ChipSpec, IdMethod, Operation, SdpMode, Technology

# Which algorithms are valid for which technology.
_ALGORITHMS_FOR: dict[Technology, frozenset[Algorithm]] = {
    Technology.UV_EPROM: frozenset({Algorithm.EPROM_QUICKPULSE, Algorithm.EPROM_STANDARD}),
    Technology.OTP_EPROM: frozenset({Algorithm.EPROM_QUICKPULSE, Algorithm.EPROM_STANDARD}),
    Technology.EEPROM: frozenset({Algorithm.EEPROM_BYTE, Algorithm.EEPROM_PAGE}),
    Technology.PAGE_FLASH: frozenset({Algorithm.AT29_PAGE}),
    Technology.JEDEC_FLASH: frozenset({Algorithm.JEDEC_BYTE}),
}

# Timing fields each algorithm cannot work without.
_REQUIRED_TIMING: dict[Algorithm, tuple[str, ...]] = {
    Algorithm.EPROM_QUICKPULSE: ("pulse_us", "max_pulses"),
    Algorithm.EPROM_STANDARD: ("pulse_us", "max_pulses"),
    Algorithm.EEPROM_BYTE: ("write_cycle_max_us",),
    Algorithm.EEPROM_PAGE: ("write_cycle_max_us", "tblc_us"),
    Algorithm.AT29_PAGE: ("write_cycle_max_us", "tblc_us"),
    Algorithm.JEDEC_BYTE: ("byte_program_typ_us", "sector_erase_typ_us", "chip_erase_typ_us"),
}


@dataclass(frozen=True)
class Problem:
    """One inconsistency, naming the entry it is about."""

    chip: str
    message: str

    def __str__(self) -> str:
        return f"{self.chip}: {self.message}"


def _is_pow2(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


def check_names(chips: Iterable[ChipSpec]) -> list[Problem]:
    """Every name and alias (case-insensitive) belongs to exactly one entry."""
    owner: dict[str, str] = {}
    problems: list[Problem] = []
    for chip in chips:
        for name in chip.names:
            key = name.upper()
            if key in owner and owner[key] != chip.name:
                problems.append(Problem(chip.name, f"name {name!r} is also used by {owner[key]}"))
            owner.setdefault(key, chip.name)
    return problems


def check_ids(chips: Iterable[ChipSpec]) -> list[Problem]:
    """No two entries of the same vendor answer with the same id."""
    seen: dict[tuple[str, int, int], str] = {}
    problems: list[Problem] = []
    for chip in chips:
        for cid in chip.ids:
            key = (chip.vendor.upper(), cid.mfr, cid.dev)
            other = seen.get(key)
            if other is not None and other != chip.name:
                problems.append(
                    Problem(chip.name, f"id {cid} is also used by {other} (vendor {chip.vendor})")
                )
            seen.setdefault(key, chip.name)
    return problems


def check_entry(chip: ChipSpec) -> list[Problem]:
    """Rules that look at one entry alone."""
    out: list[str] = []
    tech, algo, timing, volts = chip.technology, chip.algorithm, chip.timing, chip.voltages
    if not _is_pow2(chip.size):
        out.append(f"size {chip.size} is not a power of two")
    if not 0 <= chip.blank <= 0xFF:
        out.append(f"blank value {chip.blank} is not a byte")
    if chip.sectors and chip.sectors_total != chip.size:
        out.append(f"sectors add up to {chip.sectors_total} bytes, but size is {chip.size}")
    if any(g.count <= 0 or g.size <= 0 for g in chip.sectors):
        out.append("sector groups need a positive count and size")
    if tech in (Technology.JEDEC_FLASH, Technology.PAGE_FLASH) and not chip.sectors:
        out.append(f"{tech} part without a sector layout")
    if chip.page_size <= 0 or chip.size % chip.page_size:
        out.append(f"page size {chip.page_size} does not divide size {chip.size}")
    if chip.write_granularity <= 0 or chip.size % chip.write_granularity:
        out.append(f"write granularity {chip.write_granularity} does not divide the size")
    if tech is Technology.PAGE_FLASH:
        sizes = {g.size for g in chip.sectors}
        if sizes != {chip.page_size} or chip.write_granularity != chip.page_size:
            out.append("page flash needs sector size == page size == write granularity")
    if algo not in _ALGORITHMS_FOR[tech]:
        out.append(f"algorithm {algo} does not fit technology {tech}")
    if algo is Algorithm.EEPROM_PAGE and chip.page_size < 2:
        out.append("eeprom-page needs a page size of at least 2")
    for name in _REQUIRED_TIMING[algo]:
        if getattr(timing, name) is None:
            out.append(f"algorithm {algo} needs timing.{name}")
    if tech.is_eprom:
        missing = [
            n
            for n in ("vpp_mv", "vpp_min_mv", "vpp_max_mv", "vpp_abs_max_mv")
            if getattr(volts, n) is None
        ]
        if missing:
            out.append(f"EPROM needs VPP: missing voltages {', '.join(missing)}")
        elif not (
            (volts.vpp_min_mv or 0)
            <= (volts.vpp_mv or 0)
            <= (volts.vpp_max_mv or 0)
            < (volts.vpp_abs_max_mv or 0)
        ):
            out.append("VPP must satisfy min <= nominal <= max < absolute max")
        if chip.vpp_pin is None:
            out.append("EPROM needs vpp_pin")
    elif volts.needs_vpp:
        out.append(f"{tech} part should not need VPP")
    if chip.id_method is IdMethod.NONE and chip.ids:
        out.append("has ids but id_method is 'none'")
    if chip.id_method is IdMethod.JEDEC and not chip.ids:
        out.append("id_method 'jedec' without any id")
    if chip.id_method is IdMethod.A9_HV and not tech.is_eprom:
        out.append("A9 signature read is for EPROMs only")
    listed = {op for op, _status in chip.status}
    missing_ops = [op.value for op in Operation if op not in listed]
    if missing_ops:
        out.append(f"no status for operation(s): {', '.join(missing_ops)}")
    if tech is Technology.JEDEC_FLASH and chip.sdp is not SdpMode.ALWAYS:
        out.append("JEDEC flash always needs the command prefix (sdp = 'always')")
    return [Problem(chip.name, msg) for msg in out]


def selfcheck(chips: Iterable[ChipSpec]) -> list[Problem]:
    """Run every rule; an empty list means the database is consistent."""
    chips = list(chips)
    problems = check_names(chips) + check_ids(chips)
    for chip in chips:
        problems.extend(check_entry(chip))
    return problems
