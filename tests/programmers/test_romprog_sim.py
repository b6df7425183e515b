"""The romprog driver against the simulated board, per chip technology and per link fault.

Every test compares the simulated chip's own contents (``chip_model.snapshot()``) with what
was asked, not only the driver's report.
"""

from __future__ import annotations

import random
import struct
import zlib

import pytest

from romtool.chips import all_chips, get_chip
from romtool.chips.spec import ChipId, Technology
from romtool.errors import ProgramFailure, ProgrammerError, TransportError
from romtool.events import RecordingReporter
from romtool.programmers.base import Capability
from romtool.programmers.romprog import protocol as p
from romtool.programmers.romprog.profile import profile_for
from romtool.programmers.romprog.protocol import Cmd, Frame, FrameType, Status
from romtool.programmers.sim.chips import model_for
from romtool.programmers.sim.clock import VirtualClock
from romtool.programmers.sim.link import LinkModel
from romtool.programmers.sim.romprog.device import RomprogDevice
from romtool.programmers.sim.simprog import SimProgrammer
from romtool.ranges import Range

PARTS = ["2764", "27C256", "27C512", "AT28C64", "AT28C256", "AT29C256", "SST39SF010A", "AM29F010"]
"""One part per technology and algorithm: EPROM standard and quick-pulse (and OE/VPP shared),
EEPROM byte and page (SDP), AT29 page flash, JEDEC flash (SST and AMD)."""


def payload(n: int, seed: int = 1) -> bytes:
    rng = random.Random(seed)
    # Sentinel-rich data: 0xCC and 0x00 runs among random bytes, no 0xFF-only stretch.
    return bytes(rng.choice((0xCC, 0x00, rng.randrange(255))) for _ in range(n))


