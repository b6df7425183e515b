"""A simulated XGecu TL866II+ or T48: the USB protocol side of the device.

:class:`SimTl866` receives bulk OUT transfers and serves bulk IN transfers the way the
protocol notes (section 1 of the protocol reference) say the device does, and hands the chip
work to :class:`~romtool.programmers.sim.tl866.firmware.Firmware`. It decodes every packet with
its own code (it shares nothing with the host driver but the facts), and records protocol
violations (wrong lengths, wrong endpoint split, commands outside a transaction) in
:attr:`SimTl866.violations` so tests can insist there are none.

Reads longer than 64 bytes on the TL866II+ alternate 64-byte packets between EP2 and EP3, and
each endpoint holds at most :data:`FIFO_PACKETS` packets the host has not taken: a host that
reads one endpoint after the other stalls and times out, as the notes warn real hardware may.

Time: USB transfers and firmware work advance the shared virtual clock (µs) by modeled amounts
(:data:`FULL_SPEED` and :data:`HIGH_SPEED` links), so benchmarks report modeled time.

Faults (:class:`SimFaults`): overcurrent, a verify-while-write error, a wrong chip id, the
bootloader, and the device being unplugged in the middle of a read.
"""

from __future__ import annotations

import errno
import struct
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from romtool.programmers.sim.chips.base import ChipModel
from romtool.programmers.sim.clock import VirtualClock
from romtool.programmers.sim.tl866.firmware import Firmware, Kind, Setup

# Device version byte (offset 6 of the system-info reply).
MODEL_TL866II_PLUS = 5
MODEL_T48 = 7

PACKET = 64
FIFO_PACKETS = 2
"""IN packets an endpoint buffers before the device must wait for the host to take them."""
INLINE_MAX = 56

# Command bytes the simulated firmware understands (TL866II+ table; the T48 uses the same).
CMD_SYSTEM_INFO = 0x00
CMD_BEGIN = 0x03
CMD_END = 0x04
CMD_READ_ID = 0x05
CMD_WRITE_CODE = 0x0C
CMD_READ_CODE = 0x0D
CMD_ERASE = 0x0E
CMD_PROTECT_OFF = 0x18
CMD_PROTECT_ON = 0x19
CMD_STATUS = 0x39

EP1_OUT, EP2_OUT, EP3_OUT = 0x01, 0x02, 0x03
EP1_IN, EP2_IN, EP3_IN = 0x81, 0x82, 0x83


@dataclass(frozen=True)
class LinkSpeed:
    """Modeled USB costs: a fixed latency per transfer plus a per-byte time."""

    name: str
    transfer_us: float
    """Per transfer: scheduling and the handshake of a synchronous bulk transfer."""
    byte_us: float
    """Per payload byte at the bulk throughput the bus gives one device."""


FULL_SPEED = LinkSpeed("12 Mbit/s", transfer_us=500.0, byte_us=1 / 1.0)
"""TL866II+: about 1 MB/s of bulk payload (19 packets of 64 bytes per 1 ms frame, less
host overhead) and about half a frame of latency per transfer (estimates)."""
HIGH_SPEED = LinkSpeed("480 Mbit/s", transfer_us=125.0, byte_us=1 / 30.0)
"""T48: about 30 MB/s of bulk payload and one 125 µs microframe per transfer (estimates)."""


class SimUsbError(Exception):
    """Raised to the backend, which turns it into the pyusb error a libusb backend raises."""

    def __init__(self, message: str, code: int, err: int) -> None:
        super().__init__(message)
        self.code = code
        self.errno = err


NO_DEVICE = (-4, errno.ENODEV)
TIMEOUT = (-7, errno.ETIMEDOUT)
PIPE = (-9, errno.EPIPE)


