"""Page-load writes: 28C EEPROMs (byte and page mode) and AT29C-style page flash.

A page (28C) or sector (AT29) is loaded with consecutive write cycles, each within tBLC of
the previous one; the part then writes it during tWC. We:

1. load the page inside ``bus.batch()`` (so a serial bus sends it back to back), preceded by
   the SDP prefix AA@5555 55@2AAA A0@5555 when asked to write protected;
2. wait tBLC (plus :data:`LOAD_CLOSE_MARGIN_US`) so the load window is closed and the write
   cycle has begun -- polling earlier could read the *old* byte and stop too soon;
3. poll the toggle bit until the part is idle, and read the page back.

A page that does not read back is diagnosed, never silently half-written:

* nothing changed and the part has SDP: it is write-protected (unlocked only on request);
* some bytes changed and the load took longer than tBLC per byte: the bus is too slow;
* otherwise the page is retried up to :data:`PAGE_RETRIES` times, then reported.

AT29 parts erase the whole sector before programming it and leave bytes that were not loaded
indeterminate, so :func:`program_range` always loads whole sectors, merging new data into the
sector's current contents.

SDP sequences (AT28C256 and AT29C256 datasheets): enable = AA@5555 55@2AAA A0@5555 followed
by the data; disable = AA@5555 55@2AAA 80@5555 AA@5555 55@2AAA 20@5555.
"""

from __future__ import annotations

from enum import StrEnum

from romtool.algorithms.bus import ParallelBus, read_range
from romtool.algorithms.common import WriteReport, first_difference, poll_budget_us, wait_ready
from romtool.algorithms.jedec import UNLOCK_ADDR1, JedecCmd, command, unlock
from romtool.chips.spec import Algorithm, ChipSpec, SdpMode
from romtool.errors import ProgramFailure, UsageError, VerifyError
from romtool.events import NullReporter, Reporter
from romtool.ranges import Range


class SdpAction(StrEnum):
    """What to do about software data protection when writing."""

    LEAVE = "leave"
    """Write plainly; a locked part ignores the writes and the write fails with a hint."""
    UNLOCK = "unlock"
    """Send the SDP-disable sequence first; the part stays unprotected."""
    PROTECT = "protect"
    """Prefix every page with AA/55/A0: works on locked parts and leaves them locked."""


LOAD_CLOSE_MARGIN_US = 50.0
"""Wait this much beyond tBLC before polling, so the part has surely closed the load."""
PAGE_POLL_US = 100.0
"""Pause between status reads during tWC (10 ms max): 1 % resolution, few bus reads."""
PAGE_RETRIES = 2
"""Rewrites of a page that read back wrong (weak bytes) before it is reported."""
SDP_SETTLE_US = 10_000.0
"""Wait after the SDP-disable sequence: the parts run a write cycle (tWC, 10 ms max)."""


def _unit(spec: ChipSpec) -> int:
    return max(1, spec.page_size)


def sdp_disable(bus: ParallelBus, spec: ChipSpec) -> None:
    """Send the SDP-disable sequence and wait one write cycle.

    Raises:
        UsageError: the part has no software data protection.
    """
    if spec.sdp is not SdpMode.OPTIONAL:
        raise UsageError(f"{spec.name} has no software data protection to disable")
    with bus.batch():
        command(bus, spec, JedecCmd.ERASE_SETUP)
        command(bus, spec, JedecCmd.SDP_DISABLE)
    bus.delay_us(spec.timing.write_cycle_max_us or SDP_SETTLE_US)


def write_page(
    bus: ParallelBus, spec: ChipSpec, address: int, data: bytes, *, protect: bool = False
) -> tuple[bytes, float]:
    """Load ``data`` at ``address`` (one page), wait for the write cycle, read it back.

    Returns:
        ``(read_back, load_us)``: the page as read afterwards and how long the load took on
        the bus clock (first to last cycle).
    """
    t = spec.timing
    start = bus.now_us()
    with bus.batch():
        if protect:
            command(bus, spec, JedecCmd.PROGRAM)
        for i, value in enumerate(data):
            bus.write_byte(address + i, value)
    load_us = bus.now_us() - start
    bus.delay_us((t.tblc_us or 0.0) + LOAD_CLOSE_MARGIN_US)
    wait_ready(
        bus,
        address + len(data) - 1,
        budget_us=poll_budget_us(t.write_cycle_typ_us, t.write_cycle_max_us),
        interval_us=PAGE_POLL_US,
        op="page write",
    )
    return read_range(bus, address, len(data)), load_us


