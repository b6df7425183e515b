"""The session screen's model: run one chip operation, track progress, sum it up.

No Textual here. :func:`run_operation` is what the screen's worker thread calls: it opens the
programmer through :mod:`romtool.ops`, runs identify / blank check / write / verify / read,
and returns an :class:`Outcome` with a summary, and, when a verify failed, the chip's
read-back so the compare screen can show image against chip. Events go to a callback (the
screen posts them as messages); a cancel flag is checked at every progress event, the point
where every driver hands control back.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from romtool.errors import OperationCancelled, RomtoolError, VerifyError
from romtool.events import Event, MonotonicReporter
from romtool.fileio import check_writable, write_atomic
from romtool.image.formats import load_image
from romtool.image.model import Image
from romtool.ops import (
    blank_check,
    identify,
    open_session,
    read_chip,
    verify_chip,
    write_image,
)
from romtool.ops.session import Session
from romtool.units import format_rate, format_size


class Op(StrEnum):
    """The operations a session runs."""

    IDENTIFY = "identify"
    BLANK = "blank check"
    WRITE = "write"
    VERIFY = "verify"
    READ = "read"


NEEDS_IMAGE = {Op.WRITE, Op.VERIFY}


@dataclass(frozen=True)
class Request:
    """What to run.

    Attributes:
        op: the operation.
        programmer: spec string (``sim:27C256``, ``romprog:/dev/ttyACM0``).
        part: part name (``27C256``).
        image: the image file (write, verify; for read it is what the read-back is compared
            with).
        output: where a read is saved (read only; never replaced: pick a new name).
        force: go on when the chip id does not match.
    """

    op: Op
    programmer: str
    part: str
    image: str | None = None
    output: str | None = None
    force: bool = False


@dataclass
class Outcome:
    """The end of an operation.

    Attributes:
        request: what was run.
        ok: it succeeded (a matching id, a blank chip, a verified write, ...).
        lines: the summary, one line each.
        error: the error when it failed.
        image: the image that was used, when there was one.
        readback: the chip's contents read back after a failed verify, or by a read.
        wall_s: wall-clock seconds.
        device_s: seconds on the programmer's clock (modeled time on a simulator).
    """

    request: Request
    ok: bool
    lines: list[str] = field(default_factory=list)
    error: RomtoolError | None = None
    image: Image | None = None
    readback: bytes | None = None
    wall_s: float = 0.0
    device_s: float = 0.0

    @property
    def can_compare(self) -> bool:
        """Image and chip can be compared side by side."""
        return self.image is not None and self.readback is not None


class CallbackReporter:
    """A Reporter that forwards events to ``emit`` and stops the operation on ``cancel``.

    Raises:
        OperationCancelled: from :meth:`progress` once ``cancel`` is set.
    """

    def __init__(self, emit: Callable[[Event], None], cancel: threading.Event) -> None:
        self.emit = emit
        self.cancel = cancel

    def stage(self, name: str, total: int | None = None) -> None:
        self.emit(Event("stage", name, 0, total))

    def progress(self, done: int, total: int | None = None) -> None:
        if self.cancel.is_set():
            raise OperationCancelled("cancelled by the user", op="session")
        self.emit(Event("progress", "", done, total))

    def note(self, message: str) -> None:
        self.emit(Event("note", message))

    def warn(self, message: str) -> None:
        self.emit(Event("warn", message))


class ProgressTracker:
    """Rate and ETA of the current stage from cumulative progress.

    Args:
        clock: monotonic seconds (injectable for tests).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.stage = ""
        self.total: int | None = None
        self.done = 0
        self.started = clock()

    def start(self, stage: str, total: int | None) -> None:
        self.stage, self.total, self.done, self.started = stage, total, 0, self.clock()

    def update(self, done: int, total: int | None = None) -> None:
        if total is not None:
            self.total = total
        self.done = max(self.done, done)  # progress never goes backwards on screen either

    @property
    def elapsed(self) -> float:
        return self.clock() - self.started

    @property
    def rate(self) -> float:
        """Bytes per second so far (0 before any time has passed)."""
        t = self.elapsed
        return self.done / t if t > 0 else 0.0

    @property
    def eta(self) -> float | None:
        """Seconds left at the current rate, None when unknown."""
        if not self.total or self.rate <= 0:
            return None
        return max(self.total - self.done, 0) / self.rate

    def text(self) -> str:
        """``write  12.0 KiB of 32 KiB  4.1 KiB/s  ETA 0:05``."""
        parts = [self.stage or "-"]
        if self.total:
            parts.append(f"{format_size(self.done)} of {format_size(self.total)}")
        parts.append(format_rate(self.done, self.elapsed))
        eta = self.eta
        if eta is not None and self.done < (self.total or 0):
            parts.append(f"ETA {int(eta) // 60}:{int(eta) % 60:02d}")
        return "  ".join(parts)


