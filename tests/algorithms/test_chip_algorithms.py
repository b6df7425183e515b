"""Every algorithm against every chip model it applies to, faults included."""

from __future__ import annotations

import random

import pytest

from romtool.algorithms import dispatch, eprom, jedec, paged
from romtool.algorithms.bus import ParallelBus, ProgrammingBus
from romtool.algorithms.common import blank_check, verify_range
from romtool.algorithms.paged import SdpAction
from romtool.chips import ChipId, IdMethod, Technology, all_chips, get_chip
from romtool.errors import (
    BlankCheckError,
    PlanRefused,
    ProgramFailure,
    UsageError,
    VerifyError,
)

from .conftest import ModelBus, PlainBus, make  # type: ignore[import-not-found]

ALL = [c.name for c in all_chips()]


def pattern(n: int, seed: int = 1) -> bytes:
    """Random data with some 0xFF bytes (which EPROM algorithms skip)."""
    rnd = random.Random(seed)
    return bytes(0xFF if rnd.random() < 0.1 else rnd.randrange(256) for _ in range(n))


def window(name: str) -> tuple[int, int]:
    """A small test range: two program units somewhere in the middle of the part."""
    spec = get_chip(name)
    unit = max(spec.page_size, 64)
    if spec.technology is Technology.JEDEC_FLASH:
        unit = 96
    return spec.size // 2 - unit // 2, unit * 2 // (2 if unit > 64 else 1)


@pytest.mark.parametrize("name", ALL)
def test_program_every_part(name: str) -> None:
    spec = get_chip(name)
    model, bus = make(name)
    start, length = window(name)
    data = pattern(length)
    report = dispatch.program(bus, spec, start, data)
    assert model.snapshot()[start : start + length] == data
    assert report.programmed + report.skipped == length
    assert report.elapsed_us > 0
    verify_range(bus, start, data)


@pytest.mark.parametrize("name", ALL)
def test_identify_every_part(name: str) -> None:
    spec = get_chip(name)
    _model, bus = make(name)
    got = dispatch.identify(bus, spec)
    if spec.chip_id is not None:
        assert got == spec.chip_id  # generic entries' models answer with their first id
    elif spec.id_method is IdMethod.A9_HV:
        assert got == ChipId(0xFF, 0xFF)  # signature unknown to us: a blank model reads FF
    else:
        assert got is None


# --- EPROM -----------------------------------------------------------------------------


def test_quickpulse_histogram_and_levels() -> None:
    spec = get_chip("27C256")
    model, bus = make("27C256")
    data = pattern(2048)
    report = eprom.program_range(bus, spec, 0, data)
    assert model.snapshot()[:2048] == data
    counts = dict(report.histogram)
    assert set(counts) <= {1, 2}  # thresholds: 1-2 nominal pulses at 6.25 V
    assert sum(counts.values()) == report.programmed
    assert model.vpp_mv is None and model.vcc_mv == spec.voltages.vcc_read_mv


def test_weak_cell_retried_within_limit() -> None:
    spec = get_chip("27C256")
    model, bus = make("27C256", weak={0x10: 10})
    report = eprom.program_range(bus, spec, 0, bytes(32))
    assert model.snapshot()[:32] == bytes(32)
    assert report.worst is not None and report.worst[0] == 0x10
    assert report.worst[1] > 10


def test_weak_cell_reported_with_address_after_limit() -> None:
    spec = get_chip("27C256")
    model, bus = make("27C256", weak={0x123: None})
    with pytest.raises(ProgramFailure) as exc:
        eprom.program_range(bus, spec, 0x100, bytes(64))
    assert exc.value.address == 0x123
    assert "25 pulses" in str(exc.value)
    assert model.counters.pulses >= 25
    assert model.vpp_mv is None  # VPP removed even on failure


def test_eprom_refuses_zero_to_one() -> None:
    spec = get_chip("27C64")
    model, bus = make("27C64", data=b"\x00" * 16)
    with pytest.raises(PlanRefused) as exc:
        eprom.program_range(bus, spec, 0, b"\x0f" * 16)
    assert exc.value.address == 0
    assert model.counters.pulses == 0


