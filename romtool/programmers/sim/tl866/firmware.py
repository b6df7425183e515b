"""What the simulated TL866's firmware does to the chip in its socket, pin by pin.

The real firmware chooses a chip algorithm from the begin-transaction packet; this model does
the same from the packet's fields, and then drives a datasheet
:class:`~romtool.programmers.sim.chips.ChipModel` cycle by cycle on the shared virtual clock.
It is written from the datasheet facts (section 5 of the protocol reference), independently
of :mod:`romtool.algorithms` and of the host driver.

How the algorithm is chosen (our model of the firmware; XGecu does not document it):

* ``protocol_id`` 0x05: AT29 page-mode flash, one sector of ``page_size`` bytes at a time;
* no erase flag: EPROM quick-pulse, ``pulse_delay`` µs pulses at the VPP/VDD of ``voltages``;
* erase flag and ``page_size`` > 1: 28C page write, 1: 28C byte write;
* erase flag and ``page_size`` 0: JEDEC byte-program flash.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from romtool.programmers.sim.chips.base import ChipModel, PinError

# JEDEC command cycles (SST39SF010A / AT28C256 / AT29C256 datasheets: software command table).
UNLOCK1_ADDR, UNLOCK1_DATA = 0x5555, 0xAA
UNLOCK2_ADDR, UNLOCK2_DATA = 0x2AAA, 0x55
CMD_PROGRAM = 0xA0
"""Byte program (JEDEC flash); on 28C/29C parts: the SDP-protected write prefix."""
CMD_ERASE_SETUP = 0x80
CMD_CHIP_ERASE = 0x10
CMD_SDP_DISABLE = 0x20
"""Third command byte after the erase-setup pair: disable software data protection."""
CMD_ID_ENTRY = 0x90
CMD_ID_EXIT = 0xF0

MAX_PULSES = 25
"""Quick-pulse limit per byte (ST "Presto II": up to 25 pulses of 100 µs)."""
POLL_US = 10.0
"""Pause between two status-poll reads (DQ7 data polling)."""
ID_ENTRY_WAIT_US = 10_000.0
"""Wait after the software-id entry: some Atmel parts need 10 ms (flashrom probe_timing)."""
BUSY_LIMIT_US = 2_000_000.0
"""Longest a single program/erase may stay busy before the firmware gives up (2 s; the
slowest operation here, a whole-chip flash erase, is about 100 ms typical)."""
FIRMWARE_BYTE_US = 1.0
"""Firmware overhead per byte moved between the socket and the USB buffer (estimate)."""
LOAD_WINDOW_END_US = 200.0
"""Wait after the last byte of a page load before polling: the part starts writing only when
tBLC (150 µs on Atmel 28C/29C parts) has passed without another load cycle."""
SUPPLY_SETTLE_US = 100.0
"""Time for VCC/VPP to settle after a change (estimate)."""

# TL866II+ supply codes (section 1.6, ``voltages``): index -> mV.
VPP_CODE_MV = (
    12000,
    9000,
    9500,
    10000,
    11000,
    11500,
    12500,
    13000,
    13500,
    14000,
    14500,
    15500,
    16000,
    16500,
    17000,
    18000,
)
VCC_CODE_MV = (5000, 3300, 4000, 4500, 5500, 6500)
READ_VCC_MV = 5000
_FLAG_CAN_ERASE = 0x10
_PROTOCOL_AT29 = 0x05


class Kind(Enum):
    EPROM = "eprom"
    EEPROM_PAGE = "eeprom-page"
    EEPROM_BYTE = "eeprom-byte"
    AT29 = "at29"
    JEDEC = "jedec"


@dataclass(frozen=True)
class Setup:
    """What the firmware took from a begin-transaction packet (its own decoding)."""

    protocol_id: int
    variant: int
    voltages: int
    page_size: int
    pulse_us: int
    code_size: int
    read_buffer: int
    flags: int

    @property
    def kind(self) -> Kind:
        if self.protocol_id == _PROTOCOL_AT29:
            return Kind.AT29
        if not self.flags & _FLAG_CAN_ERASE:
            return Kind.EPROM
        if self.page_size > 1:
            return Kind.EEPROM_PAGE
        if self.page_size == 1:
            return Kind.EEPROM_BYTE
        return Kind.JEDEC

    def _code(self, table: tuple[int, ...], code: int) -> int:
        return table[code] if code < len(table) else table[0]

    @property
    def vpp_mv(self) -> int:
        return self._code(VPP_CODE_MV, (self.voltages & 0xF0) >> 4)

    @property
    def vdd_mv(self) -> int:
        """VCC while programming (the "write VCC")."""
        return self._code(VCC_CODE_MV, (self.voltages >> 12) & 0x0F)


@dataclass(frozen=True)
class Mismatch:
    """A verify-while-write failure: what the status reply reports."""

    address: int
    device: int
    wanted: int


class Firmware:
    """Chip algorithms over one socket (``chip`` None: an empty socket)."""

    def __init__(self, chip: ChipModel | None) -> None:
        self.chip = chip
        self.setup: Setup | None = None

    # --- power -----------------------------------------------------------------------------

    def power_on(self, setup: Setup) -> None:
        self.setup = setup
        if self.chip is not None:
            self.chip.set_vpp(None)
            self.chip.set_vcc(READ_VCC_MV)
            self.chip.idle(SUPPLY_SETTLE_US)

    def power_off(self) -> None:
        self.setup = None
        if self.chip is not None:
            self.chip.set_vpp(None)
            self.chip.set_vcc(0)

    # --- reads -----------------------------------------------------------------------------

    def read(self, address: int, length: int) -> bytes:
        if self.chip is None:
            return b"\xff" * length
        out = bytearray(length)
        for i in range(length):
            out[i] = self.chip.read(address + i)
        self.chip.idle(FIRMWARE_BYTE_US * length)
        return bytes(out)

    def read_id(self, kind: Kind) -> int:
        """Manufacturer:device as a 16-bit value (EPROM: A9 at 12 V; others: software id)."""
        chip = self.chip
        if chip is None:
            return 0xFFFF
        if kind == Kind.EPROM:
            return chip.read_signature(0) << 8 | chip.read_signature(1)
        self._command(CMD_ID_ENTRY)
        chip.idle(ID_ENTRY_WAIT_US)
        value = chip.read(0) << 8 | chip.read(1)
        self._command(CMD_ID_EXIT)
        chip.idle(ID_ENTRY_WAIT_US)
        return value

    # --- writes ----------------------------------------------------------------------------

    def program(self, address: int, data: bytes) -> Mismatch | None:
        """Program a block with the chosen algorithm and verify it as the firmware does."""
        setup = self.setup
        chip = self.chip
        if setup is None or chip is None:
            return Mismatch(address, 0xFF, data[0] if data else 0xFF) if data else None
        chip.idle(FIRMWARE_BYTE_US * len(data))
        try:
            if setup.kind == Kind.EPROM:
                return self._program_eprom(setup, address, data)
            if setup.kind == Kind.JEDEC:
                return self._program_jedec(address, data)
            if setup.kind == Kind.EEPROM_BYTE:
                return self._program_pages(address, data, 1, prefix=False)
            page = max(1, setup.page_size)
            return self._program_pages(address, data, page, prefix=setup.kind == Kind.AT29)
        except PinError:
            # The part cannot do what this algorithm asks of its pins: nothing programs.
            return self._verify(address, data)
        finally:
            chip.set_vpp(None)
            chip.set_vcc(READ_VCC_MV)

    def _verify(self, address: int, data: bytes) -> Mismatch | None:
        assert self.chip is not None
        for i, want in enumerate(data):
            got = self.chip.read(address + i)
            if got != want:
                return Mismatch(address + i, got, want)
        return None

    def _program_eprom(self, setup: Setup, address: int, data: bytes) -> Mismatch | None:
        """Quick-pulse at VDD: pulse with VPP applied, verify with VPP removed.

        VPP comes off for every verify read because on parts whose OE and VPP share a pin
        (27C512) the outputs stay off while VPP is on that pin; parts with a separate VPP pin
        verify the same way.
        """
        chip = self.chip
        assert chip is not None
        chip.set_vcc(setup.vdd_mv)
        chip.idle(SUPPLY_SETTLE_US)
        for i, want in enumerate(data):
            addr = address + i
            got = chip.read(addr)
            pulses = 0
            while got != want and pulses < MAX_PULSES:
                if got & want != want:
                    break  # a 0 bit would have to become 1: only UV light does that
                chip.set_vpp(setup.vpp_mv)
                chip.program_pulse(addr, want, setup.pulse_us)
                chip.set_vpp(None)
                pulses += 1
                got = chip.read(addr)
            if got != want:
                return Mismatch(addr, got, want)
        return None

    def _program_jedec(self, address: int, data: bytes) -> Mismatch | None:
        chip = self.chip
        assert chip is not None
        for i, want in enumerate(data):
            addr = address + i
            if want == 0xFF:
                got = chip.read(addr)
                if got != want:
                    return Mismatch(addr, got, want)
                continue
            self._command(CMD_PROGRAM)
            chip.write(addr, want)
            self._wait_ready(addr, want)
            got = chip.read(addr)
            if got != want:
                return Mismatch(addr, got, want)
        return None

    def _program_pages(
        self, address: int, data: bytes, page: int, *, prefix: bool
    ) -> Mismatch | None:
        chip = self.chip
        assert chip is not None
        pos = 0
        while pos < len(data):
            addr = address + pos
            n = min(page - addr % page, len(data) - pos)
            if prefix:
                self._command(CMD_PROGRAM)
            for i in range(n):
                chip.write(addr + i, data[pos + i])
            last = addr + n - 1
            chip.idle(LOAD_WINDOW_END_US)
            self._wait_ready(last, data[pos + n - 1])
            bad = self._verify(addr, data[pos : pos + n])
            if bad is not None:
                return bad
            pos += n
        return None

    def erase(self, kind: Kind, size: int) -> None:
        """Chip erase: the 6-cycle command on flash; 0xFF pages on 28C EEPROMs."""
        chip = self.chip
        if chip is None:
            return
        if kind in (Kind.EEPROM_PAGE, Kind.EEPROM_BYTE):
            page = 64 if kind == Kind.EEPROM_PAGE else 1
            for start in range(0, size, page):
                self._program_pages(start, b"\xff" * min(page, size - start), page, prefix=False)
            return
        self._command(CMD_ERASE_SETUP)
        self._command(CMD_CHIP_ERASE)
        self._wait_ready(0, 0xFF)

    def protect(self, on: bool) -> None:
        """SDP on (the protected-write prefix plus one rewrite) or off (6-cycle disable)."""
        chip = self.chip
        if chip is None:
            return
        if on:
            keep = chip.read(0)
            self._command(CMD_PROGRAM)
            chip.write(0, keep)
            self._wait_ready(0, keep)
        else:
            self._command(CMD_ERASE_SETUP)
            self._command(CMD_SDP_DISABLE)
            chip.idle(ID_ENTRY_WAIT_US)

    # --- helpers ---------------------------------------------------------------------------

    def _command(self, cmd: int) -> None:
        assert self.chip is not None
        self.chip.write(UNLOCK1_ADDR, UNLOCK1_DATA)
        self.chip.write(UNLOCK2_ADDR, UNLOCK2_DATA)
        self.chip.write(UNLOCK1_ADDR, cmd)

    def _wait_ready(self, address: int, value: int) -> None:
        """Poll the part until its internal operation is over (DQ7 data polling).

        Each poll is a real read cycle at ``address`` (which shows the complement of DQ7 of
        ``value`` while busy); the loop ends when the part is idle or after
        :data:`BUSY_LIMIT_US`, the way firmware gives up on a part that never finishes.
        """
        chip = self.chip
        assert chip is not None
        start = chip.clock.now_us()
        while chip.clock.now_us() - start < BUSY_LIMIT_US:
            chip.read(address)
            if not chip.busy:
                return
            chip.idle(POLL_US)
