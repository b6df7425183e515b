"""One chokepoint per TL866 command: send, receive, decode, check, name the operation.

:class:`Tl866Session` wraps an opened :class:`~romtool.programmers.transports.usb.UsbLink` and
knows the model (TL866II+ or T48) from the system-info reply; every method is one protocol
step of section 1.4 and raises a :class:`~romtool.errors.RomtoolError` that names it. The
status poll after every block is part of :meth:`read_block` and :meth:`write_block`, so no
caller can forget the overcurrent check.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from romtool.errors import DeviceError, ProgramFailure, ProtocolError, RomtoolError
from romtool.programmers.tl866 import protocol as p
from romtool.programmers.tl866.profiles import Tl866Profile
from romtool.programmers.transports.usb import UsbLink

TRANSFER_TIMEOUT_S = 5.0
"""Ordinary bulk transfers: minipro's 5000 ms."""
REPLY_TIMEOUT_S = 360.0
"""EP1 replies: minipro's 360000 ms, because the device holds the reply to erase and to the
status poll after a write block until the chip has finished (a 128 KiB flash chip erase, or
128 EPROM bytes at up to 25 quick pulses each, are well inside)."""

OVERCURRENT_HINT = (
    "the programmer cut power to the socket: check the chip's orientation and position in "
    "the ZIF socket, and that the part chosen with -c is the part in the socket"
)


