"""A minimap of the whole address space, one line per slice, coloured by difference density.

The picture people want before the numbers: where the differences are, how dense they are, and
of what kind (the colour of the class that holds most of each slice's differing bytes). The
rows currently on screen are marked in the left column; a click jumps there.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.events import Click
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from romtool.analysis import DiffClass
from romtool.tui.compare_model import CompareModel
from romtool.tui.hexview import CLASS_STYLES

SHADES = ((0.0, "·"), (0.01, "░"), (0.10, "▒"), (0.50, "▓"), (1.0, "█"))
"""Glyph by the share of differing bytes in a slice: any > 0, >= 1 %, >= 10 %, >= 50 %."""

EMPTY = Style(dim=True)
VIEW = Style(color="cyan", bold=True)


def shade(share: float) -> str:
    """The glyph for a slice with ``share`` (0..1) of its bytes differing."""
    if share <= 0:
        return SHADES[0][1]
    glyph = SHADES[1][1]
    for limit, char in SHADES[1:]:
        if share >= limit:
            glyph = char
    return glyph


def class_colour(cls: DiffClass | None) -> Style:
    if cls is None:
        return EMPTY
    bg = CLASS_STYLES[cls].bgcolor
    return Style(color=bg)


class Minimap(Widget):
    """The whole address space top to bottom; ``view`` is the visible address range."""

    DEFAULT_CSS = """
    Minimap { width: 4; height: 1fr; }
    """

    class Jump(Message):
        """The user clicked a slice: go to ``address``."""

        def __init__(self, address: int) -> None:
            super().__init__()
            self.address = address

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.model: CompareModel | None = None
        self.view: tuple[int, int] = (0, 0)
        self._density: list[tuple[float, DiffClass | None]] = []

    def set_model(self, model: CompareModel) -> None:
        self.model = model
        self.recompute()

    def recompute(self) -> None:
        """Recount the density (after a resize or when the diff arrived)."""
        if self.model is None:
            return
        self._density = self.model.density(max(self.size.height, 1))
        self.refresh()

    def set_view(self, start: int, stop: int) -> None:
        if (start, stop) != self.view:
            self.view = (start, stop)
            self.refresh()

    def on_resize(self) -> None:
        self.recompute()

    def _slice(self, y: int) -> tuple[int, int]:
        model = self.model
        assert model is not None
        per = model.size / max(self.size.height, 1)
        return model.start + int(y * per), model.start + int((y + 1) * per)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if self.model is None or y >= len(self._density):
            return Strip.blank(width, self.rich_style)
        share, cls = self._density[y]
        lo, hi = self._slice(y)
        visible = lo < self.view[1] and self.view[0] < max(hi, lo + 1)
        marker = Segment("▐" if visible else " ", VIEW)
        body = Segment(shade(share) * max(width - 1, 1), class_colour(cls))
        return Strip([marker, body]).crop(0, width)

    def on_click(self, event: Click) -> None:
        if self.model is not None:
            self.post_message(self.Jump(self._slice(event.y)[0]))
