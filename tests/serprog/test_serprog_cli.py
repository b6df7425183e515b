"""The CLI with serprog programmers: in process (serprog:sim), over a pty and over TCP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from romtool.chips import get_chip
from romtool.programmers.sim.chips import model_for
from romtool.programmers.sim.clock import VirtualClock
from romtool.programmers.sim.serprog.device import DeviceConfig, SerprogDevice
from romtool.programmers.sim.serprog.serve import SerprogServer

SIZE_SST = 128 * 1024


def _image(n: int, seed: int = 3) -> bytes:
    return bytes((i * 131 + seed) & 0xFF for i in range(n))


def test_write_read_verify_blank_erase_with_state(cli, tmp_path: Path) -> None:
    state = tmp_path / "chip.bin"
    spec = f"serprog:sim,state={state}"
    image = _image(4096)
    src = tmp_path / "rom.bin"
    src.write_bytes(image)
    res = cli("write", "-p", spec, "-c", "SST39SF010A", src)
    assert res.status == 0, res.err
    assert "wrote 4096 bytes to SST39SF010A" in res.out
    assert state.read_bytes()[:4096] == image
    assert state.read_bytes()[4096:] == b"\xff" * (SIZE_SST - 4096)
    res = cli("verify", "-p", spec, "-c", "SST39SF010A", src)
    assert res.status == 0, res.err
    out = tmp_path / "back.bin"
    res = cli("read", "-p", spec, "-c", "SST39SF010A", "-l", "4096", out)
    assert res.status == 0, res.err
    assert out.read_bytes() == image
    res = cli("blank", "-p", spec, "-c", "SST39SF010A")
    assert res.status == 1
    res = cli("erase", "-p", spec, "-c", "SST39SF010A")
    assert res.status == 0, res.err
    assert state.read_bytes() == b"\xff" * SIZE_SST
    res = cli("blank", "-p", spec, "-c", "SST39SF010A")
    assert res.status == 0, res.err


def test_rewrite_erases_sectors_and_keeps_the_rest(cli, tmp_path: Path) -> None:
    state = tmp_path / "chip.bin"
    state.write_bytes(b"\x00" * SIZE_SST)
    src = tmp_path / "rom.bin"
    src.write_bytes(_image(5000))
    res = cli("write", "-p", f"serprog:sim,state={state}", "-c", "SST39SF010A", src)
    assert res.status == 0, res.err
    chip = state.read_bytes()
    assert chip[:5000] == _image(5000)
    # Sectors 0 and 1 were erased for the image; the bytes of sector 1 past the image were
    # put back, and the other sectors were never touched.
    assert chip[5000:] == b"\x00" * (SIZE_SST - 5000)


@pytest.mark.parametrize("part", ["AT28C256", "AT29C256"])
def test_paged_parts(cli, tmp_path: Path, part: str) -> None:
    state = tmp_path / "chip.bin"
    image = _image(32 * 1024, seed=9)
    src = tmp_path / "rom.bin"
    src.write_bytes(image)
    res = cli("write", "-p", f"serprog:sim,state={state}", "-c", part, src)
    assert res.status == 0, res.err
    assert state.read_bytes() == image


def test_id_json(cli) -> None:
    res = cli("id", "-p", "serprog:sim", "-c", "AM29F010", "--json")
    assert res.status == 0, res.err
    data = json.loads(res.out)
    assert "01:20" in json.dumps(data)


def test_eprom_write_is_refused_with_the_reason(cli, tmp_path: Path) -> None:
    src = tmp_path / "rom.bin"
    src.write_bytes(_image(1024))
    res = cli("write", "-p", "serprog:sim", "-c", "27C256", src)
    assert res.status == 3
    assert "VPP" in res.err and "romprog" in res.err
    assert "Traceback" not in res.err


@pytest.mark.parametrize(
    ("spec", "text"),
    [
        ("serprog", "needs a port"),
        ("serprog:tcp:localhost", "tcp:HOST:PORT"),
        ("serprog:tcp:127.0.0.1:99999", "tcp:HOST:PORT"),
        ("serprog:/dev/ttyUSB0,speed=9", "unknown option 'speed'"),
        ("serprog:sim,lines=40", "address lines"),
    ],
)
def test_bad_specs_are_usage_errors(cli, spec: str, text: str) -> None:
    res = cli("id", "-p", spec, "-c", "SST39SF010A")
    assert res.status == 2, res.err
    assert text in res.err


def test_missing_port_is_a_one_line_device_error(cli, tmp_path: Path) -> None:
    res = cli("id", "-p", f"serprog:{tmp_path / 'nope'}", "-c", "SST39SF010A")
    assert res.status == 3
    assert "cannot open" in res.err and res.err.count("\n") <= 2


def test_part_larger_than_the_address_lines(cli) -> None:
    res = cli("id", "-p", "serprog:sim,lines=16", "-c", "SST39SF010A")
    assert res.status == 3
    assert "address lines" in res.err


@pytest.fixture
def served() -> Iterator[SerprogServer]:
    chip = model_for(get_chip("SST39SF010A"), clock=VirtualClock())
    server = SerprogServer(SerprogDevice(chip, DeviceConfig()))
    yield server
    server.stop()


def test_over_a_pty(cli, served: SerprogServer, tmp_path: Path) -> None:
    served.open_pty()
    served.start()
    src = tmp_path / "rom.bin"
    src.write_bytes(_image(512))
    res = cli("write", "-p", served.spec, "-c", "SST39SF010A", src)
    assert res.status == 0, res.err
    assert served.snapshot()[:512] == _image(512)


def test_over_tcp(cli, served: SerprogServer, tmp_path: Path) -> None:
    served.listen_tcp("127.0.0.1", 0)
    served.start()
    res = cli("id", "-p", served.spec, "-c", "SST39SF010A")
    assert res.status == 0, res.err
    assert "BF:B5" in res.out
    out = tmp_path / "dump.bin"
    res = cli("read", "-p", served.spec, "-c", "SST39SF010A", out)
    assert res.status == 0, res.err
    assert out.read_bytes() == b"\xff" * SIZE_SST
    assert served.connections == 2


def test_pulled_cable_then_resume(cli, tmp_path: Path) -> None:
    state = tmp_path / "chip.bin"
    image = _image(8192, seed=4)
    src = tmp_path / "rom.bin"
    src.write_bytes(image)
    spec = f"serprog:sim,state={state},disconnect=20000"
    res = cli("write", "-p", spec, "-c", "AT28C256", src)
    assert res.status == 3
    assert "--resume" in res.err
    res = cli("write", "-p", f"serprog:sim,state={state}", "-c", "AT28C256", "--resume", src)
    assert res.status == 0, res.err
    assert state.read_bytes()[:8192] == image


def test_3v3_part_is_refused(cli) -> None:
    res = cli("id", "-p", "serprog:sim", "-c", "SST39VF512")
    assert res.status == 3
    assert "3.3 V" in res.err and "5 V" in res.err
