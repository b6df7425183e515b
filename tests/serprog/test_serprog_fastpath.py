"""The host algorithms over serprog: reads that are round trips are spent only where needed.

Counts come from the bus's and the simulated device's statistics (no timing assertions).
"""

from __future__ import annotations

import random

import pytest

from romtool.algorithms import jedec
from romtool.chips import ChipId, get_chip
from romtool.errors import ProgramFailure
from romtool.image.model import Image
from romtool.ops.session import open_session
from romtool.ops.write import write_image
from romtool.programmers.serprog.simopen import SimSerprogProgrammer
from romtool.programmers.sim.chips import model_for
from romtool.programmers.sim.clock import VirtualClock
from romtool.programmers.sim.serprog.device import DeviceConfig
from romtool.ranges import Range

SST = get_chip("SST39SF010A")
AMD = get_chip("AM29F010")
AT28 = get_chip("AT28C256")


def noise(n: int, seed: int = 1) -> bytes:
    rnd = random.Random(seed)
    return bytes(rnd.randrange(256) for _ in range(n))


def test_jedec_write_reads_each_byte_once_per_step() -> None:
    prog = SimSerprogProgrammer(SST)
    data = noise(SST.sector_at(0).length)  # one whole sector: the plan reads it once
    with open_session(None, SST, programmer=prog) as session:
        result = write_image(session, Image.from_bytes(data), verify=True)
        stats = prog.driver.bus().stats  # type: ignore[attr-defined]
        assert result.verify is not None and result.verify.ok
        # Single-byte reads: the software id's two, no status polls at all. Block reads: the
        # plan, one read-back per blind span, the verify; the program step does not read the
        # range again first.
        assert stats.reads == 2
        assert stats.block_reads == 1 + len(data) // jedec.BLIND_SPAN + 1
    assert prog.chip_model.snapshot()[: len(data)] == data


def test_erase_then_program_reads_the_erased_sector_again() -> None:
    old = bytearray(b"\xff" * SST.size)
    old[0:0x1000] = noise(0x1000, seed=2)
    chip = model_for(SST, clock=VirtualClock(), data=bytes(old))
    prog = SimSerprogProgrammer(SST, chip=chip)
    data = noise(0x800, seed=3)
    with open_session(None, SST, programmer=prog) as session:
        result = write_image(session, Image.from_bytes(data), verify=True)
        assert result.plan["erase"] == 1
        assert result.verify is not None and result.verify.ok
    snap = chip.snapshot()
    assert snap[:0x800] == data
    assert snap[0x800:0x1000] == bytes(old[0x800:0x1000])  # kept from the chip


def test_dq5_failure_named_and_part_reset_over_serprog() -> None:
    initial = bytearray(b"\xff" * AMD.size)
    initial[0x21] = 0x00
    chip = model_for(AMD, clock=VirtualClock(), data=bytes(initial))
    prog = SimSerprogProgrammer(AMD, chip=chip)
    prog.open()
    try:
        bus = prog.driver.bus()
        with pytest.raises(ProgramFailure) as exc:
            # Stale knowledge: the caller believes the byte at 0x21 is still blank.
            jedec.program_range(bus, AMD, 0x10, bytes(range(64)), have=b"\xff" * 64)
        assert exc.value.address == 0x21
        assert chip.snapshot()[0x10:0x21] == bytes(range(0x11))
        assert jedec.software_id(bus, AMD) == ChipId(0x01, 0x20)
    finally:
        prog.close()


def test_known_contents_forgotten_after_a_failed_program() -> None:
    chip = model_for(SST, clock=VirtualClock(), weak={0x40: None})
    prog = SimSerprogProgrammer(SST, chip=chip)
    prog.open()
    try:
        prog.select(SST)
        prog.read(Range(0, 0x100))
        assert prog.known.get(Range(0, 0x100)) == b"\xff" * 0x100
        with pytest.raises(Exception):  # noqa: B017 -- VerifyError or ProgramFailure
            prog.program(0, bytes(0x100))
        assert prog.known.get(Range(0, 0x100)) is None
        prog.read(Range(0, 0x100))
        prog.erase(sector=Range(0, 0x1000))
        assert prog.known.get(Range(0, 1)) is None
    finally:
        prog.close()


def test_small_serial_buffer_never_overflows_on_blind_stream() -> None:
    prog = SimSerprogProgrammer(SST, config=DeviceConfig(serbuf=32))
    data = noise(600, seed=4)
    with open_session(None, SST, programmer=prog) as session:
        result = write_image(session, Image.from_bytes(data, 0x300), verify=True)
        assert result.verify is not None and result.verify.ok
    assert prog.device.stats.overflows == 0
    assert prog.chip_model.snapshot()[0x300:0x558] == data


def test_page_loads_run_as_soon_as_complete() -> None:
    prog = SimSerprogProgrammer(AT28)
    data = noise(1024, seed=5)
    with open_session(None, AT28, programmer=prog) as session:
        result = write_image(session, Image.from_bytes(data), verify=True)
        assert result.verify is not None and result.verify.ok
    # One O_EXEC per page (each holds a write cycle's delay), not one per full buffer.
    assert prog.device.stats.execs >= 1024 // AT28.page_size
    assert prog.chip_model.snapshot()[:1024] == data
