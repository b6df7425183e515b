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

The current contents of the whole range are read in one go before the first load (or given
by the caller). On a bus that queues writes (:class:`~romtool.algorithms.bus.QueuedBus`,
serprog) the pages are loaded **blind**: each load is followed, in the same timed batch, by a
delay of tBLC plus the *maximum* write cycle, so the part is idle when the next load comes,
and a run of pages is confirmed with one block read. A page that does not read back goes
through the careful path above (wait until idle, reload, poll, diagnose). Elsewhere the first
status read of a page comes right after the load window closes, and polls are cheap.

SDP sequences (AT28C256 and AT29C256 datasheets): enable = AA@5555 55@2AAA A0@5555 followed
by the data; disable = AA@5555 55@2AAA 80@5555 AA@5555 55@2AAA 20@5555.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

from romtool.algorithms.bus import ParallelBus, queues_writes, read_range
from romtool.algorithms.common import WriteReport, first_difference, poll_budget_us, poll_ready
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


ALGORITHMS = frozenset({Algorithm.EEPROM_BYTE, Algorithm.EEPROM_PAGE, Algorithm.AT29_PAGE})
"""The chip algorithms this module carries out."""
LOAD_CLOSE_MARGIN_US = 50.0
"""Wait this much beyond tBLC before polling, so the part has surely closed the load."""
PAGE_POLL_US = 100.0
"""Pause between status reads during tWC (10 ms max): 1 % resolution, few bus reads."""
PAGE_RETRIES = 2
"""Rewrites of a page that read back wrong (weak bytes) before it is reported."""
SDP_SETTLE_US = 10_000.0
"""Wait after the SDP-disable sequence: the parts run a write cycle (tWC, 10 ms max)."""
BLIND_SPAN = 1024
"""Blind page loads on a queued bus: pages confirmed by one block read lie within this many
addresses (16 pages of 64 bytes: one round trip per 16 write cycles)."""


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
    bus.delay_us(longest_write_cycle_us(spec))


def _load(bus: ParallelBus, spec: ChipSpec, address: int, data: bytes, protect: bool) -> None:
    """The page load cycles (with the SDP prefix when ``protect``); call inside a batch."""
    if protect:
        command(bus, spec, JedecCmd.PROGRAM)
    for i, value in enumerate(data):
        bus.write_byte(address + i, value)


def longest_write_cycle_us(spec: ChipSpec) -> float:
    """The longest write cycle (tWC max; :data:`SDP_SETTLE_US` when the spec has none)."""
    return spec.timing.write_cycle_max_us or SDP_SETTLE_US


