"""The simulated romprog firmware's own chip algorithms, driving a chip model pin by pin.

These are what the firmware on the board runs (PROTOCOL.md section 10), written from the
datasheet rules, independently of :mod:`romtool.algorithms` (which the simulator must never
import, so that one cannot hide a bug in the other).

Every function works on one *program unit* (one DATA frame: a run of bytes, or whole pages)
and returns a :class:`UnitResult`; the device turns a failure into ``PROGRAM_FAIL``. Time
passes on the chip model's virtual clock through its bus cycles and :meth:`idle`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from romtool.programmers.romprog.protocol import Algorithm, Profile, ProfileFlag
from romtool.programmers.sim.chips.base import ChipModel

# JEDEC command cycles (SST39SF/Am29F/AT28C/AT29C datasheets, "software command sequence").
UNLOCK1_ADDR = 0x5555
UNLOCK1_DATA = 0xAA
UNLOCK2_ADDR = 0x2AAA
UNLOCK2_DATA = 0x55
CMD_PROGRAM = 0xA0
CMD_ERASE_SETUP = 0x80
CMD_CHIP_ERASE = 0x10
CMD_SECTOR_ERASE = 0x30
CMD_ID_ENTRY = 0x90
CMD_ID_EXIT = 0xF0

DQ7 = 0x80
"""Data# polling bit: reads as the complement of the written bit while the part is busy."""
DQ6 = 0x40
"""Toggle bit: flips on every read while the part is busy."""
DQ5 = 0x20
"""AMD "exceeded timing limits" bit (embedded algorithm failed, e.g. a 0 -> 1 attempt)."""

DEVICE_READ_US = 0.5
"""Firmware overhead per byte read on a 16 MHz AVR (port setup, loop), on top of the chip's
own read cycle."""
MIN_POLL_US = 2.0
"""Shortest gap between two status polls: one AVR read loop iteration."""
POLL_STEPS = 64
"""Status polls spread over a write's maximum time. Real firmware polls back to back; the
simulator polls this often so a 10 ms page write costs 64 model calls, not 5000, and the
modeled time overshoots the true end by at most one poll interval."""
VPP_SWITCH_US = 2.0
"""tVPS, VPP setup time before a pulse or after removing it (27C512 datasheets: 2 µs)."""
RAIL_SETTLE_US = 1000.0
"""Time for VPP/VCC regulators to settle after a change (a 1 ms budget in the firmware)."""
ID_ENTRY_US = 10_000.0
"""Wait after the software-id entry sequence (Atmel parts need 10 ms, flashrom probe_timing)."""
DEFAULT_WRITE_US = 10_000.0
"""tWC used when a profile leaves ``write_us`` 0 (the 28C/AT29 datasheet maximum)."""
DEFAULT_ERASE_MS = 60_000
"""Chip-erase budget when the profile leaves ``erase_ms`` 0."""


@dataclass(frozen=True)
class UnitResult:
    """Outcome of programming one unit.

    Attributes:
        ok: every byte programmed and read back as wanted.
        address: first failing address (when not ok).
        wanted / read: the byte wanted and what the chip returned there.
        pulses: pulses (or write attempts) spent on the failing byte.
        max_pulses: most pulses any byte of the unit needed.
        retried: bytes that needed more than one pulse or attempt.
        timeout: the status polling ran out of time (instead of a wrong read-back).
    """

    ok: bool
    address: int = 0
    wanted: int = 0
    read: int = 0
    pulses: int = 0
    max_pulses: int = 0
    retried: int = 0
    timeout: bool = False


def read_block(chip: ChipModel, address: int, length: int) -> bytes:
    """Read ``length`` bytes at the read voltage, with the firmware's per-byte overhead."""
    out = bytes(chip.read(address + i) for i in range(length))
    chip.idle(DEVICE_READ_US * length)
    return out


def _unlock(chip: ChipModel) -> None:
    chip.write(UNLOCK1_ADDR, UNLOCK1_DATA)
    chip.write(UNLOCK2_ADDR, UNLOCK2_DATA)


def _poll(
    chip: ChipModel, address: int, wanted: int, max_us: float, *, dq5: bool = False
) -> tuple[bool, int]:
    """Data# polling on ``address`` until DQ7 shows ``wanted``'s DQ7 or ``max_us`` passes.

    Returns (finished, value): ``finished`` is False when the time ran out; ``value`` is the
    byte read once DQ7 was valid (the caller compares it: a finished write may still hold the
    wrong byte, e.g. a stuck bit or a 0 -> 1 attempt on flash). With ``dq5`` (JEDEC flash
    with AMD's embedded algorithms), DQ5 set while DQ7 is still wrong ends the wait early:
    the part gave up. EEPROMs show plain data bits there while busy, so they never use it.
    """
    start = chip.clock.now_us()
    step = max(MIN_POLL_US, max_us / POLL_STEPS)
    value = chip.read(address)
    while True:
        if (value & DQ7) == (wanted & DQ7):
            # DQ7 valid: read once more, the other bits become valid with it.
            return True, chip.read(address)
        if dq5 and value & DQ5:
            return True, chip.read(address)
        if chip.clock.now_us() - start >= max_us:
            return False, value
        chip.idle(step)
        value = chip.read(address)


