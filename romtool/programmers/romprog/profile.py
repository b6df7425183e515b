"""Turn a :class:`~romtool.chips.spec.ChipSpec` into the romprog chip profile (PROTOCOL.md §7).

The board never needs a chip list: everything it must know to run the algorithm travels in
this 40-byte profile. Values the database leaves open fall back to the named defaults below.
"""

from __future__ import annotations

import math

from romtool.chips.spec import Algorithm as SpecAlgorithm
from romtool.chips.spec import ChipSpec, SdpMode, Technology
from romtool.chips.spec import IdMethod as SpecIdMethod
from romtool.programmers.romprog.protocol import Algorithm, IdMethod, Profile, ProfileFlag

DEFAULT_PULSE_US = 100
"""Quick-pulse width when the database has none (27C quick-pulse datasheets: 100 µs)."""
DEFAULT_MAX_PULSES = 25
"""Quick-pulse limit per byte (ST "Presto II": 25 pulses)."""
WRITE_ATTEMPTS = 3
"""EEPROM/flash: program commands per byte or page before the device gives up (weak cells)."""
DEFAULT_TBLC_US = 150
"""Page-load byte window (Atmel AT28C256/AT29C256 tBLC 150 µs)."""
DEFAULT_WRITE_US = 10_000
"""Write-cycle budget when unknown: the 28C/AT29 datasheet maximum tWC of 10 ms."""
DEFAULT_ERASE_MS = 60_000
"""Chip-erase budget when unknown (Am29F010 whole-chip maximum, doubled)."""

_ALGORITHMS = {
    SpecAlgorithm.EPROM_QUICKPULSE: Algorithm.EPROM_QUICKPULSE,
    SpecAlgorithm.EPROM_STANDARD: Algorithm.EPROM_STANDARD,
    SpecAlgorithm.EEPROM_BYTE: Algorithm.EEPROM_BYTE,
    SpecAlgorithm.EEPROM_PAGE: Algorithm.EEPROM_PAGE,
    SpecAlgorithm.AT29_PAGE: Algorithm.AT29_PAGE,
    SpecAlgorithm.JEDEC_BYTE: Algorithm.JEDEC_BYTE,
}
_ID_METHODS = {
    SpecIdMethod.JEDEC: IdMethod.SOFTWARE,
    SpecIdMethod.A9_HV: IdMethod.A9,
    SpecIdMethod.NONE: IdMethod.NONE,
}


def _ceil(value: float | None, default: int) -> int:
    return default if value is None else math.ceil(value)


def program_unit(chip: ChipSpec) -> int:
    """Bytes the device programs as one page (1 for byte algorithms)."""
    if chip.algorithm in (SpecAlgorithm.EEPROM_PAGE, SpecAlgorithm.AT29_PAGE):
        return max(chip.page_size, chip.write_granularity, 1)
    return 1


def profile_for(chip: ChipSpec) -> Profile:
    """The romprog profile for ``chip``."""
    t = chip.timing
    v = chip.voltages
    alg = _ALGORITHMS[chip.algorithm]
    if alg is Algorithm.JEDEC_BYTE:
        write_us = _ceil(t.byte_program_max_us, DEFAULT_WRITE_US)
    else:
        write_us = _ceil(t.write_cycle_max_us, DEFAULT_WRITE_US)
    sizes = {g.size for g in chip.sectors}
    sector = sizes.pop() if len(sizes) == 1 else 0
    eprom = chip.technology.is_eprom
    flags = ProfileFlag.NONE
    if chip.technology.electrically_erasable:
        flags |= ProfileFlag.ELECTRIC_ERASE
    if chip.technology is Technology.UV_EPROM:
        flags |= ProfileFlag.UV_ERASE
    if chip.oe_vpp_shared:
        flags |= ProfileFlag.OE_VPP_SHARED
    sdp = int(
        chip.sdp is not SdpMode.NONE
        and alg in (Algorithm.EEPROM_BYTE, Algorithm.EEPROM_PAGE, Algorithm.AT29_PAGE)
    )
    return Profile(
        size=chip.size,
        algorithm=alg,
        pins=chip.pins,
        page=program_unit(chip),
        sector=sector,
        pulse_us=_ceil(t.pulse_us, DEFAULT_PULSE_US),
        max_pulses=(t.max_pulses or DEFAULT_MAX_PULSES) if eprom else WRITE_ATTEMPTS,
        overprogram=round(t.overprogram_factor),
        write_us=write_us,
        tblc_us=_ceil(t.tblc_us, DEFAULT_TBLC_US),
        erase_ms=_ceil(
            t.chip_erase_max_us / 1000.0 if t.chip_erase_max_us else None, DEFAULT_ERASE_MS
        ),
        vpp_mv=v.vpp_mv or 0,
        vcc_prog_mv=v.vcc_program_mv,
        vcc_verify_mv=v.vcc_read_mv,
        id_method=_ID_METHODS[chip.id_method],
        sdp=sdp,
        flags=flags,
    )
