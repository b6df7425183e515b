"""romheaders (fcode-utils) and ``romtool info`` agree on the PCIR of Debian's iPXE ROMs."""

from __future__ import annotations

import glob
import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.conftest import require_file, require_tool

pytestmark = pytest.mark.e2e

IPXE_DIR = "/usr/lib/ipxe/qemu"
FIELDS = {
    "Vendor ID": ("vendor", lambda v: f"{int(v, 16):04x}"),
    "Device ID": ("device", lambda v: f"{int(v, 16):04x}"),
    "PCI Data Structure Length": ("struct_length", lambda v: int(v, 16)),
    "PCI Data Structure Revision": ("revision", lambda v: int(v, 16)),
    "Class Code": ("class", lambda v: f"{int(v, 16):06x}"),
    "Image Length": ("image_blocks", lambda v: int(v, 16)),
    "Revision Level of Code/Data": ("code_revision", lambda v: int(v, 16)),
    "Code Type": ("code_type", lambda v: int(v, 16)),
    "Last-Image Flag": ("indicator", lambda v: int(v, 16)),
}


def romheaders_pcirs(path: str) -> list[dict[str, Any]]:
    """Per image, the PCIR fields romheaders prints (it always exits 0; read the text)."""
    tool = require_tool("romheaders")
    out = subprocess.run([tool, path], capture_output=True, text=True, timeout=60).stdout
    images: list[dict[str, Any]] = []
    for block in re.split(r"^Image \d+:$", out, flags=re.M)[1:]:
        assert "'PCIR' (Ok)" in block, block
        fields: dict[str, Any] = {}
        for label, (key, conv) in FIELDS.items():
            m = re.search(rf"^\s+{re.escape(label)}:\s+(0x[0-9a-fA-F]+)", block, flags=re.M)
            assert m, f"{label} missing in romheaders output"
            fields[key] = conv(m.group(1))
        images.append(fields)
    return images


def debian_roms(prefix: str) -> list[str]:
    require_file(f"{IPXE_DIR}/{prefix}-e1000.rom", "ipxe-qemu")
    return sorted(glob.glob(f"{IPXE_DIR}/{prefix}-*.rom"))


@pytest.mark.parametrize("prefix", ["pxe", "efi"])
def test_romheaders_agrees_on_pcir(cli: Callable[..., Any], prefix: str) -> None:
    files = debian_roms(prefix)
    assert files
    for path in files:
        res = cli("info", path, "--json")
        assert res.status == 0, (path, res.out, res.err)
        ours = json.loads(res.out)["images"]
        theirs = romheaders_pcirs(path)
        assert len(ours) == len(theirs) == (1 if prefix == "pxe" else 2), path
        for mine, other in zip(ours, theirs, strict=True):
            pci = mine["pci"]
            for key, value in other.items():
                assert pci[key] == value, (path, key, pci[key], value)
            assert pci["last"] == bool(other["indicator"] & 0x80)
            assert mine["checksum_ok"] is True


def test_romheaders_agrees_on_synthetic_chain(
    cli: Callable[..., Any], roms: ModuleType, tmp_path: Path
) -> None:
    f = tmp_path / "chain.rom"
    f.write_bytes(
        roms.chain(
            roms.ipxe(vendor=0x10EC, device=0x8139, blocks=6), roms.efi(vendor=0x10EC, blocks=5)
        )
    )
    ours = json.loads(cli("info", f, "--json").out)["images"]
    theirs = romheaders_pcirs(str(f))
    assert [o["pci"]["image_blocks"] for o in ours] == [t["image_blocks"] for t in theirs]
    assert [o["pci"]["vendor"] for o in ours] == [t["vendor"] for t in theirs] == ["10ec"] * 2


def test_romheaders_agrees_on_a_vga_bios(cli: Callable[..., Any]) -> None:
    # A rev-0 PCIR far from the header (0x99DC), class 030000: not an iPXE layout.
    path = require_file("/usr/share/seabios/vgabios-stdvga.bin", "seabios")
    res = cli("info", path, "--json")
    assert res.status == 0, res.err
    (mine,) = json.loads(res.out)["images"]
    (theirs,) = romheaders_pcirs(path)
    for key, value in theirs.items():
        assert mine["pci"][key] == value, key
    assert mine["family"] == "unknown"
