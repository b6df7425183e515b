"""The simulated romprog board: the device side of firmware/PROTOCOL.md over a chip model.

:class:`RomprogDevice` receives bytes with their arrival times, decodes frames, runs commands
on the chip model's virtual clock and hands its answers to :attr:`RomprogDevice.output` with the
time they leave the board. It is written as the firmware would be: bounded frame slots (a frame
that arrives while every slot is full is lost, as in a real receive ring), a one-entry response
cache for idempotent requests, a cumulative-ack write window, a host-driven read window, and a
host-silence watchdog that powers the socket down.

The device processes a frame at ``max(arrival, end of the previous command)``; bytes that arrive
meanwhile wait in the slots. That is the double buffering of PROTOCOL.md section 6.4: the link
keeps delivering while the chip is being programmed.
"""

from __future__ import annotations

import struct
import zlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from romtool.programmers.romprog import protocol as p
from romtool.programmers.romprog.protocol import Cmd, Frame, FrameType, Status
from romtool.programmers.sim.chips.base import ChipModel, PinError
from romtool.programmers.sim.romprog import algorithms as alg
from romtool.programmers.sim.romprog.config import DeviceConfig

PROGRESS_EVERY_US = 100_000.0
"""EVT PROGRESS at most every 100 ms (PROTOCOL.md section 6.6)."""
PROGRESS_PIECE = 16
"""Bytes programmed between progress checks during a write unit (byte algorithms)."""
PROGRESS_CHUNK = 4096
"""Bytes read between progress checks in CRC/blank/block-info runs."""
COMMAND_US = 20.0
"""Firmware time to decode a frame, check its CRC and dispatch it (16 MHz AVR, ~300 bytes)."""


@dataclass
class _WriteStream:
    seq: int
    addr: int
    length: int
    crc: int
    received: int = 0
    running_crc: int = 0
    max_pulses: int = 0
    retried: int = 0
    nak_at: int = -1


@dataclass
class _ReadStream:
    seq: int
    addr: int
    length: int
    acked: int = 0
    sent: int = 0
    crc_done: int = 0
    crc: int = 0
    chunk: int = 0


@dataclass
class DeviceStats:
    """What the device saw (for soak reports and tests)."""

    frames: int = 0
    bad_frames: int = 0
    overflows: int = 0
    duplicates: int = 0
    naks: int = 0
    watchdog_trips: int = 0
    units_programmed: int = 0


