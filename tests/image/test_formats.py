"""File formats: round trips, record-type choice, detection, and every bad-input class."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from romtool.errors import FormatError, ImageError, InputError, OutputExistsError, UsageError
from romtool.image import Image
from romtool.image.formats import (
    Format,
    detect_format,
    load_image,
    parse_format,
    parse_image,
    render_image,
    save_image,
    sniff_format,
)

GOOD_HEX = b":0400000001020304F2\n:00000001FF\n"
GOOD_S19 = b"S107010001010101F3\nS9030000FC\n"


def sparse_image() -> Image:
    img = Image()
    img.add(0x0000, bytes(range(256)) * 2)
    img.add(0x7F00, b"\xaa" * 0x100)
    return img


@pytest.mark.parametrize("fmt", [Format.IHEX, Format.SREC])
def test_round_trip_keeps_holes(fmt: Format) -> None:
    img = sparse_image()
    text = render_image(img, fmt)
    back = parse_image(text, fmt)
    assert back == img
    assert len(back.holes()) == 1


@pytest.mark.parametrize(
    ("stop", "ihex_ext", "srec_types"),
    [
        (0x10000, False, {"S0", "S1", "S5", "S9"}),
        (0x10001, True, {"S0", "S2", "S5", "S8"}),
        (0x1000000, True, {"S0", "S2", "S5", "S8"}),
        (0x1000001, True, {"S0", "S3", "S5", "S7"}),
    ],
)
def test_smallest_record_type(stop: int, ihex_ext: bool, srec_types: set[str]) -> None:
    img = Image.from_bytes(b"\x12\x34", stop - 2)
    hex_text = render_image(img, Format.IHEX).decode()
    has_ext = any(line[7:9] == "04" for line in hex_text.splitlines())
    assert has_ext == ihex_ext
    srec = render_image(img, Format.SREC).decode()
    assert {line[:2] for line in srec.splitlines()} == srec_types
    assert parse_image(hex_text.encode(), Format.IHEX) == img
    assert parse_image(srec.encode(), Format.SREC) == img


def test_extended_segment_records_are_read() -> None:
    # 02 record: segment 0x1000 -> base 0x10000
    text = b":020000021000EC\n:0400000001020304F2\n:00000001FF\n"
    img = parse_image(text, Format.IHEX)
    assert img.start == 0x10000 and img.read(0x10000, 4) == b"\x01\x02\x03\x04"


def test_extended_linear_records_are_read() -> None:
    text = b":020000040002F8\n:0400000001020304F2\n:00000001FF\n"
    assert parse_image(text, Format.IHEX).start == 0x20000


def test_s28_and_s37_are_read() -> None:
    img = Image.from_bytes(b"\x01\x02", 0x123456)
    for text in (render_image(img, Format.SREC),):
        assert parse_image(text, Format.SREC) == img
    s37 = b"S3090100000001020304EB\nS70500000000FA\n"
    got = parse_image(s37, Format.SREC)
    assert got.start == 0x01000000 and got.read(0x01000000, 4) == b"\x01\x02\x03\x04"


@pytest.mark.parametrize(
    ("text", "pattern", "line"),
    [
        (
            b":0400000001020304F3\n:00000001FF\n",
            r"bad record checksum: expected 0xF2, but got 0xF3",
            1,
        ),
        (b":0400000001020304F2\n:0400020001020304F0\n:00000001FF\n", "overlaps", 2),
        (b":0400000001020304F2\n", "no end-of-file record", 1),
        (b":0400000001020304F2\n:04000400010203\n", "length", 2),
        (b":0400000001020304F2\nhello\n:00000001FF\n", "junk", 2),
        (b":0400000001020304F2\n:00000001FF\n:0400000001020304F2\n", "after the end-of-file", 3),
        (b":0400000001020304F2\n:00000001FF\n\x00\x01\xff", "binary data", 3),
        (b"   \n\n", "only whitespace", None),
        (b":04000000010203ZZF2\n:00000001FF\n", "not an Intel HEX record", 1),
    ],
)
def test_bad_hex(text: bytes, pattern: str, line: int | None) -> None:
    with pytest.raises(FormatError, match=pattern) as info:
        parse_image(text, Format.IHEX, path="x.hex")
    assert info.value.path == "x.hex"
    assert info.value.line == line
    assert str(info.value).startswith("x.hex")


@pytest.mark.parametrize(
    ("text", "pattern", "line"),
    [
        (b"S107010001010101F4\nS9030000FC\n", r"checksum: expected 0xF3, but got 0xF4", 1),
        (b"S107010001010101F3\nS107010201010101F1\nS9030000FC\n", "overlaps", 2),
        (b"S107010001010101F3\n", "looks truncated", 1),
        (b"S107010001010101F3\nS5030001FB\nS107020001010101F2\n", "after the record count", 3),
        (b"S107010001010101\nS9030000FC\n", "length", 1),
        (b"S107010001010101F3\nxyz\nS9030000FC\n", "junk", 2),
        (b"S107010001010101F3\nS9030000FC\nS107020001010101F2\n", "after the termination", 3),
        (b"S107010001010101F3\nS5030002FA\nS9030000FC\n", "record count", 2),
        (b"S10701000101010Q F3\nS9030000FC\n", "non-hex", 1),
        (b"SX07010001010101F3\n", "unknown record type", 1),
        (b"\x7fELF\x02\x01", "binary data", 1),
    ],
)
def test_bad_srec(text: bytes, pattern: str, line: int | None) -> None:
    with pytest.raises(FormatError, match=pattern) as info:
        parse_image(text, Format.SREC, path="x.s19")
    assert info.value.line == line


def test_detection_by_extension_and_content(tmp_path: Path) -> None:
    assert detect_format("a.HEX", b"") is Format.IHEX
    assert detect_format("a.mot", b"") is Format.SREC
    assert detect_format("a.rom", GOOD_HEX) is Format.RAW
    assert detect_format("a.dat", GOOD_HEX) is Format.IHEX
    assert detect_format("a.dat", GOOD_S19) is Format.SREC
    assert detect_format("a.dat", b"\x55\xaa\x10") is Format.RAW
    assert sniff_format(b"Some text") is Format.RAW
    assert parse_format("S19") is Format.SREC
    with pytest.raises(UsageError, match="unknown format"):
        parse_format("elf")


def test_hex_file_with_binary_content_says_so(tmp_path: Path) -> None:
    p = tmp_path / "rom.hex"
    p.write_bytes(b"\x55\xaa\x10\xe9" + os.urandom(100))
    with pytest.raises(FormatError, match="binary data where Intel HEX records should be") as info:
        load_image(p)
    assert "--from raw" in str(info.value)


def test_load_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="empty"):
        (tmp_path / "e.bin").write_bytes(b"")
        load_image(tmp_path / "e.bin")
    with pytest.raises(InputError, match="directory"):
        load_image(tmp_path)
    with pytest.raises(InputError, match="no such file"):
        load_image(tmp_path / "missing.hex")


def test_raw_base_and_save(tmp_path: Path) -> None:
    img = load_image(_write(tmp_path / "in.bin", b"\x01\x02\x03"), base=0x100)
    assert img.start == 0x100
    out = tmp_path / "out.bin"
    save_image(out, img, base=0x100, size=8, fill=0xEE)
    assert out.read_bytes() == b"\x01\x02\x03" + b"\xee" * 5
    with pytest.raises(OutputExistsError):
        save_image(out, img, base=0x100)
    save_image(out, img, force=True, fill=0)
    assert out.read_bytes() == bytes(0x100) + b"\x01\x02\x03"
    with pytest.raises(ImageError, match="below the output base"):
        save_image(tmp_path / "o2.bin", img, base=0x200)
    with pytest.raises(ImageError, match="does not fit"):
        save_image(tmp_path / "o3.bin", img, size=0x101)
    with pytest.raises(UsageError, match="output format"):
        save_image(tmp_path / "o4.xyz", img)


def test_save_text_formats(tmp_path: Path) -> None:
    img = sparse_image()
    for name in ("a.hex", "a.s19"):
        save_image(tmp_path / name, img)
        assert load_image(tmp_path / name) == img


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("fmt", [Format.IHEX, Format.SREC])
def test_crlf_lowercase_bom_and_dos_eof(fmt: Format) -> None:
    img = sparse_image()
    text = render_image(img, fmt).decode()
    variant = "\ufeff" + text.lower().replace("s", "S").replace("\n", "\r\n") + "\x1a"
    assert parse_image(variant.encode("utf-8"), fmt) == img
