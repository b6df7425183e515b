"""The bus the host-side chip algorithms speak to.

A :class:`ParallelBus` is a chip socket as raw bus cycles: read a byte, write a byte (a WE
pulse with address and data), wait, and know the time. Raw-bus programmers (the ISA
FlashCard, serprog's parallel mode, TommyPROM's poke commands) and the test adapter over the
simulated chip models implement it; the algorithms in this package use nothing else.

:class:`ProgrammingBus` adds what EPROMs need: VCC and VPP levels, a program pulse of a given
width, and the A9-at-12-V signature read.

Timing model:

* ``now_us()`` is the bus's clock in µs. On hardware it is the host's monotonic clock; over a
  simulated chip it is the model's virtual clock, so a polling loop's timeout runs in virtual
  time and a test of a 10 ms write takes no real time.
* ``delay_us(n)`` waits at least ``n`` µs as the chip sees it.
* ``batch()`` marks a timing-critical sequence (an SDP unlock plus a page load that must keep
  every byte within tBLC of the previous one). A bus that would otherwise send one cycle per
  round trip (serial programmers) queues the writes and delays made inside the block and
  sends them together on exit, so the chip sees them back to back. Only writes and delays may
  be issued inside a batch; a read inside one is a programming error (it would have to flush
  the queue, which breaks the timing the batch exists for).

Optional extras: a :class:`BlockReadBus` reads a range in one go, and a :class:`QueuedBus`
(serprog) says that its writes and delays are queued on the device while every read is a host
round trip, so the algorithms program blind and confirm by block reads instead of polling
status over the link.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Protocol, runtime_checkable


@runtime_checkable
class ParallelBus(Protocol):
    """Byte-wide access to a chip in a socket (address lines A0..An, data D0..D7)."""

    def read_byte(self, address: int) -> int:
        """One read cycle (CE and OE low) at ``address``; returns 0..255."""
        ...

    def write_byte(self, address: int, value: int) -> None:
        """One write cycle (a WE pulse) with ``value`` at ``address``."""
        ...

    def delay_us(self, us: float) -> None:
        """Wait at least ``us`` microseconds as the chip sees it."""
        ...

    def now_us(self) -> float:
        """The bus clock in µs (monotonic; virtual over a simulated chip)."""
        ...

    def batch(self) -> AbstractContextManager[None]:
        """A context in which writes and delays are delivered back to back (see module)."""
        ...


@runtime_checkable
class BlockReadBus(Protocol):
    """Optional: a bus that reads a range in one go (much faster over a serial link)."""

    def read_block(self, address: int, length: int) -> bytes:
        """``length`` bytes from ``address``, as consecutive read cycles."""
        ...


@runtime_checkable
class QueuedBus(Protocol):
    """Optional: a bus that queues writes and delays on the device (serprog's operation buffer).

    On such a bus a write cycle or a delay costs only its bytes on the wire: the device runs
    them later without the host waiting, while every read is a host round trip that first
    runs what was queued. The algorithms then send many timed program sequences blind (each
    followed by the part's maximum busy time, so the next one finds it idle) and confirm them
    all with one block read, instead of polling a status bit over the link byte by byte.
    """

    def queues_writes(self) -> bool:
        """True when writes and delays are queued and reads are round trips."""
        ...


@runtime_checkable
class ProgrammingBus(ParallelBus, Protocol):
    """A :class:`ParallelBus` that can also drive EPROM programming voltages.

    Voltages are in mV. ``set_vpp(None)`` returns the VPP pin to its read level (VCC or the
    pin's normal function, e.g. OE on a 27C512).
    """

    def set_vcc(self, mv: int) -> None:
        """Set the socket's VCC (5000 for reads, 6250/6500 while programming 27C parts)."""
        ...

    def set_vpp(self, mv: int | None) -> None:
        """Apply ``mv`` to the VPP pin, or remove VPP with None."""
        ...

    def program_pulse(self, address: int, value: int, width_us: float) -> None:
        """Put ``value`` on the data lines at ``address`` and pulse CE/PGM for ``width_us``.

        VPP must already be applied; the bus does not check whether the byte programmed
        (the algorithm verifies with :meth:`ParallelBus.read_byte`).
        """
        ...

    def read_signature(self, address: int) -> int:
        """A read cycle with A9 held at 12 V: A0 = 0 gives the manufacturer, 1 the device."""
        ...


def read_range(bus: ParallelBus, address: int, length: int) -> bytes:
    """``length`` bytes from ``address``, with the bus's block read when it has one."""
    if isinstance(bus, BlockReadBus):
        return bus.read_block(address, length)
    return bytes(bus.read_byte(address + i) for i in range(length))


def queues_writes(bus: ParallelBus) -> bool:
    """Whether ``bus`` queues writes and delays (see :class:`QueuedBus`).

    Asked once per byte programmed, so it looks the method up directly: an ``isinstance``
    check against a runtime protocol costs more than the memory-window byte program itself.
    """
    method = getattr(bus, "queues_writes", None)
    return callable(method) and bool(method())


def seconds_clock(bus: ParallelBus) -> Callable[[], float]:
    """The bus clock in seconds, for :class:`romtool.timeout.Timeout`."""
    return lambda: bus.now_us() / 1_000_000.0
