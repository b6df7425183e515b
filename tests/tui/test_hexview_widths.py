"""Bytes per row follow the terminal width; lines are exactly as wide as the layout says."""

from __future__ import annotations

import asyncio

import pytest

from romtool.image.model import Image
from romtool.tui.app import RomtoolApp
from romtool.tui.compare_screen import CompareScreen
from romtool.tui.hexview import HexDiffView, line_width


def test_line_width() -> None:
    assert line_width(6, 16) == 6 + 1 + 64 + 3 + 64
    assert line_width(6, 8) == 74


def test_row_width_follows_terminal(pair: tuple[Image, Image]) -> None:
    async def run(columns: int) -> tuple[int, str]:
        app = RomtoolApp()
        async with app.run_test(size=(columns, 24)) as pilot:
            await app.push_screen(CompareScreen(*pair))
            await app.workers.wait_for_complete()
            await pilot.pause()
            view = app.screen.query_one(HexDiffView)
            assert view.model is not None
            return view.model.width, view.render_line(0).text

    for columns, per_row in ((160, 16), (100, 8), (60, 4)):
        width, text = asyncio.run(run(columns))
        assert width == per_row, columns
        assert text.startswith("000000 55 AA")
        # Both sides show the same first bytes (the pair only differs further on).
        left, right = text.split(" │ ")
        assert left.split()[1:3] == right.split()[0:2]


def test_no_color_terminal(pair: tuple[Image, Image], monkeypatch: pytest.MonkeyPatch) -> None:
    """With NO_COLOR set Textual turns every style monochrome; every line we draw must still
    carry a style (a bare segment used to crash the minimap)."""
    monkeypatch.setenv("NO_COLOR", "1")

    async def run() -> tuple[int, str]:
        app = RomtoolApp()
        async with app.run_test(size=(100, 24)) as pilot:
            await app.push_screen(CompareScreen(*pair))
            await app.workers.wait_for_complete()
            await pilot.press("n")
            await pilot.pause()
            view = app.screen.query_one(HexDiffView)
            return view.cursor, view.render_line(0).text

    cursor, line = asyncio.run(run())
    assert cursor == 0x0105  # the first difference
    assert " │ " in line
