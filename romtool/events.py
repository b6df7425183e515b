"""How the core reports progress without printing.

Core code takes a :class:`Reporter` and calls ``stage``/``progress``/``note``/``warn`` on it;
the CLI renders these as rich progress bars or plain lines, the TUI as Textual messages, tests
record them. ``progress`` is cumulative and :class:`MonotonicReporter` guarantees it never
goes backwards, even when a retry re-sends data that was already counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


@runtime_checkable
class Reporter(Protocol):
    """Receiver of progress events from core operations."""

    def stage(self, name: str, total: int | None = None) -> None:
        """A new stage begins (``"read"``, ``"write"``, ``"verify"``); total in bytes."""

    def progress(self, done: int, total: int | None = None) -> None:
        """Bytes done so far in the current stage (cumulative)."""

    def note(self, message: str) -> None:
        """Information the user may want (shown with -v or in the TUI log)."""

    def warn(self, message: str) -> None:
        """Something the user should know even with -q."""


class NullReporter:
    """Discards every event."""

    def stage(self, name: str, total: int | None = None) -> None:
        pass

    def progress(self, done: int, total: int | None = None) -> None:
        pass

    def note(self, message: str) -> None:
        pass

    def warn(self, message: str) -> None:
        pass


@dataclass
class Event:
    kind: str
    text: str = ""
    done: int = 0
    total: int | None = None


@dataclass
class RecordingReporter:
    """Keeps every event (for tests and for the JSON summary)."""

    events: list[Event] = field(default_factory=list)

    def stage(self, name: str, total: int | None = None) -> None:
        self.events.append(Event("stage", name, 0, total))

    def progress(self, done: int, total: int | None = None) -> None:
        self.events.append(Event("progress", "", done, total))

    def note(self, message: str) -> None:
        self.events.append(Event("note", message))

    def warn(self, message: str) -> None:
        self.events.append(Event("warn", message))

    def kinds(self, kind: str) -> list[Event]:
        return [e for e in self.events if e.kind == kind]


class MonotonicReporter:
    """Wraps a reporter so that progress within a stage never decreases."""

    def __init__(self, inner: Reporter) -> None:
        self.inner = inner
        self._done = 0

    def stage(self, name: str, total: int | None = None) -> None:
        self._done = 0
        self.inner.stage(name, total)

    def progress(self, done: int, total: int | None = None) -> None:
        if done < self._done:
            return
        self._done = done
        self.inner.progress(done, total)

    def note(self, message: str) -> None:
        self.inner.note(message)

    def warn(self, message: str) -> None:
        self.inner.warn(message)
