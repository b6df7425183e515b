"""Option-ROM header codecs: ROM header, PCIR, $PnP, UNDI ROM ID, iPXE header, EFI header.

Each class is a field table over one buffer (see :mod:`romtool.optionrom.fields`). Offsets in
the tables are relative to the structure; pointers stored in the ROM header are relative to
the start of the image, the PCIR device-list pointer is relative to the PCIR.

Sources of the layouts: the PCI Firmware Specification 3.0 (PCIR), the Plug and Play BIOS
Specification 1.0A ($PnP), PXE 2.1 (UNDI ROM ID), iPXE's ``romprefix.S`` and ``efirom.c``
(iPXE header, EFI ROM header), Etherboot 5.x ``romprefix.S``; restated in the project's
option-ROM notes (sections 1.7, 3.1 and 3.5).
"""

from __future__ import annotations

from enum import IntEnum, IntFlag
from typing import ClassVar

from romtool.errors import RomFormatError
from romtool.optionrom.fields import ChecksummedView, HeaderView, OptUInt, Raw, UInt

ROM_SIGNATURE = b"\x55\xaa"
"""Bytes 0-1 of every option ROM (the u16 0xAA55)."""
BLOCK = 512
"""The unit of the ROM size byte and of PCIR image lengths."""
MAX_SIZE_BYTE = 0xFF
"""Largest size byte: a legacy ROM is at most 255 * 512 = 130560 bytes (0 is rejected)."""
EFI_SIGNATURE = 0x0EF1
"""u32 at offset 4 of an EFI option-ROM image (``EfiSignature``)."""


class CodeType(IntEnum):
    """PCIR code type (PCI Firmware Specification 3.0, table 5-2)."""

    X86 = 0x00
    """Intel x86, PC-AT compatible: the only type a legacy BIOS runs."""
    OPEN_FIRMWARE = 0x01
    HP_PA_RISC = 0x02
    EFI = 0x03


class PcirIndicator(IntFlag):
    """PCIR indicator byte."""

    LAST_IMAGE = 0x80
    """Bit 7: this is the last image in the ROM."""


class PnpIndicator(IntFlag):
    """$PnP device indicators (PnP BIOS spec 1.0A, option-ROM header, offset 0x15)."""

    DISPLAY = 0x01
    INPUT = 0x02
    IPL = 0x04
    """Initial program load device (a boot device)."""
    RESERVED_3 = 0x08
    ONLY_IF_BOOT = 0x10
    """Only needed if it is the boot device."""
    READ_CACHEABLE = 0x20
    SHADOWABLE = 0x40
    DDIM = 0x80
    """Supports the Device Driver Initialization Model."""


class EfiMachine(IntEnum):
    """PE/COFF machine types iPXE's efirom writes into ``EfiMachineType``."""

    IA32 = 0x014C
    ARM_THUMB = 0x01C2
    RISCV32 = 0x5032
    RISCV64 = 0x5064
    LOONGARCH64 = 0x6264
    X64 = 0x8664
    AARCH64 = 0xAA64


class EfiSubsystem(IntEnum):
    """PE subsystem values seen in EFI option ROMs."""

    APPLICATION = 10
    BOOT_SERVICE_DRIVER = 11
    RUNTIME_DRIVER = 12


