"""The compare screen driven by Pilot: load in a worker, navigate, go to, bit view."""

from __future__ import annotations

import asyncio
from pathlib import Path

from romtool.analysis import Wanted
from romtool.image.model import Image
from romtool.tui.app import RomtoolApp, Start
from romtool.tui.bitview import BitView
from romtool.tui.compare_screen import CompareScreen, GotoScreen
from romtool.tui.hexview import HexDiffView
from romtool.tui.minimap import Minimap, shade

DIFF_AT = (0x0105, 0x0230, 0x0231, 0x1F00)


async def settle(app: RomtoolApp) -> None:
    await app.workers.wait_for_complete()
    await app.animator.wait_for_idle()


def test_compare_from_files_navigates(tmp_path: Path, pair: tuple[Image, Image]) -> None:
    asyncio.run(compare_from_files(tmp_path, *pair))


async def compare_from_files(tmp_path: Path, want: Image, dump: Image) -> None:
    a, b = tmp_path / "want.rom", tmp_path / "dump.bin"
    a.write_bytes(want.to_bytes())
    b.write_bytes(dump.to_bytes())
    app = RomtoolApp(Start("compare", (str(a), str(b)), wanted=Wanted.A))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app)
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, CompareScreen)
        assert screen.report is not None and not screen.report.same
        view = screen.query_one(HexDiffView)
        seen = []
        for _ in range(3):
            await pilot.press("n")
            seen.append(view.cursor)
        assert seen == [0x0105, 0x0230, 0x1F00]
        await pilot.press("n")  # no more: stays
        assert view.cursor == 0x1F00
        await pilot.press("p")
        assert view.cursor == 0x0230
        await pilot.press("right")
        assert view.cursor == 0x0231
        await pilot.pause()
        bits = str(screen.query_one(BitView).text)
        assert "0x231" in bits and "needs-erase" in bits
        # The cursor row is on screen after the jump.
        row = screen.model.row_of(view.cursor)  # type: ignore[union-attr]
        assert view.scroll_y <= row < view.scroll_y + view.scrollable_content_region.height
        summary = str(screen.query_one("#summary").render())
        assert "different" in summary and "3 ranges" in summary
        assert "difference 2 of 3" in bits


def test_goto_and_wanted_cycle(pair: tuple[Image, Image]) -> None:
    asyncio.run(goto_and_wanted(*pair))


async def goto_and_wanted(want: Image, dump: Image) -> None:
    app = RomtoolApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await app.push_screen(CompareScreen(want, dump, names=("want.rom", "dump.bin")))
        await settle(app)
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, CompareScreen)
        await pilot.press("g")
        assert isinstance(app.screen, GotoScreen)
        await pilot.press(*"0x1f00", "enter")
        await pilot.pause()
        view = screen.query_one(HexDiffView)
        assert view.cursor == 0x1F00
        assert screen.model is not None and screen.model.cell(0x1F00).cls == "different"
        await pilot.press("w")  # none -> A wanted
        await settle(app)
        await pilot.pause()
        assert screen.wanted is Wanted.A and screen.report is not None
        assert screen.report.classification is not None
        assert screen.model.cell(0x0105).cls == "blank"
        await pilot.press("g", *"zz", "enter")
        await pilot.pause()
        assert isinstance(app.screen, GotoScreen)  # bad input: an error toast, stays open
        await pilot.press("escape")
        assert app.screen is screen


def test_minimap_marks_differences_and_click_jumps(pair: tuple[Image, Image]) -> None:
    asyncio.run(minimap(*pair))


async def minimap(want: Image, dump: Image) -> None:
    app = RomtoolApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await app.push_screen(CompareScreen(want, dump, wanted=Wanted.A))
        await settle(app)
        await pilot.pause()
        mini = app.screen.query_one(Minimap)
        lines = [mini.render_line(y).text for y in range(mini.size.height)]
        marked = [i for i, line in enumerate(lines) if line[1:2] != shade(0)]
        assert marked and marked[0] == 0 and len(marked) <= len(DIFF_AT)
        assert lines[0].startswith("▐")  # the visible rows are at the top
        await pilot.click(Minimap, offset=(2, mini.size.height - 1))
        await pilot.pause()
        view = app.screen.query_one(HexDiffView)
        assert view.cursor > 0x1800


def test_missing_file_shows_error(tmp_path: Path) -> None:
    asyncio.run(missing_file(tmp_path))


async def missing_file(tmp_path: Path) -> None:
    app = RomtoolApp(Start("compare", (str(tmp_path / "nope.bin"), str(tmp_path / "x.bin"))))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app)
        await pilot.pause()
        summary = str(app.screen.query_one("#summary").render())
        assert "no such file" in summary
