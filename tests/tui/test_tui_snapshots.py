"""Snapshot tests: fixed terminal size, deterministic data, no blinking cursor on screen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from romtool.analysis import Wanted
from romtool.image.model import Image
from romtool.tui.app import RomtoolApp, Start
from romtool.tui.compare_screen import CompareScreen

SIZE = (100, 30)


def small_rom() -> bytes:
    """A 2 KiB PCI option ROM: 55 AA, size 4 blocks, PCIR for 8086:100e, valid checksum."""
    rom = bytearray(2048)
    rom[0:3] = b"\x55\xaa\x04"
    rom[3:6] = b"\xcb\x00\x00"  # retf: an init entry that returns at once
    rom[0x18:0x1A] = (0x20).to_bytes(2, "little")
    pcir = b"PCIR" + bytes.fromhex("8680 0e10 0000 1800 00 000002 0400 0000 00 80 0000")
    rom[0x20 : 0x20 + len(pcir)] = pcir
    rom[-1] = (-sum(rom)) & 0xFF
    return bytes(rom)


def test_compare_screen_snapshot(snap_compare: Any, pair: tuple[Image, Image]) -> None:
    want, dump = pair

    async def run_before(pilot: Pilot[None]) -> None:
        await pilot.app.push_screen(
            CompareScreen(want, dump, wanted=Wanted.A, names=("want.rom", "dump.bin"))
        )
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("n", "n")
        await pilot.pause()

    assert snap_compare(RomtoolApp(), terminal_size=SIZE, run_before=run_before)


def test_inspect_screen_snapshot(
    snap_compare: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "nic.rom").write_bytes(small_rom())
    monkeypatch.chdir(tmp_path)

    async def run_before(pilot: Pilot[None]) -> None:
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    app = RomtoolApp(Start("inspect", ("nic.rom",)))
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_home_screen_snapshot(snap_compare: Any) -> None:
    assert snap_compare(RomtoolApp(), terminal_size=SIZE)


def test_session_screen_snapshot(snap_compare: Any) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await pilot.pause()
        for widget in pilot.app.screen.query("Input"):
            widget.cursor_blink = False  # type: ignore[attr-defined]
        await pilot.pause()

    app = RomtoolApp(Start("session", ("image.rom",), programmer="sim:27C256", part="27C256"))
    assert snap_compare(app, terminal_size=(120, 36), run_before=run_before)
