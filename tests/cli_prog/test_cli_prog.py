"""``romtool id|read|write|verify|blank|erase|programmers`` end to end, in-process, against
``sim:`` with a state file; the state file (the simulated chip) is checked after each run."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

Cli = Callable[..., Any]


def data(n: int, seed: int = 1) -> bytes:
    rng = random.Random(seed)
    return bytes(rng.choice((0xCC, 0x00, rng.randrange(255))) for _ in range(n))


@pytest.fixture
def rom(tmp_path: Path) -> Path:
    path = tmp_path / "net.rom"
    path.write_bytes(data(4096))
    return path


def state(tmp_path: Path, part: str = "27C256") -> tuple[str, Path]:
    path = tmp_path / f"{part}.bin"
    return f"sim:{part},state={path}", path


def test_programmers_lists_types(cli: Cli) -> None:
    res = cli("programmers")
    assert res.status == 0 and "romprog" in res.out and "sim:27C256" in res.out
    listed = json.loads(cli("programmers", "--json").out)
    assert {"romprog", "sim"} <= {t["type"] for t in listed}


@pytest.mark.parametrize("part", ["27C256", "27C512", "AT28C256", "AT29C256", "SST39SF010A"])
def test_write_verify_read_per_technology(cli: Cli, tmp_path: Path, rom: Path, part: str) -> None:
    spec, chip = state(tmp_path, part)
    res = cli("write", "-p", spec, "-c", part, rom)
    assert res.status == 0, res.err
    assert "verified by device CRC-32" in res.out and f"to {part} at 0x0-0xFFF" in res.out
    assert chip.read_bytes()[:4096] == rom.read_bytes()
    assert cli("verify", "-p", spec, "-c", part, rom).status == 0
    out = tmp_path / "back.bin"
    res = cli("read", "-p", spec, "-c", part, "--length", "4K", out)
    assert res.status == 0, res.err
    assert out.read_bytes() == rom.read_bytes()


def test_part_defaults_to_the_sims_socket(cli: Cli, tmp_path: Path, rom: Path) -> None:
    spec, chip = state(tmp_path)
    assert cli("write", "-p", spec, rom).status == 0
    assert chip.read_bytes()[:4096] == rom.read_bytes()


def test_offset_write_says_what_was_left_alone(cli: Cli, tmp_path: Path, rom: Path) -> None:
    spec, chip = state(tmp_path)
    res = cli("write", "-p", spec, rom, "--offset", "0x4000")
    assert res.status == 0, res.err
    assert "left as they were: 0x0-0x3FFF, 0x5000-0x7FFF" in res.out
    snap = chip.read_bytes()
    assert snap[0x4000:0x5000] == rom.read_bytes()
    assert snap[:0x4000] == b"\xff" * 0x4000 and snap[0x5000:] == b"\xff" * 0x3000


def test_dry_run_shows_the_plan_and_leaves_the_chip(cli: Cli, tmp_path: Path, rom: Path) -> None:
    spec, chip = state(tmp_path)
    res = cli("write", "-p", spec, rom, "--dry-run")
    assert res.status == 0
    # The 4 KiB image is 16 blocks to program: one run, one line.
    assert "0x0-0xFFF  program (16 blocks)" in res.out and "dry run" in res.out
    assert chip.read_bytes() == b"\xff" * 32768


def test_dry_run_lists_runs_and_shortens_long_plans(cli: Cli, tmp_path: Path, rom: Path) -> None:
    spec, _ = state(tmp_path)
    # Every other 256-byte block differs from the blank chip: 128 runs of one block.
    striped = bytearray(b"\xff" * 32768)
    for block in range(0, 32768, 512):
        striped[block : block + 256] = b"\x00" * 256
    image = tmp_path / "striped.bin"
    image.write_bytes(bytes(striped))
    res = cli("write", "-p", spec, image, "--dry-run")
    assert res.status == 0
    assert "... 104 more runs (-v shows all)" in res.out
    full = cli("write", "-p", spec, image, "--dry-run", "-v")
    assert "0x7E00-0x7EFF  program (1 block)" in full.out
    assert "more runs" not in full.out


def test_json_summary(cli: Cli, tmp_path: Path, rom: Path) -> None:
    spec, _ = state(tmp_path)
    res = cli("write", "-p", spec, rom, "--json")
    summary = json.loads(res.out)
    assert summary["plan"]["program"] == 16 and summary["verified"] == "device CRC-32"
    assert summary["untouched"] == [[4096, 32768]]
    assert res.err == ""


def test_trace_logs_frames_with_timestamps(cli: Cli, tmp_path: Path) -> None:
    spec, _ = state(tmp_path)
    res = cli("id", "-p", spec, "--trace")
    assert res.status == 0
    lines = [ln for ln in res.err.splitlines() if ln.startswith("trace ")]
    assert any("> REQ seq=1 HELLO" in ln for ln in lines)
    assert any("< RSP seq=" in ln and "IDENTIFY st=OK" in ln for ln in lines)
    float(lines[0].split()[1])  # the timestamp


def test_quiet_prints_only_the_result(cli: Cli, tmp_path: Path, rom: Path) -> None:
    spec, _ = state(tmp_path)
    res = cli("write", "-p", spec, rom, "-q")
    assert res.status == 0 and res.err == "" and res.out.count("\n") == 1


def test_plain_progress_lines_off_a_terminal(cli: Cli, tmp_path: Path, rom: Path) -> None:
    spec, _ = state(tmp_path)
    res = cli("write", "-p", spec, rom)
    assert "write: 100% (4096/4096 bytes)" in res.err


def test_id_match_and_mismatch(cli: Cli) -> None:
    ok = cli("id", "-p", "sim:AT27C256R", "-c", "27C256")
    assert ok.status == 0 and "1E:8C" in ok.out and "matches" in ok.out
    bad = cli("id", "-p", "sim:27C512", "-c", "27C256")
    assert bad.status == 1 and "does NOT match" in bad.out and "27C512" in bad.out


def test_write_to_the_wrong_chip_is_refused(cli: Cli, tmp_path: Path, rom: Path) -> None:
    chip = tmp_path / "c.bin"
    res = cli("write", "-p", f"sim:27C512,state={chip}", "-c", "27C256", rom)
    assert res.status == 3
    assert "another part: expected 27C256, but got id 1E:0D (AT27C512R, 27C512)" in res.err
    assert chip.read_bytes() == b"\xff" * 65536


def test_image_too_large_is_refused(cli: Cli, tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    big.write_bytes(bytes(9000))
    spec, _ = state(tmp_path, "27C64")
    res = cli("write", "-p", spec, big)
    assert res.status == 2 and "does not fit 27C64" in res.err


def test_unerased_eprom_is_refused_with_count_and_place(cli: Cli, tmp_path: Path) -> None:
    spec, chip = state(tmp_path)
    chip.write_bytes(bytes(32768))  # all programmed to 0
    img = tmp_path / "one.bin"
    img.write_bytes(b"\x01")
    res = cli("write", "-p", spec, img, "--offset", "0x7FFF")
    assert res.status == 2
    assert "plan at 0x7FFF: write refused" in res.err and "1 bytes in 1 blocks" in res.err
    assert chip.read_bytes() == bytes(32768)


def test_verify_mismatch_is_exit_1_with_diagnosis(cli: Cli, tmp_path: Path, rom: Path) -> None:
    spec, _ = state(tmp_path)
    res = cli("verify", "-p", spec, rom)
    assert res.status == 1 and "nothing was written" in res.err


def test_blank_erase_uv_cycle(cli: Cli, tmp_path: Path, rom: Path) -> None:
    spec, chip = state(tmp_path)
    assert cli("blank", "-p", spec).status == 0
    cli("write", "-p", spec, rom)
    res = cli("blank", "-p", spec)
    assert res.status == 1 and "not blank" in res.err
    res = cli("erase", "-p", spec)
    assert res.status == 2 and "--uv" in res.err
    res = cli("erase", "-p", spec, "--uv")
    assert res.status == 0 and "blank check passed" in res.out
    assert chip.read_bytes() == b"\xff" * 32768


def test_electrical_erase(cli: Cli, tmp_path: Path, rom: Path) -> None:
    spec, chip = state(tmp_path, "SST39SF010A")
    cli("write", "-p", spec, rom)
    assert cli("erase", "-p", spec).status == 0
    assert chip.read_bytes() == b"\xff" * 131072


def test_lost_link_then_resume(cli: Cli, tmp_path: Path) -> None:
    img = tmp_path / "img.bin"
    img.write_bytes(data(16384, 3))
    spec, chip = state(tmp_path)
    res = cli("write", "-p", spec + ",disconnect=9000", img)
    assert res.status == 3 and "--resume" in res.err
    part = chip.read_bytes()
    assert part[:4096] == img.read_bytes()[:4096] and part[16000:16384] == b"\xff" * 384
    res = cli("write", "-p", spec, img, "--resume")
    assert res.status == 0, res.err
    assert "resumed at 0x" in res.out
    assert chip.read_bytes()[:16384] == img.read_bytes()
    again = cli("write", "-p", spec, img, "--resume")
    assert again.status == 2 and "nothing to resume" in again.err


def test_noisy_link_still_writes_correctly(cli: Cli, tmp_path: Path, rom: Path) -> None:
    spec, chip = state(tmp_path, "AT28C256")
    res = cli("write", "-p", spec + ",ber=5e-4,drop=5e-4,dup=5e-4,seed=2", rom)
    assert res.status == 0, res.err
    assert chip.read_bytes()[:4096] == rom.read_bytes()


def test_dead_chip_is_a_device_error(cli: Cli, tmp_path: Path, rom: Path) -> None:
    res = cli("write", "-p", "sim:27C256,dead=1", rom)
    assert res.status == 3 and "no chip answers" in res.err


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("eprommer:/dev/ttyUSB0", "known types: "),
        ("sim:27C256,colour=red", "unknown option 'colour'"),
        ("sim:27C999", "27C999"),
        ("sim:27C256,drop=7", "probability"),
    ],
)
def test_bad_programmer_specs_are_exit_2(cli: Cli, spec: str, message: str, rom: Path) -> None:
    res = cli("write", "-p", spec, rom)
    assert res.status == 2 and message in res.err
    assert "Traceback" not in res.err


def test_missing_programmer_and_existing_output(cli: Cli, tmp_path: Path) -> None:
    assert cli("id").status == 2
    out = tmp_path / "exists.bin"
    out.write_bytes(b"x")
    res = cli("read", "-p", "sim:27C64", out)
    assert res.status == 2 and "--force" in res.err
    assert cli("read", "-p", "sim:27C64", out, "--force").status == 0
    assert out.read_bytes() == b"\xff" * 8192


def test_settings_file_gives_defaults(
    cli: Cli, tmp_path: Path, rom: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chip = tmp_path / "cfg.bin"
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'programmer = "sim:AT28C256,state={chip}"\npart = "AT28C256"\n')
    monkeypatch.setenv("ROMTOOL_CONFIG", str(cfg))
    assert cli("write", rom).status == 0
    assert chip.read_bytes()[:4096] == rom.read_bytes()
    cfg.write_text("programmer = [")
    res = cli("id")
    assert res.status == 2 and "cannot read settings" in res.err


SERVE = "romtool.programmers.sim.serve"


def test_romprog_driver_over_a_pty(cli: Cli, tmp_path: Path, rom: Path, sim_process: Any) -> None:
    chip = tmp_path / "pty.bin"
    served = sim_process(SERVE, "27C256", "--state", chip, "--pty")
    try:
        assert served.spec.startswith("romprog:/dev/")
        res = cli("write", "-p", served.spec + ",baud=1000000", "-c", "27C256", rom)
        assert res.status == 0, res.err
    finally:
        served.stop()
    assert chip.read_bytes()[:4096] == rom.read_bytes()


def test_romprog_driver_over_tcp(cli: Cli, sim_process: Any) -> None:
    served = sim_process(SERVE, "SST39SF010A", "--tcp", "0", "--once")
    assert served.spec.startswith("romprog:socket://127.0.0.1:")
    res = cli("id", "-p", served.spec, "-c", "SST39SF010A")
    assert res.status == 0 and "BF:B5" in res.out
    assert served.proc.wait(10) == 0  # --once: the server ends after the connection


def test_rich_reporter_runs_on_the_programmer_clock(capsys: pytest.CaptureFixture[str]) -> None:
    from romtool.cli.prog_cmds import RichReporter

    now = [0.0]
    rep = RichReporter(verbose=1, quiet=False)
    rep.clock = lambda: now[0]
    rep.stage("write", 1000)
    for done in (250, 500, 1000):
        now[0] += 1.0
        rep.progress(done, 1000)
    rep.note("a note")
    rep.warn("a warning")
    task = rep._bar().tasks[0]
    assert task.completed == 1000 and task.finished
    assert task.speed is not None and 200 <= task.speed <= 600  # bytes per virtual second
    rep.close()
    err = capsys.readouterr().err
    assert "a note" in err and "warning: a warning" in err


def test_no_verify_and_hex_files(cli: Cli, tmp_path: Path, rom: Path) -> None:
    spec, chip = state(tmp_path, "AT28C64")
    res = cli("write", "-p", spec, rom, "--no-verify")
    assert res.status == 0 and "NOT verified" in res.out
    hexfile = tmp_path / "dump.hex"
    assert cli("read", "-p", spec, "--start", "0x100", "--length", "0x200", hexfile).status == 0
    assert hexfile.read_text().startswith(":")
    res = cli("verify", "-p", spec, hexfile)  # HEX addresses are absolute: 0x100-0x2FF
    assert res.status == 0, res.err
    assert "at 0x100-0x2FF" in res.out
    assert chip.read_bytes()[:4096] == rom.read_bytes()