class RomHeader(HeaderView):
    """The legacy option-ROM header at the start of every x86 image.

    Offsets 0x03-0x17 are family-specific (code in plain ISA ROMs); 0x10/0x16/0x18/0x1A are
    the pointers iPXE and Etherboot PCI prefixes use. Only ``signature``, ``size_blocks`` and
    ``pcir_ptr`` are meaningful for every PCI ROM; a pointer field may hold code bytes in an
    ISA ROM, so callers check what it points at (see :mod:`romtool.optionrom.rom`).
    """

    NAME = "ROM header"
    SIGNATURE = ROM_SIGNATURE
    FIXED_LENGTH = 3

    signature = Raw(0x00, 2, "55 AA")
    size_blocks = UInt(0x02, 1, "length in 512-byte blocks (0 is invalid)")
    init_entry = Raw(0x03, 3, "init entry: EB rel8 / E9 rel16 / E8 rel16 / CB (retf)")
    ipxe_ptr = UInt(0x10, 2, "iPXE header pointer (iPXE)")
    bofm_ptr = UInt(0x14, 2, "BOFM header pointer (iPXE, IBM BladeCenter)")
    undi_ptr = UInt(0x16, 2, "UNDI ROM ID pointer (PXE)")
    pcir_ptr = UInt(0x18, 2, "PCI data structure pointer")
    pnp_ptr = UInt(0x1A, 2, "$PnP header pointer")

    @property
    def size(self) -> int:
        """Length the size byte declares, in bytes (0 when the byte is 0)."""
        return self.size_blocks * BLOCK

    def init_target(self) -> int | None:
        """Image-relative offset the init entry jumps to, or None if it is not a jump/call.

        ``EB rel8`` -> 5 + rel8; ``E9``/``E8 rel16`` -> 6 + rel16 (wrapping in 64 KiB, as the
        CPU does within the segment).
        """
        code = self.read_bytes(0x03, 1)[0] if self.offset + 4 <= self.limit else None
        if code == 0xEB and self.offset + 5 <= self.limit:
            rel8 = self.read_uint(0x04, 1)
            return (5 + (rel8 - 0x100 if rel8 & 0x80 else rel8)) & 0xFFFF
        if code in (0xE8, 0xE9) and self.offset + 6 <= self.limit:
            return (6 + self.read_uint(0x04, 2)) & 0xFFFF
        return None

    def init_kind(self) -> str:
        """``"jmp short"``, ``"jmp near"``, ``"call near"``, ``"retf"`` or ``"code"``."""
        if self.offset + 4 > self.limit:
            return "none"
        code = self.read_bytes(0x03, 1)[0]
        return {0xEB: "jmp short", 0xE9: "jmp near", 0xE8: "call near", 0xCB: "retf"}.get(
            code, "code"
        )


class Pcir(HeaderView):
    """PCI Data Structure ("PCIR"), revision 0 (0x18 bytes) or 3 (0x1C bytes).

    ``class_code`` is stored low byte first (prog-if, sub-class, base class); the
    :attr:`class_value` property gives it as the usual 24-bit number (0x020000 = Ethernet).
    ``devlist_ptr`` is the VPD pointer in PCI 2.x and the device-list pointer (relative to the
    PCIR) in PCI 3.0; which one it is depends on ``revision``.
    """

    NAME = "PCIR"
    SIGNATURE = b"PCIR"
    FIXED_LENGTH = 0x18
    REV3_LENGTH: ClassVar[int] = 0x1C

    signature = Raw(0x00, 4, "PCIR")
    vendor = UInt(0x04, 2, "PCI vendor id")
    device = UInt(0x06, 2, "PCI device id")
    devlist_ptr = UInt(0x08, 2, "device list pointer (rev 3, from the PCIR) or VPD pointer")
    struct_length = UInt(0x0A, 2, "structure length in bytes (0x18 rev 0, 0x1C rev 3)")
    revision = UInt(0x0C, 1, "structure revision (0 = PCI 2.x, 3 = PCI 3.0)")
    class_code = Raw(0x0D, 3, "class code, prog-if first")
    image_blocks = UInt(0x10, 2, "image length in 512-byte blocks")
    code_revision = UInt(0x12, 2, "revision level of code/data")
    code_type = UInt(0x14, 1, "code type (0 x86, 1 Open Firmware, 2 PA-RISC, 3 EFI)")
    indicator = UInt(0x15, 1, "indicator: bit 7 = last image")
    runtime_blocks = OptUInt(0x16, 2, "max runtime image length in 512-byte blocks (rev 3)")
    config_ptr = OptUInt(0x18, 2, "configuration utility code header pointer (rev 3)")
    clp_ptr = OptUInt(0x1A, 2, "DMTF CLP entry point pointer (rev 3)")

    MAX_DEVICES: ClassVar[int] = 256
    """Stop a device list after this many entries: a real list is short, a missing 0
    terminator in corrupt data must not run over the whole image."""

    def declared_length(self) -> int:
        return self.struct_length

    def field_present(self, rel: int, size: int) -> bool:
        # Offsets 0x16-0x1B are "reserved" in revision 0 (PCI 2.x) and only gained their
        # meaning in revision 3, so both the revision and the length must allow them.
        return self.revision >= 3 and rel + size <= self.struct_length

    @property
    def image_length(self) -> int:
        """Image length in bytes (``image_blocks * 512``)."""
        return self.image_blocks * BLOCK

    @property
    def last(self) -> bool:
        return bool(self.indicator & PcirIndicator.LAST_IMAGE)

    @last.setter
    def last(self, value: bool) -> None:
        if value:
            self.indicator = self.indicator | PcirIndicator.LAST_IMAGE
        else:
            self.indicator = self.indicator & ~PcirIndicator.LAST_IMAGE & 0xFF

    @property
    def class_value(self) -> int:
        """Class code as base<<16 | sub<<8 | prog-if (0x020000 = Ethernet controller)."""
        return int.from_bytes(self.class_code, "little")

    def device_list(self, image_start: int | None = None) -> list[int] | None:
        """PCI 3.0 device list: extra device ids, read up to the 0 terminator.

        Returns None for revision 0 structures and when the pointer is 0.

        Raises:
            RomFormatError: the list runs past the end of the image or has no terminator
                within :attr:`MAX_DEVICES` entries.
        """
        if self.revision < 3 or self.devlist_ptr == 0:
            return None
        out: list[int] = []
        rel = self.devlist_ptr
        for _ in range(self.MAX_DEVICES):
            value = self.read_uint(rel, 2)
            if value == 0:
                return out
            out.append(value)
            rel += 2
        raise RomFormatError(
            f"PCIR device list at 0x{self.offset + self.devlist_ptr:X} has no 0 terminator",
        )


