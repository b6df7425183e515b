"""The CLI with TommyPROM: in process (tommyprom:sim) and over a pty in real time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from romtool.chips import get_chip
from romtool.programmers.sim.chips import model_for
from romtool.programmers.sim.clock import VirtualClock
from romtool.programmers.sim.tommyprom.serve import SketchServer
from romtool.programmers.sim.tommyprom.sketch import TommyPromSketch

SIZE_28 = 32 * 1024


def _image(n: int, seed: int = 5) -> bytes:
    return bytes((i * 97 + seed) & 0xFF for i in range(n))


def test_write_read_verify_28c_with_state(cli, tmp_path: Path) -> None:
    state = tmp_path / "chip.bin"
    spec = f"tommyprom:sim,state={state}"
    image = _image(SIZE_28)
    src = tmp_path / "rom.bin"
    src.write_bytes(image)
    res = cli("write", "-p", spec, "-c", "AT28C256", src)
    assert res.status == 0, res.err
    assert "wrote 32768 bytes to AT28C256" in res.out
    assert state.read_bytes() == image
    res = cli("verify", "-p", spec, "-c", "AT28C256", src)
    assert res.status == 0, res.err
    out = tmp_path / "back.bin"
    res = cli("read", "-p", spec, "-c", "AT28C256", out)
    assert res.status == 0, res.err
    assert out.read_bytes() == image


def test_small_image_at_an_offset_leaves_the_rest(cli, tmp_path: Path) -> None:
    state = tmp_path / "chip.bin"
    state.write_bytes(b"\x5a" * SIZE_28)
    src = tmp_path / "rom.bin"
    src.write_bytes(_image(1000))
    res = cli(
        "write", "-p", f"tommyprom:sim,state={state}", "-c", "AT28C256", "--offset", "0x10", src
    )
    assert res.status == 0, res.err
    chip = state.read_bytes()
    assert chip[0x10 : 0x10 + 1000] == _image(1000)
    assert chip[:0x10] == b"\x5a" * 0x10
    assert chip[0x10 + 1000 :] == b"\x5a" * (SIZE_28 - 0x10 - 1000)


def test_sst39sf_write_erases_sectors(cli, tmp_path: Path) -> None:
    state = tmp_path / "chip.bin"
    state.write_bytes(b"\x00" * (128 * 1024))
    src = tmp_path / "rom.bin"
    src.write_bytes(_image(4096))
    res = cli("write", "-p", f"tommyprom:sim,state={state},crc=yes", "-c", "SST39SF010A", src)
    assert res.status == 0, res.err
    assert state.read_bytes()[:4096] == _image(4096)
    res = cli("erase", "-p", f"tommyprom:sim,state={state}", "-c", "SST39SF010A")
    assert res.status == 0, res.err
    assert state.read_bytes() == b"\xff" * (128 * 1024)


def test_id_is_not_available(cli) -> None:
    res = cli("id", "-p", "tommyprom:sim", "-c", "SST39SF010A")
    assert res.status == 0, res.err
    assert "cannot read" in res.out + res.err


def test_refusals_are_one_line_errors(cli, tmp_path: Path) -> None:
    src = tmp_path / "rom.bin"
    src.write_bytes(_image(256))
    res = cli("write", "-p", "tommyprom:sim", "-c", "27C256", src)
    assert res.status == 3 and "VPP" in res.err
    res = cli("write", "-p", "tommyprom:sim,family=sst39sf", "-c", "AT28C256", src)
    assert res.status == 3 and "Configure.h" in res.err
    assert "Traceback" not in res.err


@pytest.mark.parametrize(
    ("spec", "text"),
    [
        ("tommyprom", "needs a port"),
        ("tommyprom:/dev/ttyUSB0,crc=yes", "unknown option 'crc'"),
        ("tommyprom:sim,family=8755", "bad family"),
        ("tommyprom:sim,lock=maybe", "expected yes or no"),
    ],
)
def test_bad_specs(cli, spec: str, text: str) -> None:
    res = cli("read", "-p", spec, "-c", "AT28C256", "-l", "16", "out.bin")
    assert res.status == 2, res.err
    assert text in res.err


def test_over_a_pty_in_real_time(cli, tmp_path: Path) -> None:
    chip = model_for(get_chip("AT28C256"), clock=VirtualClock())
    server = SketchServer(TommyPromSketch(chip))
    server.open_pty()
    server.start()
    try:
        src = tmp_path / "rom.bin"
        src.write_bytes(_image(640))
        res = cli("write", "-p", server.spec, "-c", "AT28C256", src)
        assert res.status == 0, res.err
        assert server.snapshot()[:640] == _image(640)
    finally:
        server.stop()


def test_module_entry_point_prints_the_spec(tmp_path: Path, sim_process: Any) -> None:
    state = tmp_path / "chip.bin"
    served = sim_process(
        "romtool.programmers.sim.tommyprom", "--pty", "--part", "AT28C256", "--state", state
    )
    try:
        assert served.spec.startswith("tommyprom:/dev/pts/")
    finally:
        status = served.stop()
    assert status == 0
    assert state.read_bytes() == b"\xff" * SIZE_28


def test_pulled_cable_then_resume(cli, tmp_path: Path) -> None:
    state = tmp_path / "chip.bin"
    image = _image(8192, seed=21)
    src = tmp_path / "rom.bin"
    src.write_bytes(image)
    # The plan reads the 8 KiB first (about 8.7 kB on the wire); the cable goes in the write.
    spec = f"tommyprom:sim,state={state},disconnect=13000"
    res = cli("write", "-p", spec, "-c", "AT28C256", src)
    assert res.status == 3
    assert "--resume" in res.err
    partial = state.read_bytes()
    assert partial[:128] == image[:128] and partial != image[:8192] + partial[8192:]
    res = cli("write", "-p", f"tommyprom:sim,state={state}", "-c", "AT28C256", "--resume", src)
    assert res.status == 0, res.err
    assert "resum" in (res.out + res.err).lower()
    assert state.read_bytes()[:8192] == image
