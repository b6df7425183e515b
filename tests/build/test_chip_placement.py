"""Chip placement: low/high, fill, and the warnings before burning."""

from __future__ import annotations

import pytest

from romtool.errors import BuildError
from romtool.optionrom.placement import Place, place_image

IMAGE = b"\x55\xaa\x10" + bytes(range(253)) * 32 + b"\x00" * 0  # 8099 bytes of pattern


def image(n: int) -> bytes:
    return b"\x55\xaa" + bytes([n // 512]) + bytes((i * 7) & 0xFF for i in range(n - 3))


def test_low_and_high() -> None:
    img = image(8192)
    low = place_image(img, 32768)
    assert low.offset == 0 and low.data[:8192] == img and set(low.data[8192:]) == {0xFF}
    high = place_image(img, 32768, Place.HIGH)
    assert high.offset == 24576 and high.data[24576:] == img and set(high.data[:24576]) == {0xFF}
    assert any("16 KiB boundary" in w for w in high.warnings)
    assert not low.warnings


def test_too_large_is_an_error() -> None:
    with pytest.raises(BuildError, match="larger than the chip"):
        place_image(image(16384), 8192)


def test_socket_warnings() -> None:
    w = place_image(image(16384), 65536, socket_size=8192).warnings
    assert any("will not fit" in x for x in w)
    w = place_image(image(8192), 32768, socket_size=8192).warnings
    assert any("--place high" in x for x in w)


def test_filler_blocks() -> None:
    got = place_image(image(1024), 4096, Place.HIGH, filler=lambda i: bytes([i]) * 512)
    assert got.data[:512] == b"\x00" * 512 and got.data[1024:1536] == b"\x02" * 512
    assert got.data[3072:] == image(1024)
