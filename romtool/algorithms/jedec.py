"""JEDEC command-set flash (SST39SF0x0A, Am29F010, 39VF/49BV): id, byte program, erase.

Command table (SST39SF010A and Am29F010 datasheets; address@data, addresses on A14..A0):

====================  =======================================================
software id entry     AA@5555 55@2AAA 90@5555; read mfr at 0, device at 1
software id exit      AA@5555 55@2AAA F0@5555
byte program          AA@5555 55@2AAA A0@5555 data@address
sector erase          AA@5555 55@2AAA 80@5555 AA@5555 55@2AAA 30@sector
chip erase            AA@5555 55@2AAA 80@5555 AA@5555 55@2AAA 10@5555
reset (AMD)           F0@any
====================  =======================================================

Programming only turns bits 1 -> 0; :func:`program_range` refuses a byte that would need a
0 -> 1 change (the part would report success on SST, or DQ5 on AMD, and the bit stays 0).
"""

from __future__ import annotations

from enum import IntEnum

from romtool.algorithms.bus import ParallelBus
from romtool.algorithms.common import WriteReport, poll_budget_us, wait_ready
from romtool.chips.spec import ChipId, ChipSpec
from romtool.errors import ProgramFailure, VerifyError
from romtool.events import NullReporter, Reporter


class JedecCmd(IntEnum):
    """Command bytes (datasheet command tables)."""

    UNLOCK1 = 0xAA
    UNLOCK2 = 0x55
    PROGRAM = 0xA0
    ERASE_SETUP = 0x80
    CHIP_ERASE = 0x10
    SECTOR_ERASE = 0x30
    SDP_DISABLE = 0x20
    ID_ENTRY = 0x90
    ID_EXIT = 0xF0


UNLOCK_ADDR1 = 0x5555
UNLOCK_ADDR2 = 0x2AAA

PROGRAM_POLL_US = 2.0
"""Pause between status reads while a byte programs (14 µs typical on SST39SF)."""
ERASE_POLL_US = 8_000.0
"""Pause between status reads during an erase: flashrom's 8 ms habit, far below 18 ms."""
PROGRAM_RETRIES = 3
"""Extra program commands for a byte that came back with bits still 1 (a weak cell)."""


def unlock(bus: ParallelBus, spec: ChipSpec) -> None:
    """The two unlock cycles, on the address lines the part decodes."""
    mask = spec.command_mask
    bus.write_byte(UNLOCK_ADDR1 & mask, JedecCmd.UNLOCK1)
    bus.write_byte(UNLOCK_ADDR2 & mask, JedecCmd.UNLOCK2)


def command(bus: ParallelBus, spec: ChipSpec, cmd: JedecCmd) -> None:
    """Unlock, then ``cmd`` at 5555."""
    unlock(bus, spec)
    bus.write_byte(UNLOCK_ADDR1 & spec.command_mask, cmd)


def software_id(bus: ParallelBus, spec: ChipSpec) -> ChipId:
    """Read manufacturer and device id with the software id sequence, then leave id mode.

    Waits ``spec.timing.id_entry_us`` after entry (Atmel parts need 10 ms).
    """
    with bus.batch():
        command(bus, spec, JedecCmd.ID_ENTRY)
    if spec.timing.id_entry_us:
        bus.delay_us(spec.timing.id_entry_us)
    mfr, dev = bus.read_byte(0), bus.read_byte(1)
    with bus.batch():
        command(bus, spec, JedecCmd.ID_EXIT)
    if spec.timing.id_entry_us:
        bus.delay_us(spec.timing.id_entry_us)
    return ChipId(mfr, dev)


def _reset(bus: ParallelBus) -> None:
    bus.write_byte(0, JedecCmd.ID_EXIT)


def program_byte(bus: ParallelBus, spec: ChipSpec, address: int, value: int) -> int:
    """Program one byte and wait for it; returns the value read back.

    Raises:
        ProgramFailure: DQ5 reported a time-limit failure (the part was reset).
        DeviceTimeout: the part stayed busy past twice the datasheet maximum.
    """
    t = spec.timing
    with bus.batch():
        command(bus, spec, JedecCmd.PROGRAM)
        bus.write_byte(address, value)
    got, failed = wait_ready(
        bus,
        address,
        budget_us=poll_budget_us(t.byte_program_typ_us, t.byte_program_max_us),
        interval_us=PROGRAM_POLL_US,
        op="program",
        watch_dq5=True,
    )
    if failed:
        _reset(bus)
        raise ProgramFailure(
            "the part reported a program failure (DQ5)",
            op="program",
            address=address,
            expected=f"0x{value:02X}",
            hint="a bit had to go 0->1: erase the sector first",
        )
    return got