def _poll_toggle(
    chip: ChipModel, address: int, max_us: float, tick: Callable[[], None] | None = None
) -> bool:
    """Toggle-bit polling (DQ6 stops toggling when the operation ends), as flashrom does for
    erases; True when it ended within ``max_us``. ``tick`` is called between polls (the
    board sends its progress events from there)."""
    start = chip.clock.now_us()
    step = max(MIN_POLL_US, max_us / (POLL_STEPS * 64))
    while True:
        a = chip.read(address)
        b = chip.read(address)
        if not (a ^ b) & DQ6:
            return True
        if chip.clock.now_us() - start >= max_us:
            return False
        chip.idle(step)
        if tick is not None:
            tick()


def program_unit(chip: ChipModel, profile: Profile, address: int, data: bytes) -> UnitResult:
    """Program and verify ``data`` at ``address`` with the profile's algorithm."""
    alg = profile.algorithm
    if alg in (Algorithm.EPROM_QUICKPULSE, Algorithm.EPROM_STANDARD):
        return _eprom(chip, profile, address, data)
    if alg is Algorithm.JEDEC_BYTE:
        return _jedec_byte(chip, profile, address, data)
    if alg is Algorithm.EEPROM_BYTE:
        return _pages(chip, profile, address, data, page=1)
    return _pages(chip, profile, address, data, page=max(1, profile.page))


def power_program(chip: ChipModel, profile: Profile) -> None:
    """Raise the socket to programming levels (EPROMs: VCC-program, then VPP)."""
    if profile.vpp_mv:
        chip.set_vcc(profile.vcc_prog_mv)
        chip.set_vpp(profile.vpp_mv)
        chip.idle(RAIL_SETTLE_US)


def power_read(chip: ChipModel, profile: Profile) -> None:
    """Back to read levels: VPP removed first, then VCC to the verify level."""
    if chip.vpp_mv is not None:
        chip.set_vpp(None)
        chip.set_vcc(profile.vcc_verify_mv)
        chip.idle(RAIL_SETTLE_US)


def _eprom(chip: ChipModel, profile: Profile, address: int, data: bytes) -> UnitResult:
    if chip.vcc_mv != profile.vcc_prog_mv or (chip.vpp_mv is None and not _shared(profile)):
        power_program(chip, profile)
    worst = retried = 0
    for i, want in enumerate(data):
        addr = address + i
        have = _verify_read(chip, profile, addr)
        if have == want:
            continue
        pulses = 0
        while pulses < profile.max_pulses:
            _pulse(chip, profile, addr, want, profile.pulse_us)
            pulses += 1
            have = _verify_read(chip, profile, addr)
            if have == want:
                break
        if have != want:
            return UnitResult(False, addr, want, have, pulses, max(worst, pulses), retried)
        if profile.overprogram:
            _pulse(chip, profile, addr, want, profile.overprogram * pulses * profile.pulse_us)
        worst = max(worst, pulses)
        if pulses > 1:
            retried += 1
    return UnitResult(True, max_pulses=worst, retried=retried)


def _shared(profile: Profile) -> bool:
    return bool(profile.flags & ProfileFlag.OE_VPP_SHARED)


def _verify_read(chip: ChipModel, profile: Profile, address: int) -> int:
    """Program-verify read at VCC-program; on OE/VPP parts VPP must come off first."""
    if _shared(profile) and chip.vpp_mv is not None:
        chip.set_vpp(None)
        chip.idle(VPP_SWITCH_US)
    return chip.read(address)


def _pulse(chip: ChipModel, profile: Profile, address: int, value: int, width_us: float) -> None:
    if chip.vpp_mv is None:
        chip.set_vpp(profile.vpp_mv)
        chip.idle(VPP_SWITCH_US)
    chip.program_pulse(address, value, width_us)


