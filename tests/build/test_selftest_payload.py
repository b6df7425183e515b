"""The self-test payload: reproducible assembly, the template layout, the builder."""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from romtool.errors import BuildError
from romtool.optionrom import selftest
from romtool.optionrom.rom import RomImage
from tests.build.synth import sum8
from tests.conftest import require_tool

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "firmware" / "x86" / "selftest.asm"


def test_reassembling_the_source_gives_the_packaged_bytes(tmp_path: Path) -> None:
    nasm = require_tool("nasm")
    out = tmp_path / "selftest.bin"
    subprocess.run([nasm, "-f", "bin", "-o", str(out), str(SOURCE)], check=True)
    assert out.read_bytes() == selftest.template()


def test_template_layout_matches_the_module_constants() -> None:
    t = selftest.template()
    assert len(t) % 512 == 0 and t[2] == 0 and t[6] == 0
    assert t[3] == 0xE9  # near jump: byte 6 is free for the checksum
    assert struct.unpack_from("<HH", t, 0x18) == (selftest.PCIR_OFF, selftest.PNP_OFF)
    assert t[selftest.PCIR_OFF : selftest.PCIR_OFF + 4] == b"PCIR"
    assert struct.unpack_from("<H", t, selftest.PCIR_OFF + 0x0A)[0] == selftest.PCIR_LEN
    assert t[selftest.PNP_OFF : selftest.PNP_OFF + 4] == b"$PnP"
    assert t[selftest.INFO_OFF : selftest.INFO_OFF + 5] == b"RTST\x01"
    assert f"romtool self-test {selftest.VERSION}".encode() in t


def test_pci_build_fills_ids_lengths_and_checksums() -> None:
    rom = selftest.build_selftest((0x8086, 0x100E))
    img = RomImage(rom)
    assert img.size == len(rom) and rom[2] == len(rom) // 512
    pcir = img.pcir
    assert pcir is not None and (pcir.vendor, pcir.device) == (0x8086, 0x100E)
    assert pcir.image_blocks == rom[2] and pcir.runtime_blocks == rom[2]
    assert sum8(rom[selftest.PNP_OFF : selftest.PNP_OFF + 32]) == 0
    assert sum8(rom) == 0


def test_isa_build_has_no_pcir() -> None:
    rom = selftest.build_selftest(None, size=8192)
    assert len(rom) == 8192 and rom[2] == 16
    assert struct.unpack_from("<H", rom, 0x18)[0] == 0
    assert b"PCIR" not in rom[:0x40]
    assert RomImage(rom).pcir is None and sum8(rom) == 0


def test_qemu_flags_pause_and_layout_are_recorded() -> None:
    flags = selftest.SelftestFlag.DEBUGCON | selftest.SelftestFlag.EXIT_BEV
    layout = selftest.ChipLayout(32768, 24576)
    rom = selftest.build_selftest(None, size=8192, flags=flags, pause_seconds=0, layout=layout)
    info = selftest.INFO_OFF
    assert rom[info + 5] == 0x05 and rom[info + 6] == 0
    assert struct.unpack_from("<HH", rom, info + 8) == (64, 48)
    assert sum8(rom) == 0


def test_3c503_build_is_8k_with_80_80() -> None:
    rom = selftest.build_selftest(None, three_c503=True)
    assert len(rom) == 8192 and rom[-2:] == b"\x80\x80" and sum8(rom) == 0
    with pytest.raises(BuildError, match="8 KiB"):
        selftest.build_selftest(None, three_c503=True, size=16384)


def test_fill_blocks_carry_their_index() -> None:
    block = selftest.fill_block(0x1234)
    assert len(block) == 512 and block[:8] == b"RTFILL\x34\x12" and set(block[8:]) == {0xFF}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"size": 1000}, "multiple of 512"),
        ({"size": 1024}, "too small"),
        ({"size": 131072}, "too large"),
        ({"pause_seconds": 20}, "pause"),
        ({"layout": selftest.ChipLayout(8192, 8192)}, "does not fit"),
    ],
)
def test_bad_requests(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(BuildError, match=match):
        selftest.build_selftest(None, **kwargs)  # type: ignore[arg-type]


@settings(max_examples=25, deadline=None)
@given(
    blocks=st.integers(4, 255),
    pci=st.one_of(st.none(), st.tuples(st.integers(0, 0xFFFF), st.integers(0, 0xFFFF))),
)
def test_every_selftest_build_sums_to_zero(blocks: int, pci: tuple[int, int] | None) -> None:
    rom = selftest.build_selftest(pci, size=blocks * 512)
    assert sum8(rom) == 0 and rom[2] == blocks
    assert selftest.build_selftest(pci, size=blocks * 512) == rom
