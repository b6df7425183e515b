"""Bad input never hangs the board and never leaves VPP on (both device implementations)."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from romtool.chips import get_chip
from romtool.programmers.romprog import protocol as p
from romtool.programmers.romprog.channel import Channel
from romtool.programmers.romprog.profile import profile_for
from romtool.programmers.romprog.protocol import Cmd, Frame, FrameType, Status
from romtool.programmers.sim.busserver import BoardFaults, LockstepDevice
from romtool.programmers.sim.chips import model_for
from romtool.programmers.sim.clock import VirtualClock
from romtool.programmers.sim.link import Link, LinkModel
from romtool.programmers.sim.romprog.port import SimPort
from romtool.settings import Settings

from .conftest import Board, BoardFactory

ANSWER_S = 0.5
"""Virtual seconds to wait for an answer; every answer here comes within a few ms."""


class Raw:
    """Frame-level access to a board, below the driver."""

    def __init__(self, port: SimPort) -> None:
        self.port = port
        self.events: list[Frame] = []
        self.ch = Channel(port, Settings(), on_event=self.events.append)

    def send(self, frame: Frame) -> None:
        self.ch.send(frame)

    def ask(self, cmd: int, payload: bytes = b"", seq: int | None = None) -> Frame:
        seq = self.ch.next_seq() if seq is None else seq
        self.ch.send(Frame(FrameType.REQ, seq, cmd, 0, payload))
        while True:
            frame = self.ch.recv(ANSWER_S)
            assert frame is not None, f"no answer to command 0x{cmd:02X}"
            if frame.type is FrameType.RSP and frame.seq == seq:
                return frame

    def quiet(self) -> bool:
        """True when nothing but events arrives for a while."""
        return self.ch.recv(ANSWER_S) is None

    def hello(self) -> None:
        self.port.write(b"\x00")
        rsp = self.ask(Cmd.HELLO, p.HELLO_REQ.pack(p.MAGIC, p.PROTO_VERSION))
        assert rsp.status == Status.OK

    def profile(self, part: str, **changes: object) -> Frame:
        prof = profile_for(get_chip(part))
        if changes:
            prof = p.Profile(**{**prof.__dict__, **changes})
        return self.ask(Cmd.SET_PROFILE, prof.pack())

    def half_write(self) -> tuple[Frame, bytes]:
        """Begin a 128-byte write at 0 and send its first 64 bytes (acknowledged): a stream
        left open with VPP on. Returns the WRITE_BEGIN answer and the bytes sent."""
        data = bytes(range(64))
        begin = self.ask(Cmd.WRITE_BEGIN, p.WRITE_BEGIN_REQ.pack(0, 128, zlib.crc32(data * 2)))
        first = p.DATA_HEADER.pack(0) + data
        self.send(Frame(FrameType.DATA, begin.seq, Cmd.WRITE_BEGIN, 0, first))
        ack = self.ch.recv(ANSWER_S)
        assert ack is not None and ack.type is FrameType.ACK
        return begin, data


def _raw(board: Board) -> Raw:
    raw = Raw(board.connect())
    raw.hello()
    return raw


def test_broken_frames_get_no_answer(make_board: BoardFactory) -> None:
    board = make_board("27C256")
    raw = _raw(board)
    good = Frame(FrameType.REQ, 40, Cmd.PING).encode()
    bad_crc = bytearray(good)
    bad_crc[5] ^= 0x01
    body = p.HEADER.pack(2, FrameType.REQ, 41, Cmd.PING, 0, 0)  # version 2
    bad_version = p.cobs.encode(body + struct.pack("<I", zlib.crc32(body))) + b"\x00"
    too_short = p.cobs.encode(b"\x01\x01\x00") + b"\x00"
    endless = bytes(range(1, 256)) * 12 + b"\x00"  # no delimiter for 3 KiB: noise
    # Intact, but its payload is beyond the board's max_payload (512).
    oversized = Frame(FrameType.REQ, 42, Cmd.CAN_PROGRAM, 0, bytes(600)).encode()
    for junk in (bytes(bad_crc), bad_version, too_short, endless, oversized, b"\x00\x00\x00"):
        raw.port.write(junk)
        assert raw.quiet(), f"the board answered a broken frame {junk[:8].hex()}"
    assert raw.ask(Cmd.PING).status == Status.OK


def test_unknown_command_and_missing_profile(make_board: BoardFactory) -> None:
    raw = _raw(make_board("27C256"))
    assert raw.ask(0x7E).status == Status.UNKNOWN_CMD
    assert raw.ask(Cmd.CRC, p.ADDR_LEN.pack(0, 16)).status == Status.NO_PROFILE
    assert raw.ask(Cmd.HELLO, b"\x00\x00\x00\x00\x01").status == Status.BAD_ARG


def test_profiles_beyond_the_board(make_board: BoardFactory) -> None:
    raw = _raw(make_board("27C256"))
    assert raw.profile("27C256", vpp_mv=25_000).status == Status.BAD_PROFILE
    assert raw.profile("27C256", size=1 << 20).status == Status.BAD_PROFILE
    assert raw.ask(Cmd.SET_PROFILE, b"\x00" * 12).status == Status.BAD_ARG
    assert raw.profile("27C256").status == Status.OK


def test_out_of_range_requests(make_board: BoardFactory) -> None:
    board = make_board("27C256")
    raw = _raw(board)
    assert raw.profile("27C256").status == Status.OK
    size = board.part.size
    assert raw.ask(Cmd.CRC, p.ADDR_LEN.pack(size - 4, 8)).status == Status.BAD_RANGE
    assert raw.ask(Cmd.READ, p.ADDR_LEN.pack(size, 1)).status == Status.BAD_RANGE
    assert raw.ask(Cmd.CRC, p.ADDR_LEN.pack(0, 0)).status == Status.BAD_RANGE
    begin = p.WRITE_BEGIN_REQ.pack(size - 16, 32, 0)
    assert raw.ask(Cmd.WRITE_BEGIN, begin).status == Status.BAD_RANGE
    assert board.chip.vpp_mv is None
    # DATA and WRITE_END outside a stream.
    raw.send(Frame(FrameType.DATA, 99, Cmd.WRITE_BEGIN, 0, p.DATA_HEADER.pack(0) + b"\x00"))
    frame = raw.ch.recv(ANSWER_S)
    assert frame is not None and frame.status == Status.NO_STREAM
    assert raw.ask(Cmd.WRITE_END).status == Status.NO_STREAM


def test_repeated_request_runs_once(make_board: BoardFactory) -> None:
    board = make_board("27C256")
    raw = _raw(board)
    raw.profile("27C256")
    data = b"\x12" * 16
    begin = raw.ask(Cmd.WRITE_BEGIN, p.WRITE_BEGIN_REQ.pack(0, 16, zlib.crc32(data)))
    again = raw.ask(Cmd.WRITE_BEGIN, b"", seq=begin.seq)  # same seq: the stored answer
    assert again.status == Status.OK and again.payload == begin.payload
    assert board.chip.counters.pulses == 0


def test_a_new_session_reusing_seq_numbers_runs_its_requests(make_board: BoardFactory) -> None:
    """Every session starts at seq 1: the board must not answer it from the last session's
    kept response."""
    board = make_board("27C256")
    raw = _raw(board)
    assert raw.ask(Cmd.SET_PROFILE, profile_for(get_chip("27C64")).pack(), seq=2).status == 0
    raw = _raw(board)  # a new cable: HELLO is seq 1 again
    rsp = raw.ask(Cmd.SET_PROFILE, profile_for(get_chip("27C256")).pack(), seq=2)
    assert rsp.status == Status.OK
    # Only the 27C256 profile (32 KiB) makes the upper half addressable.
    assert raw.ask(Cmd.CRC, p.ADDR_LEN.pack(0x4000, 0x4000), seq=3).status == Status.OK


def test_hello_resets_the_board_mid_write(make_board: BoardFactory) -> None:
    """A new session's HELLO (numbered 1 again) always runs: the write in progress ends and
    VPP goes off."""
    board = make_board("27C256")
    raw = _raw(board)  # HELLO seq 1
    raw.profile("27C256")
    raw.ask(Cmd.WRITE_BEGIN, p.WRITE_BEGIN_REQ.pack(0, 16, 0))
    assert board.chip.vpp_mv is not None
    rsp = raw.ask(Cmd.HELLO, p.HELLO_REQ.pack(p.MAGIC, p.PROTO_VERSION), seq=1)
    assert rsp.status == Status.OK
    assert board.chip.vpp_mv is None
    assert raw.ask(Cmd.WRITE_END).status == Status.NO_STREAM


def test_watchdog_cuts_the_write_and_removes_vpp(make_board: BoardFactory) -> None:
    board = make_board("27C256")
    raw = _raw(board)
    raw.profile("27C256")
    begin, data = raw.half_write()
    assert board.chip.vpp_mv is not None, "VPP should be on during the write"
    raw.port.sleep(3.0)  # the host goes silent past the 2 s watchdog
    ping = raw.ask(Cmd.PING)
    vpp_on, trips = struct.unpack("<BH", ping.payload)
    assert (vpp_on, trips) == (0, 1)
    assert board.chip.vpp_mv is None
    kinds = [e.payload[0] for e in raw.events]
    assert p.EvtKind.WATCHDOG in kinds
    # The rest of the cut stream is answered with WATCHDOG and the committed count.
    raw.send(Frame(FrameType.DATA, begin.seq, Cmd.WRITE_BEGIN, 0, p.DATA_HEADER.pack(64) + data))
    frame = raw.ch.recv(ANSWER_S)
    assert frame is not None and frame.status == Status.WATCHDOG
    assert struct.unpack("<I", frame.payload[:4]) == (64,)


def _cfw(binary: Path, part: str, faults: BoardFaults) -> tuple[Raw, LockstepDevice]:
    chip = model_for(get_chip(part), clock=VirtualClock())
    dev = LockstepDevice(binary, chip, faults=faults)
    raw = Raw(SimPort(Link(LinkModel(), VirtualClock()), dev))
    raw.hello()
    return raw, dev


@pytest.mark.parametrize("offset_mv", [+900, -1500])
def test_vpp_outside_the_profile_window(firmware_bin: Path, offset_mv: int) -> None:
    """The shield's ADC reads a wrong VPP: no pulse is applied and VPP goes off at once."""
    raw, dev = _cfw(firmware_bin, "27C256", BoardFaults(vpp_offset_mv=offset_mv))
    try:
        raw.profile("27C256")
        rsp = raw.ask(Cmd.WRITE_BEGIN, p.WRITE_BEGIN_REQ.pack(0, 16, 0))
        assert rsp.status == Status.VPP_FAULT
        (measured,) = struct.unpack("<H", rsp.payload[:2])
        assert measured == 12_750 + offset_mv
        assert dev.chip.vpp_mv is None
        assert dev.chip.counters.pulses == 0
        assert dev.server.log.vpp_history[-1] is None
    finally:
        dev.stop()


