"""Side-by-side hex + ASCII view of two images, drawn with Textual's Line API.

Only the visible rows are rendered (:meth:`HexDiffView.render_line`), each from the model's
flat bytes, so scrolling a 16 MiB dump costs the same as scrolling 32 KiB. Bytes per row adapt
to the width (16, 8 or 4).
"""

from __future__ import annotations

from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding, BindingType
from textual.events import Resize
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from romtool.analysis import DiffClass
from romtool.tui.compare_model import Cell, CompareModel

CLASS_STYLES: dict[DiffClass, Style] = {
    DiffClass.DIFFERENT: Style(color="black", bgcolor="yellow", bold=True),
    DiffClass.PROGRAMMABLE: Style(color="black", bgcolor="yellow"),
    DiffClass.NEEDS_ERASE: Style(color="white", bgcolor="red", bold=True),
    DiffClass.BLANK: Style(color="white", bgcolor="blue"),
    DiffClass.ONLY_A: Style(color="black", bgcolor="magenta"),
    DiffClass.ONLY_B: Style(color="black", bgcolor="magenta"),
}
"""Colours by class; also used by the minimap and the legend."""

ADDRESS = Style(color="cyan")
PLAIN = Style()
HOLE = Style(dim=True)
SEPARATOR = Style(dim=True)
CURSOR = Style(reverse=True, bold=True)

ROW_WIDTHS = (16, 8, 4)
"""Bytes per row, widest first; the widest that fits the view is used."""


def line_width(address_digits: int, per_row: int) -> int:
    """Cells needed for one row: address, then per side hex (3 per byte) + ASCII."""
    side = per_row * 3 + per_row
    return address_digits + 1 + side + 3 + side


def _ascii(value: int | None) -> str:
    if value is None:
        return " "
    return chr(value) if 0x20 <= value < 0x7F else "."


class HexDiffView(ScrollView, can_focus=True):
    """The two images as rows of hex + ASCII with differences coloured by class."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "move(-1, 'row')", "Up", show=False),
        Binding("down", "move(1, 'row')", "Down", show=False),
        Binding("left", "move(-1, 'byte')", "Left", show=False),
        Binding("right", "move(1, 'byte')", "Right", show=False),
        Binding("pageup", "move(-1, 'page')", "Page up", show=False),
        Binding("pagedown", "move(1, 'page')", "Page down", show=False),
        Binding("home", "jump('start')", "Start", show=False),
        Binding("end", "jump('end')", "End", show=False),
    ]

    class CursorMoved(Message):
        """The selected byte changed."""

        def __init__(self, cell: Cell) -> None:
            super().__init__()
            self.cell = cell

    def __init__(self, model: CompareModel | None = None, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.model = model
        self.cursor = model.start if model else 0

    # --- model and layout ------------------------------------------------------------

    def set_model(self, model: CompareModel) -> None:
        self.model = model
        self.cursor = model.start
        self._fit()
        self.refresh()
        self.post_message(self.CursorMoved(model.cell(self.cursor)))

    def _fit(self) -> None:
        model = self.model
        if model is None:
            return
        avail = self.scrollable_content_region.width or self.size.width
        per_row = ROW_WIDTHS[-1]
        for width in ROW_WIDTHS:
            if line_width(model.address_digits, width) <= avail:
                per_row = width
                break
        model.width = per_row
        self.virtual_size = Size(line_width(model.address_digits, per_row), model.rows)

    def on_resize(self, event: Resize) -> None:
        self._fit()
        self.scroll_to_cursor()

    # --- drawing ---------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        model = self.model
        row = scroll_y + y
        if model is None or row >= model.rows:
            return Strip.blank(self.size.width, self.rich_style)
        cells = model.row(row)
        digits = model.address_digits
        segs = [Segment(f"{model.row_address(row):0{digits}X} ", ADDRESS)]
        for side in ("a", "b"):
            hexpart: list[Segment] = []
            text: list[Segment] = []
            for cell in cells:
                value = cell.a if side == "a" else cell.b
                style = CLASS_STYLES.get(cell.cls, PLAIN) if cell.cls else PLAIN
                if value is None:
                    style = HOLE if cell.cls is None else style
                if cell.address == self.cursor:
                    style = style + CURSOR
                hexpart.append(Segment("--" if value is None else f"{value:02X}", style))
                hexpart.append(Segment(" ", PLAIN))
                text.append(Segment(_ascii(value), style))
            pad = model.width - len(cells)
            if pad:
                hexpart.append(Segment("   " * pad, PLAIN))
                text.append(Segment(" " * pad, PLAIN))
            segs += hexpart + text
            if side == "a":
                segs.append(Segment(" │ ", SEPARATOR))
        strip = Strip(segs)
        return strip.crop(scroll_x, scroll_x + self.size.width).extend_cell_length(
            self.size.width, self.rich_style
        )

    # --- cursor ----------------------------------------------------------------------

    def move_to(self, address: int) -> None:
        """Select ``address`` (clamped to the images) and scroll it into view."""
        if self.model is None:
            return
        self.cursor = self.model.clamp(address)
        self.scroll_to_cursor()
        self.refresh()
        self.post_message(self.CursorMoved(self.model.cell(self.cursor)))

    def scroll_to_cursor(self) -> None:
        if self.model is None:
            return
        row = self.model.row_of(self.cursor)
        height = max(self.scrollable_content_region.height, 1)
        top = int(self.scroll_y)
        if row < top:
            self.scroll_to(y=row, animate=False)
        elif row >= top + height:
            # Land with a few rows of context above the cursor rather than on the last line.
            self.scroll_to(y=max(row - height // 3, 0), animate=False)

    def action_move(self, amount: int, unit: str) -> None:
        if self.model is None:
            return
        step = {
            "byte": 1,
            "row": self.model.width,
            "page": self.model.width * max(self.scrollable_content_region.height - 1, 1),
        }[unit]
        self.move_to(self.cursor + amount * step)

    def action_jump(self, where: str) -> None:
        if self.model is None:
            return
        self.move_to(self.model.start if where == "start" else self.model.stop - 1)