def write_page(
    bus: ParallelBus, spec: ChipSpec, address: int, data: bytes, *, protect: bool = False
) -> tuple[bytes, float]:
    """Load ``data`` at ``address`` (one page), wait for the write cycle, read it back.

    On a queued bus the first status read comes after the typical write cycle (the maximum
    when the spec has no typical figure), since every read there is a round trip; elsewhere
    right after the load window closes, then every :data:`PAGE_POLL_US`.

    Returns:
        ``(read_back, load_us)``: the page as read afterwards and how long the load took on
        the bus clock (first to last cycle).
    """
    t = spec.timing
    start = bus.now_us()
    with bus.batch():
        _load(bus, spec, address, data, protect)
    load_us = bus.now_us() - start
    bus.delay_us((t.tblc_us or 0.0) + LOAD_CLOSE_MARGIN_US)
    poll_ready(
        bus,
        address + len(data) - 1,
        expect=data[-1],
        budget_us=poll_budget_us(t.write_cycle_typ_us, t.write_cycle_max_us),
        interval_us=PAGE_POLL_US,
        op="page write",
        settle_us=(t.write_cycle_us or 0.0) if queues_writes(bus) else 0.0,
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


@dataclass(frozen=True)
class _Unit:
    """One page load of a write: where, the page after the write and before it."""

    page: Range
    want: bytes
    before: bytes
    covered: int
    """Bytes of the caller's data in this page (the rest is kept from the chip)."""
    done: int
    """Bytes of the caller's data up to the end of this page (for progress)."""


def _units(
    bus: ParallelBus, spec: ChipSpec, start: int, data: bytes, have: bytes | None
) -> list[_Unit]:
    """The page loads for ``data`` at ``start``, with the chip's contents read in one go."""
    unit = _unit(spec)
    whole = spec.algorithm is Algorithm.AT29_PAGE
    span = Range.sized(start, len(data))
    region = Range(span.start - span.start % unit, -(-span.stop // unit) * unit) if whole else span
    if have is None:
        current = read_range(bus, region.start, len(region))
    else:
        if len(have) != len(data):
            raise UsageError(
                "known contents do not match the data", expected=len(data), actual=len(have)
            )
        head = read_range(bus, region.start, span.start - region.start)
        tail = read_range(bus, span.stop, region.stop - span.stop)
        current = head + have + tail
    out: list[_Unit] = []
    for rng in span.chunks(unit):
        part = data[rng.start - start : rng.stop - start]
        page = Range.sized(rng.start - rng.start % unit, unit) if whole else rng
        before = current[page.start - region.start : page.stop - region.start]
        off = rng.start - page.start
        want = before[:off] + part + before[off + len(part) :]
        out.append(_Unit(page, want, before, len(part), rng.stop - start))
    return out


def _groups(units: list[_Unit], span: int) -> Iterator[list[_Unit]]:
    """Consecutive units whose pages lie within ``span`` addresses."""
    group: list[_Unit] = []
    for u in units:
        if group and u.page.stop - group[0].page.start > span:
            yield group
            group = []
        group.append(u)
    if group:
        yield group


def program_range(
    bus: ParallelBus,
    spec: ChipSpec,
    start: int,
    data: bytes,
    *,
    sdp: SdpAction = SdpAction.LEAVE,
    have: bytes | None = None,
    reporter: Reporter | None = None,
) -> WriteReport:
    """Write ``data`` at ``start`` page by page, skipping pages that already match.

    28C parts get only the bytes of each page that ``data`` covers; AT29 parts always get
    whole sectors (current contents merged with ``data``).

    Args:
        bus, spec, start, data: where and what.
        sdp: what to do about software data protection.
        have: the chip's current bytes at ``[start, start + len(data))`` when the caller
            knows them (AT29 sector edges outside that range are still read); every page
            written is read back regardless. None: read them.
        reporter: progress, in bytes of ``data``.

    Raises:
        ProgramFailure: write-protected part (with ``sdp=LEAVE``) or a page load slower than
            tBLC allows.
        VerifyError: a page still differs after :data:`PAGE_RETRIES` rewrites.
        UsageError: ``sdp`` asks for something the part does not have, or ``have`` is not as
            long as ``data``.
    """
    if spec.algorithm not in ALGORITHMS:
        raise UsageError(f"{spec.name} is not a page-write part ({spec.algorithm})")
    if sdp is not SdpAction.LEAVE and spec.sdp is SdpMode.NONE:
        raise UsageError(f"{spec.name} has no software data protection")
    rep = reporter or NullReporter()
    t0 = bus.now_us()
    if sdp is SdpAction.UNLOCK:
        sdp_disable(bus, spec)
    rep.stage("program", len(data))
    units = _units(bus, spec, start, data, have)
    protect = sdp is SdpAction.PROTECT
    blind = queues_writes(bus)
    programmed = skipped = retries = 0
    for group in _groups(units, BLIND_SPAN) if blind else ([u] for u in units):
        changed = [u for u in group if u.before != u.want]
        ok: set[int] = set()
        if blind and changed:
            ok = _load_blind(bus, spec, changed, protect)
        for u in group:
            if u.before == u.want:
                skipped += u.covered
            else:
                if u.page.start not in ok:
                    retries += _write_checked(bus, spec, u, sdp, tried=1 if blind else 0)
                programmed += u.covered
            rep.progress(u.done, len(data))
    return WriteReport(
        programmed=programmed, skipped=skipped, retries=retries, elapsed_us=bus.now_us() - t0
    )


def _load_blind(bus: ParallelBus, spec: ChipSpec, units: list[_Unit], protect: bool) -> set[int]:
    """Load ``units`` back to back, each followed by tBLC and the maximum write cycle, then
    read them back in one block. Returns the start addresses of the pages that read back."""
    settle = (spec.timing.tblc_us or 0.0) + LOAD_CLOSE_MARGIN_US + longest_write_cycle_us(spec)
    for u in units:
        with bus.batch():
            _load(bus, spec, u.page.start, u.want, protect)
            bus.delay_us(settle)
    lo, hi = units[0].page.start, units[-1].page.stop
    got = read_range(bus, lo, hi - lo)
    return {u.page.start for u in units if got[u.page.start - lo : u.page.stop - lo] == u.want}


def _write_checked(bus: ParallelBus, spec: ChipSpec, u: _Unit, sdp: SdpAction, tried: int) -> int:
    """Write one page with polling until it reads back, after ``tried`` blind loads.

    Returns:
        The rewrites needed (loads after the first).

    Raises:
        ProgramFailure, VerifyError: as :func:`_diagnose` decides.
    """
    t = spec.timing
    if tried:
        # A blind load did not read back: the part may still be in a write cycle.
        poll_ready(
            bus,
            u.page.stop - 1,
            expect=None,
            budget_us=poll_budget_us(t.write_cycle_typ_us, t.write_cycle_max_us),
            interval_us=PAGE_POLL_US,
            op="page write",
        )
    writes = tried
    rewrites = 0
    while True:
        got, load_us = write_page(bus, spec, u.page.start, u.want, protect=sdp is SdpAction.PROTECT)
        if writes:
            rewrites += 1
        writes += 1
        if got == u.want:
            return rewrites
        error = _diagnose(spec, u.page.start, u.before, u.want, got, load_us, sdp)
        if not isinstance(error, VerifyError) or writes > PAGE_RETRIES:
            raise error


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
    got, _failed = poll_ready(
        bus,
        0,
        expect=spec.blank,
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