@dataclass
class SimFaults:
    """Injected device faults.

    Attributes:
        overcurrent_after: report overcurrent on the status poll after this many data blocks
            of a transaction (0: right after begin transaction), then power the socket down.
        verify_error_at: the firmware's verify-while-write reports a mismatch at this chip
            address (device value = wanted value XOR 0x01).
        wrong_id: the chip-id reply carries this 16-bit id instead of the chip's.
        bootloader: the device answers system info from its bootloader (firmware minor 0).
        unplug_after_reads: the device vanishes after serving this many read blocks.
    """

    overcurrent_after: int | None = None
    verify_error_at: int | None = None
    wrong_id: int | None = None
    bootloader: bool = False
    unplug_after_reads: int | None = None


@dataclass
class Stats:
    """Transactions begun and ended (tests check the socket is always powered down again),
    and read blocks served (the ``unplug_after_reads`` fault counts them)."""

    begins: int = 0
    ends: int = 0
    blocks_read: int = 0


@dataclass
class _Status:
    error: int = 0
    device: int = 0
    wanted: int = 0
    address: int = 0
    overcurrent: bool = False


@dataclass
class _PendingWrite:
    address: int
    length: int
    expect: list[tuple[int, int]]
    data: bytearray = field(default_factory=bytearray)


