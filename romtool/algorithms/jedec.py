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
0 -> 1 change (the part would report success on SST, or DQ5 on AMD, and the bit stays 0)
before it sends any command.

Waiting (see :mod:`romtool.algorithms.common`): after a byte program the first status read
comes after the part's typical program time, and Data# polling usually ends on that read and
the one after it; an erase first sleeps the typical erase time, then polls with pauses.

On a bus that queues writes (:class:`~romtool.algorithms.bus.QueuedBus`: serprog's operation
buffer, where every read is a serial round trip) bytes are programmed **blind**: each program
sequence is followed by a delay of the part's *maximum* byte-program time, which the datasheet
guarantees leaves it idle for the next one, and a whole run of bytes is confirmed with one
block read. Only a byte that does not read back takes the careful path: wait until the part is
idle (a DQ5 failure is reset and reported at the first byte that did not program), read the
run again, and program what differs byte by byte with polling and retries. A command that
reached a busy part is ignored by it (datasheet), so a miss costs a retry, never a wrong byte.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import IntEnum

from romtool.algorithms.bus import ParallelBus, queues_writes, read_range
from romtool.algorithms.common import (
    TIMEOUT_FACTOR,
    TIMEOUT_FLOOR_US,
    WriteReport,
    first_difference,
    poll_budget_us,
    poll_ready,
)
from romtool.chips.spec import ChipId, ChipSpec
from romtool.errors import ProgramFailure, UsageError, VerifyError
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
"""Pause between status reads while a byte programs past its typical time (14 µs typical on
SST39SF, so a late byte is seen within a few µs)."""
ERASE_POLL_US = 8_000.0
"""Pause between status reads during an erase: flashrom's 8 ms habit, far below 18 ms."""
PROGRAM_RETRIES = 3
"""Extra program commands for a byte that came back with bits still 1 (a weak cell)."""
SECTOR_ERASE_TIMER_US = 50.0
"""AMD sector erase timer: the erase starts 50 µs after the last 30@SA (DQ3 reads 0 until
then), so the settle time before the first status read adds it."""
BLIND_SPAN = 256
"""Blind programming on a queued bus: the bytes programmed between two confirming block reads
lie within this many addresses. The read-back costs one round trip plus the span's bytes on
the wire (about 1/25 of the program stream's), and a failure costs at most one span's careful
rework."""


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

    The first status read comes after the part's typical program time; Data# polling then
    usually ends with the next read (two reads per byte, where polling from the start took
    about a dozen on a memory window and one round trip each on a serial bus).

    Raises:
        ProgramFailure: DQ5 reported a time-limit failure (the part was reset).
        DeviceTimeout: the part stayed busy past twice the datasheet maximum.
    """
    t = spec.timing
    with bus.batch():
        command(bus, spec, JedecCmd.PROGRAM)
        bus.write_byte(address, value)
    got, failed = poll_ready(
        bus,
        address,
        expect=value,
        budget_us=poll_budget_us(t.byte_program_typ_us, t.byte_program_max_us),
        interval_us=PROGRAM_POLL_US,
        op="program",
        watch_dq5=True,
        settle_us=t.byte_program_typ_us or 0.0,
    )
    if failed:
        _reset(bus)
        raise _dq5_failure(address, value)
    return got


def _dq5_failure(address: int, value: int) -> ProgramFailure:
    return ProgramFailure(
        "the part reported a program failure (DQ5)",
        op="program",
        address=address,
        expected=f"0x{value:02X}",
        hint="a bit had to go 0->1: erase the sector first",
    )


def blind_program_us(spec: ChipSpec) -> float:
    """How long a blind byte program waits before the next command: the datasheet maximum
    (20 µs on SST39SF, 300 µs on Am29F010), else :data:`TIMEOUT_FACTOR` x typical."""
    t = spec.timing
    if t.byte_program_max_us is not None:
        return t.byte_program_max_us
    if t.byte_program_typ_us is not None:
        return TIMEOUT_FACTOR * t.byte_program_typ_us
    return TIMEOUT_FLOOR_US


def _refuse_zero_to_one(start: int, have: bytes, want: bytes) -> None:
    """Raise at the first byte that needs a bit set back to 1 (before any command)."""
    for i, (h, w) in enumerate(zip(have, want, strict=True)):
        if w & ~h & 0xFF:
            raise VerifyError(
                "byte needs bits set back to 1",
                op="program",
                address=start + i,
                expected=f"0x{w:02X}",
                actual=f"0x{h:02X}",
                hint="erase the sector first",
            )


def _program_checked(bus: ParallelBus, spec: ChipSpec, address: int, want: int, tried: int) -> int:
    """Program one byte with polling until it reads back, after ``tried`` earlier attempts.

    Returns:
        Program commands sent here.

    Raises:
        VerifyError: still wrong after 1 + :data:`PROGRAM_RETRIES` attempts in all, or a bit
            reads 0 that should be 1 (stuck, or the byte needs an erase).
        ProgramFailure: DQ5 failure on AMD parts.
    """
    sent = 0
    got = -1
    while True:
        got = program_byte(bus, spec, address, want)
        sent += 1
        if got == want or got & want != want or tried + sent > PROGRAM_RETRIES:
            break
    if got != want:
        raise VerifyError(
            f"byte did not program after {tried + sent} attempts",
            op="program",
            address=address,
            expected=f"0x{want:02X}",
            actual=f"0x{got:02X}",
            hint="bits read 0 that should be 1: erase first" if want & ~got else None,
        )
    return sent


def program_range(
    bus: ParallelBus,
    spec: ChipSpec,
    start: int,
    data: bytes,
    *,
    have: bytes | None = None,
    reporter: Reporter | None = None,
) -> WriteReport:
    """Program ``data`` at ``start``, skipping bytes that already match.

    The current contents are read first in one block (unless ``have`` gives them), and a
    byte that needs a 0 -> 1 change is refused before any command (the area needs an erase).
    Bytes that already hold their value (0xFF in an erased sector) are skipped. On a queued
    bus the others are programmed blind and confirmed per :data:`BLIND_SPAN` (see module);
    elsewhere each byte is programmed and polled.

    Args:
        bus: the bus.
        spec: the part.
        start: first chip address.
        data: the bytes to program.
        have: the chip's current bytes at ``[start, start + len(data))`` when the caller
            already knows them (a write plan, an erased sector); they decide what is skipped,
            and every programmed byte is still read back. None: read them.
        reporter: progress, in bytes of ``data``.

    Raises:
        VerifyError: a byte needs bits set back to 1 (with the address and a hint to erase),
            or still differs after :data:`PROGRAM_RETRIES` extra attempts.
        ProgramFailure: DQ5 failure on AMD parts.
        UsageError: ``have`` is not as long as ``data``.
    """
    rep = reporter or NullReporter()
    rep.stage("program", len(data))
    t0 = bus.now_us()
    if have is None:
        have = read_range(bus, start, len(data))
    elif len(have) != len(data):
        raise UsageError(
            "known contents do not match the data", expected=len(data), actual=len(have)
        )
    _refuse_zero_to_one(start, have, data)
    todo = [i for i, (h, w) in enumerate(zip(have, data, strict=True)) if h != w]
    if queues_writes(bus):
        retries = _program_blind(bus, spec, start, data, todo, rep)
    else:
        retries = 0
        for i in todo:
            retries += _program_checked(bus, spec, start + i, data[i], 0) - 1
            rep.progress(i + 1, len(data))
    rep.progress(len(data), len(data))
    return WriteReport(
        programmed=len(todo),
        skipped=len(data) - len(todo),
        retries=retries,
        elapsed_us=bus.now_us() - t0,
    )


def _spans(todo: list[int], span: int) -> Iterator[list[int]]:
    """``todo`` (sorted indices) in groups whose first and last lie within ``span``."""
    group: list[int] = []
    for i in todo:
        if group and i - group[0] >= span:
            yield group
            group = []
        group.append(i)
    if group:
        yield group


def _program_blind(
    bus: ParallelBus, spec: ChipSpec, start: int, data: bytes, todo: list[int], rep: Reporter
) -> int:
    """Blind programming on a queued bus (see module); returns the retries needed."""
    busy_us = blind_program_us(spec)
    retries = 0
    for group in _spans(todo, BLIND_SPAN):
        for i in group:
            with bus.batch():
                command(bus, spec, JedecCmd.PROGRAM)
                bus.write_byte(start + i, data[i])
                bus.delay_us(busy_us)
        lo, hi = group[0], group[-1] + 1
        got = read_range(bus, start + lo, hi - lo)
        if got != data[lo:hi]:
            retries += _rework(bus, spec, start, data, lo, hi, set(group))
        rep.progress(hi, len(data))
    return retries


def _rework(
    bus: ParallelBus, spec: ChipSpec, start: int, data: bytes, lo: int, hi: int, tried: set[int]
) -> int:
    """The careful path after a blind run ``data[lo:hi]`` did not read back.

    Waits until the part is idle (it may still be busy with a slow byte, or stuck in a DQ5
    failure, in which case every address reads status), reads the run again and programs each
    differing byte with polling. Returns the program commands sent.

    Raises:
        ProgramFailure: DQ5 failure, at the first byte of the run that did not program.
        VerifyError: as :func:`_program_checked`, or a byte reads a 0 where ``data`` has a 1.
    """
    t = spec.timing
    _value, failed = poll_ready(
        bus,
        start + lo,
        expect=None,
        budget_us=poll_budget_us(t.byte_program_typ_us, t.byte_program_max_us),
        interval_us=PROGRAM_POLL_US,
        op="program",
        watch_dq5=True,
    )
    if failed:
        _reset(bus)
    actual = read_range(bus, start + lo, hi - lo)
    if failed:
        index = lo + (first_difference(actual, data[lo:hi]) or 0)
        raise _dq5_failure(start + index, data[index])
    sent = 0
    for i in range(lo, hi):
        have, want = actual[i - lo], data[i]
        if have == want:
            continue
        if want & ~have & 0xFF:
            raise VerifyError(
                "byte reads 0 where it should be 1 after programming",
                op="program",
                address=start + i,
                expected=f"0x{want:02X}",
                actual=f"0x{have:02X}",
                hint="a stuck bit, or the sector was not erased: erase it and write again",
            )
        sent += _program_checked(bus, spec, start + i, want, 1 if i in tried else 0)
    return sent


def erase_sector(bus: ParallelBus, spec: ChipSpec, address: int) -> None:
    """Erase the sector containing ``address`` and wait until it reads blank.

    Sleeps the typical sector-erase time (plus the AMD sector erase timer) before the first
    status read, then polls every :data:`ERASE_POLL_US` (a quarter of the typical time when
    that is shorter).

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
    got, failed = poll_ready(
        bus,
        sector.start,
        expect=spec.blank,
        budget_us=poll_budget_us(t.sector_erase_typ_us, t.sector_erase_max_us),
        interval_us=min(ERASE_POLL_US, (t.sector_erase_typ_us or ERASE_POLL_US) / 4),
        op="sector erase",
        watch_dq5=True,
        settle_us=(t.sector_erase_typ_us or 0.0) + SECTOR_ERASE_TIMER_US,
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
    """Erase the whole chip and wait for it (the typical chip-erase time first, then polls).

    Raises:
        DeviceTimeout: the erase did not finish within its budget.
        VerifyError: address 0 is not blank afterwards.
    """
    t = spec.timing
    with bus.batch():
        command(bus, spec, JedecCmd.ERASE_SETUP)
        command(bus, spec, JedecCmd.CHIP_ERASE)
    got, failed = poll_ready(
        bus,
        0,
        expect=spec.blank,
        budget_us=poll_budget_us(t.chip_erase_typ_us, t.chip_erase_max_us),
        interval_us=min(ERASE_POLL_US, (t.chip_erase_typ_us or ERASE_POLL_US) / 4),
        op="chip erase",
        watch_dq5=True,
        settle_us=t.chip_erase_typ_us or 0.0,
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
