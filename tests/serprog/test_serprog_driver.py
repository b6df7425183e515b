"""The serprog host driver and bus against the simulated device, in process."""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Any

import pytest

from romtool.algorithms import dispatch
from romtool.chips import get_chip
from romtool.errors import (
    DeviceError,
    DeviceTimeout,
    ProgrammerError,
    ProtocolError,
    TransportError,
    UsageError,
)
from romtool.programmers.base import Capability
from romtool.programmers.serprog.bus import SerprogBus
from romtool.programmers.serprog.driver import NoVppError, SerprogDriver
from romtool.programmers.serprog.protocol import BusType, Cmd
from romtool.programmers.serprog.simopen import SimSerprogProgrammer
from romtool.programmers.sim.chips import model_for
from romtool.programmers.sim.clock import VirtualClock
from romtool.programmers.sim.link import Link, LinkModel
from romtool.programmers.sim.port import StreamPort
from romtool.programmers.sim.serprog.device import PARALLEL_COMMANDS, DeviceConfig, SerprogDevice
from romtool.ranges import Range

SST = get_chip("SST39SF010A")
AMD = get_chip("AM29F010")
AT28 = get_chip("AT28C256")
AT29 = get_chip("AT29C256")


def _driver(
    part=SST, config: DeviceConfig | None = None, link: LinkModel | None = None, **chip_kw
) -> tuple[SerprogDriver, SerprogDevice, Link]:
    chip = model_for(part, clock=VirtualClock(), **chip_kw)
    dev = SerprogDevice(chip, config or DeviceConfig())
    cable = Link(link or LinkModel(), VirtualClock())
    return SerprogDriver(lambda: StreamPort(cable, dev)), dev, cable


def test_open_reports_the_device() -> None:
    drv, dev, _ = _driver(config=DeviceConfig(name="ATMega644 USB", address_lines=19))
    drv.open()
    assert drv.device is not None
    assert drv.device.name == "ATMega644 USB"
    assert drv.device.max_chip == 512 * 1024
    assert "19 address lines" in drv.description()
    assert drv.limits()["opbuf"] == 2048
    drv.close()
    # Bus drivers are turned off at close.
    assert dev.pins_on is False


@pytest.mark.parametrize("part", [SST, AMD])
def test_identify_jedec_parts(part) -> None:
    drv, _, _ = _driver(part)
    drv.open()
    assert dispatch.identify(drv.bus(), part) == part.chip_id
    drv.close()


def test_program_verify_jedec_and_chip_contents() -> None:
    drv, dev, _ = _driver(SST)
    drv.open()
    data = os.urandom(1024)
    dispatch.program(drv.bus(), SST, 0x1000, data)
    assert drv.bus().read_block(0x1000, 1024) == data
    assert dev.chip.snapshot()[0x1000:0x1400] == data
    assert dev.stats.overflows == 0
    drv.close()


def test_page_write_goes_out_as_one_writen_per_page() -> None:
    drv, dev, _ = _driver(AT28)
    drv.open()
    bus = drv.bus()
    data = bytes((i * 7) & 0xFF for i in range(256))
    dispatch.program(bus, AT28, 0x200, data)
    assert dev.chip.snapshot()[0x200:0x300] == data
    assert bus.stats.writen >= 4  # four 64-byte pages, each one O_WRITEN
    assert dev.stats.by_command.get(Cmd.O_WRITEN, 0) >= 4
    drv.close()


def test_at29_sector_write() -> None:
    drv, dev, _ = _driver(AT29)
    drv.open()
    data = os.urandom(64 * 3)
    dispatch.program(drv.bus(), AT29, 64, data)
    assert dev.chip.snapshot()[64 : 64 * 4] == data
    drv.close()


def test_small_serial_buffer_is_never_overrun() -> None:
    drv, dev, _ = _driver(AT28, config=DeviceConfig(serbuf=16, opbuf=300))
    drv.open()
    data = os.urandom(512)
    dispatch.program(drv.bus(), AT28, 0, data)
    assert dev.chip.snapshot()[:512] == data
    assert dev.stats.overflows == 0
    drv.close()


def test_single_byte_writes_when_writen_is_missing() -> None:
    cfg = DeviceConfig(commands=PARALLEL_COMMANDS - {Cmd.O_WRITEN})
    drv, dev, _ = _driver(AT28, config=cfg)
    drv.open()
    assert drv.device is not None and drv.device.wrnmaxlen == 1
    data = os.urandom(64)
    dispatch.program(drv.bus(), AT28, 0, data)
    assert dev.chip.snapshot()[:64] == data
    assert Cmd.O_WRITEN not in dev.stats.by_command
    drv.close()


