"""The simulated romprog board's limits: what its HELLO announces (PROTOCOL.md section 4)."""

from __future__ import annotations

from dataclasses import dataclass

from romtool.programmers.romprog import protocol as p

BOARD_SIM = 0xEE
"""HELLO board id of the simulator."""
FW_VERSION = (1, 0)
SIM_CAPS = (
    p.Cap.VPP
    | p.Cap.A9_ID
    | p.Cap.SOFTWARE_ID
    | p.Cap.ERASE
    | p.Cap.DEVICE_CRC
    | p.Cap.BLANK_CHECK
    | p.Cap.CAN_PROGRAM
    | p.Cap.SET_BAUD
    | p.Cap.PAGE_WRITE
    | p.Cap.SIM_UV
)
ALL_ALGORITHMS = sum(1 << int(a) for a in p.Algorithm)


@dataclass(frozen=True)
class DeviceConfig:
    """The board's limits (what HELLO announces).

    The defaults describe the reference ATmega2560 board: 512-byte payloads, four data
    buffers (2 KiB window), 19 address lines, VPP 11.5-21.5 V (21 V NMOS 2764/27128 parts).
    """

    max_payload: int = 512
    window: int = 2048
    address_bits: int = 19
    vpp_min_mv: int = 11_500
    vpp_max_mv: int = 21_500
    vcc_min_mv: int = 4_500
    vcc_max_mv: int = 6_500
    watchdog_ms: int = 2000
    clock_khz: int = 16_000
    caps: p.Cap = SIM_CAPS

    @property
    def data_per_frame(self) -> int:
        return self.max_payload - p.DATA_HEADER.size

    @property
    def slots(self) -> int:
        """Receive slots: the data buffers plus one for a control frame."""
        return self.window // self.data_per_frame + 1

    def limits(self) -> p.Limits:
        return p.Limits(
            proto=p.PROTO_VERSION,
            fw_major=FW_VERSION[0],
            fw_minor=FW_VERSION[1],
            board=BOARD_SIM,
            caps=self.caps,
            max_payload=self.max_payload,
            window=self.window,
            address_bits=self.address_bits,
            algorithms=ALL_ALGORITHMS,
            vpp_min_mv=self.vpp_min_mv,
            vpp_max_mv=self.vpp_max_mv,
            vcc_min_mv=self.vcc_min_mv,
            vcc_max_mv=self.vcc_max_mv,
            watchdog_ms=self.watchdog_ms,
            clock_khz=self.clock_khz,
        )
