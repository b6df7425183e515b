"""The one chokepoint every romprog frame passes through on the host.

:class:`Channel` frames and unframes (COBS, CRC-32), numbers requests, matches responses by
``seq`` and ``cmd``, drops stale and damaged frames, resends a request whose answer does not
come (bounded by ``retries.frame``), decodes status codes into
:class:`~romtool.errors.RomtoolError` subclasses that name the operation and address, and writes
the ``--trace`` log (direction, time, frame summary, hex).
"""

from __future__ import annotations

import struct
from collections import deque
from collections.abc import Callable
from typing import NoReturn

from romtool.errors import (
    DeviceError,
    DeviceTimeout,
    ProgramFailure,
    ProgrammerError,
    ProtocolError,
    RomtoolError,
    TransportError,
)
from romtool.programmers.romprog import protocol as p
from romtool.programmers.romprog.protocol import Cmd, Frame, FrameType, Status
from romtool.programmers.transports.serial import ByteLink
from romtool.settings import Settings

TRACE_HEX_BYTES = 32
"""Payload bytes shown per frame in the trace log."""
HOST_MAX_PAYLOAD = 65535
"""The host accepts any payload the ``len`` field can describe."""

Trace = Callable[[str], None]
EventHandler = Callable[[Frame], None]


class Channel:
    """Framed, checked request/response traffic over a :class:`ByteLink`.

    Args:
        link: the byte stream.
        settings: timeouts and retry counts.
        trace: receives one line per frame when ``--trace`` is on.
        on_event: receives EVT frames (progress, watchdog) as they pass.
    """

    def __init__(
        self,
        link: ByteLink,
        settings: Settings,
        trace: Trace | None = None,
        on_event: EventHandler | None = None,
    ) -> None:
        self.link = link
        self.settings = settings
        self.trace = trace
        self.on_event = on_event
        self._decoder = p.FrameDecoder(p.max_encoded_size(HOST_MAX_PAYLOAD))
        self._frames: deque[Frame] = deque()
        self._seq = 0
        self._t0 = link.now()
        self.resent = 0
        """Frames sent again because an answer or acknowledgement did not come."""
        self.stale = 0
        """Frames received that belonged to nothing in progress (late duplicates)."""
        self.last_rx = link.now()
        """Time the last intact frame of any type arrived (the board is alive)."""
        self.resend_after_s: float | None = None
        """Silence after which a request is resent early (a quarter of the board's watchdog,
        set after HELLO); None: only when the full timeout has passed."""

    # --- sequence numbers --------------------------------------------------------------------

    def next_seq(self) -> int:
        self._seq = (self._seq + 1) & 0xFFFF or 1
        return self._seq

    # --- raw frames --------------------------------------------------------------------------

    def send(self, frame: Frame, *, resync: bool = False) -> None:
        """Put one frame on the wire (with a leading delimiter when ``resync``)."""
        data = frame.encode()
        if resync:
            data = p.DELIMITER + data
        self._trace(">", frame)
        try:
            self.link.write(data)
        except RomtoolError:
            raise
        except OSError as exc:
            raise TransportError(f"link lost: {exc}", op=_op_name(frame.cmd)) from None

    def recv(self, timeout_s: float) -> Frame | None:
        """The next intact frame, or None when ``timeout_s`` passes without one."""
        if self._frames:
            return self._frames.popleft()
        deadline = self.link.now() + timeout_s
        while True:
            remaining = deadline - self.link.now()
            if remaining <= 0:
                return None
            try:
                data = self.link.read_some(remaining)
            except RomtoolError:
                raise
            except OSError as exc:
                raise TransportError(f"link lost: {exc}", op="read") from None
            if not data:
                return None
            for frame in self._decoder.feed(data):
                self.last_rx = self.link.now()
                self._trace("<", frame)
                if frame.type is FrameType.EVT and self.on_event is not None:
                    self.on_event(frame)
                    continue
                if frame.type is FrameType.LOG:
                    continue
                self._frames.append(frame)
            if self._frames:
                return self._frames.popleft()

    @property
    def dropped(self) -> int:
        """Damaged frames the decoder threw away."""
        return self._decoder.dropped

    # --- requests ----------------------------------------------------------------------------

    def request(
        self,
        cmd: Cmd,
        payload: bytes = b"",
        *,
        op: str,
        address: int | None = None,
        timeout_s: float | None = None,
        retries: int | None = None,
        resync: bool = False,
    ) -> Frame:
        """Send a request and return its OK response.

        The same frame (same ``seq``) is resent when its answer is overdue (``timeout_s``), or
        earlier, after :attr:`resend_after_s` of silence from the board, so that a lost frame
        is repaired before the board's watchdog powers the socket down. A busy board sends
        progress events, which count as signs of life (no early resend then).
        At most ``retries`` resends (default ``settings.retries.frame``); the device answers a
        repeated request from its response cache, so nothing runs twice.

        Raises:
            DeviceTimeout: no answer after every resend.
            ProgrammerError subclasses: the device answered with an error status.
        """
        seq = self.next_seq()
        req = Frame(FrameType.REQ, seq, int(cmd), 0, payload)
        wait = timeout_s if timeout_s is not None else self.settings.timeouts.command_s
        tries = (self.settings.retries.frame if retries is None else retries) + 1
        quick = self.resend_after_s
        for attempt in range(tries):
            if attempt:
                self.resent += 1
            self.send(req, resync=resync or attempt > 0)
            deadline = self.link.now() + wait
            while True:
                step = deadline - self.link.now()
                if quick is not None:
                    step = min(step, quick)
                heard = self.last_rx
                frame = self.recv(step) if step > 0 else None
                if frame is None:
                    silent = self.last_rx == heard  # not even a progress event arrived
                    if self.link.now() >= deadline or (quick is not None and silent):
                        break  # resend: the answer is overdue, or the board went silent
                    continue
                if frame.type is FrameType.RSP and frame.seq == seq and frame.cmd == cmd:
                    if frame.status != Status.OK:
                        raise_status(frame, op=op, address=address)
                    return frame
                self.stale += 1
        raise DeviceTimeout(
            f"no answer from the programmer after {tries} tries of {wait:g} s",
            op=op,
            address=address,
            hint="check the cable and that the board runs romprog firmware",
        )

    # --- trace ---------------------------------------------------------------------------------

    def _trace(self, direction: str, frame: Frame) -> None:
        if self.trace is None:
            return
        t = self.link.now() - self._t0
        head = frame.payload[:TRACE_HEX_BYTES].hex(" ")
        more = " ..." if len(frame.payload) > TRACE_HEX_BYTES else ""
        self.trace(f"{t:10.6f} {direction} {frame.describe()} {head}{more}".rstrip())


