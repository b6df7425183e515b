"""The TommyPROM programmer against the simulated sketch, in process."""

from __future__ import annotations

from typing import Any

import pytest

from romtool.chips import get_chip
from romtool.errors import DeviceError, ProgrammerError, ProtocolError, UsageError
from romtool.programmers.base import Capability
from romtool.programmers.sim.tommyprom.prom import Family
from romtool.programmers.sim.tommyprom.sketch import SketchConfig
from romtool.programmers.tommyprom.driver import FamilyMismatch
from romtool.programmers.tommyprom.simopen import SimTommyPromProgrammer
from romtool.ranges import Range

AT28 = get_chip("AT28C256")
SST = get_chip("SST39SF010A")


def _prog(part=AT28, data: bytes | None = None, **kw) -> SimTommyPromProgrammer:
    prog = SimTommyPromProgrammer(part, **kw)
    if data is not None:
        prog.chip_model.load(data)
    return prog


def test_banner_and_capabilities() -> None:
    with _prog() as prog:
        info = prog.info()
        assert "TommyPROM 3.5" in info.description and "28C" in info.description
        assert Capability.ERASE not in prog.capabilities
    with _prog(SST) as prog:
        assert Capability.SECTOR_ERASE in prog.capabilities


@pytest.mark.parametrize("crc", [False, True])
def test_unaligned_write_keeps_the_neighbours(crc: bool) -> None:
    old = bytes((i * 5) & 0xFF for i in range(AT28.size))
    new = bytes((i * 11 + 3) & 0xFF for i in range(300))
    prog = _prog(data=old, config=SketchConfig(crc=crc))
    with prog:
        prog.select(AT28)
        commits: list[int] = []
        report = prog.program(0x1050, new, on_commit=commits.append)
        assert report.committed == 300
        assert commits[-1] == 300 and commits == sorted(commits)
        assert prog.read(Range(0x1050, 0x1050 + 300)) == new
    chip = prog.chip_model.snapshot()
    want = old[:0x1050] + new + old[0x1050 + 300 :]
    assert chip == want


def test_write_at_the_end_of_the_chip() -> None:
    prog = _prog()
    with prog:
        prog.select(AT28)
        prog.program(AT28.size - 10, b"\x42" * 10)
    assert prog.chip_model.snapshot()[-10:] == b"\x42" * 10
    assert prog.chip_model.snapshot()[:-10] == b"\xff" * (AT28.size - 10)


def test_sdp_locked_part_is_unlocked_and_optionally_locked_again() -> None:
    prog = _prog(locked=True)
    with prog:
        prog.select(AT28)
        prog.program(0, b"\x01\x02\x03")
    assert prog.chip_model.snapshot()[:3] == b"\x01\x02\x03"
    assert not prog.chip_model.locked
    relock = _prog(locked=True, lock=True)
    with relock:
        relock.select(AT28)
        relock.program(0, b"\x04")
    relock.chip_model.idle(20_000)
    assert relock.chip_model.locked
    assert relock.chip_model.snapshot()[0] == 0x04


def test_flash_erase_and_program() -> None:
    prog = _prog(SST, data=b"\x00" * 8192)
    with prog:
        prog.select(SST)
        prog.erase(sector=Range(0, 4096))
        prog.program(0, b"\xa5" * 200)
        # 0x00 -> 0x11 needs an erase: an SST part "completes" the program and keeps its 0
        # bits, and the sketch does not look; only the verify that ops runs catches it.
        prog.program(4096, b"\x11")
    chip = prog.chip_model.snapshot()
    assert chip[:200] == b"\xa5" * 200 and chip[200:4096] == b"\xff" * 3896
    assert chip[4096] == 0x00


def test_family_mismatch_is_refused_before_writing() -> None:
    prog = _prog(AT28, config=SketchConfig(family=Family.SST39SF))
    with prog, pytest.raises(FamilyMismatch, match=r"Configure\.h"):
        prog.select(AT28)


def test_eprom_reads_but_is_never_programmed() -> None:
    eprom = get_chip("27C256")
    prog = _prog(eprom)
    with prog:
        prog.select(eprom)
        assert prog.read(Range(0, 8)) == b"\xff" * 8
        with pytest.raises(ProgrammerError, match="VPP"):
            prog.program(0, b"\x00")


def test_page_flash_is_refused() -> None:
    at29 = get_chip("AT29C256")
    prog = _prog(at29, config=SketchConfig(family=Family.EEPROM_28C))
    with prog, pytest.raises(FamilyMismatch, match="page-mode"):
        prog.select(at29)


def test_eeprom_needs_no_erase() -> None:
    with _prog() as prog:
        prog.select(AT28)
        with pytest.raises(UsageError, match="needs no erase"):
            prog.erase()


def test_no_sketch_on_the_port(silent_port: Any) -> None:
    from romtool.programmers.tommyprom.driver import TommyPromProgrammer

    prog = TommyPromProgrammer(silent_port)
    with pytest.raises((ProtocolError, DeviceError), match="TommyPROM"):
        prog.open()


def test_modeled_time_is_the_virtual_clock() -> None:
    prog = _prog()
    with prog:
        prog.select(AT28)
        t0 = prog.now()
        prog.read(Range(0, 32 * 1024))
        took = prog.now() - t0
    # 32 KiB + XMODEM framing at 115200 baud is about 2.9 s on the wire.
    assert 2.8 < took < 4.5


def test_eprom_erase_points_to_uv_light() -> None:
    eprom = get_chip("27C256")
    with _prog(eprom) as prog:
        prog.select(eprom)
        with pytest.raises(UsageError, match="UV light"):
            prog.erase()
