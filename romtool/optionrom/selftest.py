"""The self-test option ROM: romtool's own payload that proves a socket and a burning chain.

The template is assembled from ``firmware/x86/selftest.asm`` and shipped as
``romtool/optionrom/payloads/selftest.bin`` with its size byte, PCI ids, lengths and checksums
zeroed. :func:`build_selftest` turns it into a ROM for one card: ISA (no PCIR) or PCI with the
chosen vendor:device, the size the user wants, and the info block the payload reads at run
time (QEMU switches, BEV pause, chip geometry for the aliasing check).

On init the ROM prints its name and version, segment, size, whether its own checksum is good,
the PCI bus/device/function and the card's ids against its PCIR ids, whether a PnP BIOS is
present, and (with a recorded chip) whether the whole chip is visible in the memory window.
Its PnP BEV says it was chosen as boot device and returns to the BIOS.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntFlag
from importlib import resources

from romtool.errors import BuildError
from romtool.optionrom.fields import fix_sum8
from romtool.optionrom.headers import BLOCK, MAX_SIZE_BYTE

PAYLOAD_NAME = "selftest.bin"

# Offsets in the template; they mirror firmware/x86/selftest.asm (checked by the tests).
OFF_SIZE = 0x02
OFF_CHECKSUM = 0x06
"""The payload keeps the ROM checksum at byte 6 (iPXE convention: byte 3 holds E9 rel16)."""
OFF_PCIR_PTR = 0x18
OFF_PNP_PTR = 0x1A
PCIR_OFF = 0x1C
PCIR_LEN = 0x1C
PNP_OFF = 0x40
PNP_LEN = 0x20
INFO_OFF = 0x60
INFO_MAGIC = b"RTST"
INFO_VERSION = 1
FILL_MAGIC = b"RTFILL"
"""Unused chip blocks start with this magic and their u16 block index (see :func:`fill_block`)."""

# PCIR fields (PCI Firmware Spec 3.0 data structure), relative to the PCIR.
PCIR_VENDOR = 0x04
PCIR_DEVICE = 0x06
PCIR_IMAGE_LEN = 0x10
PCIR_RUNTIME_LEN = 0x16
PNP_CHECKSUM = 0x09

# Info block fields (layout version 1), relative to INFO_OFF.
INFO_FLAGS = 0x05
INFO_PAUSE = 0x06
INFO_CHIP_BLOCKS = 0x08
INFO_IMAGE_BLOCK = 0x0A

VERSION = "1.0"
"""Version string the payload prints (``VERSION_STR`` in the assembly source)."""

THREE_C503_SIZE = 8192
"""The 3c503 decodes 8 KiB and reads its last two bytes as 80 80."""


class SelftestFlag(IntFlag):
    """Info-block flag bits (``FLAG_*`` in selftest.asm). QEMU-only: never for a real PC."""

    DEBUGCON = 0x01
    """Mirror every character to QEMU's debugcon port 0x402 (SeaBIOS's log)."""
    EXIT_INIT = 0x02
    """Write 1 to QEMU's isa-debug-exit port 0xF4 after init: QEMU exits with status 3."""
    EXIT_BEV = 0x04
    """Write 2 to isa-debug-exit in the BEV: QEMU exits with status 5."""


QEMU_EXIT_INIT = 3
"""QEMU's exit status when the payload ends the run in init ((1 << 1) | 1)."""
QEMU_EXIT_BEV = 5
"""QEMU's exit status when the payload ends the run in its BEV ((2 << 1) | 1)."""


@dataclass(frozen=True)
class ChipLayout:
    """Where the image sits in the chip, recorded so the payload can check the window.

    Attributes:
        chip_size: bytes in the whole chip (a multiple of 512).
        image_offset: byte offset of the image in the chip (a multiple of 512).
    """

    chip_size: int
    image_offset: int


def template() -> bytes:
    """The assembled payload as shipped in the package.

    Raises:
        BuildError: the packaged file is missing or is not the layout this module knows.
    """
    try:
        data = resources.files("romtool.optionrom.payloads").joinpath(PAYLOAD_NAME).read_bytes()
    except (FileNotFoundError, ModuleNotFoundError):
        raise BuildError("the self-test payload is missing from this installation") from None
    if (
        len(data) < INFO_OFF + 16
        or data[:2] != b"\x55\xaa"
        or data[INFO_OFF : INFO_OFF + 4] != INFO_MAGIC
        or data[INFO_OFF + 4] != INFO_VERSION
    ):
        raise BuildError("the packaged self-test payload has an unknown layout")
    return data