def test_27c512_verify_needs_vpp_off() -> None:
    # OE/VPP shared: the algorithm must drop VPP for each verify read.
    spec = get_chip("27C512")
    model, bus = make("27C512")
    data = pattern(512, seed=5)
    eprom.program_range(bus, spec, 0x8000, data)
    assert model.snapshot()[0x8000:0x8200] == data


def test_standard_algorithm_nmos_2764() -> None:
    spec = get_chip("2764")
    model, bus = make("2764")
    data = pattern(64, seed=3)
    report = eprom.program_range(bus, spec, 0, data)
    assert model.snapshot()[:64] == data
    # One 50 ms pulse per programmed byte.
    assert report.pulses == report.programmed
    assert report.elapsed_us >= report.programmed * 50_000


def test_intelligent_overprogram_pulses() -> None:
    spec = get_chip("2764A")
    _model, bus = make("2764A")
    report = eprom.program_range(bus, spec, 0, pattern(64, seed=4))
    assert report.pulses > report.programmed  # verify pulses + one overprogram each


def test_eprom_signature() -> None:
    spec = get_chip("AT27C256R")
    _model, bus = make("AT27C256R")
    assert eprom.read_signature(bus, spec) == ChipId(0x1E, 0x8C)


def test_eprom_needs_vpp_bus() -> None:
    spec = get_chip("27C256")
    model = make("27C256")[0]
    bus = PlainBus(model)
    assert not isinstance(bus, ProgrammingBus)
    assert isinstance(bus, ParallelBus)
    with pytest.raises(UsageError):
        dispatch.program(bus, spec, 0, b"\x00")


def test_blank_check_finds_stuck_bit() -> None:
    spec = get_chip("27C256")
    _model, bus = make("27C256", stuck0={0x4321: 0x04})
    with pytest.raises(BlankCheckError) as exc:
        blank_check(bus, 0, spec.size)
    assert exc.value.address == 0x4321
    _model2, bus2 = make("27C256")
    blank_check(bus2, 0, spec.size)


def test_dead_chip_and_empty_socket() -> None:
    spec = get_chip("27C256")
    _m, bus = make("27C256", dead=True)
    with pytest.raises((ProgramFailure, PlanRefused)):
        eprom.program_range(bus, spec, 0, b"\x12")
    assert eprom.read_signature(bus, spec) == ChipId(0, 0)
    _m, bus = make("27C256", empty=True)
    assert eprom.read_signature(bus, spec) == ChipId(0xFF, 0xFF)
    with pytest.raises(ProgramFailure) as exc:
        eprom.program_range(bus, spec, 0, b"\x12")
    assert "no bit changed" in str(exc.value)


def test_progress_never_goes_backwards() -> None:
    from romtool.events import RecordingReporter

    for name in ("27C64", "AT28C256", "AT29C256", "SST39SF010A"):
        spec = get_chip(name)
        _m, bus = make(name)
        rep = RecordingReporter()
        dispatch.program(bus, spec, 0, pattern(300, seed=8), reporter=rep)
        done = [e.done for e in rep.kinds("progress")]
        assert done == sorted(done) and done[-1] == 300


# --- JEDEC flash -----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["SST39SF010A", "AM29F010", "SST39VF512"])
def test_jedec_sector_and_chip_erase(name: str) -> None:
    spec = get_chip(name)
    model, bus = make(name, data=bytes(spec.size))
    sector = spec.sector_at(spec.size - 1)
    jedec.erase_sector(bus, spec, spec.size - 1)
    snap = model.snapshot()
    assert snap[sector.start : sector.stop] == b"\xff" * len(sector)
    assert snap[: sector.start] == bytes(sector.start)
    jedec.erase_chip(bus, spec)
    assert model.snapshot() == b"\xff" * spec.size


