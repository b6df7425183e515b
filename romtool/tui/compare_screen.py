"""The compare screen: two dumps side by side, differences by class, a minimap, a bit view.

Files are loaded and the diff is computed in a thread worker; the rows appear as soon as the
files are loaded (per-row classes need no diff), and navigation and the minimap follow when the
diff arrives.
"""

from __future__ import annotations

import threading
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Header, Input, Static

from romtool.analysis import CompareReport, Wanted, compare
from romtool.errors import RomtoolError
from romtool.image.formats import load_image
from romtool.image.model import Image
from romtool.tui.bitview import BitView
from romtool.tui.compare_model import Cell, CompareModel
from romtool.tui.hexview import HexDiffView
from romtool.tui.minimap import Minimap
from romtool.units import format_size, parse_address

PAINT_WAIT_S = 1.0
"""The worker waits at most this long for the first paint before it starts the diff: the diff
holds the GIL for much of its run, and the rows should appear before it, not after."""

MAX_FINDINGS_SHOWN = 3
"""Findings listed in the summary panel (all of them are in ``romtool compare`` output)."""


class GotoScreen(ModalScreen[int | None]):
    """Ask for an address (hex with 0x or a trailing h, or decimal)."""

    DEFAULT_CSS = """
    GotoScreen { align: center middle; }
    GotoScreen > Input { width: 40; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def compose(self) -> ComposeResult:
        yield Input(placeholder="address, e.g. 0x1F00", id="goto")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        try:
            self.dismiss(parse_address(event.value))
        except RomtoolError as exc:
            self.notify(str(exc), severity="error")

    def action_cancel(self) -> None:
        self.dismiss(None)


class CompareScreen(Screen[None]):
    """Compare A with B (files or images).

    Args:
        a: A's path or image.
        b: B's path or image.
        wanted: which side should be in the chip.
        names: display names when images are given.
    """

    DEFAULT_CSS = """
    CompareScreen #summary { height: auto; max-height: 6; padding: 0 1; background: $panel; }
    CompareScreen #body { height: 1fr; }
    CompareScreen HexDiffView { width: 1fr; height: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "next_diff", "Next diff"),
        Binding("p,N", "prev_diff", "Prev diff"),
        Binding("g", "goto", "Go to"),
        Binding("w", "cycle_wanted", "Wanted side"),
        Binding("escape", "app.pop_screen", "Back", show=False),
    ]

    class Loaded(Message):
        """The files are read: the model can be drawn."""

        def __init__(self, model: CompareModel) -> None:
            super().__init__()
            self.model = model

    class DiffReady(Message):
        """The diff is computed."""

        def __init__(self, report: CompareReport) -> None:
            super().__init__()
            self.report = report

    class Failed(Message):
        def __init__(self, error: RomtoolError) -> None:
            super().__init__()
            self.error = error

    def __init__(
        self,
        a: str | Image,
        b: str | Image,
        *,
        wanted: Wanted = Wanted.NONE,
        names: tuple[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.source = (a, b)
        self.wanted = wanted
        self.names = names or (
            a if isinstance(a, str) else "A",
            b if isinstance(b, str) else "B",
        )
        self.model: CompareModel | None = None
        self.report: CompareReport | None = None
        self._painted = threading.Event()

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("loading ...", id="summary")
        with Horizontal(id="body"):
            yield HexDiffView(id="hex")
            yield Minimap(id="minimap")
        yield BitView(id="bits")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(HexDiffView).focus()
        self.load()

    # --- work ------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="compare")
    def load(self) -> None:
        """Read both sides, post the model, then compute and post the diff."""
        try:
            if self.model is None:
                a, b = (s if isinstance(s, Image) else load_image(s) for s in self.source)
                self._painted.clear()
                self.post_message(self.Loaded(CompareModel(a, b, wanted=self.wanted)))
                self._painted.wait(PAINT_WAIT_S)
            else:
                a, b = self.model.a, self.model.b
            report = compare(a, b, wanted=self.wanted, name_a=self.names[0], name_b=self.names[1])
        except RomtoolError as exc:
            self.post_message(self.Failed(exc))
            return
        self.post_message(self.DiffReady(report))

    def on_compare_screen_loaded(self, message: Loaded) -> None:
        self.model = message.model
        self.query_one(HexDiffView).set_model(message.model)
        self.query_one(Minimap).set_model(message.model)
        self._summary()
        self.call_after_refresh(self._painted.set)

    def on_compare_screen_diff_ready(self, message: DiffReady) -> None:
        if message.report.wanted is not self.wanted:
            return  # a worker from before the last `w` finished late: its classes are stale
        self.report = message.report
        if self.model is not None:
            self.model.set_report(message.report)
            self.query_one(Minimap).recompute()
        self._summary()
        self._show_bits()

    def on_compare_screen_failed(self, message: Failed) -> None:
        self.query_one("#summary", Static).update(f"[b red]error:[/] {message.error}")
        self.notify(str(message.error), severity="error", timeout=8)

    # --- display ---------------------------------------------------------------------

    def _summary(self) -> None:
        model = self.model
        if model is None:
            return
        lines = []
        for label, name, image in (("A", self.names[0], model.a), ("B", self.names[1], model.b)):
            mark = " (wanted)" if self.wanted.value == label.lower() else ""
            lines.append(f"[b]{label}[/]{mark}: {name}  {format_size(len(image))}")
        rep = self.report
        if rep is None:
            lines.append("comparing ...")
        elif rep.same:
            lines.append("[b green]same[/]")
        else:
            lines.append(f"[b red]different[/]: {rep.headline()}")
            if rep.classification is not None:
                for f in rep.classification.findings[:MAX_FINDINGS_SHOWN]:
                    lines.append(f"- {f.message}")
        self.query_one("#summary", Static).update("\n".join(lines))

    def on_hex_diff_view_cursor_moved(self, message: HexDiffView.CursorMoved) -> None:
        self._show_bits(message.cell)
        self._update_view()

    def _show_bits(self, cell: Cell | None = None) -> None:
        """The bit view, with which difference the cursor is on (no relayout: fixed size)."""
        view = self.query_one(HexDiffView)
        model = self.model
        if model is None:
            return
        cell = cell or model.cell(view.cursor)
        where = ""
        if self.report is not None and not self.report.same:
            idx = model.diff_index(view.cursor)
            n = len(self.report.ranges)
            where = f"difference {idx + 1} of {n}" if idx is not None else f"{n} differences"
        self.query_one(BitView).show(cell, self.wanted, where)

    def _update_view(self) -> None:
        view = self.query_one(HexDiffView)
        model = self.model
        if model is None:
            return
        top = model.row_address(int(view.scroll_y))
        height = max(view.scrollable_content_region.height, 1)
        self.query_one(Minimap).set_view(top, top + height * model.width)

    def on_minimap_jump(self, message: Minimap.Jump) -> None:
        self.query_one(HexDiffView).move_to(message.address)

    # --- actions ---------------------------------------------------------------------

    def action_next_diff(self) -> None:
        self._jump(forward=True)

    def action_prev_diff(self) -> None:
        self._jump(forward=False)

    def _jump(self, *, forward: bool) -> None:
        if self.model is None or self.report is None:
            self.notify("the diff is still being computed")
            return
        view = self.query_one(HexDiffView)
        target = self.model.next_diff(view.cursor) if forward else self.model.prev_diff(view.cursor)
        if target is None:
            self.notify("no more differences" if forward else "no earlier difference")
            return
        view.move_to(target)

    def action_goto(self) -> None:
        def done(address: int | None) -> None:
            if address is not None:
                self.query_one(HexDiffView).move_to(address)

        self.app.push_screen(GotoScreen(), done)

    def action_cycle_wanted(self) -> None:
        """None -> A -> B -> None: classes and findings follow the choice."""
        order = [Wanted.NONE, Wanted.A, Wanted.B]
        self.wanted = order[(order.index(self.wanted) + 1) % len(order)]
        if self.model is None:
            return
        self.model.wanted = self.wanted
        self.report = None
        self.model.set_report(None)
        view = self.query_one(HexDiffView)
        view.refresh()
        view.move_to(view.cursor)
        self._summary()
        self.load()
