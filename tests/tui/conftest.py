"""Shared data for the TUI tests (deterministic, so snapshots are stable)."""

from __future__ import annotations

import random

import pytest

from romtool.image.model import Image

DIFF_AT = (0x0105, 0x0230, 0x0231, 0x1F00)


def wanted_and_dump() -> tuple[Image, Image]:
    """An 8 KiB image and a dump of it with a blank byte, a needs-erase pair and a
    programmable byte."""
    data = bytearray(random.Random(42).randbytes(8192))
    data[0:2] = b"\x55\xaa"
    dump = bytearray(data)
    dump[0x0105] = 0xFF
    dump[0x0230] = data[0x0230] & 0x0F
    dump[0x0231] = data[0x0231] & 0xF0
    dump[0x1F00] = data[0x1F00] | 0x81
    if dump[0x1F00] == data[0x1F00]:
        dump[0x1F00] = 0xFF
    return Image.from_bytes(bytes(data)), Image.from_bytes(bytes(dump))


@pytest.fixture
def pair() -> tuple[Image, Image]:
    """``wanted_and_dump()`` as a fixture."""
    return wanted_and_dump()


@pytest.fixture(autouse=True)
def colour_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Snapshots and screen reads are made in colour, whatever the caller's NO_COLOR says;
    ``test_no_color_terminal`` covers NO_COLOR on purpose."""
    monkeypatch.delenv("NO_COLOR", raising=False)
