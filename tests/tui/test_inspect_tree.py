"""The inspect model and screen: images, headers, lint findings, BIOS verdicts."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.widgets import Tree

from romtool.tui.app import RomtoolApp, Start
from romtool.tui.inspect_model import inspect_tree
from romtool.tui.inspect_screen import InspectScreen


def small_rom() -> bytes:
    """2 KiB PCI ROM for 8086:100e with a valid checksum (retf init entry)."""
    rom = bytearray(2048)
    rom[0:6] = b"\x55\xaa\x04\xcb\x00\x00"
    rom[0x18:0x1A] = (0x20).to_bytes(2, "little")
    pcir = b"PCIR" + bytes.fromhex("8680 0e10 0000 1800 00 000002 0400 0000 00 80 0000")
    rom[0x20 : 0x20 + len(pcir)] = pcir
    rom[-1] = (-sum(rom)) & 0xFF
    return bytes(rom)


def labels(data: bytes) -> list[str]:
    return [n.label for n in inspect_tree(data, "nic.rom").walk()]


def test_tree_of_a_good_rom() -> None:
    text = "\n".join(labels(small_rom()))
    assert "image 1 at 0x0: 2048 bytes" in text and "8086:100e" in text
    assert "checksum ok" in text
    assert "PCIR at +0x20" in text and "+0x04 vendor = 0x8086" in text
    assert "SeaBIOS (as PCI 8086:100e) runs it" in text
    assert "ISA BIOS scan runs it" in text
    assert "runtime_blocks" not in text  # rev 0 PCIR: the optional fields are absent


def test_tree_of_a_bad_checksum_and_of_no_rom() -> None:
    bad = bytearray(small_rom())
    bad[100] ^= 1
    root = inspect_tree(bytes(bad), "bad.rom")
    levels = {n.label: n.level for n in root.walk()}
    assert any("checksum BAD" in label and lv == "error" for label, lv in levels.items())
    assert any("refuses it" in label for label in levels)
    text = "\n".join(labels(b"\x00" * 64))
    assert "no option ROM" in text


def test_inspect_screen(tmp_path: Path) -> None:
    path = tmp_path / "nic.rom"
    path.write_bytes(small_rom())

    async def run() -> None:
        app = RomtoolApp(Start("inspect", (str(path),)))
        async with app.run_test(size=(100, 30)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert isinstance(app.screen, InspectScreen)
            tree: Tree[None] = app.screen.query_one(Tree)
            first = [str(c.label) for c in tree.root.children]
            assert first[0] == "BIOS verdict" and first[1].startswith("image 1")
            await pilot.press("e")
            assert all(c.is_expanded for c in tree.root.children[1].children if c.children)
            await pilot.press("c")
            assert not tree.root.children[1].is_expanded
            await pilot.press("escape")
            assert not isinstance(app.screen, InspectScreen)

    asyncio.run(run())