def _jedec_byte(chip: ChipModel, profile: Profile, address: int, data: bytes) -> UnitResult:
    max_us = float(profile.write_us or DEFAULT_WRITE_US)
    retried = 0
    for i, want in enumerate(data):
        addr = address + i
        if chip.read(addr) == want:
            continue
        ok = False
        value = 0
        attempts = 0
        # A weak byte may need the command again; the firmware allows max_pulses attempts.
        for _ in range(max(1, profile.max_pulses)):
            attempts += 1
            _unlock(chip)
            chip.write(UNLOCK1_ADDR, CMD_PROGRAM)
            chip.write(addr, want)
            finished, value = _poll(chip, addr, want, max_us, dq5=True)
            if finished and value == want:
                ok = True
                break
            if (value & want) != want:
                break  # a 0 -> 1 change: no number of retries helps
        if not ok:
            return UnitResult(
                False, addr, want, value, attempts, attempts, retried, timeout=not finished
            )
        if attempts > 1:
            retried += 1
    return UnitResult(True, max_pulses=1, retried=retried)


def _pages(
    chip: ChipModel, profile: Profile, address: int, data: bytes, *, page: int
) -> UnitResult:
    max_us = float(profile.write_us or DEFAULT_WRITE_US)
    retried = 0
    pos = 0
    while pos < len(data):
        start = address + pos
        end = min(len(data), pos + page - (start % page))
        chunk = data[pos:end]
        # EEPROMs keep unchanged pages; AT29 sectors must always be rewritten whole.
        if profile.algorithm is not Algorithm.AT29_PAGE and (
            read_block(chip, start, len(chunk)) == chunk
        ):
            pos = end
            continue
        attempts = 0
        while True:
            attempts += 1
            if profile.sdp:
                _unlock(chip)
                chip.write(UNLOCK1_ADDR, CMD_PROGRAM)
            for i, value in enumerate(chunk):
                chip.write(start + i, value)
            last = start + len(chunk) - 1
            # The internal write starts when tBLC passes without another byte: wait for it,
            # or the first poll would read the old contents of a page still loading.
            chip.idle(profile.tblc_us + MIN_POLL_US)
            finished, _ = _poll(chip, last, chunk[-1], max_us)
            back = read_block(chip, start, len(chunk))
            if finished and back == chunk:
                break
            if attempts >= max(1, profile.max_pulses):
                bad = next((i for i in range(len(chunk)) if back[i] != chunk[i]), len(chunk) - 1)
                return UnitResult(
                    False,
                    start + bad,
                    chunk[bad],
                    back[bad],
                    attempts,
                    attempts,
                    retried,
                    timeout=not finished,
                )
        if attempts > 1:
            retried += 1
        pos = end
    return UnitResult(True, max_pulses=1, retried=retried)


def erase_chip(
    chip: ChipModel, profile: Profile, tick: Callable[[], None] | None = None
) -> tuple[bool, int]:
    """JEDEC 6-cycle chip erase, then poll until an erased byte reads 0xFF.

    Returns (done, elapsed µs).
    """
    start = chip.clock.now_us()
    _unlock(chip)
    chip.write(UNLOCK1_ADDR, CMD_ERASE_SETUP)
    _unlock(chip)
    chip.write(UNLOCK1_ADDR, CMD_CHIP_ERASE)
    done = _poll_toggle(chip, 0, float(profile.erase_ms or DEFAULT_ERASE_MS) * 1000.0, tick)
    return done and chip.read(0) == 0xFF, int(chip.clock.now_us() - start)


def erase_sector(
    chip: ChipModel, profile: Profile, address: int, tick: Callable[[], None] | None = None
) -> bool:
    """JEDEC sector erase (…, 30@SA), polled on the sector's first byte."""
    _unlock(chip)
    chip.write(UNLOCK1_ADDR, CMD_ERASE_SETUP)
    _unlock(chip)
    chip.write(address, CMD_SECTOR_ERASE)
    done = _poll_toggle(chip, address, float(profile.erase_ms or DEFAULT_ERASE_MS) * 1000.0, tick)
    return done and chip.read(address) == 0xFF


def software_id(chip: ChipModel) -> tuple[int, int]:
    """JEDEC software id: AA/55/90, wait, read 0 and 1, exit with AA/55/F0."""
    _unlock(chip)
    chip.write(UNLOCK1_ADDR, CMD_ID_ENTRY)
    chip.idle(ID_ENTRY_US)
    mfr = chip.read(0)
    dev = chip.read(1)
    # The three-cycle exit works on every part; some (AT29) ignore the single F0 cycle.
    _unlock(chip)
    chip.write(UNLOCK1_ADDR, CMD_ID_EXIT)
    chip.idle(ID_ENTRY_US)
    return mfr, dev


def signature_id(chip: ChipModel, profile: Profile) -> tuple[int, int]:
    """EPROM electronic signature with A9 at 12 V (A0 selects manufacturer/device)."""
    chip.set_vcc(profile.vcc_verify_mv)
    return chip.read_signature(0), chip.read_signature(1)
