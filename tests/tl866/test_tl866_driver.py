"""The real TL866 driver against the simulated TL866II+ and T48 (through pyusb)."""

from __future__ import annotations

import random

import pytest

from romtool.chips.db import get_chip
from romtool.chips.spec import ChipId
from romtool.errors import (
    ChipDatabaseError,
    DeviceError,
    DeviceTimeout,
    ProgramFailure,
    ProgrammerError,
    TransportError,
)
from romtool.programmers.base import Capability
from romtool.programmers.sim.tl866 import backend
from romtool.programmers.tl866 import infoic, session
from romtool.programmers.tl866.driver import Tl866Programmer, detect
from romtool.programmers.transports.usb import UsbLink
from romtool.ranges import Range

PARTS = ["AT27C256R", "AT27C512R", "AT28C256", "AT28C64B", "AT29C256", "AT29C010A", "SST39SF010A"]
IDS = {
    "AT27C256R": ChipId(0x1E, 0x8C),
    "AT27C512R": ChipId(0x1E, 0x0D),
    "AT29C256": ChipId(0x1F, 0xDC),
    "AT29C010A": ChipId(0x1F, 0xD5),
    "SST39SF010A": ChipId(0xBF, 0xB5),
}
MODELS = ["tl866ii+", "t48"]


def image(size: int, seed: int) -> bytes:
    rng = random.Random(seed)
    return bytes(rng.getrandbits(8) for _ in range(size))


def opened(part: str, **kw: object) -> Tl866Programmer:
    prog = Tl866Programmer(**kw)  # type: ignore[arg-type]
    prog.open()
    prog.select(get_chip(part))
    return prog


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("part", PARTS)
def test_identify_write_read_erase(sim_bus, model: str, part: str) -> None:
    spec = get_chip(part)
    # Lock the EEPROMs (SDP on, as parts often arrive) so protect-off is exercised.
    sim = sim_bus(model, part, locked=part in ("AT28C256", "AT28C64B"))
    # 16 KiB of data keeps the 128 KiB parts fast; the rest of the chip must stay blank.
    data = image(min(spec.size, 0x4000), len(part)).ljust(spec.size, b"\xff")
    prog = opened(part)
    try:
        assert prog.identify() == IDS.get(part)
        if prog.profile is not None and prog.profile.can_erase:
            prog.erase()
            assert prog.blank_check(Range(0, spec.size)).blank
        prog.program(0, data[:0x4000])
        assert prog.read(Range(0, spec.size)) == data
        assert sim.chip is not None and sim.chip.snapshot() == data
    finally:
        prog.close()
    assert sim.violations == []
    assert sim.stats.begins == sim.stats.ends
    assert sim.chip.vcc_mv == 0  # socket powered down after every transaction


@pytest.mark.parametrize("model", MODELS)
def test_partial_write_keeps_the_rest_of_the_block(sim_bus, model: str) -> None:
    old = image(0x8000, 1)
    sim = sim_bus(model, "AT28C256", data=old)
    prog = opened("AT28C256")
    with prog:
        prog.program(0x1234, b"\x00\x11\x22")
    want = bytearray(old)
    want[0x1234:0x1237] = b"\x00\x11\x22"
    assert sim.chip is not None and sim.chip.snapshot() == bytes(want)
    assert sim.violations == []


def test_read_unaligned_range(sim_bus) -> None:
    data = image(0x8000, 2)
    sim_bus("tl866ii+", "AT27C256R", data=data)
    with opened("AT27C256R") as prog:
        assert prog.read(Range(0x3FF, 0x801)) == data[0x3FF:0x801]


def test_info_and_capabilities(sim_bus) -> None:
    sim_bus("t48", "AT27C256R", serial="T48SERIAL")
    with opened("AT27C256R") as prog:
        info = prog.info()
    assert info.limits["model"] == "T48"
    assert info.limits["serial"] == "T48SERIAL"
    assert "T48" in info.description
    assert Capability.VPP in info.capabilities
    assert Capability.DEVICE_ALGORITHMS in info.capabilities


def test_detect_lists_every_device(sim_bus) -> None:
    sim_bus("tl866ii+", None, serial="AAA")
    sim_bus("t48", None, serial="BBB")
    found = detect()
    assert [(d.model, d.serial) for d in found] == [("TL866II+", "AAA"), ("T48", "BBB")]
    assert [d.firmware for d in found] == ["04.1.32", "1.32"]


