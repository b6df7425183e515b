"""ops: plan, guards, write, verify, resume, erase and blank check against the simulator.

Each test checks the simulated chip's contents (``chip_model.snapshot()``) after the call.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from romtool.chips import get_chip
from romtool.errors import (
    BlankCheckError,
    ChipIdMismatch,
    DeviceError,
    PlanRefused,
    ProgramFailure,
    TransportError,
    UsageError,
    VerifyError,
)
from romtool.events import MonotonicReporter, RecordingReporter
from romtool.image import Image
from romtool.ops import (
    BlockAction,
    blank_check,
    erase_chip,
    identify,
    open_session,
    read_chip,
    verify_chip,
    write_image,
)
from romtool.ops import journal as jr
from romtool.programmers.sim.chips import model_for
from romtool.programmers.sim.clock import VirtualClock
from romtool.programmers.sim.link import LinkModel
from romtool.programmers.sim.simprog import SimProgrammer


def data(n: int, seed: int = 1) -> bytes:
    rng = random.Random(seed)
    return bytes(rng.choice((0xCC, 0x00, rng.randrange(255))) for _ in range(n))


def sim(
    part: str, contents: bytes | None = None, faults: dict[str, object] | None = None, **kw: object
) -> SimProgrammer:
    spec = get_chip(part)
    model = model_for(spec, clock=VirtualClock(), data=contents, **(faults or {}))
    return SimProgrammer(spec, chip=model, **kw)  # type: ignore[arg-type]


def again(prog: SimProgrammer, **kw: object) -> SimProgrammer:
    """A new session on the same simulated chip (the next command)."""
    return SimProgrammer(prog.part, chip=prog.chip_model, **kw)  # type: ignore[arg-type]


TECH_PARTS = ["27C256", "27C512", "AT28C256", "AT29C256", "SST39SF010A"]


@pytest.mark.parametrize("part", TECH_PARTS)
def test_write_blank_chip_then_rewrite_is_all_skip(part: str) -> None:
    prog = sim(part)
    image = Image.from_bytes(data(3000), 0x300)
    with open_session(None, prog.part, programmer=prog) as s:
        result = write_image(s, image)
    assert result.verify is not None and result.verify.ok and result.verify.how == "device CRC-32"
    snap = prog.chip_model.snapshot()
    assert snap[0x300 : 0x300 + 3000] == image.read(0x300, 3000)
    assert snap[:0x300] == b"\xff" * 0x300 and snap[0x300 + 3000 :] == b"\xff" * (
        len(snap) - 0x300 - 3000
    )
    assert result.untouched[0].stop == 0x300
    second = again(prog)
    with open_session(None, prog.part, programmer=second) as s:
        result = write_image(s, image)
    assert result.plan[BlockAction.PROGRAM.value] == 0 and result.programmed == 0


def test_eprom_overwrite_that_only_clears_bits_is_allowed() -> None:
    old = bytes([0xF0]) * 512
    prog = sim("27C256", old)
    image = Image.from_bytes(bytes([0x30]) * 512)  # 0xF0 & 0x30 == 0x30
    with open_session(None, prog.part, programmer=prog) as s:
        result = write_image(s, image)
    assert result.plan["program"] == 2
    assert prog.chip_model.snapshot()[:512] == bytes([0x30]) * 512


def test_eprom_that_needs_uv_erase_is_refused_before_touching_it() -> None:
    old = bytes([0x0F]) * 1024
    prog = sim("27C256", old)
    image = Image.from_bytes(bytes([0xF0]) * 100, 0x180)
    with open_session(None, prog.part, programmer=prog) as s:
        pulses = prog.chip_model.counters.pulses
        with pytest.raises(PlanRefused) as info:
            write_image(s, image)
        assert prog.chip_model.counters.pulses == pulses
    msg = str(info.value)
    assert info.value.address == 0x180
    assert "100 bytes" in msg and "0x100-0x1FF" in msg and "UV-erase" in msg
    assert prog.chip_model.snapshot() == old + b"\xff" * (32768 - 1024)


def test_jedec_flash_erases_only_the_sectors_that_need_it_and_keeps_the_rest() -> None:
    old = data(8192, 5)
    prog = sim("SST39SF010A", old)
    image = Image.from_bytes(b"\xff" * 16 + bytes(range(16)), 0x1000 + 100)
    with open_session(None, prog.part, programmer=prog) as s:
        result = write_image(s, image)
    assert result.plan["erase"] == 1
    snap = prog.chip_model.snapshot()
    want = bytearray(old)
    want[0x1000 + 100 : 0x1000 + 132] = image.read(0x1000 + 100, 32)
    assert snap[:8192] == bytes(want)  # the rest of the erased sector was restored


def test_image_larger_than_the_chip_is_refused_before_the_id_is_read() -> None:
    prog = sim("27C64")
    with open_session(None, prog.part, programmer=prog) as s:
        reads = prog.chip_model.counters.reads
        with pytest.raises(PlanRefused, match="does not fit 27C64"):
            write_image(s, Image.from_bytes(data(8193)))
        assert prog.chip_model.counters.reads == reads


def test_offset_pushes_an_image_past_the_end() -> None:
    prog = sim("27C64")
    with open_session(None, prog.part, programmer=prog) as s, pytest.raises(PlanRefused):
        write_image(s, Image.from_bytes(data(4096)).shifted(0x1800))


def test_wrong_chip_is_refused_naming_its_part_and_force_overrides() -> None:
    prog = SimProgrammer(get_chip("AT27C512R"))
    image = Image.from_bytes(data(256))
    with open_session(None, "27C256", programmer=prog) as s, pytest.raises(ChipIdMismatch) as i:
        write_image(s, image)
    assert "AT27C512R" in str(i.value) and "27C256" in str(i.value)
    assert i.value.exit_status == 3
    assert prog.chip_model.snapshot() == b"\xff" * 65536
    # An ST part where an Atmel one was chosen: same algorithm, --force goes on.
    atmel = SimProgrammer(get_chip("M27C256B"))
    rec = RecordingReporter()
    with open_session(None, "AT27C256R", programmer=atmel) as s:
        with pytest.raises(ChipIdMismatch, match="M27C256B"):
            write_image(s, image)
        write_image(s, image, force=True, reporter=rec)
    assert any("--force" in e.text for e in rec.kinds("warn"))
    assert atmel.chip_model.snapshot()[:256] == image.read(0, 256)


def test_empty_socket_is_a_device_error() -> None:
    prog = sim("27C256", faults={"empty": True})
    with open_session(None, prog.part, programmer=prog) as s, pytest.raises(DeviceError):
        write_image(s, Image.from_bytes(b"\x00"))


def test_dry_run_plans_and_touches_nothing() -> None:
    prog = sim("AT28C256")
    with open_session(None, prog.part, programmer=prog) as s:
        result = write_image(s, Image.from_bytes(data(1000)), dry_run=True)
    assert result.dry_run and result.plan["program"] == 4 and result.programmed == 1024
    assert prog.chip_model.snapshot() == b"\xff" * 32768
    assert prog.chip_model.counters.writes == 0


def test_verify_failure_is_diagnosed() -> None:
    prog = sim("27C256")
    image = Image.from_bytes(data(600))
    with open_session(None, prog.part, programmer=prog) as s:
        with pytest.raises(VerifyError, match="nothing was written") as info:
            verify_chip(s, image)
        assert info.value.exit_status == 1
        write_image(s, image)
        assert verify_chip(s, image).ok


def test_stuck_bit_fails_the_write_at_its_address_and_shows_in_verify() -> None:
    stuck = {"stuck1": {i: 0x08 for i in range(8, 16)}}
    prog = sim("AT28C64", faults=stuck)
    with open_session(None, prog.part, programmer=prog) as s, pytest.raises(ProgramFailure) as i:
        write_image(s, Image.from_bytes(bytes(64)))
    assert i.value.address == 8 and i.value.actual == 0x08
    zeros = sim("AT28C64", bytes(64), faults=stuck)
    stuck_message = "D3 reading 1: a stuck data bit"
    with (
        open_session(None, zeros.part, programmer=zeros) as s,
        pytest.raises(VerifyError, match=stuck_message),
    ):
        verify_chip(s, Image.from_bytes(bytes(64)))


def test_lost_link_then_resume_ends_with_correct_contents(tmp_path: Path) -> None:
    journal = tmp_path / "j.json"
    prog = sim("27C256", link=LinkModel(disconnect_after=6000))
    image = Image.from_bytes(data(8192, 7), 0x100)
    with pytest.raises(TransportError) as info, open_session(None, prog.part, programmer=prog) as s:
        write_image(s, image, journal_file=journal)
    assert "--resume" in str(info.value)
    saved = jr.load(journal)
    assert saved is not None and 0x100 < saved.committed_to < 0x100 + 8192
    snap = prog.chip_model.snapshot()
    assert snap[0x100 : saved.committed_to] == image.read(0x100, saved.committed_to - 0x100)
    second = again(prog)
    with open_session(None, prog.part, programmer=second) as s:
        result = write_image(s, image, resume=True, journal_file=journal)
    assert result.resumed_from == saved.committed_to
    assert prog.chip_model.snapshot()[0x100 : 0x100 + 8192] == image.read(0x100, 8192)
    assert not journal.exists()


def test_resume_without_or_with_another_journal_is_refused(tmp_path: Path) -> None:
    journal = tmp_path / "j.json"
    prog = sim("27C256")
    with open_session(None, prog.part, programmer=prog) as s:
        with pytest.raises(UsageError, match="nothing to resume"):
            write_image(s, Image.from_bytes(b"\x01"), resume=True, journal_file=journal)
        jr.save(journal, jr.Journal("sim", "27C256", 1234, 0, 1, 0))
        with pytest.raises(UsageError, match="another image"):
            write_image(s, Image.from_bytes(b"\x01"), resume=True, journal_file=journal)
    assert prog.chip_model.snapshot() == b"\xff" * 32768


def test_progress_never_goes_backwards_through_a_noisy_write() -> None:
    rec = RecordingReporter()
    prog = sim("AT28C64", link=LinkModel(seed=3, drop=1e-3, ber=1e-3))
    with open_session(None, prog.part, programmer=prog) as s:
        write_image(s, Image.from_bytes(data(2048)), reporter=MonotonicReporter(rec))
    stage = ""
    last = 0
    for e in rec.events:
        if e.kind == "stage":
            stage, last = e.text, 0
        elif e.kind == "progress":
            assert e.done >= last, stage
            last = e.done
    assert prog.chip_model.snapshot()[:2048] == data(2048)


@pytest.mark.parametrize("part", ["AT28C256", "AT29C256", "SST39SF010A"])
def test_electrical_erase_then_blank(part: str) -> None:
    prog = sim(part, data(4096))
    with open_session(None, prog.part, programmer=prog) as s:
        with pytest.raises(BlankCheckError) as info:
            blank_check(s)
        assert info.value.address == 0
        report = erase_chip(s)
    assert report is not None and report.result.blank
    assert prog.chip_model.snapshot() == b"\xff" * prog.part.size


def test_uv_erase_on_the_simulator_and_refusals() -> None:
    prog = sim("27C256", data(1024))
    with open_session(None, prog.part, programmer=prog) as s:
        with pytest.raises(UsageError, match="only UV light"):
            erase_chip(s)
        erase_chip(s, uv=True)
    assert prog.chip_model.snapshot() == b"\xff" * 32768
    flash = sim("AT28C256")
    with open_session(None, flash.part, programmer=flash) as s, pytest.raises(UsageError):
        erase_chip(s, uv=True)


def test_partial_uv_erase_leaves_the_chip_not_blank() -> None:
    prog = sim("27C256", bytes(4096))
    with open_session(None, prog.part, programmer=prog) as s, pytest.raises(BlankCheckError):
        erase_chip(s, uv=True, minutes=3)


def test_read_and_identify() -> None:
    contents = data(32768, 2)
    prog = sim("27C256", contents)
    with open_session(None, prog.part, programmer=prog) as s:
        assert identify(s).matches is True
        assert read_chip(s) == contents
        from romtool.ranges import Range

        assert read_chip(s, Range(0x7F00, 0x8000)) == contents[0x7F00:]


def test_stuck0_cell_fails_blank_check_with_its_address() -> None:
    prog = sim("27C256", faults={"stuck0": {0x4321: 0x01}})
    with open_session(None, prog.part, programmer=prog) as s, pytest.raises(BlankCheckError) as i:
        blank_check(s)
    assert i.value.address == 0x4321 and "1 of 32768" in str(i.value)


def test_stalled_stream_is_restarted_from_the_last_committed_byte() -> None:
    from romtool.settings import Retries, Settings

    tight = Settings(retries=Retries(frame=0, operation=30))
    prog = sim("AT28C64", link=LinkModel(seed=4, drop=1.5e-3), settings=tight)
    rec = RecordingReporter()
    image = Image.from_bytes(data(4096, 4))
    with open_session(None, prog.part, programmer=prog, settings=tight) as s:
        write_image(s, image, reporter=rec, retries=30)
    assert any("write stalled" in e.text for e in rec.kinds("warn"))
    assert prog.chip_model.snapshot()[:4096] == image.read(0, 4096)


def test_part_without_known_ids_reads_but_does_not_compare() -> None:
    prog = sim("27C128")
    with open_session(None, prog.part, programmer=prog) as s:
        check = identify(s)
        assert check.matches is None and "no id for 27C128" in check.note
        write_image(s, Image.from_bytes(data(300)))
    assert prog.chip_model.snapshot()[:300] == data(300)
