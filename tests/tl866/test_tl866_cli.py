"""romtool id/read/write/verify/blank/erase/programmers with -p tl866, against both models.

The simulated TL866II+ and T48 sit on a simulated USB bus; the CLI runs in-process and opens
them through the real driver and pyusb (``ROMTOOL_USB_BACKEND``).
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from romtool.chips.db import get_chip
from romtool.programmers.sim.tl866 import backend
from romtool.programmers.sim.tl866.device import SimTl866

PARTS = ["AT27C256R", "AT27C512R", "AT28C256", "AT28C64B", "AT29C256", "AT29C010A", "SST39SF010A"]
MODELS = ["tl866ii+", "t48"]
IDS = {
    "AT27C256R": "1E:8C",
    "AT27C512R": "1E:0D",
    "AT29C256": "1F:DC",
    "AT29C010A": "1F:D5",
    "SST39SF010A": "BF:B5",
}
IMAGE = 0x1000
"""Image size for the round trips: whole pages/sectors of every part, quick to simulate."""


def image_file(tmp_path: Path, seed: int, size: int = IMAGE) -> Path:
    rng = random.Random(seed)
    path = tmp_path / f"image{seed}.bin"
    path.write_bytes(bytes(rng.getrandbits(8) for _ in range(size)))
    return path


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("part", PARTS)
def test_round_trip(cli, sim_bus, tmp_path: Path, model: str, part: str) -> None:
    spec = get_chip(part)
    sim = sim_bus(model, part, locked=part in ("AT28C256", "AT28C64B"))
    p = ["-p", "tl866", "-c", part]

    res = cli("id", *p)
    assert res.status == 0, res.err
    if part in IDS:
        assert IDS[part] in res.out and "matches" in res.out
    else:
        assert f"{part}: id not read: {part} has no readable id" in res.out

    if spec.technology.electrically_erasable:
        res = cli("erase", *p)
        assert res.status == 0, res.err
    res = cli("blank", *p)
    assert res.status == 0, res.err

    img = image_file(tmp_path, len(part))
    res = cli("write", *p, img)
    assert res.status == 0, res.err
    assert "verified" in res.out

    res = cli("verify", *p, img)
    assert res.status == 0, res.err
    assert "identical" in res.out

    out = tmp_path / "dump.bin"
    res = cli("read", *p, out)
    assert res.status == 0, res.err
    dump = out.read_bytes()
    assert len(dump) == spec.size
    assert dump[:IMAGE] == img.read_bytes()
    assert dump[IMAGE:] == b"\xff" * (spec.size - IMAGE)

    res = cli("blank", *p)
    assert res.status == 1
    assert "not blank" in res.err

    if spec.technology.electrically_erasable:
        res = cli("erase", *p)
        assert res.status == 0, res.err
        assert cli("blank", *p).status == 0
    else:
        res = cli("erase", *p)
        assert res.status != 0
        assert "UV" in res.err or "cannot be erased" in res.err

    assert sim.violations == []
    assert sim.stats.begins == sim.stats.ends


def test_programmers_lists_both_models(cli, sim_bus) -> None:
    sim_bus("tl866ii+", None, serial="AAA111")
    sim_bus("t48", None, serial="BBB222")
    res = cli("programmers")
    assert res.status == 0
    assert "found: tl866:AAA111  TL866II+ firmware 04.1.32 serial AAA111" in res.out
    assert "found: tl866:BBB222  T48 firmware 1.32 serial BBB222" in res.out


def test_programmers_permission_hint(cli, sim_bus, monkeypatch) -> None:
    denied = backend.SimUsbBackend([SimTl866()], access_denied=True)
    monkeypatch.setattr(backend, "factory", lambda: denied)
    res = cli("programmers")
    assert res.status == 0
    assert "permission denied" in res.out
    assert "hardware/udev/60-romtool.rules" in res.out


def test_permission_error_is_one_line(cli, sim_bus, monkeypatch) -> None:
    denied = backend.SimUsbBackend([SimTl866()], access_denied=True)
    monkeypatch.setattr(backend, "factory", lambda: denied)
    res = cli("id", "-p", "tl866", "-c", "AT27C256R")
    assert res.status == 3
    assert res.err.count("\n") == 1
    assert "permission denied" in res.err and "60-romtool.rules" in res.err


@pytest.mark.parametrize(
    ("faults", "command", "status", "message"),
    [
        ({"overcurrent_after": 0}, "read", 3, "overcurrent protection tripped"),
        ({"bootloader": True}, "read", 3, "bootloader mode"),
        ({"unplug_after_reads": 3}, "read", 3, "device disconnected"),
        ({"wrong_id": 0x208D}, "write", 3, "the chip in the socket is another part"),
        ({"verify_error_at": 0x10}, "write", 3, "verify while writing failed"),
    ],
)
@pytest.mark.parametrize("model", MODELS)
def test_faults_give_one_line_errors(
    cli,
    sim_bus,
    tmp_path: Path,
    model: str,
    faults: dict,
    command: str,
    status: int,
    message: str,
) -> None:
    sim = sim_bus(model, "AT27C256R", **faults)
    if command == "read":
        args = ["read", "-p", "tl866", "-c", "AT27C256R", tmp_path / "out.bin"]
    else:
        args = ["write", "-p", "tl866", "-c", "AT27C256R", image_file(tmp_path, 9, 0x400)]
    res = cli(*args)
    assert res.status == status, res.err
    errors = [line for line in res.err.splitlines() if line.startswith("romtool: error:")]
    assert len(errors) == 1 and message in errors[0], res.err
    assert "Traceback" not in res.err
    if sim.plugged:
        assert sim.stats.begins == sim.stats.ends  # the socket was powered down every time
    assert sim.chip is not None and sim.chip.vcc_mv == 0
    assert not (tmp_path / "out.bin").exists()


def test_estimated_profile_needs_consent(cli, sim_bus, tmp_path: Path, monkeypatch) -> None:
    from romtool.programmers.tl866 import infoic

    monkeypatch.delenv("ROMTOOL_INFOIC")
    monkeypatch.setattr(infoic, "STANDARD_LOCATIONS", ())
    sim_bus("tl866ii+", "AT28C64B")
    img = image_file(tmp_path, 3, 0x200)
    res = cli("write", "-p", "tl866", "-c", "AT28C64B", img)
    assert res.status == 2
    assert "estimated fields" in res.err and "infoic" in res.err
    res = cli("write", "-p", "tl866,unverified=yes", "-c", "AT28C64B", img)
    assert res.status == 0, res.err
    sample = Path(__file__).parent / "data" / "infoic_sample.xml"
    res = cli("verify", "-p", f"tl866,infoic={sample}", "-c", "AT28C64B", img)
    assert res.status == 0, res.err


def test_infoic_from_the_config_file(cli, sim_bus, tmp_path: Path, monkeypatch) -> None:
    from romtool.programmers.tl866 import infoic

    monkeypatch.delenv("ROMTOOL_INFOIC")
    monkeypatch.setattr(infoic, "STANDARD_LOCATIONS", ())
    sample = Path(__file__).parent / "data" / "infoic_sample.xml"
    config = tmp_path / "config.toml"
    config.write_text(f"infoic = {str(sample)!r}\n")
    monkeypatch.setenv("ROMTOOL_CONFIG", str(config))
    sim_bus("t48", "SST39SF010A")
    res = cli("id", "-p", "tl866", "-c", "SST39SF010A")
    assert res.status == 0, res.err
    assert "BF:B5" in res.out


@pytest.mark.parametrize(
    ("name", "socket", "chip_id"),
    [("M27X256@DIP28", "AT27C256R", "1E:8C"), ("F39X010@PLCC32", "SST39SF010A", "BF:B5")],
)
def test_part_only_minipro_knows(
    cli, sim_bus, tmp_path: Path, name: str, socket: str, chip_id: str
) -> None:
    sim = sim_bus("tl866ii+", socket)
    p = ["-p", f"tl866,part={name}"]
    res = cli("id", *p)
    assert res.status == 0, res.err
    assert chip_id in res.out and "matches" in res.out
    img = image_file(tmp_path, 11, 0x800)
    res = cli("write", *p, img)
    assert res.status == 0, res.err
    out = tmp_path / "dump.bin"
    assert cli("read", *p, out).status == 0
    assert out.read_bytes()[:0x800] == img.read_bytes()
    assert sim.violations == []


def test_part_option_and_chip_option_conflict(cli, sim_bus) -> None:
    sim_bus("tl866ii+", "AT27C256R")
    res = cli("id", "-p", "tl866,part=M27X256@DIP28", "-c", "AT27C256R")
    assert res.status == 2
    assert "two parts given" in res.err


def test_exact_size_and_oversized_images(cli, sim_bus, tmp_path: Path) -> None:
    sim = sim_bus("t48", "AT28C64B")
    exact = image_file(tmp_path, 21, 0x2000)
    res = cli("write", "-p", "tl866", "-c", "AT28C64B", exact)
    assert res.status == 0, res.err
    assert sim.chip is not None and sim.chip.snapshot() == exact.read_bytes()
    too_big = image_file(tmp_path, 22, 0x2001)
    res = cli("write", "-p", "tl866", "-c", "AT28C64B", too_big)
    assert res.status == 2
    assert "does not fit AT28C64B" in res.err
    assert sim.chip.snapshot() == exact.read_bytes()


def test_programmers_json(cli, sim_bus) -> None:
    import json

    sim_bus("t48", None, serial="J1")
    res = cli("programmers", "--json")
    assert res.status == 0
    (tl866,) = [t for t in json.loads(res.out) if t["type"] == "tl866"]
    assert tl866["devices"] == [{"spec": "tl866:J1", "description": "T48 firmware 1.32 serial J1"}]