def test_sst_zero_to_one_caught_by_verify() -> None:
    spec = get_chip("SST39SF010A")
    _model, bus = make("SST39SF010A", data=b"\x00" * 16)
    got = jedec.program_byte(bus, spec, 3, 0xFF)  # the part "succeeds" ...
    assert got == 0x00
    with pytest.raises(VerifyError) as exc:  # ... and only verify sees it
        verify_range(bus, 0, b"\x00\x00\x00\xff")
    assert exc.value.address == 3
    assert "erase" in str(exc.value)


def test_program_range_refuses_zero_to_one_before_commands() -> None:
    spec = get_chip("SST39SF010A")
    model, bus = make("SST39SF010A", data=b"\x00" * 16)
    with pytest.raises(VerifyError) as exc:
        jedec.program_range(bus, spec, 0, b"\x01")
    assert exc.value.address == 0
    assert model.counters.writes == 0


def test_amd_dq5_failure_and_reset() -> None:
    spec = get_chip("AM29F010")
    _model, bus = make("AM29F010", data=b"\x00" * 16)
    with pytest.raises(ProgramFailure) as exc:
        jedec.program_byte(bus, spec, 5, 0xF0)
    assert exc.value.address == 5
    # The algorithm reset the part: it reads array data again and accepts commands.
    assert bus.read_byte(5) == 0x00
    assert jedec.software_id(bus, spec) == ChipId(0x01, 0x20)


def test_jedec_weak_byte_retried() -> None:
    spec = get_chip("SST39SF010A")
    model, bus = make("SST39SF010A", weak={7: 2})
    report = jedec.program_range(bus, spec, 0, bytes(16))
    assert report.retries == 2
    assert model.snapshot()[:16] == bytes(16)
    model, bus = make("SST39SF010A", weak={7: None})
    with pytest.raises(VerifyError) as exc:
        jedec.program_range(bus, spec, 0, bytes(16))
    assert exc.value.address == 7


def test_unlock_address_masking_top_of_4g() -> None:
    # serprog maps parallel flash at the top of 4 GiB; the part only sees A14..A0.
    _model, bus = make("SST39SF010A")
    base = 0xFFFE0000
    for addr, value in ((0x5555, 0xAA), (0x2AAA, 0x55), (0x5555, 0x90)):
        bus.write_byte(base | addr, value)
    assert (bus.read_byte(base), bus.read_byte(base | 1)) == (0xBF, 0xB5)


# --- 28C EEPROM and AT29 page flash ----------------------------------------------------


def test_eeprom_sdp_locked_not_unlocked_unless_asked() -> None:
    spec = get_chip("AT28C256")
    model, bus = make("AT28C256", locked=True)
    data = pattern(128, seed=9)
    with pytest.raises(ProgramFailure) as exc:
        paged.program_range(bus, spec, 0x100, data)
    assert "software data protection" in str(exc.value)
    assert model.locked
    assert model.snapshot()[0x100:0x180] == b"\xff" * 128
    # PROTECT writes through the lock and keeps it.
    paged.program_range(bus, spec, 0x100, data, sdp=SdpAction.PROTECT)
    assert model.snapshot()[0x100:0x180] == data and model.locked
    # UNLOCK disables SDP, then writes plainly.
    paged.program_range(bus, spec, 0x200, data, sdp=SdpAction.UNLOCK)
    assert model.snapshot()[0x200:0x280] == data and not model.locked


def test_eeprom_any_value_and_page_count() -> None:
    spec = get_chip("AT28C256")
    model, bus = make("AT28C256", data=b"\x00" * 256)
    data = b"\xff" * 256  # 0 -> 1 is fine on an EEPROM
    report = paged.program_range(bus, spec, 0, data)
    assert model.snapshot()[:256] == data
    assert model.page_writes == 4
    assert report.programmed == 256
    # A second write skips every page.
    again = paged.program_range(bus, spec, 0, data)
    assert again.skipped == 256 and model.page_writes == 4