def test_open_by_serial(sim_bus) -> None:
    sim_bus("tl866ii+", "AT27C256R", serial="AAA")
    second = sim_bus("t48", "AT27C256R", serial="BBB")
    with opened("AT27C256R", serial="BBB") as prog:
        prog.identify()
    assert second.stats.begins == 1
    with pytest.raises(TransportError, match="no TL866 with serial 'CCC'") as exc:
        Tl866Programmer("CCC").open()
    assert "AAA" in str(exc.value) and "BBB" in str(exc.value)


def test_no_device(sim_bus) -> None:
    with pytest.raises(TransportError, match="no TL866II\\+ or T48 found"):
        Tl866Programmer().open()


def test_bootloader_refused(sim_bus) -> None:
    sim_bus("tl866ii+", "AT27C256R", bootloader=True)
    with pytest.raises(ProgrammerError, match="bootloader") as exc:
        Tl866Programmer().open()
    assert exc.value.hint and "unplug" in exc.value.hint
    assert detect()[0].bootloader


def test_permission_error_points_to_udev_rule(monkeypatch) -> None:
    from romtool.programmers.sim.tl866.device import SimTl866

    denied = backend.SimUsbBackend([SimTl866()], access_denied=True)
    with pytest.raises(TransportError, match="permission denied") as exc:
        Tl866Programmer(backend=denied).open()
    assert exc.value.hint and "60-romtool.rules" in exc.value.hint
    listed = detect(denied)
    assert listed[0].error and "60-romtool.rules" in listed[0].error


@pytest.mark.parametrize("model", MODELS)
def test_overcurrent_at_begin_powers_down(sim_bus, model: str) -> None:
    sim = sim_bus(model, "AT27C256R", overcurrent_after=0)
    prog = opened("AT27C256R")
    with pytest.raises(DeviceError, match="overcurrent") as exc:
        prog.read(Range(0, 0x8000))
    # Ended by the operation itself, not only later by close().
    assert sim.stats.ends == sim.stats.begins == 1
    assert sim.chip is not None and sim.chip.vcc_mv == 0
    assert exc.value.hint and "orientation" in exc.value.hint
    prog.close()


@pytest.mark.parametrize("model", MODELS)
def test_overcurrent_after_a_write_block(sim_bus, model: str) -> None:
    sim = sim_bus(model, "SST39SF010A", overcurrent_after=3)
    prog = opened("SST39SF010A")
    committed: list[int] = []
    with prog, pytest.raises(DeviceError, match="overcurrent"):
        prog.program(0, image(0x20000, 3), on_commit=committed.append)
    assert committed == [0x80, 0x100]  # two blocks were confirmed before the third failed
    assert sim.stats.ends == sim.stats.begins


@pytest.mark.parametrize("model", MODELS)
def test_verify_while_write_error(sim_bus, model: str) -> None:
    sim = sim_bus(model, "AT28C64B", verify_error_at=0x123)
    data = image(0x2000, 4)
    prog = opened("AT28C64B")
    with prog, pytest.raises(ProgramFailure) as exc:
        prog.program(0, data)
    err = exc.value
    assert err.address == 0x123
    assert err.expected == data[0x123]
    assert err.actual == data[0x123] ^ 0x01
    assert str(err) == (
        f"write block at 0x123: verify while writing failed: expected 0x{data[0x123]:X}, "
        f"but got 0x{data[0x123] ^ 1:X}"
    )
    assert sim.stats.ends == sim.stats.begins


def test_eprom_not_blank_fails_in_the_firmware(sim_bus) -> None:
    sim_bus("tl866ii+", "AT27C256R", data=b"\x00" * 0x8000)
    with opened("AT27C256R") as prog, pytest.raises(ProgramFailure) as exc:
        prog.program(0, b"\xff\x0f")
    assert exc.value.address == 0


def test_sdp_locked_part_needs_protect_off(sim_bus) -> None:
    sim_bus("tl866ii+", "AT28C256", locked=True)
    data = image(0x8000, 5)
    with opened("AT28C256", unprotect=False) as prog, pytest.raises(ProgramFailure):
        prog.program(0, data[:0x80])
    with opened("AT28C256") as prog:
        prog.program(0, data)
        assert prog.read(Range(0, 0x8000)) == data