def _load(req: Request) -> Image | None:
    if req.image:
        return load_image(req.image)
    if req.op in NEEDS_IMAGE:
        raise RomtoolError(f"{req.op} needs an image file", op=str(req.op))
    return None


def _run(
    req: Request, session: Session, image: Image | None, rep: MonotonicReporter, out: Outcome
) -> None:
    chip = session.chip
    if req.op is Op.IDENTIFY:
        found = identify(session)
        out.ok = found.matches is not False
        if found.chip_id is None:
            out.lines.append(f"id not read: {found.note}")
        else:
            out.lines.append(f"id {found.note}")
        if found.matches is False:
            out.lines.append(f"does not match {chip.name}")
    elif req.op is Op.BLANK:
        blank = blank_check(session, force=req.force, reporter=rep)
        out.lines.append(f"blank: {format_size(len(blank.range))} checked {blank.how}")
    elif req.op is Op.WRITE:
        assert image is not None
        result = write_image(session, image, force=req.force, reporter=rep)
        out.lines.append(
            f"wrote {format_size(result.programmed)} of {result.span} "
            f"(plan: {', '.join(f'{k} {v}' for k, v in result.plan.items() if v)})"
        )
        if result.verify is not None:
            out.lines.append(
                f"verified by {result.verify.how}: {format_size(result.verify.checked)}"
            )
    elif req.op is Op.VERIFY:
        assert image is not None
        result_v = verify_chip(session, image, force=req.force, reporter=rep)
        out.lines.append(f"verified by {result_v.how}: {format_size(result_v.checked)} match")
    elif req.op is Op.READ:
        if req.output:
            check_writable(req.output, force=False)
        data = read_chip(session, force=req.force, reporter=rep)
        out.readback = data
        out.lines.append(f"read {format_size(len(data))}")
        if req.output:
            write_atomic(req.output, data, force=False)
            out.lines.append(f"saved to {req.output}")
    out.ok = out.ok if req.op is Op.IDENTIFY else True


def run_operation(
    req: Request,
    emit: Callable[[Event], None],
    cancel: threading.Event,
    clock: Callable[[], float] = time.monotonic,
) -> Outcome:
    """Run ``req`` to the end and sum it up; never raises a :class:`RomtoolError`.

    After a failed verify (alone or after a write) the whole chip is read back, so the
    outcome can be shown against the image.
    """
    out = Outcome(req, ok=False)
    t0 = clock()
    rep = MonotonicReporter(CallbackReporter(emit, cancel))
    try:
        image = _load(req)
        out.image = image
        with open_session(req.programmer, req.part, reporter=rep) as session:
            d0 = session.programmer.now()
            out.lines.append(f"{session.chip.name} in {session.spec_text}")
            try:
                _run(req, session, image, rep, out)
            except VerifyError as exc:
                out.error = exc
                out.lines.append(f"verify failed: {exc}")
                rep.note("reading the chip back to show where it differs")
                try:
                    out.readback = read_chip(session, force=True, reporter=rep)
                except RomtoolError as again:
                    out.lines.append(f"read-back failed: {again}")
            finally:
                out.device_s = session.programmer.now() - d0
    except RomtoolError as exc:
        if out.error is None:
            out.error = exc
            out.lines.append(f"{req.op} failed: {exc}")
        out.ok = False
    out.wall_s = clock() - t0
    if out.error is not None:
        out.ok = False
    out.lines.append(f"time: {out.wall_s:.2f} s wall, {out.device_s:.2f} s on the device")
    return out
