"""Multi-read stability: read one chip N times and find the bits that flip.

A worn EPROM, a chip at the edge of its erase/program margin, or a marginal contact reads
differently from one read to the next. Comparing N reads of the same chip shows which bytes are
unstable, which bit positions flip (one position everywhere points at a data line, scattered
positions at weak cells), and a per-bit majority vote that is the best guess of the real
contents.

All work is big-integer bit operations over the whole dump (C speed): the OR of each read's XOR
with the first gives the unstable bits; a bit-sliced counter gives the majority vote.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from romtool.analysis.diff import nonzero_runs, per_bit_counts
from romtool.errors import InputError
from romtool.ranges import Range, total_length

MAX_SAMPLES = 256
"""Unstable bytes listed with every read's value (the rest are counted, not listed)."""


@dataclass(frozen=True)
class UnstableByte:
    """One byte that did not read the same every time.

    Attributes:
        address: its address.
        values: the value of each read, in read order.
        flips: the bits that took both values (OR of XORs with the first read).
        majority: the per-bit majority value.
    """

    address: int
    values: tuple[int, ...]
    flips: int
    majority: int


@dataclass(frozen=True)
class Stability:
    """Result of comparing N reads of one chip.

    Attributes:
        reads: number of reads compared.
        size: number of bytes compared (the shortest read).
        sizes: each read's size.
        unstable: ranges of bytes that did not read the same every time.
        unstable_bytes: their total length.
        unstable_bits: number of bit cells that took both values.
        bit_flips: per data bit 0..7, how many unstable bytes flip that bit.
        samples: the first :data:`MAX_SAMPLES` unstable bytes in detail.
        consensus: the per-bit majority of all reads (ties take the first read's bit).
    """

    reads: int
    size: int
    sizes: tuple[int, ...]
    unstable: tuple[Range, ...]
    unstable_bytes: int
    unstable_bits: int
    bit_flips: tuple[int, ...]
    samples: tuple[UnstableByte, ...] = field(default=())
    consensus: bytes = b""

    @property
    def stable(self) -> bool:
        """True when every read gave the same bytes (sizes included)."""
        return not self.unstable and len(set(self.sizes)) == 1

    def as_dict(self, *, max_ranges: int | None = None) -> dict[str, object]:
        ranges = self.unstable if max_ranges is None else self.unstable[:max_ranges]
        return {
            "reads": self.reads,
            "size": self.size,
            "sizes": list(self.sizes),
            "stable": self.stable,
            "unstable_bytes": self.unstable_bytes,
            "unstable_bits": self.unstable_bits,
            "bit_flips": {f"D{bit}": n for bit, n in enumerate(self.bit_flips)},
            "unstable": [{"start": r.start, "stop": r.stop} for r in ranges],
            "unstable_ranges": len(self.unstable),
            "samples": [
                {
                    "address": s.address,
                    "values": list(s.values),
                    "flips": s.flips,
                    "majority": s.majority,
                }
                for s in self.samples
            ],
        }


def _majority(reads: Sequence[int], nbits: int) -> int:
    """Per-bit majority of big integers (ties: the first one's bit).

    A bit-sliced binary counter adds the reads bit-parallel; comparing the counter against
    ``len(reads) // 2`` from its top bit gives "more than half" in a few big-int operations.
    """
    mask = (1 << nbits) - 1
    counter: list[int] = []
    for value in reads:
        carry = value
        for i in range(len(counter)):
            counter[i], carry = counter[i] ^ carry, counter[i] & carry
            if not carry:
                break
        if carry:
            counter.append(carry)
    half = len(reads) // 2
    greater, equal = 0, mask
    for i in reversed(range(max(len(counter), half.bit_length()))):
        c = counter[i] if i < len(counter) else 0
        if (half >> i) & 1:
            equal &= c
        else:
            greater |= equal & c
            equal &= c ^ mask
    result = greater
    if len(reads) % 2 == 0:
        result |= equal & reads[0]  # an exact tie
    return result


def stability(reads: Sequence[bytes]) -> Stability:
    """Compare N reads of one chip.

    Args:
        reads: two or more dumps of the same chip, in read order. Reads of different length
            are compared over the shortest; the sizes are reported.

    Raises:
        InputError: fewer than two reads.
    """
    if len(reads) < 2:
        raise InputError(
            "stability needs at least two reads of the same chip", expected=2, actual=len(reads)
        )
    n = min(len(r) for r in reads)
    ints = [int.from_bytes(r[:n], "big") for r in reads]
    flips = 0
    for value in ints[1:]:
        flips |= ints[0] ^ value
    flip_bytes = flips.to_bytes(n, "big")
    unstable = list(nonzero_runs(flip_bytes))
    consensus = reads[0][:n]
    if unstable:
        consensus = _majority(ints, 8 * n).to_bytes(n, "big")
    samples: list[UnstableByte] = []
    for r in unstable:
        for address in range(r.start, r.stop):
            if len(samples) >= MAX_SAMPLES:
                break
            samples.append(
                UnstableByte(
                    address,
                    tuple(read[address] for read in reads),
                    flip_bytes[address],
                    consensus[address],
                )
            )
    return Stability(
        reads=len(reads),
        size=n,
        sizes=tuple(len(r) for r in reads),
        unstable=tuple(unstable),
        unstable_bytes=total_length(unstable),
        unstable_bits=flips.bit_count(),
        bit_flips=per_bit_counts(flips, n) if unstable else (0,) * 8,
        samples=tuple(samples),
        consensus=consensus,
    )
