"""Wire format of the romprog protocol, version 1 (see firmware/PROTOCOL.md).

Numbers (frame types, commands, status codes, capability bits, algorithm ids), the frame codec
(COBS + CRC-32) and the fixed payload layouts. Both the host driver and the simulated device use
this module; neither puts protocol logic here.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from enum import IntEnum, IntFlag

from cobs import cobs

PROTO_VERSION = 1
"""``ver`` byte of every frame and the version in HELLO (PROTOCOL.md section 2)."""
MAGIC = 0x47525052
"""HELLO magic, "RPRG" in memory order (PROTOCOL.md section 6.1)."""
DELIMITER = b"\x00"
HEADER = struct.Struct("<BBHBBH")
"""ver u8, type u8, seq u16, cmd u8, status u8, len u16 (PROTOCOL.md section 2)."""
CRC_SIZE = 4
MIN_FRAME = HEADER.size + CRC_SIZE
MIN_PAYLOAD = 64
"""Smallest max_payload a device may announce."""
DATA_HEADER = struct.Struct("<I")
"""Offset in front of the bytes of a DATA frame."""
NO_ADDRESS = 0xFFFFFFFF
"""``first`` field value meaning "none" (BLANK_CHECK, CAN_PROGRAM)."""


class FrameType(IntEnum):
    """Frame types (PROTOCOL.md section 2, "Frame types")."""

    REQ = 1
    RSP = 2
    DATA = 3
    ACK = 4
    NAK = 5
    EVT = 6
    LOG = 7


class Cmd(IntEnum):
    """Command values (PROTOCOL.md section 6)."""

    HELLO = 0x01
    SET_BAUD = 0x02
    PING = 0x03
    BYE = 0x04
    ABORT = 0x05
    SET_PROFILE = 0x10
    IDENTIFY = 0x11
    READ = 0x12
    CRC = 0x13
    BLANK_CHECK = 0x14
    BLOCK_INFO = 0x15
    CAN_PROGRAM = 0x16
    WRITE_BEGIN = 0x17
    WRITE_END = 0x18
    ERASE = 0x19
    SIM_UV_ERASE = 0xF0


class Status(IntEnum):
    """Response status codes (PROTOCOL.md section 8)."""

    OK = 0
    UNKNOWN_CMD = 1
    BAD_ARG = 2
    BAD_PROFILE = 3
    NO_PROFILE = 4
    BAD_RANGE = 5
    PROGRAM_FAIL = 6
    ERASE_FAIL = 7
    VPP_FAULT = 8
    OVERCURRENT = 9
    TIMEOUT = 10
    DATA_CRC = 11
    WATCHDOG = 12
    ABORTED = 13
    UNSUPPORTED = 14
    NO_STREAM = 15


class Cap(IntFlag):
    """Capability bits in HELLO (PROTOCOL.md section 4)."""

    VPP = 1 << 0
    A9_ID = 1 << 1
    SOFTWARE_ID = 1 << 2
    ERASE = 1 << 3
    DEVICE_CRC = 1 << 4
    BLANK_CHECK = 1 << 5
    CAN_PROGRAM = 1 << 6
    SET_BAUD = 1 << 7
    PAGE_WRITE = 1 << 8
    SIM_UV = 1 << 9


class Algorithm(IntEnum):
    """Device-side algorithm ids in the chip profile (PROTOCOL.md section 7)."""

    EPROM_QUICKPULSE = 1
    EPROM_STANDARD = 2
    EEPROM_BYTE = 3
    EEPROM_PAGE = 4
    JEDEC_BYTE = 5
    AT29_PAGE = 6


class IdMethod(IntEnum):
    """How the device reads the chip id (profile ``id_method``)."""

    NONE = 0
    SOFTWARE = 1
    A9 = 2


class EraseMode(IntEnum):
    """ERASE ``mode`` byte."""

    CHIP = 0
    SECTOR = 1


class EvtKind(IntEnum):
    """EVT ``kind`` byte (PROTOCOL.md section 6.6)."""

    PROGRESS = 1
    WATCHDOG = 2
    OVERCURRENT = 3


class ProfileFlag(IntFlag):
    """Profile ``flags`` byte."""

    NONE = 0
    ELECTRIC_ERASE = 1 << 0
    UV_ERASE = 1 << 1
    OE_VPP_SHARED = 1 << 2
    """VPP shares the OE pin (28-pin 27C512): remove VPP before every verify read."""


@dataclass(frozen=True)
class Frame:
    """One decoded frame."""

    type: FrameType
    seq: int
    cmd: int
    status: int = 0
    payload: bytes = b""

    def encode(self) -> bytes:
        """The frame on the wire: COBS with a trailing 0x00 delimiter."""
        return encode_frame(self)

    def describe(self) -> str:
        """Short text for trace logs: ``REQ seq=3 READ st=OK len=8``."""
        try:
            cname = Cmd(self.cmd).name
        except ValueError:
            cname = f"0x{self.cmd:02X}"
        try:
            sname = Status(self.status).name
        except ValueError:
            sname = str(self.status)
        return f"{self.type.name} seq={self.seq} {cname} st={sname} len={len(self.payload)}"


def encode_frame(frame: Frame) -> bytes:
    """Serialise ``frame``: header, payload, CRC-32, COBS, delimiter."""
    body = (
        HEADER.pack(
            PROTO_VERSION,
            int(frame.type),
            frame.seq & 0xFFFF,
            frame.cmd,
            frame.status,
            len(frame.payload),
        )
        + frame.payload
    )
    body += struct.pack("<I", zlib.crc32(body))
    out: bytes = cobs.encode(body)
    return out + DELIMITER


def decode_body(encoded: bytes) -> Frame | None:
    """Decode one COBS-encoded frame (without delimiters); None when it is damaged.

    Damaged means: bad COBS, too short, ``len`` disagreeing with the size, a CRC mismatch, an
    unknown ``ver`` or ``type``. The protocol drops such frames silently.
    """
    try:
        body: bytes = cobs.decode(encoded)
    except cobs.DecodeError:
        return None
    if len(body) < MIN_FRAME:
        return None
    (crc,) = struct.unpack_from("<I", body, len(body) - CRC_SIZE)
    if zlib.crc32(body[:-CRC_SIZE]) != crc:
        return None
    ver, ftype, seq, cmd, status, length = HEADER.unpack_from(body)
    if ver != PROTO_VERSION or length != len(body) - MIN_FRAME:
        return None
    try:
        kind = FrameType(ftype)
    except ValueError:
        return None
    return Frame(kind, seq, cmd, status, body[HEADER.size : HEADER.size + length])


class FrameDecoder:
    """Split a byte stream into frames at 0x00 delimiters.

    Args:
        max_encoded: longest encoded frame accepted; longer runs without a delimiter are noise
            and are discarded (bounded memory, as on the device).
    """

    def __init__(self, max_encoded: int) -> None:
        self.max_encoded = max_encoded
        self._buf = bytearray()
        self._overflow = False
        self.dropped = 0
        """Frames dropped as damaged or oversized (for statistics and --trace)."""

    def feed(self, data: bytes) -> Iterator[Frame]:
        """Feed received bytes; yield every complete, intact frame."""
        start = 0
        while True:
            end = data.find(0, start)
            if end < 0:
                self._append(data[start:])
                return
            self._append(data[start:end])
            chunk, overflow = bytes(self._buf), self._overflow
            self._buf.clear()
            self._overflow = False
            start = end + 1
            if overflow:
                self.dropped += 1
                continue
            if not chunk:
                continue
            frame = decode_body(chunk)
            if frame is None:
                self.dropped += 1
            else:
                yield frame

    def _append(self, data: bytes) -> None:
        if self._overflow or not data:
            return
        if len(self._buf) + len(data) > self.max_encoded:
            self._overflow = True
            self._buf.clear()
            return
        self._buf += data


def max_encoded_size(max_payload: int) -> int:
    """Longest COBS encoding of a frame with ``max_payload`` payload bytes."""
    raw = MIN_FRAME + max_payload
    return raw + raw // 254 + 2


# --- fixed payload layouts ------------------------------------------------------------------

HELLO_REQ = struct.Struct("<IB")
"""magic u32, host proto u8."""


@dataclass(frozen=True)
class Limits:
    """The device's HELLO answer (PROTOCOL.md section 4)."""

    proto: int
    fw_major: int
    fw_minor: int
    board: int
    caps: Cap
    max_payload: int
    window: int
    address_bits: int
    algorithms: int
    vpp_min_mv: int
    vpp_max_mv: int
    vcc_min_mv: int
    vcc_max_mv: int
    watchdog_ms: int
    clock_khz: int

    _S = struct.Struct("<IBBBBIHHBBHHHHHI")

    def pack(self) -> bytes:
        return self._S.pack(
            MAGIC,
            self.proto,
            self.fw_major,
            self.fw_minor,
            self.board,
            int(self.caps),
            self.max_payload,
            self.window,
            self.address_bits,
            self.algorithms,
            self.vpp_min_mv,
            self.vpp_max_mv,
            self.vcc_min_mv,
            self.vcc_max_mv,
            self.watchdog_ms,
            self.clock_khz,
        )

    @classmethod
    def unpack(cls, payload: bytes) -> Limits:
        """Parse a HELLO response payload.

        Raises:
            ValueError: wrong size or magic.
        """
        if len(payload) < cls._S.size:
            raise ValueError(f"HELLO answer is {len(payload)} bytes, expected {cls._S.size}")
        fields = cls._S.unpack_from(payload)
        if fields[0] != MAGIC:
            raise ValueError(f"bad HELLO magic 0x{fields[0]:08X}")
        return cls(
            fields[1],
            fields[2],
            fields[3],
            fields[4],
            Cap(fields[5]),
            *fields[6:],
        )

    def supports(self, algorithm: Algorithm) -> bool:
        return bool(self.algorithms & (1 << int(algorithm)))


