"""TL866 chip profiles: the minipro database fields the programmer firmware needs per part.

A :class:`Tl866Profile` carries the attributes of one ``<ic>`` entry of minipro's
``infoic.xml`` (INFOIC2PLUS database, section 1.6 of the protocol reference), as raw numbers:
the firmware runs the chip algorithm itself, and these numbers choose the algorithm
(``protocol_id``, ``variant``), the pinout (``pin_map``), the supplies (``voltages``), the
timing (``pulse_delay``) and the block sizes.

Built-in profiles exist for the boot-ROM parts whose entries are quoted in our protocol notes.
Where a field of a part is not quoted there, the built-in profile lists it in
:attr:`Tl866Profile.unverified`, and the driver refuses to send that profile to real hardware
unless the user confirms it: a wrong ``pin_map`` or ``voltages`` can put VPP on the wrong pin
of someone's only copy of a boot ROM. Loading the user's own minipro ``infoic.xml``
(:mod:`romtool.programmers.tl866.infoic`) gives complete entries for every part minipro knows.
"""

from __future__ import annotations

from dataclasses import dataclass

from romtool.errors import ChipDatabaseError
from romtool.programmers.tl866.protocol import (
    BeginParams,
    ChipFlag,
    Model,
    chip_id_byte_count,
)


class IcType:
    """The infoic.xml ``type`` attribute (section 1.6)."""

    MEMORY = 1
    MCU = 2
    PLD = 3
    SRAM = 4
    LOGIC = 5
    NAND = 6
    EMMC = 7
    VGA = 8


# pin_map high bits: which programmers may use the entry (section 1.6).
PIN_MAP_T56_ONLY = 0x10000000
PIN_MAP_TL866II_ONLY = 0x20000000
PIN_MAP_T48_ONLY = 0x40000000

# TL866II+ supply codes (section 1.6, ``voltages``). The T48 has its own tables, which our
# notes do not list, so :meth:`Tl866Profile.supplies` decodes only for the TL866II+.
TL866II_VPP_VOLTS = (12, 9, 9.5, 10, 11, 11.5, 12.5, 13, 13.5, 14, 14.5, 15.5, 16, 16.5, 17, 18)
"""Index = bits 4..7 of the VPP code byte (0x00 = 12 V ... 0xF0 = 18 V)."""
TL866II_VCC_VOLTS = (5, 3.3, 4, 4.5, 5.5, 6.5)
"""Index = the VCC (bits 8..11) or VDD (bits 12..15) code."""

# package_details low byte: the adapter (section 1.6). minipro unlocks the TSOP48, SOP44 and
# SOP56 adapters (command 0x38, a challenge with a CRC16) before using them; romtool does not
# implement that handshake, so entries needing one of these adapters are refused.
ADAPTER_TSOP48 = 1
ADAPTER_SOP44 = 2
ADAPTER_SOP56 = 6
LOCKED_ADAPTERS = {ADAPTER_TSOP48: "TSOP48", ADAPTER_SOP44: "SOP44", ADAPTER_SOP56: "SOP56"}

SOURCE_BUILTIN = "built-in (minipro database values quoted in the protocol notes)"


