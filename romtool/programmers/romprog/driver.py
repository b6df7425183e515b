"""Host driver for romprog boards (firmware/PROTOCOL.md), over any :class:`ByteLink`.

``romprog:/dev/ttyACM0[,baud=N]`` opens a real board through pyserial; ``sim:PART`` gives the
same driver a :class:`~romtool.programmers.sim.romprog.port.SimPort`. All traffic goes through
:class:`~romtool.programmers.romprog.channel.Channel`.
"""

from __future__ import annotations

import contextlib
import struct
import zlib
from collections.abc import Callable

from romtool.chips.spec import ChipId, ChipSpec, Technology
from romtool.errors import DeviceTimeout, ProgrammerError, ProtocolError, RomtoolError
from romtool.events import Reporter
from romtool.programmers.base import (
    BlankResult,
    BlockInfo,
    Capability,
    CommitCallback,
    ProgramConflict,
    Programmer,
    ProgrammerInfo,
    ProgramReport,
    StreamStalled,
    nullable,
)
from romtool.programmers.romprog import protocol as p
from romtool.programmers.romprog.channel import Channel, Trace, raise_status
from romtool.programmers.romprog.profile import profile_for
from romtool.programmers.romprog.protocol import Cmd, Frame, FrameType, Status
from romtool.programmers.transports.serial import ByteLink
from romtool.ranges import Range
from romtool.settings import Settings
from romtool.timeout import scaled_timeout

DEFAULT_BAUD = 115200
"""Every romprog board answers HELLO at 115200 baud first (PROTOCOL.md section 1)."""
BAUD_SETTLE_S = 0.05
"""Wait after switching the local UART before talking at the new rate (esptool uses 50 ms)."""
RESYNC_ZEROS = b"\x00\x00"
MIN_FRAME_DATA = 64
"""Smallest data frame the host shrinks to on a noisy link (the protocol's minimum payload)."""
GROW_AFTER = 8
"""Acknowledged frames in a row after which the frame size doubles again."""
STREAM_STALL_TRIES = 2
WATCHDOG_FRACTION = 8
"""Resend after this fraction of the board's watchdog of silence (2 s -> 250 ms)."""
BITS_PER_BYTE = 10
"""8N1 on a UART: start bit, 8 data bits, stop bit."""
"""Timeouts in one read stream before it is restarted with smaller frames."""
"""Delimiters sent on open so the board drops any half-received frame."""

_CAP_MAP = {
    p.Cap.VPP: Capability.VPP,
    p.Cap.A9_ID: Capability.A9_ID,
    p.Cap.SOFTWARE_ID: Capability.SOFTWARE_ID,
    p.Cap.ERASE: Capability.ERASE,
    p.Cap.DEVICE_CRC: Capability.DEVICE_CRC,
    p.Cap.BLANK_CHECK: Capability.BLANK_CHECK,
    p.Cap.CAN_PROGRAM: Capability.CAN_PROGRAM,
    p.Cap.PAGE_WRITE: Capability.PAGE_WRITE,
    p.Cap.SIM_UV: Capability.UV_ERASE,
}


