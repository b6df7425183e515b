"""diff_bytes/diff_images against a naive per-byte reference."""

from __future__ import annotations

import os
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from romtool.analysis.diff import diff_bytes, diff_images, nonzero_runs
from romtool.image.model import Image
from romtool.ranges import Range


def naive(a: bytes, b: bytes) -> list[Range]:
    out: list[Range] = []
    for i in range(min(len(a), len(b))):
        if a[i] != b[i]:
            if out and out[-1].stop == i:
                out[-1] = Range(out[-1].start, i + 1)
            else:
                out.append(Range(i, i + 1))
    return out


@st.composite
def pairs(draw: st.DrawFn) -> tuple[bytes, bytes]:
    size = draw(st.integers(0, 70000))
    seed = draw(st.integers(0, 2**32 - 1))
    rnd = random.Random(seed)
    a = bytearray(rnd.randbytes(size))
    b = bytearray(a)
    for _ in range(draw(st.integers(0, 40))):
        if not size:
            break
        start = rnd.randrange(size)
        length = rnd.choice([1, 1, 2, 17, 300, 5000])
        for i in range(start, min(size, start + length)):
            b[i] ^= rnd.randrange(1, 256)
    extra = draw(st.integers(0, 3))
    return bytes(a), bytes(b) + bytes(extra)


@settings(max_examples=60, deadline=None)
@given(pairs())
def test_diff_bytes_matches_naive(pair: tuple[bytes, bytes]) -> None:
    a, b = pair
    assert diff_bytes(a, b) == naive(a, b)


def test_runs_across_block_boundaries_are_one_range() -> None:
    a = bytes(200_000)
    b = bytearray(a)
    b[65_530:65_550] = b"\x01" * 20  # crosses the 64 KiB block and 256-byte leaf borders
    assert diff_bytes(a, bytes(b)) == [Range(65_530, 65_550)]


def test_base_offsets_every_range() -> None:
    assert diff_bytes(b"\x00\x01\x02", b"\x00\x00\x02", base=0x1000) == [Range(0x1001, 0x1002)]


def test_equal_inputs_give_no_ranges() -> None:
    data = os.urandom(100_000)
    assert diff_bytes(data, bytes(data)) == []


def test_nonzero_runs() -> None:
    assert list(nonzero_runs(b"\x00\x05\x05\x00\x00\x01", 10)) == [Range(11, 13), Range(15, 16)]


def test_diff_images_sizes_and_holes() -> None:
    a = Image.from_bytes(b"\x11" * 16)
    b = Image.from_bytes(b"\x11" * 8 + b"\x10" + b"\x11" * 11)
    d = diff_images(a, b)
    assert d.differ == (Range(8, 9),)
    assert d.only_b == (Range(16, 20),)
    assert d.only_a == ()
    assert d.bits_differ == 1
    assert d.sizes_differ and not d.same

    holes = Image()
    holes.add(0, b"\x11" * 4)
    holes.add(12, b"\x11" * 4)
    d2 = diff_images(holes, a)
    assert d2.differ == ()
    assert d2.only_b == (Range(4, 12),)
    assert diff_images(a, a.copy()).same