@dataclass(frozen=True)
class Tl866Profile:
    """One chip entry for the TL866II+/T48.

    Attributes mirror the infoic.xml ``<ic>`` attributes (raw integers; see section 1.6 for
    the meaning of each bit):

    Attributes:
        name: the name the entry is found by (first name of the entry).
        aliases: the other comma-separated names of the entry, ``@PACKAGE`` suffixes included.
        ic_type: :class:`IcType` value.
        protocol_id: firmware algorithm family (bit 31 set: host-driven "custom" protocol).
        variant: sub-algorithm / pinout variant.
        read_buffer_size: bytes per read block.
        write_buffer_size: bytes per write block.
        code_memory_size: main memory size in bytes.
        data_memory_size: MCU EEPROM area in bytes.
        data_memory2_size: second data area in bytes.
        page_size: EEPROM/flash page size in bytes (0: not paged, 1: byte write).
        pages_per_block: pages per erase block.
        chip_id: id as the programmer reports it (0: the part has no id).
        voltages: VDD (bits 12..15), VCC (8..11), VPP (0..7) codes.
        pulse_delay: µs; EPROM program pulse or EEPROM write-cycle wait.
        flags: :class:`~romtool.programmers.tl866.protocol.ChipFlag` bits and more.
        chip_info: 6 = VCC/VDD/VPP/pulse adjustable (EPROMs), 7 = only VPP adjustable.
        pin_map: low byte = pinout index; high bits = programmer availability.
        package_details: bits 24..30 pin count, low byte adapter.
        blank_value: value of an erased byte.
        source: where the values come from (built-in table, or the infoic.xml path).
        unverified: names of fields whose values are romtool's own estimate, not a database
            value; empty for every profile read from infoic.xml.
    """

    name: str
    protocol_id: int
    variant: int
    read_buffer_size: int
    write_buffer_size: int
    code_memory_size: int
    chip_id: int
    voltages: int
    pulse_delay: int
    flags: int
    chip_info: int = 0
    pin_map: int = 0
    package_details: int = 0
    page_size: int = 0
    pages_per_block: int = 0
    data_memory_size: int = 0
    data_memory2_size: int = 0
    blank_value: int = 0xFF
    ic_type: int = IcType.MEMORY
    aliases: tuple[str, ...] = ()
    source: str = SOURCE_BUILTIN
    unverified: frozenset[str] = frozenset()

    # --- derived facts ---------------------------------------------------------------------

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    @property
    def chip_id_bytes(self) -> int:
        """Significant bytes of :attr:`chip_id` (0 when the part has no id)."""
        return chip_id_byte_count(self.chip_id)

    @property
    def has_chip_id(self) -> bool:
        return bool(self.flags & ChipFlag.HAS_CHIP_ID) and self.chip_id != 0

    @property
    def can_erase(self) -> bool:
        return bool(self.flags & ChipFlag.CAN_ERASE)

    @property
    def protect_off_before_write(self) -> bool:
        """SDP parts: send protect off (0x18) before writing."""
        return bool(self.flags & ChipFlag.PROTECT_OFF_BEFORE_WRITE)

    @property
    def can_protect_after(self) -> bool:
        """SDP parts: protect on (0x19) may be sent after writing."""
        return bool(self.flags & ChipFlag.CAN_PROTECT_AFTER)

    @property
    def word_bus(self) -> bool:
        return bool(self.flags & ChipFlag.WORD_BUS)

    @property
    def pins(self) -> int:
        """Pin count from ``package_details`` (0 when unknown; 0x7F for adapters)."""
        return (self.package_details >> 24) & 0x7F

    def available_on(self, model: Model) -> bool:
        """False when ``pin_map`` restricts the entry to other programmer models."""
        only = self.pin_map & (PIN_MAP_T56_ONLY | PIN_MAP_TL866II_ONLY | PIN_MAP_T48_ONLY)
        if not only:
            return True
        wanted = {
            Model.TL866II_PLUS: PIN_MAP_TL866II_ONLY,
            Model.T48: PIN_MAP_T48_ONLY,
            Model.T56: PIN_MAP_T56_ONLY,
        }.get(model, 0)
        return bool(only & wanted)

    def supplies(self) -> dict[str, float | None]:
        """VPP, VCC (verify) and VDD (write) in volts by the TL866II+ code tables.

        Returns None for a code outside the tables.
        """
        vpp_code = (self.voltages & 0xF0) >> 4
        vcc_code = (self.voltages >> 8) & 0x0F
        vdd_code = (self.voltages >> 12) & 0x0F

        def pick(table: tuple[float, ...], code: int) -> float | None:
            return table[code] if code < len(table) else None

        return {
            "vpp": pick(TL866II_VPP_VOLTS, vpp_code),
            "vcc": pick(TL866II_VCC_VOLTS, vcc_code),
            "vdd": pick(TL866II_VCC_VOLTS, vdd_code),
        }

    def begin_params(self) -> BeginParams:
        """The fields of the begin-transaction packet."""
        return BeginParams(
            protocol_id=self.protocol_id,
            variant=self.variant,
            voltages=self.voltages,
            chip_info=self.chip_info,
            pin_map=self.pin_map,
            data_memory_size=self.data_memory_size,
            page_size=self.page_size,
            pulse_delay=self.pulse_delay,
            data_memory2_size=self.data_memory2_size,
            code_memory_size=self.code_memory_size,
            package_details=self.package_details,
            read_buffer_size=self.read_buffer_size,
            flags=self.flags,
        )

    def check_usable(self) -> None:
        """Refuse entries the driver cannot run.

        Raises:
            ChipDatabaseError: not a memory, a NAND, no read buffer or memory size, a
                host-driven ("custom") protocol, or a TSOP48/SOP44/SOP56 adapter part (both
                need host-side steps this driver does not implement).
        """
        if self.ic_type != IcType.MEMORY:
            raise ChipDatabaseError(
                f"{self.name}: only memories are supported on the TL866 "
                f"(infoic type {self.ic_type})"
            )
        if self.protocol_id & (1 << 31):
            raise ChipDatabaseError(
                f"{self.name}: host-driven (custom) TL866 protocols are not supported"
            )
        if self.read_buffer_size <= 0:
            raise ChipDatabaseError(f"{self.name}: the database entry has no read buffer size")
        if self.code_memory_size <= 0:
            raise ChipDatabaseError(f"{self.name}: the database entry has no code memory size")
        adapter = LOCKED_ADAPTERS.get(self.package_details & 0xFF)
        if adapter is not None:
            raise ChipDatabaseError(
                f"{self.name}: needs the {adapter} adapter, whose unlock handshake romtool "
                "does not implement"
            )


