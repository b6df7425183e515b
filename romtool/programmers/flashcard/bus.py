"""The FlashCard window as a :class:`~romtool.algorithms.bus.ParallelBus`.

Bus address ``a`` is window offset ``a``: physical address ``window.base + a``. Because the base
is 32 KiB aligned (checked by :mod:`.window`), bus addresses 0x5555 and 0x2AAA reach the chip
as 0x5555 and 0x2AAA, so the host-side JEDEC algorithms run unchanged on this bus.

Every cycle goes through :class:`~romtool.programmers.transports.mmio.IsaMemory`, whose guard
refuses anything outside the mapped window and the ISA option-ROM area; this class checks the
offset first so the error names the window offset the algorithm asked for.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from romtool.programmers.flashcard.window import Window
from romtool.programmers.transports.mmio import IsaMemory, MemoryAccessRefused

BUSY_WAIT_LIMIT_US = 2000.0
"""Delays shorter than this (2 ms) spin on the monotonic clock: ``time.sleep`` may oversleep by
a scheduler tick, which would stretch every DQ7 poll. Longer delays sleep."""


class BusClock(Protocol):
    """Time as the chip sees it: the host's clock on hardware, a virtual clock in simulation."""

    def now_us(self) -> float:
        """Monotonic time in µs."""
        ...

    def delay_us(self, us: float) -> None:
        """Let at least ``us`` µs pass."""
        ...


class HostClock:
    """The host's monotonic clock; delays really wait."""

    def now_us(self) -> float:
        return time.monotonic_ns() / 1000.0

    def delay_us(self, us: float) -> None:
        if us <= 0:
            return
        if us >= BUSY_WAIT_LIMIT_US:
            time.sleep(us / 1_000_000.0)
            return
        end = time.monotonic_ns() + int(us * 1000)
        while time.monotonic_ns() < end:
            pass


class WindowBus:
    """Byte-wide bus cycles into a FlashCard window.

    Args:
        memory: the physical-memory transport (mapped over exactly ``window``).
        window: the checked window; bus addresses run from 0 to ``window.size - 1``.
        clock: the time source (:class:`HostClock` on hardware).
    """

    def __init__(self, memory: IsaMemory, window: Window, clock: BusClock) -> None:
        self.memory = memory
        self.window = window
        self.clock = clock

    def _phys(self, address: int, length: int, op: str) -> int:
        if address < 0 or address + length > self.window.size:
            raise MemoryAccessRefused(
                f"refused: window offset outside the {self.window.size // 1024} KiB window "
                f"at {self.window.base:#x}",
                op=op,
                address=address if not 0 <= address < self.window.size else self.window.size,
            )
        return self.window.base + address

    def read_byte(self, address: int) -> int:
        """One read cycle at window offset ``address``."""
        return self.memory.read_byte(self._phys(address, 1, "read"))

    def write_byte(self, address: int, value: int) -> None:
        """One write cycle (MEMW# strobe, the chip's WE#) at window offset ``address``."""
        self.memory.write_byte(self._phys(address, 1, "write"), value)

    def read_block(self, address: int, length: int) -> bytes:
        """``length`` bytes from window offset ``address`` (chip in read-array mode)."""
        return self.memory.read(self._phys(address, length, "read"), length)

    def delay_us(self, us: float) -> None:
        self.clock.delay_us(us)

    def now_us(self) -> float:
        return self.clock.now_us()

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Cycles already reach the chip back to back (one CPU store each): nothing to queue."""
        yield