def test_eeprom_slow_page_load_detected() -> None:
    spec = get_chip("AT28C256")
    model, bus = make("AT28C256", batch_cycle_us=200)
    with pytest.raises(ProgramFailure) as exc:
        paged.program_range(bus, spec, 0, pattern(64, seed=2))
    assert "too slow" in str(exc.value)
    assert model.timed_out_loads >= 1


def test_at29_slow_load_never_silently_half_written() -> None:
    spec = get_chip("AT29C256")
    model, bus = make("AT29C256", batch_cycle_us=200)
    with pytest.raises(ProgramFailure) as exc:
        paged.program_range(bus, spec, 0x40, pattern(64, seed=4))
    assert "too slow" in str(exc.value)
    assert exc.value.address is not None and 0x40 <= exc.value.address < 0x80
    assert model.timed_out_loads >= 1


def test_at29_partial_sector_merged() -> None:
    spec = get_chip("AT29C256")
    old = pattern(spec.size, seed=11)
    model, bus = make("AT29C256", data=old)
    paged.program_range(bus, spec, 0x105, b"\x12\x34")
    snap = model.snapshot()
    assert snap[0x105:0x107] == b"\x12\x34"
    assert snap[0x100:0x105] == old[0x100:0x105]
    assert snap[0x107:0x140] == old[0x107:0x140]


def test_at29_bytes_not_loaded_are_indeterminate() -> None:
    # What the algorithm must avoid: a partial sector load on the model.
    spec = get_chip("AT29C256")
    model, bus = make("AT29C256", data=b"\x00" * spec.size)
    for i in range(8):
        bus.write_byte(0x80 + i, 0x11)
    bus.delay_us(20_000)
    snap = model.snapshot()
    assert snap[0x80:0x88] == b"\x11" * 8
    assert snap[0x88:0xC0] != b"\x00" * 0x38 and snap[0x88:0xC0] != b"\xff" * 0x38


def test_at29_locked_and_chip_erase() -> None:
    spec = get_chip("AT29C010A")
    model, bus = make("AT29C010A", locked=True, data=b"\x00" * 1024)
    with pytest.raises(ProgramFailure):
        paged.program_range(bus, spec, 0, b"\x55" * 128)
    paged.erase_chip(bus, spec)
    assert model.snapshot() == b"\xff" * spec.size


def test_small_part_sdp_on_its_own_address_lines() -> None:
    # AT28C64B decodes A12..A0: the algorithm's masked 1555/0AAA must lock and unlock it.
    spec = get_chip("AT28C64B")
    model, bus = make("AT28C64B")
    paged.program_range(bus, spec, 0x40, bytes(64), sdp=SdpAction.PROTECT)
    assert model.locked and model.snapshot()[0x40:0x80] == bytes(64)
    paged.program_range(bus, spec, 0x80, bytes(64), sdp=SdpAction.UNLOCK)
    assert not model.locked and model.snapshot()[0x80:0xC0] == bytes(64)


def test_eeprom_weak_byte_rewritten() -> None:
    spec = get_chip("AT28C64B")
    model, bus = make("AT28C64B", weak={3: 1})
    report = paged.program_range(bus, spec, 0, bytes(64))
    assert report.retries == 1 and model.snapshot()[:64] == bytes(64)
    model, bus = make("AT28C64B", weak={3: None})
    with pytest.raises(VerifyError) as exc:
        paged.program_range(bus, spec, 0, bytes(64))
    assert exc.value.address == 3


def test_erase_refused_for_eprom_and_eeprom() -> None:
    for name in ("27C256", "AT28C256"):
        _m, bus = make(name)
        with pytest.raises(UsageError):
            dispatch.erase(bus, get_chip(name))


def test_sdp_options_on_part_without_sdp() -> None:
    spec = get_chip("AT28C64")
    _m, bus = make("AT28C64")
    with pytest.raises(UsageError):
        paged.program_range(bus, spec, 0, b"\x00", sdp=SdpAction.UNLOCK)


def test_modelbus_is_programming_bus() -> None:
    _m, bus = make("27C256")
    assert isinstance(bus, ModelBus) and isinstance(bus, ProgrammingBus)
