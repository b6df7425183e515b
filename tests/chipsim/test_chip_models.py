"""Datasheet behaviour of the chip models, driven pin by pin (no algorithms)."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from romtool.chips import Technology, get_chip
from romtool.programmers.sim.chips import PinError, model_for
from romtool.programmers.sim.chips.base import DEAD_CHIP_VALUE, FLOATING_BUS
from romtool.programmers.sim.clock import VirtualClock


def eprom(name: str = "27C256", **kw):  # type: ignore[no-untyped-def]
    m = model_for(get_chip(name), **kw)
    v = m.spec.voltages
    m.set_vcc(v.vcc_program_mv)
    m.set_vpp(v.vpp_mv)
    return m


def test_clock_monotonic() -> None:
    c = VirtualClock()
    c.advance(5)
    c.advance_to(3)
    assert c.now_us() == 5 and c.now_s() == 5e-6
    with pytest.raises(ValueError):
        c.advance(-1)


def test_eprom_bits_only_go_down() -> None:
    m = eprom()
    for _ in range(3):
        m.program_pulse(0, 0x0F, 100)
    assert m.read(0) == 0x0F
    for _ in range(3):
        m.program_pulse(0, 0xF0, 100)  # asks 0 -> 1 for the low nibble
    assert m.read(0) == 0x00
    assert m.clock.now_us() >= 600


def test_eprom_verify_margin_at_raised_vcc() -> None:
    # Find a byte that needs two pulses at 6.25 V: one pulse reads fine at 5 V only.
    spec = get_chip("27C256")
    for addr in range(256):
        m = eprom()
        m.program_pulse(addr, 0x00, 100)
        if m.read(addr) != 0x00:
            m.set_vcc(spec.voltages.vcc_read_mv)
            m.set_vpp(None)
            assert m.read(addr) == 0x00
            return
    pytest.fail("no marginal byte in the first 256")


def test_eprom_window_and_damage() -> None:
    m = eprom()
    m.set_vpp(11000)  # below the window: nothing happens
    m.program_pulse(1, 0x00, 100)
    m.program_pulse(1, 0x00, 100)
    assert m.read(1) == 0xFF and not m.damaged
    m.set_vpp(12750)
    m.set_vcc(5000)  # VCC below the program window
    m.program_pulse(1, 0x00, 100)
    assert m.read(1) == 0xFF
    m.set_vpp(15000)  # above the absolute maximum
    m.program_pulse(1, 0x00, 100)
    assert m.damaged and m.read(1) == DEAD_CHIP_VALUE


def test_eprom_vpp_without_vcc_damages() -> None:
    m = model_for(get_chip("27C256"))
    m.set_vcc(0)
    m.set_vpp(12750)
    assert m.damaged
    m2 = eprom()  # VCC first, then VPP: fine
    m2.set_vpp(None)
    m2.set_vcc(5000)
    assert not m2.damaged


def test_eprom_signature_and_uv_erase() -> None:
    m = model_for(get_chip("M27C256B"), data=b"\x00" * 0x8000)
    assert (m.read_signature(0), m.read_signature(1)) == (0x20, 0x8D)
    m.uv_erase(5)  # partial: some bits back
    partly = m.snapshot()
    assert partly != b"\x00" * 0x8000 and partly != b"\xff" * 0x8000
    m.uv_erase(20)
    assert m.snapshot() == b"\xff" * 0x8000
    otp = model_for(dataclasses.replace(get_chip("27C256"), technology=Technology.OTP_EPROM))
    with pytest.raises(PinError):
        otp.uv_erase(20)


def test_2764_without_signature_reads_array() -> None:
    m = model_for(get_chip("2764"), data=bytes(range(256)) * 32)
    assert m.read_signature(0) == (0x200 & 0xFF)  # A9 seen as a plain address line


def test_27c512_outputs_off_while_vpp_on_oe() -> None:
    m = eprom("27C512")
    for _ in range(3):
        m.program_pulse(0, 0x00, 100)
    assert m.read(0) == FLOATING_BUS
    m.set_vpp(None)
    assert m.read(0) == 0x00


def test_eprom_weak_fault() -> None:
    m = eprom(weak={0: 2})
    for _ in range(2):
        m.program_pulse(0, 0x00, 100)
    assert m.read(0) == 0xFF
    for _ in range(2):
        m.program_pulse(0, 0x00, 100)
    assert m.read(0) == 0x00


def test_eeprom_page_load_busy_and_polling() -> None:
    m = model_for(get_chip("AT28C256"))
    for i in range(64):
        m.write(0x40 + i, i)
    assert not m.busy  # still inside the load window
    m.idle(151)
    assert m.busy
    a, b = m.read(0x7F), m.read(0x7F)
    assert a & 0x80 == (~63 & 0x80) and (a ^ b) & 0x40  # Data# and toggle
    m.write(0x200, 0x55)  # ignored while busy
    m.idle(10_000)
    assert not m.busy
    assert m.snapshot()[0x40:0x80] == bytes(range(64)) and m.snapshot()[0x200] == 0xFF


def test_eeprom_sdp_enable_lock_disable() -> None:
    m = model_for(get_chip("AT28C256"))
    for addr, val in ((0x5555, 0xAA), (0x2AAA, 0x55), (0x5555, 0xA0), (0x10, 0x42)):
        m.write(addr, val)
    m.idle(20_000)
    assert m.locked and m.snapshot()[0x10] == 0x42
    m.write(0x11, 0x43)
    m.idle(20_000)
    assert m.snapshot()[0x11] == 0xFF  # plain write ignored while locked
    seq = ((0x5555, 0xAA), (0x2AAA, 0x55), (0x5555, 0x80), (0x5555, 0xAA), (0x2AAA, 0x55),
           (0x5555, 0x20))  # fmt: skip
    for addr, val in seq:
        m.write(addr | 0x8000, val)  # upper lines the part lacks are ignored
    assert not m.locked
    m.write(0x11, 0x43)
    m.idle(20_000)
    assert m.snapshot()[0x11] == 0x43


def test_eeprom_unlocked_data_that_looks_like_a_command() -> None:
    m = model_for(get_chip("AT28C256"))
    m.write(0x5555, 0xAA)  # a plain data byte that starts like a command
    m.idle(20_000)
    assert m.snapshot()[0x5555] == 0xAA and not m.locked


def test_28c64_byte_write_immediate() -> None:
    m = model_for(get_chip("AT28C64"), data=b"\x00" * 8192)
    m.write(5, 0xFF)
    assert m.busy
    m.idle(1000)
    assert m.snapshot()[5] == 0xFF
    with pytest.raises(PinError):
        m.set_locked(True)


def test_jedec_program_erase_id() -> None:
    m = model_for(get_chip("SST39SF010A"))
    for addr, val in ((0x5555, 0xAA), (0x2AAA, 0x55), (0x5555, 0xA0), (0x100, 0x12)):
        m.write(addr, val)
    assert m.busy
    m.idle(14)
    assert m.snapshot()[0x100] == 0x12
    m.write(0x200, 0x00)  # plain write: no effect on flash
    assert m.read(0x200) == 0xFF
    for addr, val in ((0x5555, 0xAA), (0x2AAA, 0x55), (0x5555, 0x90)):
        m.write(addr, val)
    assert (m.read(0), m.read(1)) == (0xBF, 0xB5)
    m.write(0, 0xF0)
    assert m.read(0x100) == 0x12
    t0 = m.clock.now_us()
    for addr, val in ((0x5555, 0xAA), (0x2AAA, 0x55), (0x5555, 0x80), (0x5555, 0xAA),
                      (0x2AAA, 0x55), (0x0123, 0x30)):  # fmt: skip
        m.write(addr, val)
    # Data# polling during erase: DQ7 reads 0, the complement of the erased 1; DQ6 toggles.
    first, second = m.read(0x100), m.read(0x100)
    assert first & 0x80 == 0 and second & 0x80 == 0
    assert (first ^ second) & 0x40
    while m.busy:
        m.idle(1000)
    assert m.snapshot()[0x100] == 0xFF
    assert m.read(0x100) == 0xFF  # done: DQ7 reads the true data
    assert 18_000 <= m.clock.now_us() - t0 <= 20_000


def test_amd_dq5_and_dq3() -> None:
    m = model_for(get_chip("AM29F010"), data=b"\x00" * 0x20000)
    for addr, val in ((0x5555, 0xAA), (0x2AAA, 0x55), (0x5555, 0xA0), (0x10, 0xFF)):
        m.write(addr, val)
    m.idle(400)
    assert m.read(0x10) & 0x20  # DQ5: exceeded time limit
    m.write(0, 0xF0)
    assert m.read(0x10) == 0x00 and not m.busy
    for addr, val in ((0x5555, 0xAA), (0x2AAA, 0x55), (0x5555, 0x80), (0x5555, 0xAA),
                      (0x2AAA, 0x55), (0x4000, 0x30)):  # fmt: skip
        m.write(addr, val)
    assert m.read(0x4000) & 0x08 == 0  # DQ3: still in the sector-erase window
    m.idle(60)
    assert m.read(0x4000) & 0x08


def test_faults_stuck_dead_empty() -> None:
    spec = get_chip("AT28C256")
    m = model_for(spec, stuck0={3: 0x01}, stuck1={4: 0x80}, data=b"\x00" * 8)
    assert m.read(3) == 0x00 and m.read(4) == 0x80
    assert model_for(spec, dead=True).read(0) == DEAD_CHIP_VALUE
    empty = model_for(spec, empty=True, data=b"\x00")
    assert empty.read(0) == FLOATING_BUS
    with pytest.raises(TypeError):
        model_for(spec, sparkles=True)


def test_every_part_has_a_model() -> None:
    from romtool.chips import all_chips

    for spec in all_chips():
        m = model_for(spec)
        assert m.read(0) == spec.blank and m.snapshot() == bytes([spec.blank]) * spec.size


@given(
    st.lists(st.tuples(st.integers(0, 63), st.integers(0, 255), st.integers(1, 400)), max_size=40)
)
@settings(max_examples=40, deadline=None)
def test_eprom_pulses_never_set_bits(pulses: list[tuple[int, int, int]]) -> None:
    m = eprom(data=bytes(range(64)))
    before = m.snapshot()
    for addr, value, width in pulses:
        prior = m.snapshot()[addr]
        m.program_pulse(addr, value, width)
        now = m.snapshot()[addr]
        assert now & ~prior & 0xFF == 0  # no bit went 0 -> 1
        assert now & value == prior & value  # bits with data 1 are untouched
    assert all(a & ~b == 0 for a, b in zip(m.snapshot(), before, strict=True))


@given(st.lists(st.tuples(st.integers(0, 255), st.integers(0, 255)), max_size=30))
@settings(max_examples=40, deadline=None)
def test_jedec_program_is_and(ops: list[tuple[int, int]]) -> None:
    m = model_for(get_chip("SST39SF010A"))
    expect = bytearray(b"\xff" * 256)
    for addr, value in ops:
        for a, v in ((0x5555, 0xAA), (0x2AAA, 0x55), (0x5555, 0xA0), (addr, value)):
            m.write(a, v)
        m.idle(20)
        expect[addr] &= value
    assert m.snapshot()[:256] == bytes(expect)