def build_selftest(
    pci: tuple[int, int] | None,
    *,
    size: int | None = None,
    flags: SelftestFlag | None = None,
    pause_seconds: int = 10,
    layout: ChipLayout | None = None,
    three_c503: bool = False,
) -> bytes:
    """Build the self-test ROM for one card.

    Args:
        pci: (vendor, device) for a PCI build; None for an ISA build (no PCIR).
        size: image size in bytes, a multiple of 512 no smaller than the payload; the extra
            space is 0xFF and inside the checksum. None: the payload's own size (2 KiB).
        flags: QEMU switches (never set them for a real PC).
        pause_seconds: how long the BEV waits for a key before returning to the BIOS
            (0..14; 0 means no wait).
        layout: the chip geometry for the window check, or None (the payload then says
            "size not recorded").
        three_c503: build for a 3c503: 8 KiB with ``80 80`` in the last two bytes (what that
            card shows there whatever the chip holds), inside the checksum.

    Returns:
        The finished image: size byte, PCIR ids and lengths, PnP checksum, ROM checksum.

    Raises:
        BuildError: a size that is not a multiple of 512, too small, or over 255 blocks; a bad
            pause; a layout that does not hold the image.
    """
    rom = bytearray(template())
    natural = len(rom)
    if three_c503:
        if size not in (None, THREE_C503_SIZE):
            raise BuildError("the 3c503 window is 8 KiB", expected=THREE_C503_SIZE, actual=size)
        size = THREE_C503_SIZE
    if size is None:
        size = natural
    if size % BLOCK:
        raise BuildError(f"self-test size {size} is not a multiple of {BLOCK} bytes")
    if size < natural:
        raise BuildError("self-test size too small", expected=f">= {natural}", actual=size)
    if size // BLOCK > MAX_SIZE_BYTE:
        raise BuildError(
            "self-test size too large for the size byte",
            expected=f"<= {MAX_SIZE_BYTE * BLOCK}",
            actual=size,
        )
    # 14 s * 18 ticks must fit the payload's 8-bit multiply (AL * 18 <= 255).
    if not 0 <= pause_seconds <= 14:
        raise BuildError("bad BEV pause", expected="0..14 seconds", actual=pause_seconds)
    rom += b"\xff" * (size - natural)
    blocks = size // BLOCK
    rom[OFF_SIZE] = blocks
    if pci is None:
        # ISA: no PCIR at all, so nothing looks for ids that do not exist.
        struct.pack_into("<H", rom, OFF_PCIR_PTR, 0)
        rom[PCIR_OFF : PCIR_OFF + PCIR_LEN] = bytes(PCIR_LEN)
    else:
        vendor, device = pci
        struct.pack_into("<HH", rom, PCIR_OFF + PCIR_VENDOR, vendor, device)
        struct.pack_into("<H", rom, PCIR_OFF + PCIR_IMAGE_LEN, blocks)
        struct.pack_into("<H", rom, PCIR_OFF + PCIR_RUNTIME_LEN, blocks)
    rom[INFO_OFF + INFO_FLAGS] = int(flags or 0)
    rom[INFO_OFF + INFO_PAUSE] = pause_seconds
    if layout is not None:
        _check_layout(layout, size)
        struct.pack_into(
            "<HH",
            rom,
            INFO_OFF + INFO_CHIP_BLOCKS,
            layout.chip_size // BLOCK,
            layout.image_offset // BLOCK,
        )
    if three_c503:
        rom[THREE_C503_SIZE - 2 : THREE_C503_SIZE] = b"\x80\x80"
    # Inner checksum first, then the ROM checksum that covers it.
    fix_sum8(rom, PNP_OFF, PNP_LEN, PNP_OFF + PNP_CHECKSUM)
    fix_sum8(rom, 0, len(rom), OFF_CHECKSUM)
    return bytes(rom)


def _check_layout(layout: ChipLayout, size: int) -> None:
    if layout.chip_size % BLOCK or layout.image_offset % BLOCK:
        raise BuildError("chip size and image offset must be multiples of 512 bytes")
    if layout.image_offset + size > layout.chip_size:
        raise BuildError(
            "self-test image does not fit the chip at that offset",
            expected=f"<= {layout.chip_size}",
            actual=layout.image_offset + size,
        )
    if layout.chip_size // BLOCK > 0xFFFF:
        raise BuildError("chip too large for the self-test's window check")


def is_selftest(rom: bytes) -> bool:
    """True if ``rom`` starts with a romtool self-test image (info-block magic present)."""
    return (
        len(rom) >= INFO_OFF + 8
        and rom[:2] == b"\x55\xaa"
        and rom[INFO_OFF : INFO_OFF + 4] == INFO_MAGIC
    )


def fill_block(index: int) -> bytes:
    """One 512-byte filler block for chip block ``index``: magic, u16 index, then 0xFF.

    The payload reads these to tell which chip block the window shows at each address.
    """
    return FILL_MAGIC + struct.pack("<H", index) + b"\xff" * (BLOCK - len(FILL_MAGIC) - 2)
