"""srecord (srec_cat / srec_cmp) judges our Intel HEX and S-record output, and we read its."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from romtool.image import Image
from romtool.image.formats import Format, load_image, save_image
from tests.conftest import require_tool

pytestmark = pytest.mark.e2e


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=60)


def images() -> list[Image]:
    sparse = Image()
    sparse.add(0x0000, os.urandom(0x2000))
    sparse.add(0x6000, os.urandom(0x123))
    high = Image()
    high.add(0x1FFF0, os.urandom(0x40))  # crosses 64 KiB: extended records / S28
    huge = Image.from_bytes(os.urandom(0x100), 0x01FFFF80)  # above 16 MiB: S37
    return [sparse, high, huge]


@pytest.mark.parametrize("index", [0, 1, 2])
@pytest.mark.parametrize(("ext", "flag"), [(".hex", "-intel"), (".s19", "-motorola")])
def test_srec_cat_reads_our_output(tmp_path: Path, index: int, ext: str, flag: str) -> None:
    srec_cat = require_tool("srec_cat")
    img = images()[index]
    ours = tmp_path / f"ours{ext}"
    save_image(ours, img)
    # srec_cat re-emits it as binary from the lowest address; compare with our bytes.
    out = tmp_path / "back.bin"
    span = img.span
    assert span is not None
    res = run(
        srec_cat,
        ours,
        flag,
        "-fill",
        "0xFF",
        span.start,
        span.stop,
        "-offset",
        -span.start,
        "-o",
        out,
        "-binary",
    )
    assert res.returncode == 0, res.stderr
    assert out.read_bytes() == img.to_bytes(fill=0xFF)


@pytest.mark.parametrize("index", [0, 1, 2])
def test_srec_cmp_hex_equals_srec(tmp_path: Path, index: int) -> None:
    srec_cmp = require_tool("srec_cmp")
    img = images()[index]
    save_image(tmp_path / "a.hex", img)
    save_image(tmp_path / "a.s37", img)
    res = run(srec_cmp, tmp_path / "a.hex", "-intel", tmp_path / "a.s37", "-motorola")
    assert res.returncode == 0, res.stdout + res.stderr


@pytest.mark.parametrize(("ext", "flag"), [(".hex", "-intel"), (".srec", "-motorola")])
def test_we_read_srec_cat_output(tmp_path: Path, ext: str, flag: str) -> None:
    srec_cat = require_tool("srec_cat")
    data = os.urandom(0x12345)
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    text = tmp_path / f"t{ext}"
    res = run(srec_cat, src, "-binary", "-offset", 0x8000, "-o", text, flag)
    assert res.returncode == 0, res.stderr
    img = load_image(text)
    assert img.start == 0x8000 and img.to_bytes() == data


def test_raw_convert_matches_srec_cat(tmp_path: Path) -> None:
    srec_cat = require_tool("srec_cat")
    img = images()[0]
    save_image(tmp_path / "a.hex", img)
    ours = tmp_path / "ours.bin"
    save_image(ours, load_image(tmp_path / "a.hex"), fmt=Format.RAW, size=0x8000, fill=0xFF)
    theirs = tmp_path / "theirs.bin"
    res = run(
        srec_cat,
        tmp_path / "a.hex",
        "-intel",
        "-fill",
        "0xFF",
        0,
        0x8000,
        "-o",
        theirs,
        "-binary",
    )
    assert res.returncode == 0, res.stderr
    assert ours.read_bytes() == theirs.read_bytes()
