"""A serprog device's parallel bus as a :class:`~romtool.algorithms.bus.ParallelBus`.

Writes and delays go to the device's operation buffer; reads are round trips. The rules:

* **Write combining.** Writes to consecutive addresses are collected into one O_WRITEN (up to
  Q_WRNMAXLEN bytes); anything else becomes O_WRITEB. A 64-byte 28C page load is then one
  command of 71 buffer bytes instead of 64 of 5.
* **Nothing waits for ACKs** of buffered commands (see :class:`.client.SerprogClient`); a read
  first sends O_EXEC (when anything is buffered) and its own command back to back, so one
  poll of a status bit costs one round trip.
* **Batches stay whole.** Inside :meth:`SerprogBus.batch` (an SDP unlock plus a page load) the
  commands are held back and put into the operation buffer together at the end. When they do
  not fit in what is left of the buffer, the buffer is executed first; a batch larger than the
  whole buffer is refused, because splitting it over two O_EXECs would put a serial round trip
  between two bytes that must come within tBLC (the silent partial-page failure flashrom
  warns about as "executed operation buffer due to size reasons").
* Outside a batch, a full operation buffer is executed early, which is harmless there.
* A batch with long delays (:data:`RUN_AT_ONCE_US`) is executed as soon as it is complete.

Addresses are chip offsets, sent as 24 bits; the device masks them to its address lines.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

from romtool.errors import DeviceError, DeviceTimeout, ProtocolError
from romtool.programmers.serprog.client import (
    DeviceInfo,
    SerprogClient,
    WriteStreamError,
    delay_chunks,
)
from romtool.programmers.serprog.protocol import Cmd, opbuf_cost, u24, u32

US = 1_000_000.0
RUN_AT_ONCE_US = 1_000.0
"""A batch whose delays add up to this (an EEPROM write cycle, an erase) is executed as soon
as it is complete, so the device's wait overlaps the host sending the next one. Shorter ones
(a flash byte program's 20 µs) wait for the next O_EXEC: one more O_EXEC and ACK per byte
would cost more wire time than the device spends."""
_T = TypeVar("_T")


@dataclass(frozen=True)
class _Op:
    cmd: Cmd
    params: bytes
    cost: int
    delay_us: float
    what: str


@dataclass
class BusStats:
    """What the bus sent (for benchmarks and tests)."""

    reads: int = 0
    block_reads: int = 0
    writeb: int = 0
    writen: int = 0
    delays: int = 0
    execs: int = 0
    resyncs: int = 0


class SerprogBus:
    """Byte-wide bus cycles on a serprog device.

    Args:
        client: the synchronised, initialised client.
        info: what :meth:`SerprogClient.init` found.
    """

    def __init__(self, client: SerprogClient, info: DeviceInfo) -> None:
        self.client = client
        self.info = info
        self.read_retries = client.settings.retries.operation
        self.stats = BusStats()
        self._run_addr = 0
        self._run = bytearray()
        self._held: list[_Op] = []
        self._held_cost = 0
        self._batch_depth = 0
        self._opbuf_used = 0
        self._opbuf_delay_us = 0.0

    # --- ParallelBus -------------------------------------------------------------------------

    def read_byte(self, address: int) -> int:
        self._before_read("read")
        self.stats.reads += 1
        return self._retrying(partial(self.client.read_byte, address))

    def _retrying(self, read: Callable[[], _T]) -> _T:
        """Run a read; after a timeout or a refused/garbled answer, resynchronise and read
        again (reads change nothing, so they are safe to repeat)."""
        for attempt in range(self.read_retries + 1):
            try:
                return read()
            except WriteStreamError:
                raise
            except (DeviceTimeout, ProtocolError) as exc:
                if attempt == self.read_retries:
                    raise
                self.stats.resyncs += 1
                try:
                    self.client.resync()
                except (DeviceTimeout, ProtocolError):
                    raise exc from None  # the read's error names the address
                self._opbuf_used = 0
                self._opbuf_delay_us = 0.0
        raise AssertionError("unreachable")  # pragma: no cover

    def read_block(self, address: int, length: int) -> bytes:
        """``length`` bytes from ``address`` in R_NBYTES pieces of at most Q_RDNMAXLEN."""
        self._before_read("read")
        out = bytearray()
        step = self.info.rdnmaxlen
        pos = address
        end = address + length
        while pos < end:
            n = min(step, end - pos)
            self.stats.block_reads += 1
            if n > 1:
                out += self._retrying(partial(self.client.read_n, pos, n))
            else:
                out.append(self._retrying(partial(self.client.read_byte, pos)))
            pos += n
        return bytes(out)

    def write_byte(self, address: int, value: int) -> None:
        self._add_write(address, bytes([value & 0xFF]))

    def write_block(self, address: int, data: bytes) -> None:
        """Write cycles for ``data`` at consecutive addresses (combined into O_WRITEN)."""
        self._add_write(address, data)

    def delay_us(self, us: float) -> None:
        """Queue an O_DELAY: the device waits between the buffered cycles."""
        self._close_run()
        for chunk in delay_chunks(us):
            self.stats.delays += 1
            self._hold(_Op(Cmd.O_DELAY, u32(chunk), opbuf_cost(Cmd.O_DELAY), chunk, "delay"))

    def now_us(self) -> float:
        return self.client.link.now() * US

    def queues_writes(self) -> bool:
        """Writes and delays wait in the operation buffer; reads are round trips
        (:class:`~romtool.algorithms.bus.QueuedBus`)."""
        return True

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Hold the writes and delays made inside and deliver them in one O_EXEC."""
        self._batch_depth += 1
        try:
            yield
            if self._batch_depth == 1:
                self._close_run()
        finally:
            self._batch_depth -= 1
        if self._batch_depth == 0:
            self._commit_batch()

    # --- flushing ----------------------------------------------------------------------------

    def flush(self) -> None:
        """Send whatever is held and run the operation buffer; wait for every ACK."""
        self._close_run()
        self._push_held()
        self._exec()
        self.client.drain()

    def _before_read(self, what: str) -> None:
        if self._batch_depth:
            raise DeviceError(
                "a read inside a write batch would break its timing", op=what
            )  # a programming error in the caller, stated as such
        self._close_run()
        self._push_held()
        self._exec()

    def _add_write(self, address: int, data: bytes) -> None:
        limit = self.info.wrnmaxlen
        pos = 0
        while pos < len(data):
            if self._run and address + pos == self._run_addr + len(self._run):
                take = min(limit - len(self._run), len(data) - pos)
                if take <= 0:
                    self._close_run()
                    continue
                self._run += data[pos : pos + take]
                pos += take
                continue
            self._close_run()
            self._run_addr = address + pos
            take = min(limit, len(data) - pos)
            self._run = bytearray(data[pos : pos + take])
            pos += take

    def _close_run(self) -> None:
        if not self._run:
            return
        addr, data = self._run_addr, bytes(self._run)
        self._run = bytearray()
        what = f"write at 0x{addr:X}"
        if len(data) == 1 or not self.info.has(Cmd.O_WRITEN):
            for i, value in enumerate(data):
                self.stats.writeb += 1
                params = u24(addr + i) + bytes([value])
                self._hold(_Op(Cmd.O_WRITEB, params, opbuf_cost(Cmd.O_WRITEB), 0.0, what))
            return
        self.stats.writen += 1
        params = u24(len(data)) + u24(addr) + data
        self._hold(_Op(Cmd.O_WRITEN, params, opbuf_cost(Cmd.O_WRITEN, len(data)), 0.0, what))

    def _hold(self, op: _Op) -> None:
        self._held.append(op)
        self._held_cost += op.cost
        if not self._batch_depth and self._held_cost >= self.info.opbuf:
            self._push_held()

    def _commit_batch(self) -> None:
        cost = self._held_cost
        if cost > self.info.opbuf:
            self._held.clear()
            self._held_cost = 0
            raise DeviceError(
                f"a timed write sequence of {cost} buffer bytes does not fit the device's "
                f"{self.info.opbuf}-byte operation buffer",
                op="write",
                hint="this serprog board cannot keep the bytes of one page within tBLC",
            )
        waits_us = sum(op.delay_us for op in self._held)
        if self._opbuf_used + cost > self.info.opbuf:
            self._exec()
        self._push_held()
        if waits_us >= RUN_AT_ONCE_US:
            # The device then waits (a page's write cycle) while the host sends the next
            # sequence, instead of running all of them after the last one arrived.
            self._exec()

    def _push_held(self) -> None:
        for op in self._held:
            if self._opbuf_used + op.cost > self.info.opbuf:
                self._exec()
            self.client.stream(op.cmd, op.params, op.what)
            self._opbuf_used += op.cost
            self._opbuf_delay_us += op.delay_us
        self._held.clear()
        self._held_cost = 0

    def _exec(self) -> None:
        if not self._opbuf_used:
            return
        self.stats.execs += 1
        # The ACK of O_EXEC comes after the buffered delays have run on the device.
        self.client.stream(Cmd.O_EXEC, b"", "execute the operation buffer", self._opbuf_delay_us)
        self._opbuf_used = 0
        self._opbuf_delay_us = 0.0
