"""Home menu and command palette: every screen is reachable from the keyboard."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.command import CommandPalette
from textual.widgets import Input

from romtool.tui.app import HomeScreen, PathsScreen, RomtoolApp
from romtool.tui.compare_screen import CompareScreen
from romtool.tui.inspect_screen import InspectScreen
from romtool.tui.session_screen import SessionScreen


def test_home_menu_opens_each_screen(tmp_path: Path) -> None:
    a, b = tmp_path / "a.bin", tmp_path / "b.bin"
    a.write_bytes(b"\x00" * 64)
    b.write_bytes(b"\x00" * 63 + b"\x01")

    async def run() -> None:
        app = RomtoolApp()
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, HomeScreen)
            await pilot.press("enter")  # first item: session
            assert isinstance(app.screen, SessionScreen)
            await pilot.press("escape")
            await pilot.press("down", "enter")  # compare
            assert isinstance(app.screen, PathsScreen)
            # Set the long temporary paths directly: typing them key by key takes seconds.
            app.screen.query_one("#path0", Input).value = str(a)
            app.screen.query_one("#path1", Input).value = str(b)
            await pilot.press("enter", "enter")
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert isinstance(app.screen, CompareScreen)
            assert app.screen.report is not None and app.screen.report.diff.bytes_differ == 1
            await pilot.press("escape", "down", "enter")  # inspect (the highlight stays), cancel
            assert isinstance(app.screen, PathsScreen)
            await pilot.press("escape")
            assert isinstance(app.screen, HomeScreen)

    asyncio.run(run())


def test_command_palette_lists_the_screens(tmp_path: Path) -> None:
    rom = tmp_path / "x.rom"
    rom.write_bytes(b"\x55\xaa\x01" + bytes(509))

    async def run() -> None:
        app = RomtoolApp()
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            await pilot.press("ctrl+p")
            assert isinstance(app.screen, CommandPalette)
            await pilot.press(*"Inspect file")
            await pilot.pause(0.3)
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, PathsScreen)
            app.screen.query_one("#path0", Input).value = str(rom)
            await pilot.press("enter")
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert isinstance(app.screen, InspectScreen)

    asyncio.run(run())
