"""The romtool Textual app: a home menu and the compare, session and inspect screens.

Everything works from the keyboard: the footer shows the bindings of the current screen,
ctrl+p opens the command palette (which also lists the screens), escape goes back.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Header, Input, Label, OptionList
from textual.widgets.option_list import Option

from romtool.analysis import Wanted
from romtool.tui.compare_screen import CompareScreen
from romtool.tui.inspect_screen import InspectScreen


@dataclass(frozen=True)
class Start:
    """Which screen the app opens on, with its arguments.

    Attributes:
        screen: ``"home"``, ``"compare"``, ``"session"`` or ``"inspect"``.
        paths: the files (two for compare, one for inspect, an optional image for session).
        wanted: the wanted side for compare.
        programmer: a programmer spec for the session (``sim:27C256``).
        part: a part name for the session.
    """

    screen: str = "home"
    paths: tuple[str, ...] = ()
    wanted: Wanted = Wanted.NONE
    programmer: str | None = None
    part: str | None = None


class PathsScreen(ModalScreen[tuple[str, ...] | None]):
    """Ask for one or two file paths."""

    DEFAULT_CSS = """
    PathsScreen { align: center middle; }
    PathsScreen > Vertical { width: 70; height: auto; border: round $accent; padding: 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, prompts: Iterable[str]) -> None:
        super().__init__()
        self.title_text = title
        self.prompts = tuple(prompts)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text)
            for i, prompt in enumerate(self.prompts):
                yield Input(placeholder=prompt, id=f"path{i}")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        values = tuple(self.query_one(f"#path{i}", Input).value for i in range(len(self.prompts)))
        if all(values):
            self.dismiss(values)
        else:
            self.focus_next()

    def action_cancel(self) -> None:
        self.dismiss(None)


HOME_ITEMS = (
    ("session", "Flash session: identify, blank check, write, verify, read"),
    ("compare", "Compare two images or dumps"),
    ("inspect", "Inspect the option ROMs in a file"),
    ("quit", "Quit"),
)


class HomeScreen(Screen[None]):
    """The menu shown when no screen was named (and under every other screen)."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield OptionList(*(Option(text, id=key) for key, text in HOME_ITEMS), id="menu")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        app = self.app
        assert isinstance(app, RomtoolApp)
        key = event.option.id
        if key == "quit":
            app.exit()
        elif key == "compare":
            app.action_open_compare()
        elif key == "inspect":
            app.action_open_inspect()
        elif key == "session":
            app.action_open_session()


class RomtoolApp(App[None]):
    """romtool's full-screen interface."""

    TITLE = "romtool"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, start: Start | None = None) -> None:
        super().__init__()
        self.start = start or Start()

    def on_mount(self) -> None:
        self.push_screen(HomeScreen())
        s = self.start
        if s.screen == "compare" and len(s.paths) == 2:
            self.push_screen(CompareScreen(s.paths[0], s.paths[1], wanted=s.wanted))
        elif s.screen == "inspect" and s.paths:
            self.push_screen(InspectScreen(s.paths[0]))
        elif s.screen == "session":
            self.action_open_session(
                programmer=s.programmer, part=s.part, image=s.paths[0] if s.paths else None
            )

    # --- opening screens -------------------------------------------------------------

    def action_open_compare(self) -> None:
        def done(paths: tuple[str, ...] | None) -> None:
            if paths:
                self.push_screen(CompareScreen(paths[0], paths[1]))

        self.push_screen(PathsScreen("Compare", ("file A", "file B")), done)

    def action_open_inspect(self) -> None:
        def done(paths: tuple[str, ...] | None) -> None:
            if paths:
                self.push_screen(InspectScreen(paths[0]))

        self.push_screen(PathsScreen("Inspect", ("ROM file",)), done)

    def action_open_session(
        self, programmer: str | None = None, part: str | None = None, image: str | None = None
    ) -> None:
        from romtool.tui.session_screen import SessionScreen

        self.push_screen(SessionScreen(programmer=programmer, part=part, image=image))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand(
            "Compare files", "Compare two images or dumps", self.action_open_compare
        )
        yield SystemCommand(
            "Inspect file", "Show the option ROMs in a file", self.action_open_inspect
        )
        yield SystemCommand(
            "Flash session", "Identify, write, verify, read", self.action_open_session
        )
