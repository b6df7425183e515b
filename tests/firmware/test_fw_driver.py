"""The romprog driver against both device implementations (Python board and C firmware).

Every test takes ``make_board`` (see conftest): it runs once with the Python simulated board
and once with the C firmware's host build, on the same link and chip models.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import pytest

from romtool.errors import ProgramFailure, TransportError
from romtool.image.model import Image
from romtool.ops.session import open_session
from romtool.ops.write import write_image
from romtool.programmers.sim.link import LinkModel
from romtool.ranges import Range

from .conftest import BoardFactory

# One part per device algorithm (PROTOCOL.md section 7), with the size written in the test.
PARTS = [
    pytest.param("27C256", 1536, id="eprom-quickpulse-27C256"),
    pytest.param("27C512", 1536, id="eprom-oe-vpp-27C512"),
    pytest.param("27C010", 1536, id="eprom-32pin-27C010"),
    pytest.param("28C64", 96, id="eeprom-byte-28C64"),
    pytest.param("AT28C256", 1024, id="eeprom-page-sdp-AT28C256"),
    pytest.param("AT29C256", 1024, id="at29-sector-AT29C256"),
    pytest.param("AT29C010A", 1024, id="at29-sector-AT29C010A"),
    pytest.param("SST39SF010A", 1024, id="jedec-byte-SST39SF010A"),
]


def _data(n: int, seed: int = 1) -> bytes:
    # Deterministic, with 0x00 and 0xFF runs so COBS and the skip-blank paths are exercised.
    rnd = bytearray((i * 73 + seed * 41 + (i >> 8)) & 0xFF for i in range(n))
    rnd[10:20] = b"\x00" * 10
    rnd[30:40] = b"\xff" * 10
    return bytes(rnd)


@pytest.mark.parametrize(("part", "size"), PARTS)
def test_program_verify_read(make_board: BoardFactory, part: str, size: int) -> None:
    board = make_board(part)
    data = _data(size)
    prog = board.programmer()
    with prog:
        prog.select(board.part)
        if board.part.chip_id is not None:
            assert prog.identify() == board.part.chip_id
        report = prog.program(0, data)
        assert report.committed == size
        assert prog.crc32(Range(0, size)) == zlib.crc32(data)
        assert prog.read(Range(0, size)) == data
        blank = prog.blank_check(Range(size, size + 256))
        assert blank.blank
    assert board.chip.snapshot()[:size] == data
    assert board.chip.vpp_mv is None, "VPP left on after the session"


def test_planning_helpers(make_board: BoardFactory) -> None:
    data = _data(2048)
    board = make_board("27C256", data=data)
    prog = board.programmer()
    with prog:
        prog.select(board.part)
        infos = prog.block_info(Range(0, 4096), 1024)
        assert [i.crc32 for i in infos[:2]] == [
            zlib.crc32(data[:1024]),
            zlib.crc32(data[1024:2048]),
        ]
        assert [i.blank for i in infos] == [False, False, True, True]
        conflict = prog.can_program(0, b"\xff" * 16)
        assert conflict.count == sum(1 for b in data[:16] if b != 0xFF)
        blank = prog.blank_check(Range(0, 64))
        assert not blank.blank
        assert blank.first == 0


@pytest.mark.parametrize("part", ["SST39SF010A", "AT29C256", "AT28C256"])
def test_erase(make_board: BoardFactory, part: str) -> None:
    board = make_board(part, data=_data(4096))
    prog = board.programmer()
    with prog:
        prog.select(board.part)
        prog.erase()
        assert prog.blank_check(Range(0, board.part.size)).blank


def test_sector_erase(make_board: BoardFactory) -> None:
    board = make_board("SST39SF010A", data=_data(3 * 4096))
    prog = board.programmer()
    with prog:
        prog.select(board.part)
        prog.erase(sector=Range(4096, 8192))
        assert prog.blank_check(Range(4096, 8192)).blank
        assert not prog.blank_check(Range(0, 4096)).blank
        assert not prog.blank_check(Range(8192, 12288)).blank


def test_weak_byte_fails_with_its_address(make_board: BoardFactory) -> None:
    board = make_board("27C256", weak={300: None})
    prog = board.programmer()
    with prog, pytest.raises(ProgramFailure) as err:
        prog.select(board.part)
        prog.program(0, _data(1024))
    assert err.value.address == 300
    assert board.chip.vpp_mv is None


def test_weak_byte_takes_extra_pulses(make_board: BoardFactory) -> None:
    board = make_board("27C256", weak={5: 4})
    prog = board.programmer()
    with prog:
        prog.select(board.part)
        report = prog.program(0, b"\x00" * 64)
    assert report.max_pulses >= 5
    assert board.chip.snapshot()[:64] == b"\x00" * 64


def test_noisy_link(make_board: BoardFactory) -> None:
    board = make_board("27C256", link=LinkModel(ber=2e-4, drop=2e-4, seed=7))
    data = _data(4096)
    prog = board.programmer()
    with prog:
        prog.select(board.part)
        prog.program(0, data)
        assert prog.crc32(Range(0, 4096)) == zlib.crc32(data)
    assert board.chip.snapshot()[:4096] == data


def test_resume_after_dropped_link(make_board: BoardFactory, tmp_path: Path) -> None:
    """The cable is pulled mid-write; --resume continues from the journal."""
    data = _data(8192)
    image = Image.from_bytes(data)
    journal = tmp_path / "write.journal"
    board = make_board("27C256", link=LinkModel(disconnect_after=5000))
    with (
        pytest.raises(TransportError),
        open_session("test", board.part, programmer=board.programmer()) as session,
    ):
        write_image(session, image, journal_file=journal)
    programmed = board.chip.snapshot()
    assert programmed[:1000] == data[:1000]
    assert programmed[:8192] != data
    board.link_model = LinkModel()
    with open_session("test", board.part, programmer=board.programmer()) as session:
        result = write_image(session, image, resume=True, journal_file=journal)
    assert result.resumed_from is not None and result.resumed_from > 0
    assert board.chip.snapshot()[:8192] == data
    assert board.chip.vpp_mv is None