class Tl866Session:
    """Protocol steps over one opened USB link.

    Args:
        link: the opened device (interface 0 claimed).
        info: the decoded system-info reply (gives the model).
    """

    def __init__(self, link: UsbLink, info: p.SystemInfo) -> None:
        self.link = link
        self.info = info
        if not isinstance(info.model, p.Model) or info.model not in p.SUPPORTED_MODELS:
            raise ProtocolError(f"unsupported model {info.model_name}")
        self.model: p.Model = info.model
        self.in_transaction = False

    # --- raw I/O ---------------------------------------------------------------------------

    def _send(self, endpoint: int, data: bytes, op: str) -> None:
        self.link.write(endpoint, data, timeout_s=TRANSFER_TIMEOUT_S, op=op)

    def _reply(self, size: int, op: str, *, minimum: int) -> bytes:
        data = self.link.read(p.Endpoint.EP1_IN, size, timeout_s=REPLY_TIMEOUT_S, op=op)
        if len(data) < minimum:
            raise ProtocolError("short reply", op=op, expected=minimum, actual=len(data))
        return data

    # --- session steps ---------------------------------------------------------------------

    @staticmethod
    def system_info(link: UsbLink) -> p.SystemInfo:
        """Ask any TL866-family device who it is (works before the model is known)."""
        op = "get system info"
        link.write(
            p.Endpoint.EP1_OUT,
            p.encode_system_info_request(),
            timeout_s=TRANSFER_TIMEOUT_S,
            op=op,
        )
        reply = link.read(
            p.Endpoint.EP1_IN, p.SYSTEM_INFO_REPLY_MAX, timeout_s=TRANSFER_TIMEOUT_S, op=op
        )
        return p.decode_system_info(reply)

    def status(self, op: str, *, after_write: bool = False) -> p.Status:
        """Poll status; raise on overcurrent, and after a write on a verify-while-write error.

        Raises:
            DeviceError: overcurrent (the socket is powered down).
            ProgramFailure: the firmware's verify-while-write found a mismatch.
        """
        self._send(p.Endpoint.EP1_OUT, p.encode_status_request(), op)
        status = p.decode_status(self._reply(p.STATUS_REPLY_LEN, op, minimum=13))
        if status.overcurrent:
            raise DeviceError("overcurrent protection tripped", op=op, hint=OVERCURRENT_HINT)
        if after_write and status.error:
            raise ProgramFailure(
                "verify while writing failed",
                op=op,
                address=status.address,
                expected=status.file_value,
                actual=status.device_value,
            )
        return status

    def begin(self, profile: Tl866Profile, *, icsp: int = 0) -> None:
        """Begin a transaction for ``profile`` (powers the socket), then check overcurrent.

        On overcurrent (or any failure of the check) the transaction is ended before the
        error propagates, so the socket is powered down.
        """
        op = f"begin transaction for {profile.name}"
        self._send(
            p.Endpoint.EP1_OUT, p.encode_begin_transaction(profile.begin_params(), icsp=icsp), op
        )
        self.in_transaction = True
        try:
            self.status(op)
        except RomtoolError:
            self.end_quietly()
            raise

    @contextmanager
    def transaction(self, profile: Tl866Profile) -> Iterator[None]:
        """``with session.transaction(profile):`` begin, do the work, end; end on failure too."""
        self.begin(profile)
        try:
            yield
            self.end()
        finally:
            self.end_quietly()

    def end(self) -> None:
        """End the transaction (powers the socket down)."""
        self.in_transaction = False
        self._send(p.Endpoint.EP1_OUT, p.encode_end_transaction(), "end transaction")

    def end_quietly(self) -> None:
        """End the transaction on a failure path; a second failure must not hide the first."""
        if not self.in_transaction:
            return
        try:
            self.end()
        except RomtoolError:
            # The original error is the one to report; the device may already be gone.
            self.in_transaction = False

    def chip_id(self, nbytes: int) -> tuple[int, int]:
        """Read the chip id: ``(id_type, value)`` with ``nbytes`` significant bytes."""
        op = "read chip id"
        self._send(p.Endpoint.EP1_OUT, p.encode_chip_id_request(), op)
        size = p.CHIP_ID_REPLY_LEN[self.model]
        reply = self._reply(size, op, minimum=2 + max(1, nbytes))
        return p.decode_chip_id(reply, nbytes)

    def protect(self, on: bool) -> None:
        """Software data protection on (0x19) or off (0x18)."""
        op = "protect on" if on else "protect off"
        self._send(p.Endpoint.EP1_OUT, p.encode_protect(on), op)
        self.status(op)

    def erase(self, fuse_count: int = 1) -> None:
        """Erase; the reply comes when the chip is erased (its contents are not defined)."""
        op = "erase"
        self._send(p.Endpoint.EP1_OUT, p.encode_erase(fuse_count), op)
        self._reply(p.ERASE_REPLY_LEN, op, minimum=1)
        self.status(op)

    def read_block(self, address: int, length: int, *, word_bus: bool = False) -> bytes:
        """Read one code-memory block, then poll status (overcurrent aborts).

        Args:
            address: byte address of the block.
            length: block length in bytes (the profile's read buffer size, or less).
            word_bus: address in words (16-bit parts).
        """
        op = "read block"
        wire_address = p.block_address(address, word_bus)
        self._send(
            p.Endpoint.EP1_OUT,
            p.encode_block_header(p.Command.READ_CODE, length, wire_address),
            op,
        )
        transfers = p.read_transfers(self.model, length)
        if len(transfers) == 1:
            ((ep, size),) = transfers
            parts = [self.link.read(ep, size, timeout_s=TRANSFER_TIMEOUT_S, op=op)]
        else:
            parts = self.link.read_concurrently(transfers, timeout_s=TRANSFER_TIMEOUT_S, op=op)
        for (ep, size), got in zip(transfers, parts, strict=True):
            want = min(size, length) if len(transfers) == 1 else size
            if len(got) < want:
                raise ProtocolError(
                    f"short read on endpoint 0x{ep:02X}",
                    op=op,
                    address=address,
                    expected=want,
                    actual=len(got),
                )
        data = parts[0][:length] if len(parts) == 1 else p.deinterleave(parts[0], parts[1])
        self.status(op)
        return data

    def write_block(self, address: int, data: bytes, *, word_bus: bool = False) -> None:
        """Write one code-memory block the way the model expects, then poll status.

        Raises:
            DeviceError: overcurrent.
            ProgramFailure: verify while writing failed (address and values in fields).
        """
        op = "write block"
        packets = p.encode_write_block(
            self.model, p.Command.WRITE_CODE, p.block_address(address, word_bus), data
        )
        for endpoint, chunk in packets.transfers:
            self._send(endpoint, chunk, op)
        self.status(op, after_write=True)