def test_overcurrent_powers_the_socket_down(firmware_bin: Path) -> None:
    faults = BoardFaults()
    raw, dev = _cfw(firmware_bin, "27C256", faults)
    try:
        raw.profile("27C256")
        data = bytes(range(32))
        begin = raw.ask(Cmd.WRITE_BEGIN, p.WRITE_BEGIN_REQ.pack(0, 64, 0))
        faults.overcurrent = 1
        raw.send(Frame(FrameType.DATA, begin.seq, 0x17, 0, p.DATA_HEADER.pack(0) + data))
        statuses = []
        for _ in range(3):
            frame = raw.ch.recv(ANSWER_S)
            if frame is None:
                break
            statuses.append(frame.status)
        assert Status.OVERCURRENT in statuses or any(
            e.payload[0] == p.EvtKind.OVERCURRENT for e in raw.events
        )
        assert dev.chip.vpp_mv is None
        assert dev.chip.vcc_mv == 0
    finally:
        dev.stop()


def test_noise_never_hangs_the_firmware(firmware_bin: Path) -> None:
    raw, dev = _cfw(firmware_bin, "27C256", BoardFaults())

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(st.binary(min_size=1, max_size=700), min_size=1, max_size=4))
    def feed(chunks: list[bytes]) -> None:
        for chunk in chunks:
            raw.port.write(chunk + b"\x00")
        assert raw.quiet(), "the firmware answered noise"
        assert raw.ask(Cmd.PING).status == Status.OK

    try:
        feed()
    finally:
        dev.stop()


