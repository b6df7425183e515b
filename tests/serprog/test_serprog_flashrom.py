"""Real flashrom (serprog over TCP) against the simulated serprog device.

flashrom is the reference serprog host: if it probes, writes, reads and verifies through our
simulator, the simulator speaks the protocol (sync, command map, operation buffer, address
masking) the way real firmware does, independently of romtool's own driver.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from romtool.chips import get_chip
from romtool.programmers.sim.chips import model_for
from romtool.programmers.sim.clock import VirtualClock
from romtool.programmers.sim.serprog.device import DeviceConfig, SerprogDevice
from romtool.programmers.sim.serprog.serve import SerprogServer
from tests.conftest import require_tool

pytestmark = pytest.mark.e2e

FLASHROM_TIMEOUT_S = 120
"""A whole flashrom run: about 1 s of its own sync plus the operation."""


def _server(part: str, data: bytes | None = None) -> SerprogServer:
    chip = model_for(get_chip(part), clock=VirtualClock(), data=data)
    server = SerprogServer(SerprogDevice(chip, DeviceConfig(name="romtool sim")))
    server.listen_tcp("127.0.0.1", 0)
    return server.start()


@pytest.fixture
def sst() -> Iterator[SerprogServer]:
    server = _server("SST39SF010A")
    yield server
    server.stop()


def _flashrom(server: SerprogServer, *args: str) -> subprocess.CompletedProcess[str]:
    exe = require_tool("flashrom")
    return subprocess.run(
        [exe, "-p", server.flashrom_spec, *args],
        capture_output=True,
        text=True,
        timeout=FLASHROM_TIMEOUT_S,
        check=False,
    )


def _image(size: int) -> bytes:
    """An option-ROM-like image: 6 KiB of code at the start, a few bytes near the end, the
    rest erased (flashrom only programs what differs from the erased state, keeping the test
    short: every programmed byte costs it several round trips)."""
    rng = bytes((i * 151 + 7) & 0xFF for i in range(6144))
    data = bytearray(b"\xff" * size)
    data[0:6144] = rng
    data[size - 256 : size - 200] = bytes(range(56))
    return bytes(data)


def test_probe_finds_sst39sf010a(sst: SerprogServer) -> None:
    res = _flashrom(sst)
    assert res.returncode == 0, res.stdout + res.stderr
    assert 'Programmer name is "romtool sim"' in res.stdout
    assert 'Found SST flash chip "SST39SF010A" (128 kB, Parallel) on serprog' in res.stdout


@pytest.mark.parametrize(
    ("part", "found"),
    [
        ("AM29F010", '"Am29F010'),
        ("AT29C010A", 'Found Atmel flash chip "AT29C010A" (128 kB, Parallel)'),
        ("SST39SF040", 'Found SST flash chip "SST39SF040" (512 kB, Parallel)'),
    ],
)
def test_probe_finds_other_parallel_parts(part: str, found: str) -> None:
    server = _server(part)
    try:
        res = _flashrom(server)
    finally:
        server.stop()
    assert res.returncode == 0, res.stdout + res.stderr
    assert found in res.stdout and "on serprog" in res.stdout


def test_probe_with_chip_named_finds_sst29ee010() -> None:
    """SST29EE010 answers the id after 10 us (flashrom's probe timing for it). flashrom's
    automatic probe runs other parts' sequences first; on an unprotected page-mode part their
    plain writes start a page write, and writes during its busy time are ignored, so the short
    id-entry wait finds the part still busy. Named with -c, it is found."""
    server = _server("SST29EE010")
    try:
        res = _flashrom(server, "-c", "SST29EE010")
    finally:
        server.stop()
    assert res.returncode == 0, res.stdout + res.stderr
    assert 'Found SST flash chip "SST29EE010" (128 kB, Parallel) on serprog' in res.stdout


def test_write_read_verify_and_chip_contents(sst: SerprogServer, tmp_path: Path) -> None:
    image = _image(128 * 1024)
    src = tmp_path / "image.bin"
    src.write_bytes(image)
    res = _flashrom(sst, "-c", "SST39SF010A", "-w", str(src))
    assert res.returncode == 0, res.stdout + res.stderr
    assert "VERIFIED." in res.stdout
    # What the simulated chip holds, not what flashrom says.
    assert sst.snapshot() == image
    back = tmp_path / "back.bin"
    res = _flashrom(sst, "-c", "SST39SF010A", "-r", str(back))
    assert res.returncode == 0, res.stdout + res.stderr
    assert back.read_bytes() == image
    res = _flashrom(sst, "-c", "SST39SF010A", "-v", str(src))
    assert res.returncode == 0 and "VERIFIED." in res.stdout


def test_flashrom_verify_catches_a_different_chip(tmp_path: Path) -> None:
    image = _image(128 * 1024)
    changed = bytearray(image)
    changed[0x64] ^= 0x7D
    server = _server("SST39SF010A", bytes(changed))
    src = tmp_path / "image.bin"
    src.write_bytes(image)
    try:
        res = _flashrom(server, "-c", "SST39SF010A", "-v", str(src))
    finally:
        server.stop()
    assert res.returncode != 0
    assert "FAILED at 0x00000064" in res.stdout + res.stderr


def test_romtool_and_flashrom_share_one_simulated_chip(cli, sst: SerprogServer, tmp_path: Path):
    """romtool writes through its own driver over TCP; flashrom reads the result back."""
    image = bytes((i * 37) & 0xFF for i in range(2048))
    src = tmp_path / "rom.bin"
    src.write_bytes(image)
    res = cli("write", "-p", sst.spec, "-c", "SST39SF010A", src)
    assert res.status == 0, res.out + res.err
    back = tmp_path / "back.bin"
    fr = _flashrom(sst, "-c", "SST39SF010A", "-r", str(back))
    assert fr.returncode == 0, fr.stdout + fr.stderr
    assert back.read_bytes()[:2048] == image
    assert back.read_bytes()[2048:] == b"\xff" * (128 * 1024 - 2048)


def test_served_by_module_entry_point(tmp_path: Path, sim_process: Any) -> None:
    """``python -m romtool.programmers.sim.serprog`` prints both specs and saves the state."""
    state = tmp_path / "chip.bin"
    served = sim_process(
        "romtool.programmers.sim.serprog",
        "--tcp",
        "127.0.0.1:0",
        "--part",
        "SST39SF010A",
        "--state",
        state,
        lines=2,
    )
    try:
        spec, fr_line = served.lines
        assert spec.startswith("serprog:tcp:127.0.0.1:")
        port = spec.rsplit(":", 1)[1]
        assert fr_line == f"flashrom -p serprog:ip=127.0.0.1:{port}"
        exe = require_tool("flashrom")
        res = subprocess.run(
            [exe, "-p", f"serprog:ip=127.0.0.1:{port}", "-c", "SST39SF010A", "-E"],
            capture_output=True,
            text=True,
            timeout=FLASHROM_TIMEOUT_S,
            check=False,
        )
        assert res.returncode == 0, res.stdout + res.stderr
    finally:
        status = served.stop()
    assert status == 0
    assert state.read_bytes() == b"\xff" * (128 * 1024)


def test_module_refuses_a_non_loopback_address() -> None:
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "romtool.programmers.sim.serprog",
            "--tcp",
            "0.0.0.0:0",
            "--part",
            "SST39SF010A",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert res.returncode == 2
    assert "only loopback" in res.stderr


def test_flashrom_over_a_pty(tmp_path: Path) -> None:
    """The serial path: flashrom opens the pty like a USB-serial board."""
    chip = model_for(get_chip("SST39SF010A"), clock=VirtualClock())
    server = SerprogServer(SerprogDevice(chip, DeviceConfig()))
    server.open_pty()
    server.start()
    try:
        assert server.flashrom_spec.startswith("serprog:dev=/dev/")
        image = _image(128 * 1024)
        changed = bytearray(b"\xff" * len(image))
        changed[:512] = image[:512]
        src = tmp_path / "small.bin"
        src.write_bytes(bytes(changed))
        res = _flashrom(server, "-c", "SST39SF010A", "-w", str(src))
        assert res.returncode == 0, res.stdout + res.stderr
        assert server.snapshot() == bytes(changed)
    finally:
        server.stop()
