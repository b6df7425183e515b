"""Base layer: errors, units, ranges, timeouts, reporters, atomic files, the image model."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from romtool.errors import (
    EXIT_DEVICE,
    EXIT_INPUT,
    EXIT_MISMATCH,
    DeviceTimeout,
    FormatError,
    ImageError,
    OutputExistsError,
    RomtoolError,
    UsageError,
    VerifyError,
)
from romtool.events import MonotonicReporter, RecordingReporter
from romtool.fileio import read_input, write_atomic
from romtool.image import Image, Overlap
from romtool.ranges import Range, merge
from romtool.timeout import Timeout, scaled_timeout
from romtool.units import format_size, parse_int, parse_pci_id, parse_size


def test_error_message_composes_facts() -> None:
    err = FormatError("bad record checksum", path="a.hex", line=3, expected=0x1F, actual=0x20)
    assert str(err) == "a.hex: line 3: bad record checksum: expected 0x1F, but got 0x20"
    err2 = VerifyError("mismatch", op="write block", address=0x1200)
    assert str(err2) == "write block at 0x1200: mismatch"
    assert err2.exit_status == EXIT_MISMATCH
    assert DeviceTimeout("x").exit_status == EXIT_DEVICE
    assert RomtoolError("x").exit_status == EXIT_INPUT
    assert err.facts()["line"] == 3


@pytest.mark.parametrize(
    ("text", "value"),
    [("42", 42), ("0x2A", 42), ("2Ah", 42), ("0b101010", 42), ("0o52", 42), ("1_000", 1000)],
)
def test_parse_int(text: str, value: int) -> None:
    assert parse_int(text) == value


def test_parse_int_never_octal() -> None:
    # Perl's oct("32768") is 1726; we read decimal.
    assert parse_int("32768") == 32768


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("8192", 8192),
        ("0x2000", 8192),
        ("8K", 8192),
        ("8k", 8192),
        ("1M", 1 << 20),
        ("256Kbit", 32768),
        ("64KiB", 65536),
        ("1.5K", 1536),
    ],
)
def test_parse_size(text: str, value: int) -> None:
    assert parse_size(text) == value


@pytest.mark.parametrize("bad", ["", "abc", "0", "-1", "1.3", "12Q"])
def test_parse_size_rejects(bad: str) -> None:
    with pytest.raises(UsageError):
        parse_size(bad)


def test_parse_pci_id() -> None:
    assert parse_pci_id("8086:100e") == (0x8086, 0x100E)
    assert parse_pci_id("0x10ec,0x8139") == (0x10EC, 0x8139)
    for bad in ("8086", "8086:", "12345:1", "zz:1"):
        with pytest.raises(UsageError):
            parse_pci_id(bad)


def test_format_size() -> None:
    assert format_size(512) == "512 B"
    assert format_size(8192) == "8 KiB"
    assert format_size(75264) == "75264 B (73.5 KiB)"


def test_ranges() -> None:
    r = Range(0, 0x2000)
    assert len(r) == 0x2000 and 0x1FFF in r and 0x2000 not in r
    assert str(r) == "0x0-0x1FFF"
    assert [str(c) for c in Range(0x10, 0x50).chunks(0x20)] == [
        "0x10-0x1F",
        "0x20-0x3F",
        "0x40-0x4F",
    ]
    assert merge([Range(5, 8), Range(0, 2), Range(2, 4)]) == [Range(0, 4), Range(5, 8)]
    with pytest.raises(ImageError):
        Range(5, 4)


def test_timeout_on_virtual_clock() -> None:
    now = [0.0]
    t = Timeout(1.0, clock=lambda: now[0])
    t.check("poll")
    now[0] = 1.5
    assert t.expired and t.remaining == 0.0
    with pytest.raises(DeviceTimeout, match="poll at 0x10: timed out after 1 s"):
        t.check("poll", address=0x10)
    assert scaled_timeout(1.0, 0.001, 2000) == 3.0


def test_monotonic_reporter() -> None:
    rec = RecordingReporter()
    rep = MonotonicReporter(rec)
    rep.stage("write", 100)
    for done in (10, 50, 40, 60):
        rep.progress(done, 100)
    assert [e.done for e in rec.kinds("progress")] == [10, 50, 60]


def test_write_atomic(tmp_path: Path) -> None:
    out = tmp_path / "out.bin"
    write_atomic(out, b"one")
    with pytest.raises(OutputExistsError, match="--force"):
        write_atomic(out, b"two")
    assert out.read_bytes() == b"one"
    write_atomic(out, b"two", force=True)
    assert out.read_bytes() == b"two"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


def test_read_input_errors(tmp_path: Path) -> None:
    (tmp_path / "empty").write_bytes(b"")
    for path, text in (
        (tmp_path / "nope", "no such file"),
        (tmp_path, "is a directory"),
        (tmp_path / "empty", "file is empty"),
    ):
        with pytest.raises(RomtoolError, match=text):
            read_input(path)
    assert os.path.exists(tmp_path)


def test_image_holes_and_fill() -> None:
    img = Image()
    img.add(0x10, b"\x01\x02")
    img.add(0x20, b"\x03")
    assert img.holes() == [Range(0x12, 0x20)]
    assert img.to_bytes(fill=0xFF, start=0x10, stop=0x14) == b"\x01\x02\xff\xff"
    with pytest.raises(ImageError, match="no fill byte"):
        img.to_bytes(fill=None)
    with pytest.raises(ImageError, match="at 0x11: data overlaps"):
        img.add(0x11, b"\x09")
    img.add(0x11, b"\x09", Overlap.REPLACE)
    assert img.read(0x10, 2) == b"\x01\x09"
    img.add(0x10, b"\x07", Overlap.KEEP)
    assert img.read(0x10, 1) == b"\x01"
    img.add(0x12, b"\xaa" * 14)
    assert img.is_contiguous() and len(img) == 17


@given(st.lists(st.tuples(st.integers(0, 300), st.binary(min_size=1, max_size=40)), max_size=20))
def test_image_replace_matches_flat_model(writes: list[tuple[int, bytes]]) -> None:
    img = Image()
    flat: dict[int, int] = {}
    for addr, data in writes:
        img.add(addr, data, Overlap.REPLACE)
        for i, b in enumerate(data):
            flat[addr + i] = b
    assert len(img) == len(flat)
    for seg in img.segments:
        for i, b in enumerate(seg.data):
            assert flat[seg.start + i] == b
    starts = [s.start for s in img.segments]
    assert starts == sorted(starts)
    for a, b in zip(img.segments, img.segments[1:], strict=False):
        assert a.stop < b.start  # coalesced: never touching


def test_pages() -> None:
    img = Image.from_bytes(b"\x00" * 5, base=0x3E)
    pages = list(img.pages(0x20))
    assert [a for a, _ in pages] == [0x20, 0x40]
    assert pages[0][1][:0x1E] == b"\xff" * 0x1E
