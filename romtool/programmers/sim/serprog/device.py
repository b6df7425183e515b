"""A simulated serprog device with a parallel bus and a datasheet chip model in its socket.

It behaves like one of the parallel-capable libfrser boards the protocol notes describe (an
AVR with a parallel flash socket): byte-exact serprog interface version 1, parallel bus only,
an operation buffer, and address lines as reported by Q_CHIPSIZE. Every bus cycle goes to a
:class:`~romtool.programmers.sim.chips.base.ChipModel` on the model's virtual clock, so
flashrom (over TCP) and romtool's own driver (in process) drive the same datasheet behaviour.

What the device does with each command is written from the protocol description, not from the
host code in this package (only the opcode table in :mod:`romtool.programmers.serprog.protocol`
is shared); real flashrom talking to it over TCP is the independent check.

Device-side rules modeled:

* Commands outside the command map, and malformed parameters (a zero or too long R_NBYTES,
  an O_WRITEN longer than Q_WRNMAXLEN, an S_BUSTYPE asking for a bus the board lacks), are
  answered with NAK; their parameter bytes are consumed first, as a real parser does.
* Addresses are masked to the board's address lines (flashrom addresses parallel chips just
  below 4 GiB and sends the low 24 bits); the chip model then ignores lines it does not have.
* O_WRITEB/O_WRITEN/O_DELAY are queued in the operation buffer; an operation that does not
  fit is refused with NAK and not queued. O_EXEC runs and clears the buffer; O_INIT clears it.
* With S_PIN_STATE(0) the bus drivers are off: reads float to 0xFF and writes are lost.
* UART receive buffer (when ``config.serbuf`` is below 0xFFFF): bytes that arrive while the
  device is busy (running an O_EXEC, a long read) pile up; what does not fit in ``serbuf``
  bytes is lost and counted in :attr:`DeviceStats.overflows`. A host that honours Q_SERBUF
  never triggers it. Over TCP (flow control) the model is off.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from romtool.programmers.serprog.protocol import (
    ACK,
    INTERFACE_VERSION,
    MAX_24BIT,
    NAK,
    PARAMS,
    PGMNAME_BYTES,
    BusType,
    Cmd,
    encode_cmdmap,
    le,
    opbuf_cost,
    u16,
    u24,
)
from romtool.programmers.sim.chips.base import FLOATING_BUS, ChipModel

COMMAND_US = 4.0
"""Device time to receive-dispatch one command on a 16 MHz AVR (about 64 instructions;
estimate, not measured)."""
CYCLE_US = 1.0
"""Device time per bus cycle on top of the chip's own cycle time: setting the address ports
(or shifting a 74HC595 chain) and strobing OE/WE (estimate)."""
FLOW_CONTROLLED = 0xFFFF
"""Q_SERBUF value meaning "flow control is guaranteed": the receive model is off."""

PARALLEL_COMMANDS = frozenset(
    {
        Cmd.NOP,
        Cmd.Q_IFACE,
        Cmd.Q_CMDMAP,
        Cmd.Q_PGMNAME,
        Cmd.Q_SERBUF,
        Cmd.Q_BUSTYPE,
        Cmd.Q_CHIPSIZE,
        Cmd.Q_OPBUF,
        Cmd.Q_WRNMAXLEN,
        Cmd.R_BYTE,
        Cmd.R_NBYTES,
        Cmd.O_INIT,
        Cmd.O_WRITEB,
        Cmd.O_WRITEN,
        Cmd.O_DELAY,
        Cmd.O_EXEC,
        Cmd.SYNCNOP,
        Cmd.Q_RDNMAXLEN,
        Cmd.S_BUSTYPE,
        Cmd.S_PIN_STATE,
    }
)
"""What a parallel-only board implements (no SPI commands)."""
_OPCODES = frozenset(int(c) for c in Cmd)


@dataclass(frozen=True)
class DeviceConfig:
    """The board's fixed answers and limits.

    Attributes:
        name: Q_PGMNAME (at most 16 bytes).
        serbuf: Q_SERBUF: UART receive buffer in bytes (0xFFFF: flow controlled).
        opbuf: Q_OPBUF: operation-buffer size in bytes.
        address_lines: Q_CHIPSIZE: address lines wired to the socket (19: 512 KiB, the
            ATmega644 board's count).
        wrnmaxlen: Q_WRNMAXLEN: longest O_WRITEN (0 = 2**24).
        rdnmaxlen: Q_RDNMAXLEN: longest R_NBYTES (0 = 2**24).
        buses: Q_BUSTYPE.
        commands: the command map.
    """

    name: str = "romtool sim"
    serbuf: int = 256
    opbuf: int = 2048
    address_lines: int = 19
    wrnmaxlen: int = 256
    rdnmaxlen: int = 4096
    buses: BusType = BusType.PARALLEL
    commands: frozenset[Cmd] = PARALLEL_COMMANDS

    def __post_init__(self) -> None:
        if len(self.name.encode()) > PGMNAME_BYTES:
            raise ValueError(f"programmer name {self.name!r} is longer than 16 bytes")
        if not 1 <= self.address_lines <= 24:
            raise ValueError(f"address lines {self.address_lines}: expected 1..24")


@dataclass
class DeviceStats:
    """What the device saw (for tests and benchmarks)."""

    commands: int = 0
    naks: int = 0
    execs: int = 0
    overflows: int = 0
    opbuf_peak: int = 0
    by_command: dict[int, int] = field(default_factory=dict)


Output = Callable[[bytes, float], None]
"""Where answers go: ``output(data, t_us)`` with the device time they leave at."""


class SerprogDevice:
    """The device side of serprog over a chip model.

    Args:
        chip: the part in the socket (its clock is the device's clock).
        config: the board's answers and limits.
        output: receives answers; set by the port or server that carries the bytes.
    """

    def __init__(
        self, chip: ChipModel, config: DeviceConfig | None = None, output: Output | None = None
    ) -> None:
        self.chip = chip
        self.config = config or DeviceConfig()
        self.output: Output = output or (lambda data, t: None)
        self.stats = DeviceStats()
        self.pins_on = True
        self.bus = BusType.PARALLEL
        self._rx: deque[tuple[float, int]] = deque()
        self._ops: list[tuple[Cmd, int, bytes | int]] = []
        self._opbuf_used = 0
        self._mask = (1 << self.config.address_lines) - 1

    @property
    def clock_us(self) -> float:
        return self.chip.clock.now_us()

    # --- byte stream -------------------------------------------------------------------------

    def receive(self, data: bytes, t0_us: float | None = None, dt_us: float = 0.0) -> None:
        """Bytes from the host: byte ``i`` arrives at ``t0_us + i * dt_us`` (now when None)."""
        t0 = self.clock_us if t0_us is None else t0_us
        self._rx.extend((t0 + i * dt_us, b) for i, b in enumerate(data))
        self._pump()

    def _pump(self) -> None:
        while self._rx:
            self._overflow_check()
            if not self._rx:
                return
            op = self._rx[0][1]
            # Unknown opcodes have no parameters we could know of: NAK the byte alone.
            need = 1 + (PARAMS[Cmd(op)] if op in _OPCODES else 0)
            if len(self._rx) < need:
                return
            if op in (Cmd.O_WRITEN, Cmd.O_SPIOP):
                # The data follows the fixed parameters; a too-long O_WRITEN is still
                # swallowed whole (the parser cannot resync otherwise) and NAKed afterwards.
                extra = le(bytes(self._rx[i][1] for i in range(1, 4))) or MAX_24BIT
                need += extra
                if len(self._rx) < need:
                    return
            items = [self._rx.popleft() for _ in range(need)]
            arrival = items[-1][0]
            self.chip.clock.advance_to(arrival)
            self.chip.clock.advance(COMMAND_US)
            self._execute(op, bytes(b for _, b in items[1:]))

    def _overflow_check(self) -> None:
        serbuf = self.config.serbuf
        if serbuf >= FLOW_CONTROLLED:
            return
        now = self.clock_us
        waiting = 0
        for arrival, _ in self._rx:
            if arrival >= now or waiting > serbuf:
                break
            waiting += 1
        if waiting > serbuf:
            # Count every byte that arrived into a full buffer, then drop them.
            kept = list(self._rx)
            late = [i for i, (arrival, _) in enumerate(kept) if i >= serbuf and arrival < now]
            self.stats.overflows += len(late)
            dropped = set(late)
            self._rx = deque(item for i, item in enumerate(kept) if i not in dropped)

    def _writen_max(self) -> int:
        return self.config.wrnmaxlen or MAX_24BIT

    def _rdn_max(self) -> int:
        return self.config.rdnmaxlen or MAX_24BIT

    # --- answers -----------------------------------------------------------------------------

    def _send(self, data: bytes) -> None:
        self.output(data, self.clock_us)

    def _ack(self, payload: bytes = b"") -> None:
        self._send(bytes([ACK]) + payload)

    def _nak(self) -> None:
        self.stats.naks += 1
        self._send(bytes([NAK]))

    # --- commands ----------------------------------------------------------------------------

    def _execute(self, op: int, params: bytes) -> None:
        stats = self.stats
        stats.commands += 1
        stats.by_command[op] = stats.by_command.get(op, 0) + 1
        if op not in self.config.commands:
            self._nak()
            return
        cmd = Cmd(op)
        cfg = self.config
        if cmd is Cmd.NOP:
            self._ack()
        elif cmd is Cmd.SYNCNOP:
            self._send(bytes([NAK, ACK]))
        elif cmd is Cmd.Q_IFACE:
            self._ack(u16(INTERFACE_VERSION))
        elif cmd is Cmd.Q_CMDMAP:
            self._ack(encode_cmdmap(cfg.commands))
        elif cmd is Cmd.Q_PGMNAME:
            self._ack(cfg.name.encode().ljust(PGMNAME_BYTES, b"\0"))
        elif cmd is Cmd.Q_SERBUF:
            self._ack(u16(cfg.serbuf))
        elif cmd is Cmd.Q_BUSTYPE:
            self._ack(bytes([int(cfg.buses)]))
        elif cmd is Cmd.Q_CHIPSIZE:
            self._ack(bytes([cfg.address_lines]))
        elif cmd is Cmd.Q_OPBUF:
            self._ack(u16(cfg.opbuf))
        elif cmd is Cmd.Q_WRNMAXLEN:
            self._ack(u24(cfg.wrnmaxlen))
        elif cmd is Cmd.Q_RDNMAXLEN:
            self._ack(u24(cfg.rdnmaxlen))
        elif cmd is Cmd.S_BUSTYPE:
            self._set_bus(params[0])
        elif cmd is Cmd.S_PIN_STATE:
            self.pins_on = params[0] != 0
            self._ack()
        elif cmd is Cmd.R_BYTE:
            self._ack(bytes([self._read(le(params))]))
        elif cmd is Cmd.R_NBYTES:
            self._read_n(le(params[:3]), le(params[3:6]))
        elif cmd is Cmd.O_INIT:
            self._ops.clear()
            self._opbuf_used = 0
            self._ack()
        elif cmd is Cmd.O_WRITEB:
            self._queue(Cmd.O_WRITEB, le(params[:3]), params[3], opbuf_cost(Cmd.O_WRITEB))
        elif cmd is Cmd.O_WRITEN:
            length = le(params[:3]) or MAX_24BIT
            data = params[6:]
            if length > self._writen_max():
                self._nak()
                return
            self._queue(Cmd.O_WRITEN, le(params[3:6]), data, opbuf_cost(Cmd.O_WRITEN, length))
        elif cmd is Cmd.O_DELAY:
            self._queue(Cmd.O_DELAY, 0, le(params), opbuf_cost(Cmd.O_DELAY))
        elif cmd is Cmd.O_EXEC:
            self._exec()
        else:
            # In the map but not modeled (SPI commands on a custom config).
            self._nak()

    def _set_bus(self, flags: int) -> None:
        wanted = BusType(flags & 0x0F)
        usable = wanted & self.config.buses
        if flags == 0 or not usable:
            self._nak()
            return
        self.bus = usable
        self._ack()

    def _queue(self, cmd: Cmd, address: int, value: bytes | int, cost: int) -> None:
        if self._opbuf_used + cost > self.config.opbuf:
            self._nak()
            return
        self._ops.append((cmd, address, value))
        self._opbuf_used += cost
        self.stats.opbuf_peak = max(self.stats.opbuf_peak, self._opbuf_used)
        self._ack()

    def _exec(self) -> None:
        self.stats.execs += 1
        for cmd, address, value in self._ops:
            if cmd is Cmd.O_DELAY:
                assert isinstance(value, int)
                self.chip.idle(float(value))
            elif cmd is Cmd.O_WRITEB:
                assert isinstance(value, int)
                self._write(address, value)
            else:
                assert isinstance(value, bytes)
                for i, byte in enumerate(value):
                    self._write(address + i, byte)
        self._ops.clear()
        self._opbuf_used = 0
        self._ack()

    def _read_n(self, address: int, length: int) -> None:
        if length == 0 or length > self._rdn_max():
            self._nak()
            return
        data = bytes(self._read(address + i) for i in range(length))
        self._ack(data)

    # --- bus cycles ----------------------------------------------------------------------

    def _read(self, address: int) -> int:
        self.chip.clock.advance(CYCLE_US)
        if not self.pins_on:
            return FLOATING_BUS
        return self.chip.read(address & self._mask)

    def _write(self, address: int, value: int) -> None:
        self.chip.clock.advance(CYCLE_US)
        if self.pins_on:
            self.chip.write(address & self._mask, value)