class PnpHeader(ChecksummedView):
    """$PnP expansion header (Plug and Play BIOS Specification 1.0A, section 3.2).

    ``length_units`` counts 16-byte units (2 = 32 bytes). The checksum covers
    ``length_units * 16`` bytes under iPXE's rule; Etherboot's makerom always sums 0x20.
    String pointers are relative to the image start (0 = no string).
    """

    NAME = "$PnP header"
    SIGNATURE = b"$PnP"
    FIXED_LENGTH = 0x20
    CHECKSUM_AT = 0x09

    signature = Raw(0x00, 4, "$PnP")
    revision = UInt(0x04, 1, "structure revision (1)")
    length_units = UInt(0x05, 1, "length in 16-byte units")
    next_ptr = UInt(0x06, 2, "offset of the next expansion header (0 = none)")
    reserved_08 = UInt(0x08, 1, "reserved")
    checksum = UInt(0x09, 1, "checksum byte (structure sums to 0)")
    device_id = UInt(0x0A, 4, "PnP device id")
    manufacturer_ptr = UInt(0x0E, 2, "manufacturer string pointer")
    product_ptr = UInt(0x10, 2, "product name string pointer")
    device_type = Raw(0x12, 3, "device type code (base, sub, interface)")
    indicators = UInt(0x15, 1, "device indicators (PnpIndicator)")
    bcv = UInt(0x16, 2, "boot connection vector")
    dv = UInt(0x18, 2, "disconnect vector")
    bev = UInt(0x1A, 2, "bootstrap entry vector")
    reserved_1c = UInt(0x1C, 2, "reserved")
    static_resource_ptr = UInt(0x1E, 2, "static resource information vector")

    def declared_length(self) -> int:
        return self.length_units * 16

    @property
    def device_type_value(self) -> int:
        """Device type as base<<16 | sub<<8 | interface (0x020000 = network, Ethernet)."""
        b = self.device_type
        return (b[0] << 16) | (b[1] << 8) | b[2]