@dataclass(frozen=True)
class Profile:
    """The chip profile sent with SET_PROFILE (PROTOCOL.md section 7); units in field names."""

    size: int
    algorithm: Algorithm
    pins: int = 28
    page: int = 1
    sector: int = 0
    pulse_us: int = 100
    max_pulses: int = 25
    overprogram: int = 0
    write_us: int = 0
    tblc_us: int = 150
    erase_ms: int = 0
    vpp_mv: int = 0
    vcc_prog_mv: int = 5000
    vcc_verify_mv: int = 5000
    id_method: IdMethod = IdMethod.NONE
    sdp: int = 0
    flags: ProfileFlag = ProfileFlag.NONE

    _S = struct.Struct("<IBBHIHBBIHIHHHBBB5x")

    def pack(self) -> bytes:
        return self._S.pack(
            self.size,
            int(self.algorithm),
            self.pins,
            self.page,
            self.sector,
            self.pulse_us,
            self.max_pulses,
            self.overprogram,
            self.write_us,
            self.tblc_us,
            self.erase_ms,
            self.vpp_mv,
            self.vcc_prog_mv,
            self.vcc_verify_mv,
            int(self.id_method),
            self.sdp,
            int(self.flags),
        )

    @classmethod
    def unpack(cls, payload: bytes) -> Profile:
        """Parse a SET_PROFILE payload.

        Raises:
            ValueError: wrong size or an unknown algorithm/id method.
        """
        if len(payload) != cls._S.size:
            raise ValueError(f"profile is {len(payload)} bytes, expected {cls._S.size}")
        f = cls._S.unpack(payload)
        return cls(
            size=f[0],
            algorithm=Algorithm(f[1]),
            pins=f[2],
            page=f[3],
            sector=f[4],
            pulse_us=f[5],
            max_pulses=f[6],
            overprogram=f[7],
            write_us=f[8],
            tblc_us=f[9],
            erase_ms=f[10],
            vpp_mv=f[11],
            vcc_prog_mv=f[12],
            vcc_verify_mv=f[13],
            id_method=IdMethod(f[14]),
            sdp=f[15],
            flags=ProfileFlag(f[16]),
        )