def _op_name(cmd: int) -> str:
    try:
        return Cmd(cmd).name.lower().replace("_", " ")
    except ValueError:
        return f"command 0x{cmd:02X}"


def raise_status(frame: Frame, *, op: str, address: int | None = None) -> NoReturn:
    """Turn an error response into the matching RomtoolError (PROTOCOL.md section 8)."""
    try:
        status = Status(frame.status)
    except ValueError:
        raise ProtocolError(f"unknown status {frame.status}", op=op, address=address) from None
    data = frame.payload
    if status is Status.PROGRAM_FAIL and len(data) >= p.PROGRAM_FAIL_INFO.size:
        addr, wanted, read, pulses = p.PROGRAM_FAIL_INFO.unpack_from(data)
        raise ProgramFailure(
            f"byte did not program after {pulses} pulses or attempts",
            op=op,
            address=addr,
            expected=wanted,
            actual=read,
        )
    if status is Status.TIMEOUT:
        addr = struct.unpack_from("<I", data)[0] if len(data) >= 4 else address
        raise DeviceTimeout("the chip stayed busy past its write-cycle limit", op=op, address=addr)
    if status is Status.VPP_FAULT:
        raise DeviceError("VPP out of range; the socket was powered down", op=op)
    if status is Status.OVERCURRENT:
        raise DeviceError(
            "overcurrent; the socket was powered down",
            op=op,
            hint="check the chip's orientation in the socket",
        )
    if status is Status.ERASE_FAIL:
        raise DeviceError("erase did not complete", op=op, address=address)
    if status is Status.WATCHDOG:
        committed = struct.unpack_from("<I", data)[0] if len(data) >= 4 else None
        raise TransportError(
            "the programmer's watchdog cut the write after the host went silent"
            + (f" ({committed} bytes committed)" if committed is not None else ""),
            op=op,
            hint="run the same command again with --resume",
        )
    if status is Status.BAD_PROFILE:
        raise ProgrammerError(
            "the programmer cannot handle this part (size, VPP or algorithm beyond its limits)",
            op=op,
        )
    if status is Status.UNSUPPORTED:
        raise ProgrammerError("not supported by this programmer for this part", op=op)
    if status is Status.DATA_CRC:
        raise ProtocolError("data arrived damaged (CRC-32 of the whole write differs)", op=op)
    raise ProtocolError(f"the programmer answered {status.name}", op=op, address=address)