class UndiRomId(ChecksummedView):
    """PXE "UNDI ROM ID" structure (PXE 2.1), 0x16 bytes.

    The checksum covers ``length`` bytes under iPXE's rule; Etherboot's makerom always sums
    0x16 bytes.
    """

    NAME = "UNDI ROM ID"
    SIGNATURE = b"UNDI"
    FIXED_LENGTH = 0x16
    CHECKSUM_AT = 0x05

    signature = Raw(0x00, 4, "UNDI")
    length = UInt(0x04, 1, "structure length in bytes (0x16)")
    checksum = UInt(0x05, 1, "checksum byte (structure sums to 0)")
    struct_revision = UInt(0x06, 1, "structure revision (0)")
    undi_version = Raw(0x07, 3, "UNDI version: revision, minor, major")
    loader_entry = UInt(0x0A, 2, "UNDI loader entry offset")
    stack_size = UInt(0x0C, 2, "stack size")
    data_size = UInt(0x0E, 2, "data segment size")
    code_size = UInt(0x10, 2, "code segment size")
    bus_type = Raw(0x12, 4, "bus type: PCIR, ISAR, PnPR, ...")

    def declared_length(self) -> int:
        return self.length

    @property
    def version(self) -> str:
        """UNDI version as ``major.minor.revision`` (``2.1.0``)."""
        rev, minor, major = self.undi_version
        return f"{major}.{minor}.{rev}"


class IpxeHeader(ChecksummedView):
    """iPXE's own header (``romprefix.S``), 0x0C bytes, pointed at by ROM offset 0x10."""

    NAME = "iPXE header"
    SIGNATURE = b"iPXE"
    FIXED_LENGTH = 0x0C
    CHECKSUM_AT = 0x05

    signature = Raw(0x00, 4, "iPXE")
    length = UInt(0x04, 1, "structure length in bytes (0x0C)")
    checksum = UInt(0x05, 1, "checksum byte (structure sums to 0)")
    shrunk_blocks = UInt(0x06, 1, "size after POST shrinks the ROM, in 512-byte blocks")
    reserved = UInt(0x07, 1, "reserved")
    build_id = UInt(0x08, 4, "build id")

    def declared_length(self) -> int:
        return self.length


class EfiHeader(HeaderView):
    """EFI PCI option-ROM image header (UEFI spec 2.x, "PCI Option ROM Support").

    Overlays the legacy ROM header: the same ``55 AA`` at 0 and PCIR pointer at 0x18, but
    offset 2 is a 16-bit ``InitializationSize`` and offset 4 carries ``0x00000EF1``.
    """

    NAME = "EFI ROM header"
    SIGNATURE = ROM_SIGNATURE
    FIXED_LENGTH = 0x1A

    signature = Raw(0x00, 2, "55 AA")
    init_blocks = UInt(0x02, 2, "InitializationSize in 512-byte blocks")
    efi_signature = UInt(0x04, 4, "EfiSignature 0x00000EF1")
    subsystem = UInt(0x08, 2, "EfiSubsystem (PE subsystem, 11 = boot-service driver)")
    machine = UInt(0x0A, 2, "EfiMachineType (PE machine)")
    compression = UInt(0x0C, 2, "CompressionType: 0 none, 1 EFI-compressed")
    reserved = Raw(0x0E, 8, "reserved")
    image_offset = UInt(0x16, 2, "EfiImageHeaderOffset: the PE image, from the ROM start")
    pcir_ptr = UInt(0x18, 2, "PCI data structure pointer")

    CHECKSUM_AT: ClassVar[int] = 0x34
    """Where iPXE's efirom keeps the checksum byte: padding after a rev-0 PCIR at 0x1C."""

    @property
    def init_size(self) -> int:
        """InitializationSize in bytes."""
        return self.init_blocks * BLOCK

    @property
    def machine_name(self) -> str:
        try:
            return EfiMachine(self.machine).name.lower()
        except ValueError:
            return f"0x{self.machine:04X}"

    @property
    def subsystem_name(self) -> str:
        try:
            return EfiSubsystem(self.subsystem).name.lower()
        except ValueError:
            return str(self.subsystem)
