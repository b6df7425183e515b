"""Real SeaBIOS (QEMU) agrees with ``seabios_verdict`` on Debian's iPXE ROM and its flaws."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from romtool.optionrom.fix import fix_all
from romtool.optionrom.lint import seabios_verdict
from tests.conftest import require_file, require_tool
from tests.qemu.harness import boot

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

E1000 = (0x8086, 0x100E)
"""QEMU's e1000 NIC: the ROM BAR the ROM is put in."""


def variants(rom: bytes) -> dict[str, bytes]:
    good = bytearray(rom)
    badsum = bytearray(rom)
    badsum[0x200] ^= 0x01
    other_id = bytearray(rom)
    struct.pack_into("<H", other_id, 0x1C + 6, 0x1234)
    fix_all(other_id)
    return {"good": bytes(good), "badsum": bytes(badsum), "other-id": bytes(other_id)}


@pytest.mark.parametrize("name", ["good", "badsum", "other-id"])
def test_seabios_agrees(tmp_path: Path, name: str) -> None:
    require_tool("qemu-system-x86_64")
    src = require_file("/usr/lib/ipxe/qemu/pxe-e1000.rom", "ipxe-qemu")
    data = variants(Path(src).read_bytes())[name]
    rom = tmp_path / f"{name}.rom"
    rom.write_bytes(data)
    predicted = seabios_verdict(data, *E1000)
    # iPXE never ends the run itself: stop once SeaBIOS says it ran a ROM; a rejected ROM
    # ends in "No bootable device" and QEMU exits (no reboot).
    result = boot(rom, tmp_path, how="pci", nic="e1000", until="Running option rom")
    ran = bool(result.roms_run)
    assert ran == predicted.accepted, (name, predicted, result.seabios[-2000:])
    if name == "badsum":
        assert result.bad_checksum
