"""The host build in real time on a pty: the driver opens it like a serial port."""

from __future__ import annotations

import time
import zlib
from pathlib import Path

import pytest

from romtool.chips import get_chip
from romtool.errors import RomtoolError
from romtool.image.model import Image
from romtool.ops.session import open_session
from romtool.ops.write import write_image
from romtool.programmers.romprog import protocol as p
from romtool.programmers.romprog.channel import Channel
from romtool.programmers.romprog.driver import RomprogProgrammer
from romtool.programmers.romprog.profile import profile_for
from romtool.programmers.romprog.protocol import Cmd, Frame, FrameType
from romtool.programmers.sim.busserver import FirmwareProcess
from romtool.programmers.sim.chips import model_for
from romtool.programmers.sim.clock import VirtualClock
from romtool.programmers.transports.serial import SerialLink
from romtool.ranges import Range
from romtool.settings import Settings

WATCHDOG_MS = 300
"""A short host-silence watchdog so the real-time test waits well under a second."""
SILENCE_S = 1.0
"""How long the host stays silent: over three watchdog periods, so a loaded machine still
sees the trip."""
LONG_WATCHDOG_MS = 800
"""For a whole write over the pty: long enough that a host stalled by a busy machine does not
trip it mid-write."""
LONG_SILENCE_S = 2.0


def test_write_over_the_pty_with_the_romprog_spec(firmware_bin: Path) -> None:
    part = get_chip("AT28C256")
    chip = model_for(part, clock=VirtualClock())
    data = bytes((i * 29 + 3) & 0xFF for i in range(1024))
    with FirmwareProcess(firmware_bin, chip) as fw:
        with open_session(f"romprog:{fw.port}", part) as session:
            result = write_image(session, Image.from_bytes(data))
            assert result.verify is not None and result.verify.ok
            assert session.programmer.crc32(Range(0, 1024)) == zlib.crc32(data)
        assert fw.server.log.setups[-1].pins == 28
    assert chip.snapshot()[:1024] == data


def test_watchdog_in_real_time(firmware_bin: Path) -> None:
    """The host opens a write on an EPROM and goes silent: the firmware itself removes VPP."""
    part = get_chip("27C256")
    chip = model_for(part, clock=VirtualClock())
    with FirmwareProcess(firmware_bin, chip, watchdog_ms=WATCHDOG_MS) as fw:
        link = SerialLink(fw.port)
        events: list[Frame] = []
        try:
            ch = Channel(link, Settings(), on_event=events.append)
            link.write(b"\x00")
            ch.request(Cmd.HELLO, p.HELLO_REQ.pack(p.MAGIC, p.PROTO_VERSION), op="hello")
            ch.request(Cmd.SET_PROFILE, profile_for(part).pack(), op="profile")
            ch.request(Cmd.WRITE_BEGIN, p.WRITE_BEGIN_REQ.pack(0, 64, 0), op="write")
            assert chip.vpp_mv is not None
            time.sleep(SILENCE_S)
            assert chip.vpp_mv is None, "VPP still on after the host went silent"
            assert chip.vcc_mv == 0
            frame = ch.recv(1.0)
            while frame is not None and frame.type is not FrameType.EVT:
                frame = ch.recv(1.0)
            assert any(e.payload[:1] == bytes([p.EvtKind.WATCHDOG]) for e in events)
        finally:
            link.close()


class _PullCable:
    """A reporter that pulls the cable (closes the port under the driver) once the write has
    committed ``after`` bytes."""

    def __init__(self, after: int) -> None:
        self.after = after
        self.link: SerialLink | None = None
        self.stage_name = ""

    def stage(self, name: str, total: int | None = None) -> None:
        self.stage_name = name

    def progress(self, done: int, total: int | None = None) -> None:
        if self.link is not None and self.stage_name == "write" and done >= self.after:
            self.link.close()
            self.link = None

    def note(self, message: str) -> None:
        pass

    def warn(self, message: str) -> None:
        pass


def test_pulled_cable_in_real_time_then_resume(firmware_bin: Path, tmp_path: Path) -> None:
    """The host vanishes mid-write: the firmware's watchdog removes VPP by itself, and the next
    session resumes from the journal."""
    part = get_chip("27C256")
    chip = model_for(part, clock=VirtualClock())
    data = bytes((i * 89 + 5) & 0xFF for i in range(6144))
    image = Image.from_bytes(data)
    journal = tmp_path / "write.journal"
    with FirmwareProcess(firmware_bin, chip, watchdog_ms=LONG_WATCHDOG_MS) as fw:
        pull = _PullCable(after=2048)
        with (
            pytest.raises(RomtoolError),
            open_session(f"romprog:{fw.port}", part) as session,
        ):
            prog = session.programmer
            assert isinstance(prog, RomprogProgrammer) and isinstance(prog.link, SerialLink)
            pull.link = prog.link
            write_image(session, image, journal_file=journal, reporter=pull)
        time.sleep(LONG_SILENCE_S)
        assert chip.vpp_mv is None, "VPP still on after the host vanished"
        assert chip.snapshot()[:2048] == data[:2048]
        with open_session(f"romprog:{fw.port}", part) as session:
            result = write_image(session, image, resume=True, journal_file=journal)
        assert result.resumed_from is not None and result.resumed_from >= 2048
    assert chip.snapshot()[: len(data)] == data
