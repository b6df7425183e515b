"""Multi-read stability: unstable ranges, bit positions, majority vote."""

from __future__ import annotations

import os

import pytest

from romtool.analysis.stability import MAX_SAMPLES, _majority, stability
from romtool.errors import InputError
from romtool.ranges import Range


def test_identical_reads_are_stable() -> None:
    data = os.urandom(4096)
    s = stability([data, bytes(data), bytes(data)])
    assert s.stable and s.unstable == () and s.unstable_bits == 0
    assert s.consensus == data


def test_weak_bit_found_and_majority_wins() -> None:
    base = bytearray(os.urandom(1024))
    base[100] = 0b1010_0000
    reads = [bytes(base) for _ in range(5)]
    flipped = bytearray(base)
    flipped[100] ^= 0b0000_1000  # D3 flips in two of five reads
    flipped[700] ^= 0b1000_0000
    reads[1] = bytes(flipped)
    reads[3] = bytes(flipped)
    s = stability(reads)
    assert not s.stable
    assert s.unstable == (Range(100, 101), Range(700, 701))
    assert s.unstable_bytes == 2 and s.unstable_bits == 2
    assert s.bit_flips[3] == 1 and s.bit_flips[7] == 1 and sum(s.bit_flips) == 2
    assert s.consensus == bytes(base)
    sample = s.samples[0]
    assert sample.address == 100
    assert sample.values == (0xA0, 0xA8, 0xA0, 0xA8, 0xA0)
    assert sample.flips == 0x08 and sample.majority == 0xA0


def test_majority_ties_take_first_read() -> None:
    assert _majority([0b1100, 0b1010], 4) == 0b1100
    assert _majority([0b1, 0b0, 0b1, 0b0], 1) == 0b1
    assert _majority([0b0, 0b1, 0b1], 1) == 0b1
    assert _majority([0xF0, 0x0F, 0xFF, 0x00, 0xF0], 8) == 0xF0


def test_sizes_differ_is_unstable_and_samples_are_capped() -> None:
    a = bytes(2000)
    b = b"\xff" * 2000 + b"x"
    s = stability([a, b])
    assert s.size == 2000 and s.sizes == (2000, 2001)
    assert len(s.samples) == MAX_SAMPLES and s.unstable_bytes == 2000
    assert not s.stable
    assert s.as_dict(max_ranges=1)["unstable_ranges"] == 1


def test_needs_two_reads() -> None:
    with pytest.raises(InputError):
        stability([b"x"])
