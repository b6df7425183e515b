"""Digests and the exact chunked byte sum."""

from __future__ import annotations

import hashlib
import zlib

from hypothesis import given, settings
from hypothesis import strategies as st

from romtool.analysis.hashes import SUM_CHUNK, byte_sum, digests, sum8


@settings(max_examples=80, deadline=None)
@given(st.binary(max_size=3 * SUM_CHUNK // 2))
def test_byte_sum_is_exact(data: bytes) -> None:
    assert byte_sum(data) == sum(data)


def test_worst_case_chunks_are_exact() -> None:
    data = b"\xff" * (SUM_CHUNK * 3 + 7)
    assert byte_sum(data) == 255 * len(data)
    assert byte_sum(b"\xfe" * SUM_CHUNK) == 254 * SUM_CHUNK


def test_digests() -> None:
    data = b"\x55\xaa\x01" + bytes(509)
    d = digests(data)
    assert d.size == 512
    assert d.crc32 == zlib.crc32(data)
    assert d.md5 == hashlib.md5(data).hexdigest()
    assert d.sha256 == hashlib.sha256(data).hexdigest()
    assert d.sum8 == sum8(data) == (0x55 + 0xAA + 1) & 0xFF
    assert d.as_dict()["crc32"] == f"{zlib.crc32(data):08x}"
