"""Property tests: whatever the chip holds and the image wants, plan + apply gives the image."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from romtool.algorithms import dispatch
from romtool.algorithms.plan import BlockAction, plan_write
from romtool.chips import get_chip
from romtool.image.model import Image

from .conftest import make  # type: ignore[import-not-found]

SPAN = 0x3000  # the first three 4 KiB sectors of an SST39SF010A / 48 pages of an AT28C256


@st.composite
def chip_and_image(draw: st.DrawFn) -> tuple[bytes, Image]:
    have = bytearray(b"\xff" * SPAN)
    for _ in range(draw(st.integers(0, 4))):
        start = draw(st.integers(0, SPAN - 1))
        chunk = draw(st.binary(min_size=1, max_size=64))
        have[start : start + len(chunk)] = chunk[: SPAN - start]
    image = Image()
    pos = 0
    for _ in range(draw(st.integers(1, 3))):
        pos += draw(st.integers(0, 0x800))
        data = draw(st.binary(min_size=1, max_size=80))
        if pos + len(data) > SPAN:
            break
        image.add(pos, data)
        pos += len(data)
    return bytes(have[:SPAN]), image


def _expected(have: bytes, image: Image) -> bytes:
    out = bytearray(have)
    for seg in image.segments:
        out[seg.start : seg.stop] = seg.data
    return bytes(out)


@settings(max_examples=25, deadline=None)
@given(chip_and_image())
def test_jedec_plan_apply(case: tuple[bytes, Image]) -> None:
    have, image = case
    spec = get_chip("SST39SF010A")
    full = have + b"\xff" * (spec.size - SPAN)
    model, bus = make("SST39SF010A", data=full)
    plan = plan_write(spec, full, image)
    dispatch.apply_plan(bus, plan)
    assert model.snapshot()[:SPAN] == _expected(have, image)
    erased = {b.range.start for b in plan.with_action(BlockAction.ERASE)}
    assert model.erases == len(erased)


@settings(max_examples=25, deadline=None)
@given(chip_and_image())
def test_eeprom_plan_apply(case: tuple[bytes, Image]) -> None:
    have, image = case
    spec = get_chip("AT28C256")
    full = have + b"\xff" * (spec.size - SPAN)
    model, bus = make("AT28C256", data=full)
    plan = plan_write(spec, full, image)
    dispatch.apply_plan(bus, plan)
    assert model.snapshot()[:SPAN] == _expected(have, image)
    assert model.page_writes == len(plan.with_action(BlockAction.PROGRAM))