PROFILE_SIZE = Profile._S.size
ADDR_LEN = struct.Struct("<II")
"""addr u32, len u32 (CRC; READ without a frame size)."""
READ_REQ = struct.Struct("<IIH")
"""addr u32, len u32, chunk u16 (READ: largest data bytes per frame; 0 = the device's)."""
BLANK_REQ = struct.Struct("<IIB")
"""addr u32, len u32, value u8."""
BLOCK_INFO_REQ = struct.Struct("<IIH")
"""addr u32, len u32, block u16."""
BLOCK_INFO_ITEM = struct.Struct("<IB")
"""crc32 u32, flags u8 (bit 0: all 0xFF)."""
COUNT_FIRST = struct.Struct("<II")
"""count u32, first u32 (BLANK_CHECK, CAN_PROGRAM answers)."""
WRITE_BEGIN_REQ = struct.Struct("<III")
"""addr u32, len u32, crc32 u32."""
WRITE_END_RSP = struct.Struct("<IBI")
"""committed u32, max_pulses u8, retried u32."""
WRITE_ACK = struct.Struct("<II")
"""received u32, committed u32."""
READ_ACK = struct.Struct("<I")
"""received u32."""
ERASE_REQ = struct.Struct("<BI")
"""mode u8, addr u32."""
IDENTIFY_RSP = struct.Struct("<BBB")
"""manufacturer u8, device u8, method u8."""
PROGRAM_FAIL_INFO = struct.Struct("<IBBB")
"""address u32, wanted u8, read u8, pulses u8."""
PROGRESS_EVT = struct.Struct("<BBII")
"""kind u8 (PROGRESS), op u8, done u32, total u32."""
