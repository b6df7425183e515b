"""The command-sequence decoder shared by the 28C/29C/39SF/29F models."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from romtool.programmers.sim.chips.commands import SEQUENCES, Action, Cycle, Decoder

ALL = frozenset(Action)


def feed_all(dec: Decoder, steps: list[tuple[int, int]]) -> list[tuple[Action | None, int]]:
    out = []
    for i, (addr, value) in enumerate(steps):
        action, plain = dec.feed(Cycle(addr, value, float(i)))
        out.append((action, len(plain)))
    return out


def test_every_sequence_completes() -> None:
    for action, seq in SEQUENCES.items():
        dec = Decoder(0x7FFF, ALL)
        steps = [(0x1234 if a < 0 else a, v) for a, v in seq]
        results = feed_all(dec, steps)
        assert results[-1] == (action, 0)
        assert all(r == (None, 0) for r in results[:-1])


def test_masking_and_breaks() -> None:
    dec = Decoder(0x1FFF, ALL)  # an 8 KiB part sees 5555 as 1555
    assert feed_all(dec, [(0x1555, 0xAA), (0x0AAA, 0x55), (0x1555, 0xA0)])[-1][0] is Action.PROGRAM
    dec = Decoder(0x7FFF, ALL)
    assert feed_all(dec, [(0x5555, 0xAA), (0x2AAA, 0x56)]) == [(None, 0), (None, 2)]
    assert dec.pending == []


def test_expire() -> None:
    dec = Decoder(0x7FFF, ALL)
    dec.feed(Cycle(0x5555, 0xAA, 0.0))
    assert dec.expire(100.0, 150.0) == []
    stale = dec.expire(200.0, 150.0)
    assert [c.value for c in stale] == [0xAA] and dec.pending == []


@given(st.lists(st.tuples(st.integers(0, 0xFFFFFFFF), st.integers(0, 255)), max_size=20))
def test_cycles_are_never_lost(steps: list[tuple[int, int]]) -> None:
    # Every cycle ends up in exactly one place: a completed command, a returned plain list,
    # or still pending.
    dec = Decoder(0x7FFF, ALL)
    consumed = 0
    for i, (addr, value) in enumerate(steps):
        before = len(dec.pending)
        action, plain = dec.feed(Cycle(addr, value, float(i)))
        if action is not None:
            consumed += before + 1
        consumed += len(plain)
    assert consumed + len(dec.pending) == len(steps)
