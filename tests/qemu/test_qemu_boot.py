"""End to end: ROMs built by romtool booted by a real BIOS (SeaBIOS in QEMU, TCG).

Each case also asks ``romtool info`` for its BIOS verdict and checks it agrees with what
SeaBIOS did. About ten boots of ~0.1-0.3 s each.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from romtool.optionrom.selftest import QEMU_EXIT_BEV, QEMU_EXIT_INIT
from tests.conftest import require_file, require_tool
from tests.qemu.harness import boot

pytestmark = pytest.mark.e2e

PXE_E1000 = "/usr/lib/ipxe/qemu/pxe-e1000.rom"
BANNER = "romtool self-test 1.0: option ROM init"
CHOSEN = "romtool self-test 1.0: chosen as boot device (BEV)"


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    require_tool("qemu-system-x86_64")
    require_file("/usr/share/seabios/bios-256k.bin", "seabios")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def seabios_says(cli: Any, rom: Path, pci: str) -> bool:
    res = cli("info", "--json", "--pci", pci, rom)
    assert res.status in (0, 1), res.err
    return bool(json.loads(res.out)["bios"]["seabios"]["accepted"])


def isa_says(cli: Any, rom: Path) -> bool:
    res = cli("info", "--json", rom)
    assert res.status in (0, 1), res.err
    return bool(json.loads(res.out)["bios"]["isa"]["accepted"])


def test_a_pci_selftest_runs_on_e1000(cli: Any, work: Path) -> None:
    res = cli("build", "--payload", "selftest", "--pci", "8086:100e", "--qemu-exit", "bev",
              "-o", "st.rom")  # fmt: skip
    assert res.status == 0, res.err
    b = boot(work / "st.rom", work, how="pci", nic="e1000")
    assert b.status == QEMU_EXIT_BEV, b.seabios[-2000:]
    assert BANNER in b.com1 and CHOSEN in b.com1
    assert "checksum good" in b.com1
    assert "card 8086:100E, PCIR 8086:100E: match" in b.com1
    assert b.roms_run == ["c000:0003"]
    assert BANNER in b.seabios  # the debugcon copy lands in SeaBIOS's log
    assert seabios_says(cli, work / "st.rom", "8086:100e") is True


def test_b_isa_selftest_runs_through_option_rom(cli: Any, work: Path) -> None:
    res = cli("build", "3c509", "--payload", "selftest", "--qemu-exit", "bev", "-o", "isa.rom")
    assert res.status == 0, res.err
    b = boot(work / "isa.rom", work, how="isa")
    assert b.status == QEMU_EXIT_BEV
    assert "ISA build (no PCIR)" in b.com1 and CHOSEN in b.com1
    assert isa_says(cli, work / "isa.rom") is True


def test_c_debian_ipxe_rebuilt_for_82545em(cli: Any, work: Path) -> None:
    original = Path(require_file(PXE_E1000, "ipxe-qemu"))
    res = cli("build", "e1000", "--from", original, "--pci", "8086:100f", "-o", "ipxe.rom")
    assert res.status == 0, res.err
    # iPXE never ends the run itself (its BEV waits for a link), so stop once SeaBIOS ran it.
    rebuilt = boot(work / "ipxe.rom", work, nic="e1000-82545em", until="Running option rom at")
    assert rebuilt.stopped_on is not None, rebuilt.seabios[-2000:]
    assert rebuilt.roms_run == ["c000:0003"]
    assert seabios_says(cli, work / "ipxe.rom", "8086:100f") is True
    plain = boot(original, work, nic="e1000-82545em")
    assert plain.status == 0 and plain.roms_run == []
    assert "No bootable device" in plain.seabios
    assert seabios_says(cli, original, "8086:100f") is False


def test_d_bad_checksum_is_rejected_and_info_agrees(cli: Any, work: Path) -> None:
    assert cli("build", "--payload", "selftest", "--pci", "8086:100e", "--qemu-exit", "bev",
               "-o", "good.rom").status == 0  # fmt: skip
    rom = bytearray((work / "good.rom").read_bytes())
    rom[-1] ^= 0x01
    bad = work / "bad.rom"
    bad.write_bytes(bytes(rom))
    res = cli("checksum", bad)
    assert res.status == 1
    assert seabios_says(cli, bad, "8086:100e") is False
    pci = boot(bad, work, how="pci")
    assert pci.status == 0 and pci.bad_checksum and pci.roms_run == [] and pci.com1 == ""
    assert isa_says(cli, bad) is False
    isa = boot(bad, work, how="isa")
    assert isa.status == 0 and isa.bad_checksum and isa.com1 == ""


def test_selftest_sees_the_whole_chip_or_the_alias(cli: Any, work: Path) -> None:
    res = cli("build", "3c509", "--payload", "selftest", "--size", "8K", "--chip", "27C256",
              "--qemu-exit", "init", "-o", "chip.bin")  # fmt: skip
    assert res.status == 0, res.err
    chip = (work / "chip.bin").read_bytes()
    # SeaBIOS copies a whole -option-rom file, so the file stands in for the socket window.
    whole = boot(work / "chip.bin", work, how="isa")
    assert "chip 32 KiB, image at +0 KiB: whole chip visible" in whole.com1
    assert whole.roms_run and isa_says(cli, work / "chip.bin") is True
    aliased = work / "alias.bin"
    aliased.write_bytes(chip[:16384] * 2)  # a socket that decodes only 16 KiB
    seen = boot(aliased, work, how="isa")
    assert "at +16 KiB a copy of +0 KiB, the socket decodes 16 KiB only" in seen.com1
    assert seen.roms_run and isa_says(cli, aliased) is True
    cut = work / "cut.bin"
    cut.write_bytes(chip[:8192] + b"\xff" * 8192)  # the window ends after the image
    ends = boot(cut, work, how="isa")
    assert "at +8 KiB reads FF: the window ends there" in ends.com1


def test_pci_selftest_reports_an_id_mismatch(cli: Any, work: Path) -> None:
    # Through -option-rom SeaBIOS passes AX=0, so the payload compares its PCIR with the host
    # bridge at 00:00.0 (i440FX, 8086:1237): the config-space read and MISMATCH path.
    res = cli("build", "--payload", "selftest", "--pci", "8086:100e", "--qemu-exit", "init",
              "-o", "m.rom")  # fmt: skip
    assert res.status == 0, res.err
    b = boot(work / "m.rom", work, how="isa")
    assert b.status == QEMU_EXIT_INIT
    assert "PCI 00:00.0, card 8086:1237, PCIR 8086:100E: MISMATCH" in b.com1
    assert isa_says(cli, work / "m.rom") is True