class SimTl866:
    """One simulated programmer on the bus.

    Args:
        model: :data:`MODEL_TL866II_PLUS` or :data:`MODEL_T48`.
        chip: the chip model in the ZIF socket (None: empty socket).
        serial: serial number reported in system info.
        firmware: ``(major, minor)``; minor 0 would mean bootloader.
        faults: injected faults.
        clock: shared virtual clock (the chip's clock when omitted).
        on_end: called after every end transaction (e.g. to save the chip contents).
    """

    def __init__(
        self,
        model: int = MODEL_TL866II_PLUS,
        chip: ChipModel | None = None,
        *,
        serial: str = "SIM0000000000000001",
        firmware: tuple[int, int] = (1, 32),
        hardware_version: int = 4,
        faults: SimFaults | None = None,
        clock: VirtualClock | None = None,
        on_end: Callable[[SimTl866], None] | None = None,
    ) -> None:
        if model not in (MODEL_TL866II_PLUS, MODEL_T48):
            raise ValueError(f"unsupported simulated model {model}")
        self.model = model
        self.chip = chip
        self.serial = serial
        self.firmware_version = firmware
        self.hardware_version = hardware_version
        self.faults = faults if faults is not None else SimFaults()
        if clock is None:
            clock = chip.clock if chip is not None else VirtualClock()
        self.clock = clock
        self.on_end = on_end
        self.speed = HIGH_SPEED if model == MODEL_T48 else FULL_SPEED
        self.fw = Firmware(chip)
        self.fw.power_off()  # the ZIF socket is unpowered outside a transaction
        self.plugged = True
        self.violations: list[str] = []
        self.stats = Stats()
        self._cond = threading.Condition()
        self._ep1: deque[bytes] = deque()
        self._fifo: dict[int, deque[bytes]] = {EP2_IN: deque(), EP3_IN: deque()}
        self._produce: deque[tuple[int, bytes]] = deque()
        self._setup: Setup | None = None
        self._status = _Status()
        self._blocks = 0
        self._pending: _PendingWrite | None = None

    # --- bus side (called by the backend) --------------------------------------------------

    def write(self, endpoint: int, data: bytes) -> int:
        """A bulk OUT transfer; returns the bytes taken."""
        with self._cond:
            self._check_plugged()
            self._tick(len(data))
            if endpoint == EP1_OUT:
                self._command(bytes(data))
            elif endpoint in (EP2_OUT, EP3_OUT):
                self._payload(endpoint, bytes(data))
            else:
                raise SimUsbError(f"no OUT endpoint 0x{endpoint:02X}", *PIPE)
            self._cond.notify_all()
            return len(data)

    def read(self, endpoint: int, size: int, timeout_s: float | None) -> bytes:
        """A bulk IN transfer of up to ``size`` bytes (blocks until data or timeout)."""
        with self._cond:
            self._check_plugged()
            if endpoint == EP1_IN:
                if not self._cond.wait_for(lambda: bool(self._ep1) or not self.plugged, timeout_s):
                    raise SimUsbError("Operation timed out", *TIMEOUT)
                self._check_plugged()
                reply = self._ep1.popleft()[:size]
                self._tick(len(reply))
                return reply
            if endpoint not in self._fifo:
                raise SimUsbError(f"no IN endpoint 0x{endpoint:02X}", *PIPE)
            return self._read_payload(endpoint, size, timeout_s)

    def unplug(self) -> None:
        """Pull the USB cable: every pending and later transfer fails with "no device"."""
        with self._cond:
            self.plugged = False
            self.fw.power_off()
            self._cond.notify_all()

    # --- internals -------------------------------------------------------------------------

    def _check_plugged(self) -> None:
        if not self.plugged:
            raise SimUsbError("No such device (it may have been disconnected)", *NO_DEVICE)

    def _tick(self, nbytes: int) -> None:
        self.clock.advance(self.speed.transfer_us + self.speed.byte_us * nbytes)

    def _violation(self, text: str) -> None:
        self.violations.append(text)

    def _read_payload(self, endpoint: int, size: int, timeout_s: float | None) -> bytes:
        fifo = self._fifo[endpoint]
        out = bytearray()

        def ready() -> bool:
            self._pump()
            return bool(fifo) or not self.plugged or not self._has_more(endpoint)

        while len(out) < size:
            if not self._cond.wait_for(ready, timeout_s):
                raise SimUsbError("Operation timed out", *TIMEOUT)
            self._check_plugged()
            if not fifo:
                break  # nothing more is coming for this endpoint: a short transfer
            out += fifo.popleft()
            self._cond.notify_all()
        self._tick(len(out))
        return bytes(out[:size])

    def _has_more(self, endpoint: int) -> bool:
        return any(ep == endpoint for ep, _ in self._produce)

    def _pump(self) -> None:
        """Move produced packets into their endpoint FIFOs, in order, while there is room."""
        while self._produce:
            ep, packet = self._produce[0]
            if len(self._fifo[ep]) >= FIFO_PACKETS:
                return
            self._produce.popleft()
            self._fifo[ep].append(packet)

    def _reply(self, data: bytes) -> None:
        self._ep1.append(data)

    # --- commands --------------------------------------------------------------------------

    def _command(self, pkt: bytes) -> None:
        if self._pending is not None:
            self._violation(
                f"command 0x{pkt[0]:02X} before the write payload of the last block arrived"
            )
            self._pending = None
        cmd = pkt[0] if pkt else -1
        handler = {
            CMD_SYSTEM_INFO: self._system_info,
            CMD_BEGIN: self._begin,
            CMD_END: self._end,
            CMD_READ_ID: self._read_id,
            CMD_READ_CODE: self._read_code,
            CMD_WRITE_CODE: self._write_code,
            CMD_ERASE: self._erase,
            CMD_PROTECT_OFF: self._protect,
            CMD_PROTECT_ON: self._protect,
            CMD_STATUS: self._status_request,
        }.get(cmd)
        if handler is None:
            self._violation(f"unknown command 0x{cmd:02X}")
            return
        handler(pkt)

    def _need_len(self, pkt: bytes, n: int, what: str) -> bool:
        if len(pkt) != n:
            self._violation(f"{what}: expected {n} bytes, got {len(pkt)}")
            return False
        return True

    def _need_transaction(self, what: str) -> Setup | None:
        if self._setup is None:
            self._violation(f"{what} outside a transaction")
        return self._setup

    def _system_info(self, pkt: bytes) -> None:
        self._need_len(pkt, 5, "system info")
        major, minor = self.firmware_version
        if self.faults.bootloader:
            minor = 0
        reply = bytearray(64)
        reply[4], reply[5], reply[6] = minor, major, self.model
        if self.model == MODEL_T48:
            reply[8:24] = b"2024-05-1710:00\0"
            reply[24:32] = b"T48SIM01"
            reply[32:56] = self.serial.encode("ascii")[:24].ljust(24, b"\0")
            # 5.02 V in the supply field's scale: raw * 0xCCF6 / 0x27000 / 100 volts.
            struct.pack_into("<I", reply, 56, round(502 * 0x27000 / 0xCCF6))
            reply[60] = 1
        else:
            reply[8:16] = b"TL866SIM"
            reply[16:36] = self.serial.encode("ascii")[:20].ljust(20, b"\0")
            reply[40] = self.hardware_version
        self._reply(bytes(reply))

    def _begin(self, pkt: bytes) -> None:
        if not self._need_len(pkt, 64, "begin transaction"):
            return
        if self._setup is not None:
            self._violation("begin transaction inside a transaction")
        voltages = struct.unpack_from("<H", pkt, 4)[0]
        self._check_vpp_bytes(voltages, pkt[20], pkt[21], pkt[22])
        setup = Setup(
            protocol_id=pkt[1],
            variant=pkt[2],
            voltages=voltages,
            page_size=struct.unpack_from("<H", pkt, 10)[0],
            pulse_us=struct.unpack_from("<H", pkt, 12)[0],
            code_size=struct.unpack_from("<I", pkt, 16)[0],
            read_buffer=struct.unpack_from("<H", pkt, 44)[0],
            flags=struct.unpack_from("<I", pkt, 56)[0],
        )
        if self.chip is not None and setup.code_size != self.chip.spec.size:
            self._violation(
                f"begin transaction for {setup.code_size} bytes, the socket holds "
                f"{self.chip.spec.size}"
            )
        self.stats.begins += 1
        self._setup = setup
        self._blocks = 0
        self._status = _Status()
        self.fw.power_on(setup)
        self._overcurrent_check()

    def _check_vpp_bytes(self, voltages: int, b20: int, b21: int, b22: int) -> None:
        """Bytes 21/22 repeat the VPP code of bytes 4/5 by the rules of section 1.4."""
        vpp = voltages & 0xFF
        if (vpp & 0xF0) == 0xF0:
            want21, want22 = 0, vpp
        else:
            want21, want22 = vpp & 0x0F, vpp & 0xF0
        # Bit 31 of the database value (not on the wire) makes byte 22 a copy of byte 20's
        # low nibble instead.
        if b21 != want21 or b22 not in (want22, b20 & 0x0F):
            self._violation(
                f"begin transaction VPP bytes 21/22 are {b21:02X}/{b22:02X}, expected "
                f"{want21:02X}/{want22:02X} for voltages 0x{voltages:04X}"
            )

    def _overcurrent_check(self) -> None:
        limit = self.faults.overcurrent_after
        if limit is not None and self._blocks >= limit and self._setup is not None:
            self._status.overcurrent = True
            self.fw.power_off()

    def _end(self, pkt: bytes) -> None:
        self._need_len(pkt, 8, "end transaction")
        self.stats.ends += 1
        self._setup = None
        self.fw.power_off()
        self._produce.clear()
        for fifo in self._fifo.values():
            fifo.clear()
        if self.on_end is not None:
            self.on_end(self)

    def _status_request(self, pkt: bytes) -> None:
        self._need_len(pkt, 8, "status")
        st = self._status
        reply = bytearray(32)
        reply[0] = st.error
        struct.pack_into("<HH", reply, 2, st.device, st.wanted)
        struct.pack_into("<I", reply, 8, st.address)
        reply[12] = 1 if st.overcurrent else 0
        self._reply(bytes(reply))

    def _read_id(self, pkt: bytes) -> None:
        self._need_len(pkt, 8, "read id")
        setup = self._need_transaction("read id")
        value = 0
        if setup is not None and not self._status.overcurrent:
            value = self.fw.read_id(setup.kind)
        if self.faults.wrong_id is not None:
            value = self.faults.wrong_id
        reply = bytearray(6 if self.model == MODEL_TL866II_PLUS else 32)
        reply[0] = 1  # id type 1: big-endian, 1..3 bytes
        reply[2:4] = value.to_bytes(2, "big")
        self._reply(bytes(reply))

    def _read_code(self, pkt: bytes) -> None:
        if not self._need_len(pkt, 8, "read block"):
            return
        length, address = struct.unpack_from("<HI", pkt, 2)
        setup = self._need_transaction("read block")
        if setup is None:
            return
        unplug_at = self.faults.unplug_after_reads
        if unplug_at is not None and self.stats.blocks_read >= unplug_at:
            self.plugged = False
            self.fw.power_off()
            return
        self.stats.blocks_read += 1
        self._blocks += 1
        # With the socket powered down after an overcurrent the data lines read low.
        data = b"\x00" * length if self._status.overcurrent else self.fw.read(address, length)
        self._overcurrent_check()
        if length <= PACKET:
            self._produce.append((EP2_IN, data.ljust(PACKET, b"\0")))
        elif self.model == MODEL_T48:
            for i in range(0, length, PACKET):
                self._produce.append((EP2_IN, data[i : i + PACKET]))
        else:
            if length % (2 * PACKET):
                self._violation(f"read block of {length} bytes is not a multiple of 128")
            for n, i in enumerate(range(0, length, PACKET)):
                self._produce.append((EP2_IN if n % 2 == 0 else EP3_IN, data[i : i + PACKET]))

    def _expected_split(self, length: int) -> list[tuple[int, int]]:
        """How the firmware expects a write payload: endpoint and size of each transfer."""
        if self.model == MODEL_T48:
            return [(EP2_OUT, length)]
        if length <= PACKET:
            return [(EP2_OUT, length)]
        rest = length % 128
        half = (length - rest) // 2
        ep2 = half + PACKET if rest > PACKET else half
        parts = [(EP2_OUT, ep2)]
        if length - ep2:
            parts.append((EP3_OUT, length - ep2))
        return parts

    def _write_code(self, pkt: bytes) -> None:
        if len(pkt) < 8:
            self._violation(f"write block header of {len(pkt)} bytes")
            return
        length, address = struct.unpack_from("<HI", pkt, 2)
        if self._need_transaction("write block") is None:
            return
        if length <= INLINE_MAX:
            if len(pkt) != 8 + length:
                self._violation(f"inline write of {length} bytes came in {len(pkt)} bytes")
                return
            self._program(address, pkt[8:])
            return
        if len(pkt) != 8:
            self._violation(f"write of {length} bytes must send an 8-byte header alone")
            return
        self._pending = _PendingWrite(address, length, self._expected_split(length))

    def _payload(self, endpoint: int, data: bytes) -> None:
        pending = self._pending
        if pending is None:
            self._violation(f"payload on endpoint 0x{endpoint:02X} without a write header")
            return
        want_ep, want_len = pending.expect[0]
        if endpoint != want_ep or len(data) != want_len:
            self._violation(
                f"write payload: expected {want_len} bytes on 0x{want_ep:02X}, "
                f"got {len(data)} on 0x{endpoint:02X}"
            )
            self._pending = None
            self._status.error = 1
            return
        pending.expect.pop(0)
        pending.data += data
        if not pending.expect:
            self._pending = None
            self._program(pending.address, bytes(pending.data))

    def _program(self, address: int, data: bytes) -> None:
        self._blocks += 1
        if self._status.overcurrent:
            return
        bad = self.fw.program(address, data)
        forced = self.faults.verify_error_at
        if bad is None and forced is not None and address <= forced < address + len(data):
            want = data[forced - address]
            self._set_error(forced, want ^ 0x01, want)
        elif bad is not None:
            self._set_error(bad.address, bad.device, bad.wanted)
        self._overcurrent_check()

    def _set_error(self, address: int, device: int, wanted: int) -> None:
        st = self._status
        st.error, st.address, st.device, st.wanted = 1, address, device, wanted

    def _erase(self, pkt: bytes) -> None:
        self._need_len(pkt, 15, "erase")
        setup = self._need_transaction("erase")
        if setup is not None and not self._status.overcurrent:
            if setup.kind != Kind.EPROM:
                self.fw.erase(setup.kind, setup.code_size)
            else:
                self._violation("erase sent for a part without the erase flag")
        self._reply(bytes(64))

    def _protect(self, pkt: bytes) -> None:
        self._need_len(pkt, 8, "protect")
        setup = self._need_transaction("protect")
        if setup is not None and not self._status.overcurrent:
            self.fw.protect(on=pkt[0] == CMD_PROTECT_ON)
