"""Pieces every chip algorithm shares: status polling, verify, blank check, results.

Status polling (28C, 29C, 39SF, 29F datasheets, "write operation status"):

* **Data# polling (DQ7)** reads the complement of the written bit 7 while busy; true data
  means the operation is over. The other bits may still change on that same read (AMD: "DQ7
  may change asynchronously with DQ0-DQ6"), so the byte is read once more.
* **Toggle bit (DQ6)** flips on every read cycle while the part is busy, whatever the time
  between the reads and whichever address they hit. Two successive reads that agree in DQ6
  mean the part was idle at the second one, whose value is then array content.
* **DQ5** (AMD): the operation exceeded its internal time limit. If DQ6 still toggles after
  DQ5 went high, the operation failed and the part needs a reset (F0).

:func:`poll_ready` uses both: each poll is one read; while Data# says busy the next read comes
after a pause, and once DQ7 shows true data (or the expected value is unknown) a second read
follows at once and the toggle bit decides. A byte that never programs (DQ7 never true) still
ends the poll as soon as two reads agree in DQ6, and the caller judges the value. Polling runs
on the bus clock with a :class:`~romtool.timeout.Timeout`, so over a simulated chip it runs in
virtual time. ``settle_us`` sleeps the typical busy time before the first read (flashrom's
habit for erases): on a serial bus every read is a round trip, so reading early only costs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

from romtool.algorithms.bus import ParallelBus, read_range, seconds_clock
from romtool.errors import BlankCheckError, DeviceTimeout, VerifyError
from romtool.events import NullReporter, Reporter
from romtool.timeout import Timeout


class StatusBit(IntEnum):
    """Write-operation status bits (datasheet "DQ" status tables)."""

    DQ7_DATA_POLL = 0x80
    DQ6_TOGGLE = 0x40
    DQ5_TIME_LIMIT = 0x20
    DQ3_ERASE_TIMER = 0x08


TIMEOUT_FACTOR = 10.0
"""Budget for a poll when only a typical time is known: 10x typical (flash erase maxima are
usually 5-10x the typical figure)."""
TIMEOUT_FLOOR_US = 1_000.0
"""No poll gives up sooner than 1 ms: covers a slow host bus between the last cycle and the
first status read."""


def poll_budget_us(typ_us: float | None, max_us: float | None) -> float:
    """How long to poll: twice the datasheet maximum, else TIMEOUT_FACTOR x typical."""
    if max_us is not None:
        return max(TIMEOUT_FLOOR_US, 2.0 * max_us)
    if typ_us is not None:
        return max(TIMEOUT_FLOOR_US, TIMEOUT_FACTOR * typ_us)
    return TIMEOUT_FLOOR_US


def _idle(first: int, second: int) -> bool:
    """Two successive reads that agree in DQ6: the part was idle at the second."""
    return (first ^ second) & StatusBit.DQ6_TOGGLE == 0


def poll_ready(
    bus: ParallelBus,
    address: int,
    *,
    expect: int | None,
    budget_us: float,
    interval_us: float,
    op: str,
    watch_dq5: bool = False,
    settle_us: float = 0.0,
) -> tuple[int, bool]:
    """Wait until the part is idle, with Data# and toggle-bit polling (see module).

    Args:
        bus: the bus.
        address: an address inside the operation (the byte programmed, the last byte of a
            page load, a sector being erased).
        expect: the value the operation leaves at ``address`` (the programmed byte, the blank
            value after an erase); None when unknown (toggle bit only).
        budget_us: time budget on the bus clock, counted from the call (``settle_us``
            included).
        interval_us: pause between polls while the part reports busy.
        op: operation name for the timeout error.
        watch_dq5: stop early when DQ5 reports a time-limit failure (AMD parts).
        settle_us: wait this long before the first read (the typical busy time).

    Returns:
        ``(value, failed)``: the value read at ``address`` once idle (the caller compares it
        with what it wanted) and whether DQ5 reported a failure (the part is then still busy
        and needs a reset).

    Raises:
        DeviceTimeout: still busy after ``budget_us``.
    """
    timeout = Timeout(budget_us / 1_000_000.0, clock=seconds_clock(bus))
    if settle_us > 0:
        bus.delay_us(settle_us)
    last: int | None = None
    while True:
        value = bus.read_byte(address)
        if last is not None and _idle(last, value):
            return value, False
        if expect is None or (value ^ expect) & StatusBit.DQ7_DATA_POLL == 0:
            # Data# shows true data (or cannot tell): the next read decides, at once.
            again = bus.read_byte(address)
            if _idle(value, again):
                return again, False
            value = again
        if watch_dq5 and value & StatusBit.DQ5_TIME_LIMIT:
            # Datasheet rule: re-read twice; still toggling means the operation failed.
            a, b = bus.read_byte(address), bus.read_byte(address)
            return b, not _idle(a, b)
        if timeout.expired:
            # On a slow bus (a serial round trip per read) the budget can run out between two
            # reads while the part finished long ago: look once more before blaming the part.
            a, b = bus.read_byte(address), bus.read_byte(address)
            if _idle(a, b):
                return b, False
            raise DeviceTimeout(f"still busy after {budget_us / 1000:g} ms", op=op, address=address)
        last = value
        bus.delay_us(interval_us)


@dataclass(frozen=True)
class WriteReport:
    """What a program run did.

    Attributes:
        programmed: bytes written (program pulses, program commands or page loads).
        skipped: bytes left alone because they already held the wanted value.
        erased: bytes erased first (sector or chip erase).
        pulses: EPROM pulses applied in total (0 for other parts).
        worst: ``(address, pulses)`` of the byte that needed the most pulses, or None.
        retries: program attempts repeated (weak bytes, pages rewritten).
        elapsed_us: bus time the run took.
    """

    programmed: int = 0
    skipped: int = 0
    erased: int = 0
    pulses: int = 0
    worst: tuple[int, int] | None = None
    retries: int = 0
    elapsed_us: float = 0.0
    histogram: tuple[tuple[int, int], ...] = field(default=())
    """EPROM: (pulses needed, number of bytes) pairs, sorted."""


def first_difference(have: bytes, want: bytes) -> int | None:
    """Index of the first byte that differs, or None when equal."""
    if have == want:
        return None
    for i, (a, b) in enumerate(zip(have, want, strict=False)):
        if a != b:
            return i
    return min(len(have), len(want))


def verify_range(bus: ParallelBus, start: int, want: bytes, *, op: str = "verify") -> None:
    """Read ``len(want)`` bytes from ``start`` and compare.

    Raises:
        VerifyError: at the first differing address, with expected/actual bytes and a hint
            when the difference needs an erase (a wanted 1 where the chip has 0).
    """
    have = read_range(bus, start, len(want))
    index = first_difference(have, want)
    if index is None:
        return
    got, wanted = have[index], want[index]
    hint = None
    if wanted & ~got & 0xFF:
        hint = "bits that must be 1 read 0: the block needs an erase first"
    raise VerifyError(
        "chip does not hold the data",
        op=op,
        address=start + index,
        expected=f"0x{wanted:02X}",
        actual=f"0x{got:02X}",
        hint=hint,
    )


def blank_check(
    bus: ParallelBus,
    start: int,
    length: int,
    *,
    blank: int = 0xFF,
    chunk: int = 4096,
    reporter: Reporter | None = None,
) -> None:
    """Check that ``[start, start + length)`` reads as ``blank``.

    Raises:
        BlankCheckError: at the first address that is not blank.
    """
    rep = reporter or NullReporter()
    rep.stage("blank check", length)
    pos = start
    while pos < start + length:
        n = min(chunk, start + length - pos)
        data = read_range(bus, pos, n)
        stripped = data.lstrip(bytes([blank]))
        if stripped:
            index = n - len(stripped)
            raise BlankCheckError(
                "chip is not blank",
                op="blank check",
                address=pos + index,
                expected=f"0x{blank:02X}",
                actual=f"0x{data[index]:02X}",
            )
        pos += n
        rep.progress(pos - start, length)