_DIP28 = 28 << 24
_DIP32 = 32 << 24

# Values from the infoic.xml entries quoted in section 1.5/1.6 of the protocol notes.
# AT27C256R is quoted in full. For the others the notes quote only some fields; the rest
# follow the closest quoted sibling and are listed in ``unverified``.
_BUILTIN: tuple[Tl866Profile, ...] = (
    Tl866Profile(
        name="AT27C256R",
        aliases=("AT27C256R@DIP28",),
        protocol_id=0x07,
        variant=0x3211,
        read_buffer_size=0x400,
        write_buffer_size=0x80,
        code_memory_size=0x8000,
        chip_id=0x1E8C,
        voltages=0x5070,
        pulse_delay=100,
        flags=0x68,
        chip_info=0x06,
        pin_map=0x0C16,
        package_details=_DIP28,
    ),
    Tl866Profile(
        # "same shape" as AT27C256R in the notes: code size and id differ; the 27C512's
        # OE/VPP pin sharing means its pinout variant and pin map may not be the same.
        name="AT27C512R",
        aliases=("AT27C512R@DIP28",),
        protocol_id=0x07,
        variant=0x3211,
        read_buffer_size=0x400,
        write_buffer_size=0x80,
        code_memory_size=0x10000,
        chip_id=0x1E0D,
        voltages=0x5070,
        pulse_delay=100,
        flags=0x68,
        chip_info=0x06,
        pin_map=0x0C16,
        package_details=_DIP28,
        unverified=frozenset({"variant", "pin_map"}),
    ),
    Tl866Profile(
        name="AT28C256",
        aliases=("AT28C256@DIP28",),
        protocol_id=0x07,
        variant=0x4126,
        read_buffer_size=0x200,
        write_buffer_size=0x80,
        code_memory_size=0x8000,
        page_size=0x40,
        chip_id=0,
        voltages=0x0200,
        pulse_delay=10000,
        flags=0xC010,
        package_details=_DIP28,
        unverified=frozenset({"chip_info", "pin_map"}),
    ),
    Tl866Profile(
        name="AT28C64B",
        aliases=("AT28C64B@DIP28",),
        protocol_id=0x07,
        variant=0x4126,
        read_buffer_size=0x200,
        write_buffer_size=0x80,
        code_memory_size=0x2000,
        page_size=0x40,
        chip_id=0,
        voltages=0x0200,
        pulse_delay=10000,
        flags=0xC010,
        package_details=_DIP28,
        unverified=frozenset({"chip_info", "pin_map"}),
    ),
    Tl866Profile(
        name="AT28C64",
        aliases=("AT28C64@DIP28",),
        protocol_id=0x07,
        variant=0x4126,
        read_buffer_size=0x200,
        write_buffer_size=0x20,
        code_memory_size=0x2000,
        page_size=1,
        chip_id=0,
        voltages=0x0200,
        pulse_delay=1000,
        flags=0x10,
        package_details=_DIP28,
        unverified=frozenset({"chip_info", "pin_map", "voltages"}),
    ),
    Tl866Profile(
        name="AT29C256",
        aliases=("AT29C256@DIP28",),
        protocol_id=0x05,
        variant=0x7701,
        read_buffer_size=0x1000,
        write_buffer_size=0x40,
        code_memory_size=0x8000,
        page_size=0x40,
        chip_id=0x1FDC,
        voltages=0x0000,
        pulse_delay=20000,
        flags=0x0040C078,
        package_details=_DIP28,
        unverified=frozenset({"voltages", "chip_info", "pin_map"}),
    ),
    Tl866Profile(
        name="AT29C010A",
        aliases=("AT29C010A@DIP32",),
        protocol_id=0x05,
        variant=0x7500,
        read_buffer_size=0x1000,
        write_buffer_size=0x80,
        code_memory_size=0x20000,
        page_size=0x80,
        chip_id=0x1FD5,
        voltages=0x0000,
        pulse_delay=20000,
        flags=0x0040C078,
        package_details=_DIP32,
        unverified=frozenset({"voltages", "flags", "chip_info", "pin_map"}),
    ),
)


def find_builtin(name: str) -> Tl866Profile | None:
    """The built-in profile whose name or alias equals ``name`` (case-insensitive)."""
    key = name.strip().upper()
    for profile in _BUILTIN:
        if any(n.upper() == key for n in profile.names):
            return profile
    return None