def test_abort_ends_the_write_and_removes_vpp(make_board: BoardFactory) -> None:
    board = make_board("27C256")
    raw = _raw(board)
    raw.profile("27C256")
    _, data = raw.half_write()
    assert board.chip.vpp_mv is not None
    rsp = raw.ask(Cmd.ABORT)
    assert rsp.status == Status.OK
    assert board.chip.vpp_mv is None
    assert raw.ask(Cmd.WRITE_END).status == Status.NO_STREAM
    assert board.chip.snapshot()[:64] == data
    assert board.chip.snapshot()[64:128] == b"\xff" * 64


def test_framing_round_trips_any_bytes(firmware_bin: Path) -> None:
    """COBS and CRC in both directions with arbitrary data: long runs without zeros (the 254
    boundary), all zeros, all 0xFF. CAN_PROGRAM decodes the host's bytes on the board; READ
    encodes the chip's bytes on the board."""
    chip = model_for(get_chip("AT28C256"), clock=VirtualClock())
    dev = LockstepDevice(firmware_bin, chip)
    raw = Raw(SimPort(Link(LinkModel(), VirtualClock()), dev))
    raw.hello()
    raw.profile("AT28C256")
    runs = st.one_of(
        st.binary(min_size=1, max_size=508),
        st.integers(1, 255).flatmap(lambda b: st.integers(250, 508).map(lambda n: bytes([b]) * n)),
        st.sampled_from([b"\x00" * 508, b"\xff" * 508, (bytes(range(1, 256)) * 2)[:508]]),
    )

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(runs, runs)
    def check(have: bytes, want: bytes) -> None:
        chip.load(have.ljust(508, b"\xa5"))
        rsp = raw.ask(Cmd.CAN_PROGRAM, struct.pack("<I", 0) + want)
        count, first = p.COUNT_FIRST.unpack(rsp.payload)
        bad = [i for i, w in enumerate(want) if (chip.snapshot()[i] & w) != w]
        assert count == len(bad)
        assert first == (bad[0] if bad else p.NO_ADDRESS)
        seq = raw.ch.next_seq()
        raw.send(Frame(FrameType.REQ, seq, Cmd.READ, 0, p.ADDR_LEN.pack(0, len(have))))
        got = b""
        while True:
            frame = raw.ch.recv(ANSWER_S)
            assert frame is not None
            if frame.type is FrameType.DATA:
                got += frame.payload[4:]
                raw.send(Frame(FrameType.ACK, seq, Cmd.READ, 0, p.READ_ACK.pack(len(got))))
            elif frame.type is FrameType.RSP:
                break
        assert got == have
        assert frame.payload == struct.pack("<I", zlib.crc32(have))

    try:
        check()
    finally:
        dev.stop()
