"""The FlashCard driver over the simulated upper memory area, with the real JEDEC algorithms."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from romtool.algorithms import dispatch, jedec
from romtool.algorithms.bus import ParallelBus
from romtool.chips.db import get_chip
from romtool.chips.spec import ChipId, ChipSpec
from romtool.errors import (
    EXIT_DEVICE,
    ChipIdMismatch,
    DeviceError,
    DeviceTimeout,
    ProgramFailure,
    VerifyError,
)
from romtool.programmers.flashcard.driver import Contents, FlashCardDriver, NoChipError
from romtool.programmers.flashcard.window import WindowError
from romtool.programmers.sim.chips.base import model_for
from romtool.programmers.sim.flashcard import SimIsaMemory, sim_machine
from romtool.programmers.transports.mmio import MemoryAccessRefused
from romtool.ranges import Range

AM29F010 = get_chip("AM29F010")
SENTINEL = 0xCC


def _opener(machine: SimIsaMemory) -> Callable[[Range, bool], SimIsaMemory]:
    return lambda region, writable: machine.view(region, writable=writable)


def _machine(spec: ChipSpec = AM29F010, **kwargs: object) -> SimIsaMemory:
    chip = model_for(spec)
    return sim_machine(chip, **kwargs)  # type: ignore[arg-type]


def _driver(machine: SimIsaMemory, address: int | None = 0xD0000, **kw: object) -> FlashCardDriver:
    return FlashCardDriver(
        address,
        memory=_opener(machine),
        clock=machine,
        **kw,  # type: ignore[arg-type]
    )


def _reader(spec: ChipSpec = AM29F010) -> Callable[[ParallelBus], ChipId]:
    return lambda bus: jedec.software_id(bus, spec)


def test_identify_am29f010_at_fixed_address() -> None:
    machine = _machine()
    drv = _driver(machine)
    drv.open()
    assert drv.survey is not None and drv.survey.contents is Contents.ALL_FF
    assert drv.identify_with(_reader(), AM29F010.chip_id) == ChipId(0x01, 0x20)
    assert drv.identified == ChipId(0x01, 0x20)
    drv.close()


def test_program_read_verify_erase_through_window() -> None:
    machine = _machine()
    drv = _driver(machine)
    drv.open()
    drv.identify_with(_reader())
    bus = drv.bus()
    image = bytes((i * 7 + 3) & 0xFF for i in range(0x800))
    dispatch.program(bus, AM29F010, 0x3C00, image)
    assert bus.read_block(0x3C00, 0x800) == image
    # Bank 0: physical D0000 is chip address 0.
    assert machine.card is not None
    assert machine.card.chip.snapshot()[0x3C00:0x4400] == image
    jedec.erase_sector(bus, AM29F010, 0)
    assert bus.read_block(0, 0x4000) == b"\xff" * 0x4000
    assert bus.read_block(0x4000, 0x400) == image[0x400:]
    jedec.erase_sector(bus, AM29F010, 0x4000)
    assert bus.read_block(0, 0x8000) == b"\xff" * 0x8000


def test_bank_switches_select_chip_offset() -> None:
    machine = _machine(card_base=0xD8000, bank=0x10000)
    drv = _driver(machine, 0xD8000)
    drv.open()
    drv.identify_with(_reader())
    dispatch.program(drv.bus(), AM29F010, 0x10, b"\x12\x34")
    assert machine.card is not None
    assert machine.card.chip.snapshot()[0x10010:0x10012] == b"\x12\x34"


def test_64k_window() -> None:
    machine = _machine(card_base=0xE0000, size=0x10000)
    drv = _driver(machine, 0xE0000, size=0x10000)
    drv.open()
    drv.identify_with(_reader())
    dispatch.program(drv.bus(), AM29F010, 0xFFFE, b"\x55\xaa")
    assert drv.bus().read_block(0xFFFE, 2) == b"\x55\xaa"


def test_wrong_chip_id_is_refused() -> None:
    machine = _machine(get_chip("SST39SF010A"))
    drv = _driver(machine)
    drv.open()
    with pytest.raises(ChipIdMismatch, match="expected 01:20, but got BF:B5") as info:
        drv.identify_with(_reader(), AM29F010.chip_id)
    assert info.value.exit_status == EXIT_DEVICE


def test_no_card_reads_all_ff() -> None:
    machine = _machine(card_base=0xC8000)
    drv = _driver(machine, 0xD0000)
    drv.open()
    with pytest.raises(NoChipError, match="reads all 0xFF: no card is decoded") as info:
        drv.identify_with(_reader())
    assert info.value.address == 0xD0000
    with pytest.raises(NoChipError, match="refusing to write"):
        drv.require_identified("program")


def test_window_of_zeros_mentions_strict_devmem() -> None:
    machine = _machine(card_base=0xC8000, zeros=[Range(0xD0000, 0xD8000)])
    drv = _driver(machine, 0xD0000)
    drv.open()
    with pytest.raises(NoChipError, match=r"all 0x00.*STRICT_DEVMEM"):
        drv.identify_with(_reader())


def test_ram_in_window_is_restored() -> None:
    machine = _machine(card_base=0xC8000, ram=[Range(0xD0000, 0xD8000)])
    ram = machine.ram[Range(0xD0000, 0xD8000)]
    ram[:] = bytes((i * 13) & 0xFF for i in range(0x8000))
    before = bytes(ram)
    drv = _driver(machine, 0xD0000)
    drv.open()
    with pytest.raises(NoChipError, match="answers reads but not the id command"):
        drv.identify_with(_reader())
    assert bytes(ram) == before


def test_foreign_option_rom_is_not_a_card() -> None:
    rom = b"\x55\xaa\x10" + bytes(0x2000 - 3)
    machine = _machine(card_base=0xC8000, roms={0xD0000: rom})
    drv = _driver(machine, 0xD0000)
    drv.open()
    with pytest.raises(NoChipError, match="option ROM is there but does not take commands"):
        drv.identify_with(_reader())


def test_write_protected_card_does_not_answer() -> None:
    machine = _machine(write_protect=True)
    machine.card.chip.load(b"\x55\xaa\x40")  # type: ignore[union-attr]
    drv = _driver(machine)
    drv.open()
    with pytest.raises(NoChipError, match="write-protected"):
        drv.identify_with(_reader())


def test_auto_probe_finds_card_from_the_top() -> None:
    machine = _machine(card_base=0xD0000, ram=[Range(0xD8000, 0xE0000)])
    ram = machine.ram[Range(0xD8000, 0xE0000)]
    ram[0x5555] = 0x99
    drv = _driver(machine, None)
    drv.open()
    with pytest.raises(DeviceError, match="no card located yet"):
        drv.bus()
    assert drv.locate(_reader(), AM29F010.chip_id) == ChipId(0x01, 0x20)
    assert drv.window is not None and drv.window.base == 0xD0000
    assert drv.notes == [
        "0xe0000: no answer (all 0xFF)",
        "0xd8000: no answer (data)",
        "0xd0000: chip 01:20 answered",
    ]
    assert ram[0x5555] == 0x99  # the RAM at D8000 got its byte back


def test_auto_probe_without_card_lists_what_it_saw() -> None:
    machine = _machine(with_card=False)
    drv = _driver(machine, None)
    with pytest.raises(NoChipError, match="no FlashCard answered at any of 0xe0000") as info:
        drv.locate(_reader())
    assert "0xc8000: no answer (all 0xFF)" in str(info.value)


def test_stuck_bit_is_reported_with_its_address() -> None:
    chip = model_for(AM29F010, stuck1={0x1234: 0x04})
    machine = sim_machine(chip)
    drv = _driver(machine)
    drv.open()
    drv.identify_with(_reader())
    with pytest.raises((VerifyError, ProgramFailure)) as info:
        dispatch.program(drv.bus(), AM29F010, 0x1230, b"\x00" * 8)
    assert info.value.address == 0x1234


def test_erase_dq5_failure_is_reported_with_the_sector() -> None:
    machine = _machine(erase_fault="dq5")
    drv = _driver(machine)
    drv.open()
    drv.identify_with(_reader())
    with pytest.raises(VerifyError, match="sector did not erase") as info:
        jedec.erase_sector(drv.bus(), AM29F010, 0x4000)
    assert info.value.address == 0x4000


def test_transport_refuses_offsets_outside_window() -> None:
    machine = _machine()
    drv = _driver(machine)
    drv.open()
    bus = drv.bus()
    with pytest.raises(MemoryAccessRefused, match="outside the 32 KiB window") as info:
        bus.write_byte(0x8000, 0xAA)
    assert info.value.address == 0x8000
    with pytest.raises(MemoryAccessRefused):
        bus.read_block(0x7FFF, 2)
    # The view itself refuses physical addresses beyond the mapped window too.
    assert drv._mem is not None
    with pytest.raises(MemoryAccessRefused, match="outside the mapped window"):
        drv._mem.read_byte(0xD8000)
    with pytest.raises(MemoryAccessRefused, match="ISA option-ROM area"):
        drv._mem.write_byte(0xF0000, 0)


def test_128k_window_reaches_the_whole_chip() -> None:
    machine = _machine(card_base=0xD0000, size=0x20000)
    drv = _driver(machine, 0xD0000, size=0x20000)
    drv.open()
    drv.identify_with(_reader())
    dispatch.program(drv.bus(), AM29F010, 0x1FFFE, b"\x12\x34")
    assert machine.card is not None
    assert machine.card.chip.snapshot()[-2:] == b"\x12\x34"
    assert machine.cycles > 0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"size": 0x4000},
        {"card_base": 0xD4000},
        {"card_base": 0xE8000, "size": 0x10000},
        {"bank": 0x4000},
        {"erase_fault": "smoke"},
    ],
)
def test_sim_card_refuses_settings_the_board_cannot_have(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        _machine(**kwargs)


def test_erase_that_never_finishes_times_out_with_its_address() -> None:
    machine = _machine(erase_fault="hang")
    drv = _driver(machine)
    drv.open()
    drv.identify_with(_reader())
    with pytest.raises(DeviceTimeout) as info:
        jedec.erase_sector(drv.bus(), AM29F010, 0x4000)
    assert info.value.address == 0x4000


def test_auto_probes_once_per_session() -> None:
    machine = _machine(card_base=0xC8000, ram=[Range(0xE0000, 0xE8000)])
    drv = _driver(machine, None)
    assert drv.locate(_reader()) == ChipId(0x01, 0x20)
    probed = list(drv.notes)
    ram = machine.ram[Range(0xE0000, 0xE8000)]
    ram[0x5555] = 0x42  # a second probe would have to touch this window again
    writes_before = machine.cycles
    assert drv.locate(_reader()) == ChipId(0x01, 0x20)
    assert drv.notes == probed and ram[0x5555] == 0x42
    assert drv.window is not None and drv.window.base == 0xC8000
    assert machine.cycles - writes_before < 32  # one id sequence, not four probes


def test_auto_checks_the_size_up_front() -> None:
    machine = _machine()
    with pytest.raises(WindowError, match="window size"):
        _driver(machine, None, size=0xC000)
