"""``scan --memory``: the live ISA ROM area, read from a file standing for physical memory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from romtool.chips.db import get_chip
from romtool.errors import UsageError
from romtool.programmers.flashcard.memscan import ALL_FF_NOTE, read_rom_area, scan_memory
from romtool.programmers.sim.chips.base import model_for
from romtool.programmers.sim.flashcard import sim_machine
from romtool.programmers.transports.mmio import DevMemError, MemoryAccessRefused
from romtool.ranges import Range


def _rom(blocks: int, fill: int) -> bytes:
    """A minimal ISA option ROM: 55 AA, size, a far-return entry, checksum fixed at the end."""
    body = bytearray([fill]) * (blocks * 512)
    body[0:4] = b"\x55\xaa" + bytes([blocks]) + b"\xcb"
    body[-1] = 0
    body[-1] = (-sum(body)) & 0xFF
    return bytes(body)


def _memory_image(tmp_path: Path, roms: dict[int, bytes]) -> Path:
    mem = bytearray(b"\xff") * 0x100000
    for addr, data in roms.items():
        mem[addr : addr + len(data)] = data
    path = tmp_path / "phys.bin"
    path.write_bytes(bytes(mem))
    return path


def test_scan_memory_lists_roms_at_physical_addresses(tmp_path: Path) -> None:
    vga, nic = _rom(64, 0x11), _rom(16, 0x22)
    path = _memory_image(tmp_path, {0xC0000: vga, 0xD0000: nic})
    snap, result = scan_memory(str(path))
    assert snap.range == Range(0xC0000, 0xF0000)
    assert [(h.address, h.size, h.checksum_ok) for h in result.hits] == [
        (0xC0000, 64 * 512, True),
        (0xD0000, 16 * 512, True),
    ]


def test_scan_memory_flags_bad_checksum_and_rom_past_the_area(tmp_path: Path) -> None:
    bad = bytearray(_rom(4, 0x33))
    bad[10] ^= 1
    tail = _rom(64, 0x44)  # 32 KiB from E8800 would run past EFFFF
    path = _memory_image(tmp_path, {0xC8000: bytes(bad), 0xE8800: tail[: 0xF0000 - 0xE8800]})
    _snap, result = scan_memory(str(path))
    text = "\n".join(result.warnings)
    assert "0xC8000: checksum does not match" in text
    assert "0xE8800 claims 32768 bytes but the dump ends first" in text


def test_scan_memory_of_empty_area_says_so(tmp_path: Path) -> None:
    path = _memory_image(tmp_path, {})
    _snap, result = scan_memory(str(path))
    assert not result.hits and ALL_FF_NOTE in result.warnings


def test_scan_memory_is_read_only(tmp_path: Path) -> None:
    path = _memory_image(tmp_path, {0xC0000: _rom(4, 0)})
    path.chmod(0o444)
    before = path.read_bytes()
    scan_memory(str(path))
    assert path.read_bytes() == before


def test_scan_memory_over_the_simulator_finds_the_card() -> None:
    chip = model_for(get_chip("AM29F010"), data=_rom(32, 0x55))
    machine = sim_machine(chip, card_base=0xD8000, roms={0xC0000: _rom(64, 1)})
    _snap, result = scan_memory(memory=machine.view(Range(0xC0000, 0xF0000), writable=False))
    assert [h.address for h in result.hits] == [0xC0000, 0xD8000]


def test_read_rom_area_refuses_outside(tmp_path: Path) -> None:
    path = _memory_image(tmp_path, {})
    with pytest.raises(MemoryAccessRefused):
        read_rom_area(str(path), Range(0xF0000, 0x100000))


def test_bad_step_is_refused_before_opening() -> None:
    with pytest.raises(UsageError, match="bad scan step"):
        scan_memory("/nonexistent", step=4096)


def test_missing_memory_file() -> None:
    with pytest.raises(DevMemError, match="no such file"):
        scan_memory("/nonexistent/phys.bin")


# --- the command ----------------------------------------------------------------------------


def test_cli_scan_memory(cli: Any, tmp_path: Path) -> None:
    path = _memory_image(tmp_path, {0xC0000: _rom(64, 0x11), 0xD0000: _rom(16, 0x22)})
    res = cli("scan", "--memory", "--mem-device", path)
    assert res.status == 0, res.err
    assert "0xC0000" in res.out and "0xD0000" in res.out
    assert "0xC0000-0xEFFFF" in res.out
    res = cli("scan", "--memory", "--mem-device", path, "--json")
    assert res.status == 0 and '"base": 786432' in res.out


def test_cli_scan_memory_errors(cli: Any, tmp_path: Path) -> None:
    path = _memory_image(tmp_path, {})
    res = cli("scan", "--memory", "--mem-device", path, str(path))
    assert res.status == 2 and "either DUMP or --memory" in res.err
    res = cli("scan")
    assert res.status == 2 and "missing DUMP" in res.err
    res = cli("scan", "--memory", "--mem-device", tmp_path / "nope")
    assert res.status == 3 and "no such file" in res.err
    assert "Traceback" not in res.err
