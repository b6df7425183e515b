"""Image.from_records: many small records in linear time, same result as add()."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from romtool.errors import ImageError
from romtool.image import Image, Overlap


def test_adjacent_records_become_one_segment() -> None:
    records = [(i * 16, bytes([i & 0xFF]) * 16) for i in range(4096)]  # 64 KiB in 16-byte rows
    img = Image.from_records(records)
    assert len(img.segments) == 1 and len(img) == 65536
    assert img.read(16 * 100, 16) == bytes([100]) * 16


def test_holes_and_out_of_order_records() -> None:
    img = Image.from_records([(0x100, b"bb"), (0x0, b"aa"), (0x102, b"cc"), (0x2, b"x")])
    assert [(s.start, s.data) for s in img.segments] == [(0x0, b"aax"), (0x100, b"bbcc")]


def test_overlap_policy_applies() -> None:
    with pytest.raises(ImageError, match="overlaps"):
        Image.from_records([(0, b"abcd"), (2, b"zz")])
    img = Image.from_records([(0, b"abcd"), (2, b"zz")], Overlap.REPLACE)
    assert img.to_bytes() == b"abzz"


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 512), st.binary(min_size=1, max_size=20)), max_size=30))
def test_same_as_adding_one_by_one(records: list[tuple[int, bytes]]) -> None:
    one_by_one = Image()
    for address, data in records:
        one_by_one.add(address, data, Overlap.REPLACE)
    assert Image.from_records(records, Overlap.REPLACE) == one_by_one