def test_batch_larger_than_the_operation_buffer_is_refused() -> None:
    drv, _, _ = _driver(AT28, config=DeviceConfig(opbuf=40, wrnmaxlen=16))
    drv.open()
    bus = drv.bus()
    with pytest.raises(DeviceError, match="operation buffer"), bus.batch():
        bus.write_block(0, bytes(64))
    drv.close()


def test_write_combining() -> None:
    drv, _, _ = _driver(AT28, config=DeviceConfig(wrnmaxlen=8))
    drv.open()
    bus: SerprogBus = drv.bus()
    for i in range(20):
        bus.write_byte(0x100 + i, i)
    bus.write_byte(0x5555, 0xAA)
    bus.flush()
    # 20 adjacent bytes -> 8 + 8 + 4 in three O_WRITEN; the lone byte is an O_WRITEB.
    assert bus.stats.writen == 3 and bus.stats.writeb == 1
    drv.close()


def test_read_inside_a_batch_is_a_programming_error() -> None:
    drv, _, _ = _driver()
    drv.open()
    bus = drv.bus()
    with pytest.raises(DeviceError, match="inside a write batch"), bus.batch():
        bus.read_byte(0)
    drv.close()


def test_device_without_parallel_bus_is_refused() -> None:
    cfg = DeviceConfig(buses=BusType.SPI)
    drv, _, _ = _driver(config=cfg)
    with pytest.raises(ProtocolError, match="no parallel bus"):
        drv.open()


def test_device_missing_required_commands_is_refused() -> None:
    cfg = DeviceConfig(commands=PARALLEL_COMMANDS - {Cmd.O_DELAY})
    drv, _, _ = _driver(config=cfg)
    with pytest.raises(ProtocolError, match="O_DELAY"):
        drv.open()


def test_silent_port_fails_sync_with_a_hint(silent_port: Any) -> None:
    drv = SerprogDriver(silent_port)
    with pytest.raises(ProtocolError, match="no serprog device answers"):
        drv.open()


def test_link_lost_mid_write_is_a_transport_error() -> None:
    drv, _, _ = _driver(SST, link=LinkModel(disconnect_after=3000))
    drv.open()
    with pytest.raises(TransportError):
        dispatch.program(drv.bus(), SST, 0, bytes(range(256)) * 4)


def test_programmer_refuses_eprom_writes_and_large_parts() -> None:
    prog = SimSerprogProgrammer(get_chip("27C256"))
    with prog:
        prog.select(get_chip("27C256"))  # reading an EPROM is a plain read cycle
        assert prog.read(Range(0, 16)) == b"\xff" * 16
        with pytest.raises(NoVppError, match="VPP"):
            prog.program(0, b"\x00")
    small = SimSerprogProgrammer(SST, config=DeviceConfig(address_lines=16))
    with small, pytest.raises(ProgrammerError, match="address lines"):
        small.select(SST)


def test_programmer_capabilities_and_modeled_time() -> None:
    prog = SimSerprogProgrammer(SST)
    assert Capability.RAW_BUS in prog.capabilities
    assert Capability.VPP not in prog.capabilities
    with prog:
        prog.select(SST)
        assert prog.identify() == SST.chip_id
        prog.erase(sector=Range(0, 4096))
        commits: list[int] = []
        prog.program(0, b"\x12\x34" * 2048, on_commit=commits.append)
        assert commits == [4096]
        assert prog.read(Range(0, 4)) == b"\x12\x34\x12\x34"
        assert prog.now() == pytest.approx(prog.modeled_seconds())
    assert prog.chip_model.snapshot()[:4096] == b"\x12\x34" * 2048


def test_timeout_names_the_operation() -> None:
    drv, dev, _ = _driver(SST)
    drv.open()
    assert drv.client is not None
    drv.client.settings = drv.client.settings.replace(
        timeouts=replace(drv.client.settings.timeouts, command_s=0.001, per_byte_s=0.0)
    )
    dev.output = lambda data, t: None  # the device goes quiet
    with pytest.raises(DeviceTimeout, match="no answer"):
        drv.bus().read_byte(0x1234)


def test_eprom_erase_points_to_uv_light() -> None:
    eprom = get_chip("27C256")
    prog = SimSerprogProgrammer(eprom)
    with prog:
        prog.select(eprom)
        with pytest.raises(UsageError, match="UV light"):
            prog.erase()
