"""``info``, ``checksum``, ``convert`` and ``scan`` through the CLI, bad input included."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

Cli = Callable[..., Any]


def write(path: Path, data: bytes | bytearray) -> Path:
    path.write_bytes(bytes(data))
    return path


def one_line_error(res: Any, name: str) -> None:
    """Exit 2, one line on stderr naming the file, no traceback."""
    assert res.status == 2, (res.out, res.err)
    lines = res.err.strip().splitlines()
    assert len(lines) == 1, res.err
    assert name in lines[0]
    assert "Traceback" not in res.err and lines[0].startswith("romtool: error:")


# --- info ---------------------------------------------------------------------------------


def test_info_json_keys(cli: Cli, roms: ModuleType, tmp_path: Path) -> None:
    f = write(tmp_path / "c.rom", roms.chain(roms.ipxe(blocks=4), roms.efi(blocks=8)))
    res = cli("info", f, "--json")
    assert res.status == 0, res.err
    data = json.loads(res.out)
    assert data["errors"] == [] and isinstance(data["warnings"], list)
    legacy, efi = data["images"]
    assert (legacy["offset"], legacy["length"], legacy["size_byte"]) == (0, 2048, 4)
    assert legacy["family"] == "ipxe" and legacy["checksum_ok"] is True
    pci = legacy["pci"]
    assert pci["vendor"] == "8086" and pci["device"] == "100e" and pci["class"] == "020000"
    assert pci["code_type"] == 0 and pci["last"] is False and pci["image_length"] == 2048
    pnp = legacy["pnp"]
    assert pnp["manufacturer"] == "http://ipxe.org" and pnp["product"] == "iPXE"
    assert pnp["bev"] == 0x385 and pnp["bcv"] == 0 and pnp["checksum_ok"] is True
    assert legacy["efi"] is None
    assert efi["family"] == "efi" and efi["pnp"] is None and efi["pci"]["code_type"] == 3
    assert efi["efi"]["machine_name"] == "x64"
    assert data["bios"]["seabios"]["accepted"] is True


def test_info_text_and_lint_error_exit_1(cli: Cli, roms: ModuleType, tmp_path: Path) -> None:
    rom = roms.ipxe()
    rom[0x300] ^= 0x01
    f = write(tmp_path / "bad.rom", rom)
    res = cli("info", f)
    assert res.status == 1
    assert "checksum fails" in res.out and "byte 0x6 (ipxe) should be" in res.out
    assert "SeaBIOS on 8086:100e: does not run it" in res.out


def test_info_pci_mismatch(cli: Cli, roms: ModuleType, tmp_path: Path) -> None:
    f = write(tmp_path / "a.rom", roms.ipxe())
    res = cli("info", f, "--pci", "10ec:8139", "--json")
    data = json.loads(res.out)
    assert data["bios"]["seabios"]["accepted"] is False
    assert any("10ec:8139" in w for w in data["warnings"])
    assert res.status == 0  # a warning, not an error: the ROM itself is sound
    assert cli("info", f, "--pci", "nonsense").status == 2


def test_info_reads_hex(cli: Cli, roms: ModuleType, tmp_path: Path) -> None:
    f = write(tmp_path / "a.rom", roms.etherboot())
    assert cli("convert", f, tmp_path / "a.hex").status == 0
    res = cli("info", tmp_path / "a.hex", "--json")
    assert res.status == 0 and json.loads(res.out)["images"][0]["family"] == "etherboot"


def test_info_size_zero_is_lint_error(cli: Cli, roms: ModuleType, tmp_path: Path) -> None:
    rom = roms.isa()
    rom[2] = 0
    res = cli("info", write(tmp_path / "z.rom", rom), "--json")
    assert res.status == 1
    assert any("size byte is 0" in e for e in json.loads(res.out)["errors"])


def _truncated(roms: ModuleType) -> bytes:
    return bytes(roms.ipxe(blocks=16)[:4000])


def _pointer_outside(roms: ModuleType) -> bytes:
    rom = roms.ipxe(blocks=2)
    rom[0x1A:0x1C] = b"\x00\xf0"  # $PnP pointer 0xF000 in a 1 KiB image
    return bytes(rom)


def _loop(roms: ModuleType) -> bytes:
    rom = roms.chain(roms.ipxe(blocks=2), roms.ipxe(blocks=2))
    rom[0x1C + 0x10 : 0x1C + 0x12] = b"\0\0"
    return bytes(rom)


def _pnp_loop(roms: ModuleType) -> bytes:
    rom = roms.ipxe()
    rom[0x46:0x48] = b"\x40\x00"
    return bytes(rom)


@pytest.mark.parametrize(
    ("name", "make", "message"),
    [
        ("trunc.rom", _truncated, "truncated"),
        ("outside.rom", _pointer_outside, "outside the image"),
        ("loop.rom", _loop, "loop"),
        ("junk.rom", lambda r: os.urandom(64).replace(b"\x55\xaa", b"xx"), "no option ROM"),
        ("tiny.rom", lambda r: b"\x55", "too short"),
        ("bad.hex", lambda r: b":0400000001020304F3\n:00000001FF\n", "checksum"),
        (
            "overlap.hex",
            lambda r: b":0400000001020304F2\n:0400020001020304F0\n:00000001FF\n",
            "overlaps",
        ),
        ("bin.hex", lambda r: b"\x55\xaa\x04\xcb" + bytes(100), "binary data"),
        ("empty.rom", lambda r: b"", "empty"),
    ],
)
def test_info_bad_input(
    cli: Cli, roms: ModuleType, tmp_path: Path, name: str, make: Any, message: str
) -> None:
    f = write(tmp_path / name, make(roms))
    res = cli("info", f)
    one_line_error(res, name)
    assert message in res.err


def test_pnp_next_loop_is_a_lint_error(cli: Cli, roms: ModuleType, tmp_path: Path) -> None:
    res = cli("info", write(tmp_path / "pl.rom", _pnp_loop(roms)), "--json")
    assert res.status == 1 and any("loops" in e for e in json.loads(res.out)["errors"])


def test_directory_and_missing(cli: Cli, tmp_path: Path) -> None:
    for cmd in ("info", "checksum", "scan"):
        one_line_error(cli(cmd, tmp_path), str(tmp_path))
        one_line_error(cli(cmd, tmp_path / "nope.rom"), "nope.rom")
    one_line_error(cli("convert", tmp_path / "nope.hex", tmp_path / "o.bin"), "nope.hex")


# --- checksum -----------------------------------------------------------------------------


def test_checksum_report_and_fix_in_place(cli: Cli, roms: ModuleType, tmp_path: Path) -> None:
    rom = roms.etherboot()
    rom[0x200] ^= 0x5A
    rom[0x3D] ^= 1  # PnP checksum
    f = write(tmp_path / "e.rom", rom)
    res = cli("checksum", f)
    assert res.status == 1 and "ROM BAD" in res.out and "PnP BAD" in res.out
    res = cli("checksum", f, "--fix")
    assert res.status == 0, res.err
    assert "PnP checksum byte at 0x3D" in res.out and "ROM checksum byte at 0x5" in res.out
    assert cli("checksum", f).status == 0


def test_checksum_fix_to_output_needs_force(cli: Cli, roms: ModuleType, tmp_path: Path) -> None:
    rom = roms.ipxe()
    rom[6] ^= 0xFF
    f = write(tmp_path / "i.rom", rom)
    out = write(tmp_path / "o.rom", b"old")
    res = cli("checksum", f, "--fix", "-o", out)
    assert res.status == 2 and "exists" in res.err and out.read_bytes() == b"old"
    assert cli("checksum", f, "--fix", "-o", out, "--force").status == 0
    assert cli("checksum", out).status == 0
    assert f.read_bytes() == bytes(rom)  # the input is untouched
    assert cli("checksum", f, "-o", tmp_path / "x.rom").status == 2  # -o needs --fix


def test_checksum_unknown_family_needs_family(cli: Cli, roms: ModuleType, tmp_path: Path) -> None:
    rom = roms.isa()
    rom[100] ^= 0xFF
    f = write(tmp_path / "isa.rom", rom)
    res = cli("checksum", f, "--fix")
    one_line_error(res, "isa.rom")
    assert "family" in res.err
    assert cli("checksum", f, "--fix", "--family", "generic").status == 0
    assert cli("checksum", f).status == 0
    assert f.read_bytes()[-1] != rom[-1]


def test_checksum_fix_keeps_hex_format(cli: Cli, roms: ModuleType, tmp_path: Path) -> None:
    rom = roms.ipxe()
    rom[6] ^= 0xFF
    src = write(tmp_path / "a.rom", rom)
    assert cli("convert", src, tmp_path / "a.hex").status == 0
    assert cli("checksum", tmp_path / "a.hex", "--fix").status == 0
    assert (tmp_path / "a.hex").read_bytes().startswith(b":")
    assert cli("checksum", tmp_path / "a.hex").status == 0


# --- convert ------------------------------------------------------------------------------


def test_convert_round_trip_and_padding(cli: Cli, tmp_path: Path) -> None:
    data = os.urandom(3000)
    src = write(tmp_path / "in.bin", data)
    assert cli("convert", src, tmp_path / "a.s28", "--base", "0x10000").status == 0
    assert (tmp_path / "a.s28").read_text().splitlines()[1].startswith("S2")
    res = cli(
        "convert", tmp_path / "a.s28", tmp_path / "out.bin", "--base", "0x10000", "--size", "4K"
    )
    assert res.status == 0, res.err
    assert (tmp_path / "out.bin").read_bytes() == data + b"\xff" * (4096 - 3000)
    res = cli(
        "convert",
        tmp_path / "a.s28",
        tmp_path / "full.hex",
        "--base",
        "0x10000",
        "--size",
        "4K",
        "--fill",
        "0",
    )
    assert res.status == 0
    back = cli("convert", tmp_path / "full.hex", tmp_path / "b.bin", "--base", "0x10000")
    assert back.status == 0 and (tmp_path / "b.bin").read_bytes() == data + bytes(1096)


def test_convert_usage_errors(cli: Cli, tmp_path: Path) -> None:
    src = write(tmp_path / "in.bin", b"\x01\x02")
    write(tmp_path / "exists.hex", b"x")
    res = cli("convert", src, tmp_path / "exists.hex")
    one_line_error(res, "exists.hex")
    assert "--force" in res.err
    assert cli("convert", src, tmp_path / "o.xyz").status == 2
    assert cli("convert", src, tmp_path / "o.bin", "--fill", "300").status == 2
    assert cli("convert", src, tmp_path / "o.bin", "--to", "elf").status == 2
    assert cli("convert", src, tmp_path / "o.bin", "--size", "1").status == 2
    assert cli("convert", src, src, "--force").status == 2
    res = cli("convert", write(tmp_path / "h.hex", b"\x00\x01binary"), tmp_path / "o2.bin")
    one_line_error(res, "h.hex")
    assert "--from raw" in res.err
    assert cli("convert", tmp_path / "h.hex", tmp_path / "o3.bin", "--from", "raw").status == 0
    big = write(tmp_path / "big.bin", bytes(5000))
    one_line_error(cli("convert", big, tmp_path / "small.hex", "--size", "4K"), "small.hex")
    empty = write(tmp_path / "empty.hex", b":00000001FF\n")
    for cmd in (["info"], ["scan"], ["checksum"]):
        one_line_error(cli(*cmd, empty), "empty.hex")
    one_line_error(cli("convert", empty, tmp_path / "o5.bin"), "empty.hex")


# --- scan ---------------------------------------------------------------------------------


def test_scan_finds_roms_repeats_and_chains(cli: Cli, roms: ModuleType, tmp_path: Path) -> None:
    dump = bytearray(b"\xff" * 0x40000)
    a = roms.ipxe(blocks=4)
    chained = roms.chain(roms.ipxe(blocks=4, vendor=0x10EC, device=0x8139), roms.efi(blocks=4))
    dump[0x4000 : 0x4000 + len(a)] = a
    dump[0x10000 : 0x10000 + len(chained)] = chained
    dump[0x24000 : 0x24000 + len(a)] = a  # mirrored
    bad = roms.isa(blocks=2)
    bad[100] ^= 1
    dump[0x30800 : 0x30800 + len(bad)] = bad
    f = write(tmp_path / "dump.bin", dump)
    res = cli("scan", f, "--json")
    assert res.status == 1  # the bad one
    data = json.loads(res.out)
    offsets = [(r["offset"], r["checksum_ok"], r["chained"]) for r in data["roms"]]
    assert offsets == [
        (0x4000, True, False),
        (0x10000, True, False),
        (0x10800, True, True),
        (0x24000, True, False),
        (0x30800, False, False),
    ]
    assert data["roms"][3]["repeat_of"] == 0x4000
    assert data["roms"][1]["vendor"] == "10ec" and data["roms"][2]["family"] == "efi"
    assert any("repeats" in w for w in data["warnings"])
    assert any("16 KiB" in w for w in data["warnings"])
    text = cli("scan", f)
    assert "repeat of 0x4000" in text.out and "BAD" in text.out


def test_scan_step_512_finds_unaligned(cli: Cli, roms: ModuleType, tmp_path: Path) -> None:
    dump = bytearray(b"\xff" * 0x4000)
    dump[0x600 : 0x600 + 1024] = roms.isa(blocks=2)
    f = write(tmp_path / "d.bin", dump)
    assert json.loads(cli("scan", f, "--json").out)["roms"] == []
    assert cli("scan", f).status == 1
    res = cli("scan", f, "--json", "--step", "512")
    assert res.status == 0 and json.loads(res.out)["roms"][0]["offset"] == 0x600
    assert cli("scan", f, "--step", "1024").status == 2
