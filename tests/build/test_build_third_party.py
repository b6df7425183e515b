"""Third-party tools read what build writes: srecord (HEX/S-records), romheaders (PCIR)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require_tool

pytestmark = pytest.mark.e2e


def test_srec_cat_reads_our_hex_and_srec_back_to_the_raw_rom(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    srec_cat = require_tool("srec_cat")
    monkeypatch.chdir(tmp_path)
    for out in ("st.bin", "st.hex", "st.s19"):
        assert cli("build", "--payload", "selftest", "--pci", "10ec:8139", "--chip", "2764",
                   "-o", out).status == 0  # fmt: skip
    raw = (tmp_path / "st.bin").read_bytes()
    for name, fmt in (("st.hex", "-intel"), ("st.s19", "-motorola")):
        back = tmp_path / f"{name}.bin"
        subprocess.run([srec_cat, name, fmt, "-o", str(back), "-binary"], check=True)
        assert back.read_bytes() == raw


def test_romheaders_reads_our_pcir(cli: Any, tmp_path: Path, monkeypatch: Any) -> None:
    romheaders = require_tool("romheaders")
    monkeypatch.chdir(tmp_path)
    assert cli("build", "--payload", "selftest", "--pci", "10ec:8139", "-o", "st.rom").status == 0
    text = subprocess.run([romheaders, "st.rom"], capture_output=True, text=True, check=True).stdout
    # romheaders always exits 0: read its text.
    assert "Vendor ID: 0x10ec" in text and "Device ID: 0x8139" in text
    assert "Class Code: 0x020000" in text and "Image Length: 0x0004 blocks" in text
    assert "Last-Image Flag: 0x80" in text and "Not Ok" not in text