def fresh(part: str, **kw: object) -> SimProgrammer:
    return SimProgrammer(get_chip(part), **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("part", PARTS)
def test_write_read_crc_blank_per_technology(part: str) -> None:
    prog = fresh(part)
    chip = prog.part
    data = payload(1024 if chip.technology is not Technology.EEPROM else 512)
    with prog:
        prog.select(chip)
        assert prog.blank_check(Range(0, chip.size)).blank
        report = prog.program(0x200, data)
        assert report.committed == len(data)
        assert prog.chip_model.snapshot()[0x200 : 0x200 + len(data)] == data
        assert prog.chip_model.snapshot()[:0x200] == b"\xff" * 0x200  # untouched
        assert prog.crc32(Range.sized(0x200, len(data))) == zlib.crc32(data)
        assert prog.read(Range.sized(0x200, len(data))) == data
        blank = prog.blank_check(Range(0, chip.size))
        assert blank.first == 0x200 + next(i for i, b in enumerate(data) if b != 0xFF)
        if chip.technology.electrically_erasable:
            prog.erase()
        else:
            prog.uv_erase(20)
        assert prog.chip_model.snapshot() == b"\xff" * chip.size
        assert prog.blank_check(Range(0, chip.size)).blank


@pytest.mark.parametrize("part", ["27C256", "27C512", "SST39SF010A", "AT29C256", "AM29F010"])
def test_identify_reads_the_parts_own_id(part: str) -> None:
    prog = fresh(part)
    with prog:
        prog.select(prog.part)
        assert prog.identify() == prog.part.chip_id


def test_parts_without_id_return_none() -> None:
    with fresh("AT28C256") as prog:
        prog.select(prog.part)
        assert prog.identify() is None


def test_capabilities_come_from_the_handshake() -> None:
    with fresh("27C256") as prog:
        caps = prog.capabilities
        assert {
            Capability.VPP,
            Capability.A9_ID,
            Capability.DEVICE_CRC,
            Capability.ERASE,
            Capability.UV_ERASE,
            Capability.DEVICE_ALGORITHMS,
        } <= caps
        assert prog.info().limits["max_payload"] == 512


@pytest.mark.parametrize(
    "fault",
    [
        {"ber": 3e-4},
        {"drop": 3e-4},
        {"dup": 3e-4},
        {"stall": 2e-4},
        {"ber": 2e-4, "drop": 2e-4, "dup": 2e-4, "stall": 1e-4},
    ],
    ids=["bit-errors", "drops", "duplicates", "stalls", "all"],
)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_link_faults_are_survived_with_correct_contents(fault: dict[str, float], seed: int) -> None:
    prog = fresh("AT28C64", link=LinkModel(seed=seed, **fault))  # type: ignore[arg-type]
    data = payload(2048, seed)
    with prog:
        prog.select(prog.part)
        prog.program(0, data)
        assert prog.crc32(Range(0, 2048)) == zlib.crc32(data)
        assert prog.read(Range(0, 2048)) == data
    assert prog.chip_model.snapshot()[:2048] == data
    stats = prog.sim_link.stats if prog.sim_link else None
    assert stats is not None and stats.bytes > 2048


def test_heavy_noise_forces_retries_and_still_ends_correct() -> None:
    prog = fresh("AT28C64", link=LinkModel(seed=9, ber=2e-3, drop=1e-3))
    data = payload(2048, 9)
    with prog:
        prog.select(prog.part)
        report = prog.program(0, data)
        assert report.retried_frames > 0
        assert prog.channel is not None and prog.channel.dropped > 0
    assert prog.chip_model.snapshot()[:2048] == data


def test_baud_switch_moves_the_link_to_the_new_rate() -> None:
    prog = fresh("27C64", baud=1_000_000)
    data = payload(1024)
    with prog:
        assert prog.sim_link is not None and prog.sim_link.model.baud == 1_000_000
        prog.select(prog.part)
        prog.program(0, data)
    assert prog.chip_model.snapshot()[:1024] == data


def test_lost_link_raises_and_a_new_session_resumes_from_committed() -> None:
    chip = get_chip("27C256")
    model = model_for(chip, clock=VirtualClock())
    data = payload(8192, 4)
    commits: list[int] = []
    first = SimProgrammer(chip, chip=model, link=LinkModel(disconnect_after=4000))
    with pytest.raises(TransportError), first:
        first.select(chip)
        first.program(0, data, on_commit=commits.append)
    done = commits[-1]
    assert 0 < done < len(data)
    assert model.snapshot()[:done] == data[:done]  # committed really is on the chip
    second = SimProgrammer(chip, chip=model)
    with second:
        second.select(chip)
        second.program(done, data[done:])
        assert second.crc32(Range(0, len(data))) == zlib.crc32(data)
    assert model.snapshot()[: len(data)] == data


def test_weak_byte_that_never_programs_fails_with_its_address() -> None:
    prog = fresh("27C256", faults={"weak": {0x123: None}})
    with prog:
        prog.select(prog.part)
        with pytest.raises(ProgramFailure) as info:
            prog.program(0x100, payload(256))
    assert info.value.address == 0x123
    assert "did not program after 25" in str(info.value)


def test_weak_byte_with_extra_pulses_programs_and_is_reported() -> None:
    prog = fresh("27C256", faults={"weak": {0x10: 3}})
    data = payload(64)
    with prog:
        prog.select(prog.part)
        report = prog.program(0, data)
    assert report.max_pulses >= 3
    assert prog.chip_model.snapshot()[:64] == data


def test_progress_events_during_slow_writes_never_go_backwards() -> None:
    rec = RecordingReporter()
    prog = fresh("AT28C64")
    with prog:
        prog.select(prog.part)
        prog.program(0, payload(1500), rec)
    done = [e.done for e in rec.kinds("progress")]
    assert done == sorted(done) and done[-1] == 1500


def test_eprom_on_a_board_without_vpp_is_refused() -> None:
    from romtool.programmers.sim.romprog.config import SIM_CAPS, DeviceConfig

    prog = fresh("27C256", config=DeviceConfig(caps=SIM_CAPS & ~p.Cap.VPP))
    with prog, pytest.raises(ProgrammerError, match="no VPP"):
        prog.select(prog.part)


# --- the board alone: requests as frames ------------------------------------------------------


class Wire:
    """Feed frames to a device at chosen times; collect its answers."""

    def __init__(self, part: str) -> None:
        self.chip = model_for(get_chip(part), clock=VirtualClock())
        self.device = RomprogDevice(self.chip)
        self.out: list[Frame] = []
        self.dec = p.FrameDecoder(1 << 16)
        self.device.output = lambda data, t: self.out.extend(self.dec.feed(data))

    def send(self, frame: Frame, t_us: float) -> list[Frame]:
        self.out.clear()
        self.device.receive(frame.encode(), t_us)
        return list(self.out)

    def req(self, seq: int, cmd: Cmd, payload: bytes, t_us: float) -> Frame:
        answers = self.send(Frame(FrameType.REQ, seq, cmd, 0, payload), t_us)
        return answers[-1]


def test_repeated_request_is_answered_from_the_cache_not_run_twice() -> None:
    w = Wire("AT28C64")
    w.req(1, Cmd.HELLO, p.HELLO_REQ.pack(p.MAGIC, 1), 10)
    w.req(2, Cmd.SET_PROFILE, profile_for(w.chip.spec).pack(), 20)
    first = w.req(3, Cmd.ERASE, p.ERASE_REQ.pack(0, 0), 30)
    writes = w.chip.counters.writes
    again = w.req(3, Cmd.ERASE, p.ERASE_REQ.pack(0, 0), 40_000_000)
    assert first == again and first.status == Status.OK
    assert w.chip.counters.writes == writes
    assert w.device.stats.duplicates == 1


def test_watchdog_drops_vpp_and_cuts_the_write_after_host_silence() -> None:
    w = Wire("27C256")
    chip = w.chip.spec
    data = payload(64)
    w.req(1, Cmd.HELLO, p.HELLO_REQ.pack(p.MAGIC, 1), 10)
    w.req(2, Cmd.SET_PROFILE, profile_for(chip).pack(), 20)
    rsp = w.req(3, Cmd.WRITE_BEGIN, p.WRITE_BEGIN_REQ.pack(0, 128, zlib.crc32(data * 2)), 30)
    assert rsp.status == Status.OK and w.chip.vpp_mv is not None
    ack = w.send(Frame(FrameType.DATA, 3, Cmd.WRITE_BEGIN, 0, struct.pack("<I", 0) + data), 100)
    assert ack[-1].type is FrameType.ACK
    late = w.send(
        Frame(FrameType.DATA, 3, Cmd.WRITE_BEGIN, 0, struct.pack("<I", 64) + data), 5_000_000
    )
    kinds = [(f.type, f.status) for f in late]
    assert (FrameType.EVT, 0) in kinds
    assert (FrameType.RSP, Status.WATCHDOG) in kinds
    assert w.chip.vpp_mv is None
    assert w.chip.snapshot()[64:128] == b"\xff" * 64  # nothing after the cut


def test_gap_in_write_stream_gets_one_nak_then_go_back() -> None:
    w = Wire("AT28C64")
    w.req(1, Cmd.HELLO, p.HELLO_REQ.pack(p.MAGIC, 1), 10)
    w.req(2, Cmd.SET_PROFILE, profile_for(w.chip.spec).pack(), 20)
    data = payload(96)
    w.req(3, Cmd.WRITE_BEGIN, p.WRITE_BEGIN_REQ.pack(0, 96, zlib.crc32(data)), 30)
    part = [struct.pack("<I", o) + data[o : o + 32] for o in (0, 32, 64)]
    first = w.send(Frame(FrameType.DATA, 3, 0, 0, part[1]), 100)
    second = w.send(Frame(FrameType.DATA, 3, 0, 0, part[2]), 200)
    assert [f.type for f in first] == [FrameType.NAK] and second == []
    for i, t in enumerate((300, 400_000, 800_000)):
        w.send(Frame(FrameType.DATA, 3, 0, 0, part[i]), t)
    end = w.req(4, Cmd.WRITE_END, b"", 1_200_000)
    assert end.status == Status.OK
    assert w.chip.snapshot()[:96] == data


def test_profile_beyond_the_boards_limits_is_refused() -> None:
    w = Wire("27C256")
    big = p.Profile(size=1 << 20, algorithm=p.Algorithm.JEDEC_BYTE)
    w.req(1, Cmd.HELLO, p.HELLO_REQ.pack(p.MAGIC, 1), 10)
    assert w.req(2, Cmd.SET_PROFILE, big.pack(), 20).status == Status.BAD_PROFILE
    hot = p.Profile(size=32768, algorithm=p.Algorithm.EPROM_QUICKPULSE, vpp_mv=25000)
    assert w.req(3, Cmd.SET_PROFILE, hot.pack(), 30).status == Status.BAD_PROFILE
    assert w.req(4, Cmd.CRC, p.ADDR_LEN.pack(0, 16), 40).status == Status.NO_PROFILE


def test_id_of_every_simulated_eprom_matches_the_database() -> None:
    prog = fresh("AT27C512R")
    with prog:
        prog.select(prog.part)
        assert prog.identify() == ChipId(0x1E, 0x0D)


BOARD_VCC_MV = (4_500, 6_500)
"""The board's announced VCC range; its socket logic is 5 V."""


def _fits_the_board(name: str) -> bool:
    return BOARD_VCC_MV[0] <= get_chip(name).voltages.vcc_read_mv <= BOARD_VCC_MV[1]


@pytest.mark.parametrize("name", [c.name for c in all_chips() if not _fits_the_board(c.name)])
def test_low_voltage_parts_are_refused_before_power(name: str) -> None:
    """A 3.3 V part on 5 V socket logic would be driven past its absolute maximum."""
    prog = fresh(name)
    with prog, pytest.raises(ProgrammerError):
        prog.select(prog.part)


@pytest.mark.parametrize("name", [c.name for c in all_chips() if _fits_the_board(c.name)])
def test_every_part_in_the_database_programs_and_identifies(name: str) -> None:
    prog = fresh(name)
    chip = prog.part
    data = payload(256, 11)
    with prog:
        prog.select(chip)
        chip_id = prog.identify()
        prog.program(0x100, data)
        assert prog.crc32(Range(0x100, 0x200)) == zlib.crc32(data)
    if chip.ids:
        assert chip_id is not None and chip.answers_to(chip_id.mfr, chip_id.dev)
    assert prog.chip_model.snapshot()[0x100:0x200] == data


def test_a_new_session_reusing_sequence_numbers_is_not_answered_from_the_cache() -> None:
    w = Wire("27C256")
    w.req(1, Cmd.HELLO, p.HELLO_REQ.pack(p.MAGIC, 1), 10)
    w.req(2, Cmd.SET_PROFILE, profile_for(get_chip("27C64")).pack(), 20)
    # The next session (same board, e.g. on a pty) starts again at seq 1 with another part.
    assert w.req(1, Cmd.HELLO, p.HELLO_REQ.pack(p.MAGIC, 1), 30).status == Status.OK
    w.req(2, Cmd.SET_PROFILE, profile_for(get_chip("27C256")).pack(), 40)
    assert w.device.profile is not None and w.device.profile.size == 32768
    assert w.device.stats.duplicates == 0
