"""Wire format of the XGecu TL866II+ and T48 programmers, as minipro speaks it.

Pure codecs: every function here turns values into the exact bytes the device expects, or
bytes from the device into values. Nothing here does I/O, so the packet layouts are pinned by
tests byte for byte. Facts (command bytes, offsets, endpoint use) follow the TL866II+ protocol
notes in the project's protocol reference (sections 1.1-1.5, from minipro 0.7.3); all integers
on the wire are little-endian unless a field says otherwise.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum, IntFlag

from romtool.errors import ProtocolError

VENDOR_ID = 0xA466
PRODUCT_ID = 0x0A53
"""TL866II+, T48 and T56 share ``a466:0a53``; the model byte in system info tells them apart."""

USB_PACKET = 64
"""Bulk packet size on every endpoint (full-speed maximum; the T48 keeps 64-byte framing)."""


class Model(IntEnum):
    """The ``device version`` byte at offset 6 of the system-info reply (table 1.1)."""

    TL866A = 1
    TL866CS = 2
    TL866II_PLUS = 5
    T56 = 6
    T48 = 7
    T76 = 8

    @property
    def label(self) -> str:
        return {
            Model.TL866A: "TL866A",
            Model.TL866CS: "TL866CS",
            Model.TL866II_PLUS: "TL866II+",
            Model.T56: "T56",
            Model.T48: "T48",
            Model.T76: "T76",
        }[self]


SUPPORTED_MODELS = frozenset({Model.TL866II_PLUS, Model.T48})
"""Models this driver drives. The T56 needs FPGA bitstreams from XGecu's package; the
TL866A/CS speaks another command set and another VID:PID."""


class Endpoint(IntEnum):
    """Bulk endpoints (table 1.1): EP1 carries commands and status, EP2/EP3 payload."""

    EP1_OUT = 0x01
    EP1_IN = 0x81
    EP2_OUT = 0x02
    EP2_IN = 0x82
    EP3_OUT = 0x03
    EP3_IN = 0x83


class Command(IntEnum):
    """TL866II+ command bytes (table 1.3). The T48 uses the same numbers."""

    GET_SYSTEM_INFO = 0x00
    BEGIN_TRANSACTION = 0x03
    END_TRANSACTION = 0x04
    READ_ID = 0x05
    READ_USER = 0x06
    WRITE_USER = 0x07
    READ_CFG = 0x08
    WRITE_CFG = 0x09
    WRITE_USER_DATA = 0x0A
    READ_USER_DATA = 0x0B
    WRITE_CODE = 0x0C
    READ_CODE = 0x0D
    ERASE = 0x0E
    READ_DATA = 0x10
    WRITE_DATA = 0x11
    WRITE_LOCK = 0x14
    READ_LOCK = 0x15
    PROTECT_OFF = 0x18
    PROTECT_ON = 0x19
    REQUEST_STATUS = 0x39
    RESET = 0x3F


# Packet lengths (sections 1.2-1.4).
SYSTEM_INFO_REQUEST_LEN = 5
SYSTEM_INFO_REPLY_MAX = 80
BEGIN_TRANSACTION_LEN = 64
SHORT_COMMAND_LEN = 8
"""End transaction, status request, chip-id request, protect off/on and block headers."""
STATUS_REPLY_LEN = 32
CHIP_ID_REPLY_LEN = {Model.TL866II_PLUS: 6, Model.T48: 32}
ERASE_REQUEST_LEN = 15
ERASE_REPLY_LEN = 64
INLINE_WRITE_MAX = 56
"""Writes shorter than 57 bytes travel in one EP1 packet together with their header."""


class ChipFlag(IntFlag):
    """Bits of the infoic.xml ``flags`` attribute that the driver acts on (section 1.6)."""

    REVERSED_PACKAGE = 0x2
    CAN_ERASE = 0x10
    HAS_CHIP_ID = 0x20
    DATA_MEMORY_OFFSET = 0x1000
    WORD_BUS = 0x2000
    PROTECT_OFF_BEFORE_WRITE = 0x4000
    CAN_PROTECT_AFTER = 0x8000


# Begin-transaction byte 3 (section 1.4): 0 for the ZIF socket.
ICSP_ENABLE = 0x80
ICSP_SUPPLIES_VCC = 0x01

_VOLTAGE_FORCE_BIT = 1 << 31
"""Bit 31 of ``voltages``: byte 22 takes ``(voltages >> 16) & 0x0F`` instead (rule 3)."""


@dataclass(frozen=True)
class BeginParams:
    """The chip-database fields a begin-transaction packet carries (all raw DB values)."""

    protocol_id: int
    variant: int
    voltages: int
    chip_info: int
    pin_map: int
    data_memory_size: int
    page_size: int
    pulse_delay: int
    data_memory2_size: int
    code_memory_size: int
    package_details: int
    read_buffer_size: int
    flags: int


def encode_begin_transaction(p: BeginParams, *, icsp: int = 0) -> bytes:
    """The 64-byte begin-transaction packet (layout table in section 1.4).

    Fields wider than their slot are truncated to the slot the way minipro's formatting does
    (for example only the low byte of ``variant`` is sent).

    Args:
        p: chip fields.
        icsp: byte 3; 0 for the ZIF socket, or ``ICSP_ENABLE | ICSP_SUPPLIES_VCC``.
    """
    buf = bytearray(BEGIN_TRANSACTION_LEN)
    v = p.voltages & 0xFFFFFFFF
    buf[0] = Command.BEGIN_TRANSACTION
    buf[1] = p.protocol_id & 0xFF
    buf[2] = p.variant & 0xFF
    buf[3] = icsp & 0xFF
    struct.pack_into("<H", buf, 4, v & 0xFFFF)
    buf[6] = p.chip_info & 0xFF
    buf[7] = p.pin_map & 0xFF
    struct.pack_into("<H", buf, 8, p.data_memory_size & 0xFFFF)
    struct.pack_into("<H", buf, 10, p.page_size & 0xFFFF)
    struct.pack_into("<H", buf, 12, p.pulse_delay & 0xFFFF)
    struct.pack_into("<H", buf, 14, p.data_memory2_size & 0xFFFF)
    struct.pack_into("<I", buf, 16, p.code_memory_size & 0xFFFFFFFF)
    buf[20] = (v >> 16) & 0xFF
    vpp_all_ones = (v & 0xF0) == 0xF0
    if not vpp_all_ones:
        buf[21] = v & 0x0F
    buf[22] = (v & 0xFF) if vpp_all_ones else (v & 0xF0)
    if v & _VOLTAGE_FORCE_BIT:
        buf[22] = (v >> 16) & 0x0F
    struct.pack_into("<I", buf, 40, p.package_details & 0xFFFFFFFF)
    struct.pack_into("<H", buf, 44, p.read_buffer_size & 0xFFFF)
    struct.pack_into("<I", buf, 56, p.flags & 0xFFFFFFFF)
    return bytes(buf)


def _short(cmd: int, *rest: int) -> bytes:
    buf = bytearray(SHORT_COMMAND_LEN)
    buf[0] = cmd
    buf[1 : 1 + len(rest)] = bytes(rest)
    return bytes(buf)


def encode_system_info_request() -> bytes:
    """Five zero bytes on EP1 (section 1.2)."""
    return bytes([Command.GET_SYSTEM_INFO]) + bytes(SYSTEM_INFO_REQUEST_LEN - 1)


def encode_end_transaction() -> bytes:
    """``[0x04, 0 x 7]``."""
    return _short(Command.END_TRANSACTION)


def encode_status_request() -> bytes:
    """``[0x39, 0 x 7]``; the 32-byte reply is decoded by :func:`decode_status`."""
    return _short(Command.REQUEST_STATUS)


def encode_chip_id_request() -> bytes:
    """``[0x05, 0 x 7]``."""
    return _short(Command.READ_ID)


def encode_protect(on: bool) -> bytes:
    """Protect on (0x19, SDP lock) or off (0x18, SDP unlock), padded to 8 bytes."""
    return _short(Command.PROTECT_ON if on else Command.PROTECT_OFF)


def encode_erase(fuse_count: int = 1) -> bytes:
    """The 15-byte erase request ``[0x0E, 0, n]``; ``n`` is the fuse count (1 for memories)."""
    buf = bytearray(ERASE_REQUEST_LEN)
    buf[0] = Command.ERASE
    buf[2] = fuse_count & 0xFF
    return bytes(buf)


def encode_block_header(cmd: int, length: int, address: int) -> bytes:
    """``[cmd, 0, len LE16, addr LE32]`` for read and write blocks.

    Raises:
        ProtocolError: ``length`` does not fit in 16 bits or is zero.
    """
    if not 0 < length <= 0xFFFF:
        raise ProtocolError("block length out of range", expected="1..65535", actual=length)
    return struct.pack("<BBHI", cmd, 0, length, address & 0xFFFFFFFF)


def block_address(byte_address: int, word_bus: bool) -> int:
    """Word devices are addressed in words: ``byte_address >> 1``."""
    return byte_address >> 1 if word_bus else byte_address


# --- reads ---------------------------------------------------------------------------------


def read_transfers(model: Model, length: int) -> list[tuple[int, int]]:
    """The IN transfers (endpoint, size) that carry a ``length``-byte read block.

    TL866II+: up to 64 bytes come as one 64-byte packet on EP2; longer blocks alternate
    64-byte packets between EP2 and EP3, each endpoint carrying half. T48: everything on EP2 in
    one transfer, at least 64 bytes long.

    Raises:
        ProtocolError: a TL866II+ block longer than 64 bytes that is not a multiple of 128
            cannot be split evenly between the two endpoints.
    """
    if length <= USB_PACKET:
        return [(Endpoint.EP2_IN, USB_PACKET)]
    if model == Model.T48:
        return [(Endpoint.EP2_IN, length)]
    if length % (2 * USB_PACKET):
        raise ProtocolError(
            "TL866II+ reads above 64 bytes must be a multiple of 128 bytes", actual=length
        )
    return [(Endpoint.EP2_IN, length // 2), (Endpoint.EP3_IN, length // 2)]


def deinterleave(ep2: bytes, ep3: bytes, packet: int = USB_PACKET) -> bytes:
    """Rebuild a block from its EP2 (blocks 0, 2, 4...) and EP3 (1, 3, 5...) halves.

    Raises:
        ProtocolError: the halves differ in length or are not whole packets.
    """
    if len(ep2) != len(ep3) or len(ep2) % packet:
        raise ProtocolError(
            "interleaved read halves do not match",
            expected=f"two equal multiples of {packet} bytes",
            actual=f"{len(ep2)} + {len(ep3)} bytes",
        )
    out = bytearray()
    for i in range(0, len(ep2), packet):
        out += ep2[i : i + packet]
        out += ep3[i : i + packet]
    return bytes(out)


# --- writes --------------------------------------------------------------------------------


def split_write(payload: bytes) -> tuple[bytes, bytes]:
    """TL866II+ write payload split between EP2 and EP3: contiguous, not interleaved.

    Multiples of 128 are cut in half. Otherwise, with ``j = len % 128`` and ``k = (len-j)/2``,
    EP2 takes ``k + 64`` bytes when ``j > 64`` and ``k`` bytes else; EP3 takes the rest.
    Payloads of 64 bytes or less go to EP2 only (EP3 gets nothing).
    """
    n = len(payload)
    if n <= USB_PACKET:
        return payload, b""
    j = n % (2 * USB_PACKET)
    k = (n - j) // 2
    # j == 0 gives first == n // 2: the "cut in half" case falls out of the same formula.
    first = k + USB_PACKET if j > USB_PACKET else k
    return payload[:first], payload[first:]


@dataclass(frozen=True)
class WritePackets:
    """The OUT transfers of one write block, in the order they are sent."""

    transfers: tuple[tuple[int, bytes], ...]


def encode_write_block(model: Model, cmd: int, address: int, data: bytes) -> WritePackets:
    """Everything that goes out for one write block (section 1.4, "Write block").

    Short blocks (under 57 bytes) are one EP1 packet of ``8 + len`` bytes. Longer ones send the
    8-byte header on EP1, then the payload: on the TL866II+ split by :func:`split_write` (EP3
    only when it has bytes), on the T48 as one EP2 transfer.
    """
    header = encode_block_header(cmd, len(data), address)
    if len(data) <= INLINE_WRITE_MAX:
        return WritePackets(((Endpoint.EP1_OUT, header + data),))
    if model == Model.T48:
        return WritePackets(((Endpoint.EP1_OUT, header), (Endpoint.EP2_OUT, data)))
    ep2, ep3 = split_write(data)
    transfers: list[tuple[int, bytes]] = [(Endpoint.EP1_OUT, header), (Endpoint.EP2_OUT, ep2)]
    if ep3:
        transfers.append((Endpoint.EP3_OUT, ep3))
    return WritePackets(tuple(transfers))


# --- replies -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Status:
    """The 32-byte status reply (command 0x39).

    Attributes:
        error: non-zero when the firmware's verify-while-write found a mismatch.
        device_value: ``c1``, the byte/word read from the chip at the failure.
        file_value: ``c2``, the byte/word that was to be written.
        address: failure address.
        overcurrent: the OVC flag (byte 12): the socket was powered down.
    """

    error: int
    device_value: int
    file_value: int
    address: int
    overcurrent: bool


def decode_status(reply: bytes) -> Status:
    """Decode a status reply.

    Raises:
        ProtocolError: fewer than the 13 bytes that carry the fields.
    """
    if len(reply) < 13:
        raise ProtocolError(
            "status reply too short",
            op="request status",
            expected=STATUS_REPLY_LEN,
            actual=len(reply),
        )
    c1, c2 = struct.unpack_from("<HH", reply, 2)
    (address,) = struct.unpack_from("<I", reply, 8)
    return Status(reply[0], c1, c2, address, reply[12] != 0)


@dataclass(frozen=True)
class SystemInfo:
    """The parts of the system-info reply romtool uses (section 1.2).

    Attributes:
        model: the device version byte, or the raw number when unknown.
        firmware_major: byte 5.
        firmware_minor: byte 4; 0 means the device runs its bootloader.
        hardware_version: byte 40 on the TL866II+; None where the reply has no such field
            (T48).
        device_code: 8 ASCII characters.
        serial: the serial number, trailing NULs and spaces removed.
        manufactured: T48 only: the manufacture date text.
        supply_volts: T48 only: measured USB supply in volts.
        usb_high_speed: T48 only: True at 480 Mbit/s.
    """

    model: Model | int
    firmware_major: int
    firmware_minor: int
    hardware_version: int | None
    device_code: str
    serial: str
    manufactured: str = ""
    supply_volts: float | None = None
    usb_high_speed: bool | None = None

    @property
    def in_bootloader(self) -> bool:
        return self.firmware_minor == 0

    @property
    def firmware(self) -> str:
        """minipro's format ``HH.M.mm`` (e.g. ``04.2.128``); ``M.mm`` without a hardware
        version."""
        if self.hardware_version is None:
            return f"{self.firmware_major}.{self.firmware_minor:02d}"
        return f"{self.hardware_version:02d}.{self.firmware_major}.{self.firmware_minor:02d}"

    @property
    def model_name(self) -> str:
        return self.model.label if isinstance(self.model, Model) else f"model {self.model}"


def _text(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("ascii", "replace").strip()


# Offsets in the system-info reply (section 1.2).
_SI_FW_MINOR = 4
_SI_FW_MAJOR = 5
_SI_MODEL = 6
_TL866_DEVICE_CODE = slice(8, 16)
_TL866_SERIAL = slice(16, 36)
_TL866_HW_VERSION = 40
_T48_DATE = slice(8, 24)
_T48_DEVICE_CODE = slice(24, 32)
_T48_SERIAL = slice(32, 56)
_T48_SUPPLY = 56
_T48_USB_SPEED = 60
_T48_SUPPLY_NUM, _T48_SUPPLY_DEN = 0xCCF6, 0x27000
"""Supply voltage scaling: ``(raw * 0xCCF6 / 0x27000) / 100`` volts."""


def decode_system_info(reply: bytes) -> SystemInfo:
    """Decode the system-info reply of a TL866II+ or T48 (other models: fields best effort).

    Raises:
        ProtocolError: the reply is too short to hold the model byte and serial number.
    """
    if len(reply) <= _SI_MODEL:
        raise ProtocolError(
            "system info reply too short",
            op="get system info",
            expected=">= 41 bytes",
            actual=f"{len(reply)} bytes",
        )
    raw_model = reply[_SI_MODEL]
    model: Model | int = Model(raw_model) if raw_model in Model._value2member_map_ else raw_model
    major, minor = reply[_SI_FW_MAJOR], reply[_SI_FW_MINOR]
    if model in (Model.T48, Model.T56, Model.T76):
        if len(reply) < _T48_USB_SPEED + 1:
            raise ProtocolError(
                "system info reply too short",
                op="get system info",
                expected=f">= {_T48_USB_SPEED + 1} bytes",
                actual=f"{len(reply)} bytes",
            )
        (raw_supply,) = struct.unpack_from("<I", reply, _T48_SUPPLY)
        return SystemInfo(
            model=model,
            firmware_major=major,
            firmware_minor=minor,
            hardware_version=None,
            device_code=_text(reply[_T48_DEVICE_CODE]),
            serial=_text(reply[_T48_SERIAL]),
            manufactured=_text(reply[_T48_DATE]),
            supply_volts=raw_supply * _T48_SUPPLY_NUM / _T48_SUPPLY_DEN / 100,
            usb_high_speed=reply[_T48_USB_SPEED] == 1,
        )
    if len(reply) < _TL866_HW_VERSION + 1:
        raise ProtocolError(
            "system info reply too short",
            op="get system info",
            expected=f">= {_TL866_HW_VERSION + 1} bytes",
            actual=f"{len(reply)} bytes",
        )
    return SystemInfo(
        model=model,
        firmware_major=major,
        firmware_minor=minor,
        hardware_version=reply[_TL866_HW_VERSION],
        device_code=_text(reply[_TL866_DEVICE_CODE]),
        serial=_text(reply[_TL866_SERIAL]),
    )


class IdType(IntEnum):
    """Chip-id type byte at offset 0 of the chip-id reply (section 1.4)."""

    BE_SHORT = 1
    """Big-endian, 1 to 3 bytes (parallel memories: manufacturer:device)."""
    BE_4 = 2
    """Big-endian, 4 bytes."""
    LE_MICROCHIP_REV5 = 3
    """Little-endian Microchip id; the low 5 revision bits are masked off."""
    LE_MICROCHIP_REV = 4
    """Little-endian Microchip id; ``rev_bits`` revision bits are masked off."""
    BE_SPI = 5
    """Big-endian 3-byte SPI 25xx id."""


_ID_OFFSET = 2
_MAX_ID_BYTES = 4


def chip_id_byte_count(chip_id: int) -> int:
    """Significant bytes of a database chip id (0 for "no id"), at most 4."""
    return min(_MAX_ID_BYTES, (chip_id.bit_length() + 7) // 8)


def decode_chip_id(reply: bytes, nbytes: int, *, rev_bits: int = 0) -> tuple[int, int]:
    """Decode a chip-id reply into ``(id_type, value)``.

    Args:
        reply: 6 bytes (TL866II+) or 32 bytes (T48).
        nbytes: significant bytes of the expected id (:func:`chip_id_byte_count`), 1..4.
        rev_bits: revision bits masked off for type 4.

    Raises:
        ProtocolError: the reply is too short, or the type byte is not 1..5.
    """
    nbytes = max(1, min(_MAX_ID_BYTES, nbytes))
    if len(reply) < _ID_OFFSET + nbytes:
        raise ProtocolError(
            "chip id reply too short",
            op="read chip id",
            expected=_ID_OFFSET + nbytes,
            actual=len(reply),
        )
    raw = reply[_ID_OFFSET : _ID_OFFSET + nbytes]
    id_type = reply[0]
    if id_type in (IdType.BE_SHORT, IdType.BE_4, IdType.BE_SPI):
        return id_type, int.from_bytes(raw, "big")
    if id_type == IdType.LE_MICROCHIP_REV5:
        return id_type, int.from_bytes(raw, "little") & ~0x1F
    if id_type == IdType.LE_MICROCHIP_REV:
        return id_type, int.from_bytes(raw, "little") & ~((1 << rev_bits) - 1)
    raise ProtocolError("unknown chip id type", op="read chip id", expected="1..5", actual=id_type)
