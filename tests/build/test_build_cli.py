"""romtool build / cat / drivers through the CLI: outputs, messages, nothing written on errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from romtool.optionrom.etherboot import makerom
from romtool.optionrom.ipxe import finalize_ipxe
from romtool.optionrom.rom import RomImage, walk_chain
from tests.build.synth import etherboot_isa, etherboot_pci, ipxe_image, sum8


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ROMTOOL_PATH", raising=False)
    return tmp_path


def test_drivers_list_search_json(cli: Any) -> None:
    res = cli("drivers")
    assert res.status == 0 and "3c90x" in res.out and "e1000" in res.out
    res = cli("drivers", "--search", "8086:100f")
    assert res.status == 0 and "e1000" in res.out and "8086:100f" in res.out
    res = cli("drivers", "--search", "3c503", "--json")
    data = json.loads(res.out)
    assert data[0]["sockets"] == [8192] and data[0]["three_c503"] is True
    assert cli("drivers", "--search", "no-such-card").status == 1


def test_build_etherboot_driver_from_the_search_path(cli: Any, here: Path) -> None:
    (here / "bin").mkdir()
    raw = etherboot_pci(9000)
    (here / "bin" / "rtl8139.zrom").write_bytes(raw)
    res = cli("build", "rtl8139", "--ident", "rtl8139 test", "-o", "out.rom")
    assert res.status == 0, res.err
    assert "family default 10ec:8139" in res.out and "etherboot" in res.out
    out = (here / "out.rom").read_bytes()
    assert out == makerom(raw, pci=(0x10EC, 0x8139), ident="rtl8139 test").data
    res = cli("build", "rtl8139", "--pci", "1186:1300", "-o", "out.rom")
    assert res.status == 2 and "exists" in res.err
    res = cli("build", "rtl8139", "--pci", "1186:1300", "-o", "out.rom", "--force")
    assert res.status == 0 and RomImage((here / "out.rom").read_bytes()).pcir.device == 0x1300


def test_romtool_path_and_not_found_message(cli: Any, here: Path, monkeypatch: Any) -> None:
    lib = here / "lib"
    lib.mkdir()
    (lib / "3c509.zrom").write_bytes(etherboot_isa(5000))
    res = cli("build", "3c509", "-o", "a.rom")
    assert res.status == 2 and "--from" in res.err and "--payload selftest" in res.err
    assert res.err.count("\n") == 1 and not (here / "a.rom").exists()
    monkeypatch.setenv("ROMTOOL_PATH", str(lib))
    res = cli("build", "3c509", "-o", "a.rom")
    assert res.status == 0, res.err
    assert sum8((here / "a.rom").read_bytes()) == 0


def test_build_file_to_hex_and_srec(cli: Any, here: Path) -> None:
    (here / "in.rom").write_bytes(ipxe_image(8))
    assert cli("build", "in.rom", "-o", "out.hex", "--pci", "10ec:8139").status == 0
    text = (here / "out.hex").read_text()
    assert text.startswith(":") and text.rstrip().endswith(":00000001FF")
    assert cli("build", "in.rom", "-o", "out.s19").status == 0
    assert (here / "out.s19").read_text().startswith("S")
    assert cli("build", "--from", "in.rom", "-o", "out.bin").status == 0
    assert (here / "out.bin").read_bytes() == finalize_ipxe(ipxe_image(8)).data


def test_chip_and_placement(cli: Any, here: Path) -> None:
    (here / "in.rom").write_bytes(ipxe_image(16))
    res = cli("build", "in.rom", "--chip", "27C256", "--place", "high", "-o", "chip.bin")
    assert res.status == 0, res.err
    data = (here / "chip.bin").read_bytes()
    assert len(data) == 32768 and data[24576:26578][:2] == b"\x55\xaa"
    assert set(data[:24576]) == {0xFF} and "16 KiB boundary" in res.err
    res = cli("build", "in.rom", "--fill-to", "4K", "-o", "small.bin")
    assert res.status == 2 and "larger than the chip" in res.err
    assert not (here / "small.bin").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["notrom.bin", "-o", "x.rom"], "not an option ROM"),
        (["trunc.rom", "-o", "x.rom"], "truncated"),
        (["isa.rom", "--mode", "etherboot", "--pci", "8086:100e", "-o", "x.rom"], "ISA"),
        (["pci.rom", "--ident", "y" * 200, "-o", "x.rom"], "ident too long"),
        (["pci.rom", "--chip", "2764", "--size", "16K", "-o", "x.rom"], "larger than the chip"),
        (["3c509", "--payload", "selftest", "--pci", "8086:100e"], "ISA driver"),
        (["pci.rom", "--pci", "8086-100e", "-o", "x.rom"], "bad PCI id"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(
    cli: Any, here: Path, args: list[str], message: str
) -> None:
    (here / "notrom.bin").write_bytes(b"MZ" + bytes(600))
    (here / "trunc.rom").write_bytes(ipxe_image(16)[:3000])
    (here / "isa.rom").write_bytes(etherboot_isa(3000))
    (here / "pci.rom").write_bytes(etherboot_pci(8100))
    before = sorted(p.name for p in here.iterdir())
    res = cli("build", *args)
    assert res.status == 2, res.out + res.err
    assert message in res.err and res.err.count("\n") == 1 and "Traceback" not in res.err
    assert sorted(p.name for p in here.iterdir()) == before


def test_floppy_image_gets_a_hint(cli: Any, here: Path) -> None:
    boot = bytearray(512)
    boot[510:512] = b"\x55\xaa"
    (here / "rtl8139.zdsk").write_bytes(bytes(boot) + ipxe_image(4))
    res = cli("build", "rtl8139.zdsk", "-o", "x.rom")
    assert res.status == 2 and "offset 512" in res.err and not (here / "x.rom").exists()


def test_selftest_payload_builds(cli: Any, here: Path) -> None:
    res = cli("build", "--payload", "selftest", "--pci", "8086:100e", "-o", "st.rom")
    assert res.status == 0 and "PCI 8086:100e" in res.out
    rom = (here / "st.rom").read_bytes()
    assert RomImage(rom).pcir.device == 0x100E and sum8(rom) == 0
    res = cli("build", "3c503", "--payload", "selftest", "--chip", "27C256", "-o", "st3.bin")
    assert res.status == 0, res.err
    chip = (here / "st3.bin").read_bytes()
    assert len(chip) == 32768 and chip[0x1FFE:0x2000] == b"\x80\x80"
    assert chip[0x2000:0x2006] == b"RTFILL" and sum8(chip[:8192]) == 0
    assert "decodes at most 8 KiB" in res.err
    res = cli("build", "e1000", "--payload", "selftest", "--json")
    assert json.loads(res.out)["pci"] == "8086:100e"
    assert (here / "selftest-e1000.rom").exists()


def test_cat_cli(cli: Any, here: Path) -> None:
    a = finalize_ipxe(ipxe_image(4, 1)).data
    b = finalize_ipxe(ipxe_image(2, 2, device=0x100F)).data
    (here / "a.rom").write_bytes(a)
    (here / "b.rom").write_bytes(b)
    res = cli("cat", "a.rom", "b.rom", "-o", "ab.rom")
    assert res.status == 0 and "2 images" in res.out
    data = (here / "ab.rom").read_bytes()
    assert len(walk_chain(data)) == 2 and sum8(data[:2048]) == 0 and sum8(data[2048:]) == 0
    res = cli("cat", "a.rom", "-o", "one.rom")
    assert res.status == 2 and not (here / "one.rom").exists()