class RomprogDevice:
    """The simulated board with a chip in its socket.

    Args:
        chip: the chip model (its clock is the device clock).
        config: the board's limits.
        output: receives ``(bytes, time_us)`` for everything the board sends.
        on_baud: called with the new rate after a SET_BAUD answer has been sent.
    """

    def __init__(
        self,
        chip: ChipModel,
        config: DeviceConfig | None = None,
        output: Callable[[bytes, float], None] | None = None,
        on_baud: Callable[[int], None] | None = None,
    ) -> None:
        self.chip = chip
        self.clock = chip.clock
        self.config = config or DeviceConfig()
        self.output = output or (lambda data, t: None)
        self.on_baud = on_baud
        self.stats = DeviceStats()
        self.profile: p.Profile | None = None
        self._rx = bytearray()
        self._rx_overflow = False
        self._max_encoded = p.max_encoded_size(self.config.max_payload)
        self._starts: deque[float] = deque(maxlen=self.config.slots)
        self._last_activity = 0.0
        self._last_seq: int | None = None
        self._last_cmd: int | None = None
        self._last_rsp: bytes = b""
        self._write: _WriteStream | None = None
        self._read: _ReadStream | None = None
        self._ended: dict[int, bytes] = {}
        """Terminal answers of write streams that ended early, by stream seq (bounded)."""
        self.powered = False

    # --- byte input --------------------------------------------------------------------------

    def receive(self, data: bytes, t0_us: float, dt_us: float = 0.0) -> None:
        """Bytes arriving from the host: byte ``i`` at ``t0_us + i * dt_us``."""
        start = 0
        while True:
            end = data.find(0, start)
            if end < 0:
                self._append(data[start:])
                return
            self._append(data[start:end])
            encoded, overflow = bytes(self._rx), self._rx_overflow
            self._rx.clear()
            self._rx_overflow = False
            arrival = t0_us + end * dt_us
            start = end + 1
            if overflow:
                self.stats.bad_frames += 1
                continue
            if encoded:
                frame = p.decode_body(encoded)
                if frame is None:
                    self.stats.bad_frames += 1
                else:
                    self._arrive(frame, arrival)

    def _append(self, data: bytes) -> None:
        if self._rx_overflow or not data:
            return
        if len(self._rx) + len(data) > self._max_encoded:
            self._rx_overflow = True
            self._rx.clear()
        else:
            self._rx += data

    def _arrive(self, frame: Frame, arrival: float) -> None:
        cfg = self.config
        # Receive-ring model: the frame is lost when every slot still holds a frame that has
        # not started processing by the time this one arrives.
        if len(self._starts) == cfg.slots and self._starts[0] > arrival:
            self.stats.overflows += 1
            return
        # Host-silence watchdog: silence is measured while the board waits for the host.
        if arrival - self._last_activity > cfg.watchdog_ms * 1000.0 and self._last_activity:
            self._watchdog(self._last_activity + cfg.watchdog_ms * 1000.0)
        self.clock.advance_to(arrival)
        self._starts.append(self.clock.now_us())
        self.clock.advance(COMMAND_US)
        self.stats.frames += 1
        self._dispatch(frame)
        self._last_activity = self.clock.now_us()

    def _watchdog(self, when_us: float) -> None:
        if not (self.powered or self._write is not None):
            return
        self.stats.watchdog_trips += 1
        was_on = self.chip.vpp_mv is not None
        self.clock.advance_to(when_us)
        self._power_off()
        if self._write is not None:
            ws = self._write
            self._end_write(ws, Status.WATCHDOG, struct.pack("<I", ws.received))
        self._send(Frame(FrameType.EVT, 0, 0, 0, bytes([p.EvtKind.WATCHDOG, int(was_on)])))

    # --- output ------------------------------------------------------------------------------

    def _send(self, frame: Frame) -> bytes:
        data = frame.encode()
        self.output(data, self.clock.now_us())
        return data

    def _respond(self, req: Frame, status: Status, payload: bytes = b"") -> None:
        data = self._send(Frame(FrameType.RSP, req.seq, req.cmd, int(status), payload))
        self._last_seq, self._last_cmd, self._last_rsp = req.seq, req.cmd, data

    # --- dispatch ----------------------------------------------------------------------------

    def _dispatch(self, frame: Frame) -> None:
        if frame.type is FrameType.REQ:
            # The cache is keyed by seq and command; HELLO always runs (a new session starts
            # its numbering again) and READ restarts its stream.
            if (
                frame.seq == self._last_seq
                and frame.cmd == self._last_cmd
                and self._last_rsp
                and frame.cmd not in (Cmd.READ, Cmd.HELLO)
            ):
                self.stats.duplicates += 1
                self.output(self._last_rsp, self.clock.now_us())
                return
            handler = _HANDLERS.get(frame.cmd)
            if handler is None:
                self._respond(frame, Status.UNKNOWN_CMD)
                return
            handler(self, frame)
        elif frame.type is FrameType.DATA:
            self._on_data(frame)
        elif frame.type is FrameType.ACK:
            self._on_read_ack(frame)
        elif frame.type is FrameType.NAK:
            self._on_read_nak(frame)

    def _need_profile(self, req: Frame) -> p.Profile | None:
        if self.profile is None:
            self._respond(req, Status.NO_PROFILE)
        return self.profile

    def _range(self, req: Frame, addr: int, length: int) -> bool:
        assert self.profile is not None
        if addr + length > self.profile.size or length == 0:
            self._respond(req, Status.BAD_RANGE)
            return False
        return True

    def _power_on(self) -> None:
        assert self.profile is not None
        if not self.powered:
            self.chip.set_vcc(self.profile.vcc_verify_mv)
            self.powered = True

    def _power_off(self) -> None:
        if self.chip.vpp_mv is not None:
            self.chip.set_vpp(None)
        if self.profile is not None:
            self.chip.set_vcc(self.profile.vcc_verify_mv)
        self.powered = False

    # --- session commands --------------------------------------------------------------------

    def _hello(self, req: Frame) -> None:
        if len(req.payload) < p.HELLO_REQ.size:
            self._respond(req, Status.BAD_ARG)
            return
        magic, _proto = p.HELLO_REQ.unpack_from(req.payload)
        if magic != p.MAGIC:
            self._respond(req, Status.BAD_ARG)
            return
        self._write = None
        self._read = None
        self._power_off()
        self._respond(req, Status.OK, self.config.limits().pack())

    def _set_baud(self, req: Frame) -> None:
        if len(req.payload) != 4:
            self._respond(req, Status.BAD_ARG)
            return
        (baud,) = struct.unpack("<I", req.payload)
        if not 1200 <= baud <= 4_000_000:
            self._respond(req, Status.BAD_ARG)
            return
        self._respond(req, Status.OK, req.payload)
        if self.on_baud is not None:
            self.on_baud(baud)

    def _ping(self, req: Frame) -> None:
        vpp_on = int(self.chip.vpp_mv is not None)
        self._respond(req, Status.OK, struct.pack("<BH", vpp_on, self.stats.watchdog_trips))

    def _bye(self, req: Frame) -> None:
        self._write = None
        self._read = None
        self._power_off()
        self._respond(req, Status.OK)

    def _abort(self, req: Frame) -> None:
        committed = self._write.received if self._write else 0
        self._write = None
        self._read = None
        self._power_off()
        self._respond(req, Status.OK, struct.pack("<I", committed))

    def _set_profile(self, req: Frame) -> None:
        try:
            prof = p.Profile.unpack(req.payload)
        except ValueError:
            self._respond(req, Status.BAD_ARG)
            return
        cfg = self.config
        if prof.size > (1 << cfg.address_bits) or prof.size == 0:
            self._respond(req, Status.BAD_PROFILE)
            return
        if prof.vpp_mv and not cfg.vpp_min_mv <= prof.vpp_mv <= cfg.vpp_max_mv:
            self._respond(req, Status.BAD_PROFILE)
            return
        # The socket's logic levels are 5 V: a 3.3 V part (or a VCC outside the announced
        # range) is refused here, as the firmware does, rather than driven out of spec.
        if not all(
            cfg.vcc_min_mv <= mv <= cfg.vcc_max_mv for mv in (prof.vcc_prog_mv, prof.vcc_verify_mv)
        ):
            self._respond(req, Status.BAD_PROFILE)
            return
        if prof.algorithm in (p.Algorithm.EEPROM_PAGE, p.Algorithm.AT29_PAGE) and (
            prof.page < 1 or prof.page > cfg.data_per_frame
        ):
            self._respond(req, Status.BAD_PROFILE)
            return
        self._write = None
        self._read = None
        self.profile = prof
        self._power_on()
        self._respond(req, Status.OK)

    def _identify(self, req: Frame) -> None:
        prof = self._need_profile(req)
        if prof is None:
            return
        if prof.id_method is p.IdMethod.SOFTWARE:
            mfr, dev = alg.software_id(self.chip)
        elif prof.id_method is p.IdMethod.A9:
            mfr, dev = alg.signature_id(self.chip, prof)
        else:
            self._respond(req, Status.UNSUPPORTED)
            return
        self._respond(req, Status.OK, p.IDENTIFY_RSP.pack(mfr, dev, int(prof.id_method)))

    # --- digests -----------------------------------------------------------------------------

    def _read_with_progress(self, req: Frame, addr: int, length: int) -> bytes:
        out = bytearray()
        last = self.clock.now_us()
        for pos in range(0, length, PROGRESS_CHUNK):
            n = min(PROGRESS_CHUNK, length - pos)
            out += alg.read_block(self.chip, addr + pos, n)
            if self.clock.now_us() - last >= PROGRESS_EVERY_US and pos + n < length:
                last = self.clock.now_us()
                evt = p.PROGRESS_EVT.pack(p.EvtKind.PROGRESS, req.cmd, pos + n, length)
                self._send(Frame(FrameType.EVT, req.seq, req.cmd, 0, evt))
        return bytes(out)

    def _crc(self, req: Frame) -> None:
        if self._need_profile(req) is None:
            return
        if len(req.payload) != p.ADDR_LEN.size:
            self._respond(req, Status.BAD_ARG)
            return
        addr, length = p.ADDR_LEN.unpack(req.payload)
        if not self._range(req, addr, length):
            return
        data = self._read_with_progress(req, addr, length)
        self._respond(req, Status.OK, struct.pack("<I", zlib.crc32(data)))

    def _blank_check(self, req: Frame) -> None:
        if self._need_profile(req) is None:
            return
        if len(req.payload) != p.BLANK_REQ.size:
            self._respond(req, Status.BAD_ARG)
            return
        addr, length, value = p.BLANK_REQ.unpack(req.payload)
        if not self._range(req, addr, length):
            return
        data = self._read_with_progress(req, addr, length)
        bad = len(data) - data.count(value)
        first = p.NO_ADDRESS
        if bad:
            first = addr + next(i for i, b in enumerate(data) if b != value)
        self._respond(req, Status.OK, p.COUNT_FIRST.pack(bad, first))

    def _block_info(self, req: Frame) -> None:
        if self._need_profile(req) is None:
            return
        if len(req.payload) != p.BLOCK_INFO_REQ.size:
            self._respond(req, Status.BAD_ARG)
            return
        addr, length, block = p.BLOCK_INFO_REQ.unpack(req.payload)
        if not self._range(req, addr, length):
            return
        if block == 0 or -(-length // block) * p.BLOCK_INFO_ITEM.size > self.config.max_payload:
            self._respond(req, Status.BAD_ARG)
            return
        data = self._read_with_progress(req, addr, length)
        out = bytearray()
        for pos in range(0, length, block):
            chunk = data[pos : pos + block]
            out += p.BLOCK_INFO_ITEM.pack(zlib.crc32(chunk), int(chunk.count(0xFF) == len(chunk)))
        self._respond(req, Status.OK, bytes(out))

    def _can_program(self, req: Frame) -> None:
        if self._need_profile(req) is None:
            return
        if len(req.payload) <= 4:
            self._respond(req, Status.BAD_ARG)
            return
        (addr,) = struct.unpack_from("<I", req.payload)
        want = req.payload[4:]
        if not self._range(req, addr, len(want)):
            return
        have = alg.read_block(self.chip, addr, len(want))
        count, first = 0, p.NO_ADDRESS
        for i, (h, w) in enumerate(zip(have, want, strict=True)):
            if h & w != w:
                count += 1
                if first == p.NO_ADDRESS:
                    first = addr + i
        self._respond(req, Status.OK, p.COUNT_FIRST.pack(count, first))

    # --- erase -------------------------------------------------------------------------------

    def _erase(self, req: Frame) -> None:
        prof = self._need_profile(req)
        if prof is None:
            return
        if len(req.payload) != p.ERASE_REQ.size:
            self._respond(req, Status.BAD_ARG)
            return
        mode, addr = p.ERASE_REQ.unpack(req.payload)
        if not prof.flags & p.ProfileFlag.ELECTRIC_ERASE:
            self._respond(req, Status.UNSUPPORTED)
            return
        if mode == p.EraseMode.SECTOR:
            if not prof.sector or addr >= prof.size:
                self._respond(req, Status.BAD_RANGE)
                return
            ok = alg.erase_sector(self.chip, prof, addr - addr % prof.sector, self._ticker(req))
        elif mode == p.EraseMode.CHIP:
            if prof.algorithm is p.Algorithm.JEDEC_BYTE or prof.algorithm is p.Algorithm.AT29_PAGE:
                ok, _ = alg.erase_chip(self.chip, prof, self._ticker(req))
            else:
                ok = self._erase_by_writing(prof, self._ticker(req))
        else:
            self._respond(req, Status.BAD_ARG)
            return
        if ok:
            self._respond(req, Status.OK)
        else:
            self._respond(req, Status.ERASE_FAIL, struct.pack("<I", addr))

    def _ticker(self, req: Frame) -> Callable[[], None]:
        """A callback for long polls that sends EVT PROGRESS at most every 100 ms."""
        last = [self.clock.now_us()]

        def tick() -> None:
            if self.clock.now_us() - last[0] >= PROGRESS_EVERY_US:
                last[0] = self.clock.now_us()
                evt = p.PROGRESS_EVT.pack(p.EvtKind.PROGRESS, req.cmd, 0, 0)
                self._send(Frame(FrameType.EVT, req.seq, req.cmd, 0, evt))

        return tick

    def _erase_by_writing(self, prof: p.Profile, tick: Callable[[], None]) -> bool:
        """28C EEPROMs have no erase command: write 0xFF over every byte that is not blank."""
        page = max(1, prof.page)
        for pos in range(0, prof.size, page):
            n = min(page, prof.size - pos)
            if alg.read_block(self.chip, pos, n) != b"\xff" * n:
                result = alg.program_unit(self.chip, prof, pos, b"\xff" * n)
                if not result.ok:
                    return False
                tick()
        return True

    def _uv(self, req: Frame) -> None:
        if len(req.payload) != 2:
            self._respond(req, Status.BAD_ARG)
            return
        (minutes,) = struct.unpack("<H", req.payload)
        try:
            self.chip.uv_erase(float(minutes))
        except PinError:
            self._respond(req, Status.UNSUPPORTED)
            return
        self._respond(req, Status.OK)

    # --- reads -------------------------------------------------------------------------------

    def _read_cmd(self, req: Frame) -> None:
        if self._need_profile(req) is None:
            return
        if len(req.payload) == p.READ_REQ.size:
            addr, length, chunk = p.READ_REQ.unpack(req.payload)
        elif len(req.payload) == p.ADDR_LEN.size:
            (addr, length), chunk = p.ADDR_LEN.unpack(req.payload), 0
        else:
            self._respond(req, Status.BAD_ARG)
            return
        if not self._range(req, addr, length):
            return
        self._write = None
        limit = self.config.data_per_frame
        self._read = _ReadStream(req.seq, addr, length, chunk=min(chunk or limit, limit))
        self._last_seq, self._last_cmd, self._last_rsp = None, None, b""
        self._pump_read()

    def _pump_read(self) -> None:
        rs = self._read
        assert rs is not None
        chunk = rs.chunk
        while rs.sent < rs.length and rs.sent - rs.acked < self.config.window:
            n = min(chunk, rs.length - rs.sent)
            data = alg.read_block(self.chip, rs.addr + rs.sent, n)
            if rs.sent == rs.crc_done:
                rs.crc = zlib.crc32(data, rs.crc)
                rs.crc_done += n
            payload = p.DATA_HEADER.pack(rs.sent) + data
            self._send(Frame(FrameType.DATA, rs.seq, Cmd.READ, 0, payload))
            rs.sent += n

    def _finish_read(self, rs: _ReadStream) -> None:
        payload = struct.pack("<I", rs.crc)
        self._send(Frame(FrameType.RSP, rs.seq, Cmd.READ, int(Status.OK), payload))

    def _on_read_ack(self, frame: Frame) -> None:
        rs = self._read
        if rs is None or frame.seq != rs.seq or len(frame.payload) != p.READ_ACK.size:
            return
        (received,) = p.READ_ACK.unpack(frame.payload)
        rs.acked = max(rs.acked, min(received, rs.length))
        if rs.acked >= rs.length:
            self._finish_read(rs)
        else:
            self._pump_read()

    def _on_read_nak(self, frame: Frame) -> None:
        rs = self._read
        if rs is None or frame.seq != rs.seq or len(frame.payload) != p.READ_ACK.size:
            return
        (offset,) = p.READ_ACK.unpack(frame.payload)
        self.stats.naks += 1
        rs.acked = max(rs.acked, min(offset, rs.length))
        rs.sent = rs.acked
        if rs.acked >= rs.length:
            self._finish_read(rs)
        else:
            self._pump_read()

    # --- writes ------------------------------------------------------------------------------

    def _write_begin(self, req: Frame) -> None:
        prof = self._need_profile(req)
        if prof is None:
            return
        if len(req.payload) != p.WRITE_BEGIN_REQ.size:
            self._respond(req, Status.BAD_ARG)
            return
        addr, length, crc = p.WRITE_BEGIN_REQ.unpack(req.payload)
        if not self._range(req, addr, length):
            return
        if prof.algorithm is p.Algorithm.AT29_PAGE and (addr % prof.page or length % prof.page):
            self._respond(req, Status.BAD_RANGE)
            return
        self._read = None
        self._power_on()
        try:
            alg.power_program(self.chip, prof)
        except PinError:
            self._respond(req, Status.UNSUPPORTED)
            return
        self._write = _WriteStream(req.seq, addr, length, crc)
        self._respond(req, Status.OK, struct.pack("<H", self.config.window))

    def _end_write(self, ws: _WriteStream, status: Status, payload: bytes) -> None:
        """End ``ws`` early with ``status``; later frames of it get this answer again."""
        data = self._send(Frame(FrameType.RSP, ws.seq, Cmd.WRITE_END, int(status), payload))
        if len(self._ended) >= 4:
            self._ended.pop(next(iter(self._ended)))
        self._ended[ws.seq] = data
        self._write = None
        if self.profile is not None:
            alg.power_read(self.chip, self.profile)

    def _on_data(self, frame: Frame) -> None:
        ws = self._write
        if ws is None or frame.seq != ws.seq:
            ended = self._ended.get(frame.seq)
            if ended is not None:
                self.output(ended, self.clock.now_us())
            elif self._read is None:
                rsp = Frame(FrameType.RSP, frame.seq, Cmd.WRITE_END, int(Status.NO_STREAM))
                self._send(rsp)
            return
        if len(frame.payload) <= p.DATA_HEADER.size:
            return
        (offset,) = p.DATA_HEADER.unpack_from(frame.payload)
        data = frame.payload[p.DATA_HEADER.size :]
        if offset < ws.received:
            self.stats.duplicates += 1
            self._ack(ws)
            return
        if offset > ws.received:
            if ws.nak_at != ws.received:
                ws.nak_at = ws.received
                self.stats.naks += 1
                payload = p.READ_ACK.pack(ws.received)
                self._send(Frame(FrameType.NAK, ws.seq, Cmd.WRITE_BEGIN, 0, payload))
            return
        assert self.profile is not None
        if offset + len(data) > ws.length:
            self._end_write(ws, Status.BAD_ARG, b"")
            return
        result = self._program_with_progress(ws, offset, data)
        self.stats.units_programmed += 1
        if not result.ok:
            status = Status.TIMEOUT if result.timeout else Status.PROGRAM_FAIL
            info = p.PROGRAM_FAIL_INFO.pack(
                result.address, result.wanted, result.read, min(result.pulses, 255)
            )
            self._end_write(ws, status, info)
            return
        ws.received += len(data)
        ws.running_crc = zlib.crc32(data, ws.running_crc)
        self._ack(ws)

    def _program_with_progress(self, ws: _WriteStream, offset: int, data: bytes) -> alg.UnitResult:
        """Program one unit in pieces, sending EVT PROGRESS at most every 100 ms so that a
        slow chip (1 ms per byte on a 28C64) never looks like a silent board to the host."""
        assert self.profile is not None
        if self.profile.algorithm is p.Algorithm.EPROM_STANDARD:
            piece = 1  # 50 ms pulses: check the time after every byte
        else:
            piece = max(self.profile.page, PROGRESS_PIECE)
        last = self.clock.now_us()
        result = alg.UnitResult(True)
        for pos in range(0, len(data), piece):
            result = alg.program_unit(
                self.chip, self.profile, ws.addr + offset + pos, data[pos : pos + piece]
            )
            ws.max_pulses = max(ws.max_pulses, result.max_pulses)
            ws.retried += result.retried
            if not result.ok:
                return result
            if self.clock.now_us() - last >= PROGRESS_EVERY_US:
                last = self.clock.now_us()
                done = offset + pos + len(data[pos : pos + piece])
                evt = p.PROGRESS_EVT.pack(p.EvtKind.PROGRESS, Cmd.WRITE_BEGIN, done, ws.length)
                self._send(Frame(FrameType.EVT, ws.seq, Cmd.WRITE_BEGIN, 0, evt))
        return result

    def _ack(self, ws: _WriteStream) -> None:
        # Each DATA frame is programmed and verified before its ACK: received == committed.
        payload = p.WRITE_ACK.pack(ws.received, ws.received)
        self._send(Frame(FrameType.ACK, ws.seq, Cmd.WRITE_BEGIN, 0, payload))

    def _write_end(self, req: Frame) -> None:
        ws = self._write
        if ws is None or ws.received != ws.length:
            self._respond(req, Status.NO_STREAM)
            return
        assert self.profile is not None
        alg.power_read(self.chip, self.profile)
        self._write = None
        if ws.running_crc != ws.crc:
            self._respond(req, Status.DATA_CRC, struct.pack("<I", ws.running_crc))
            return
        payload = p.WRITE_END_RSP.pack(ws.received, min(ws.max_pulses, 255), ws.retried)
        self._respond(req, Status.OK, payload)


_HANDLERS: dict[int, Callable[[RomprogDevice, Frame], None]] = {
    Cmd.HELLO: RomprogDevice._hello,
    Cmd.SET_BAUD: RomprogDevice._set_baud,
    Cmd.PING: RomprogDevice._ping,
    Cmd.BYE: RomprogDevice._bye,
    Cmd.ABORT: RomprogDevice._abort,
    Cmd.SET_PROFILE: RomprogDevice._set_profile,
    Cmd.IDENTIFY: RomprogDevice._identify,
    Cmd.READ: RomprogDevice._read_cmd,
    Cmd.CRC: RomprogDevice._crc,
    Cmd.BLANK_CHECK: RomprogDevice._blank_check,
    Cmd.BLOCK_INFO: RomprogDevice._block_info,
    Cmd.CAN_PROGRAM: RomprogDevice._can_program,
    Cmd.WRITE_BEGIN: RomprogDevice._write_begin,
    Cmd.WRITE_END: RomprogDevice._write_end,
    Cmd.ERASE: RomprogDevice._erase,
    Cmd.SIM_UV_ERASE: RomprogDevice._uv,
}
