"""Write planning per block: skip / program / erase / needs UV erase."""

from __future__ import annotations

import pytest

from romtool.algorithms import dispatch
from romtool.algorithms.plan import BlockAction, plan_write
from romtool.chips import get_chip
from romtool.errors import PlanRefused
from romtool.image.model import Image

from .conftest import make  # type: ignore[import-not-found]


def test_eprom_plan_program_skip_refuse() -> None:
    spec = get_chip("27C256")
    have = bytearray(b"\xff" * spec.size)
    have[0:256] = b"\x0f" * 256
    want = Image.from_bytes(b"\x0f" * 256 + b"\x01" * 256)
    plan = plan_write(spec, bytes(have), want)
    assert plan.blocks[0].action is BlockAction.SKIP
    assert plan.blocks[1].action is BlockAction.PROGRAM
    assert all(b.action is BlockAction.SKIP for b in plan.blocks[2:])
    plan.check()
    want2 = Image.from_bytes(b"\xf0" * 16)  # needs 0 -> 1 in block 0
    refused = plan_write(spec, bytes(have), want2)
    assert refused.blocks[0].action is BlockAction.NEEDS_UV_ERASE
    with pytest.raises(PlanRefused) as exc:
        refused.check()
    assert exc.value.address == 0 and "UV" in str(exc.value)


def test_flash_plan_erases_sector_and_keeps_holes() -> None:
    spec = get_chip("SST39SF010A")
    have = bytearray(b"\xff" * spec.size)
    have[0x1000:0x2000] = b"\x00" * 0x1000
    want = Image()
    want.add(0x1100, b"\xff\x7f")  # inside sector 1: needs erase
    want.add(0x3000, b"\x00")  # sector 3: program
    plan = plan_write(spec, bytes(have), want)
    actions = [b.action for b in plan.blocks[:4]]
    assert actions == [BlockAction.SKIP, BlockAction.ERASE, BlockAction.SKIP, BlockAction.PROGRAM]
    erase_block = plan.blocks[1]
    assert erase_block.data[:0x100] == b"\x00" * 0x100  # hole keeps the chip's bytes
    assert erase_block.changed == 2

    model, bus = make("SST39SF010A", data=bytes(have))
    report = dispatch.apply_plan(bus, plan)
    snap = model.snapshot()
    assert snap[0x1100:0x1102] == b"\xff\x7f"
    assert snap[0x1000:0x1100] == b"\x00" * 0x100 and snap[0x1102:0x2000] == b"\x00" * 0xEFE
    assert snap[0x3000] == 0 and report.erased == 0x1000


def test_eeprom_and_page_flash_never_erase() -> None:
    for name in ("AT28C256", "AT29C256"):
        spec = get_chip(name)
        have = b"\x00" * spec.size
        plan = plan_write(spec, have, Image.from_bytes(b"\xff" * 100, 0x40))
        actions = {b.action for b in plan.blocks}
        assert BlockAction.ERASE not in actions and BlockAction.NEEDS_UV_ERASE not in actions
        assert plan.summary()["program"] == 2


def test_plan_rejects_oversize() -> None:
    spec = get_chip("27C64")
    with pytest.raises(PlanRefused):
        plan_write(spec, b"\xff" * spec.size, Image.from_bytes(b"\x00" * (spec.size + 1)))
    with pytest.raises(PlanRefused):
        plan_write(spec, b"\xff" * 10, Image.from_bytes(b"\x00"))


def test_apply_plan_eprom_end_to_end() -> None:
    spec = get_chip("27C64")
    model, bus = make("27C64")
    data = bytes(range(256)) * 4
    plan = plan_write(spec, model.snapshot(), Image.from_bytes(data, 0x100))
    report = dispatch.apply_plan(bus, plan)
    assert model.snapshot()[0x100:0x500] == data
    assert report.programmed == 1020  # the four 0xFF bytes need no pulses
