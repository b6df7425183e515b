"""The session screen: choose programmer, part and image; identify, blank check, write, verify,
read in a worker with progress, rate, ETA and a log; cancel; a summary; compare after a failed
verify.
"""

from __future__ import annotations

import threading
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Label, Log, OptionList, ProgressBar, Static
from textual.widgets.option_list import Option

from romtool import events
from romtool.analysis import Wanted
from romtool.chips import all_chips, find_chips
from romtool.errors import RomtoolError
from romtool.image.model import Image
from romtool.tui.compare_screen import CompareScreen
from romtool.tui.session_model import (
    Op,
    Outcome,
    ProgressTracker,
    Request,
    run_operation,
)

DEFAULT_PROGRAMMER = "sim:27C256"
"""Runs out of the box: the simulated romprog board with a 27C256 in its socket."""

MAX_PARTS_LISTED = 200
"""Parts shown in the picker at once (type to narrow the list)."""


class SessionScreen(Screen[None]):
    """A whole flash session against one programmer."""

    DEFAULT_CSS = """
    SessionScreen #form { width: 46; padding: 0 1; }
    SessionScreen #form Input { margin-bottom: 0; }
    SessionScreen #parts { height: 1fr; min-height: 4; }
    SessionScreen #devices { height: auto; max-height: 5; }
    SessionScreen #run { width: 1fr; padding: 0 1; }
    SessionScreen #stage { height: 1; }
    SessionScreen ProgressBar { height: 1; }
    SessionScreen #summary { height: auto; border: round $accent; padding: 0 1; }
    SessionScreen Log { height: 1fr; border: round $panel; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f2", "run('identify')", "Id"),
        Binding("f3", "run('blank check')", "Blank"),
        Binding("f4", "run('write')", "Write"),
        Binding("f5", "run('verify')", "Verify"),
        Binding("f6", "run('read')", "Read"),
        Binding("f7", "detect", "Detect"),
        Binding("f9", "cancel", "Cancel"),
        Binding("f8", "compare", "Compare"),
        Binding("escape", "app.pop_screen", "Back", show=False),
    ]

    class Event(Message):
        """A reporter event from the worker."""

        def __init__(self, event: events.Event) -> None:
            super().__init__()
            self.event = event

    class Done(Message):
        def __init__(self, outcome: Outcome) -> None:
            super().__init__()
            self.outcome = outcome

    class Detected(Message):
        def __init__(self, specs: list[tuple[str, str]]) -> None:
            super().__init__()
            self.specs = specs

    def __init__(
        self,
        *,
        programmer: str | None = None,
        part: str | None = None,
        image: str | None = None,
    ) -> None:
        super().__init__()
        self.initial = (programmer or DEFAULT_PROGRAMMER, part or "", image or "")
        self.cancel_flag = threading.Event()
        self.tracker = ProgressTracker()
        self.outcome: Outcome | None = None
        self.running = False

    def compose(self) -> ComposeResult:
        programmer, part, image = self.initial
        yield Header()
        with Horizontal():
            with Vertical(id="form"):
                yield Label("Programmer (F7 lists detected devices)")
                yield Input(programmer, placeholder="sim:27C256, romprog:/dev/ttyACM0", id="spec")
                yield OptionList(id="devices")
                yield Label("Part (type to search)")
                yield Input(part, placeholder="27C256", id="part")
                yield OptionList(id="parts")
                yield Label("Image file")
                yield Input(image, placeholder="image.rom (write, verify)", id="image")
                yield Label("Save a read as")
                yield Input("", placeholder="dump.bin (read; never replaced)", id="output")
            with Vertical(id="run"):
                yield Static("ready", id="stage")
                # A total from the start: an indeterminate bar animates, a ready one should not.
                yield ProgressBar(total=1, id="bar", show_eta=False)
                yield Static("F2 id  F3 blank  F4 write  F5 verify  F6 read", id="summary")
                yield Log(id="log", highlight=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#devices", OptionList).display = False
        self._fill_parts(self.initial[1])
        self.query_one("#spec", Input).focus()

    # --- choosing ----------------------------------------------------------------------

    def _fill_parts(self, text: str) -> None:
        try:
            chips = find_chips(text) if text.strip() else list(all_chips())
        except RomtoolError:
            chips = []
        parts = self.query_one("#parts", OptionList)
        parts.clear_options()
        parts.add_options(
            Option(f"{c.name:<14} {c.vendor} {c.size // 1024} KiB {c.technology}", id=c.name)
            for c in chips[:MAX_PARTS_LISTED]
        )

    @on(Input.Changed, "#part")
    def _part_typed(self, event: Input.Changed) -> None:
        self._fill_parts(event.value)

    @on(OptionList.OptionSelected, "#parts")
    def _part_chosen(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.query_one("#part", Input).value = event.option.id

    @on(OptionList.OptionSelected, "#devices")
    def _device_chosen(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.query_one("#spec", Input).value = event.option.id

    def action_detect(self) -> None:
        self.log_line("looking for programmers ...")
        self._detect()

    @work(thread=True, exclusive=True, group="detect")
    def _detect(self) -> None:
        from romtool.programmers.registry import discover

        specs = [(d.spec, d.description) for _ptype, found in discover() for d in found]
        self.post_message(self.Detected(specs))

    def on_session_screen_detected(self, message: Detected) -> None:
        devices = self.query_one("#devices", OptionList)
        devices.clear_options()
        devices.add_options(Option(f"{spec}  {desc}", id=spec) for spec, desc in message.specs)
        devices.display = bool(message.specs)
        self.log_line(
            f"found {len(message.specs)} programmer(s); {DEFAULT_PROGRAMMER} always works"
        )

    # --- running -----------------------------------------------------------------------

    def request(self, op: Op) -> Request:
        def value(name: str) -> str:
            return self.query_one(f"#{name}", Input).value.strip()

        return Request(
            op,
            programmer=value("spec"),
            part=value("part"),
            image=value("image") or None,
            output=value("output") or None,
        )

    def action_run(self, op: str) -> None:
        if self.running:
            self.notify("an operation is running (F9 cancels it)", severity="warning")
            return
        req = self.request(Op(op))
        self.running = True
        self.cancel_flag.clear()
        self.outcome = None
        self.query_one("#summary", Static).update(f"{req.op} ...")
        self.log_line(f"--- {req.op}: {req.part or '?'} in {req.programmer or '?'}")
        self._work(req)

    @work(thread=True, exclusive=True, group="session")
    def _work(self, req: Request) -> None:
        def emit(event: events.Event) -> None:
            self.post_message(self.Event(event))

        outcome = run_operation(req, emit, self.cancel_flag)
        self.post_message(self.Done(outcome))

    def action_cancel(self) -> None:
        if self.running:
            self.cancel_flag.set()
            self.log_line("cancelling ...")

    def on_session_screen_event(self, message: Event) -> None:
        e = message.event
        bar = self.query_one("#bar", ProgressBar)
        if e.kind == "stage":
            self.tracker.start(e.text, e.total)
            bar.update(total=e.total, progress=0)
            self.log_line(f"{e.text}" + (f" ({e.total} bytes)" if e.total else ""))
        elif e.kind == "progress":
            self.tracker.update(e.done, e.total)
            bar.update(total=self.tracker.total, progress=self.tracker.done)
        elif e.kind == "note":
            self.log_line(e.text)
        elif e.kind == "warn":
            self.log_line(f"warning: {e.text}")
        self.query_one("#stage", Static).update(self.tracker.text())

    def on_session_screen_done(self, message: Done) -> None:
        out = message.outcome
        self.running = False
        self.outcome = out
        head = (
            f"[b green]{out.request.op}: ok[/]" if out.ok else f"[b red]{out.request.op}: failed[/]"
        )
        lines = [head, *out.lines]
        if out.can_compare and not out.ok:
            lines.append("F8: compare the image with the chip's read-back")
        elif out.can_compare:
            lines.append("F8: compare the image with what was read")
        self.query_one("#summary", Static).update("\n".join(lines))
        for line in out.lines:
            self.log_line(line)
        if not out.ok and out.error is not None:
            self.notify(str(out.error), severity="error", timeout=8)

    def action_compare(self) -> None:
        out = self.outcome
        if out is None or not out.can_compare:
            self.notify("nothing to compare yet: verify, write, or read with an image set")
            return
        assert out.image is not None and out.readback is not None
        image_name = out.request.image or "image"
        self.app.push_screen(
            CompareScreen(
                out.image,
                Image.from_bytes(out.readback),
                wanted=Wanted.A,
                names=(image_name, "chip read-back"),
            )
        )

    def log_line(self, text: str) -> None:
        self.query_one(Log).write_line(text)