def test_protect_after_write(sim_bus) -> None:
    sim = sim_bus("t48", "AT28C256")
    with opened("AT28C256", protect_after=True) as prog:
        prog.program(0, bytes(range(256)))
    assert sim.chip is not None and sim.chip.locked


def test_wrong_chip_id(sim_bus) -> None:
    sim_bus("tl866ii+", "AT27C256R", wrong_id=0x208D)
    with opened("AT27C256R") as prog:
        assert prog.identify() == ChipId(0x20, 0x8D)


@pytest.mark.parametrize("model", MODELS)
def test_unplugged_mid_read(sim_bus, model: str) -> None:
    sim_bus(model, "AT27C512R", unplug_after_reads=5)
    prog = opened("AT27C512R")
    with pytest.raises(TransportError, match="device disconnected"):
        prog.read(Range(0, 0x10000))
    prog.close()  # must not raise although the device is gone


def test_sequential_endpoint_reads_stall(sim_bus, monkeypatch) -> None:
    """Reading EP2 then EP3 (not concurrently) stalls the TL866II+, as the notes warn."""
    sim_bus("tl866ii+", "AT27C256R")

    def one_after_the_other(self, requests, *, timeout_s, op):
        return [self.read(ep, n, timeout_s=timeout_s, op=op) for ep, n in requests]

    monkeypatch.setattr(session, "TRANSFER_TIMEOUT_S", 0.2)
    monkeypatch.setattr(UsbLink, "read_concurrently", one_after_the_other)
    with opened("AT27C256R") as prog, pytest.raises(DeviceTimeout):
        prog.read(Range(0, 0x400))


def test_profile_lookup_rules(sim_bus, monkeypatch) -> None:
    sim_bus("tl866ii+", None)
    monkeypatch.delenv("ROMTOOL_INFOIC")
    monkeypatch.setattr(infoic, "STANDARD_LOCATIONS", ())
    prog = Tl866Programmer()
    with prog:
        prog.select(get_chip("AT27C256R"))  # built-in, every field from the database
        assert prog.profile is not None and "built-in" in prog.profile.source
        with pytest.raises(ChipDatabaseError, match="estimated fields") as exc:
            prog.select(get_chip("AT28C256"))
        assert exc.value.hint and "infoic" in exc.value.hint
        with pytest.raises(ChipDatabaseError, match="no TL866 profile for SST39SF010A"):
            prog.select(get_chip("SST39SF010A"))
    accepting = Tl866Programmer(allow_unverified=True)
    with accepting:
        accepting.select(get_chip("AT28C256"))
        assert accepting.profile is not None
        assert accepting.profile.unverified == {"chip_info", "pin_map"}


def test_t48_only_entry_refused_on_tl866(sim_bus) -> None:
    sim_bus("tl866ii+", "AT27C256R", serial="TL")
    sim_bus("t48", "AT27C256R", serial="T48")
    with Tl866Programmer("TL", part_name="T48ONLY@DIP28") as prog:
        assert prog.part is not None
        with pytest.raises(ProgrammerError, match="not available on the TL866II\\+"):
            prog.select(prog.part)
    with Tl866Programmer("T48", part_name="T48ONLY@DIP28") as prog:
        assert prog.part is not None
        prog.select(prog.part)
        assert prog.profile is not None and prog.profile.name == "T48ONLY@DIP28"


def test_erase_refused_for_eprom(sim_bus) -> None:
    sim_bus("t48", "AT27C256R")
    with opened("AT27C256R") as prog, pytest.raises(ProgrammerError, match="cannot be erased"):
        prog.erase()


def test_now_is_the_simulated_clock(sim_bus) -> None:
    sim = sim_bus("tl866ii+", "AT27C256R")
    with opened("AT27C256R") as prog:
        t0 = prog.now()
        assert t0 == sim.clock.now_s()
        prog.read(Range(0, 0x8000))
        assert prog.now() - t0 == pytest.approx(sim.clock.now_s() - t0)
        assert prog.now() > t0


@pytest.mark.parametrize("model", MODELS)
def test_overcurrent_during_a_read(sim_bus, model: str) -> None:
    sim = sim_bus(model, "AT29C010A", overcurrent_after=2)
    with opened("AT29C010A") as prog, pytest.raises(DeviceError, match="read block: overcurrent"):
        prog.read(Range(0, 0x20000))
    assert sim.stats.blocks_read == 2  # stopped at the poll after the second block
    assert sim.stats.begins == sim.stats.ends
