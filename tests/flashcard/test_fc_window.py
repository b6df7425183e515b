"""FlashCard window rules and the mmio transport's guard (over files, never /dev/mem)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from romtool.errors import EXIT_DEVICE, EXIT_INPUT
from romtool.programmers.flashcard.window import (
    WindowError,
    check_base,
    check_window,
    parse_card_address,
    probe_bases,
)
from romtool.programmers.transports.mmio import (
    ISA_ROM_AREA,
    DevMemError,
    IsaMemory,
    MappedMemory,
    MemoryAccessRefused,
)
from romtool.ranges import Range

SENTINEL = 0xCC
"""Fill for fake physical memory, so a read that lands in the wrong place shows."""


def _phys_file(tmp_path: Path, size: int = 0x100000) -> Path:
    path = tmp_path / "mem.bin"
    path.write_bytes(bytes([SENTINEL]) * size)
    return path


# --- parsing --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0xD0000", 0xD0000),
        ("D000", 0xD0000),
        ("d000:0", 0xD0000),
        ("C8000", 0xC8000),
        ("0xe0000", 0xE0000),
        ("D8000h", 0xD8000),
    ],
)
def test_parse_card_address_forms(text: str, value: int) -> None:
    assert parse_card_address(text) == value


@pytest.mark.parametrize("text", ["", "D", "0xZZ", "D0000:1", "12345678", "auto!"])
def test_parse_card_address_rejects(text: str) -> None:
    with pytest.raises(WindowError, match="bad FlashCard address"):
        parse_card_address(text)


@given(st.text(max_size=12))
def test_parse_card_address_never_crashes(text: str) -> None:
    try:
        value = parse_card_address(text)
    except WindowError:
        return
    assert 0 <= value < 0x1000000000000


# --- base rules -----------------------------------------------------------------------------


@pytest.mark.parametrize("base", [0xC8000, 0xD0000, 0xD8000, 0xE0000])
def test_good_bases(base: int) -> None:
    check_base(base)
    assert check_window(base).range == Range(base, base + 0x8000)


def test_base_not_on_8k_boundary() -> None:
    with pytest.raises(WindowError, match="not on an 8 KiB boundary") as info:
        check_base(0xD1000)
    assert info.value.exit_status == EXIT_INPUT


@pytest.mark.parametrize("base", [0xC0000, 0xC6000, 0xE8000, 0xF0000])
def test_base_outside_range(base: int) -> None:
    with pytest.raises(WindowError, match="outside the range"):
        check_base(base)


@pytest.mark.parametrize("base", [0xCA000, 0xD2000, 0xE6000])
def test_base_not_32k_aligned_is_explained(base: int) -> None:
    with pytest.raises(WindowError) as info:
        check_base(base)
    text = str(info.value)
    assert "32 KiB boundary" in text
    assert "0x5555" in text and "A0-A14" in text
    assert f"{base - base % 0x8000:#x}" in text


def test_segment_typed_as_physical_gets_a_hint() -> None:
    with pytest.raises(WindowError, match="did you mean the segment D000"):
        check_base(0xD000)


@pytest.mark.parametrize("size", [0, 0x1000, 0x9000, 0x28000])
def test_bad_window_sizes(size: int) -> None:
    with pytest.raises(WindowError, match="window size"):
        check_window(0xD0000, size)


def test_window_may_not_reach_system_bios() -> None:
    with pytest.raises(WindowError, match="system BIOS"):
        check_window(0xE0000, 0x20000)
    assert check_window(0xD0000, 0x20000).range.stop == 0xF0000


def test_probe_order_matches_flashimg_aligned() -> None:
    assert probe_bases() == [0xE0000, 0xD8000, 0xD0000, 0xC8000]


@given(st.integers(min_value=0, max_value=0x100000), st.sampled_from([0x8000, 0x10000, 0x20000]))
def test_every_accepted_window_stays_in_isa_area(base: int, size: int) -> None:
    try:
        window = check_window(base, size)
    except WindowError:
        return
    assert ISA_ROM_AREA.contains_range(window.range)
    assert window.base % 0x8000 == 0


# --- the transport guard --------------------------------------------------------------------


def test_mapped_file_reads_and_writes_physical_addresses(tmp_path: Path) -> None:
    path = _phys_file(tmp_path)
    with MappedMemory(Range(0xD0000, 0xD8000), path=str(path), writable=True) as mem:
        assert mem.read_byte(0xD0000) == SENTINEL
        mem.write_byte(0xD0001, 0x5A)
        assert mem.read(0xD0000, 3) == bytes([SENTINEL, 0x5A, SENTINEL])
    assert path.read_bytes()[0xD0001] == 0x5A


def test_mapping_at_unaligned_region_start(tmp_path: Path) -> None:
    path = _phys_file(tmp_path)
    data = bytearray(path.read_bytes())
    data[0xC8801] = 0x42
    path.write_bytes(bytes(data))
    with MappedMemory(Range(0xC8800, 0xC9000), path=str(path)) as mem:
        assert mem.read_byte(0xC8801) == 0x42


@pytest.mark.parametrize(
    "region", [Range(0xB8000, 0xC0000), Range(0xEF000, 0xF1000), Range(0xF0000, 0x100000)]
)
def test_transport_refuses_to_map_outside_isa_area(tmp_path: Path, region: Range) -> None:
    path = _phys_file(tmp_path)
    with pytest.raises(MemoryAccessRefused, match="outside the ISA option-ROM area"):
        MappedMemory(region, path=str(path))


@pytest.mark.parametrize("address", [0xBFFFF, 0xF0000, 0xFFFF0, -1, 0xCFFFF, 0xD8000])
def test_transport_refuses_every_access_outside(tmp_path: Path, address: int) -> None:
    path = _phys_file(tmp_path)
    before = path.read_bytes()
    with MappedMemory(Range(0xD0000, 0xD8000), path=str(path), writable=True) as mem:
        with pytest.raises(MemoryAccessRefused, match="refused"):
            mem.read_byte(address)
        with pytest.raises(MemoryAccessRefused, match="refused"):
            mem.write_byte(address, 0)
    assert path.read_bytes() == before


def test_block_read_may_not_cross_the_window(tmp_path: Path) -> None:
    path = _phys_file(tmp_path)
    with MappedMemory(Range(0xD0000, 0xD8000), path=str(path)) as mem:
        assert len(mem.read(0xD7FF0, 0x10)) == 0x10
        with pytest.raises(MemoryAccessRefused, match="outside the mapped window") as info:
            mem.read(0xD7FF0, 0x11)
        assert info.value.address == 0xD8000


def test_read_only_mapping_refuses_writes(tmp_path: Path) -> None:
    path = _phys_file(tmp_path)
    with (
        MappedMemory(Range(0xD0000, 0xD8000), path=str(path)) as mem,
        pytest.raises(MemoryAccessRefused, match="read-only"),
    ):
        mem.write_byte(0xD0000, 1)


def test_short_memory_file_is_refused(tmp_path: Path) -> None:
    path = _phys_file(tmp_path, 0xD4000)
    with pytest.raises(DevMemError, match="too short") as info:
        MappedMemory(Range(0xD0000, 0xD8000), path=str(path))
    assert info.value.exit_status == EXIT_DEVICE


def test_missing_memory_file(tmp_path: Path) -> None:
    with pytest.raises(DevMemError, match="no such file"):
        MappedMemory(Range(0xD0000, 0xD8000), path=str(tmp_path / "nope"))


def test_unreadable_memory_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _phys_file(tmp_path)
    path.chmod(0)
    if os.geteuid() == 0:
        # root opens any file, so make the open fail the way it does for a normal user.
        def refuse(*args: object, **kwargs: object) -> int:
            raise PermissionError(13, "Permission denied", str(path))

        monkeypatch.setattr("romtool.programmers.transports.mmio.os.open", refuse)
    with pytest.raises(DevMemError, match="permission denied"):
        MappedMemory(Range(0xD0000, 0xD8000), path=str(path))


def test_devmem_error_messages_explain_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    """The /dev/mem open and map failures, produced without opening /dev/mem."""
    import errno

    from romtool.programmers.transports import mmio

    monkeypatch.setattr(mmio.os, "geteuid", lambda: 1000)
    err = mmio._open_error("/dev/mem", OSError(errno.EACCES, "Permission denied"), True)
    assert "expected root (uid 0), but got uid 1000" in str(err) and "sudo" in str(err)
    err = mmio._open_error("/dev/mem", OSError(errno.EPERM, "Operation not permitted"), True)
    assert "CAP_SYS_RAWIO" in str(err)
    monkeypatch.setattr(mmio.os, "geteuid", lambda: 0)
    err = mmio._open_error("/dev/mem", OSError(errno.EPERM, "Operation not permitted"), True)
    assert "locked down" in str(err)
    err = mmio._open_error("/dev/mem", OSError(errno.ENOENT, "No such file"), True)
    assert "--mem-device" in str(err)
    err = mmio._map_error(
        "/dev/mem", Range(0xD0000, 0xD8000), OSError(errno.EPERM, "Operation not permitted"), True
    )
    assert "STRICT_DEVMEM" in str(err) and "iomem=relaxed" in str(err)
    assert err.exit_status == EXIT_DEVICE


class _Backend(IsaMemory):
    """Fails the test if the guard lets anything through to it that it should not."""

    def _read_block(self, address: int, length: int) -> bytes:
        assert self.region.contains_range(Range(address, address + length))
        return bytes(length)

    def _write_byte(self, address: int, value: int) -> None:
        assert address in self.region


@given(
    st.integers(min_value=-0x10, max_value=0x110000),
    st.integers(min_value=0, max_value=0x40000),
)
def test_guard_allows_exactly_the_window(address: int, length: int) -> None:
    """Any (address, length): served only when it lies inside the window, else refused."""
    window = Range(0xD0000, 0xD8000)
    mem = _Backend(window, writable=True)
    inside = address >= 0 and window.contains_range(Range(address, address + length))
    if inside:
        assert len(mem.read(address, length)) == length
    else:
        with pytest.raises(MemoryAccessRefused):
            mem.read(address, length)
    if address in window:
        mem.write_byte(address, 0)
    else:
        with pytest.raises(MemoryAccessRefused):
            mem.write_byte(address, 0)