class RomprogProgrammer(Programmer):
    """A romprog board.

    Args:
        connect: opens the byte link (called by :meth:`open`).
        settings: timeouts and retries.
        baud: switch to this rate after the handshake (UART bridges; ignored on native USB).
        trace: receives the frame log (``--trace``).
        label: how messages name the programmer (``romprog:/dev/ttyACM0``).
    """

    kind = "romprog"

    def __init__(
        self,
        connect: Callable[[], ByteLink],
        *,
        settings: Settings | None = None,
        baud: int | None = None,
        trace: Trace | None = None,
        label: str = "romprog",
    ) -> None:
        super().__init__()
        self._connect = connect
        self.settings = settings or Settings()
        self.baud = baud
        self._line_baud = DEFAULT_BAUD
        self.trace = trace
        self.label = label
        self.link: ByteLink | None = None
        self.channel: Channel | None = None
        self.limits: p.Limits | None = None
        self.profile: p.Profile | None = None
        self.capabilities = frozenset()
        self._progress: Reporter | None = None

    # --- lifecycle -----------------------------------------------------------------------------

    def open(self) -> None:
        link = self._connect()
        self.link = link
        self.channel = Channel(link, self.settings, self.trace, self._on_event)
        try:
            link.write(RESYNC_ZEROS)
            rsp = self._ch.request(
                Cmd.HELLO,
                p.HELLO_REQ.pack(p.MAGIC, p.PROTO_VERSION),
                op="connect",
                timeout_s=self.settings.timeouts.open_s,
                resync=True,
            )
            try:
                limits = p.Limits.unpack(rsp.payload)
            except ValueError as exc:
                raise ProtocolError(f"not a romprog board: {exc}", op="connect") from None
            if limits.proto != p.PROTO_VERSION:
                raise ProtocolError(
                    "unsupported protocol version",
                    op="connect",
                    expected=p.PROTO_VERSION,
                    actual=limits.proto,
                    hint="update romtool or the board's firmware",
                )
            self.limits = limits
            self._ch.resend_after_s = self._resend_after()
            caps = {cap for bit, cap in _CAP_MAP.items() if limits.caps & bit}
            caps |= {Capability.DEVICE_ALGORITHMS, Capability.RESUMABLE}
            if limits.caps & p.Cap.ERASE:
                caps.add(Capability.SECTOR_ERASE)
            self.capabilities = frozenset(caps)
            if self.baud and self.baud != DEFAULT_BAUD:
                self._set_baud(self.baud)
        except BaseException:
            self._close_link()
            raise

    def _set_baud(self, baud: int) -> None:
        assert self.limits is not None and self.link is not None
        if not self.limits.caps & p.Cap.SET_BAUD:
            raise ProgrammerError(f"{self.label} cannot change its baud rate", op="set baud")
        self._ch.request(Cmd.SET_BAUD, struct.pack("<I", baud), op="set baud")
        self.link.set_baud(baud)
        self._line_baud = baud
        self.link.sleep(BAUD_SETTLE_S)
        self.link.flush_input()
        self._ch.resend_after_s = self._resend_after()
        self._ch.request(Cmd.PING, op="set baud")

    def _resend_after(self) -> float:
        """Silence after which the host resends: an eighth of the board's watchdog, so that
        several lost frames in a row still reach the board in time, but never less than three
        times one largest frame on the wire (slow baud rates)."""
        assert self.limits is not None
        frame_s = p.max_encoded_size(self.limits.max_payload) * BITS_PER_BYTE / self._line_baud
        return max(self.limits.watchdog_ms / 1000.0 / WATCHDOG_FRACTION, 3 * frame_s)

    def close(self) -> None:
        if self.channel is not None and self.link is not None:
            # If BYE is lost the board powers the socket down on its own watchdog.
            with contextlib.suppress(RomtoolError):
                self._ch.request(Cmd.BYE, op="close", timeout_s=0.5, retries=1)
        self._close_link()

    def _close_link(self) -> None:
        if self.link is not None:
            self.link.close()
        self.link = None
        self.channel = None

    def now(self) -> float:
        return self.link.now() if self.link is not None else super().now()

    @property
    def _ch(self) -> Channel:
        if self.channel is None:
            raise ProgrammerError(f"{self.label} is not open", op="use")
        return self.channel

    def info(self) -> ProgrammerInfo:
        lim = self.limits
        if lim is None:
            return ProgrammerInfo(self.kind, self.label, self.capabilities)
        board = "simulated board" if lim.board == 0xEE else f"board {lim.board}"
        desc = f"{self.label}: romprog {board}, firmware {lim.fw_major}.{lim.fw_minor}"
        return ProgrammerInfo(
            self.kind,
            desc,
            self.capabilities,
            {
                "protocol": lim.proto,
                "max_payload": lim.max_payload,
                "window": lim.window,
                "address_bits": lim.address_bits,
                "vpp_mv": [lim.vpp_min_mv, lim.vpp_max_mv],
                "watchdog_ms": lim.watchdog_ms,
                "baud": self.baud or DEFAULT_BAUD,
            },
        )

    # --- events --------------------------------------------------------------------------------

    def _on_event(self, frame: Frame) -> None:
        if not frame.payload:
            return
        kind = frame.payload[0]
        if kind == p.EvtKind.PROGRESS and len(frame.payload) >= p.PROGRESS_EVT.size:
            _, _op, done, total = p.PROGRESS_EVT.unpack_from(frame.payload)
            if self._progress is not None:
                self._progress.progress(done, total)
        elif kind == p.EvtKind.WATCHDOG and self._progress is not None:
            self._progress.warn("the programmer's watchdog powered the socket down")

    # --- chip selection ------------------------------------------------------------------------

    def select(self, chip: ChipSpec) -> None:
        assert self.limits is not None
        if chip.technology.is_eprom and not self.limits.caps & p.Cap.VPP:
            raise ProgrammerError(f"{self.label} has no VPP supply, so it cannot program EPROMs")
        if chip.size > (1 << self.limits.address_bits):
            raise ProgrammerError(
                f"{chip.name} needs {chip.size.bit_length() - 1} address lines, "
                f"{self.label} has {self.limits.address_bits}",
                op="select",
            )
        profile = profile_for(chip)
        if not self.limits.supports(profile.algorithm):
            raise ProgrammerError(
                f"{self.label} firmware lacks the {profile.algorithm.name} algorithm",
                op="select",
            )
        self._ch.request(Cmd.SET_PROFILE, profile.pack(), op="select part")
        self.profile = profile
        super().select(chip)

    def _timeout(self, nbytes: int) -> float:
        t = self.settings.timeouts
        return scaled_timeout(t.command_s, t.per_byte_s, nbytes)

    # --- id ------------------------------------------------------------------------------------

    def identify(self) -> ChipId | None:
        if self.profile is None or self.profile.id_method is p.IdMethod.NONE:
            return None
        rsp = self._ch.request(Cmd.IDENTIFY, op="identify")
        if len(rsp.payload) < p.IDENTIFY_RSP.size:
            raise ProtocolError("short IDENTIFY answer", op="identify")
        mfr, dev, _method = p.IDENTIFY_RSP.unpack_from(rsp.payload)
        return ChipId(mfr, dev)

    # --- digests -------------------------------------------------------------------------------

    def crc32(self, rng: Range, reporter: Reporter | None = None) -> int:
        self._check_range(rng, "crc")
        if not len(rng):
            return 0
        self._progress = reporter
        try:
            rsp = self._ch.request(
                Cmd.CRC,
                p.ADDR_LEN.pack(rng.start, len(rng)),
                op="crc",
                address=rng.start,
                timeout_s=self._timeout(len(rng)),
            )
        finally:
            self._progress = None
        return int(struct.unpack_from("<I", rsp.payload)[0])

    def blank_check(
        self, rng: Range, value: int = 0xFF, reporter: Reporter | None = None
    ) -> BlankResult:
        self._check_range(rng, "blank check")
        self._progress = reporter
        try:
            rsp = self._ch.request(
                Cmd.BLANK_CHECK,
                p.BLANK_REQ.pack(rng.start, len(rng), value),
                op="blank check",
                address=rng.start,
                timeout_s=self._timeout(len(rng)),
            )
        finally:
            self._progress = None
        count, first = p.COUNT_FIRST.unpack_from(rsp.payload)
        return BlankResult(count, None if first == p.NO_ADDRESS else first)

    def block_info(self, rng: Range, block: int) -> list[BlockInfo]:
        self._check_range(rng, "block info")
        assert self.limits is not None
        per_request = (self.limits.max_payload // p.BLOCK_INFO_ITEM.size) * block
        out: list[BlockInfo] = []
        todo = list(rng.chunks(per_request))
        while todo:
            part = todo.pop(0)
            pieces = list(part.chunks(block, align=False))
            try:
                rsp = self._ch.request(
                    Cmd.BLOCK_INFO,
                    p.BLOCK_INFO_REQ.pack(part.start, len(part), block),
                    op="block info",
                    address=part.start,
                    timeout_s=self._timeout(len(part)),
                )
            except DeviceTimeout:
                if len(pieces) == 1:
                    raise
                # A long answer that never arrives intact: ask for half as many blocks.
                half = pieces[len(pieces) // 2].start
                todo[:0] = [Range(part.start, half), Range(half, part.stop)]
                continue
            if len(rsp.payload) != len(pieces) * p.BLOCK_INFO_ITEM.size:
                raise ProtocolError("BLOCK_INFO answer has the wrong size", op="block info")
            for i, piece in enumerate(pieces):
                crc, flags = p.BLOCK_INFO_ITEM.unpack_from(rsp.payload, i * p.BLOCK_INFO_ITEM.size)
                out.append(BlockInfo(piece, crc, bool(flags & 1)))
        return out

    def can_program(self, address: int, data: bytes) -> ProgramConflict:
        self._check_range(Range.sized(address, len(data)), "can program")
        assert self.limits is not None
        step = self.limits.max_payload - 4
        count = 0
        first: int | None = None
        for pos in range(0, len(data), step):
            chunk = data[pos : pos + step]
            rsp = self._ch.request(
                Cmd.CAN_PROGRAM,
                struct.pack("<I", address + pos) + chunk,
                op="can program",
                address=address + pos,
                timeout_s=self._timeout(len(chunk)),
            )
            n, f = p.COUNT_FIRST.unpack_from(rsp.payload)
            count += n
            if first is None and f != p.NO_ADDRESS:
                first = f
        return ProgramConflict(count, first)

    # --- erase ---------------------------------------------------------------------------------

    def erase(self, reporter: Reporter | None = None, *, sector: Range | None = None) -> None:
        chip = self._need_chip("erase")
        if not chip.technology.electrically_erasable:
            super().erase(reporter, sector=sector)
        mode = p.EraseMode.SECTOR if sector is not None else p.EraseMode.CHIP
        addr = sector.start if sector is not None else 0
        self._progress = reporter
        try:
            self._ch.request(
                Cmd.ERASE,
                p.ERASE_REQ.pack(mode, addr),
                op="erase",
                address=addr if sector is not None else None,
                timeout_s=self.settings.timeouts.erase_s,
            )
        finally:
            self._progress = None

    def uv_erase(self, minutes: int = 20) -> None:
        chip = self._need_chip("erase")
        if Capability.UV_ERASE not in self.capabilities:
            super().uv_erase(minutes)
        if chip.technology is not Technology.UV_EPROM:
            raise ProgrammerError(f"{chip.name} has no window; it cannot be UV-erased", op="erase")
        self._ch.request(Cmd.SIM_UV_ERASE, struct.pack("<H", minutes), op="uv erase")

    # --- read ----------------------------------------------------------------------------------

    def read(self, rng: Range, reporter: Reporter | None = None) -> bytes:
        self._check_range(rng, "read")
        assert self.limits is not None
        rep = nullable(reporter)
        total = len(rng)
        buf = bytearray()
        chunk = self.limits.max_payload - p.DATA_HEADER.size
        stalls = 0
        while len(buf) < total:
            before = len(buf)
            if self._read_stream(rng.start, total, chunk, buf, rep):
                break
            # The stream stalled (a noisy link loses big frames): ask again for the rest in
            # smaller frames. Bounded: give up after retries.frame restarts without progress.
            stalls = 0 if len(buf) > before else stalls + 1
            if stalls > self.settings.retries.frame:
                raise StreamStalled(
                    f"read stalled after {stalls} restarts",
                    op="read",
                    address=rng.start + len(buf),
                    hint="check the cable; a lower baud rate may help",
                )
            chunk = max(MIN_FRAME_DATA, chunk // 2)
        return bytes(buf)

    def _read_stream(
        self, start: int, total: int, chunk: int, buf: bytearray, rep: Reporter
    ) -> bool:
        """One READ stream for ``[start + len(buf), start + total)`` appended to ``buf``.

        Returns True when complete and CRC-checked, False when it stalled.
        """
        ch = self._ch
        seq = ch.next_seq()
        base = len(buf)
        length = total - base
        payload = p.READ_REQ.pack(start + base, length, chunk)
        req = Frame(FrameType.REQ, seq, Cmd.READ, 0, payload)
        wait = self._timeout(self.limits.window if self.limits else 4096)
        if ch.resend_after_s is not None:
            wait = min(wait, ch.resend_after_s)
        ch.send(req, resync=base > 0)
        misses = 0
        nak_at = -1
        while True:
            got = len(buf) - base
            heard = ch.last_rx
            frame = ch.recv(wait)
            if frame is None:
                if ch.last_rx != heard:
                    continue  # a progress event: the board is alive and busy
                misses += 1
                ch.resent += 1
                if misses > STREAM_STALL_TRIES:
                    return False
                if not got:
                    ch.send(req, resync=True)
                elif got == length:
                    ch.send(Frame(FrameType.ACK, seq, Cmd.READ, 0, p.READ_ACK.pack(got)))
                else:
                    ch.send(Frame(FrameType.NAK, seq, Cmd.READ, 0, p.READ_ACK.pack(got)))
                continue
            if frame.seq != seq:
                ch.stale += 1
                continue
            if frame.type is FrameType.DATA and len(frame.payload) > p.DATA_HEADER.size:
                (offset,) = p.DATA_HEADER.unpack_from(frame.payload)
                if offset == got:
                    buf += frame.payload[p.DATA_HEADER.size :]
                    misses = 0
                    if len(buf) - base > length:
                        raise ProtocolError("read returned more than asked", op="read")
                    ack = p.READ_ACK.pack(len(buf) - base)
                    ch.send(Frame(FrameType.ACK, seq, Cmd.READ, 0, ack))
                    rep.progress(len(buf), total)
                elif offset > got and nak_at != got:
                    nak_at = got
                    ch.send(Frame(FrameType.NAK, seq, Cmd.READ, 0, p.READ_ACK.pack(got)))
            elif frame.type is FrameType.RSP and frame.cmd == Cmd.READ:
                if frame.status != Status.OK:
                    raise_status(frame, op="read", address=start + base)
                if got != length:
                    continue  # a late answer to an earlier try
                (crc,) = struct.unpack_from("<I", frame.payload)
                if crc != zlib.crc32(buf[base:]):
                    raise ProtocolError(
                        "read data CRC-32 mismatch",
                        op="read",
                        address=start + base,
                        expected=f"0x{crc:08X}",
                        actual=f"0x{zlib.crc32(buf[base:]):08X}",
                    )
                return True

    # --- write ---------------------------------------------------------------------------------

    def program(
        self,
        address: int,
        data: bytes,
        reporter: Reporter | None = None,
        on_commit: CommitCallback | None = None,
    ) -> ProgramReport:
        rng = Range.sized(address, len(data))
        self._check_range(rng, "write")
        assert self.limits is not None and self.profile is not None
        rep = nullable(reporter)
        if not data:
            return ProgramReport(0)
        ch = self._ch
        frame_data = self.limits.max_payload - p.DATA_HEADER.size
        page = max(1, self.profile.page)
        largest = max(page, (frame_data // page) * page)
        smallest = max(page, -(-MIN_FRAME_DATA // page) * page)
        begin = ch.request(
            Cmd.WRITE_BEGIN,
            p.WRITE_BEGIN_REQ.pack(address, len(data), zlib.crc32(data)),
            op="write",
            address=address,
        )
        window = self.limits.window
        if len(begin.payload) >= 2:
            window = min(window, struct.unpack_from("<H", begin.payload)[0])
        window = max(window, largest)
        # The board buffers whole frames: never more frames in flight than it has buffers.
        max_frames = max(1, window // frame_data)
        seq = begin.seq
        # A lost frame is resent long before the board's watchdog would power the socket
        # down (see _resend_after). A board that is busy (slow chip) sends progress events,
        # which count as signs of life.
        wait = min(self._timeout(window), self._resend_after())
        total = len(data)
        committed = 0
        pos = 0
        inflight: list[int] = []  # end offsets of frames sent and not yet committed
        size = largest
        good = misses = 0
        resent_before = ch.resent
        while committed < total:
            while pos < total and len(inflight) < max_frames:
                end = _frame_end(address, pos, size, page, total)
                if end - committed > window:
                    break
                chunk = data[pos:end]
                ch.send(
                    Frame(FrameType.DATA, seq, Cmd.WRITE_BEGIN, 0, p.DATA_HEADER.pack(pos) + chunk)
                )
                inflight.append(end)
                pos = end
            heard = ch.last_rx
            frame = ch.recv(wait)
            if frame is None:
                if ch.last_rx != heard:
                    continue  # a progress event: the board is alive and busy programming
                misses += 1
                if misses > self.settings.retries.frame:
                    raise StreamStalled(
                        f"no acknowledgement after {misses} tries ({committed} bytes committed)",
                        op="write",
                        address=address + committed,
                        hint="run the same command again with --resume",
                    )
                # Go back N to the last committed byte, in smaller frames: on a noisy link a
                # short frame is more likely to arrive intact.
                ch.resent += len(inflight)
                pos, inflight, good = committed, [], 0
                size = max(smallest, size // 2)
                continue
            if frame.seq != seq:
                ch.stale += 1
                continue
            if frame.type is FrameType.ACK and len(frame.payload) >= p.WRITE_ACK.size:
                _received, comm = p.WRITE_ACK.unpack_from(frame.payload)
                if comm > committed:
                    committed = min(comm, total)
                    inflight = [e for e in inflight if e > committed]
                    misses = 0
                    good += 1
                    if good >= GROW_AFTER and size < largest:
                        size, good = min(largest, size * 2), 0
                    rep.progress(committed, total)
                    if on_commit is not None:
                        on_commit(committed)
            elif frame.type is FrameType.NAK and len(frame.payload) >= p.READ_ACK.size:
                (expected,) = p.READ_ACK.unpack_from(frame.payload)
                if committed <= expected < pos:
                    ch.resent += sum(1 for e in inflight if e > expected)
                    inflight = [e for e in inflight if e <= expected]
                    pos, good = expected, 0
                    size = max(smallest, size // 2)
            elif frame.type is FrameType.RSP and frame.status != Status.OK:
                raise_status(frame, op="write", address=address + committed)
        finish = ch.request(Cmd.WRITE_END, op="write", address=address)
        max_pulses = retried = 0
        if len(finish.payload) >= p.WRITE_END_RSP.size:
            _c, max_pulses, retried = p.WRITE_END_RSP.unpack_from(finish.payload)
        return ProgramReport(committed, max_pulses, ch.resent - resent_before, retried)


def _frame_end(address: int, pos: int, size: int, page: int, total: int) -> int:
    """End offset of the next DATA frame: ``size`` bytes, cut at a page boundary."""
    end = address + pos + size
    if page > 1:
        end -= end % page
        end = max(end, address + pos + page - (address + pos) % page)
    return min(total, end - address)
