"""Flash sessions against the sim: programmer, in the model and through the TUI."""

from __future__ import annotations

import asyncio
import random
import threading
from pathlib import Path

from romtool.errors import OperationCancelled
from romtool.events import Event
from romtool.tui.app import RomtoolApp, Start
from romtool.tui.compare_screen import CompareScreen
from romtool.tui.session_model import (
    Op,
    ProgressTracker,
    Request,
    run_operation,
)
from romtool.tui.session_screen import SessionScreen

CHIP = 32 * 1024  # 27C256


def image_file(path: Path, seed: int, size: int = 8192) -> bytes:
    data = random.Random(seed).randbytes(size)
    path.write_bytes(data)
    return data


def test_run_operation_writes_and_verifies(tmp_path: Path) -> None:
    data = image_file(tmp_path / "img.rom", 1)
    state = tmp_path / "chip.bin"
    spec = f"sim:27C256,state={state}"
    events: list[Event] = []
    flag = threading.Event()
    out = run_operation(
        Request(Op.WRITE, spec, "27C256", str(tmp_path / "img.rom")), events.append, flag
    )
    assert out.ok, out.lines
    chip = state.read_bytes()
    assert chip[: len(data)] == data and chip[len(data) :] == b"\xff" * (CHIP - len(data))
    stages = [e.text for e in events if e.kind == "stage"]
    assert "write" in stages and "verify" in stages
    done = [e.done for e in events if e.kind == "progress"]
    assert done and done[-1] > 0
    out = run_operation(
        Request(Op.VERIFY, spec, "27C256", str(tmp_path / "img.rom")), events.append, flag
    )
    assert out.ok and out.readback is None
    out = run_operation(
        Request(Op.READ, spec, "27C256", output=str(tmp_path / "r.bin")), events.append, flag
    )
    assert out.ok and (tmp_path / "r.bin").read_bytes() == chip
    again = run_operation(
        Request(Op.READ, spec, "27C256", output=str(tmp_path / "r.bin")), events.append, flag
    )
    assert not again.ok and "exists" in str(again.error)


def test_failed_verify_reads_back_and_cancel_stops(tmp_path: Path) -> None:
    image_file(tmp_path / "a.rom", 1)
    image_file(tmp_path / "b.rom", 2)
    spec = f"sim:27C256,state={tmp_path / 'chip.bin'}"
    flag = threading.Event()
    assert run_operation(
        Request(Op.WRITE, spec, "27C256", str(tmp_path / "a.rom")), lambda e: None, flag
    ).ok
    out = run_operation(
        Request(Op.VERIFY, spec, "27C256", str(tmp_path / "b.rom")), lambda e: None, flag
    )
    assert not out.ok and out.can_compare and out.readback is not None
    assert len(out.readback) == CHIP
    flag.set()
    out = run_operation(Request(Op.READ, spec, "27C256"), lambda e: None, flag)
    assert not out.ok and isinstance(out.error, OperationCancelled)
    out = run_operation(Request(Op.WRITE, spec, "27C256"), lambda e: None, threading.Event())
    assert not out.ok and "needs an image" in str(out.error)


def test_progress_tracker_rate_eta_and_monotonic() -> None:
    now = [100.0]
    t = ProgressTracker(clock=lambda: now[0])
    t.start("write", 4096)
    now[0] += 2.0
    t.update(1024)
    assert t.rate == 512 and t.eta == 6.0
    t.update(512)  # a retry re-reports: the bar does not go back
    assert t.done == 1024
    assert "ETA 0:06" in t.text() and "1 KiB of 4 KiB" in t.text()


def test_tui_session_writes_the_simulated_chip(tmp_path: Path) -> None:
    data = image_file(tmp_path / "img.rom", 3)
    image_file(tmp_path / "other.rom", 4)
    state = tmp_path / "chip.bin"
    start = Start(
        "session",
        (str(tmp_path / "img.rom"),),
        programmer=f"sim:27C256,state={state}",
        part="27C256",
    )

    async def run() -> None:
        app = RomtoolApp(start)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, SessionScreen)

            async def press(key: str) -> None:
                await pilot.press(key)
                await app.workers.wait_for_complete()
                await pilot.pause()

            await press("f4")  # write (with verify)
            assert screen.outcome is not None and screen.outcome.ok, screen.outcome.lines
            summary = str(screen.query_one("#summary").render())
            assert "write: ok" in summary and "verified" in summary
            await press("f5")  # verify again
            assert screen.outcome.ok
            screen.query_one("#image").value = str(tmp_path / "other.rom")  # type: ignore[attr-defined]
            await press("f5")  # the chip does not hold this one
            assert not screen.outcome.ok and screen.outcome.can_compare
            await press("f8")
            assert isinstance(app.screen, CompareScreen)
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert app.screen.report is not None and not app.screen.report.same

    asyncio.run(run())
    chip = state.read_bytes()
    assert chip[: len(data)] == data and chip[len(data) :] == b"\xff" * (CHIP - len(data))


def test_cancel_in_the_middle_of_a_write(tmp_path: Path) -> None:
    image_file(tmp_path / "img.rom", 5, size=CHIP)
    spec = f"sim:27C256,state={tmp_path / 'chip.bin'}"
    flag = threading.Event()
    seen: list[int] = []

    def emit(event: Event) -> None:
        if event.kind == "progress" and event.done:
            seen.append(event.done)
            flag.set()  # the user presses F9 as soon as the write has started

    out = run_operation(Request(Op.WRITE, spec, "27C256", str(tmp_path / "img.rom")), emit, flag)
    assert not out.ok and isinstance(out.error, OperationCancelled)
    assert seen and seen[-1] < CHIP
    # The session closed cleanly: the same chip opens again and a verify runs to its end.
    again = run_operation(
        Request(Op.VERIFY, spec, "27C256", str(tmp_path / "img.rom")),
        lambda e: None,
        threading.Event(),
    )
    assert again.error is not None and "verify" in str(again.error)
    assert again.readback is not None
