"""The ``flashcard:`` programmer end to end: CLI over ``flashcard:sim``, ops, resume, refusals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from romtool.chips.db import get_chip
from romtool.errors import DeviceTimeout, UsageError
from romtool.image.model import Image
from romtool.ops import open_session, write_image
from romtool.programmers.flashcard.driver import FlashCardDriver, NoChipError, check_part
from romtool.programmers.flashcard.programmer import FlashCardProgrammer
from romtool.programmers.registry import open_programmer
from romtool.programmers.sim.chips import model_for
from romtool.programmers.sim.flashcard import SimIsaMemory, sim_machine
from romtool.programmers.transports.mmio import IsaMemory
from romtool.ranges import Range

AM29F010 = get_chip("AM29F010")


def _image(n: int, seed: int = 3) -> bytes:
    return bytes((i * seed + (i >> 8)) & 0xFF for i in range(n))


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ROMTOOL_STATE_DIR", str(tmp_path / "journals"))
    return tmp_path / "chip.bin"


# --- the command line over flashcard:sim ---------------------------------------------------


def test_cli_id_write_verify_read_erase(cli: Any, tmp_path: Path, state: Path) -> None:
    spec = f"flashcard:sim,state={state}"
    img = tmp_path / "boot.rom"
    img.write_bytes(_image(0x4000))
    res = cli("id", "-p", spec, "-c", "AM29F010")
    assert res.status == 0 and "01:20" in res.out
    res = cli("write", "-p", spec, "-c", "AM29F010", img, "-q")
    assert res.status == 0, res.err
    assert state.read_bytes()[:0x4000] == img.read_bytes()
    res = cli("verify", "-p", spec, "-c", "AM29F010", img, "-q")
    assert res.status == 0 and "identical" in res.out
    out = tmp_path / "dump.bin"
    res = cli("read", "-p", spec, "-c", "AM29F010", "--length", "32K", out, "-q")
    assert res.status == 0, res.err
    assert out.read_bytes() == img.read_bytes() + b"\xff" * 0x4000
    # A new image over the old one needs the sector erased first; the plan does it.
    img.write_bytes(_image(0x4000, seed=5))
    res = cli("write", "-p", spec, "-c", "AM29F010", img, "-q")
    assert res.status == 0, res.err
    assert state.read_bytes()[:0x4000] == img.read_bytes()
    res = cli("erase", "-p", spec, "-c", "AM29F010")
    assert res.status == 0, res.err
    assert "only the 32 KiB window was checked" in res.err
    assert state.read_bytes()[:0x8000] == b"\xff" * 0x8000


def test_cli_erase_keeps_other_banks(cli: Any, state: Path) -> None:
    state.write_bytes(_image(0x20000))
    res = cli("erase", "-p", f"flashcard:sim,bank=0x8000,state={state}", "-c", "AM29F010")
    assert res.status == 0, res.err
    chip = state.read_bytes()
    assert chip[0x8000:0x10000] == b"\xff" * 0x8000
    assert chip[:0x8000] == _image(0x20000)[:0x8000]
    assert chip[0x10000:] == _image(0x20000)[0x10000:]


def test_cli_whole_chip_through_128k_window(cli: Any, tmp_path: Path, state: Path) -> None:
    spec = f"flashcard:sim,size=128K,state={state}"
    img = tmp_path / "top.rom"
    img.write_bytes(_image(0x800))
    res = cli("write", "-p", spec, "-c", "AM29F010", "--offset", "0x1F800", img, "-q")
    assert res.status == 0, res.err
    res = cli("read", "-p", spec, "-c", "AM29F010", tmp_path / "all.bin", "-q")
    assert res.status == 0, res.err
    assert (tmp_path / "all.bin").read_bytes() == b"\xff" * 0x1F800 + img.read_bytes()
    res = cli("erase", "-p", spec, "-c", "AM29F010")
    assert res.status == 0 and "only the" not in res.err  # a chip erase, all of it visible
    assert state.read_bytes() == b"\xff" * 0x20000


def test_cli_auto_finds_the_card(cli: Any) -> None:
    res = cli("id", "-p", "flashcard:sim,card=0xC8000,at=auto", "-c", "AM29F010")
    assert res.status == 0 and "01:20" in res.out


def test_cli_refusals(cli: Any, tmp_path: Path) -> None:
    res = cli("id", "-p", "flashcard:sim,card=0xC8000,at=0xD0000", "-c", "AM29F010")
    assert res.status == 3 and "reads all 0xFF: no card is decoded" in res.err
    res = cli("id", "-p", "flashcard:sim,chip=SST39SF010A", "-c", "AM29F010")
    assert res.status == 1 and "BF:B5" in res.out
    res = cli("id", "-p", "flashcard:0xD2000", "-c", "AM29F010")
    assert res.status == 2 and "32 KiB boundary" in res.err
    res = cli("id", "-p", "flashcard:0xF0000", "-c", "AM29F010")
    assert res.status == 2 and "outside the range" in res.err
    res = cli("id", "-p", "flashcard:D000,size=48K", "-c", "AM29F010")
    assert res.status == 2 and "window size" in res.err
    res = cli("id", "-p", "flashcard", "-c", "AM29F010")
    assert res.status == 2 and "needs an address" in res.err
    res = cli("id", "-p", "flashcard:D000,speed=1", "-c", "AM29F010")
    assert res.status == 2 and "unknown option 'speed'" in res.err
    res = cli("read", "-p", "flashcard:sim", "-c", "AM29F010", tmp_path / "x.bin")
    assert res.status == 2 and "outside the 32 KiB FlashCard window" in res.err
    res = cli("id", "-p", "flashcard:sim", "-c", "SST39VF512")
    assert res.status == 2 and "3.3 V part" in res.err
    img = tmp_path / "e.rom"
    img.write_bytes(b"\x00" * 512)
    res = cli("write", "-p", "flashcard:sim,chip=AM29F010", "-c", "27C010", img)
    assert res.status == 2 and "no programming voltage" in res.err
    assert "Traceback" not in res.err


def test_cli_memory_image_without_card(cli: Any, tmp_path: Path) -> None:
    mem = tmp_path / "phys.bin"
    mem.write_bytes(b"\x00" * 0x100000)
    res = cli("id", "-p", f"flashcard:D000,mem={mem}", "-c", "AM29F010")
    assert res.status == 3 and "all 0x00" in res.err
    assert mem.read_bytes() == b"\x00" * 0x100000  # the id cycles were put back


def test_cli_stuck_bit_and_erase_fault_name_the_address(cli: Any, tmp_path: Path) -> None:
    img = tmp_path / "zero.rom"
    img.write_bytes(b"\x00" * 0x400)
    res = cli("write", "-p", "flashcard:sim,stuck1=0x123:0x10", "-c", "AM29F010", img, "-q")
    assert res.status != 0 and "at 0x123" in res.err
    state = tmp_path / "chip.bin"
    state.write_bytes(b"\x00" * 0x20000)
    img.write_bytes(b"\xff" * 0x400)
    spec = f"flashcard:sim,erase_fault=dq5,state={state}"
    res = cli("write", "-p", spec, "-c", "AM29F010", img, "-q")
    assert res.status != 0 and "sector erase at 0x0" in res.err
    spec = f"flashcard:sim,erase_fault=hang,state={state},at=0xD0000"
    res = cli("erase", "-p", spec, "-c", "AM29F010")
    assert res.status == 3 and "sector erase at 0x0: still busy" in res.err


# --- ops: resume after an interrupted write ------------------------------------------------


class _Interrupting(IsaMemory):
    """A view that fails after ``budget`` writes, like a write cut short mid-way."""

    def __init__(self, inner: SimIsaMemory, budget: list[int]) -> None:
        super().__init__(inner.region, writable=True)
        self.inner, self.budget = inner, budget

    def _read_byte(self, address: int) -> int:
        return self.inner.read_byte(address)

    def _write_byte(self, address: int, value: int) -> None:
        self.budget[0] -= 1
        if self.budget[0] < 0:
            raise DeviceTimeout("interrupted", op="program", address=address - 0xD0000)
        self.inner.write_byte(address, value)


def test_resume_continues_where_the_write_stopped(tmp_path: Path) -> None:
    chip = model_for(AM29F010)
    machine = sim_machine(chip)
    budget = [4 * 0x1800]  # enough for about 6 KiB of byte programs (4 cycles each)

    def programmer() -> FlashCardProgrammer:
        return FlashCardProgrammer(
            FlashCardDriver(
                0xD0000,
                memory=lambda r, w: _Interrupting(machine.view(r, writable=w), budget),
                clock=machine,
                source="test",
            )
        )

    image = Image.from_bytes(_image(0x4000))
    journal = tmp_path / "journal.json"
    with (
        pytest.raises(DeviceTimeout),
        open_session("flashcard:test", AM29F010, programmer=programmer()) as session,
    ):
        write_image(session, image, journal_file=journal, retries=0)
    done = chip.snapshot()
    assert (
        done[:0x1000] == _image(0x4000)[:0x1000]
        and done[0x3000:0x4000] != _image(0x4000)[0x3000:0x4000]
    )
    budget[0] = 1 << 30
    with open_session("flashcard:test", AM29F010, programmer=programmer()) as session:
        result = write_image(session, image, journal_file=journal, resume=True, retries=0)
    assert result.resumed_from is not None and result.resumed_from >= 0x1000
    assert chip.snapshot()[:0x4000] == _image(0x4000)


# --- programmer-level rules ------------------------------------------------------------------


def test_nothing_is_written_before_a_chip_answers() -> None:
    chip = model_for(AM29F010)
    machine = sim_machine(chip, card_base=0xC8000)
    prog = FlashCardProgrammer(
        FlashCardDriver(
            0xD0000, memory=lambda r, w: machine.view(r, writable=w), clock=machine, source="t"
        )
    )
    with prog:
        prog.select(AM29F010)
        with pytest.raises(NoChipError):
            prog.program(0, b"\x00")
        with pytest.raises(NoChipError):
            prog.erase()
    assert machine.cycles > 0 and chip.counters.writes == 0


def test_registry_builds_the_flashcard() -> None:
    prog = open_programmer("flashcard:sim")
    assert isinstance(prog, FlashCardProgrammer)
    with prog:
        prog.select(AM29F010)
        assert prog.identify() is not None
        assert "FlashCard at 0xD0000-0xD7FFF" in prog.info().description


@pytest.mark.parametrize(
    ("part", "writing", "message"),
    [
        ("SST39VF512", False, "3.3 V part"),
        ("27C010", True, "no programming voltage"),
        ("AT28C256", True, "28-pin part"),
    ],
)
def test_check_part_refusals(part: str, writing: bool, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        check_part(get_chip(part), writing=writing)


@pytest.mark.parametrize("part", ["AM29F010", "SST39SF010A", "AT29C010A"])
def test_supported_parts_write_through_the_window(part: str) -> None:
    spec = get_chip(part)
    chip = model_for(spec)
    machine = sim_machine(chip)
    prog = FlashCardProgrammer(
        FlashCardDriver(
            0xD0000, memory=lambda r, w: machine.view(r, writable=w), clock=machine, source="t"
        )
    )
    data = _image(0x400)
    with prog:
        prog.select(spec)
        assert prog.identify() == spec.chip_id
        prog.program(0x200, data)
        assert prog.read(Range(0x200, 0x600)) == data
    assert chip.snapshot()[0x200:0x600] == data