def _diagnose(
    spec: ChipSpec,
    address: int,
    before: bytes,
    want: bytes,
    got: bytes,
    load_us: float,
    sdp: SdpAction,
) -> Exception:
    index = first_difference(got, want) or 0
    where = address + index
    expected, actual = f"0x{want[index]:02X}", f"0x{got[index]:02X}"
    tblc = spec.timing.tblc_us
    if got == before and spec.sdp is SdpMode.OPTIONAL and sdp is SdpAction.LEAVE:
        return ProgramFailure(
            "the chip ignored the write: software data protection is on",
            op="page write",
            hint="allow unlocking (SDP disable) or write with SDP protection",
            address=where,
            expected=expected,
            actual=actual,
        )
    if tblc is not None and len(want) > 1 and load_us > tblc * (len(want) - 1):
        return ProgramFailure(
            f"page load too slow: {len(want)} bytes took {load_us:.0f} us, but each byte "
            f"must follow the previous within tBLC {tblc:g} us; the page is incomplete",
            op="page write",
            hint="use a programmer that loads pages on the device, or a faster link",
            address=where,
            expected=expected,
            actual=actual,
        )
    return VerifyError(
        "page did not program", op="page write", address=where, expected=expected, actual=actual
    )


def program_range(
    bus: ParallelBus,
    spec: ChipSpec,
    start: int,
    data: bytes,
    *,
    sdp: SdpAction = SdpAction.LEAVE,
    reporter: Reporter | None = None,
) -> WriteReport:
    """Write ``data`` at ``start`` page by page, skipping pages that already match.

    28C parts get only the bytes of each page that ``data`` covers; AT29 parts always get
    whole sectors (current contents merged with ``data``).

    Raises:
        ProgramFailure: write-protected part (with ``sdp=LEAVE``) or a page load slower than
            tBLC allows.
        VerifyError: a page still differs after :data:`PAGE_RETRIES` rewrites.
        UsageError: ``sdp`` asks for something the part does not have.
    """
    if spec.algorithm not in (Algorithm.EEPROM_BYTE, Algorithm.EEPROM_PAGE, Algorithm.AT29_PAGE):
        raise UsageError(f"{spec.name} is not a page-write part ({spec.algorithm})")
    if sdp is not SdpAction.LEAVE and spec.sdp is SdpMode.NONE:
        raise UsageError(f"{spec.name} has no software data protection")
    rep = reporter or NullReporter()
    whole_units = spec.algorithm is Algorithm.AT29_PAGE
    unit = _unit(spec)
    t0 = bus.now_us()
    if sdp is SdpAction.UNLOCK:
        sdp_disable(bus, spec)
    rep.stage("program", len(data))
    programmed = skipped = retries = 0
    for rng in Range.sized(start, len(data)).chunks(unit):
        want_part = data[rng.start - start : rng.stop - start]
        if whole_units:
            page = Range.sized(rng.start - rng.start % unit, unit)
            before = read_range(bus, page.start, unit)
            off = rng.start - page.start
            want = before[:off] + want_part + before[off + len(want_part) :]
        else:
            page = rng
            before = read_range(bus, page.start, len(page))
            want = want_part
        if before == want:
            skipped += len(want_part)
        else:
            attempt = 0
            while True:
                got, load_us = write_page(
                    bus, spec, page.start, want, protect=sdp is SdpAction.PROTECT
                )
                if got == want:
                    break
                error = _diagnose(spec, page.start, before, want, got, load_us, sdp)
                if not isinstance(error, VerifyError) or attempt >= PAGE_RETRIES:
                    raise error
                attempt += 1
                retries += 1
            programmed += len(want_part)
        rep.progress(rng.stop - start, len(data))
    return WriteReport(
        programmed=programmed, skipped=skipped, retries=retries, elapsed_us=bus.now_us() - t0
    )


def erase_chip(bus: ParallelBus, spec: ChipSpec) -> None:
    """Chip erase for page flash (AA/55/80/AA/55/10) and wait for it.

    The erase command carries its own unlock prefix, so it works on a locked part. Its
    duration is not in our sources for these parts; the poll budget falls back to tWC max.

    Raises:
        UsageError: the part is not page flash (28C parts have no chip-erase command).
        VerifyError: address 0 is not blank afterwards.
    """
    if spec.algorithm is not Algorithm.AT29_PAGE:
        raise UsageError(f"{spec.name} has no chip-erase command")
    t = spec.timing
    with bus.batch():
        command(bus, spec, JedecCmd.ERASE_SETUP)
        unlock(bus, spec)
        bus.write_byte(UNLOCK_ADDR1 & spec.command_mask, JedecCmd.CHIP_ERASE)
    bus.delay_us(LOAD_CLOSE_MARGIN_US)
    got, _failed = wait_ready(
        bus,
        0,
        budget_us=poll_budget_us(t.chip_erase_typ_us, t.chip_erase_max_us or t.write_cycle_max_us),
        interval_us=PAGE_POLL_US,
        op="chip erase",
    )
    if got != spec.blank:
        raise VerifyError(
            "chip did not erase",
            op="chip erase",
            address=0,
            expected=f"0x{spec.blank:02X}",
            actual=f"0x{got:02X}",
        )