def program_range(
    bus: ParallelBus,
    spec: ChipSpec,
    start: int,
    data: bytes,
    *,
    reporter: Reporter | None = None,
) -> WriteReport:
    """Program ``data`` at ``start`` byte by byte, skipping bytes that already match.

    Each byte is read first: a byte that needs a 0 -> 1 change is refused before any command
    (the area needs an erase), and bytes that already hold their value cost one read.

    Raises:
        VerifyError: a byte needs bits set back to 1 (with the address and a hint to erase),
            or still differs after :data:`PROGRAM_RETRIES` extra attempts.
        ProgramFailure: DQ5 failure on AMD parts.
    """
    rep = reporter or NullReporter()
    rep.stage("program", len(data))
    t0 = bus.now_us()
    programmed = skipped = retries = 0
    for i, want in enumerate(data):
        addr = start + i
        have = bus.read_byte(addr)
        if have == want:
            skipped += 1
        else:
            if want & ~have & 0xFF:
                raise VerifyError(
                    "byte needs bits set back to 1",
                    op="program",
                    address=addr,
                    expected=f"0x{want:02X}",
                    actual=f"0x{have:02X}",
                    hint="erase the sector first",
                )
            got = program_byte(bus, spec, addr, want)
            attempts = 0
            while got != want and attempts < PROGRAM_RETRIES and got & want == want:
                attempts += 1
                got = program_byte(bus, spec, addr, want)
            retries += attempts
            if got != want:
                raise VerifyError(
                    f"byte did not program after {attempts + 1} attempts",
                    op="program",
                    address=addr,
                    expected=f"0x{want:02X}",
                    actual=f"0x{got:02X}",
                    hint="bits read 0 that should be 1: erase first" if want & ~got else None,
                )
            programmed += 1
        rep.progress(i + 1, len(data))
    return WriteReport(
        programmed=programmed, skipped=skipped, retries=retries, elapsed_us=bus.now_us() - t0
    )


def erase_sector(bus: ParallelBus, spec: ChipSpec, address: int) -> None:
    """Erase the sector containing ``address`` and wait until it reads blank.

    Raises:
        DeviceTimeout: the erase did not finish within its budget.
        VerifyError: the first byte of the sector is not blank afterwards.
    """
    sector = spec.sector_at(address)
    t = spec.timing
    with bus.batch():
        command(bus, spec, JedecCmd.ERASE_SETUP)
        unlock(bus, spec)
        bus.write_byte(sector.start, JedecCmd.SECTOR_ERASE)
    got, failed = wait_ready(
        bus,
        sector.start,
        budget_us=poll_budget_us(t.sector_erase_typ_us, t.sector_erase_max_us),
        interval_us=min(ERASE_POLL_US, (t.sector_erase_typ_us or ERASE_POLL_US) / 4),
        op="sector erase",
        watch_dq5=True,
    )
    if failed or got != spec.blank:
        _reset(bus)
        raise VerifyError(
            "sector did not erase",
            op="sector erase",
            address=sector.start,
            expected=f"0x{spec.blank:02X}",
            actual=f"0x{got:02X}",
        )


def erase_chip(bus: ParallelBus, spec: ChipSpec) -> None:
    """Erase the whole chip and wait for it.

    Raises:
        DeviceTimeout: the erase did not finish within its budget.
        VerifyError: address 0 is not blank afterwards.
    """
    t = spec.timing
    with bus.batch():
        command(bus, spec, JedecCmd.ERASE_SETUP)
        command(bus, spec, JedecCmd.CHIP_ERASE)
    got, failed = wait_ready(
        bus,
        0,
        budget_us=poll_budget_us(t.chip_erase_typ_us, t.chip_erase_max_us),
        interval_us=min(ERASE_POLL_US, (t.chip_erase_typ_us or ERASE_POLL_US) / 4),
        op="chip erase",
        watch_dq5=True,
    )
    if failed or got != spec.blank:
        _reset(bus)
        raise VerifyError(
            "chip did not erase",
            op="chip erase",
            address=0,
            expected=f"0x{spec.blank:02X}",
            actual=f"0x{got:02X}",
        )
